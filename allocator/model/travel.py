"""Travel between a person's base and a school: travel_minutes.csv where it gives the time, else an
estimate from the distance as the crow flies, the road factor and the speed of the caseload settings."""

from __future__ import annotations

import math
from collections.abc import Mapping

from allocator.model.county import School
from allocator.model.people import Person
from allocator.model.scenario import Scenario
from allocator.model.settings import CaseloadSettings

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def estimated_one_way_minutes(person: Person, school: School, settings: CaseloadSettings) -> int:
    """One-way minutes from a person's base to a school: km as the crow flies x road_factor / speed."""
    km = haversine_km(person.base_lat, person.base_lon, school.lat, school.lon)
    return round(km * settings.road_factor / settings.travel_speed_kmh * 60)


def travel_table(scenario: Scenario) -> dict[tuple[str, int], int]:
    """travel_minutes.csv as a look-up: (person_id, school_urn) -> one-way minutes."""
    return {(t.person_id, t.school_urn): t.minutes for t in scenario.travel}


def one_way_minutes(
    scenario: Scenario,
    person: Person,
    school: School,
    table: Mapping[tuple[str, int], int] | None = None,
) -> int:
    """One-way travel minutes: travel_minutes.csv where it gives them, else the estimate.

    Pass `table` (from `travel_table`) when asking many times.
    """
    given = (travel_table(scenario) if table is None else table).get((person.person_id, school.urn))
    if given is not None:
        return given
    return estimated_one_way_minutes(person, school, scenario.settings.caseload)


def weekly_travel_minutes(
    scenario: Scenario,
    person: Person,
    school: School,
    table: Mapping[tuple[str, int], int] | None = None,
) -> int:
    """Travel a weekly visit costs: there and back."""
    return 2 * one_way_minutes(scenario, person, school, table)
