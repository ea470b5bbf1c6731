"""Meeting agendas as decided: where each request goes, what could not be placed and why, each
meeting's list, the score and the checker's report. Knows no solver."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from allocator.model.base import Frozen, Name, Urn
from allocator.model.cases import CaseId
from allocator.model.rota_result import Meeting

Route = Literal["meeting", "county"]
UnplacedKind = Literal["no_consent", "no_meeting", "full"]
Count = Annotated[int, Field(ge=0)]


class AgendaItem(Frozen):
    """A request on a meeting's agenda, or on the county coordinators' route (no meeting)."""

    request_id: CaseId
    school_urn: Urn
    district: Name
    route: Route
    meeting_date: date | None = None
    group: Name | None = None
    slot: Name | None = None
    urgent: bool = False
    received_on: date
    school_days_to_meeting: Count
    """School days from receipt to the meeting (county route: the days allowed for the decision)."""
    weight: Count = 1
    """The request's priority weight."""


class UnplacedRequest(Frozen):
    """A request no meeting takes, and why, in a coordinator's words."""

    request_id: CaseId
    school_urn: Urn
    district: Name
    urgent: bool = False
    received_on: date
    kind: UnplacedKind
    reason: str
    weight: Count = 1


class AgendaScore(Frozen):
    """The agenda's lexicographic objective: priority weight left unplaced, then weighted days."""

    unplaced: Count = 0
    """Σ priority weight of requests for a meeting (consent given) that no meeting takes."""
    days_to_meeting: Count = 0
    """Σ priority weight × school days from receipt to meeting, over the requests placed."""

    def __str__(self) -> str:
        return f"unplaced weight {self.unplaced}, weighted school days {self.days_to_meeting}"


class DistrictAgenda(Frozen):
    """One district's figures: requests placed, by county route, unplaced; days to meeting."""

    district: Name
    placed: Count
    county: Count
    unplaced: Count
    mean_days: float | None
    worst_days: int | None
    weighted_days: Count


class Agenda(Frozen):
    """Every request received in the window: at a meeting, on the county route, or unplaced."""

    items: tuple[AgendaItem, ...] = ()
    unplaced: tuple[UnplacedRequest, ...] = ()
    meetings: tuple[Meeting, ...] = ()
    """The meetings with at least one request, in date order."""
    start: date | None = None
    """Requests received from this day (None: from the first)."""
    end: date | None = None
    """Requests received up to this day (None: to the last)."""

    def at(self, meeting: Meeting) -> list[AgendaItem]:
        """The requests on a meeting's agenda, in order of receipt."""
        key = (meeting.date, meeting.group, meeting.slot)
        found = [
            i
            for i in self.items
            if i.route == "meeting" and (i.meeting_date, i.group, i.slot) == key
        ]
        return sorted(found, key=lambda i: (i.received_on, i.request_id))

    @property
    def score(self) -> AgendaScore:
        """The objective as the agenda records it (weights as decided)."""
        return AgendaScore(
            unplaced=sum(u.weight for u in self.unplaced if u.kind != "no_consent"),
            days_to_meeting=sum(i.weight * i.school_days_to_meeting for i in self.at_meetings()),
        )

    def at_meetings(self) -> list[AgendaItem]:
        """The items placed at a meeting."""
        return [i for i in self.items if i.route == "meeting"]

    @property
    def districts(self) -> list[str]:
        """Districts with a request, in first-seen order."""
        return list(
            dict.fromkeys([*(i.district for i in self.items), *(u.district for u in self.unplaced)])
        )

    def by_district(self) -> list[DistrictAgenda]:
        """Per district, sorted by name: placed, county route, unplaced, mean and worst days."""
        rows = []
        for district in sorted(self.districts):
            placed = [i for i in self.at_meetings() if i.district == district]
            days = [i.school_days_to_meeting for i in placed]
            rows.append(
                DistrictAgenda(
                    district=district,
                    placed=len(placed),
                    county=sum(
                        1 for i in self.items if i.district == district and i.route == "county"
                    ),
                    unplaced=sum(1 for u in self.unplaced if u.district == district),
                    mean_days=sum(days) / len(days) if days else None,
                    worst_days=max(days) if days else None,
                    weighted_days=sum(i.weight * i.school_days_to_meeting for i in placed),
                )
            )
        return rows


class AgendaCheck(Frozen):
    """The independent checker's verdict on an agenda, and its own recomputation of the objective."""

    ok: bool
    breaches: tuple[str, ...] = ()
    score: AgendaScore
