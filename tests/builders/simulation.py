"""The tiny county with a term of requests (the tiny county itself has none), for quick simulations."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from allocator.io import write_scenario
from allocator.model import Scenario
from allocator.model.requests import Request, RequestOutcome
from tests.builders.folders import make_tiny_scenario
from tests.builders.service import zip_folder

SCHOOLS = (100001, 100002, 100003, 100004)
"""Two schools in Northdown, two in Southfield."""
FIRST_MONDAY = date(2025, 9, 8)


def tiny_with_requests(weeks: int = 6) -> Scenario:
    """The tiny county with a C&I request from each school every week for `weeks` weeks of the
    autumn term; three in four became specialist support, decided two weeks after receipt."""
    requests: list[Request] = []
    for week in range(weeks):
        for i, urn in enumerate(SCHOOLS):
            received = FIRST_MONDAY + timedelta(days=7 * week + i)
            n = len(requests) + 1
            requests.append(
                Request(
                    request_id=f"Q-{n:04d}",
                    school_urn=urn,
                    received_on=received,
                    need_type="C&I",
                    sen_stage="SEN Support",
                    urgent=n % 5 == 0,
                    consent="yes",
                    outcome=RequestOutcome.SPECIALIST if n % 4 else RequestOutcome.ADVICE,
                    decided_on=received + timedelta(days=14),
                )
            )
    tiny = make_tiny_scenario()
    return Scenario.model_validate({**tiny.model_dump(), "requests": requests})


def tiny_with_requests_zip(folder: Path, weeks: int = 6) -> bytes:
    """`tiny_with_requests` as an uploadable zip (written under `folder`)."""
    path = folder / "tiny-requests"
    write_scenario(tiny_with_requests(weeks), path)
    return zip_folder(path)
