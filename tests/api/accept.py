"""Accepting a job's proposal in the tests: nothing a job makes is in use until accepted."""

from __future__ import annotations

from typing import Any

from tests.builders.service import Service


def proposal_path(svc: Service, job: dict[str, Any]) -> str:
    """The proposals route of a succeeded job's rota or plan."""
    area = "rota" if job["kind"] == "rota" else "caseload"
    return f"/api/scenarios/{job['scenario_id']}/{area}/proposals/{job['result_id']}"


def _districts(svc: Service, job: dict[str, Any]) -> tuple[str, ...]:
    found = svc.call("officer", "GET", f"/api/scenarios/{job['scenario_id']}").json()["districts"]
    return tuple(d if isinstance(d, str) else d["district"] for d in found)


def accept(
    svc: Service, job: dict[str, Any], role: str = "officer", districts: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Accept a succeeded job's rota or plan for `districts` (default: the job's own district, or
    every district of the tiny county); returns the job."""
    assert job["status"] == "succeeded", job
    chosen = districts or ((job["district"],) if job["district"] else _districts(svc, job))
    for district in chosen:
        response = svc.call(
            role, "POST", proposal_path(svc, job) + "/accept", json={"district": district}
        )
        assert response.status_code == 201, response.text
    return job


def run_and_accept(
    svc: Service, path: str, body: dict[str, Any], role: str = "officer"
) -> dict[str, Any]:
    """Run a job on the tiny county as `role` and accept its result as `role`."""
    return accept(svc, svc.run(path, body, role), role)
