"""Solve jobs: list, progress, result, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel
from sqlalchemy import select

from api import audit
from api.db.models import JobRow, RotaRow, ScenarioRow, SimulationRow, User, utcnow
from api.deps import CurrentUser, JobsDep, Planner, SessionDep, scope_of
from api.errors import responses
from api.schemas.caseload import CaseloadResultOut
from api.schemas.jobs import JobOut
from api.schemas.rota import MeetingOut, RotaAnalysisOut
from api.schemas.simulation import SimulationOut
from api.security import Role
from api.services.caseload import caseload_result_out
from api.services.rota import rule_descriptions, rule_explanations
from api.services.simulation import simulation_out
from api.views import meeting_out, rota_analysis_out

JobId = Annotated[str, Path(min_length=1, max_length=64)]

router = APIRouter(prefix="/api/jobs", tags=["jobs"], responses=responses(401, 422))


class JobResultOut(BaseModel):
    """A finished job's result: a rota (its score and meetings), a caseload plan or a simulation."""

    job: JobOut
    rota: RotaAnalysisOut | None = None
    meetings: list[MeetingOut] = []
    caseload: CaseloadResultOut | None = None
    simulation: SimulationOut | None = None


def _visible(session: SessionDep, user: User, job_id: str) -> JobRow:
    job = session.get(JobRow, job_id)
    if job is None or not _sees(user, job):
        raise HTTPException(404, f"job {job_id} not found")
    return job


def _sees(user: User, job: JobRow) -> bool:
    return user.district is None or job.district == user.district


def _own_model(session: SessionDep, job: JobRow, district: str) -> bool:
    """Whether the job's model covered `district` alone: a district's caseload plan, or a rota
    that, once solved, binds no other district. A rebalance is always planned on the county."""
    if job.district != district:
        return False
    if job.kind == "caseload_plan":
        return True
    if job.kind == "rota" and job.result_id is not None:
        rota = session.get(RotaRow, job.result_id)
        return rota is not None and set(rota.districts) <= {district}
    return False


def job_out(session: SessionDep, user: User, job: JobRow) -> JobOut:
    """A job for `user`: the solver's objective and bound are county figures when the model also
    covered other districts, so a user of one district gets them only for a model of theirs alone."""
    out = JobOut.model_validate(job)
    if job.status == "running" and job.started_at is not None and 0 < job.progress < 1:
        used = max(0.0, (utcnow() - job.started_at).total_seconds())
        out = out.model_copy(
            update={"seconds_left": round(used * (1 - job.progress) / job.progress, 1)}
        )
    if user.district is None or _own_model(session, job, user.district):
        return out
    return out.model_copy(update={"objective": None, "best_bound": None})


@router.get("", response_model=list[JobOut])
def list_jobs(session: SessionDep, user: CurrentUser) -> list[JobOut]:
    """The newest jobs you can see (a coordinator's: their district's)."""
    query = select(JobRow).order_by(JobRow.created_at.desc()).limit(50)
    if user.district is not None:
        query = query.where(JobRow.district == user.district)
    return [job_out(session, user, job) for job in session.scalars(query)]


@router.get("/{job_id}", response_model=JobOut, responses=responses(404))
def get_job(job_id: JobId, session: SessionDep, user: CurrentUser) -> JobOut:
    """A job's status and progress (poll this while it runs)."""
    return job_out(session, user, _visible(session, user, job_id))


@router.get("/{job_id}/result", response_model=JobResultOut, responses=responses(403, 404, 409))
def job_result(job_id: JobId, session: SessionDep, user: CurrentUser) -> JobResultOut:
    """What a succeeded job produced (409 while it runs, or when it failed or was cancelled)."""
    job = _visible(session, user, job_id)
    if job.status != "succeeded" or job.result_id is None:
        detail = f"job {job_id} is {job.status}"
        raise HTTPException(409, f"{detail}: {job.message}" if job.message else detail)
    scenario = session.get(ScenarioRow, job.scenario_id)
    if scenario is None:
        raise HTTPException(404, f"job {job_id} not found")
    scope = scope_of(user, scenario)
    out = JobResultOut(job=job_out(session, user, job))
    if job.kind == "simulation":
        if user.role != Role.COUNTY_OFFICER.value:
            raise HTTPException(403, f"needs the role {Role.COUNTY_OFFICER.value}")
        simulation = session.get(SimulationRow, job.result_id)
        if simulation is None:
            raise HTTPException(404, "the job's simulation no longer exists")
        out.simulation = simulation_out(simulation)
    elif job.kind == "rota":
        rota = session.get(RotaRow, job.result_id)
        if rota is None:
            raise HTTPException(404, "the job's rota no longer exists")
        analysis = rota_analysis_out(session, rota, scope, rule_descriptions())
        out.rota = analysis.model_copy(update={"explanations": rule_explanations()})
        out.meetings = [meeting_out(m) for m in rota.meetings if m.district in scope.districts]
    else:
        out.caseload = caseload_result_out(session, scenario, job.result_id, scope)
    return out


@router.post("/{job_id}/cancel", response_model=JobOut, responses=responses(403, 404, 409))
def cancel_job(job_id: JobId, session: SessionDep, jobs: JobsDep, user: Planner) -> JobOut:
    """Cancel a queued or running job; nothing of it is saved."""
    job = _visible(session, user, job_id)
    if not jobs.cancel(job_id):
        raise HTTPException(409, f"job {job_id} has already finished ({job.status})")
    audit.record(session, user, "job.cancel", "job", job_id, job.scenario_id)
    session.commit()
    session.refresh(job)
    return job_out(session, user, job)
