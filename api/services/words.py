"""What the service says to people: dates as dd/mm/yyyy, staff by name (one place for every route)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def dmy(day: date | str | None) -> str:
    """A day (or the ISO days in a text) as people here write them: dd/mm/yyyy."""
    if day is None:
        return ""
    text = day.isoformat() if isinstance(day, date) else str(day)
    return _ISO_DAY.sub(lambda m: f"{m[3]}/{m[2]}/{m[1]}", text)


def in_words(text: str, names: Mapping[str, str]) -> str:
    """A stored reason for people: staff ids replaced by their names, dates as dd/mm/yyyy."""
    for person_id in sorted(names, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(person_id)}(?![\w-])", names[person_id], text)
    return dmy(text)
