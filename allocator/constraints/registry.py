"""The registry of rules: the decorator, the records, and the queries over them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

Kind = Literal["hard", "soft"]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ConstraintInfo:
    """A registered rule: its problem, name, kind, the sentence that states it, and for a soft rule of a
    lexicographic job its level (`rebalance_only`: the level applies when re-planning only)."""

    problem: str
    name: str
    kind: Kind
    doc: str
    fn: Callable[..., Any]
    level: str | None = None
    rebalance_only: bool = False


REGISTRY: dict[str, dict[str, ConstraintInfo]] = {}


def constraint(
    problem: str, kind: Kind, *, level: str | None = None, rebalance_only: bool = False
) -> Callable[[F], F]:
    """Register a constraint function of `problem` under its function name (a soft rule of a
    lexicographic job names its `level`; levels are ordered by their first rule's registration)."""

    def register(fn: F) -> F:
        doc = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        if not doc:
            raise ValueError(f"constraint {fn.__name__} needs a docstring stating its rule")
        if level is not None and kind != "soft":
            raise ValueError(f"constraint {fn.__name__}: only a soft rule has a level")
        REGISTRY.setdefault(problem, {})[fn.__name__] = ConstraintInfo(
            problem, fn.__name__, kind, doc, fn, level, rebalance_only
        )
        return fn

    return register


def constraints_of(problem: str, kind: Kind | None = None) -> list[ConstraintInfo]:
    """The registered constraints of a problem (of one kind if given), in registration order."""
    return [c for c in REGISTRY.get(problem, {}).values() if kind is None or c.kind == kind]


def levels_of(problem: str, *, rebalance: bool = False) -> list[tuple[str, list[ConstraintInfo]]]:
    """A lexicographic job's levels in order, each with its soft rules; rebalance-only levels last
    and only when `rebalance`."""
    levels: dict[str, list[ConstraintInfo]] = {}
    for info in constraints_of(problem, "soft"):
        if info.level is not None and (rebalance or not info.rebalance_only):
            levels.setdefault(info.level, []).append(info)
    return list(levels.items())
