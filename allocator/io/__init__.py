"""Scenario folder <-> model, and exports (CSV, XLSX, ICS, PNG)."""

from allocator.io.scenario_folder import (
    FILES,
    read_scenario,
    read_scenario_with_notes,
    write_scenario,
)

__all__ = ["FILES", "read_scenario", "read_scenario_with_notes", "write_scenario"]
