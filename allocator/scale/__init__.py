"""Many counties at once: the national decomposition and its executors."""
