"""Shared building blocks of the domain model: the frozen base class and small value types."""

from __future__ import annotations

import re
from datetime import date, time
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationInfo

T = TypeVar("T", date, time)


class Frozen(BaseModel):
    """Immutable, strict-about-extras base for every entity of the county model."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


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


StrList = Annotated[
    tuple[str, ...], BeforeValidator(split_list), PlainSerializer(_join, return_type=str)
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
Name = Annotated[str, Field(min_length=1, max_length=200)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
