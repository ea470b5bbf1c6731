"""The year simulated (job kind "simulation"): saved staffing variants beside the scenario's own
staffing, run by `allocator.simulate` in the job's worker; the summary stored, read back with a sentence
per district a variant changed, and written as summary.csv."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from allocator.io.simulation_export import write_summary_csv
from allocator.model import Scenario, ScenarioError
from allocator.model.simulation import (
    COUNTY,
    SCENARIO_VARIANT,
    Arrivals,
    Policy,
    SimSummaryRow,
    SimulationResult,
    SimulationSettings,
)
from allocator.model.staffing_result import StaffingAllocation
from allocator.simulate.arrivals import year_requests
from allocator.staffing.formula import team_capacity_from_staffing
from api.db.models import JobRow, ScenarioRow, SimulationRow, StaffingRow
from api.jobs import JobFailed
from api.schemas.simulation import (
    SimulationBriefOut,
    SimulationIn,
    SimulationOut,
    SimulationRowOut,
)
from api.services.caseload import school_weeks
from api.services.errors import field_error
from api.store import ScenarioCache, live_scenario
from api.worker import SimulationOutput, SimulationTask

SETUP_SECONDS = 120.0
"""A task's time beyond its weeks (rota, requests, decisions), for the job's deadline."""
WEEK_SECONDS = 2.0
"""A week's time beyond its solvers' limits (building and checking), for the job's deadline."""
SCENARIO_WORDS = "the scenario's staffing"
POLICY_WORDS = {
    Policy.OPTIMISED.value: "planned by this tool",
    Policy.FIRST_COME.value: "by hand, first come first served",
    Policy.CLAIRVOYANT.value: "the limit, knowing every request in advance",
}
"""The policies in the page's words."""


def variant_names(rows: Sequence[StaffingRow]) -> list[str]:
    """Each saved variant's name in a run: its label, made unique (and never the scenario's own)."""
    taken = {SCENARIO_VARIANT}
    names = []
    for row in rows:
        name, n = row.label, 1
        while name in taken:
            n += 1
            name = f"{row.label} ({n})"
        taken.add(name)
        names.append(name)
    return names


def saved_variants(session: Session, scenario_id: int, ids: Sequence[int]) -> list[StaffingRow]:
    """The saved staffing variants `ids` of the scenario, in the order given (422 naming a missing
    or repeated one)."""
    rows = []
    for index, variant_id in enumerate(ids):
        row = session.get(StaffingRow, variant_id)
        if row is None or row.scenario_id != scenario_id:
            raise field_error(
                ["body", "variants", index],
                f"a saved staffing variant of this scenario (there is none numbered {variant_id})",
                variant_id,
            )
        if variant_id in ids[:index]:
            raise field_error(
                ["body", "variants", index],
                f"each variant once ('{row.label}' is twice)",
                variant_id,
            )
        rows.append(row)
    return rows


def simulation_settings(base: Scenario, body: SimulationIn) -> SimulationSettings:
    """The run's settings; arrivals from requests.csv when the scenario has requests, else the
    model (422 when requests are asked for and there are none)."""
    arrivals = body.arrivals
    if arrivals is None:
        arrivals = Arrivals.REQUESTS if base.requests else Arrivals.MODEL
    if arrivals is Arrivals.REQUESTS and not base.requests:
        raise field_error(
            ["body", "arrivals"],
            "model: this scenario has no requests.csv, so the arrivals must be drawn from the model",
            arrivals.value,
        )
    return SimulationSettings(
        policies=tuple(dict.fromkeys(body.policies)),
        seeds=body.seeds,
        arrivals=arrivals,
        rebalance_seconds=body.rebalance_seconds,
        clairvoyant_seconds=body.clairvoyant_seconds,
    )


def deadline_seconds(
    base: Scenario, settings: SimulationSettings, variants: int, workers: int
) -> float:
    """A generous bound on the run's time (the job's time limit; its worker is ended past it): each
    week's agenda and rebalance at their limits with time to build them, and the year's set-up."""
    weeks = len(school_weeks(base))
    limit = settings.rebalance_seconds
    per_task = {
        Policy.OPTIMISED: weeks * (3 * limit + WEEK_SECONDS),
        Policy.FIRST_COME: weeks * (limit + WEEK_SECONDS),
        Policy.CLAIRVOYANT: 2 * settings.clairvoyant_seconds + weeks * WEEK_SECONDS,
    }
    one_of_each = sum(per_task[p] + SETUP_SECONDS for p in settings.policies)
    tasks = len(settings.policies) * variants * settings.seeds
    return round(one_of_each * variants * settings.seeds / max(1, min(workers, tasks)), 1)


def job_params(
    base: Scenario, body: SimulationIn, rows: Sequence[StaffingRow], workers: int
) -> dict[str, Any]:
    """The job's params: what to run and its time limit."""
    settings = simulation_settings(base, body)
    return {
        "settings": settings.model_dump(mode="json"),
        "variants": [
            {"name": n, "staffing_id": r.id} for n, r in zip(variant_names(rows), rows, strict=True)
        ],
        "time_limit": deadline_seconds(base, settings, len(rows) + 1, workers),
    }


class SimulationJobs:
    """The simulation's job handler: the live scenario and the variants' capacities in, the summary
    out as one simulations row."""

    def __init__(self, cache: ScenarioCache, workers: int) -> None:
        self._cache = cache
        self._workers = workers

    def prepare(self, session: Session, job: JobRow) -> SimulationTask:
        """The live scenario (its agreements fit the decisions' mix) and each variant's team
        capacities (None: the scenario's own people)."""
        row = session.get(ScenarioRow, job.scenario_id)
        if row is None:
            raise JobFailed("the scenario no longer exists")
        scenario = live_scenario(session, self._cache, row)
        settings = SimulationSettings.model_validate(job.params["settings"])
        try:
            year_requests(scenario, settings.arrivals, 0)
        except ScenarioError as error:
            raise JobFailed(
                "there is nothing to simulate: " + "; ".join(str(p) for p in error.problems)
            ) from None
        capacities: dict[str, dict[str, int] | None] = {SCENARIO_VARIANT: None}
        for variant in job.params["variants"]:
            saved = session.get(StaffingRow, variant["staffing_id"])
            if saved is None or saved.scenario_id != row.id:
                raise JobFailed(f"the saved staffing variant '{variant['name']}' no longer exists")
            allocation = StaffingAllocation.model_validate(saved.result)
            capacities[variant["name"]] = team_capacity_from_staffing(scenario, allocation)
        return SimulationTask(
            scenario=scenario, variants=capacities, settings=settings, workers=self._workers
        )

    def persist(self, session: Session, job: JobRow, output: Any) -> tuple[int, str]:
        """One simulations row: the settings and the summary rows."""
        if not isinstance(output, SimulationOutput):
            raise JobFailed("the simulation returned no result")
        row = SimulationRow(
            scenario_id=job.scenario_id,
            job_id=job.id,
            settings={
                **job.params["settings"],
                "variants": [SCENARIO_VARIANT] + [v["name"] for v in job.params["variants"]],
                "staffing_ids": [v["staffing_id"] for v in job.params["variants"]],
            },
            summary=[r.model_dump(mode="json") for r in output.summary],
            printed=output.printed,
            seconds=output.seconds,
            created_by=job.user_id,
        )
        session.add(row)
        session.flush()
        return row.id, summary_line(output.summary, output.seconds)


def _days(value: float | None) -> str:
    return "no case started" if value is None else f"{value:g} school days"


def summary_line(rows: Sequence[SimSummaryRow], seconds: float) -> str:
    """The job's one line: the county's median whole wait per policy under the scenario's staffing."""
    county = [r for r in rows if r.district == COUNTY and r.variant == SCENARIO_VARIANT]
    waits = "; ".join(f"{POLICY_WORDS[r.policy.value]}: {_days(r.median_days)}" for r in county)
    return f"simulated in {seconds:.0f} s; county median whole wait under {SCENARIO_WORDS}, {waits}"


def main_policy(policies: Sequence[str]) -> str:
    """The policy the sentences speak of: optimised when it ran, else the first."""
    return Policy.OPTIMISED.value if Policy.OPTIMISED.value in policies else policies[0]


def sentences(rows: Sequence[SimulationRowOut], variants: Sequence[str], policy: str) -> list[str]:
    """A sentence per district whose FTE (or, FTE unknown, whose median) a variant changed, e.g.
    "Swale: median whole wait 24 school days under 'swale-plus-2' against 31 under the scenario's
    staffing"."""
    found = {(r.policy, r.variant, r.district): r for r in rows if r.policy == policy}
    districts = list(dict.fromkeys(r.district for r in rows if r.district != COUNTY))
    said = []
    tail = "" if policy == Policy.OPTIMISED.value else f" ({POLICY_WORDS.get(policy, policy)})"
    for variant in variants:
        if variant == SCENARIO_VARIANT:
            continue
        for district in districts:
            mine = found.get((policy, variant, district))
            base = found.get((policy, SCENARIO_VARIANT, district))
            if mine is None or base is None:
                continue
            known = mine.fte is not None and base.fte is not None
            if (mine.fte != base.fte) if known else (mine.median_days != base.median_days):
                theirs = "no case started" if base.median_days is None else f"{base.median_days:g}"
                said.append(
                    f"{district}: median whole wait {_days(mine.median_days)} under '{variant}' "
                    f"against {theirs} under {SCENARIO_WORDS}{tail}"
                )
    return said


def brief_out(row: SimulationRow) -> SimulationBriefOut:
    """A simulation in the list."""
    return SimulationBriefOut(
        id=row.id,
        created_at=row.created_at,
        variants=list(row.settings.get("variants", [])),
        policies=list(row.settings.get("policies", [])),
        seeds=int(row.settings.get("seeds", 1)),
        arrivals=str(row.settings.get("arrivals", "")),
        seconds=row.seconds,
    )


def simulation_out(row: SimulationRow) -> SimulationOut:
    """A simulation's waits side by side, the county first in each policy and variant."""
    brief = brief_out(row)
    rows = [SimulationRowOut.model_validate(r) for r in row.summary]
    rows.sort(key=lambda r: r.district != COUNTY)
    return SimulationOut(
        **brief.model_dump(),
        scenario_id=row.scenario_id,
        rows=rows,
        sentences=sentences(rows, brief.variants, main_policy(brief.policies)),
        printed=row.printed,
    )


def simulations_of(session: Session, scenario_id: int, limit: int = 50) -> list[SimulationRow]:
    """The scenario's simulations, newest first."""
    return list(
        session.scalars(
            select(SimulationRow)
            .where(SimulationRow.scenario_id == scenario_id)
            .order_by(SimulationRow.id.desc())
            .limit(limit)
        )
    )


def summary_csv(row: SimulationRow) -> bytes:
    """summary.csv as `lift simulate` writes it (text cells made safe for spreadsheets)."""
    result = SimulationResult(
        waits=(),
        summary=tuple(SimSummaryRow.model_validate(r) for r in row.summary),
        variants=tuple(row.settings.get("variants", [])),
        seeds=int(row.settings.get("seeds", 1)),
        seconds=row.seconds,
    )
    with tempfile.TemporaryDirectory(prefix="lift-export-") as folder:
        return write_summary_csv(result, Path(folder) / "summary.csv").read_bytes()
