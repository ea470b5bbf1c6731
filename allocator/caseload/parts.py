"""Independent parts of a caseload instance, and what every engine does with them.

A part (`CaseloadInstance.components`) is a district team, a county pool, or teams linked by neighbour
rules; no case links two parts, so each is solved on its own and the objectives add up. Here: moving
placements between a part's indices and the whole instance's, counting the cases a part decides, and
sharing a time limit between the parts by size.
"""

from __future__ import annotations

from collections.abc import Mapping

from allocator.instances.caseload import CaseloadInstance, Placement

MIN_PART_SECONDS = 0.2
"""Each part with something to decide gets at least this long."""


def localise(
    instance: CaseloadInstance, part: CaseloadInstance, placements: Mapping[int, Placement]
) -> dict[int, Placement]:
    """`placements` of `instance` that fall in `part`, in the part's own case and person indices."""
    local = {}
    for c, case in enumerate(part.cases):
        placement = placements.get(instance.case_index[case.case_id])
        if placement is not None:
            person = part.person_index.get(instance.people[placement.person].person_id)
            if person is not None:
                local[c] = Placement(person, placement.start)
    return local


def globalise(
    instance: CaseloadInstance, part: CaseloadInstance, local: Mapping[int, Placement]
) -> dict[int, Placement]:
    """A part's placements in the indices of the whole instance."""
    return {
        instance.case_index[part.cases[c].case_id]: Placement(
            instance.person_index[part.people[p.person].person_id], p.start
        )
        for c, p in local.items()
    }


def decided_cases(part: CaseloadInstance) -> int:
    """Cases an engine decides: plannable, with at least one feasible start."""
    return sum(1 for c in part.cases if c.plannable and any(o.starts for o in c.options))
