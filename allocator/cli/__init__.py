"""The `lift` command: `main` (the app, check, generate, demo), one module per job (`rota`,
`caseload`, `staffing`, `bench`), `common` (the `--scenario` option, the progress display) and
`summary` (a scenario's counts per district)."""
