"""Benchmarks: speed and quality of every job beside its baselines (`python -m benchmarks`)."""
