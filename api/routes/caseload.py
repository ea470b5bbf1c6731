"""The caseload: plan and rebalance (jobs), the plan in use, its waiting list, changes and score."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from sqlalchemy import select

from allocator.io.caseload_export import (
    write_assignments,
    write_changes,
    write_unassigned,
    write_xlsx,
)
from api import audit
from api.convert import to_change, to_plan
from api.db.models import PlanRow
from api.deps import (
    CacheDep,
    CurrentUser,
    JobsDep,
    Planner,
    ScenarioDep,
    ScopeDep,
    SessionDep,
    SettingsDep,
)
from api.errors import responses
from api.routes.proposals import add_proposal_routes
from api.schemas.caseload import (
    CaseloadAnalysisOut,
    CaseloadOut,
    CaseloadPlanIn,
    ChangeOut,
    PlanSourceOut,
    RebalanceIn,
)
from api.schemas.jobs import JobOut
from api.services.agreements import add_agreement
from api.services.caseload import (
    analysis_out,
    assignment_out,
    case_rows,
    cases_without_consent,
    current_rows,
    newest_changes,
    person_loads,
    rule_descriptions,
    school_weeks,
    split_waiting,
    waiting_out,
)
from api.services.errors import field_error
from api.store import open_case_ids, today_params

router = APIRouter(
    prefix="/api/scenarios/{scenario_id}/caseload",
    tags=["caseload"],
    responses=responses(401, 404, 422),
)

DistrictQuery = Annotated[str | None, Query(max_length=200)]


def _check_time(time_limit: float, most: float) -> None:
    if time_limit > most:
        raise field_error(["body", "time_limit"], f"at most {most:g} s", time_limit)


@router.post("/plan", response_model=JobOut, status_code=202, responses=responses(400, 403, 413))
def plan(
    body: CaseloadPlanIn,
    scenario: ScenarioDep,
    session: SessionDep,
    jobs: JobsDep,
    settings: SettingsDep,
    scope: ScopeDep,
    user: Planner,
) -> JobOut:
    """Start planning the caseload afresh (running and finished support is kept). The result is a
    proposal until accepted (`/proposals`). Poll the job."""
    district = scope.planning_district(body.district)
    _check_time(body.time_limit, settings.max_time_limit)
    audit.record(
        session, user, "caseload.plan", "scenario", scenario.id, scenario.id, {"district": district}
    )
    job = jobs.submit(
        session, "caseload_plan", scenario.id, user.id, district, {"time_limit": body.time_limit}
    )
    return JobOut.model_validate(job)


@router.post(
    "/rebalance",
    response_model=JobOut,
    status_code=202,
    responses=responses(400, 403, 409, 413),
)
def rebalance(
    body: RebalanceIn,
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    jobs: JobsDep,
    settings: SettingsDep,
    scope: ScopeDep,
    user: Planner,
) -> JobOut:
    """Store any agreements given, then start fitting every new agreement into the plan in use,
    never moving support that started before `today` and breaking as few promises as it can. The
    result is a proposal until accepted (`/proposals`). Poll the job."""
    district = scope.planning_district(body.district)
    _check_time(body.time_limit, settings.max_time_limit)
    base = cache.base(scenario)
    for index, agreement in enumerate(body.agreements):
        add_agreement(
            session, base, scenario.id, agreement, scope, user, ("body", "agreements", index)
        )
    audit.record(
        session,
        user,
        "caseload.rebalance",
        "scenario",
        scenario.id,
        scenario.id,
        {"district": district, "new_agreements": [a.case_id for a in body.agreements]},
    )
    params = {"time_limit": body.time_limit, **today_params(base, body.today)}
    job = jobs.submit(session, "caseload_rebalance", scenario.id, user.id, district, params)
    return JobOut.model_validate(job)


@router.get("", response_model=CaseloadOut)
def caseload(
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    scope: ScopeDep,
    user: CurrentUser,
    district: DistrictQuery = None,
) -> CaseloadOut:
    """The plan in use for the districts you see (or the one chosen): assignments, each person's
    load week by week, the waiting list with reasons, the newest rebalance's changes, every open
    case with where it stands, and counts that add up."""
    districts = scope.pick(district)
    base = cache.base(scenario)
    sources, assignments, waiting = current_rows(session, scenario.id, districts)
    plans = {
        p.id: p
        for p in session.scalars(select(PlanRow).where(PlanRow.id.in_(list(sources.values()))))
    }
    held = {a.case_id for a in assignments} | {w.case_id for w in waiting}
    pools = [p.value for p in base.pools]
    cases, counts = case_rows(session, base, scenario.id, districts, assignments, waiting)
    waiting, without_consent = split_waiting(waiting, cases_without_consent(session, scenario.id))
    weeks = school_weeks(base)
    everywhere = current_rows(session, scenario.id, base.district_names)[1]
    people = person_loads(base, districts, assignments, everywhere, weeks) if sources else []
    changes = newest_changes(session, sources, districts)
    named = {p.person_id for p in people} | {c.person_id for c in cases if c.person_id}
    named |= {n for c in changes for n in (c.before_person, c.after_person) if n}
    said = [w.reason for w in waiting + without_consent] + [c.reason for c in changes]
    said += [str(w.help) for w in waiting if w.help]
    named |= {p.person_id for p in base.people if any(p.person_id in text for text in said)}
    return CaseloadOut(
        scenario_id=scenario.id,
        sources=[
            PlanSourceOut(district=d, plan_id=i, kind=plans[i].kind, created_at=plans[i].created_at)
            for d, i in sources.items()
        ],
        assignments=[assignment_out(a) for a in assignments],
        waiting=[waiting_out(w, pools) for w in waiting],
        people=people,
        changes=[ChangeOut.model_validate(c) for c in changes],
        not_in_plan=sorted(open_case_ids(session, scenario.id, districts) - held),
        without_consent=[waiting_out(w, pools) for w in without_consent],
        cases=cases,
        counts=counts,
        weeks=weeks,
        names={p.person_id: p.name for p in base.people if p.person_id in named},
    )


@router.get("/analysis", response_model=list[CaseloadAnalysisOut])
def caseload_analysis(
    scenario: ScenarioDep,
    session: SessionDep,
    scope: ScopeDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> list[CaseloadAnalysisOut]:
    """The newest plans touching your districts: each rule's penalty, the checker's figures (for a
    plan that also covers districts you do not see, your districts' counts only: `scoped`)."""
    described = rule_descriptions()
    found: list[CaseloadAnalysisOut] = []
    for plan in session.scalars(
        select(PlanRow).where(PlanRow.scenario_id == scenario.id).order_by(PlanRow.id.desc())
    ):
        if any(d in scope.districts for d in plan.districts):
            found.append(analysis_out(plan, described, scope))
        if len(found) >= limit:
            break
    return found


CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORTS = {
    "assignments.csv": CSV,
    "unassigned.csv": CSV,
    "changes.csv": CSV,
    "caseload.xlsx": XLSX,
}


def _export(
    name: str, scenario: ScenarioDep, session: SessionDep, scope: ScopeDep, district: str | None
) -> Response:
    districts = scope.pick(district)
    sources, assignments, waiting = current_rows(session, scenario.id, districts)
    if not sources:
        raise HTTPException(404, "no caseload has been planned for these districts yet")
    plan = to_plan(assignments, waiting)
    changes = [to_change(c) for c in newest_changes(session, sources, districts)]
    with tempfile.TemporaryDirectory(prefix="lift-export-") as folder:
        path = Path(folder) / name
        if name == "assignments.csv":
            write_assignments(plan, path)
        elif name == "unassigned.csv":
            write_unassigned(plan, path)
        elif name == "changes.csv":
            write_changes(changes, path)
        else:
            write_xlsx(plan, path, changes)
        data = path.read_bytes()
    return Response(
        data,
        media_type=EXPORTS[name],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _download_route(name: str) -> None:
    def download(
        scenario: ScenarioDep,
        session: SessionDep,
        scope: ScopeDep,
        user: CurrentUser,
        district: DistrictQuery = None,
    ) -> Response:
        return _export(name, scenario, session, scope, district)

    download.__doc__ = f"The caseload in use as {name} (your districts, or one of them)."
    router.add_api_route(
        f"/{name}",
        download,
        methods=["GET"],
        name=f"caseload_{name.replace('.', '_')}",
        response_class=Response,
        responses={200: {"content": {EXPORTS[name]: {}}, "description": name}},
    )


for _name in EXPORTS:
    _download_route(_name)

add_proposal_routes(router, "caseload")
