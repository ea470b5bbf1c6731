"""From concern to support, after the meeting: written agreements and their reviews (DESIGN.md)."""
