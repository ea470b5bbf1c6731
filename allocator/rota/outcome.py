"""What the rota planner returns: the rota (or why there is none), its scores, each component's solve."""

from __future__ import annotations

from allocator.model.base import Frozen
from allocator.model.rota_result import (
    InfeasibleReason,
    Meeting,
    MeetingChange,
    Rota,
    RotaCheck,
    RotaPromises,
    RuleScore,
)
from allocator.rota.data import plural
from allocator.solve import SolveResult, Status


class ComponentResult(Frozen):
    """How one component (groups sharing a slot or an attendee who could be double-booked) was planned."""

    groups: tuple[str, ...]
    districts: tuple[str, ...]
    variables: int
    result: SolveResult

    @property
    def label(self) -> str:
        """The component's districts and size, for a person to read."""
        return f"{' + '.join(self.districts)} ({plural(len(self.groups), 'group')})"


class RotaOutcome(Frozen):
    """A planned rota (or why there is none), its score per soft rule, and the checker's verdict."""

    rota: Rota | None
    status: Status
    districts: tuple[str, ...]
    objective: int | None = None
    """Total penalty, summed over the components."""
    best_bound: float | None = None
    wall_time: float = 0.0
    breakdown: tuple[RuleScore, ...] = ()
    """The solver's score of each soft rule, summed over the components."""
    components: tuple[ComponentResult, ...] = ()
    reasons: tuple[InfeasibleReason, ...] = ()
    check: RotaCheck | None = None
    promises: RotaPromises | None = None
    """What this year's published rota asked of the re-plan (None: a first plan)."""
    changes: tuple[MeetingChange, ...] = ()
    """Published meetings from today on that moved or were cancelled, each with its reason."""
    cancelled: tuple[Meeting, ...] = ()
    """The cancelled meetings as published, SEQUENCE raised (for calendars)."""

    def promises_line(self) -> str | None:
        """How the published rota fared, in one line (None without one)."""
        if self.promises is None:
            return None
        p = self.promises
        moved = sum(c.after is not None for c in self.changes)
        gone = sum(c.after is None for c in self.changes)
        earlier = sum(c.kind == "earlier" for c in self.changes)
        return (
            f"published rota from {p.today.isoformat()}: {plural(p.published, 'meeting')}, "
            f"{p.published - moved - gone} kept where they were, {moved} moved "
            f"({earlier} earlier), {gone} cancelled; {len(p.held)} before today left as they were"
        )

    @property
    def proven_optimal(self) -> bool:
        """Whether every component's rota is proven optimal."""
        return self.status == Status.OPTIMAL

    def summary(self) -> str:
        """One line for a terminal."""
        if self.rota is None:
            return f"no rota ({self.status.value}): " + "; ".join(str(r) for r in self.reasons)
        proof = "proven optimal" if self.proven_optimal else f"best found ({self.status.value})"
        checked = (
            ""
            if self.check is None
            else ("; checker agrees" if self.check.ok else "; CHECK FAILED")
        )
        return (
            f"{plural(len(self.rota.meetings), 'meeting')} in "
            f"{plural(len(self.districts), 'district')}, {proof}, "
            f"penalty {self.objective}, {self.wall_time:.2f} s{checked}"
        )
