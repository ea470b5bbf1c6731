"""Where the embedded scenarios live."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = REPO_ROOT / "scenarios"
KENT = SCENARIOS / "kent"
"""The embedded Kent scenario, the default for every command."""
