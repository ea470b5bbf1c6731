"""`generate_county(demand=...)` and `lift generate --demand`: as many agreements as asked, validated,
and the default county unchanged."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allocator.cli.main import app
from allocator.model import Scenario
from allocator.synthetic.generate import DEMAND_RANGE, generate_county

# Scale 0.1, seed 3, as generated before `demand` existed: 117 agreements, 21 people, 56 schools.
BEFORE_DEMAND = "94f48a6dcb16ee72fbfabf26021b9d066cf61a1401dac524710f883b6f369fac"


def _fingerprint(scenario: Scenario) -> str:
    text = "\n".join(
        f"{a.case_id},{a.school_urn},{a.agreed_on.isoformat()},{a.need_type.value},"
        f"{a.minutes_per_week},{a.weeks},{a.priority}"
        for a in scenario.agreements
    )
    return hashlib.sha256(text.encode()).hexdigest()


def test_default_county_is_unchanged() -> None:
    scenario = generate_county(0.1, 3)
    assert (len(scenario.agreements), len(scenario.people), len(scenario.schools)) == (117, 21, 56)
    assert _fingerprint(scenario) == BEFORE_DEMAND


def test_demand_scales_the_agreements() -> None:
    one, two = (generate_county(0.1, 3, demand=d) for d in (1.0, 2.0))
    assert 1.8 < len(two.agreements) / len(one.agreements) < 2.2
    # The rest of the county is the same: the same people and schools.
    assert one.people == two.people and one.schools == two.schools
    # Asked minutes with travel over the teachers' minutes: about the demand (travel ~0.45).
    minutes = sum(a.minutes_per_week * a.weeks for a in two.agreements) * 1.45
    capacity = sum(p.minutes_per_week for p in two.people) * 39
    assert 1.6 < minutes / capacity < 2.4


@pytest.mark.parametrize("demand", [0.0, 0.05, 5.5, float("nan"), float("inf")])
def test_demand_is_validated(demand: float) -> None:
    with pytest.raises(ValueError, match="demand must be"):
        generate_county(0.1, 0, demand=demand)


def test_cli_demand(tmp_path: Path) -> None:
    high = DEMAND_RANGE[1]
    runner = CliRunner()
    refused = runner.invoke(app, ["generate", str(tmp_path / "x"), "--demand", str(high + 1)])
    assert refused.exit_code != 0
    assert "--demand" in runner.invoke(app, ["generate", "--help"]).output
    done = runner.invoke(
        app, ["generate", str(tmp_path / "t"), "--scale", "0.1", "--seed", "3", "--demand", "1.6"]
    )
    assert done.exit_code == 0, done.output
    assert (tmp_path / "t" / "agreements.csv").exists()
