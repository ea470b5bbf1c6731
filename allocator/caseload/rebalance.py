"""Rebalancing: fit new agreements into a current plan, keeping its promises, never moving running
support, and say why each planned case moved.

A planned start is a promise to a school and a family. Only the parts the new agreements touch (or
whose plan no longer holds) are solved again, and in them only the planned cases of the people who
could take a new agreement are opened up. The planner's rebalance levels (`allocator.caseload.plan`)
then, in order: start the most urgent weight; break the fewest promises (a planned case that starts
later, with someone else, or not at all); start the most other priority weight (a routine case that
does not fit around the promises waits); shorten waits, travel and imbalance; and move and shift the
fewest planned cases. A case that starts earlier is good news, and is reported as such. Each broken
promise names the cases that took its time. `changes.csv`'s reasons are written here.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from allocator.caseload.check import unlisted_changes
from allocator.caseload.data import (
    build_instance,
    district_team,
    evaluate,
    placement_errors,
    scope_plan,
)
from allocator.caseload.outcome import PartSolve, RebalanceOutcome, make_outcome
from allocator.caseload.parts import MIN_PART_SECONDS, globalise, localise
from allocator.caseload.plan import formulation_for, solve_parts
from allocator.instances.caseload import CaseloadInstance, Placement
from allocator.model import (
    Agreement,
    PlannedSupport,
    PlanStatus,
    Scenario,
    ScenarioError,
    find_problems,
)
from allocator.model.caseload_result import Assignment, CaseloadPlan, Change
from allocator.model.cases import CONSENT_WITHDRAWN
from allocator.model.scenario import Problem
from allocator.solve import ProgressFn, SolveParams, Status

REBALANCE_TAIL_FACTOR = 2.0
"""A rebalance's solver gets its time limit less this many times what building took (the rest
decodes, checks and scores the plan), so the time limit holds for the whole call."""
REBALANCE_SOLVER_SHARE = 0.93
"""At most this share of a rebalance's time limit goes to the solver: each of its solves starts and
stops a little past its own limit."""


def with_new_agreements(scenario: Scenario, new_agreements: Iterable[Agreement]) -> Scenario:
    """The scenario with agreements added (checked like any scenario: a clash or unknown school is refused)."""
    new = tuple(new_agreements)
    if not new:
        return scenario
    fields = {name: getattr(scenario, name) for name in type(scenario).model_fields}
    fields["agreements"] = (*scenario.agreements, *new)
    problems = find_problems(Scenario.model_construct(**fields))
    if problems:
        raise ScenarioError(
            [
                p.model_copy(update={"file": "new agreements"}) if p.file == "agreements.csv" else p
                for p in problems
            ]
        )
    return Scenario.model_validate(fields)


def plan_rows(plan: CaseloadPlan) -> list[PlannedSupport]:
    """A plan's assignments as rows of a current plan."""
    return [
        PlannedSupport(
            case_id=a.case_id, person_id=a.person_id, start=a.start, end=a.end, status=a.status
        )
        for a in plan.assignments
    ]


def rebalance(
    scenario: Scenario,
    current: CaseloadPlan,
    new_agreements: Sequence[Agreement] = (),
    params: SolveParams | None = None,
    today: date | None = None,
    *,
    engine: str = "auto",
    capacity_override: Mapping[str, int] | None = None,
    progress: ProgressFn | None = None,
    proof_seconds: float = 0.0,
    district: str | None = None,
    policy: str = "promises",
) -> RebalanceOutcome:
    """Fit new agreements into the current plan, keeping its promises and never moving running support.

    Only the planned cases of the people who could take a new agreement are opened up again (with
    the new and the waiting cases); the rest of the plan stays where it is. Among those plans it
    starts the most urgent weight, then breaks the fewest promises, then starts the most other
    priority weight, then shortens waits, travel and imbalance, then moves and shifts the fewest
    planned cases. With no new agreements nothing changes.
    `params.time_limit` bounds the whole call, building, decoding and checking included;
    `proof_seconds` (per part the new agreements touch) may be added to prove the fewest broken
    promises, or find fewer, where the time limit left it unproven. With `district`, only that
    district team's cases are rebalanced and reported (`district_team`); new agreements must be its.
    `policy` other than `promises` runs a baseline (`allocator.caseload.plan.REBALANCE_POLICIES`).
    """
    started = time.perf_counter()
    params = params or SolveParams()
    formulation = formulation_for(engine)
    known = {a.case_id for a in scenario.agreements}
    unknown = [a.case_id for a in current.assignments if a.case_id not in known]
    if unknown:
        raise ScenarioError(
            [
                Problem(
                    file="current plan",
                    column="case_id",
                    value=case,
                    expected="a case_id of agreements.csv",
                )
                for case in unknown
            ]
        )
    full = with_new_agreements(scenario, new_agreements)
    if district is not None:
        _refuse_others(full, district, new_agreements)
        full = district_team(full, district)
        current = scope_plan(current, full)
    instance = build_instance(
        full, capacity_override=capacity_override, today=today, current_plan=plan_rows(current)
    )
    keep = {
        c: case.planned
        for c, case in enumerate(instance.cases)
        if case.planned is not None and case.planned.person >= 0
    }
    new_ids = {a.case_id for a in new_agreements}
    parts = instance.components()
    broken = [part for part in parts if _plan_broken(instance, part, keep)]
    affected = [
        part
        for part in parts
        if any(c.case_id in new_ids for c in part.cases) or any(part is b for b in broken)
    ]
    untouched = [part for part in parts if all(part is not a for a in affected)]
    placements, kept_parts = _keep_parts(instance, untouched, keep)
    # Only the planned cases of people who could take a new agreement are opened up again (all of a
    # part's when its plan no longer holds); the rest of the plan is held where it is.
    opened = {
        instance.people[o.person].person_id
        for c in instance.cases
        if c.case_id in new_ids
        for o in c.options
    } | {p.person_id for part in broken for p in part.people}
    local_parts = []
    for part in affected:
        planned = localise(instance, part, keep)
        held = {
            c: placement
            for c, placement in planned.items()
            if part.people[placement.person].person_id not in opened
        }
        local_parts.append(part.holding(held))
        placements.update(globalise(instance, part, held))
    # The time limit is for the whole call: what building took is kept back again for decoding,
    # checking and the KPIs after the solve, which cost about as much.
    built = time.perf_counter() - started
    solver_seconds = max(
        MIN_PART_SECONDS,
        REBALANCE_SOLVER_SHARE * params.time_limit - REBALANCE_TAIL_FACTOR * built,
    )
    solved, solved_parts = solve_parts(
        instance,
        local_parts,
        formulation,
        params.model_copy(update={"time_limit": solver_seconds}),
        progress,
        keep=keep,
        rebalance=True,
        proof_seconds=proof_seconds,
        policy=policy,
    )
    placements.update(solved)
    outcome = make_outcome(
        full,
        instance,
        placements,
        [*kept_parts, *solved_parts],
        formulation,
        started,
        capacity_override=capacity_override,
        today=today,
        before=current,
    )
    changes = _changes(full, current, outcome.plan, new_ids)
    unlisted = unlisted_changes(current, outcome.plan, changes)
    if unlisted:
        check = outcome.check.model_copy(update={"breaches": (*outcome.check.breaches, *unlisted)})
        outcome = dataclasses.replace(outcome, check=check)
    proven = all(
        any(lv.name == "broken_promises" and lv.status == Status.OPTIMAL for lv in part.levels)
        for part in solved_parts
        if part.results
    )
    return RebalanceOutcome(
        outcome=outcome,
        changes=tuple(changes),
        moved=sum(c.kind in ("broken", "earlier") for c in changes),
        broken=sum(c.kind == "broken" for c in changes),
        earlier=sum(c.kind == "earlier" for c in changes),
        proven_minimal=proven,
        resolved_teams=tuple(t for part in affected for t in part.teams),
        opened_people=tuple(sorted(opened)),
    )


def _refuse_others(scenario: Scenario, district: str, agreements: Sequence[Agreement]) -> None:
    """A district's rebalance takes only its own team's new agreements."""
    schools = {s.urn for s in scenario.schools if s.district == district}
    problems = [
        Problem(
            file="new agreements",
            column="school_urn" if a.school_urn not in schools else "need_type",
            value=a.case_id,
            expected=f"a case of {district}'s team (not another district's, nor a county pool's)",
        )
        for a in agreements
        if a.school_urn not in schools or a.need_type in scenario.pools
    ]
    if problems:
        raise ScenarioError(problems)


def _keep_parts(
    instance: CaseloadInstance, parts: Sequence[CaseloadInstance], keep: Mapping[int, Placement]
) -> tuple[dict[int, Placement], list[PartSolve]]:
    """Parts no new agreement touches keep their planned placements as they are."""
    placements: dict[int, Placement] = {}
    kept: list[PartSolve] = []
    for part in parts:
        local = localise(instance, part, keep)
        placements.update(globalise(instance, part, local))
        kept.append(PartSolve(part.teams, 0, (), evaluate(part, local)))
    return placements, kept


def _plan_broken(
    instance: CaseloadInstance, part: CaseloadInstance, keep: Mapping[int, Placement]
) -> bool:
    """Whether a part's planned cases can no longer all stay where they are."""
    if any(c.planned is not None and c.planned.person < 0 for c in part.cases):
        return True
    local = localise(instance, part, keep)
    return bool(placement_errors(part, local))


def _changes(
    scenario: Scenario,
    before: CaseloadPlan,
    after: CaseloadPlan,
    new_ids: set[str],
) -> list[Change]:
    """What moved, with a reason a coordinator can pass on to the school."""
    changes: list[Change] = []
    after_by_case = {a.case_id: a for a in after.assignments}
    before_ids = {a.case_id for a in before.assignments}
    without_consent = {a.case_id for a in scenario.agreements if not a.consent.plannable}
    urgent = {a.case_id for a in scenario.agreements if a.priority == 1}
    for old in before.assignments:
        new = after_by_case.get(old.case_id)
        if old.case_id in without_consent:
            withdrawal = _withdrawal_change(old, new)
            if withdrawal is not None:
                changes.append(withdrawal)
            continue
        if old.status != PlanStatus.PLANNED:
            continue
        if new is not None and new.person_id == old.person_id and new.start == old.start:
            continue
        if new is not None and new.person_id == old.person_id and new.start < old.start:
            changes.append(
                Change(
                    case_id=old.case_id,
                    before_person=old.person_id,
                    after_person=new.person_id,
                    before_start=old.start,
                    after_start=new.start,
                    kind="earlier",
                    reason=(
                        f"good news: {new.person_id} can start sooner, on {new.start.isoformat()} "
                        f"instead of {old.start.isoformat()}"
                    ),
                )
            )
            continue
        takers = _took_the_time(old, after, before_ids, new_ids)
        changes.append(
            Change(
                case_id=old.case_id,
                before_person=old.person_id,
                after_person=new.person_id if new is not None else None,
                before_start=old.start,
                after_start=new.start if new is not None else None,
                kind="broken",
                needed_by=";".join(takers),
                reason=_broken_reason(old, new, takers, urgent),
            )
        )
    for case_id in sorted(new_ids):
        new = after_by_case.get(case_id)
        waiting = after.waiting_of(case_id)
        reason = (
            f"new agreement: starts on {new.start.isoformat()} with {new.person_id}"
            if new is not None
            else f"new agreement: waits ({waiting.reason if waiting else 'not started'})"
        )
        changes.append(
            Change(
                case_id=case_id,
                after_person=new.person_id if new is not None else None,
                after_start=new.start if new is not None else None,
                kind="new",
                reason=reason,
            )
        )
    return changes


def _took_the_time(
    old: Assignment, after: CaseloadPlan, before_ids: set[str], new_ids: set[str]
) -> list[str]:
    """The cases that now hold the promised person's time in the promised weeks and did not before:
    new agreements first, then cases that were waiting."""
    takers = [
        a
        for a in after.assignments
        if a.person_id == old.person_id
        and a.case_id != old.case_id
        and a.start <= old.end
        and a.end >= old.start
        and (a.case_id in new_ids or a.case_id not in before_ids)
    ]
    takers.sort(key=lambda a: (a.case_id not in new_ids, a.start, a.case_id))
    return [a.case_id for a in takers]


def _broken_reason(
    old: Assignment, new: Assignment | None, takers: Sequence[str], urgent: set[str]
) -> str:
    if takers:
        named = ", ".join(f"{c} (urgent)" if c in urgent else c for c in takers[:3])
        more = f" and {len(takers) - 3} more" if len(takers) > 3 else ""
        cause = f"{old.person_id}'s time was needed by {named}{more}"
    else:
        cause = "the team's time was rearranged around newly agreed support"
    if new is None:
        return f"{cause}; the case now waits (see unassigned.csv for when it could start)"
    if new.person_id != old.person_id and new.start <= old.start:
        return f"{cause}; {new.person_id} takes the case, starting {new.start.isoformat()}"
    if new.person_id != old.person_id:
        return (
            f"{cause}; {new.person_id} takes the case, starting {new.start.isoformat()} "
            f"instead of {old.start.isoformat()}"
        )
    return (
        f"{cause}; the start moves later, from {old.start.isoformat()} to {new.start.isoformat()}"
    )


def _withdrawal_change(old: Assignment, new: Assignment | None) -> Change | None:
    """What withdrawing consent did to a case's support (None: nothing, e.g. finished support)."""
    if new is None:
        return Change(
            case_id=old.case_id,
            before_person=old.person_id,
            before_start=old.start,
            kind="withdrawn",
            reason=f"{CONSENT_WITHDRAWN}: the support planned with {old.person_id} is dropped",
        )
    if new.status == PlanStatus.WITHDRAWN and old.status != PlanStatus.WITHDRAWN:
        return Change(
            case_id=old.case_id,
            before_person=old.person_id,
            after_person=new.person_id,
            before_start=old.start,
            after_start=new.start,
            kind="withdrawn",
            reason=(
                f"{CONSENT_WITHDRAWN}: the support with {new.person_id} stops on "
                f"{new.end.isoformat()} (it was to run to {old.end.isoformat()})"
            ),
        )
    return None
