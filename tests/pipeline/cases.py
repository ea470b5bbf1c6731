"""The tiny county with written-agreement details, reviews and a current plan (plain builders)."""

from __future__ import annotations

from datetime import date
from typing import Any

from allocator.model import AgreementDetails, PlannedSupport, Review, Scenario
from tests.builders.folders import make_tiny_scenario

DETAILS = AgreementDetails(
    case_id="T-0001",
    support="Weekly language sessions in class and one to one",
    criteria="Little progress after two terms of SEN Support",
    entry_strategy="Baseline with the class teacher",
    exit_strategy="Hand over to the SENCo's plan",
    expected_outcomes="Uses three-word phrases in class",
    progress_measures="Language link score",
    evidence="Scores at entry and exit; the teacher's notes",
)
PLAN = (
    PlannedSupport(
        case_id="T-0001",
        person_id="ST1",
        start=date(2025, 10, 1),
        end=date(2025, 12, 12),
        status="running",
    ),
)
REVIEWS = (
    Review(
        case_id="T-0001", date=date(2025, 10, 1), kind="entry", measure="Language link", value=40
    ),
    Review(
        case_id="T-0001", date=date(2025, 11, 19), kind="review", measure="Language link", value=47
    ),
    Review(
        case_id="T-0001",
        date=date(2025, 12, 12),
        kind="exit",
        measure="Language link",
        value=55.5,
        note="good progress",
    ),
    Review(
        case_id="T-0002", date=date(2025, 10, 6), kind="entry", measure="Language link", value=30
    ),
)


def with_fields(scenario: Scenario, **changes: Any) -> Scenario:
    """`scenario` with some fields replaced, validated again (cross-references included)."""
    fields = {name: getattr(scenario, name) for name in Scenario.model_fields}
    return Scenario(**(fields | changes))


def tiny_with_reviews(**changes: Any) -> Scenario:
    """The tiny county with T-0001's details, its plan row and reviews (T-0002 has an entry only)."""
    base = {"details": (DETAILS,), "current_plan": PLAN, "reviews": REVIEWS}
    return with_fields(make_tiny_scenario(), **(base | changes))
