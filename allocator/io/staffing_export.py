"""Staffing files: staffing.csv, pools.csv, the charts, sensitivity and comparison CSVs; formula TOMLs in.

FTE is written with as many decimals as the granularity needs (quotas with 3); the chart is drawn with
matplotlib's Agg canvas, so no display is needed.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from allocator.io.cells import write_csv
from allocator.model.scenario import Problem, ScenarioError
from allocator.model.staffing import StaffingSettings
from allocator.model.staffing_result import (
    ComparisonRow,
    StaffingAllocation,
    StaffingComparison,
    StaffingSensitivity,
    format_fte,
)

STAFFING_COLUMNS = (
    "district",
    "quota_fte",
    "allocated_fte",
    "baseline_fte",
    "change_fte",
    "held_by",
    "constrained_quota_fte",
)
POOL_COLUMNS = ("pool", "district", "children", "quota_fte", "allocated_fte")
SENSITIVITY_COLUMNS = ("district", "allocated_fte", "low_fte", "high_fte", "low_when", "high_when")
COMPARISON_COLUMNS = (
    "district",
    "pool",
    "quota_a",
    "allocated_a",
    "quota_b",
    "allocated_b",
    "change_fte",
)
QUOTA_PLACES = 3


def _fte(value: Fraction, places: int = 3) -> Decimal:
    """An FTE as `format_fte` writes it, kept a number (so `-0.5` is not quoted as text)."""
    return Decimal(format_fte(value, places))


def write_staffing_csv(allocation: StaffingAllocation, path: Path) -> Path:
    """staffing.csv: one row per district; `held_by` lists the rules holding it (`;`-separated)."""
    places = allocation.post_decimals
    return write_csv(
        path,
        STAFFING_COLUMNS,
        (
            (
                d.district,
                _fte(d.quota_fte, QUOTA_PLACES),
                _fte(d.allocated_fte, places),
                _fte(d.baseline_fte, places + 2),
                _fte(d.change_fte, places + 2),
                ";".join(rule.value for rule in d.held_by),
                _fte(d.constrained_quota_fte, QUOTA_PLACES),
            )
            for d in allocation.districts
        ),
    )


def write_pools_csv(allocation: StaffingAllocation, path: Path) -> Path:
    """pools.csv: each district's share of each county pool."""
    places = allocation.post_decimals
    return write_csv(
        path,
        POOL_COLUMNS,
        (
            (
                r.pool,
                r.district,
                r.children,
                _fte(r.quota_fte, QUOTA_PLACES),
                _fte(r.allocated_fte, places),
            )
            for r in allocation.pools
        ),
    )


def write_sensitivity_csv(sensitivity: StaffingSensitivity, path: Path) -> Path:
    """sensitivity.csv: each district's allocation and its range as the weights move."""
    return write_csv(
        path,
        SENSITIVITY_COLUMNS,
        (
            (
                r.district,
                _fte(r.allocated_fte),
                _fte(r.low_fte),
                _fte(r.high_fte),
                r.low_when,
                r.high_when,
            )
            for r in sensitivity.rows
        ),
    )


def write_comparison_csv(comparison: StaffingComparison, path: Path) -> Path:
    """compare.csv: two formulas side by side, and the change (B minus A) per district."""
    return write_csv(
        path,
        COMPARISON_COLUMNS,
        (
            (
                r.district,
                r.pool,
                _fte(r.quota_a, QUOTA_PLACES),
                _fte(r.allocated_a),
                _fte(r.quota_b, QUOTA_PLACES),
                _fte(r.allocated_b),
                _fte(r.change_fte),
            )
            for r in comparison.rows
        ),
    )


if TYPE_CHECKING:
    from matplotlib.figure import Figure

SERIES = ("quota", "allocated", "baseline")


def staffing_chart(allocation: StaffingAllocation) -> Figure:
    """Bars per district: the formula's quota, the allocation and the baseline (FTE); a district held
    by a rule has the rule written over its allocation bar."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    districts = allocation.districts
    figure = Figure(figsize=(max(8.0, 0.9 * len(districts) + 2), 5.0))
    figure.subplots_adjust(left=0.06, right=0.98, top=0.92, bottom=0.25)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width = 0.27
    values = {
        "quota": [float(d.quota_fte) for d in districts],
        "allocated": [float(d.allocated_fte) for d in districts],
        "baseline": [float(d.baseline_fte) for d in districts],
    }
    colours = {"quota": "#9ecae1", "allocated": "#08519c", "baseline": "#bdbdbd"}
    for i, series in enumerate(SERIES):
        axes.bar(
            [x + (i - 1) * width for x in range(len(districts))],
            values[series],
            width,
            label=f"{series} FTE",
            color=colours[series],
        )
    for x, d in enumerate(districts):
        if d.held_by:
            axes.annotate(
                d.held_by_text,
                (x, float(d.allocated_fte)),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
                rotation=90,
            )
    axes.set_xticks(range(len(districts)), [d.district for d in districts], rotation=35, ha="right")
    axes.set_ylabel("FTE")
    hi = allocation.settings.high_incidence
    axes.set_title(
        f"High-incidence staffing: {format_fte(allocation.allocated_fte)} FTE by {hi.method}, "
        f"posts of {format_fte(Fraction(repr(hi.granularity)))} FTE"
    )
    top = max(max(v, default=0.0) for v in values.values())
    axes.set_ylim(0, max(top, 0.1) * 1.3)
    axes.legend(ncols=3, loc="upper left")
    axes.grid(axis="y", alpha=0.3)
    return figure


def write_staffing_chart(allocation: StaffingAllocation, path: Path) -> Path:
    """staffing.png: the chart of `staffing_chart`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staffing_chart(allocation).savefig(path, dpi=110)
    return path


def comparison_chart(comparison: StaffingComparison) -> Figure:
    """One panel for the district teams and one per pool (unless 0 under both): each district's FTE
    under A and under B, the change (B minus A) over each pair, each side's total in the panel's title."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    panels: dict[str, list[ComparisonRow]] = {}
    for row in comparison.rows:
        panels.setdefault(row.pool, []).append(row)
    panels = {
        pool: rows
        for pool, rows in panels.items()
        if not pool or any(r.allocated_a or r.allocated_b for r in rows)
    }
    widest = max((len(rows) for rows in panels.values()), default=1)
    figure = Figure(
        figsize=(max(8.0, min(16.0, 0.9 * widest + 2)), 0.6 + 4.2 * len(panels)),
        layout="constrained",
    )
    FigureCanvasAgg(figure)
    figure.suptitle(f"{comparison.label_a} against {comparison.label_b}")
    width = 0.38
    for index, (pool, rows) in enumerate(panels.items()):
        axes = figure.add_subplot(len(panels), 1, index + 1)
        for label, values, colour, shift in (
            (comparison.label_a, [float(r.allocated_a) for r in rows], "#9ecae1", -0.5),
            (comparison.label_b, [float(r.allocated_b) for r in rows], "#08519c", 0.5),
        ):
            axes.bar(
                [x + shift * width for x in range(len(rows))],
                values,
                width,
                label=f"{label} (FTE)",
                color=colour,
            )
        for x, r in enumerate(rows):
            change = ("+" if r.change_fte > 0 else "") + format_fte(r.change_fte)
            axes.annotate(
                change,
                (x, float(max(r.allocated_a, r.allocated_b))),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
            )
        axes.set_xticks(range(len(rows)), [r.district for r in rows], rotation=30, ha="right")
        axes.set_ylabel("FTE")
        total_a = sum((r.allocated_a for r in rows), Fraction(0))
        total_b = sum((r.allocated_b for r in rows), Fraction(0))
        axes.set_title(
            f"{f'{pool} pool' if pool else 'District teams'}: {format_fte(total_a)} FTE against "
            f"{format_fte(total_b)} FTE",
            fontsize=10,
        )
        top = max((float(max(r.allocated_a, r.allocated_b)) for r in rows), default=0.0)
        axes.set_ylim(0, max(top, 0.1) * 1.3)
        axes.grid(axis="y", alpha=0.3)
        if index == 0:
            axes.legend(ncols=2, loc="upper left", fontsize=8)
    return figure


def write_comparison_chart(comparison: StaffingComparison, path: Path) -> Path:
    """compare.png: the chart of `comparison_chart`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    comparison_chart(comparison).savefig(path, dpi=110)
    return path


def write_staffing(
    allocation: StaffingAllocation, out_dir: Path, sensitivity: StaffingSensitivity | None = None
) -> list[Path]:
    """staffing.csv, pools.csv (when pools are set), staffing.png and sensitivity.csv (when given)."""
    written = [
        write_staffing_csv(allocation, out_dir / "staffing.csv"),
        write_staffing_chart(allocation, out_dir / "staffing.png"),
    ]
    if allocation.pools:
        written.append(write_pools_csv(allocation, out_dir / "pools.csv"))
    if sensitivity is not None:
        written.append(write_sensitivity_csv(sensitivity, out_dir / "sensitivity.csv"))
    return written


def read_staffing_settings(path: Path) -> StaffingSettings:
    """A staffing.toml-format file, or a ScenarioError naming the file, key and what was expected."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ScenarioError(
            [Problem(file=str(path), expected=f"a readable file ({error.strerror})")]
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError([Problem(file=str(path), expected=f"valid TOML ({error})")]) from None
    try:
        return StaffingSettings.model_validate(data)
    except ValidationError as error:
        problems = [
            Problem(
                file=str(path),
                column=".".join(str(part) for part in e["loc"]) or None,
                value=None if isinstance(e["input"], dict) else str(e["input"]),
                expected=e["msg"].removeprefix("Value error, "),
            )
            for e in error.errors()
        ]
        raise ScenarioError(problems) from None
