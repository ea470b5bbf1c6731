"""The commitments issue's checks on Kent, as a coordinator would try them, with the figures printed.

    .venv/bin/python -m benchmarks.kent_commitments [--today 2025-11-24] [--districts Swale|all]
                                                    [--rota-limit 30] [--plan-limit 60] [--limit 10]
                                                    [--no-rota]

1. Rota: plan Kent's rota; re-plan it with itself as the published rota (nothing changed); then with one
   new day of leave for an attendee of a coming meeting: how many meetings move, and whether each
   keeps its identity (calendar UID).
2. Caseload: plan Kent's caseload; rebalance with three routine new agreements for one district, then
   with one urgent one: promises broken (each with the cases that needed the time), cases moved
   earlier, new cases started, and whether any running support moved.
No figure is asserted; the checker's verdict is printed beside each.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from datetime import date

from allocator.caseload.outcome import CaseloadOutcome
from allocator.caseload.plan import plan_caseload
from allocator.caseload.rebalance import rebalance
from allocator.io import read_scenario
from allocator.model import Agreement, PlanStatus, Scenario, Unavailability
from allocator.paths import KENT
from allocator.rota.plan import plan_rota
from allocator.solve import SolveParams


def _agreements(scenario: Scenario, district: str, day: date, urgent: bool) -> list[Agreement]:
    schools = [s for s in scenario.schools if s.district == district and s.phase != "early_years"]
    count = 1 if urgent else 3
    return [
        Agreement.model_validate(
            {
                "case_id": f"NEW-{'U' if urgent else 'R'}{k}",
                "school_urn": schools[k % len(schools)].urn,
                "need_type": "C&I",
                "sen_stage": "SEN Support",
                "lac": urgent,
                "consent": "yes",
                "agreed_on": day,
                "minutes_per_week": 60,
                "weeks": 10,
                "priority": 1 if urgent else 3,
            }
        )
        for k in range(count)
    ]


def rota_checks(scenario: Scenario, today: date, seconds: float) -> None:
    """An unchanged re-plan, and one new day of leave."""
    params = SolveParams(time_limit=seconds, workers=2, seed=0)
    first = plan_rota(scenario, params)
    assert first.rota is not None
    print(f"rota: {first.summary()}")
    same = plan_rota(scenario, params, published=first.rota, today=today)
    assert same.rota is not None
    moved = sum(
        1
        for key, m in first.rota.numbered().items()
        if same.rota.numbered().get(key, m).date != m.date
    )
    print(f"  unchanged re-plan: {moved} meetings moved; {same.promises_line()}; {same.summary()}")
    hit = next(m for m in first.rota.meetings if m.date >= today)
    leave = Unavailability(person_id=hit.attendees[0], first_day=hit.date, last_day=hit.date)
    away = scenario.model_copy(update={"unavailability": (*scenario.unavailability, leave)})
    after = plan_rota(away, params, published=first.rota, today=today)
    assert after.rota is not None
    before, now = first.rota.numbered(), after.rota.numbered()
    moved_ids = [k for k in before if k in now and now[k].date != before[k].date]
    print(
        f"  one day of leave for {hit.attendees[0]} on {hit.date}: {len(moved_ids)} moved "
        f"(same identities: {set(before) == set(now)}); {after.promises_line()}; {after.summary()}"
    )
    for change in after.changes:
        print(f"    {change.group} {change.before} -> {change.after}: {change.reason}")


def caseload_checks(
    scenario: Scenario, districts: Sequence[str], today: date, plan_seconds: float, seconds: float
) -> None:
    """Per district: three routine new agreements, then one urgent one (each on the first plan)."""
    plan = plan_caseload(scenario, SolveParams(time_limit=plan_seconds, workers=2, seed=0))
    print(
        f"caseload: {plan.kpis.started} of {plan.kpis.agreements} started, checked {plan.check.ok}"
    )
    for district in districts:
        _rebalances(scenario, plan, district, today, seconds)


def _rebalances(
    scenario: Scenario, plan: CaseloadOutcome, district: str, today: date, seconds: float
) -> None:
    for urgent in (False, True):
        new = _agreements(scenario, district, today, urgent)
        began = time.perf_counter()
        result = rebalance(
            scenario, plan.plan, new, SolveParams(time_limit=seconds, workers=2, seed=0), today
        )
        running = {
            a.case_id: a
            for a in plan.plan.assignments
            if a.status != PlanStatus.PLANNED or a.start < today
        }
        still = all(
            (b := result.plan.assignment_of(c)) is not None
            and (b.person_id, b.start) == (a.person_id, a.start)
            for c, a in running.items()
        )
        started = sum(result.plan.assignment_of(a.case_id) is not None for a in new)
        print(
            f"  {len(new)} {'urgent' if urgent else 'routine'} new agreement(s) in {district}: "
            f"{result.broken} promise(s) broken (fewest proven: {result.proven_minimal}), "
            f"{result.earlier} earlier, {started}/{len(new)} new started, running support kept: "
            f"{still}, checked {result.outcome.check.ok}, {time.perf_counter() - began:.1f} s"
        )
        for change in result.changes:
            if change.kind == "broken":
                print(f"    {change.case_id}: {change.reason}")


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--today", type=date.fromisoformat, default=date(2025, 11, 24))
    parser.add_argument("--districts", default="Swale", help="comma-separated districts, or 'all'")
    parser.add_argument("--no-rota", action="store_true", help="only the caseload checks")
    parser.add_argument("--rota-limit", type=float, default=30.0)
    parser.add_argument("--plan-limit", type=float, default=60.0)
    parser.add_argument("--limit", type=float, default=10.0)
    args = parser.parse_args(argv)
    scenario = read_scenario(KENT)
    if not args.no_rota:
        rota_checks(scenario, args.today, args.rota_limit)
    districts = scenario.district_names if args.districts == "all" else args.districts.split(",")
    caseload_checks(scenario, districts, args.today, args.plan_limit, args.limit)


if __name__ == "__main__":
    main()
