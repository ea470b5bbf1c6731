"""Small hand-made counties with requests for the agenda tests, and their rotas.

Thanet has groups G1 and G2 (schools), EY (early years) and Exec (the Executive); Dover has D1. Terms
are three weeks long from Monday 1 September 2025. G1 meets at slot A (Wednesday) in week 1 of each
half-term, G2 in week 2, EY in week 3; Exec at slot E (Monday) in week 1; D1 at slot B in week 1.
Schools: 1 in G1, 2 in G2, 3 an early-years setting in EY, 4 a school in no group, 5 in D1.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from allocator.model import AgendaSettings, GroupKind, Request, Scenario, School
from allocator.model.rota_result import Rota
from tests.builders.rota import at_weeks, group, scenario, school, slot

SEP_1 = date(2025, 9, 1)


def request(
    request_id: str,
    urn: int = 1,
    received: date = SEP_1,
    *,
    need: str = "C&I",
    urgent: bool = False,
    lac: bool = False,
    consent: str = "yes",
) -> Request:
    """A request from school `urn`."""
    return Request.model_validate(
        {
            "request_id": request_id,
            "school_urn": urn,
            "received_on": received,
            "need_type": need,
            "sen_stage": "SEN Support",
            "lac": lac,
            "urgent": urgent,
            "consent": consent,
        }
    )


def _setting(urn: int, lift_group: str | None, phase: str) -> School:
    return School.model_validate(
        {
            "urn": urn,
            "name": f"Setting {urn}",
            "district": "Thanet",
            "phase": phase,
            "pupils": 40,
            "lat": 51.3,
            "lon": 1.3,
            "lift_group": lift_group,
        }
    )


def agenda_county(
    requests: Sequence[Request] = (),
    *,
    capacity: int = 8,
    settings: AgendaSettings | None = None,
) -> Scenario:
    """The county of this module with `requests`; slot A holds `capacity` cases a meeting."""
    s = scenario(
        [
            group("G1", attendees=("ep",)),
            group("G2", attendees=("ep",)),
            group("EY", attendees=("ep",), kind=GroupKind.EARLY_YEARS),
            group("Exec", attendees=("ep",), slots=("E",), kind=GroupKind.EXECUTIVE),
            group("D1", "Dover", attendees=("ep-dover",)),
        ],
        [
            slot("A", capacity=capacity),
            slot("E", weekday="Monday"),
            slot("B", "Dover", weekday="Thursday"),
        ],
        schools=[
            school(1, "G1"),
            school(2, "G2"),
            _setting(3, "EY", "early_years"),
            _setting(4, None, "primary"),
            school(5, "D1", "Dover"),
        ],
    )
    fields = {"requests": tuple(requests)}
    if settings is not None:
        fields["settings"] = s.settings.model_copy(update={"agenda": settings})  # type: ignore[assignment]
    return Scenario.model_validate(s.model_dump() | fields)


def agenda_rota(s: Scenario) -> Rota:
    """The rota of this module's county (see the module's docstring)."""
    meetings = [
        *at_weeks(s, "G1", [1] * 6),
        *at_weeks(s, "G2", [2] * 6),
        *at_weeks(s, "EY", [3] * 6),
        *at_weeks(s, "Exec", [1] * 6, "E"),
        *at_weeks(s, "D1", [1] * 6, "B"),
    ]
    return Rota(meetings=tuple(sorted(meetings, key=lambda m: (m.date, m.group))))
