"""Small hand-made counties for the rota tests: a short calendar, a few groups, slots and people."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from hypothesis import strategies as st

from allocator.model import (
    Closure,
    District,
    GroupKind,
    LiftGroup,
    MeetingSlot,
    Person,
    RotaSettings,
    Scenario,
    ScenarioSettings,
    School,
    Term,
    Unavailability,
)
from allocator.model.rota_result import Meeting, TermWeeks
from allocator.solve import SolveParams

FAST = SolveParams(time_limit=10.0, workers=2, seed=1)
"""Solver parameters for tests: two workers, a fixed seed, a small time limit."""

QUIET = RotaSettings(
    spacing=0,
    short_gap=0,
    same_position=0,
    edge_week=0,
    case_balance=0,
    stability=0,
    moved_meeting=0,
    referrals_per_1000_pupils=4.0,
)
"""Every soft rule switched off, so a test can switch on just the one it is about."""


def terms_of(weeks: Sequence[int] = (3,) * 6, first: date = date(2025, 9, 1)) -> list[Term]:
    """Six Monday-to-Friday terms of the given lengths in weeks, each after a one-week holiday."""
    terms = []
    monday = first
    for number, length in enumerate(weeks, start=1):
        last = monday + timedelta(weeks=length - 1, days=4)
        terms.append(Term(term=number, first_day=monday, last_day=last))
        monday = last + timedelta(days=10)
    return terms


def kent_terms() -> list[Term]:
    """Kent's 2025-26 terms (term 5 has five weeks, and 4 May is a bank holiday)."""
    dates = [
        (date(2025, 9, 1), date(2025, 10, 17)),
        (date(2025, 10, 27), date(2025, 12, 19)),
        (date(2026, 1, 5), date(2026, 2, 13)),
        (date(2026, 2, 23), date(2026, 4, 2)),
        (date(2026, 4, 20), date(2026, 5, 22)),
        (date(2026, 6, 1), date(2026, 7, 21)),
    ]
    return [Term(term=i, first_day=a, last_day=b) for i, (a, b) in enumerate(dates, start=1)]


def group(
    name: str,
    district: str = "Thanet",
    attendees: Sequence[str] = (),
    meetings: int = 1,
    slots: Sequence[str] = (),
    kind: GroupKind = GroupKind.SCHOOLS,
) -> LiftGroup:
    """A LIFT group."""
    return LiftGroup(
        group=name,
        district=district,
        kind=kind,
        meetings_per_half_term=meetings,
        attendees=tuple(attendees),
        slots=tuple(slots),
    )


def slot(
    slot_id: str,
    district: str = "Thanet",
    weekday: str = "Wednesday",
    start: str = "09:30",
    end: str = "11:30",
    capacity: int = 8,
    per_week: int = 1,
) -> MeetingSlot:
    """A weekly meeting slot."""
    return MeetingSlot(
        slot=slot_id,
        district=district,
        weekday=weekday,
        start=start,  # type: ignore[arg-type]
        end=end,  # type: ignore[arg-type]
        venue=f"{district} LIFT room",
        case_capacity=capacity,
        meetings_per_week=per_week,
    )


def school(urn: int, lift_group: str, district: str = "Thanet", pupils: int = 300) -> School:
    """A primary school in a group."""
    return School(
        urn=urn,
        name=f"School {urn}",
        district=district,
        phase="primary",  # type: ignore[arg-type]
        pupils=pupils,
        lat=51.3,
        lon=1.3,
        lift_group=lift_group,
    )


def meeting(s: Scenario, group_name: str, day: date, slot_id: str) -> Meeting:
    """The meeting of a group on a day in one of its slots."""
    g, sl = s.group_by_name[group_name], s.slot_by_id[slot_id]
    place = TermWeeks.of(s.terms).locate(day)
    assert place is not None
    return Meeting(
        district=g.district,
        group=g.group,
        half_term=place[0],
        date=day,
        weekday=sl.weekday,
        start=sl.start,
        end=sl.end,
        venue=sl.venue,
        slot=sl.slot,
        week=place[1],
        attendees=g.attendees,
    )


def at_weeks(
    s: Scenario, group_name: str, weeks: Sequence[int], slot_id: str = "A"
) -> list[Meeting]:
    """A group's meetings on its slot's day in the given week of each half-term."""
    sl = s.slot_by_id[slot_id]
    parts = TermWeeks.of(s.terms).half_terms
    return [
        meeting(
            s,
            group_name,
            date.fromordinal(p.mondays[w - 1].toordinal() + sl.weekday_index),
            slot_id,
        )
        for p, w in zip(parts, weeks, strict=True)
    ]


def scenario(
    groups: Sequence[LiftGroup],
    slots: Sequence[MeetingSlot],
    *,
    terms: Sequence[Term] | None = None,
    closures: Sequence[Closure] = (),
    unavailability: Sequence[Unavailability] = (),
    schools: Sequence[School] = (),
    rota: RotaSettings | None = None,
) -> Scenario:
    """A county of the given groups and slots; districts and people (EPs) are made to match."""
    districts = list(dict.fromkeys([*(g.district for g in groups), *(s.district for s in slots)]))
    people: dict[str, str] = {}
    for g in groups:
        for person in g.attendees:
            people.setdefault(person, g.district)
    return Scenario(
        settings=ScenarioSettings(
            name="test county",
            academic_year="2025-26",
            rota=rota or RotaSettings(referrals_per_1000_pupils=4.0),
        ),
        terms=tuple(terms or terms_of()),
        closures=tuple(closures),
        districts=tuple(
            District(district=d, population=100_000, lat=51.3, lon=1.0 + i / 10)
            for i, d in enumerate(districts)
        ),
        schools=tuple(schools),
        lift_groups=tuple(groups),
        meeting_slots=tuple(slots),
        people=tuple(
            Person(
                person_id=p,
                name=p.replace("-", " ").title(),
                role="educational_psychologist",  # type: ignore[arg-type]
                team=d,
                base_lat=51.3,
                base_lon=1.3,
            )
            for p, d in people.items()
        ),
        unavailability=tuple(unavailability),
    )


def small_county(
    districts: Sequence[str] = ("Thanet", "Dover"),
    groups_per_district: int = 3,
    term_weeks: Sequence[int] | None = (5,) * 6,
    shared_ep: bool = True,
    rota: RotaSettings | None = None,
) -> Scenario:
    """Districts of school groups in one slot each (Wednesday, then Thursday, ...), each district with
    its own outreach manager, one EP serving all of them when `shared_ep`, and schools in each group.
    Terms of `term_weeks` weeks, or Kent's 2025-26 terms for None."""
    weekdays = ("Wednesday", "Thursday", "Tuesday", "Monday", "Friday")
    groups, slots, schools = [], [], []
    for i, district in enumerate(districts):
        slots.append(slot(f"{district}-main", district, weekdays[i % 5]))
        ep = "ep-shared" if shared_ep else f"ep-{district.lower()}"
        for k in range(1, groups_per_district + 1):
            name = f"{district} {k}"
            groups.append(group(name, district, (ep, f"om-{district.lower()}")))
            schools.append(school(1000 * (i + 1) + k, name, district, pupils=500 + 400 * k))
    terms = terms_of(term_weeks) if term_weeks is not None else kent_terms()
    return scenario(groups, slots, terms=terms, schools=schools, rota=rota)


@st.composite
def random_counties(draw: st.DrawFn) -> Scenario:
    """Small random counties: 1-3 districts, 1-5 groups each, 1-2 slots, short terms, closures,
    leave, shared EPs, and now and then a group that meets twice a half-term."""
    weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    term_weeks = draw(st.lists(st.integers(3, 6), min_size=6, max_size=6))
    terms = terms_of(term_weeks)
    n_districts = draw(st.integers(1, 3))
    districts = [f"D{i}" for i in range(1, n_districts + 1)]
    groups, slots, schools = [], [], []
    shared = draw(st.booleans())
    for i, district in enumerate(districts):
        n_slots = draw(st.integers(1, 2))
        for s in range(n_slots):
            hour = draw(st.sampled_from([9, 10, 13]))
            slots.append(
                slot(
                    f"{district}-s{s}",
                    district,
                    draw(st.sampled_from(weekdays)),
                    f"{hour:02d}:00",
                    f"{hour + 2:02d}:00",
                    capacity=draw(st.integers(2, 10)),
                    per_week=draw(st.sampled_from([1, 1, 1, 2])),
                )
            )
        for k in range(1, draw(st.integers(1, 4)) + 1):
            name = f"{district} g{k}"
            ep = "ep-shared" if shared and k == 1 else f"ep-{district}"
            meetings = draw(st.sampled_from([1, 1, 1, 1, 2]))
            groups.append(group(name, district, (ep, f"om-{district}"), meetings))
            schools.append(
                school(100 * (i + 1) + k, name, district, pupils=draw(st.integers(0, 3000)))
            )
    days = [d for t in terms for d in t.weekdays()]
    closures = [
        Closure(
            date=draw(st.sampled_from(days)), district=draw(st.sampled_from([None, *districts]))
        )
        for _ in range(draw(st.integers(0, 4)))
    ]
    people = sorted({p for g in groups for p in g.attendees})
    leave = []
    for _ in range(draw(st.integers(0, 2))):
        first = draw(st.sampled_from(days))
        leave.append(
            Unavailability(
                person_id=draw(st.sampled_from(people)),
                first_day=first,
                last_day=first + timedelta(days=draw(st.integers(0, 10))),
            )
        )
    return scenario(
        groups, slots, terms=terms, closures=closures, unavailability=leave, schools=schools
    )


def regression_counties() -> list[Scenario]:
    """A fixed corpus beside the random draws: counties that reach the edge cases on purpose
    (back-to-back meetings of a shared attendee, two meetings a half-term, a one-week half-term,
    leave in several rows, closures, a slot of two meetings a week over its case capacity)."""
    back_to_back = scenario(
        [
            *(group(f"T{k}", "Thanet", ("ep", "om-t")) for k in (1, 2, 3)),
            *(group(f"D{k}", "Dover", ("ep", "om-d")) for k in (1, 2, 3)),
        ],
        [slot("T", "Thanet"), slot("D", "Dover", start="11:30", end="13:30")],
        terms=terms_of((3,) * 6),
    )  # every Wednesday is full: ep goes from Thanet (to 11:30) to Dover (from 11:30)
    twice = [group("G", attendees=("ep",), meetings=2), group("H", attendees=("om",))]
    two_slots = [slot("A"), slot("B", weekday="Thursday", capacity=2)]
    return [
        back_to_back,
        scenario(
            twice,
            two_slots,
            terms=terms_of((2, 3, 4, 2, 3, 4)),
            unavailability=[
                Unavailability(person_id="ep", first_day=d, last_day=d)
                for d in (date(2025, 9, 24), date(2025, 10, 22), date(2025, 12, 3))
            ],
            closures=[
                Closure(date=date(2025, 9, 10)),
                Closure(date=date(2025, 9, 25), district="Thanet"),
            ],
            schools=[school(1, "G", pupils=2000), school(2, "H", pupils=900)],
        ),
        scenario(twice, two_slots, terms=terms_of((1, 3, 3, 3, 3, 3))),  # no room: a reason
        scenario(
            [group(f"G{k}", attendees=(f"p{k}",)) for k in (1, 2, 3)],
            [slot("A", per_week=2, capacity=5)],
            terms=terms_of((2,) * 6),
            schools=[school(k, f"G{k}", pupils=1500) for k in (1, 2, 3)],
        ),
    ]
