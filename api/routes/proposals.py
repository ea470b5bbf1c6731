"""Proposals, decisions and versions of the rota and the caseload (added to their routers).

A solve job's rota or plan is a proposal for each district it covers; nothing is in use for a district
until someone accepts it there: a coordinator for their own district, an officer for the district they
name. Viewers may read proposals and versions, never decide.
"""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from allocator.model import PlanStatus
from api.db.models import PlanRow, RotaRow
from api.decisions import ACCEPT, REJECT, Job
from api.deps import CacheDep, CurrentUser, Planner, ScenarioDep, ScopeDep, SessionDep
from api.errors import responses
from api.schemas.proposals import (
    DecideIn,
    DecisionOut,
    ProposalDetailOut,
    ProposalOut,
    SchoolNoteOut,
)
from api.services.caseload import cases_without_consent, withdraw_in_plan
from api.services.proposals import (
    caseload_detail,
    decide_on,
    decision_out,
    get_source,
    get_version,
    pending,
    rota_detail,
    school_notes_of,
    versions,
)
from api.store import live_scenario

DistrictQuery = Annotated[str | None, Query(max_length=200)]
NeededDistrict = Annotated[str, Query(min_length=1, max_length=200)]


def _withdraw_without_consent(session: SessionDep, plan: PlanRow, district: str) -> None:
    """Consent withdrawn since the plan was made: its support stops as the plan goes into use."""
    without = cases_without_consent(session, plan.scenario_id)
    for held in list(plan.assignments):
        if (
            held.district == district
            and held.case_id in without
            and held.status in (PlanStatus.PLANNED.value, PlanStatus.RUNNING.value)
        ):
            withdraw_in_plan(session, plan, held.case_id, district, None)


def add_proposal_routes(router: APIRouter, job: Job) -> None:
    """GET proposals, GET proposals/{id}, POST proposals/{id}/accept and /reject, GET versions and
    POST versions/{decision_id}/rollback on `router` (and for the caseload, the school notes)."""
    what = "rota" if job == "rota" else "plan"

    @router.get("/proposals", response_model=list[ProposalOut], name=f"{job}_proposals")
    def list_proposals(
        scenario: ScenarioDep,
        session: SessionDep,
        scope: ScopeDep,
        user: CurrentUser,
        district: DistrictQuery = None,
    ) -> list[ProposalOut]:
        return pending(session, scenario.id, job, scope.pick(district))

    list_proposals.__doc__ = (
        f"The pending proposals ({what}s not yet accepted or rejected) of each district you see, "
        "newest first, with who made them, when, and their figures."
    )

    @router.get(
        "/proposals/{proposal_id}", response_model=ProposalDetailOut, name=f"{job}_proposal"
    )
    def get_proposal(
        proposal_id: int,
        district: NeededDistrict,
        scenario: ScenarioDep,
        session: SessionDep,
        cache: CacheDep,
        scope: ScopeDep,
        user: CurrentUser,
    ) -> ProposalDetailOut:
        (chosen,) = scope.pick(district)
        source = get_source(session, scenario.id, job, proposal_id)
        if isinstance(source, RotaRow):
            return rota_detail(session, source, chosen)
        return caseload_detail(session, cache.base(scenario), source, chosen)

    get_proposal.__doc__ = (
        f"A proposed {what}'s differences against the one in use in `district`, each with its "
        "reason, and the figures before and after."
    )

    def _decide(
        proposal_id: int,
        body: DecideIn,
        action: str,
        scenario: ScenarioDep,
        session: SessionDep,
        scope: ScopeDep,
        user: Planner,
    ) -> DecisionOut:
        (chosen,) = scope.pick(body.district)
        source = get_source(session, scenario.id, job, proposal_id)
        row = decide_on(session, scenario.id, job, source, chosen, action, user)
        if action == ACCEPT and isinstance(source, PlanRow):
            _withdraw_without_consent(session, source, chosen)
        session.commit()
        return decision_out(session, row)

    @router.post(
        "/proposals/{proposal_id}/accept",
        response_model=DecisionOut,
        status_code=201,
        responses=responses(403, 409),
        name=f"{job}_accept",
    )
    def accept(
        proposal_id: int,
        body: DecideIn,
        scenario: ScenarioDep,
        session: SessionDep,
        scope: ScopeDep,
        user: Planner,
    ) -> DecisionOut:
        return _decide(proposal_id, body, ACCEPT, scenario, session, scope, user)

    accept.__doc__ = (
        f"Accept a proposed {what} for `district` (a coordinator's own; an officer names it): it is "
        "in use there at once."
    )

    @router.post(
        "/proposals/{proposal_id}/reject",
        response_model=DecisionOut,
        status_code=201,
        responses=responses(403, 409),
        name=f"{job}_reject",
    )
    def reject(
        proposal_id: int,
        body: DecideIn,
        scenario: ScenarioDep,
        session: SessionDep,
        scope: ScopeDep,
        user: Planner,
    ) -> DecisionOut:
        return _decide(proposal_id, body, REJECT, scenario, session, scope, user)

    reject.__doc__ = f"Reject a proposed {what} for `district`: it is no longer pending there."

    @router.get("/versions", response_model=list[DecisionOut], name=f"{job}_versions")
    def list_versions(
        scenario: ScenarioDep,
        session: SessionDep,
        scope: ScopeDep,
        user: CurrentUser,
        district: DistrictQuery = None,
    ) -> list[DecisionOut]:
        return versions(session, scenario.id, job, scope.pick(district))

    list_versions.__doc__ = (
        f"The accepted {what}s (versions) of each district you see, newest first, with who accepted "
        "them and when; `in_use` marks the one in use."
    )

    @router.post(
        "/versions/{decision_id}/rollback",
        response_model=DecisionOut,
        status_code=201,
        responses=responses(403, 409),
        name=f"{job}_rollback",
    )
    def rollback(
        decision_id: int,
        scenario: ScenarioDep,
        session: SessionDep,
        scope: ScopeDep,
        user: Planner,
    ) -> DecisionOut:
        version = get_version(session, scenario.id, job, decision_id, scope)
        source = get_source(session, scenario.id, job, version.source_id)
        row = decide_on(
            session,
            scenario.id,
            job,
            source,
            version.district,
            ACCEPT,
            user,
            rollback_of=version.id,
        )
        if isinstance(source, PlanRow):
            _withdraw_without_consent(session, source, version.district)
        session.commit()
        return decision_out(session, row)

    rollback.__doc__ = (
        f"Put an accepted {what} back in use in its district (a new acceptance; the same "
        "permissions as accepting)."
    )

    if job == "caseload":
        _add_notes(router)


def _add_notes(router: APIRouter) -> None:
    @router.get(
        "/proposals/{proposal_id}/notes",
        response_model=list[SchoolNoteOut],
        name="caseload_school_notes",
    )
    def notes(
        proposal_id: int,
        district: NeededDistrict,
        scenario: ScenarioDep,
        session: SessionDep,
        cache: CacheDep,
        scope: ScopeDep,
        user: CurrentUser,
    ) -> list[SchoolNoteOut]:
        """A plain-language note per school of `district` (case ids only) of what the plan changes
        for its pupils and why: against the plan in use, or once accepted, against the plan it
        replaced."""
        (chosen,) = scope.pick(district)
        plan = get_source(session, scenario.id, "caseload", proposal_id)
        assert isinstance(plan, PlanRow)
        found = school_notes_of(session, live_scenario(session, cache, scenario), plan, chosen)
        return [
            SchoolNoteOut(
                urn=n.urn, school=n.school, district=n.district, lines=list(n.lines), text=n.text()
            )
            for n in found
        ]

    @router.get(
        "/proposals/{proposal_id}/notes.html",
        response_class=Response,
        responses={200: {"content": {"text/html": {}}, "description": "The notes as a page"}},
        name="caseload_school_notes_html",
    )
    def notes_html(
        proposal_id: int,
        district: NeededDistrict,
        scenario: ScenarioDep,
        session: SessionDep,
        cache: CacheDep,
        scope: ScopeDep,
        user: CurrentUser,
    ) -> HTMLResponse:
        """The school notes as one HTML page (every value escaped), a section per school."""
        (chosen,) = scope.pick(district)
        plan = get_source(session, scenario.id, "caseload", proposal_id)
        assert isinstance(plan, PlanRow)
        found = school_notes_of(session, live_scenario(session, cache, scenario), plan, chosen)
        sections = "".join(
            f"<section><h2>{html.escape(f'{n.school} (URN {n.urn})')}</h2>"
            "<p>Changes to specialist teaching support.</p><ul>"
            + "".join(f"<li>{html.escape(line)}</li>" for line in n.lines)
            + "</ul></section>"
            for n in found
        )
        title = html.escape(f"Notes for schools: {chosen}")
        body = sections or "<p>Nothing changes for any school.</p>"
        return HTMLResponse(
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>\n"
        )
