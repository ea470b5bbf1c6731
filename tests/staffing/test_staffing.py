"""The staffing formula: quotas, rules, the constrained quota's optimality, pools, what-ifs, CLI, files."""

from __future__ import annotations

import csv
import math
import tomllib
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import highspy
import pytest
import tomli_w
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import allocator.cli.staffing as cli_staffing
from allocator.io.staffing_export import (
    COMPARISON_COLUMNS,
    POOL_COLUMNS,
    STAFFING_COLUMNS,
    read_staffing_settings,
    staffing_chart,
    write_staffing,
)
from allocator.model import (
    District,
    DistrictIndicators,
    Scenario,
    ScenarioError,
    ScenarioSettings,
    StaffingSettings,
    Term,
)
from allocator.model.staffing_result import (
    StaffingAllocation,
    StaffingError,
    StaffingInfeasible,
    StaffingRule,
)
from allocator.staffing.apportion import METHODS, apportion
from allocator.staffing.check import check_staffing
from allocator.staffing.formula import (
    allocate_formula,
    allocate_staffing,
    formula_quotas,
    team_capacity_from_staffing,
)
from allocator.staffing.whatif import adjust_formula, compare_staffing, staffing_sensitivity

F = Fraction
FLOOR, CAP, CHANGE = StaffingRule.FLOOR, StaffingRule.CAP, StaffingRule.CHANGE_LIMIT

# Kent's districts with 2021 census populations (hundreds); the other indicators are made up but steady.
KENT = {
    "Ashford": 1327,
    "Canterbury": 1574,
    "Dartford": 1168,
    "Dover": 1164,
    "Gravesham": 1069,
    "Maidstone": 1758,
    "Sevenoaks": 1205,
    "Folkestone and Hythe": 1098,
    "Swale": 1517,
    "Thanet": 1406,
    "Tonbridge and Malling": 1322,
    "Tunbridge Wells": 1153,
}
BASE_FORMULA: dict[str, Any] = {
    "total_fte": 46.2,
    "method": "webster",
    "granularity": 0.1,
    "floor_fte": 1.9,
    "cap_fte": 7.2,
    "max_change_pct": 15.0,
    "weights": {"pupils": 0.4, "sen_support": 0.4, "fsm_share": 0.2},
}
POOLS = {"HI": 5.9, "VI": 4.1, "PI": 4.5}


def kent_indicators() -> list[DistrictIndicators]:
    rows = []
    for i, (district, hundreds) in enumerate(KENT.items()):
        pupils = hundreds * 16 + 37 * i
        rows.append(
            DistrictIndicators(
                district=district,
                indicators={
                    "pupils": pupils,
                    "sen_support": pupils * (11 + i % 4) // 100,
                    "fsm_share": round(0.12 + 0.013 * ((i * 5) % 12), 3),
                },
                baseline_fte=round(46.2 * hundreds / 15761 + (0.2 if i % 3 == 0 else -0.1), 1),
                hi_children=20 + (i * 7) % 31,
                vi_children=8 + (i * 5) % 17,
                pi_children=12 + (i * 11) % 23,
            )
        )
    return rows


def make_scenario(
    indicators: list[DistrictIndicators] | None = None,
    formula: dict[str, Any] | None = None,
    pools: dict[str, float] | None = None,
) -> Scenario:
    """A valid scenario with only what staffing reads: districts, settings, indicators."""
    indicators = indicators if indicators is not None else kent_indicators()
    first = date(2025, 9, 3)
    terms = tuple(
        Term(
            term=n,
            first_day=first + timedelta(weeks=7 * (n - 1)),
            last_day=first + timedelta(weeks=7 * n - 2),
        )
        for n in range(1, 7)
    )
    return Scenario(
        settings=ScenarioSettings(
            name="test county", academic_year="2025-26", minutes_per_fte_week=1110
        ),
        terms=terms,
        districts=tuple(
            District(district=row.district, population=1000, lat=51.2, lon=0.9)
            for row in indicators
        ),
        schools=(),
        lift_groups=(),
        meeting_slots=(),
        people=(),
        staffing=StaffingSettings.model_validate(
            {"high_incidence": formula or BASE_FORMULA, "pools": POOLS if pools is None else pools}
        ),
        indicators=tuple(indicators),
    )


def formula(**changes: Any) -> StaffingSettings:
    return StaffingSettings.model_validate(
        {"high_incidence": {**BASE_FORMULA, **changes}, "pools": POOLS}
    )


def small(
    *rows: tuple[str, float, float], baselines: dict[str, float] | None = None
) -> list[DistrictIndicators]:
    """Indicators of districts given as (name, pupils, fsm_share)."""
    return [
        DistrictIndicators(
            district=name,
            indicators={"pupils": pupils, "fsm_share": fsm},
            baseline_fte=(baselines or {}).get(name, 0.0),
            hi_children=3,
        )
        for name, pupils, fsm in rows
    ]


def two_weights(**changes: Any) -> StaffingSettings:
    base = {
        "total_fte": 10.0,
        "method": "hamilton",
        "granularity": 0.1,
        "weights": {"pupils": 0.5, "fsm_share": 0.5},
    }
    return StaffingSettings.model_validate({"high_incidence": {**base, **changes}})


# --- the exact quota -----------------------------------------------------------------------------


def test_quota_is_the_weighted_share_of_each_indicator_exactly() -> None:
    rows = small(("A", 300, 0.2), ("B", 100, 0.3), ("C", 600, 0.5))
    quotas = formula_quotas(two_weights().high_incidence, rows)
    # A: 10 * (0.5 * 300/1000 + 0.5 * 0.2/1.0) = 2.5 exactly; B: 10 * (0.05 + 0.15) = 2; C: 5.5.
    assert quotas == {"A": F(5, 2), "B": F(2), "C": F(11, 2)}
    assert sum(quotas.values()) == 10


def test_quotas_add_up_exactly_even_when_float_weights_do_not() -> None:
    settings = two_weights(weights={"pupils": 1 / 3, "fsm_share": 2 / 3})
    quotas = formula_quotas(
        settings.high_incidence, small(("A", 7, 0.11), ("B", 13, 0.29), ("C", 1, 0.6))
    )
    assert sum(quotas.values()) == 10


# --- no rule binding: the named method decides --------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_without_binding_rules_the_allocation_is_the_methods_rounding(method: str) -> None:
    scenario = make_scenario(
        formula={**BASE_FORMULA, "method": method, "floor_fte": 0, "max_change_pct": None}
    )
    allocation = allocate_staffing(scenario)
    quotas = {d.district: d.quota_fte for d in allocation.districts}
    posts = apportion(quotas, 462, method)
    assert {d.district: d.allocated_fte for d in allocation.districts} == {
        k: v * F(1, 10) for k, v in posts.items()
    }
    assert allocation.quota_scale == 1 and not allocation.held
    assert all(d.constrained_quota_fte == d.quota_fte for d in allocation.districts)
    assert allocation.allocated_fte == F(462, 10)


def test_kent_like_staffing_with_every_rule_passes_the_checker() -> None:
    scenario = make_scenario()
    allocation = allocate_staffing(scenario)
    assert [d.district for d in allocation.districts] == list(KENT)
    assert allocation.allocated_fte == F(462, 10)
    assert check_staffing(allocation, scenario.indicators) == []
    for d in allocation.districts:
        assert F(19, 10) <= d.allocated_fte <= F(72, 10)
        assert abs(d.change_fte) <= d.baseline_fte * F(15, 100)


# --- each rule holds -----------------------------------------------------------------------------


def test_a_floor_holds_a_small_district_and_the_rest_are_scaled_down() -> None:
    rows = small(("Big", 800, 0.5), ("Mid", 190, 0.45), ("Tiny", 10, 0.05))
    allocation = allocate_formula(two_weights(floor_fte=1.5), rows)
    tiny = allocation.by_district["Tiny"]
    # Tiny's quota is 10 * (0.005 + 0.025) = 0.3 FTE; the floor lifts it to 1.5.
    assert tiny.quota_fte == F(3, 10) and tiny.allocated_fte == F(3, 2) and tiny.held_by == (FLOOR,)
    # The others share 8.5 FTE in proportion: scale 8.5 / 9.7.
    assert allocation.quota_scale == F(85, 97)
    assert (
        allocation.by_district["Big"].held_by == () and allocation.by_district["Mid"].held_by == ()
    )
    assert sum(d.allocated_fte for d in allocation.districts) == 10


def test_a_cap_holds_a_large_district_and_its_excess_goes_to_the_others() -> None:
    rows = small(("Big", 800, 0.5), ("Mid", 190, 0.45), ("Tiny", 10, 0.05))
    allocation = allocate_formula(two_weights(cap_fte=5.0), rows)
    big = allocation.by_district["Big"]
    assert big.quota_fte == F(65, 10) and big.allocated_fte == 5 and big.held_by == (CAP,)
    # Mid (3.2) and Tiny (0.3) share 5 FTE: scale 5 / 3.5, so 4.571... and 0.428... -> 4.6 and 0.4.
    assert allocation.by_district["Mid"].constrained_quota_fte == F(32, 10) * F(50, 35)
    assert (
        allocation.by_district["Mid"].allocated_fte,
        allocation.by_district["Tiny"].allocated_fte,
    ) == (
        F(46, 10),
        F(4, 10),
    )


def test_the_change_limit_holds_districts_in_both_directions() -> None:
    rows = small(
        ("Big", 800, 0.5),
        ("Mid", 190, 0.45),
        ("Tiny", 10, 0.05),
        baselines={"Big": 5.0, "Tiny": 1.0},
    )
    allocation = allocate_formula(two_weights(max_change_pct=10.0), rows)
    assert allocation.by_district["Big"].allocated_fte == F(55, 10)  # 6.5 held to 5.0 + 10%
    assert allocation.by_district["Big"].held_by == (CHANGE,)
    assert allocation.by_district["Tiny"].allocated_fte == F(9, 10)  # 0.3 held to 1.0 - 10%
    assert allocation.by_district["Tiny"].held_by == (CHANGE,)
    # Mid has no baseline, so no change limit: it takes the rest.
    assert allocation.by_district["Mid"].allocated_fte == F(36, 10)
    assert allocation.by_district["Mid"].held_by == ()


def test_a_bound_set_by_two_rules_names_both() -> None:
    rows = small(("Big", 800, 0.5), ("Tiny", 10, 0.05), baselines={"Tiny": 2.0})
    allocation = allocate_formula(two_weights(floor_fte=1.8, max_change_pct=10.0), rows)
    assert allocation.by_district["Tiny"].held_by == (FLOOR, CHANGE)


def test_floors_round_up_and_caps_down_to_whole_posts() -> None:
    rows = small(("Big", 800, 0.5), ("Tiny", 10, 0.05))
    allocation = allocate_formula(two_weights(floor_fte=1.45, cap_fte=8.57), rows)
    assert allocation.by_district["Tiny"].allocated_fte == F(3, 2)
    assert allocation.by_district["Big"].allocated_fte == F(85, 10)


def test_a_floor_between_posts_rounds_up_with_no_cap_to_hide_it() -> None:
    rows = small(("Big", 800, 0.5), ("Tiny", 10, 0.05))
    allocation = allocate_formula(two_weights(floor_fte=1.45), rows)
    assert allocation.by_district["Tiny"].allocated_fte == F(3, 2)
    assert allocation.by_district["Tiny"].held_by == (FLOOR,)
    assert allocation.by_district["Big"].allocated_fte == F(85, 10)
    assert check_staffing(allocation, rows) == []


def test_the_checker_flags_a_floor_rounded_down() -> None:
    rows = small(("Big", 800, 0.5), ("Tiny", 10, 0.05))
    allocation = allocate_formula(two_weights(floor_fte=1.45), rows)
    districts = tuple(
        d.model_copy(
            update={
                "allocated_fte": d.allocated_fte + (F(-1, 10) if d.district == "Tiny" else F(1, 10))
            }
        )
        for d in allocation.districts
    )
    rounded_down = allocation.model_copy(update={"districts": districts})
    problems = check_staffing(rounded_down, rows)
    assert any("Tiny: 1.4 FTE is below the floor 1.45" in p for p in problems), problems


def test_a_district_with_no_baseline_has_no_change_limit() -> None:
    rows = small(("A", 500, 0.5), ("B", 500, 0.5), baselines={"A": 5.0})
    allocation = allocate_formula(two_weights(max_change_pct=0.0), rows)
    assert (
        allocation.by_district["A"].allocated_fte == 5
        and allocation.by_district["B"].allocated_fte == 5
    )


def test_a_tie_in_the_high_incidence_share_out_is_reported() -> None:
    rows = small(("Dover", 1, 0.5), ("Thanet", 1, 0.5))
    allocation = allocate_formula(two_weights(total_fte=0.1), rows)
    assert allocation.by_district["Dover"].allocated_fte == F(1, 10)
    (tie,) = allocation.ties
    assert tie.share_out == "high-incidence" and tie.candidates == ("Dover", "Thanet")


# --- infeasible rules are reported with the reason ----------------------------------------------


@pytest.mark.parametrize(
    ("changes", "baselines", "reason"),
    [
        (
            {"floor_fte": 4.0},
            {},
            "the floors and change limits need at least 12 FTE in all, 2 FTE more than total_fte 10 FTE",
        ),
        (
            {"cap_fte": 3.0},
            {},
            "the caps and change limits allow at most 9 FTE in all, 1 FTE less than total_fte 10 FTE",
        ),
        (
            {"floor_fte": 2.0, "max_change_pct": 10.0},
            {"A": 1.0},
            "A: needs at least 2 FTE (floor 2 FTE) but may have at most 1.1 FTE "
            "(change limit: baseline 1 FTE + 10% = 1.1 FTE)",
        ),
        (
            {"max_change_pct": 0.0},
            {"A": 1.05},
            "A: needs at least 1.1 FTE (change limit: baseline 1.05 FTE - 0% = 1.05 FTE) but may have "
            "at most 1 FTE (change limit: baseline 1.05 FTE + 0% = 1.05 FTE)",
        ),
    ],
)
def test_rules_that_cannot_all_hold_are_reported_in_words(
    changes: dict[str, Any], baselines: dict[str, float], reason: str
) -> None:
    rows = small(("A", 300, 0.2), ("B", 100, 0.3), ("C", 600, 0.5), baselines=baselines)
    with pytest.raises(StaffingInfeasible) as caught:
        allocate_formula(two_weights(**changes), rows)
    assert caught.value.reasons[0].startswith(reason)


def test_posts_only_zero_quota_districts_could_take_are_reported() -> None:
    rows = small(("A", 300, 0.2), ("Empty", 0, 0.0))
    with pytest.raises(
        StaffingInfeasible, match="could only go to Empty, which the formula gives no share"
    ):
        allocate_formula(two_weights(cap_fte=8.0), rows)


@pytest.mark.parametrize(
    ("settings", "rows", "message"),
    [
        (
            two_weights(total_fte=10.05),
            None,
            r"total_fte 10.05 is not a whole number of 0.1-FTE posts \(10 or 10.1",
        ),
        (
            two_weights(weights={"pupils": 0.5, "fte": 0.5}),
            None,
            "weight 'fte' names no column of district_indicators.csv",
        ),
        (
            two_weights(),
            small(("A", 300, 0), ("B", 100, 0)),
            "indicator 'fsm_share' is 0 in every district",
        ),
    ],
)
def test_formulas_the_inputs_cannot_carry_are_refused_in_words(
    settings: StaffingSettings, rows: list[DistrictIndicators] | None, message: str
) -> None:
    with pytest.raises(StaffingError, match=message):
        allocate_formula(settings, rows or small(("A", 300, 0.2), ("B", 100, 0.3)))


def test_two_rows_for_one_district_are_refused() -> None:
    rows = small(("A", 300, 0.2), ("B", 100, 0.3), ("A", 100, 0.3))
    with pytest.raises(StaffingError, match="more than one row for A"):
        allocate_formula(two_weights(), rows)


def test_a_scenario_without_staffing_settings_is_refused() -> None:
    scenario = make_scenario().model_copy(update={"staffing": None})
    with pytest.raises(StaffingError, match=r"no staffing\.toml"):
        allocate_staffing(scenario)


# --- the constrained quota is the closest the rules allow (against an LP) --------------------------


def lp_optimum(
    quotas: list[Fraction], lows: list[int], highs: list[int], total: int
) -> tuple[float, float]:
    """Least largest relative deviation, then least total deviation, by HiGHS over real numbers."""
    h = highspy.Highs()
    h.silent()
    t = [h.addVariable(lb=lo, ub=hi) for lo, hi in zip(lows, highs, strict=True)]
    r = h.addVariable(lb=0)
    h.addConstr(sum(t) == total)
    for x, q in zip(t, quotas, strict=True):
        if q > 0:
            h.addConstr(x - float(q) <= float(q) * r)
            h.addConstr(float(q) - x <= float(q) * r)
    h.minimize(r)
    worst = h.getObjectiveValue()
    h.addConstr(r <= worst + 1e-9)
    gaps = [h.addVariable(lb=0) for _ in t]
    for x, q, e in zip(t, quotas, gaps, strict=True):
        h.addConstr(e >= x - float(q))
        h.addConstr(e >= float(q) - x)
    h.minimize(sum(gaps))
    return worst, h.getObjectiveValue()


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 500), st.integers(0, 100), st.integers(0, 60)),
        min_size=2,
        max_size=7,
    ),
    st.integers(20, 120),
    st.integers(0, 25),
    st.integers(25, 80) | st.none(),
    st.integers(0, 40) | st.none(),
)
def test_constrained_quota_has_the_least_largest_deviation_then_the_least_total(
    raw: list[tuple[int, int, int]], total_posts: int, floor: int, cap: int | None, pct: int | None
) -> None:
    rows = [
        DistrictIndicators(
            district=f"D{i}", indicators={"pupils": p, "fsm_share": f}, baseline_fte=b / 10
        )
        for i, (p, f, b) in enumerate(raw)
    ]
    assume(sum(p for p, _, _ in raw) > 0 and sum(f for _, f, _ in raw) > 0)
    settings_ = two_weights(
        total_fte=total_posts / 10,
        floor_fte=floor / 10,
        cap_fte=None if cap is None else max(cap, floor) / 10,
        max_change_pct=pct,
    )
    try:
        allocation = allocate_formula(settings_, rows)
    except StaffingInfeasible:
        assume(False)
        return
    lows, highs = bounds_in_posts(settings_, rows)
    quotas = [d.quota_fte * 10 for d in allocation.districts]
    worst, total_gap = lp_optimum(quotas, lows, highs, total_posts)
    constrained = [d.constrained_quota_fte * 10 for d in allocation.districts]
    ours_worst = max(abs(c - q) / q for c, q in zip(constrained, quotas, strict=True) if q > 0)
    ours_total = sum(abs(c - q) for c, q in zip(constrained, quotas, strict=True))
    assert float(ours_worst) == pytest.approx(worst, abs=1e-6)
    assert float(ours_total) == pytest.approx(total_gap, abs=1e-6)


def bounds_in_posts(
    settings_: StaffingSettings, rows: list[DistrictIndicators]
) -> tuple[list[int], list[int]]:
    """The rules' bounds worked out in the test's own words."""
    f = settings_.high_incidence
    total = round(f.total_fte * 10)
    lows, highs = [], []
    for row in rows:
        low = math.ceil(round(f.floor_fte * 10, 6))
        high = total if f.cap_fte is None else math.floor(round(f.cap_fte * 10, 6))
        if f.max_change_pct is not None and row.baseline_fte > 0:
            b = F(repr(row.baseline_fte)) * 10
            p = F(repr(f.max_change_pct)) / 100
            low, high = max(low, math.ceil(b * (1 - p))), min(high, math.floor(b * (1 + p)))
        lows.append(low)
        highs.append(min(high, total))
    return lows, highs


# --- the rules always hold, or the problem is infeasible for the reason given ----------------------


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 300), st.integers(0, 9), st.integers(0, 50)),
        min_size=1,
        max_size=8,
    ),
    st.integers(1, 150),
    st.integers(0, 30),
    st.integers(5, 60) | st.none(),
    st.integers(0, 30) | st.none(),
    st.sampled_from(METHODS),
)
def test_rules_are_always_honoured_or_the_problem_is_infeasible_for_a_true_reason(
    raw: list[tuple[int, int, int]],
    total_posts: int,
    floor: int,
    cap: int | None,
    pct: int | None,
    method: str,
) -> None:
    assume(sum(p for p, _, _ in raw) > 0 and sum(f for _, f, _ in raw) > 0)
    rows = [
        DistrictIndicators(
            district=f"D{i}", indicators={"pupils": p, "fsm_share": f / 10}, baseline_fte=b / 10
        )
        for i, (p, f, b) in enumerate(raw)
    ]
    settings_ = two_weights(
        total_fte=total_posts / 10,
        method=method,
        floor_fte=floor / 10,
        cap_fte=None if cap is None else max(cap, floor) / 10,
        max_change_pct=pct,
    )
    lows, highs = bounds_in_posts(settings_, rows)
    quotas = formula_quotas(settings_.high_incidence, rows)
    room = sum(
        hi if quotas[r.district] > 0 else lo for r, lo, hi in zip(rows, lows, highs, strict=True)
    )
    possible = (
        all(lo <= hi for lo, hi in zip(lows, highs, strict=True))
        and sum(lows) <= total_posts <= room
    )
    try:
        allocation = allocate_formula(settings_, rows)  # runs the checker too
    except StaffingInfeasible as error:
        assert not possible
        assert error.reasons and all(len(reason) > 30 for reason in error.reasons)
        return
    assert possible
    for d, lo, hi in zip(allocation.districts, lows, highs, strict=True):
        assert lo <= d.allocated_fte * 10 <= hi
        assert (d.allocated_fte * 10).denominator == 1
    assert allocation.allocated_fte * 10 == total_posts
    assert check_staffing(allocation, rows) == []


# --- pools ---------------------------------------------------------------------------------------


def test_pools_are_shared_by_children_with_the_same_method() -> None:
    scenario = make_scenario()
    allocation = allocate_staffing(scenario)
    assert allocation.pool_fte == {"HI": F(59, 10), "VI": F(41, 10), "PI": F(9, 2)}
    for pool, column in (("HI", "hi_children"), ("VI", "vi_children"), ("PI", "pi_children")):
        children = {r.district: getattr(r, column) for r in scenario.indicators}
        posts = apportion(children, round(POOLS[pool] * 10), "webster")
        rows = [r for r in allocation.pools if r.pool == pool]
        assert {r.district: r.allocated_fte for r in rows} == {
            d: n * F(1, 10) for d, n in posts.items()
        }
        assert sum(r.quota_fte for r in rows) == F(repr(POOLS[pool]))


def test_a_pool_without_children_is_refused() -> None:
    rows = small(("A", 300, 0.2), ("B", 100, 0.3))
    settings_ = StaffingSettings(high_incidence=two_weights().high_incidence, pools={"VI": 1.0})
    with pytest.raises(StaffingError, match="no district has any vi_children"):
        allocate_formula(settings_, rows)


# --- what-ifs ------------------------------------------------------------------------------------


def test_sensitivity_gives_each_districts_range_as_each_weight_moves() -> None:
    scenario = make_scenario(formula={**BASE_FORMULA, "floor_fte": 0, "max_change_pct": None})
    sensitivity = staffing_sensitivity(scenario)
    base = allocate_staffing(scenario)
    assert sensitivity.step_pct == 10
    for row in sensitivity.rows:
        assert (
            row.low_fte
            <= base.by_district[row.district].allocated_fte
            == row.allocated_fte
            <= row.high_fte
        )
    moved = [r for r in sensitivity.rows if r.low_fte < r.allocated_fte]
    assert moved
    # Re-run the move named for one district by hand: pupils' weight up or down 10%, then rescaled.
    row = moved[0]
    name, sign = row.low_when.split(" ")[0], row.low_when.split(" ")[1][0]
    weights = dict(BASE_FORMULA["weights"])
    weights[name] *= 1.1 if sign == "+" else 0.9
    total = sum(weights.values())
    by_hand = allocate_staffing(
        scenario,
        formula(
            weights={k: v / total for k, v in weights.items()}, floor_fte=0, max_change_pct=None
        ),
    )
    assert by_hand.by_district[row.district].allocated_fte == row.low_fte


def test_sensitivity_step_must_be_a_percentage_below_100() -> None:
    with pytest.raises(StaffingError, match="step_pct is 100"):
        staffing_sensitivity(make_scenario(), step_pct=100)
    with pytest.raises(StaffingError, match="step_pct is 0: expected more than 0"):
        staffing_sensitivity(make_scenario(), step_pct=0)
    assert staffing_sensitivity(make_scenario(), step_pct=1).step_pct == 1


def test_compare_gives_the_change_per_district_and_pool() -> None:
    scenario = make_scenario()
    a, b = formula(method="hamilton"), formula(total_fte=48.0)
    comparison = compare_staffing(scenario, a, b, "a.toml", "b.toml")
    first, second = allocate_staffing(scenario, a), allocate_staffing(scenario, b)
    districts = [r for r in comparison.rows if not r.pool]
    assert [r.district for r in districts] == list(KENT)
    for r in districts:
        assert (
            r.change_fte
            == second.by_district[r.district].allocated_fte
            - first.by_district[r.district].allocated_fte
        )
    assert sum(r.change_fte for r in districts) == F(18, 10)
    assert {r.pool for r in comparison.rows if r.pool} == {"HI", "VI", "PI"}


def test_compare_names_the_formula_that_cannot_be_applied() -> None:
    with pytest.raises(
        StaffingInfeasible, match=r"^b\.toml: Dartford: needs at least 4 FTE \(floor 4 FTE\)"
    ):
        compare_staffing(make_scenario(), formula(), formula(floor_fte=4.0), "a.toml", "b.toml")


def test_adjust_formula_rescales_the_weights_not_set() -> None:
    settings_, notes = adjust_formula(
        formula(), changes={"weights.pupils": "0.6", "cap_fte": "none"}
    )
    weights = settings_.high_incidence.weights
    assert weights["pupils"] == 0.6
    assert weights["sen_support"] == pytest.approx(4 / 15) and weights[
        "fsm_share"
    ] == pytest.approx(2 / 15)
    assert settings_.high_incidence.cap_fte is None
    assert notes == ["weights sen_support, fsm_share scaled by 0.6667 so that the weights sum to 1"]
    total_changed, _ = adjust_formula(
        formula(), total_fte=50.0, method="dhondt", changes={"pools.HI": "6"}
    )
    assert (
        total_changed.high_incidence.total_fte == 50
        and total_changed.high_incidence.method == "dhondt"
    )
    assert total_changed.pools["HI"] == 6


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weights.pupils": "0.7", "weights.fsm_share": "0.5"}, "add up to 1.2"),
        ({"weights.pupils": "lots"}, "weights.pupils=lots: expected a number"),
        ({"colour": "1"}, "colour: expected weights.NAME, pools.NAME or one of total_fte"),
        ({"method": "jefferson"}, "high_incidence.method: Input should be 'hamilton'"),
        (
            {"floor_fte": "-1"},
            "high_incidence.floor_fte: Input should be greater than or equal to 0",
        ),
    ],
)
def test_adjust_formula_refuses_in_words(changes: dict[str, str], message: str) -> None:
    with pytest.raises(StaffingError, match=message):
        adjust_formula(formula(), changes=changes)


def test_team_capacity_is_the_allocation_in_casework_minutes() -> None:
    scenario = make_scenario()
    allocation = allocate_staffing(scenario)
    capacity = team_capacity_from_staffing(scenario, allocation)
    assert set(capacity) == set(KENT) | {"HI", "VI", "PI"}
    for d in allocation.districts:
        assert capacity[d.district] == d.allocated_fte * 1110  # 0.1 FTE is 111 minutes: whole
    assert capacity["HI"] == 5.9 * 1110
    halves = make_scenario(
        formula={**BASE_FORMULA, "granularity": 0.05, "floor_fte": 0, "max_change_pct": None}
    )
    odd = allocate_staffing(halves)
    minutes = team_capacity_from_staffing(halves, odd)
    assert all(minutes[d.district] == math.floor(d.allocated_fte * 1110) for d in odd.districts)


# --- files and chart -----------------------------------------------------------------------------


def test_files_have_the_contract_columns_and_the_allocation(tmp_path: Path) -> None:
    scenario = make_scenario()
    allocation = allocate_staffing(scenario)
    written = write_staffing(allocation, tmp_path, staffing_sensitivity(scenario))
    assert {p.name for p in written} == {
        "staffing.csv",
        "pools.csv",
        "staffing.png",
        "sensitivity.csv",
    }
    with (tmp_path / "staffing.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == STAFFING_COLUMNS
    assert sum(F(r["allocated_fte"]) for r in rows) == F(462, 10)
    for row, d in zip(rows, allocation.districts, strict=True):
        assert (row["district"], F(row["allocated_fte"]), F(row["baseline_fte"])) == (
            d.district,
            d.allocated_fte,
            d.baseline_fte,
        )
        assert F(row["change_fte"]) == d.change_fte and row["held_by"] == ";".join(d.held_by)
    with (tmp_path / "pools.csv").open() as handle:
        pools = list(csv.DictReader(handle))
    assert tuple(pools[0]) == POOL_COLUMNS and len(pools) == 36
    assert (tmp_path / "staffing.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_chart_shows_quota_allocation_and_baseline_of_each_district() -> None:
    allocation = allocate_staffing(make_scenario(formula={**BASE_FORMULA, "floor_fte": 3.3}))
    figure = staffing_chart(allocation)
    (axes,) = figure.axes
    heights = {c.get_label(): [bar.get_height() for bar in c] for c in axes.containers}
    assert heights["quota FTE"] == [float(d.quota_fte) for d in allocation.districts]
    assert heights["allocated FTE"] == [float(d.allocated_fte) for d in allocation.districts]
    assert heights["baseline FTE"] == [float(d.baseline_fte) for d in allocation.districts]
    assert [t.get_text() for t in axes.get_xticklabels()] == list(KENT)
    labels = [t.get_text() for t in axes.texts]
    assert labels and len(labels) == len(allocation.held)
    assert "46.2 FTE by webster" in axes.get_title()


def test_a_staffing_toml_is_read_or_refused_naming_the_key(tmp_path: Path) -> None:
    good = tmp_path / "a.toml"
    good.write_text(tomli_w.dumps({"high_incidence": BASE_FORMULA, "pools": POOLS}))
    assert read_staffing_settings(good) == formula()
    bad = tmp_path / "b.toml"
    bad.write_text(tomli_w.dumps({"high_incidence": {**BASE_FORMULA, "granularity": -1}}))
    with pytest.raises(ScenarioError) as caught:
        read_staffing_settings(bad)
    assert "b.toml, column 'high_incidence.granularity': got '-1'" in str(caught.value.problems[0])
    broken = tmp_path / "c.toml"
    broken.write_text("[high_incidence\n")
    with pytest.raises(ScenarioError, match="valid TOML"):
        read_staffing_settings(broken)


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    scenario = make_scenario()
    monkeypatch.setattr(cli_staffing, "read_scenario", lambda path: scenario)
    return CliRunner(env={"COLUMNS": "200"})


def test_lift_staffing_prints_the_table_and_writes_the_files(
    cli: CliRunner, tmp_path: Path
) -> None:
    result = cli.invoke(
        cli_staffing.staffing_app,
        ["--out", str(tmp_path), "--set", "weights.pupils=0.5", "--method", "adams"],
    )
    assert result.exit_code == 0, result.output
    assert (
        "by adams" in result.output
        and "Tunbridge Wells" in result.output
        and "weights ±10%" in result.output
    )
    assert "note: weights sen_support, fsm_share scaled by 0.8333" in result.output
    assert (tmp_path / "staffing.csv").exists() and (tmp_path / "staffing.png").exists()


def test_lift_staffing_reports_infeasible_rules_without_a_traceback(cli: CliRunner) -> None:
    result = cli.invoke(cli_staffing.staffing_app, ["--total-fte", "20"])
    assert result.exit_code == 1
    assert "cannot be applied" in result.output and "need at least 39.9 FTE" in result.output
    assert "Traceback" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)


def test_lift_staffing_compare(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(
        tomli_w.dumps({"high_incidence": BASE_FORMULA, "pools": POOLS})
    )
    (tmp_path / "b.toml").write_text(
        tomli_w.dumps({"high_incidence": {**BASE_FORMULA, "total_fte": 47.0}, "pools": POOLS})
    )
    result = cli.invoke(
        cli_staffing.staffing_app,
        ["compare", str(tmp_path / "a.toml"), str(tmp_path / "b.toml"), "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert "a.toml against b.toml" in result.output
    with (tmp_path / "compare.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == COMPARISON_COLUMNS
    assert sum(F(r["change_fte"]) for r in rows if not r["pool"]) == F(8, 10)


def test_lift_staffing_compare_names_a_bad_file(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('[high_incidence]\ntotal_fte = "lots"\n')
    result = cli.invoke(
        cli_staffing.staffing_app, ["compare", str(tmp_path / "a.toml"), str(tmp_path / "a.toml")]
    )
    assert result.exit_code == 2
    assert (
        "a.toml, column 'high_incidence.total_fte'" in result.output
        and "Traceback" not in result.output
    )


def test_the_kent_staffing_toml_example_in_the_design_brief_is_valid() -> None:
    text = """
[high_incidence]
total_fte = 46.2
method = "webster"
granularity = 0.1
floor_fte = 1.9
cap_fte = 7.2
max_change_pct = 15.0

[high_incidence.weights]
pupils = 0.4
sen_support = 0.4
fsm_share = 0.2

[pools]
HI = 5.9
VI = 4.1
PI = 4.5
"""
    assert StaffingSettings.model_validate(tomllib.loads(text)) == formula()


def test_lift_staffing_on_the_embedded_kent_scenario(tmp_path: Path) -> None:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        cli_staffing.staffing_app, ["--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    with (tmp_path / "staffing.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12 and sum(F(r["allocated_fte"]) for r in rows) == F(462, 10)
    for row in rows:
        assert row["district"] in result.output
        assert F(19, 10) <= F(row["allocated_fte"]) <= F(72, 10)
    assert (tmp_path / "staffing.png").stat().st_size > 10_000


def test_an_allocation_survives_a_json_round_trip() -> None:
    allocation = allocate_staffing(make_scenario())
    again = StaffingAllocation.model_validate_json(allocation.model_dump_json())
    assert (
        again == allocation
        and again.by_district["Swale"].held_by == allocation.by_district["Swale"].held_by
    )
