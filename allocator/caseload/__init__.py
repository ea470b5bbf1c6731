"""The caseload job: who supports each agreed case from which week.

Rooms, each importing only those listed before it: `data` (the solver-neutral instance, `evaluate`),
`parts` (independent parts, index moves, time shares), `search` (heuristics: greedy starts, ruin and
recreate), `timeindexed` (the time-indexed MIP on HiGHS and its LP bound), `check` (the independent
checker), `outcome` (decode, KPIs, `CaseloadOutcome`), `engines/` (greedy and HiGHS baselines), `plan`
(the CP-SAT planner), `rebalance`; `gap` is the generalised assignment benchmark core.
"""
