"""What the staffing formula gives: each district's FTE, each pool's share, ties, and why.

FTE values are exact fractions (a 0.1-FTE post is `Fraction(1, 10)`), so totals add up exactly; the
exports round them only for display.
"""

from __future__ import annotations

from enum import StrEnum
from fractions import Fraction
from functools import cached_property

from allocator.model.base import Frozen
from allocator.model.staffing import StaffingSettings

TIE_RULE = "larger quota first, then district name A to Z"
"""How equal claims to the last posts are settled, by every method."""


def format_fte(value: Fraction, places: int = 3, *, trim: bool = True) -> str:
    """An FTE for people: `places` decimals, trailing zeros dropped unless `trim` is False
    (46.20 -> "46.2")."""
    scaled = round(abs(value) * 10**places)
    whole, part = divmod(scaled, 10**places)
    text = f"{whole}.{part:0{places}d}" if places else str(whole)
    if trim and places:
        text = text.rstrip("0").rstrip(".")
    return "-" + text if value < 0 and scaled else text


class StaffingRule(StrEnum):
    """A rule that can hold a district away from what the formula alone would give it."""

    FLOOR = "floor"
    CAP = "cap"
    CHANGE_LIMIT = "change_limit"

    @property
    def label(self) -> str:
        """The rule in plain words."""
        return self.value.replace("_", " ")


class Tie(Frozen):
    """Districts with equal claims to the last posts of a share-out, and who got them."""

    share_out: str
    """What was being shared: "high-incidence" or a pool such as "HI pool"."""
    posts: int
    """Posts (of the formula's granularity) that the tied districts contested."""
    candidates: tuple[str, ...]
    winners: tuple[str, ...]
    rule: str = TIE_RULE

    def __str__(self) -> str:
        post = "post" if self.posts == 1 else "posts"
        return (
            f"{self.share_out}: {self.posts} {post} tied between {', '.join(self.candidates)}; "
            f"given to {', '.join(self.winners)} ({self.rule})"
        )


class Apportionment(Frozen):
    """Seats per name from `apportion`, with any tie that had to be broken."""

    method: str
    seats: dict[str, int]
    ties: tuple[Tie, ...] = ()


class DistrictStaffing(Frozen):
    """One district's high-incidence staffing: the formula's quota, what it gets, and what held it."""

    district: str
    quota_fte: Fraction
    """The formula's exact share of the total."""
    constrained_quota_fte: Fraction
    """The quota once floors, caps and the change limit hold (before rounding to posts)."""
    allocated_fte: Fraction
    baseline_fte: Fraction
    held_by: tuple[StaffingRule, ...] = ()
    """The rules that hold the district away from the formula; empty when the formula decides."""

    @property
    def change_fte(self) -> Fraction:
        """Allocated minus baseline."""
        return self.allocated_fte - self.baseline_fte

    @property
    def deviation_fte(self) -> Fraction:
        """Allocated minus quota."""
        return self.allocated_fte - self.quota_fte

    @property
    def relative_deviation(self) -> Fraction | None:
        """|allocated - quota| / quota; None when the quota is 0."""
        if self.quota_fte == 0:
            return None
        return abs(self.deviation_fte) / self.quota_fte

    @property
    def held_by_text(self) -> str:
        """The holding rules in words ("" when the formula decides)."""
        return "; ".join(rule.label for rule in self.held_by)


class PoolStaffing(Frozen):
    """One district's share of a county sensory pool, by its children with that impairment."""

    pool: str
    district: str
    children: int
    quota_fte: Fraction
    allocated_fte: Fraction


class StaffingAllocation(Frozen):
    """The formula's result: district rows, pool rows and ties, with the settings that made them."""

    settings: StaffingSettings
    districts: tuple[DistrictStaffing, ...]
    pools: tuple[PoolStaffing, ...] = ()
    ties: tuple[Tie, ...] = ()
    quota_scale: Fraction = Fraction(1)
    """The scale s of the constrained quota clamp(s * quota, floor, cap): 1 when no rule binds."""

    @property
    def method(self) -> str:
        """The apportionment method used."""
        return self.settings.high_incidence.method

    @property
    def post_decimals(self) -> int:
        """Decimals that show every whole number of posts exactly (posts of 0.1 FTE: 1; 0.25: 2)."""
        step = Fraction(repr(self.settings.high_incidence.granularity))
        return next(p for p in range(7) if (step * 10**p).denominator == 1 or p == 6)

    @property
    def allocated_fte(self) -> Fraction:
        """High-incidence FTE allocated over all districts."""
        return sum((d.allocated_fte for d in self.districts), Fraction(0))

    @cached_property
    def by_district(self) -> dict[str, DistrictStaffing]:
        """District rows by name."""
        return {d.district: d for d in self.districts}

    @property
    def held(self) -> tuple[DistrictStaffing, ...]:
        """Districts held by a rule."""
        return tuple(d for d in self.districts if d.held_by)

    @property
    def max_relative_deviation(self) -> Fraction:
        """The largest |allocated - quota| / quota over districts with a quota."""
        values = [d.relative_deviation for d in self.districts]
        return max((v for v in values if v is not None), default=Fraction(0))

    @property
    def total_deviation_fte(self) -> Fraction:
        """The sum of |allocated - quota| over districts."""
        return sum((abs(d.deviation_fte) for d in self.districts), Fraction(0))

    @property
    def pool_fte(self) -> dict[str, Fraction]:
        """FTE allocated to each pool."""
        totals: dict[str, Fraction] = {}
        for row in self.pools:
            totals[row.pool] = totals.get(row.pool, Fraction(0)) + row.allocated_fte
        return totals


class SensitivityRow(Frozen):
    """The range of a district's allocation as each weight moves up and down."""

    district: str
    allocated_fte: Fraction
    low_fte: Fraction
    high_fte: Fraction
    low_when: str
    """The move that gives the low, e.g. "pupils -10%" ("" when no move lowers it)."""
    high_when: str


class StaffingSensitivity(Frozen):
    """Each weight moved by plus and minus `step_pct` (the others rescaled to sum to 1)."""

    step_pct: Fraction
    rows: tuple[SensitivityRow, ...]


class ComparisonRow(Frozen):
    """One district (or one district's pool share) under formula A and formula B."""

    district: str
    pool: str = ""
    """Blank for high-incidence staffing; the pool (HI, VI, PI) for a pool share."""
    quota_a: Fraction
    allocated_a: Fraction
    quota_b: Fraction
    allocated_b: Fraction

    @property
    def change_fte(self) -> Fraction:
        """B minus A."""
        return self.allocated_b - self.allocated_a


class StaffingComparison(Frozen):
    """Two formulas side by side."""

    label_a: str
    label_b: str
    rows: tuple[ComparisonRow, ...]


class StaffingError(ValueError):
    """A formula that cannot be applied to the inputs; carries a plain-English reason for each problem."""

    def __init__(self, reasons: list[str] | str) -> None:
        self.reasons = [reasons] if isinstance(reasons, str) else list(reasons)
        super().__init__("; ".join(self.reasons))


class StaffingInfeasible(StaffingError):
    """Floors, caps and change limits that cannot all hold at the total FTE."""
