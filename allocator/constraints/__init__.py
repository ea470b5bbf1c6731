"""The constraint catalogue: one small named function per rule, registered per problem.

A constraint function adds its rule to a CP-SAT model; a soft one returns its `Penalty` terms. The
registry lets the CLI, the API and the tests list every rule of a problem, and the meta-test check
that each has its pair of tests (`test_<name>_no_penalty` and `test_<name>_penalty`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

Kind = Literal["hard", "soft"]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ConstraintInfo:
    """A registered rule: its problem, name, kind and the sentence that states it."""

    problem: str
    name: str
    kind: Kind
    doc: str
    fn: Callable[..., Any]


REGISTRY: dict[str, dict[str, ConstraintInfo]] = {}


def constraint(problem: str, kind: Kind) -> Callable[[F], F]:
    """Register a constraint function of `problem` under its function name."""

    def register(fn: F) -> F:
        doc = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        if not doc:
            raise ValueError(f"constraint {fn.__name__} needs a docstring stating its rule")
        REGISTRY.setdefault(problem, {})[fn.__name__] = ConstraintInfo(
            problem, fn.__name__, kind, doc, fn
        )
        return fn

    return register


def constraints_of(problem: str) -> list[ConstraintInfo]:
    """The registered constraints of a problem, in registration order."""
    return list(REGISTRY.get(problem, {}).values())
