"""The meeting agenda job: which LIFT meeting discusses each request (data, model, plan, baseline,
check, outcome)."""
