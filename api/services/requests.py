"""Requests for LIFT support: the inbox (where each request stands), each district's agenda on the
rota in use (planned with a short time limit, kept per rota), the meeting's outcome, and the whole
wait from request to the start of support."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import date
from threading import Lock
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import select
from sqlalchemy.orm import Session

from allocator.agenda.outcome import AgendaOutcome
from allocator.agenda.plan import plan_agenda
from allocator.model import Scenario
from allocator.model.agenda_result import Agenda
from allocator.model.requests import Request, RequestOutcome
from allocator.model.rota_result import Meeting, Rota
from allocator.pipeline.waits import CaseWait, summary_tables, whole_waits
from allocator.solve import SolveParams
from api import audit
from api.db.models import AgreementRow, OutcomeRow, ScenarioRow, User
from api.schemas.requests import (
    AgendaFiguresOut,
    AgendaMeetingOut,
    AgendaOut,
    CaseWaitOut,
    CountyItemOut,
    OutcomeIn,
    OutcomeOut,
    RequestOut,
    UnplacedOut,
    WaitsOut,
    WaitSummaryOut,
)
from api.scope import Scope
from api.services.errors import Conflict, NotFound, field_error
from api.services.rota import current_rota, current_sources
from api.services.words import dmy
from api.store import ScenarioCache, live_scenario

AGENDA_SECONDS = 3.0
"""The time limit of one agenda plan (all its districts together)."""

OUTCOME_WORDS = {
    RequestOutcome.ADVICE: "advice at the meeting",
    RequestOutcome.SCHOOL_TO_SCHOOL: "school-to-school support",
    RequestOutcome.TRAINING: "training",
    RequestOutcome.SPECIALIST: "specialist intervention (an agreement follows)",
    RequestOutcome.REFERRAL_EP: "referred to the educational psychology service",
    RequestOutcome.REFERRAL_EARLY_SUPPORT: "referred to early support",
}
"""Each outcome in a coordinator's words."""


def district_of(base: Scenario, request: Request) -> str:
    """The district of a request's school."""
    return base.school_by_urn[request.school_urn].district


def requests_of(base: Scenario, districts: Iterable[str]) -> list[Request]:
    """The requests of `districts`' schools, in order of receipt."""
    wanted = set(districts)
    found = [r for r in base.requests if district_of(base, r) in wanted]
    return sorted(found, key=lambda r: (r.received_on, r.request_id))


def find_request(base: Scenario, scope: Scope, request_id: str) -> Request:
    """A request of your districts (NotFound for another district's: its existence is not told)."""
    request = base.request_by_id.get(request_id)
    if request is None or district_of(base, request) not in scope.districts:
        raise NotFound(f"request {request_id} not found")
    return request


def check_request_link(
    base: Scenario, scope: Scope, request_id: str | None, agreed_on: date, at: Sequence[str | int]
) -> None:
    """For a new agreement naming `request_id`: a request of your districts, received on or before
    `agreed_on` (422 at `at` + request_id / agreed_on otherwise), whose recorded outcome in the
    scenario's file, if any, is specialist."""
    if request_id is None:
        return
    request = base.request_by_id.get(request_id)
    if request is None or district_of(base, request) not in scope.districts:
        raise field_error([*at, "request_id"], "a request of your district", request_id)
    if request.outcome is not None and request.outcome != RequestOutcome.SPECIALIST:
        raise field_error(
            [*at, "request_id"],
            f"a request whose outcome is specialist (it is {OUTCOME_WORDS[request.outcome]})",
            request_id,
        )
    if agreed_on < request.received_on:
        raise field_error(
            [*at, "agreed_on"],
            f"a day on or after its request was received ({dmy(request.received_on)})",
            agreed_on.isoformat(),
        )


# Outcomes and agreements -------------------------------------------------------------------------


def recorded_outcomes(
    session: Session, scenario_id: int, districts: Iterable[str]
) -> dict[str, OutcomeRow]:
    """Outcomes recorded through the service, by request id."""
    rows = session.scalars(
        select(OutcomeRow).where(
            OutcomeRow.scenario_id == scenario_id, OutcomeRow.district.in_(list(districts))
        )
    )
    return {r.request_id: r for r in rows}


def agreed_cases(session: Session, scenario_id: int) -> dict[str, str]:
    """Request id -> the case id of the agreement naming it (open or closed)."""
    rows = session.execute(
        select(AgreementRow.request_id, AgreementRow.case_id)
        .where(AgreementRow.scenario_id == scenario_id, AgreementRow.request_id.is_not(None))
        .order_by(AgreementRow.id)
    )
    return {str(request_id): case_id for request_id, case_id in rows}


def record_outcome(
    session: Session,
    base: Scenario,
    scenario_id: int,
    scope: Scope,
    user: User,
    request_id: str,
    body: OutcomeIn,
) -> OutcomeRow:
    """Record (or replace) a request's outcome with its audit entry; the caller commits."""
    request = find_request(base, scope, request_id)
    if body.decided_on < request.received_on:
        raise field_error(
            ["body", "decided_on"],
            f"a day on or after the request was received ({dmy(request.received_on)})",
            body.decided_on.isoformat(),
        )
    case_id = agreed_cases(session, scenario_id).get(request_id)
    if case_id is not None and body.outcome != RequestOutcome.SPECIALIST:
        raise Conflict(
            f"request {request_id} already became the agreement of case {case_id}: "
            "its outcome can only be specialist intervention"
        )
    row = session.scalars(
        select(OutcomeRow).where(
            OutcomeRow.scenario_id == scenario_id, OutcomeRow.request_id == request_id
        )
    ).first()
    before = None if row is None else {"outcome": row.outcome, "decided_on": str(row.decided_on)}
    if row is None:
        row = OutcomeRow(
            scenario_id=scenario_id, request_id=request_id, district=district_of(base, request)
        )
        session.add(row)
    row.outcome = body.outcome.value
    row.decided_on = body.decided_on
    row.note = body.note
    row.case_id = case_id
    row.recorded_by = user.id
    session.flush()
    detail: dict[str, Any] = {"outcome": row.outcome, "decided_on": body.decided_on.isoformat()}
    if before is not None:
        detail["before"] = before
    audit.record(session, user, "request.outcome", "request", request_id, scenario_id, detail)
    return row


def outcome_out(row: OutcomeRow) -> OutcomeOut:
    """A stored outcome as the API gives it."""
    return OutcomeOut(
        request_id=row.request_id,
        district=row.district,
        outcome=row.outcome,
        decided_on=row.decided_on,
        note=row.note or "",
        case_id=row.case_id,
    )


# Agendas ----------------------------------------------------------------------------------------


class AgendaStore:
    """Agendas planned in this process, per scenario, districts, window and rotas in use (a new rota
    accepted is a new key): the inbox, the agenda and the printable page agree."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._plans: OrderedDict[tuple[Any, ...], AgendaOutcome] = OrderedDict()
        self._lock = Lock()

    def get(self, key: tuple[Any, ...]) -> AgendaOutcome | None:
        with self._lock:
            found = self._plans.get(key)
            if found is not None:
                self._plans.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], outcome: AgendaOutcome) -> None:
        with self._lock:
            self._plans[key] = outcome
            while len(self._plans) > self._size:
                self._plans.popitem(last=False)


_STORES: WeakKeyDictionary[ScenarioCache, AgendaStore] = WeakKeyDictionary()
_STORES_LOCK = Lock()


def agenda_store(cache: ScenarioCache) -> AgendaStore:
    """The agenda store of an app (one per scenario cache, so apps never share agendas)."""
    with _STORES_LOCK:
        found = _STORES.get(cache)
        if found is None:
            found = _STORES[cache] = AgendaStore()
        return found


def no_rota(district: str) -> Conflict:
    return Conflict(
        f"no rota is accepted for {district} yet: plan the rota on the Rota tab and accept it, "
        "then the agenda can be planned"
    )


def plan_for(
    session: Session,
    cache: ScenarioCache,
    row: ScenarioRow,
    districts: Sequence[str],
    start: date | None,
    end: date | None,
    workers: int,
) -> tuple[AgendaOutcome, Rota, Scenario] | None:
    """The agenda of `districts`' requests on their rotas in use (planned, or as planned before);
    None when none of them has a rota accepted."""
    base = cache.base(row)
    sources = current_sources(session, row.id, list(districts))
    if not sources:
        return None
    chosen = sorted(sources)
    rota = current_rota(session, row.id, chosen) or Rota()
    part = base.model_copy(update={"requests": tuple(requests_of(base, chosen))})
    store = agenda_store(cache)
    key = (row.id, tuple((d, sources[d]) for d in chosen), start, end)
    outcome = store.get(key)
    if outcome is None:
        params = SolveParams(time_limit=AGENDA_SECONDS, workers=workers)
        outcome = plan_agenda(part, rota, start=start, end=end, params=params)
        store.put(key, outcome)
    return outcome, rota, part


def year_agendas(
    session: Session,
    cache: ScenarioCache,
    row: ScenarioRow,
    districts: Sequence[str],
    workers: int,
) -> dict[str, Agenda]:
    """Each district's agenda of the whole year on its rota in use (each district planned on its
    own, as the agenda route plans it); districts without a rota in use are left out."""
    found: dict[str, Agenda] = {}
    for district in districts:
        planned = plan_for(session, cache, row, [district], None, None, workers)
        if planned is not None:
            found[district] = planned[0].agenda
    return found


def _figures(agenda: Agenda, district: str) -> AgendaFiguresOut:
    rows = [r for r in agenda.by_district() if r.district == district]
    unplaced_weight = sum(
        u.weight for u in agenda.unplaced if u.district == district and u.kind != "no_consent"
    )
    if not rows:
        return AgendaFiguresOut(
            placed=0,
            county=0,
            unplaced=0,
            unplaced_weight=0,
            weighted_days=0,
            mean_days=None,
            worst_days=None,
        )
    r = rows[0]
    return AgendaFiguresOut(
        placed=r.placed,
        county=r.county,
        unplaced=r.unplaced,
        unplaced_weight=unplaced_weight,
        weighted_days=r.weighted_days,
        mean_days=r.mean_days,
        worst_days=r.worst_days,
    )


def _meeting_out(scenario: Scenario, agenda: Agenda, meeting: Meeting) -> AgendaMeetingOut:
    items = agenda.at(meeting)
    return AgendaMeetingOut(
        date=meeting.date,
        weekday=meeting.weekday,
        start=f"{meeting.start:%H:%M}",
        end=f"{meeting.end:%H:%M}",
        district=meeting.district,
        group=meeting.group,
        venue=meeting.venue,
        slot=meeting.slot,
        capacity=scenario.slot_by_id[meeting.slot].case_capacity,
        request_ids=[i.request_id for i in items],
        urgent_ids=[i.request_id for i in items if i.urgent],
    )


def agenda_out(
    session: Session,
    cache: ScenarioCache,
    row: ScenarioRow,
    district: str,
    start: date | None,
    end: date | None,
    workers: int,
) -> AgendaOut:
    """One district's agenda on its rota in use (Conflict when none is accepted)."""
    planned = plan_for(session, cache, row, [district], start, end, workers)
    if planned is None:
        raise no_rota(district)
    outcome, _, part = planned
    agenda = outcome.agenda
    county = sorted(
        (i for i in agenda.items if i.route == "county" and i.district == district),
        key=lambda i: (i.received_on, i.request_id),
    )
    return AgendaOut(
        district=district,
        start=start,
        end=end,
        meetings=[_meeting_out(part, agenda, m) for m in agenda.meetings if m.district == district],
        county=[
            CountyItemOut(
                request_id=i.request_id,
                received_on=i.received_on,
                urgent=i.urgent,
                school_days=i.school_days_to_meeting,
            )
            for i in county
        ],
        unplaced=[
            UnplacedOut(
                request_id=u.request_id,
                received_on=u.received_on,
                urgent=u.urgent,
                reason=dmy(u.reason),
            )
            for u in agenda.unplaced
            if u.district == district
        ],
        ours=_figures(agenda, district),
        first_come=_figures(outcome.baseline, district),
        proven_optimal=outcome.proven_optimal,
        checked=outcome.check.ok,
        breaches=list(outcome.check.breaches),
    )


def meeting_on_agenda(
    session: Session,
    cache: ScenarioCache,
    row: ScenarioRow,
    district: str,
    day: date,
    group: str,
    workers: int,
    start: date | None,
    end: date | None,
) -> tuple[Meeting, Agenda]:
    """A meeting of `group` on `day` in the district's agenda of the requests received in
    [start, end], with that agenda."""
    planned = plan_for(session, cache, row, [district], start, end, workers)
    if planned is None:
        raise no_rota(district)
    agenda = planned[0].agenda
    for meeting in agenda.meetings:
        if meeting.date == day and meeting.group == group and meeting.district == district:
            return meeting, agenda
    raise NotFound(f"no meeting of {group} on {dmy(day)} has requests on its agenda")


# The inbox --------------------------------------------------------------------------------------


def inbox(
    session: Session,
    cache: ScenarioCache,
    row: ScenarioRow,
    districts: Sequence[str],
    workers: int,
) -> list[RequestOut]:
    """Every request of `districts`, in order of receipt, with where it stands."""
    base = cache.base(row)
    outcomes = recorded_outcomes(session, row.id, districts)
    cases = agreed_cases(session, row.id)
    agendas = year_agendas(session, cache, row, districts, workers)
    placed = {i.request_id: i for a in agendas.values() for i in a.items}
    left = {u.request_id: u for a in agendas.values() for u in a.unplaced}
    county_days = base.settings.agenda.county_route_days
    out = []
    for request in requests_of(base, districts):
        district = district_of(base, request)
        school = base.school_by_urn[request.school_urn]
        stored = outcomes.get(request.request_id)
        outcome = request.outcome.value if request.outcome is not None else None
        decided_on = request.decided_on
        note = ""
        if stored is not None:
            outcome, decided_on, note = stored.outcome, stored.decided_on, stored.note or ""
        case_id = cases.get(request.request_id)
        item = placed.get(request.request_id)
        meeting_date = item.meeting_date if item is not None else None
        group = item.group if item is not None else None
        reason = dmy(left[request.request_id].reason) if request.request_id in left else None
        if case_id is not None:
            status, text = "agreed", f"agreed: case {case_id}"
        elif outcome is not None:
            words = OUTCOME_WORDS.get(RequestOutcome(outcome), outcome)
            when = f" on {dmy(decided_on)}" if decided_on is not None else ""
            status, text = "decided", f"decided{when}: {words}"
        elif request.county_route:
            status = "waiting"
            text = f"with the county coordinators: decided within {county_days} school days"
        elif meeting_date is not None:
            status, text = "agenda", f"on the agenda of {group} on {dmy(meeting_date)}"
        elif reason is not None:
            status, text = "waiting", f"waiting: {reason}"
        elif district not in agendas:
            status, text = "waiting", "waiting for a meeting (no rota is accepted yet)"
        else:
            status, text = "waiting", "waiting for a meeting"
        out.append(
            RequestOut(
                request_id=request.request_id,
                school_urn=request.school_urn,
                school_name=school.name,
                district=district,
                received_on=request.received_on,
                need_type=request.need_type.value,
                sen_stage=request.sen_stage.value,
                lac=request.lac,
                urgent=request.urgent,
                consent=str(request.consent),
                county_route=request.county_route,
                status=status,
                status_text=text,
                meeting_date=meeting_date,
                group=group,
                reason=reason,
                outcome=outcome,
                decided_on=decided_on,
                note=note,
                case_id=case_id,
            )
        )
    return out


# The whole wait ---------------------------------------------------------------------------------


def with_outcomes(scenario: Scenario, outcomes: dict[str, OutcomeRow]) -> Scenario:
    """`scenario` with the outcomes recorded through the service in place of the file's."""
    if not outcomes:
        return scenario
    requests = tuple(
        r.model_copy(
            update={
                "outcome": RequestOutcome(outcomes[r.request_id].outcome),
                "decided_on": outcomes[r.request_id].decided_on,
            }
        )
        if r.request_id in outcomes
        else r
        for r in scenario.requests
    )
    return scenario.model_copy(update={"requests": requests})


def _summary_out(rows: Sequence[Any]) -> list[WaitSummaryOut]:
    return [WaitSummaryOut.model_validate(r.model_dump()) for r in rows]


def waits(
    session: Session, cache: ScenarioCache, row: ScenarioRow, districts: Sequence[str]
) -> WaitsOut:
    """The whole wait of every open case with a request in `districts` (the plan in use for the
    start; the meeting is the outcome's day, else the agreement's), and its summaries."""
    scenario = with_outcomes(
        live_scenario(session, cache, row), recorded_outcomes(session, row.id, districts)
    )
    wanted = set(districts)
    found: list[CaseWait] = [w for w in whole_waits(scenario) if w.district in wanted]
    tables = summary_tables(found)
    return WaitsOut(
        cases=[CaseWaitOut.model_validate(w.model_dump(mode="json")) for w in found],
        by_district=_summary_out(tables["district"]),
        by_need_type=_summary_out(tables["need type"]),
        by_urgency=_summary_out(tables["urgency"]),
    )
