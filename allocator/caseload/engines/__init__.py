"""Baseline engines on the same caseload instance: first come first served, a HiGHS MIP."""
