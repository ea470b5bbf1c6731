"""The staffing job: `apportion` (exact numbers, the five methods, ties), `formula` (quotas, bounds,
the constrained quota, pools, the allocation), `whatif` (sensitivity, comparison, overrides) and
`check` (the independent checker)."""
