"""Errors the services raise, in the service's own terms: not found, a conflict with the current
state, invalid fields. They know nothing of HTTP; `api.errors` answers each with its status
(404, 409, 422) and the same body a route would give."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel


class FieldError(BaseModel):
    """One invalid field: where (`loc`, e.g. ["body", "consent"]), what was wrong, and the input."""

    loc: list[str | int]
    msg: str
    type: str
    input: Any = None


class ServiceError(Exception):
    """A request the service refuses, with a sentence for people (`detail`)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(ServiceError):
    """What was asked for does not exist (or is not in the asker's districts)."""


class Conflict(ServiceError):
    """The request conflicts with the current state (e.g. a case id already taken)."""


class Invalid(Exception):
    """Field errors found beyond the request schema (e.g. an unknown school), each with its path."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors))
        self.errors = list(errors)


def field_error(loc: Sequence[str | int], msg: str, value: Any = None) -> Invalid:
    """An `Invalid` for one field."""
    return Invalid([FieldError(loc=list(loc), msg=msg, type="value_error", input=value)])
