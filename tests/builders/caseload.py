"""Small hand-made counties for the caseload tests: a short year, two districts, an HI pool.

The year has six terms of 2, 2, 2, 2, 2 and 1 weeks (11 school weeks, Monday 1 September 2025 on, no
bank holiday), so models stay small and every number can be worked by hand. Travel is given in
travel_minutes.csv (10 minutes each way unless a test says otherwise), so a weekly visit costs 20.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from hypothesis import strategies as st

from allocator.model import (
    Agreement,
    CaseloadSettings,
    Closure,
    District,
    LiftGroup,
    MeetingSlot,
    Person,
    PlannedSupport,
    Scenario,
    ScenarioSettings,
    School,
    Term,
    TravelTime,
    Unavailability,
)
from allocator.solve import SolveParams

FAST = SolveParams(time_limit=10.0, workers=2, seed=1)
"""Solver parameters for tests: two workers, a fixed seed, a small time limit."""
TERM_WEEKS = (2, 2, 2, 2, 2, 1)
FIRST_MONDAY = date(2025, 9, 1)
ONE_WAY = 10
"""Default one-way travel minutes between anyone and any school."""
NORTH_PRIMARY, NORTH_NURSERY, SOUTH_PRIMARY = 100001, 100002, 100003


def terms() -> list[Term]:
    """Six Monday-to-Friday terms, each after a one-week holiday."""
    out, monday = [], FIRST_MONDAY
    for number, length in enumerate(TERM_WEEKS, start=1):
        last = monday + timedelta(weeks=length - 1, days=4)
        out.append(Term(term=number, first_day=monday, last_day=last))
        monday = last + timedelta(days=10)
    return out


def school_mondays() -> list[date]:
    """The Monday of each school week of the short year."""
    return [
        t.first_day + timedelta(weeks=k) for t in terms() for k in range(TERM_WEEKS[t.term - 1])
    ]


def monday(week: int) -> date:
    """The Monday of school week `week` (from 0)."""
    return school_mondays()[week]


def friday(week: int) -> date:
    """The Friday of school week `week`."""
    return monday(week) + timedelta(days=4)


def teacher(
    person_id: str,
    team: str = "Northdown",
    specialisms: str = "C&I",
    minutes: int = 600,
    lat: float = 51.3,
    lon: float = 0.5,
) -> Person:
    """A specialist teacher."""
    return Person(
        person_id=person_id,
        name=f"Teacher {person_id}",
        role="specialist_teacher",  # type: ignore[arg-type]
        team=team,
        specialisms=specialisms,  # type: ignore[arg-type]
        minutes_per_week=minutes,
        base_lat=lat,
        base_lon=lon,
    )


def case(
    case_id: str,
    urn: int = NORTH_PRIMARY,
    need: str = "C&I",
    agreed: date = FIRST_MONDAY,
    minutes: int = 60,
    weeks: int = 2,
    consent: str = "yes",
    lac: bool = False,
    stage: str = "SEN Support",
    priority: int = 3,
) -> Agreement:
    """An agreed case (pseudonymous id only)."""
    return Agreement.model_validate(
        {
            "case_id": case_id,
            "school_urn": urn,
            "need_type": need,
            "sen_stage": stage,
            "lac": lac,
            "consent": consent,
            "agreed_on": agreed,
            "minutes_per_week": minutes,
            "weeks": weeks,
            "priority": priority,
        }
    )


def leave(person_id: str, first: date, last: date | None = None) -> Unavailability:
    """Days of leave."""
    return Unavailability(person_id=person_id, first_day=first, last_day=last or first)


def plan_row(
    case_id: str, person_id: str, start: date, end: date, status: str = "running"
) -> PlannedSupport:
    """A row of the current plan."""
    return PlannedSupport.model_validate(
        {"case_id": case_id, "person_id": person_id, "start": start, "end": end, "status": status}
    )


def county(
    people: Sequence[Person],
    agreements: Sequence[Agreement] = (),
    *,
    closures: Sequence[Closure] = (),
    unavailability: Sequence[Unavailability] = (),
    current_plan: Sequence[PlannedSupport] = (),
    one_way: int | None = ONE_WAY,
    travel: Sequence[TravelTime] = (),
    caseload: CaseloadSettings | None = None,
) -> Scenario:
    """Two districts (Northdown: a primary and a nursery; Southfield: a primary) and the given people.

    With `one_way`, travel_minutes.csv gives that many minutes each way for everyone to every school
    (`travel` rows override); with None, travel is estimated from coordinates.
    """
    schools = (
        School(
            urn=NORTH_PRIMARY,
            name="North Primary",
            district="Northdown",
            phase="primary",
            pupils=300,
            lat=51.31,
            lon=0.51,
            lift_group="N1",
        ),  # type: ignore[arg-type]
        School(
            urn=NORTH_NURSERY,
            name="North Nursery",
            district="Northdown",
            phase="early_years",
            pupils=40,
            lat=51.29,
            lon=0.49,
            lift_group="N1",
        ),  # type: ignore[arg-type]
        School(
            urn=SOUTH_PRIMARY,
            name="South Primary",
            district="Southfield",
            phase="primary",
            pupils=250,
            lat=51.1,
            lon=0.61,
            lift_group="S1",
        ),  # type: ignore[arg-type]
    )
    given = {(t.person_id, t.school_urn): t for t in travel}
    if one_way is not None:
        for p in people:
            for s in schools:
                given.setdefault(
                    (p.person_id, s.urn),
                    TravelTime(person_id=p.person_id, school_urn=s.urn, minutes=one_way),
                )
    return Scenario(
        settings=ScenarioSettings(
            name="Caseload test",
            academic_year="2025-26",
            caseload=caseload or CaseloadSettings(lead_time_weeks=0),
        ),
        terms=tuple(terms()),
        closures=tuple(closures),
        districts=(
            District(district="Northdown", population=100_000, lat=51.3, lon=0.5),
            District(district="Southfield", population=80_000, lat=51.1, lon=0.6),
        ),
        schools=schools,
        lift_groups=(
            LiftGroup(group="N1", district="Northdown"),
            LiftGroup(group="S1", district="Southfield"),
        ),
        meeting_slots=(
            MeetingSlot(
                slot="N-A",
                district="Northdown",
                weekday="Wednesday",
                start="09:30",
                end="11:00",
                venue="Oak",
            ),  # type: ignore[arg-type]
            MeetingSlot(
                slot="S-A",
                district="Southfield",
                weekday="Wednesday",
                start="13:30",
                end="15:00",
                venue="Oak",
            ),  # type: ignore[arg-type]
        ),
        people=tuple(people),
        unavailability=tuple(unavailability),
        agreements=tuple(agreements),
        current_plan=tuple(current_plan),
        travel=tuple(given.values()),
    )


NEEDS = ("C&I", "B&L", "HI")


@st.composite
def small_counties(draw: st.DrawFn) -> Scenario:
    """A random small county: 1-3 people per team (Northdown, Southfield, HI pool), 1-10 cases,
    random needs, dates, minutes, weeks, consent, LAC, leave and travel."""
    people = []
    for team, spread in (("Northdown", 2), ("Southfield", 2), ("HI", 1)):
        for k in range(draw(st.integers(0, spread + 1))):
            specialisms = (
                "HI"
                if team == "HI"
                else ";".join(draw(st.sets(st.sampled_from(NEEDS[:2]), min_size=1)))
            )
            people.append(
                teacher(
                    f"{team[:2].lower()}{k}",
                    team,
                    specialisms,
                    minutes=draw(st.integers(60, 400)),
                )
            )
    count = draw(st.integers(1, 10))
    mondays = school_mondays()
    agreements = [
        case(
            f"C-{i:03d}",
            urn=draw(st.sampled_from((NORTH_PRIMARY, NORTH_NURSERY, SOUTH_PRIMARY))),
            need=draw(st.sampled_from(NEEDS)),
            agreed=draw(st.sampled_from(mondays)) + timedelta(days=draw(st.integers(0, 4))),
            minutes=draw(st.integers(20, 150)),
            weeks=draw(st.integers(1, 6)),
            consent=draw(st.sampled_from(("yes", "yes", "yes", "no", "exception: safeguarding"))),
            lac=draw(st.booleans()),
            stage=draw(st.sampled_from(("SEN Support", "EHCP"))),
            priority=draw(st.integers(1, 3)),
        )
        for i in range(count)
    ]
    away = []
    if people and draw(st.booleans()):
        who = draw(st.sampled_from(people)).person_id
        first = draw(st.sampled_from(mondays)) + timedelta(days=draw(st.integers(0, 4)))
        away.append(leave(who, first, first + timedelta(days=draw(st.integers(0, 6)))))
    lead = draw(st.integers(0, 2))
    return county(
        people,
        agreements,
        unavailability=away,
        one_way=draw(st.integers(0, 40)),
        caseload=CaseloadSettings(lead_time_weeks=lead),
    )


def regression_counties() -> list[Scenario]:
    """A fixed corpus beside the random draws: counties that reach the edge cases on purpose (a
    neighbouring team's cost, closures on a start day and a whole closed week, running support, leave
    in several rows, support running past the year's end, consent exceptions)."""
    neighbours = CaseloadSettings(lead_time_weeks=0, neighbour_teams={"Northdown": ["Southfield"]})
    return [
        # Three 6-week cases from week 6, room for one at a time each in Northdown and Southfield.
        county(
            [teacher("n", minutes=100), teacher("s", "Southfield", minutes=100)],
            [
                case("C1", agreed=monday(6), weeks=6),
                case("C2", agreed=monday(6), weeks=6, lac=True),
                case("C3", agreed=monday(6), weeks=6),
            ],
            caseload=neighbours,
        ),
        # A county-wide closure on the first Monday, a Northdown one on the next, a closed week.
        county(
            [teacher("a", minutes=200), teacher("b", minutes=100)],
            [case("C1"), case("C2", weeks=3), case("C3", agreed=monday(1), weeks=4)],
            closures=[
                Closure(date=monday(0)),
                Closure(date=monday(1), district="Northdown"),
                *(Closure(date=monday(4) + timedelta(days=d)) for d in range(5)),
            ],
        ),
        # Running and finished support hold `a`'s minutes; a planned row may move.
        county(
            [teacher("a", minutes=160), teacher("b", minutes=80)],
            [case("R1", weeks=4), case("F1"), case("P1"), case("N1", weeks=3, priority=1)],
            current_plan=[
                plan_row("R1", "a", monday(0), friday(3)),
                plan_row("F1", "a", monday(0), friday(1), "finished"),
                plan_row("P1", "b", monday(2), friday(3), "planned"),
            ],
        ),
        # Leave in three rows, two of them the same person's; support running past the year's end.
        county(
            [teacher("a", minutes=120), teacher("b", minutes=120, specialisms="C&I;B&L")],
            [
                case("C1", weeks=6, agreed=monday(8)),
                case("C2", need="B&L", weeks=2),
                case("C3", agreed=monday(2) + timedelta(days=3), lac=True),
            ],
            unavailability=[
                leave("a", monday(0), friday(0)),
                leave("b", monday(1) + timedelta(days=2)),
                leave("a", monday(2), friday(3)),
            ],
            caseload=CaseloadSettings(lead_time_weeks=1),
        ),
        # Consent: an exception starts, a refusal waits; a pooled need with no pool member waits.
        county(
            [teacher("a"), teacher("h", "HI", "HI", minutes=100)],
            [
                case("C1", consent="exception: safeguarding"),
                case("C2", consent="no"),
                case("C3", need="HI", urn=SOUTH_PRIMARY, weeks=3),
                case("C4", need="VI"),
            ],
            one_way=None,
        ),
    ]
