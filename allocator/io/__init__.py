"""Scenario folder <-> model, and exports (CSV, XLSX, ICS, PNG)."""

from allocator.io.scenario_folder import (
    AGREEMENT_COLUMNS,
    FILES,
    read_scenario,
    read_scenario_with_notes,
    write_scenario,
)

__all__ = [
    "AGREEMENT_COLUMNS",
    "FILES",
    "read_scenario",
    "read_scenario_with_notes",
    "write_scenario",
]
