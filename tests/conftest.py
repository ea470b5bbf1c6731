"""Shared fixtures: the tiny hand-made county (built in tests/builders/folders.py) and its folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from allocator.io import write_scenario
from allocator.model import Scenario
from tests.builders.folders import make_tiny_scenario


@pytest.fixture(scope="session")
def tiny_scenario() -> Scenario:
    """The tiny county (built once per run)."""
    return make_tiny_scenario()


@pytest.fixture
def folder(tmp_path: Path, tiny_scenario: Scenario) -> Path:
    """The tiny scenario written as a scenario folder."""
    path = tmp_path / "tiny"
    write_scenario(tiny_scenario, path)
    return path
