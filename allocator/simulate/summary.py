"""The simulated waits summed up: summary.csv's rows, and the short summary `lift simulate` prints.

Percentiles interpolate linearly between closest ranks (as `allocator.pipeline.waits` does), over the
started cases of every seed together.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

from allocator.model.simulation import (
    COUNTY,
    LONG_WAIT_DAYS,
    SCENARIO_VARIANT,
    Policy,
    SimSummaryRow,
    SimulationResult,
    SimWait,
)
from allocator.model.summary import percentile


def summarise(
    waits: Sequence[SimWait], fte: Mapping[str, Mapping[str, float]] | None = None
) -> list[SimSummaryRow]:
    """One row per policy, variant and district (by name), then the `COUNTY` row, over all seeds;
    `fte[variant][district]` fills the district rows' `fte`."""
    groups: dict[tuple[Policy, str], dict[str, list[SimWait]]] = {}
    for w in waits:
        groups.setdefault((w.policy, w.variant), {}).setdefault(w.district, []).append(w)
    policies = list(Policy)
    rows = []
    for policy, variant in sorted(groups, key=lambda k: policies.index(k[0])):
        districts = groups[(policy, variant)]
        known = (fte or {}).get(variant, {})
        for district in sorted(districts):
            rows.append(_row(policy, variant, district, districts[district], known.get(district)))
        everyone = [w for d in districts.values() for w in d]
        rows.append(_row(policy, variant, COUNTY, everyone, None))
    return rows


def _row(
    policy: Policy, variant: str, district: str, waits: Sequence[SimWait], fte: float | None
) -> SimSummaryRow:
    days = [
        float(w.school_days) for w in waits if w.start is not None and w.school_days is not None
    ]
    return SimSummaryRow(
        policy=policy,
        variant=variant,
        district=district,
        requests=len(waits),
        agreements=sum(w.agreed_on is not None for w in waits),
        started=len(days),
        median_days=statistics.median(days) if days else None,
        p90_days=percentile(days, 0.9),
        over_20=sum(d > LONG_WAIT_DAYS for d in days) / len(days) if days else None,
        fte=fte,
    )


def base_variant(variants: Sequence[str]) -> str:
    """The variant others are compared with: the scenario's own capacities, else the first."""
    return SCENARIO_VARIANT if SCENARIO_VARIANT in variants else variants[0]


def beats(a: SimSummaryRow, b: SimSummaryRow) -> bool:
    """Whether `a`'s median and 90th-percentile waits are both below `b`'s."""
    if a.median_days is None or a.p90_days is None:
        return False
    if b.median_days is None or b.p90_days is None:
        return True
    return a.median_days < b.median_days and a.p90_days < b.p90_days


def _days(value: float | None) -> str:
    return "-" if value is None else f"{round(value, 1):g}"


def _gap(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _change(value: float) -> str:
    return f"{round(value, 1):+g}"


def printed_summary(result: SimulationResult) -> str:
    """A few plain lines: per policy the county median and 90th percentile, the districts where the
    optimised policy beats first-come, the distance to the clairvoyant limit, and per staffing variant
    the change in the median of each district whose FTE changed (or, without FTE, whose median did)."""
    rows = {(r.policy, r.variant, r.district): r for r in result.summary}
    if not rows or not result.variants:
        return "Nothing was simulated."
    base = base_variant(result.variants)
    policies = [p for p in Policy if (p, base, COUNTY) in rows]
    seeds = f"{result.seeds} seed{'s' if result.seeds != 1 else ''}"
    lines = [f"Whole wait, request to support starting, in school days ({seeds}, variant {base}):"]
    for p in policies:
        r = rows[(p, base, COUNTY)]
        lines.append(
            f"  {p.value:<12} median {_days(r.median_days):>5}, 90th percentile "
            f"{_days(r.p90_days):>5}; {r.started} of {r.agreements} agreements started"
        )
    districts = sorted({r.district for r in result.summary if r.district != COUNTY})
    if Policy.OPTIMISED in policies and Policy.FIRST_COME in policies:
        for variant in result.variants:
            pairs = [
                (rows[(Policy.OPTIMISED, variant, d)], rows[(Policy.FIRST_COME, variant, d)])
                for d in [*districts, COUNTY]
                if (Policy.OPTIMISED, variant, d) in rows
                and (Policy.FIRST_COME, variant, d) in rows
            ]
            won = sum(beats(o, f) for o, f in pairs if o.district != COUNTY)
            county = any(beats(o, f) for o, f in pairs if o.district == COUNTY)
            lines.append(
                f"Optimised beats first-come (median and 90th percentile lower) in {won} of "
                f"{len(pairs) - 1} districts ({variant}); county-wide: {'yes' if county else 'no'}."
            )
    if Policy.OPTIMISED in policies and Policy.CLAIRVOYANT in policies:
        o, c = rows[(Policy.OPTIMISED, base, COUNTY)], rows[(Policy.CLAIRVOYANT, base, COUNTY)]
        median, p90 = _gap(o.median_days, c.median_days), _gap(o.p90_days, c.p90_days)
        if median is not None and p90 is not None:
            lines.append(
                f"Distance to the clairvoyant limit: median {_change(median)}, "
                f"90th percentile {_change(p90)} school days."
            )
    lines.extend(_variant_lines(result, rows, base, districts))
    return "\n".join(lines)


def _variant_lines(
    result: SimulationResult,
    rows: Mapping[tuple[Policy, str, str], SimSummaryRow],
    base: str,
    districts: Sequence[str],
) -> list[str]:
    """Per variant other than `base`: the changed districts' median against `base`'s."""
    policy = next(
        (p for p in (Policy.OPTIMISED, *Policy) if (p, base, COUNTY) in rows), Policy.OPTIMISED
    )
    lines = []
    for variant in result.variants:
        if variant == base:
            continue
        changes = []
        for d in districts:
            new, old = rows.get((policy, variant, d)), rows.get((policy, base, d))
            if new is None or old is None:
                continue
            if new.fte is not None and old.fte is not None:
                changed = abs(new.fte - old.fte) > 1e-9
            else:
                changed = new.median_days != old.median_days
            if not changed:
                continue
            fte = ""
            if new.fte is not None and old.fte is not None:
                fte = f" (FTE {old.fte:.2f} -> {new.fte:.2f})"
            if new.median_days is None or old.median_days is None:
                median = f"median {_days(old.median_days)} -> {_days(new.median_days)}"
            else:
                median = (
                    f"median {_days(old.median_days)} -> {_days(new.median_days)} "
                    f"({_change(new.median_days - old.median_days)})"
                )
            changes.append(f"{d}{fte}: {median}")
        head = f"Variant {variant} against {base} ({policy.value}): "
        lines.append(head + ("; ".join(changes) if changes else "no district changed."))
    return lines
