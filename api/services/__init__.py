"""Glue between the stored rows and the planners: read inputs, run, write results. No HTTP here."""
