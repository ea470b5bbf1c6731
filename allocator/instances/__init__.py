"""Solver-neutral instances: what a job's engines and its rules in the catalogue both read."""
