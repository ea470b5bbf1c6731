"""Solve jobs: list, progress, result, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel
from sqlalchemy import select

from api import audit
from api.db.models import JobRow, RotaRow, ScenarioRow, User
from api.deps import CurrentUser, JobsDep, Planner, SessionDep, scope_of
from api.errors import responses
from api.schemas.caseload import CaseloadResultOut
from api.schemas.jobs import JobOut
from api.schemas.rota import MeetingOut, RotaAnalysisOut
from api.services.caseload import caseload_result_out
from api.services.rota import rule_descriptions
from api.views import meeting_out, rota_analysis_out

JobId = Annotated[str, Path(min_length=1, max_length=64)]

router = APIRouter(prefix="/api/jobs", tags=["jobs"], responses=responses(401, 422))


class JobResultOut(BaseModel):
    """A finished job's result: a rota (its score and meetings) or a caseload plan."""

    job: JobOut
    rota: RotaAnalysisOut | None = None
    meetings: list[MeetingOut] = []
    caseload: CaseloadResultOut | None = None


def _visible(session: SessionDep, user: User, job_id: str) -> JobRow:
    job = session.get(JobRow, job_id)
    if job is None or not _sees(user, job):
        raise HTTPException(404, f"job {job_id} not found")
    return job


def _sees(user: User, job: JobRow) -> bool:
    return user.district is None or job.district == user.district


@router.get("", response_model=list[JobOut])
def list_jobs(session: SessionDep, user: CurrentUser) -> list[JobRow]:
    """The newest jobs you can see (a coordinator's: their district's)."""
    query = select(JobRow).order_by(JobRow.created_at.desc()).limit(50)
    if user.district is not None:
        query = query.where(JobRow.district == user.district)
    return list(session.scalars(query))


@router.get("/{job_id}", response_model=JobOut, responses=responses(404))
def get_job(job_id: JobId, session: SessionDep, user: CurrentUser) -> JobRow:
    """A job's status and progress (poll this while it runs)."""
    return _visible(session, user, job_id)


@router.get("/{job_id}/result", response_model=JobResultOut, responses=responses(404, 409))
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
    out = JobResultOut(job=JobOut.model_validate(job))
    if job.kind == "rota":
        rota = session.get(RotaRow, job.result_id)
        if rota is None:
            raise HTTPException(404, "the job's rota no longer exists")
        out.rota = rota_analysis_out(session, rota, scope, rule_descriptions())
        out.meetings = [meeting_out(m) for m in rota.meetings if m.district in scope.districts]
    else:
        out.caseload = caseload_result_out(session, scenario, job.result_id, scope)
    return out


@router.post("/{job_id}/cancel", response_model=JobOut, responses=responses(403, 404, 409))
def cancel_job(job_id: JobId, session: SessionDep, jobs: JobsDep, user: Planner) -> JobRow:
    """Cancel a queued or running job; nothing of it is saved."""
    job = _visible(session, user, job_id)
    if not jobs.cancel(job_id):
        raise HTTPException(409, f"job {job_id} has already finished ({job.status})")
    audit.record(session, user, "job.cancel", "job", job_id, job.scenario_id)
    session.commit()
    session.refresh(job)
    return job
