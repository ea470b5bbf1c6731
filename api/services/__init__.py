"""Glue between the stored rows and the planners: read inputs, run, write results. No HTTP here:
services raise the errors of `api.services.errors`, which `api.errors` answers with a status."""
