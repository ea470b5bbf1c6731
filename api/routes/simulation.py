"""The year simulated: a county officer runs saved staffing variants beside the scenario's own staffing
(a job) and reads the simulated whole waits side by side, per district, variant and policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import Response

from api import audit
from api.db.models import SimulationRow
from api.deps import CacheDep, JobsDep, Officer, ScenarioDep, SessionDep, SettingsDep
from api.errors import responses
from api.schemas.jobs import JobOut
from api.schemas.simulation import SimulationBriefOut, SimulationIn, SimulationOut
from api.services import simulation as service
from api.services.errors import field_error

router = APIRouter(
    prefix="/api/scenarios/{scenario_id}/simulations",
    tags=["simulation"],
    responses=responses(401, 403, 404, 422),
)

SimulationId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.post("", response_model=JobOut, status_code=202, responses=responses(400, 413))
def start_simulation(
    body: SimulationIn,
    scenario: ScenarioDep,
    session: SessionDep,
    cache: CacheDep,
    jobs: JobsDep,
    settings: SettingsDep,
    user: Officer,
) -> JobOut:
    """Start simulating the year under the scenario's own staffing and each saved variant chosen, for
    each policy and seed. Poll the job; the result is read with GET .../simulations/{id}."""
    for name in ("rebalance_seconds", "clairvoyant_seconds"):
        if getattr(body, name) > settings.max_time_limit:
            raise field_error(
                ["body", name], f"at most {settings.max_time_limit:g} s", getattr(body, name)
            )
    rows = service.saved_variants(session, scenario.id, body.variants)
    params = service.job_params(cache.base(scenario), body, rows, settings.solver_workers)
    audit.record(
        session,
        user,
        "simulation.start",
        "scenario",
        scenario.id,
        scenario.id,
        {
            "variants": body.variants,
            "policies": [p.value for p in body.policies],
            "seeds": body.seeds,
        },
    )
    job = jobs.submit(session, "simulation", scenario.id, user.id, None, params)
    return JobOut.model_validate(job)


@router.get("", response_model=list[SimulationBriefOut])
def list_simulations(
    scenario: ScenarioDep, session: SessionDep, user: Officer
) -> list[SimulationBriefOut]:
    """The scenario's simulations, newest first."""
    return [service.brief_out(row) for row in service.simulations_of(session, scenario.id)]


def _simulation(session: SessionDep, scenario_id: int, simulation_id: int) -> SimulationRow:
    row = session.get(SimulationRow, simulation_id)
    if row is None or row.scenario_id != scenario_id:
        raise HTTPException(404, f"no simulation {simulation_id} in this scenario")
    return row


@router.get("/{simulation_id}", response_model=SimulationOut)
def get_simulation(
    simulation_id: SimulationId, scenario: ScenarioDep, session: SessionDep, user: Officer
) -> SimulationOut:
    """One simulation: the whole waits per district, variant and policy (the county first), a
    sentence per district a variant changed, and the printed summary."""
    return service.simulation_out(_simulation(session, scenario.id, simulation_id))


@router.get(
    "/{simulation_id}/summary.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "summary.csv"}},
)
def simulation_csv(
    simulation_id: SimulationId, scenario: ScenarioDep, session: SessionDep, user: Officer
) -> Response:
    """The simulation's summary.csv (policy, variant, district, requests, agreements, started,
    median_days, p90_days, over_20, fte)."""
    data = service.summary_csv(_simulation(session, scenario.id, simulation_id))
    return Response(
        data,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="simulation-{simulation_id}.csv"'},
    )
