"""The independent staffing checker: it accepts the planner's results and catches each kind of fault."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.model import DistrictIndicators, StaffingSettings
from allocator.model.staffing_result import StaffingAllocation, StaffingRule
from allocator.staffing.apportion import METHODS
from allocator.staffing.check import CHECKS, check_staffing, problems_by_check
from allocator.staffing.formula import allocate_formula

F = Fraction
POST = F(1, 10)

ROWS = [
    DistrictIndicators(
        district=name,
        indicators={"pupils": pupils, "need": need},
        baseline_fte=baseline,
        hi_children=hi,
        vi_children=vi,
    )
    for name, pupils, need, baseline, hi, vi in [
        ("Ashford", 900, 40, 5.0, 12, 3),
        ("Dover", 420, 35, 2.5, 7, 4),
        ("Swale", 260, 20, 0.0, 5, 1),
        ("Thanet", 60, 6, 0.0, 2, 0),
        ("Dartford", 2400, 150, 0.0, 20, 6),
    ]
]


def settings_for(method: str = "webster") -> StaffingSettings:
    return StaffingSettings.model_validate(
        {
            "high_incidence": {
                "total_fte": 20.0,
                "method": method,
                "granularity": 0.1,
                "floor_fte": 1.5,
                "cap_fte": 8.0,
                "max_change_pct": 20.0,
                "weights": {"pupils": 0.6, "need": 0.4},
            },
            "pools": {"HI": 2.3, "VI": 1.1},
        }
    )


@pytest.fixture(scope="module")
def allocation() -> StaffingAllocation:
    return allocate_formula(settings_for(), ROWS, check=False)


def test_the_example_holds_a_district_by_each_rule(allocation: StaffingAllocation) -> None:
    held = {d.district: d.held_by for d in allocation.districts}
    assert held == {
        "Ashford": (),
        "Dover": (StaffingRule.CHANGE_LIMIT,),
        "Swale": (),
        "Thanet": (StaffingRule.FLOOR,),
        "Dartford": (StaffingRule.CAP,),
    }


@pytest.mark.parametrize("method", METHODS)
def test_the_planners_results_pass_every_check(method: str) -> None:
    assert check_staffing(allocate_formula(settings_for(method), ROWS, check=False), ROWS) == []


def test_the_checkers_deviations_equal_the_planners(allocation: StaffingAllocation) -> None:
    assert not problems_by_check(allocation, ROWS)["deviations"]
    # Thanet's floor 1.5 FTE against its quota 0.369 FTE is the largest relative deviation.
    thanet = allocation.by_district["Thanet"]
    assert allocation.max_relative_deviation == (F(3, 2) - thanet.quota_fte) / thanet.quota_fte


def with_rows(allocation: StaffingAllocation, **changes: dict[str, object]) -> StaffingAllocation:
    """`allocation` with some district rows changed."""
    rows = tuple(
        d.model_copy(update=changes[d.district]) if d.district in changes else d
        for d in allocation.districts
    )
    return allocation.model_copy(update={"districts": rows})


def shift(
    allocation: StaffingAllocation, source: str, target: str, fte: Fraction = POST
) -> StaffingAllocation:
    """Move `fte` from one district to another (the total stays right)."""
    by = allocation.by_district
    return with_rows(
        allocation,
        **{
            source: {"allocated_fte": by[source].allocated_fte - fte},
            target: {"allocated_fte": by[target].allocated_fte + fte},
        },
    )


def drop_first(allocation: StaffingAllocation) -> StaffingAllocation:
    return allocation.model_copy(update={"districts": allocation.districts[1:]})


def move_pool_post(allocation: StaffingAllocation) -> StaffingAllocation:
    first, second, *rest = allocation.pools
    return allocation.model_copy(
        update={
            "pools": (
                first.model_copy(update={"allocated_fte": first.allocated_fte + POST}),
                second.model_copy(update={"allocated_fte": second.allocated_fte - POST}),
                *rest,
            )
        }
    )


def wrong_constrained(allocation: StaffingAllocation) -> StaffingAllocation:
    a = allocation.by_district["Ashford"].constrained_quota_fte
    s = allocation.by_district["Swale"].constrained_quota_fte
    return with_rows(
        allocation,
        Ashford={"constrained_quota_fte": a + F(1, 100)},
        Swale={"constrained_quota_fte": s - F(1, 100)},
    )


Tamper = Callable[[StaffingAllocation], StaffingAllocation]
FAULTS: dict[str, tuple[Tamper, str]] = {
    "same_districts": (drop_first, "differ from the indicators'"),
    "total_exact": (
        lambda a: with_rows(
            a, Swale={"allocated_fte": a.by_district["Swale"].allocated_fte + POST}
        ),
        "allocations add up to 20.1 FTE, not total_fte 20",
    ),
    "whole_posts": (
        lambda a: shift(a, "Ashford", "Swale", F(1, 20)),
        "Ashford: 5.45 FTE is not whole posts",
    ),
    "floors": (lambda a: shift(a, "Thanet", "Swale"), "Thanet: 1.4 FTE is below the floor 1.5"),
    "caps": (lambda a: shift(a, "Swale", "Dartford"), "Dartford: 8.1 FTE is above the cap 8"),
    "change_limit": (
        lambda a: shift(a, "Swale", "Dover"),
        "Dover: 3.1 FTE is more than 20% from the baseline 2.5",
    ),
    "baselines": (
        lambda a: with_rows(a, Swale={"baseline_fte": F(2)}),
        "Swale: baseline 2 is not the indicators' one",
    ),
    "quotas": (
        lambda a: with_rows(a, Swale={"quota_fte": a.by_district["Swale"].quota_fte + POST}),
        "Swale: quota",
    ),
    "deviations": (
        lambda a: with_rows(a, Thanet={"quota_fte": F(1)}),
        "largest relative deviation recomputes to",
    ),
    "constrained_quota": (wrong_constrained, "Ashford: constrained quota"),
    "held_by": (
        lambda a: with_rows(a, Thanet={"held_by": ()}, Swale={"held_by": (StaffingRule.CAP,)}),
        "Swale: said to be held by the cap, but is not at its bound",
    ),
    "method_rounding": (
        lambda a: shift(a, "Ashford", "Swale"),
        "Ashford: 5.4 FTE, but webster rounds its constrained quota to 5.5",
    ),
    "pools": (move_pool_post, "HI pool, Ashford: 0.7 FTE is not the method's share"),
}


def test_every_check_has_a_fault_test() -> None:
    assert set(FAULTS) == set(CHECKS)


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_each_check_catches_its_fault(name: str, allocation: StaffingAllocation) -> None:
    tamper, message = FAULTS[name]
    assert not problems_by_check(allocation, ROWS)[name]
    found = problems_by_check(tamper(allocation), ROWS)[name]
    assert any(message in problem for problem in found), found


def test_a_held_district_that_names_no_rule_is_caught(allocation: StaffingAllocation) -> None:
    found = problems_by_check(with_rows(allocation, Thanet={"held_by": ()}), ROWS)["held_by"]
    assert found == ["Thanet: held away from its quota, but no rule is named"]


def test_a_wrong_quota_scale_is_caught(allocation: StaffingAllocation) -> None:
    tampered = allocation.model_copy(update={"quota_scale": allocation.quota_scale + F(1, 1000)})
    assert problems_by_check(tampered, ROWS)["constrained_quota"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 400), min_size=2, max_size=6),
    st.integers(30, 200),
    st.sampled_from(METHODS),
    st.data(),
)
def test_moving_one_post_between_free_districts_is_always_caught(
    sizes: list[int], posts: int, method: str, data: st.DataObject
) -> None:
    rows = [
        DistrictIndicators(district=f"D{i}", indicators={"pupils": n}) for i, n in enumerate(sizes)
    ]
    formula = {
        "total_fte": posts / 10,
        "method": method,
        "granularity": 0.1,
        "weights": {"pupils": 1.0},
    }
    allocation = allocate_formula(
        StaffingSettings.model_validate({"high_incidence": formula}), rows
    )
    givers = [d.district for d in allocation.districts if d.allocated_fte > 0]
    source = data.draw(st.sampled_from(givers))
    target = data.draw(
        st.sampled_from([d.district for d in allocation.districts if d.district != source])
    )
    assert problems_by_check(shift(allocation, source, target), rows)["method_rounding"]
