"""The caseload: the instance, the models and engines, the plan, the rebalance, the check."""
