"""A user's scope in a scenario: the districts they may see (the county for county-wide users).

Plain data for the services and the HTTP layer alike; a district outside the scope is `NotFound`.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.services.errors import NotFound


@dataclass(frozen=True)
class Scope:
    """The districts of a scenario a user may see."""

    districts: tuple[str, ...]
    county: bool
    """True when the user sees every district."""

    def allows(self, district: str | None) -> bool:
        """Whether `district` is visible (None, the whole county, only for county-wide users)."""
        return self.county if district is None else district in self.districts

    def pick(self, district: str | None) -> tuple[str, ...]:
        """The districts to show for an optional `district` filter; NotFound outside the scope."""
        if district is None:
            return self.districts
        if district not in self.districts:
            raise NotFound(f"district {district!r} not found")
        return (district,)

    def planning_district(self, district: str | None) -> str | None:
        """The district a planner job covers: a coordinator's own; None (the county) for officers."""
        if district is None:
            if self.county:
                return None
            if len(self.districts) != 1:
                raise NotFound("your district is not in this scenario")
            return self.districts[0]
        return self.pick(district)[0]
