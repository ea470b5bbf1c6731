"""Plain summaries of a scenario for terminals and pages."""

from __future__ import annotations

from collections.abc import Sequence

from allocator.model import Scenario


def district_summary(scenario: Scenario) -> list[dict[str, str | int]]:
    """Per district: schools, LIFT groups, slots, people of its team or attending, agreements."""
    rows: list[dict[str, str | int]] = []
    for name in scenario.district_names:
        urns = {s.urn for s in scenario.schools if s.district == name}
        groups = scenario.groups_in(name)
        attendees = {a for g in groups for a in g.attendees}
        rows.append(
            {
                "district": name,
                "schools": len(urns),
                "groups": len(groups),
                "slots": sum(1 for s in scenario.meeting_slots if s.district == name),
                "people": sum(
                    1 for p in scenario.people if p.team == name or p.person_id in attendees
                ),
                "agreements": sum(1 for a in scenario.agreements if a.school_urn in urns),
            }
        )
    pool_people = [p for p in scenario.people if p.team in {n.value for n in scenario.pools}]
    if pool_people:
        pooled = sum(1 for a in scenario.agreements if a.need_type in scenario.pools)
        rows.append(
            {
                "district": "county pools (" + ", ".join(n.value for n in scenario.pools) + ")",
                "schools": "",
                "groups": "",
                "slots": "",
                "people": len(pool_people),
                "agreements": f"({pooled} pooled)",
            }
        )
    return rows


def percentile(values: Sequence[float], share: float) -> float | None:
    """The `share` percentile by linear interpolation between closest ranks (None when empty): the
    one rule for every wait's 90th percentile (caseload, whole wait, report, simulation)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = share * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
