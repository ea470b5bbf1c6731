"""The agenda's CP-SAT model: x[r, m] over each request's options, every registered agenda rule
(`allocator.constraints.agenda`) added, and the lexicographic levels its soft rules name."""

from __future__ import annotations

from collections.abc import Sequence

from allocator.agenda.data import AgendaData
from allocator.constraints import constraints_of, levels_of
from allocator.constraints.agenda import AgendaModel
from allocator.solve import Level, Solution


def build_agenda_model(
    data: AgendaData, requests: Sequence[int]
) -> tuple[AgendaModel, list[Level]]:
    """The model deciding `requests` (indexes of the instance), with its levels in order."""
    pairs = [(r, m) for r in requests for m in data.options[r]]
    agenda = AgendaModel(data.instance, pairs, requests)
    for info in constraints_of("agenda", "hard"):
        info.fn(agenda)
    levels = [
        Level(name, [p for info in infos for p in info.fn(agenda)])
        for name, infos in levels_of("agenda")
    ]
    return agenda, levels


def decode(agenda: AgendaModel, solution: Solution) -> dict[int, int]:
    """Request -> meeting of the solution."""
    return {r: m for (r, m), var in agenda.x.items() if solution.boolean(var)}
