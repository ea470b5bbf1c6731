"""The seeded generator and the embedded Kent scenario: facts, counts, feasibility, determinism."""

from __future__ import annotations

import csv
import re
import tempfile
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.io import read_scenario, write_scenario
from allocator.model import (
    GroupKind,
    LiftGroup,
    NeedType,
    Phase,
    Role,
    Scenario,
    SpecialRole,
    meeting_days,
)
from allocator.model.calendar import half_term_of
from allocator.synthetic.generate import check_meeting_days, generate_county, kent_scenario, main

REFDATA = Path(__file__).resolve().parents[1] / "data" / "kent"
HIGH_INCIDENCE = {NeedType.CI, NeedType.BL, NeedType.BESD, NeedType.PSCN, NeedType.PD}
POOLS = {"HI": 5.9, "VI": 4.1, "PI": 4.5}

# Appendix 1 of the prospectus, typed out again here (today's district names): lead, then links.
APPENDIX_1 = {
    "Sevenoaks": [("Valence", "PD"), ("Furness", "BESD")],
    "Tonbridge and Malling": [("Ridgeview", "PSCN"), ("Grange Park", "C&I")],
    "Tunbridge Wells": [("Broomhill Bank", "C&I"), ("Oakley", "PSCN")],
    "Dartford": [("Ifield", "PSCN"), ("Rowhill", "B&L"), ("Milestone", "PSCN")],
    "Gravesham": [("Ifield", "PSCN")],
    "Maidstone": [("Bower Grove", "B&L"), ("Five Acre Wood", "PSCN")],
    "Canterbury": [("Meadowfield", "PSCN"), ("St Nicholas", "PSCN"), ("Orchard", "B&L")],
    "Ashford": [("Goldwyn", "BESD"), ("Wyvern", "PSCN")],
    "Dover": [("Harbour", "B&L"), ("Portal House", "BESD"), ("Aspen", "PSCN")],
    "Folkestone and Hythe": [("Highview", "PSCN"), ("Foxwood", "PSCN")],
    "Swale": [("Meadowfield", "PSCN")],
    "Thanet": [
        ("Laleham Gap", "C&I"),
        ("St Anthony's", "B&L"),
        ("Foreland", "PSCN"),
        ("Stone Bay", "PSCN"),
    ],
}


@pytest.fixture(scope="module")
def kent() -> Scenario:
    return kent_scenario()


@pytest.fixture(scope="module")
def county() -> Scenario:
    return generate_county(1.0, seed=11)


def _refdata(name: str) -> list[dict[str, str]]:
    with (REFDATA / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _slot_shortfalls(scenario: Scenario) -> list[tuple[str, int, int, int]]:
    """(slot, half-term, usable days, groups) wherever a slot has fewer usable days than groups."""
    away: dict[str, set[date]] = defaultdict(set)
    for row in scenario.unavailability:
        days = (row.last_day - row.first_day).days + 1
        away[row.person_id].update(row.first_day + timedelta(d) for d in range(days))
    short = []
    for slot in scenario.meeting_slots:
        groups = [g for g in scenario.lift_groups if g.slots == (slot.slot,)]
        people = {a for g in groups for a in g.attendees}
        usable = Counter(
            half_term_of(scenario.terms, d)
            for d in meeting_days(scenario.terms, scenario.closures, slot.district)
            if d.weekday() == slot.weekday_index and not any(d in away[p] for p in people)
        )
        short += [
            (slot.slot, t.term, usable[t.term], len(groups))
            for t in scenario.terms
            if usable[t.term] < len(groups)
        ]
    return short


# -- determinism ------------------------------------------------------------------------------


def test_same_seed_gives_the_same_county_and_another_seed_another() -> None:
    assert generate_county(0.2, seed=5) == generate_county(0.2, seed=5)
    assert generate_county(0.2, seed=5) != generate_county(0.2, seed=6)


def test_kent_is_the_same_for_a_seed_and_differs_in_its_synthetic_parts(kent: Scenario) -> None:
    assert kent_scenario() == kent
    other = kent_scenario(seed=1)
    assert other != kent
    assert other.districts == kent.districts
    assert other.special_schools == kent.special_schools
    assert other.agreements != kent.agreements


def test_scale_must_be_positive() -> None:
    for scale in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="scale"):
            generate_county(scale)


# -- Kent's real facts ------------------------------------------------------------------------


def test_kent_districts_have_their_census_2021_populations(kent: Scenario) -> None:
    rows = [r for r in _refdata("kent_districts_population.csv") if r["lad_code"]]
    expected = {r["district"]: int(r["census2021_usual_residents_rounded100"]) for r in rows}
    assert len(kent.districts) == 12
    assert {d.district: d.population for d in kent.districts} == expected
    assert sum(d.population for d in kent.districts) == 1_576_100


def test_kent_terms_are_the_2025_26_dates_with_five_inset_days(kent: Scenario) -> None:
    rows = [r for r in _refdata("kent_term_dates.csv") if r["academic_year"] == "2025-26"]
    expected = {
        int(r["term"]): (date.fromisoformat(r["first_day"]), date.fromisoformat(r["last_day"]))
        for r in rows
    }
    assert {t.term: (t.first_day, t.last_day) for t in kent.terms} == expected
    assert [c.date for c in kent.closures] == [
        date(2025, 9, 1),
        date(2025, 9, 2),
        date(2025, 10, 27),
        date(2026, 7, 20),
        date(2026, 7, 21),
    ]
    assert all(c.district is None for c in kent.closures)
    assert len(kent.meeting_days("Thanet")) == 190


def test_every_appendix_1_school_is_there_with_its_role_and_need(kent: Scenario) -> None:
    expected = {
        (school, district, SpecialRole.LEAD if i == 0 else SpecialRole.LINK, (NeedType(need),))
        for district, schools in APPENDIX_1.items()
        for i, (school, need) in enumerate(schools)
    }
    got = {(s.school, s.district, s.role, s.need_types) for s in kent.special_schools}
    assert got == expected
    special = {s.name for s in kent.schools if s.phase == Phase.SPECIAL}
    assert special == {school for schools in APPENDIX_1.values() for school, _ in schools}


def test_ifield_and_meadowfield_lead_two_districts_one_in_interim(kent: Scenario) -> None:
    leads = defaultdict(set)
    for s in kent.special_schools:
        if s.role == SpecialRole.LEAD:
            leads[s.school].add(s.district)
    assert leads["Ifield"] == {"Dartford", "Gravesham"}
    assert leads["Meadowfield"] == {"Canterbury", "Swale"}
    interim = {(s.school, s.district) for s in kent.special_schools if "interim" in s.note}
    assert interim == {("Ifield", "Dartford"), ("Meadowfield", "Canterbury")}


def test_gravesham_and_swale_have_no_link_school(kent: Scenario) -> None:
    with_links = {s.district for s in kent.special_schools if s.role == SpecialRole.LINK}
    assert with_links == set(kent.district_names) - {"Gravesham", "Swale"}


def test_slots_meet_at_the_lead_special_school(kent: Scenario) -> None:
    lead = {s.district: s.school for s in kent.special_schools if s.role == SpecialRole.LEAD}
    assert all(slot.venue == lead[slot.district] for slot in kent.meeting_slots)


# -- counts and shapes ------------------------------------------------------------------------


def test_kent_has_about_the_settings_of_kent(kent: Scenario) -> None:
    phases = Counter(s.phase for s in kent.schools)
    assert 440 <= phases[Phase.PRIMARY] <= 480
    assert 95 <= phases[Phase.SECONDARY] <= 105
    assert 22 <= phases[Phase.SPECIAL] <= 26
    assert 2 <= phases[Phase.PRU] <= 10
    assert phases[Phase.EARLY_YEARS] >= 24
    assert all(100_000 <= s.urn <= 999_999 for s in kent.schools)
    for school in kent.schools:
        low, high = {
            Phase.PRIMARY: (40, 700),
            Phase.SECONDARY: (400, 2000),
            Phase.SPECIAL: (40, 350),
            Phase.PRU: (10, 120),
            Phase.EARLY_YEARS: (10, 80),
        }[school.phase]
        assert low <= school.pupils <= high, school


@pytest.mark.parametrize("which", ["kent", "county"])
def test_each_district_has_its_groups_slots_and_people(
    which: str, request: pytest.FixtureRequest
) -> None:
    s: Scenario = request.getfixturevalue(which)
    people = s.person_by_id
    for d in s.district_names:
        groups = s.groups_in(d)
        kinds = Counter(g.kind for g in groups)
        assert 4 <= kinds[GroupKind.SCHOOLS] <= 5
        assert kinds[GroupKind.EARLY_YEARS] == kinds[GroupKind.EXECUTIVE] == 1
        slots = {x.slot: x for x in s.meeting_slots if x.district == d}
        assert set(slots) == {f"{d}-A", f"{d}-B"}
        assert slots[f"{d}-A"].weekday != slots[f"{d}-B"].weekday
        assert all(6 <= x.case_capacity <= 10 for x in slots.values())
        for g in groups:
            assert g.slots == ((f"{d}-A",) if g.kind == GroupKind.SCHOOLS else (f"{d}-B",))
            roles = Counter(people[a].role for a in g.attendees)
            if g.kind == GroupKind.SCHOOLS:
                assert roles[Role.DISTRICT_COORDINATOR] == roles[Role.OUTREACH_MANAGER] == 1
                assert 1 <= roles[Role.EDUCATIONAL_PSYCHOLOGIST] <= 2
            elif g.kind == GroupKind.EARLY_YEARS:
                assert roles == {
                    Role.EDUCATIONAL_PSYCHOLOGIST: 1,
                    Role.DISTRICT_COORDINATOR: 1,
                    Role.EARLY_YEARS_MANAGER: 1,
                }
            else:
                assert 5 <= roles[Role.HEADTEACHER] <= 6
                assert roles[Role.EARLY_YEARS_MANAGER] == 2
                assert roles[Role.DISTRICT_COORDINATOR] == 1
        teachers = [p for p in s.people if p.team == d and p.role == Role.SPECIALIST_TEACHER]
        assert 4 <= len(teachers) <= 7
        assert all(555 <= p.minutes_per_week <= 1110 for p in teachers)
        covered = {n for p in teachers for n in p.specialisms}
        assert covered == HIGH_INCIDENCE, d


@pytest.mark.parametrize("which", ["kent", "county"])
def test_every_school_is_in_one_group_of_its_kind(
    which: str, request: pytest.FixtureRequest
) -> None:
    s: Scenario = request.getfixturevalue(which)
    for school in s.schools:
        if school.phase == Phase.SPECIAL:
            assert school.lift_group is None
            continue
        group = s.group_by_name[school.lift_group or ""]
        assert group.district == school.district
        expected = GroupKind.EARLY_YEARS if school.phase == Phase.EARLY_YEARS else GroupKind.SCHOOLS
        assert group.kind == expected


def test_about_a_third_of_eps_serve_two_districts(kent: Scenario) -> None:
    districts = defaultdict(set)
    for g in kent.lift_groups:
        for a in g.attendees:
            districts[a].add(g.district)
    eps = [p.person_id for p in kent.people if p.role == Role.EDUCATIONAL_PSYCHOLOGIST]
    shared = [ep for ep in eps if len(districts[ep]) == 2]
    assert all(len(districts[ep]) <= 2 for ep in eps)
    assert 0.2 <= len(shared) / len(eps) <= 0.5


def test_county_pools_are_sized_as_staffing_toml(kent: Scenario) -> None:
    for pool, fte in POOLS.items():
        members = [p for p in kent.people if p.team == pool and p.minutes_per_week]
        assert sum(p.minutes_per_week for p in members) == round(fte * 1110)
        assert all(NeedType(pool) in p.specialisms for p in members)
        assert [p.role for p in kent.people if p.team == pool].count(Role.COUNTY_COORDINATOR) == 1


def test_agreements_are_plausible(kent: Scenario) -> None:
    cases = kent.agreements
    assert 1350 <= len(cases) <= 1650
    assert all(re.fullmatch(r"K-\d{6}", a.case_id) for a in cases)
    needs = Counter(a.need_type for a in cases)
    pooled = sum(needs[NeedType(p)] for p in POOLS) / len(cases)
    assert 0.06 <= pooled <= 0.14
    assert all(needs[n] >= 0.05 * len(cases) for n in HIGH_INCIDENCE)
    assert all(a.minutes_per_week % 15 == 0 and 30 <= a.minutes_per_week <= 180 for a in cases)
    assert all(6 <= a.weeks <= 20 for a in cases)
    priorities = Counter(a.priority for a in cases)
    assert priorities[2] + priorities[3] > 0.75 * len(cases) and priorities[1] > 0
    consent = Counter(a.consent.kind for a in cases)
    assert consent["yes"] > 0.9 * len(cases) and consent["no"] > 0 and consent["exception"] > 0
    assert all(a.consent.reason for a in cases if a.consent.kind == "exception")
    assert {a.sen_stage.value for a in cases} == {
        "EYA/SA",
        "EYA+/SA+",
        "SSEN",
        "SEN Support",
        "EHCP",
    }
    assert 0 < sum(a.lac for a in cases) < 0.1 * len(cases)
    early = [a for a in cases if kent.school_by_urn[a.school_urn].phase == Phase.EARLY_YEARS]
    assert 0.02 * len(cases) <= len(early) <= 0.12 * len(cases)


@pytest.mark.parametrize("which", ["kent", "county"])
def test_cases_are_agreed_on_their_districts_meeting_weekdays(
    which: str, request: pytest.FixtureRequest
) -> None:
    s: Scenario = request.getfixturevalue(which)
    weekdays = defaultdict(set)
    for slot in s.meeting_slots:
        weekdays[slot.district].add(slot.weekday_index)
    days = {d: set(s.meeting_days(d)) for d in s.district_names}
    for a in s.agreements:
        district = s.school_by_urn[a.school_urn].district
        assert a.agreed_on in days[district]
        assert a.agreed_on.weekday() in weekdays[district]


def test_staffing_is_the_design_example_with_feasible_baselines(kent: Scenario) -> None:
    staffing = kent.staffing
    assert staffing is not None
    formula = staffing.high_incidence
    assert (formula.total_fte, formula.method, formula.granularity) == (46.2, "webster", 0.1)
    assert (formula.floor_fte, formula.cap_fte, formula.max_change_pct) == (1.9, 7.2, 15.0)
    assert formula.weights == {"pupils": 0.4, "sen_support": 0.4, "fsm_share": 0.2}
    assert staffing.pools == POOLS
    rows = {i.district: i for i in kent.indicators}
    totals = {k: sum(i.indicators[k] for i in rows.values()) for k in formula.weights}
    assert sum(i.baseline_fte for i in rows.values()) == pytest.approx(46.2)
    for d, row in rows.items():
        pupils = sum(
            x.pupils for x in kent.schools if x.district == d and x.phase != Phase.EARLY_YEARS
        )
        assert row.indicators["pupils"] == pupils
        assert 0.11 <= row.indicators["sen_support"] / pupils <= 0.15
        assert 0.12 <= row.indicators["fsm_share"] <= 0.35
        quota = 46.2 * sum(w * row.indicators[k] / totals[k] for k, w in formula.weights.items())
        assert abs(row.baseline_fte - quota) <= 0.1 * quota
        assert formula.floor_fte <= row.baseline_fte <= (formula.cap_fte or 0)
        team = sum(p.minutes_per_week for p in kent.people if p.team == d)
        assert team == pytest.approx(row.baseline_fte * 1110, abs=1)
        assert min(row.hi_children, row.vi_children, row.pi_children) > 0


# -- feasibility of the rota ------------------------------------------------------------------


@pytest.mark.parametrize("which", ["kent", "county"])
def test_every_slot_has_a_meeting_day_for_each_group_in_every_half_term(
    which: str, request: pytest.FixtureRequest
) -> None:
    s: Scenario = request.getfixturevalue(which)
    assert _slot_shortfalls(s) == []
    assert check_meeting_days(s) == []
    groups = Counter(g.slots for g in s.lift_groups)
    assert all(x.weekday != "Monday" for x in s.meeting_slots if groups[(x.slot,)] == 5)


@pytest.mark.parametrize("which", ["kent", "county"])
def test_nobody_attends_two_slots_on_one_weekday(
    which: str, request: pytest.FixtureRequest
) -> None:
    s: Scenario = request.getfixturevalue(which)
    slots: dict[str, set[str]] = defaultdict(set)
    for g in s.lift_groups:
        for a in g.attendees:
            slots[a].update(g.slots)
    for person, ids in slots.items():
        weekdays = [s.slot_by_id[i].weekday for i in ids]
        assert len(weekdays) == len(set(weekdays)), person


def test_check_meeting_days_names_a_slot_short_of_days(kent: Scenario) -> None:
    slot = next(x for x in kent.meeting_slots if x.slot.endswith("-A"))
    monday = slot.model_copy(update={"weekday": "Monday"})
    extra = tuple(
        LiftGroup(group=f"Extra {k}", district=slot.district, slots=(slot.slot,)) for k in range(5)
    )
    fields = {name: getattr(kent, name) for name in Scenario.model_fields}
    crowded = Scenario.model_construct(
        **fields
        | {
            "meeting_slots": tuple(monday if x is slot else x for x in kent.meeting_slots),
            "lift_groups": kent.lift_groups + extra,
        }
    )
    problems = check_meeting_days(crowded)
    assert any(
        p.startswith(f"slot {slot.slot} (Monday) has 4 meeting days in half-term 5")
        for p in problems
    )
    assert _slot_shortfalls(crowded)


# -- synthetic counties -----------------------------------------------------------------------


def test_scale_sets_the_number_of_districts_and_the_size() -> None:
    small = generate_county(0.1, seed=2)
    assert [d.district for d in small.districts] == ["District 01"]
    big = generate_county(3.0, seed=2)
    assert len(big.districts) == 36
    assert 3 * 440 <= sum(s.phase == Phase.PRIMARY for s in big.schools) <= 3 * 480
    assert 3 * 1300 <= len(big.agreements) <= 3 * 1750
    assert big.staffing is not None and big.staffing.high_incidence.total_fte > 120
    assert _slot_shortfalls(big) == []


def test_scale_one_is_kent_sized(county: Scenario) -> None:
    assert len(county.districts) == 12
    assert 1_100_000 <= sum(d.population for d in county.districts) <= 2_200_000
    assert 300 <= sum(s.phase == Phase.PRIMARY for s in county.schools) <= 650
    assert 60 <= len(county.lift_groups) <= 84
    assert 900 <= len(county.agreements) <= 2200
    lead = Counter(s.district for s in county.special_schools if s.role == SpecialRole.LEAD)
    assert set(lead.values()) == {1} and set(lead) == set(county.district_names)


@settings(max_examples=15, deadline=None)
@given(scale=st.floats(0.05, 0.3), seed=st.integers(0, 10**6))
def test_small_counties_validate_and_round_trip(scale: float, seed: int) -> None:
    scenario = generate_county(scale, seed)
    assert len(scenario.districts) == max(1, round(12 * scale))
    assert check_meeting_days(scenario) == []
    assert _slot_shortfalls(scenario) == []
    with tempfile.TemporaryDirectory() as folder:
        write_scenario(scenario, Path(folder))
        assert read_scenario(Path(folder)) == scenario


def test_command_line_writes_a_county(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["county", "--scale", "0.1", "--seed", "4", "--name", "Testshire", str(tmp_path)]) == 0
    )
    assert read_scenario(tmp_path) == generate_county(0.1, 4, name="Testshire")
    assert f"Wrote Testshire to {tmp_path}" in capsys.readouterr().out


def test_the_embedded_kent_folder_is_kent_scenario(kent: Scenario) -> None:
    from allocator.paths import KENT

    assert read_scenario(KENT) == kent
