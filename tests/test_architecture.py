"""The house rules that import-linter cannot state: no import cycles, no module over 800 lines."""

from __future__ import annotations

from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
MOST_LINES = 800


def test_no_module_imports_itself_through_others() -> None:
    graph = grimp.build_graph("allocator", "api")  # function-level imports included
    cycles = sorted(
        {
            tuple(sorted((module, imported)))
            for module in graph.modules
            for imported in graph.find_modules_directly_imported_by(module)
            if graph.chain_exists(importer=imported, imported=module)
        }
    )
    assert cycles == []


def test_no_module_is_over_800_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for folder in ("allocator", "api")
        for path in (ROOT / folder).rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MOST_LINES
    }
    assert long == {}
