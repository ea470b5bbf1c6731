"""Schemathesis against the app's own OpenAPI document, in process: no 500s, no undocumented status,
every response of its documented type and schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.builders.service import Service, make_service

EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, tiny_zip: bytes) -> Iterator[Service]:
    """A service with the tiny county, a rota and a staffing result; solves capped at 1 s."""
    folder = tmp_path_factory.mktemp("fuzz")
    for svc in make_service(folder, tiny_zip, max_time_limit=1.0, max_upload_bytes=64 * 1024):
        svc.run("rota/solve", {"time_limit": 1})
        svc.call("officer", "POST", f"/api/scenarios/{svc.scenario_id}/staffing", json={})
        yield svc


def test_the_api_keeps_its_openapi_promises(fuzzed: Service) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed.client.app)
    headers = fuzzed.headers("officer")
    tried = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        tried.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
    documented = fuzzed.client.app.openapi()["paths"]  # type: ignore[attr-defined]
    assert len(tried) == sum(len(operations) for operations in documented.values())
