"""The agenda planner: data -> first come first served -> per district, build -> solve -> decode ->
check.

Districts never share a meeting, so each district's requests are one CP-SAT model
(`allocator.agenda.model`), minimised lexicographically: first the priority weight left unplaced, then
the priority-weighted school days to meeting. First come first served's agenda is the solver's hint,
and stands in for a district whose solve finds nothing in its time.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date

from allocator.agenda.baseline import first_come
from allocator.agenda.check import check_agenda
from allocator.agenda.data import build_agenda_data, evaluate
from allocator.agenda.model import build_agenda_model, decode
from allocator.agenda.outcome import AgendaOutcome, DistrictSolve, make_agenda
from allocator.model import Scenario
from allocator.model.agenda_result import AgendaScore
from allocator.model.rota_result import Rota
from allocator.solve import ProgressEvent, SolveParams, Status, TimeShares, solve

AgendaProgress = Callable[[str, ProgressEvent], None]
"""Told the district being planned and the solver's event."""

LEVELS = ("unplaced", "days_to_meeting")
"""The levels, each one soft rule of the same name, and the score's fields."""


def plan_agenda(
    scenario: Scenario,
    rota: Rota,
    *,
    start: date | None = None,
    end: date | None = None,
    params: SolveParams | None = None,
    progress: AgendaProgress | None = None,
) -> AgendaOutcome:
    """Place each request received in [start, end] on a meeting of `rota`, hearing and vision on the
    county route; beside it, first come first served's agenda, both checked."""
    params = params or SolveParams()
    began = time.perf_counter()
    data = build_agenda_data(scenario, rota, start, end)
    baseline = first_come(data)
    by_district: dict[str, list[int]] = defaultdict(list)
    for r in data.meeting_requests():
        by_district[data.instance.districts[r]].append(r)
    sizes = {d: 1 + sum(len(data.options[r]) for r in rs) for d, rs in by_district.items()}
    shares = TimeShares(params.time_limit, sum(sizes.values()) or 1, began)
    chosen: dict[int, int] = {}
    solves: list[DistrictSolve] = []
    unplaced_total = days_total = 0
    optimal = True
    for district in sorted(by_district):
        requests = by_district[district]
        share = shares.seconds(sizes[district])
        agenda, levels = build_agenda_model(data, requests)
        if not agenda.x:
            score = evaluate(data, {}, requests)
            solves.append(
                DistrictSolve(district=district, requests=len(requests), variables=0, engine="none")
            )
        else:
            hint = {var: int(baseline.get(r) == m) for (r, m), var in agenda.x.items()}
            emit = None if progress is None else (lambda e, _d=district: progress(_d, e))
            result, solution = solve(
                agenda.model,
                levels,
                params.model_copy(update={"time_limit": share}),
                progress=emit,
                hint=hint,
            )
            if result.status.has_solution:
                chosen.update(decode(agenda, solution))
                values = {s.name: s.violation for s in result.breakdown}
                score = AgendaScore(**{name: values[name] for name in LEVELS})
                optimal = optimal and result.status == Status.OPTIMAL
                engine = "cp-sat"
            else:
                fallback = {r: baseline[r] for r in requests if r in baseline}
                chosen.update(fallback)
                score = evaluate(data, fallback, requests)
                optimal = False
                engine = "first-come"
            solves.append(
                DistrictSolve(
                    district=district,
                    requests=len(requests),
                    variables=len(agenda.x),
                    engine=engine,
                    result=result,
                )
            )
        unplaced_total += score.unplaced
        days_total += score.days_to_meeting
    planned = make_agenda(data, chosen)
    first = make_agenda(data, baseline)
    return AgendaOutcome(
        agenda=planned,
        status=Status.OPTIMAL if optimal else Status.FEASIBLE,
        score=AgendaScore(unplaced=unplaced_total, days_to_meeting=days_total),
        baseline=first,
        check=check_agenda(scenario, rota, planned),
        baseline_check=check_agenda(scenario, rota, first),
        districts=tuple(solves),
        wall_time=time.perf_counter() - began,
    )
