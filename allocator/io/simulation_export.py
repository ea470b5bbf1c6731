"""The simulated year's files: waits.csv, summary.csv and the charts (matplotlib's Agg canvas, so no
display is needed).

The charts show the base variant (the scenario's own capacities, else the first variant): the whole
wait's distribution per policy county-wide, the median per district per policy, and, with two or more
variants, each district's median wait against its FTE, one point per variant.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from allocator.io.cells import write_csv
from allocator.model.simulation import (
    COUNTY,
    LONG_WAIT_DAYS,
    SCENARIO_VARIANT,
    Policy,
    SimSummaryRow,
    SimulationResult,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WAIT_COLUMNS = (
    "request_id",
    "district",
    "need_type",
    "urgent",
    "policy",
    "variant",
    "seed",
    "received_on",
    "meeting_date",
    "agreed_on",
    "start",
)
SUMMARY_COLUMNS = (
    "policy",
    "variant",
    "district",
    "requests",
    "agreements",
    "started",
    "median_days",
    "p90_days",
    "over_20",
    "fte",
)
COLOURS = {
    Policy.OPTIMISED: "#08519c",
    Policy.FIRST_COME: "#e6550d",
    Policy.CLAIRVOYANT: "#31a354",
}
NAMES = {
    Policy.OPTIMISED: "optimised",
    Policy.FIRST_COME: "first-come (by hand)",
    Policy.CLAIRVOYANT: "clairvoyant (limit)",
}
DPI = 110


def _rounded(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


def write_waits_csv(result: SimulationResult, path: Path) -> Path:
    """waits.csv: one row per request, policy, variant and seed; blank dates for steps not reached."""
    return write_csv(
        path, WAIT_COLUMNS, ([getattr(w, c) for c in WAIT_COLUMNS] for w in result.waits)
    )


def write_summary_csv(result: SimulationResult, path: Path) -> Path:
    """summary.csv: one row per policy, variant and district (and the county)."""
    return write_csv(
        path,
        SUMMARY_COLUMNS,
        (
            (
                r.policy,
                r.variant,
                r.district,
                r.requests,
                r.agreements,
                r.started,
                _rounded(r.median_days, 2),
                _rounded(r.p90_days, 2),
                _rounded(r.over_20, 4),
                _rounded(r.fte, 3),
            )
            for r in result.summary
        ),
    )


def base_variant(result: SimulationResult) -> str:
    """The variant the charts show: the scenario's own capacities, else the first."""
    if SCENARIO_VARIANT in result.variants or not result.variants:
        return SCENARIO_VARIANT
    return result.variants[0]


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _policies(result: SimulationResult) -> list[Policy]:
    present = {r.policy for r in result.summary} | {w.policy for w in result.waits}
    return [p for p in Policy if p in present]


def waits_by_policy_chart(result: SimulationResult) -> Figure:
    """The share of started cases whose whole wait was at most x school days, per policy, county."""
    variant = base_variant(result)
    figure, axes = _figure(8.0, 5.0)
    medians = {
        r.policy: r.median_days
        for r in result.summary
        if (r.variant, r.district) == (variant, COUNTY)
    }
    longest = 0
    for policy in _policies(result):
        days = sorted(
            w.school_days
            for w in result.waits
            if w.policy == policy and w.variant == variant and w.school_days is not None
        )
        if not days:
            continue
        longest = max(longest, days[-1])
        shares = [(i + 1) / len(days) for i in range(len(days))]
        median = medians.get(policy)
        label = f"{NAMES[policy]}: median {median:g}" if median is not None else NAMES[policy]
        axes.step(
            days,
            shares,
            where="post",
            color=COLOURS[policy],
            label=f"{label} ({len(days)} started)",
        )
    axes.axvline(LONG_WAIT_DAYS, color="#636363", linestyle="--", linewidth=1)
    axes.annotate(
        f"{LONG_WAIT_DAYS} school days",
        (LONG_WAIT_DAYS, 0.02),
        xytext=(4, 0),
        textcoords="offset points",
        fontsize=8,
        color="#636363",
    )
    axes.set_xlim(0, max(longest, LONG_WAIT_DAYS) * 1.05)
    axes.set_ylim(0, 1.02)
    axes.yaxis.set_major_formatter(lambda y, _: f"{y:.0%}")
    axes.set_xlabel("whole wait, request received to support starting (school days)")
    axes.set_ylabel("started cases waiting at most this long")
    axes.set_title(f"Whole wait by policy, county-wide ({_seeds(result)}, {variant})")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize=9)
    return figure


def waits_by_district_chart(result: SimulationResult) -> Figure:
    """Median whole wait per district per policy (bars), the 90th percentile as a tick on each bar."""
    variant = base_variant(result)
    rows = [r for r in result.summary if r.variant == variant]
    districts = [COUNTY, *sorted({r.district for r in rows if r.district != COUNTY})]
    policies = _policies(result)
    figure, axes = _figure(8.5, max(4.0, 0.17 * len(districts) * max(1, len(policies)) + 2.0))
    at = {(r.policy, r.district): r for r in rows}
    height = 0.8 / max(1, len(policies))
    handles: list[Any] = []
    for k, policy in enumerate(policies):
        ys = [
            len(districts) - 1 - i + (len(policies) / 2 - k - 0.5) * height
            for i in range(len(districts))
        ]
        found = [at.get((policy, d)) for d in districts]
        medians = [
            r.median_days if r is not None and r.median_days is not None else 0.0 for r in found
        ]
        handles.append(
            axes.barh(ys, medians, height, color=COLOURS[policy], label=f"{NAMES[policy]}: median")
        )
        p90 = [
            (y, r.p90_days)
            for y, r in zip(ys, found, strict=True)
            if r is not None and r.p90_days is not None
        ]
        handles.append(
            axes.scatter(
                [v for _, v in p90],
                [y for y, _ in p90],
                marker="|",
                s=90,
                linewidths=2,
                color=COLOURS[policy],
                label=f"{NAMES[policy]}: 90th percentile",
            )
        )
    axes.set_yticks(
        [len(districts) - 1 - i for i in range(len(districts))],
        [d if d != COUNTY else "County" for d in districts],
    )
    axes.set_xlabel("whole wait (school days)")
    axes.set_title(f"Median whole wait by district ({_seeds(result)}, {variant})")
    axes.grid(axis="x", alpha=0.3)
    axes.set_ylim(-0.6, len(districts) - 0.4)
    figure.legend(
        handles=handles, loc="outside lower center", fontsize=8, ncols=max(1, len(policies))
    )
    return figure


def waits_vs_fte_chart(result: SimulationResult, policy: Policy | None = None) -> Figure:
    """Each district's median whole wait against its FTE, one point per variant (the base variant's
    point named), under `policy` (default: optimised when simulated, else the first)."""
    policies = _policies(result)
    chosen = policy or (Policy.OPTIMISED if Policy.OPTIMISED in policies else policies[0])
    base = base_variant(result)
    rows = [
        r
        for r in result.summary
        if r.policy == chosen
        and r.district != COUNTY
        and r.fte is not None
        and r.median_days is not None
    ]
    by_district: dict[str, list[SimSummaryRow]] = {}
    for r in rows:
        by_district.setdefault(r.district, []).append(r)
    figure, axes = _figure(8.5, 5.5)
    markers = "osD^v<>p*hX"
    order = list(result.variants)
    for district in sorted(by_district):
        points = sorted(by_district[district], key=lambda r: r.fte or 0.0)
        xs = [r.fte or 0.0 for r in points]
        ys = [r.median_days or 0.0 for r in points]
        axes.plot(xs, ys, color="#9ecae1", linewidth=1, zorder=1)
        for r in points:
            axes.scatter(
                r.fte or 0.0,
                r.median_days or 0.0,
                marker=markers[order.index(r.variant) % len(markers)]
                if r.variant in order
                else "o",
                color=_variant_colour(r.variant, order, base),
                zorder=2,
            )
        named = next((r for r in points if r.variant == base), points[0])
        axes.annotate(
            district,
            (named.fte or 0.0, named.median_days or 0.0),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=8,
        )
    for variant in order:
        axes.scatter(
            [],
            [],
            marker=markers[order.index(variant) % len(markers)],
            color=_variant_colour(variant, order, base),
            label=variant,
        )
    axes.set_xlabel("district team FTE")
    axes.set_ylabel("median whole wait (school days)")
    axes.set_title(f"Median whole wait against FTE, per staffing variant ({chosen.value})")
    axes.grid(alpha=0.3)
    axes.legend(
        loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, title="variant", title_fontsize=8
    )
    return figure


VARIANT_COLOURS = ("#e6550d", "#756bb1", "#31a354", "#636363", "#d6616b", "#8c6d31")
"""The colours of the variants other than the base one (the base is blue)."""


def _variant_colour(variant: str, order: Sequence[str], base: str) -> str:
    if variant == base:
        return "#08519c"
    others = [v for v in order if v != base]
    index = others.index(variant) if variant in others else 0
    return VARIANT_COLOURS[index % len(VARIANT_COLOURS)]


def _seeds(result: SimulationResult) -> str:
    return f"{result.seeds} seed{'s' if result.seeds != 1 else ''}"


def _save(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI)
    return path


def write_simulation(result: SimulationResult, out: Path) -> list[Path]:
    """waits.csv, summary.csv, waits_by_policy.png, waits_by_district.png and, with two or more
    variants and FTE, waits_vs_fte.png, in `out`."""
    written = [
        write_waits_csv(result, out / "waits.csv"),
        write_summary_csv(result, out / "summary.csv"),
    ]
    if not result.summary:
        return written
    written.append(_save(waits_by_policy_chart(result), out / "waits_by_policy.png"))
    written.append(_save(waits_by_district_chart(result), out / "waits_by_district.png"))
    with_fte = {
        r.variant for r in result.summary if r.fte is not None and r.median_days is not None
    }
    if len(result.variants) >= 2 and len(with_fte) >= 2:
        written.append(_save(waits_vs_fte_chart(result), out / "waits_vs_fte.png"))
    return written
