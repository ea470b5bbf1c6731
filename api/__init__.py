"""The LIFT service: an HTTP API and a web page over the planners (`lift serve`)."""
