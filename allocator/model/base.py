"""Shared building blocks of the domain model: the frozen base class and small value types."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, time
from enum import StrEnum
from functools import cache, cached_property
from typing import Annotated, Any, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
)

T = TypeVar("T", date, time)


class Frozen(BaseModel):
    """Immutable, strict-about-extras base for every entity of the county model."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with `update` applied; values cached from the old fields (`cached_property`) are
        dropped, so lookups such as `Scenario.person_by_id` see the new ones."""
        copied = super().model_copy(update=update, deep=deep)
        if update:
            for name in _cached_names(type(self)):
                copied.__dict__.pop(name, None)
        return copied


@cache
def _cached_names(cls: type) -> tuple[str, ...]:
    return tuple(
        name
        for klass in cls.__mro__
        for name, value in vars(klass).items()
        if isinstance(value, cached_property)
    )


class NeedType(StrEnum):
    """Need types as the prospectus names them."""

    CI = "C&I"
    BL = "B&L"
    BESD = "BESD"
    PSCN = "PSCN"
    PD = "PD"
    HI = "HI"
    VI = "VI"
    PI = "PI"


DEFAULT_COUNTY_POOLS: tuple[NeedType, ...] = (NeedType.HI, NeedType.VI, NeedType.PI)

WEEKDAYS: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def split_list(value: Any) -> Any:
    """Accept a `;`-separated string (the CSV form) as well as a sequence."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(";") if part.strip())
    return value


def parse_yes_no(value: Any) -> Any:
    """`yes`/`no` (any case) to a bool; leave anything else for pydantic to refuse."""
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"yes", "y", "true"}:
            return True
        if lowered in {"no", "n", "false"}:
            return False
    return value


def not_before(value: T, info: ValidationInfo, other: str) -> T:
    """Refuse `value` if it comes before the already-validated field `other`."""
    earlier = info.data.get(other)
    if earlier is not None and value < earlier:
        raise ValueError(f"a value on or after {other} ({earlier})")
    return value


_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f"  # C0 and C1 control characters (Cc), tab, CR and LF included
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional controls (Cf)
    "\u2028\u2029\ufeff"  # line and paragraph separators, a byte-order mark inside text
    "\ud800-\udfff]"  # lone surrogates
)


def unsafe_character(text: str) -> str | None:
    """The first control, bidirectional or separator character of `text` as `U+XXXX`, or None."""
    match = _UNSAFE.search(text)
    return None if match is None else f"U+{ord(match.group()):04X}"


def printable(text: str) -> str:
    """`text` with each control, bidirectional or separator character written as `<U+XXXX>`."""
    return _UNSAFE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def check_text(value: str) -> str:
    """Refuse text holding a control character (a name must print as it reads)."""
    found = unsafe_character(value)
    if found is not None:
        raise ValueError(
            f"text without control or bidirectional characters (found {found}); retype the value"
        )
    return value


FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2099, 12, 31)


def check_date(value: date) -> date:
    """Refuse a date outside 2000-2099 (the scenario's year narrows this further)."""
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"a date from {FIRST_DATE} to {LAST_DATE}")
    return value


def _join(values: tuple[Any, ...]) -> str:
    return ";".join(str(v) for v in values)


_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(value: Any) -> Any:
    """`HH:MM` to a `time`."""
    if isinstance(value, str):
        match = _HHMM.match(value.strip())
        if not match:
            raise ValueError("expected a time as HH:MM, e.g. 09:30")
        return time(int(match.group(1)), int(match.group(2)))
    return value


Text = Annotated[str, Field(max_length=1000), AfterValidator(check_text)]
"""Free text of a file: at most 1,000 characters, no control or bidirectional characters."""
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(check_text)]
"""A name: 1 to 200 characters, no control or bidirectional characters."""
Day = Annotated[date, AfterValidator(check_date)]
"""A calendar date from 2000 to 2099."""

StrList = Annotated[
    tuple[Name, ...], BeforeValidator(split_list), PlainSerializer(_join, return_type=str)
]
NeedList = Annotated[
    tuple[NeedType, ...], BeforeValidator(split_list), PlainSerializer(_join, return_type=str)
]
YesNo = Annotated[
    bool,
    BeforeValidator(parse_yes_no),
    PlainSerializer(lambda v: "yes" if v else "no", return_type=str),
]
HHMM = Annotated[
    time,
    BeforeValidator(parse_hhmm),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Urn = Annotated[int, Field(ge=1, le=999_999)]
Email = Annotated[
    str,
    Field(max_length=254, pattern=r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+$"),
]
"""A plain e-mail address (letters, digits and ._%+- before the @): nothing that could break a
calendar line or a header."""
"""A school's unique reference number: UK URNs have six digits (Kent's run 900000 to 999999)."""
Count = Annotated[int, Field(ge=0, le=1_000_000)]
"""A count of children or pupils."""
