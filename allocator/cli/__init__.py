"""The `lift` command: one module per job, thin over the planners."""
