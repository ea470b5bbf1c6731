"""The academic year: Kent's six terms (the half-terms), closures, bank holidays and meeting days."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import Annotated

import holidays
from pydantic import Field, ValidationInfo, field_validator

from allocator.model.base import Day, Frozen, Name, not_before

HalfTerm = Annotated[int, Field(ge=1, le=6)]


class Term(Frozen):
    """One of the six terms of the year; Kent's terms are the half-terms a LIFT group meets in."""

    term: HalfTerm
    first_day: Day
    last_day: Day

    @field_validator("last_day")
    @classmethod
    def _ordered(cls, last_day: date, info: ValidationInfo) -> date:
        return not_before(last_day, info, "first_day")

    def weekdays(self) -> list[date]:
        """Monday to Friday dates from the first to the last day of term."""
        days = (self.last_day - self.first_day).days + 1
        all_days = (self.first_day + timedelta(d) for d in range(days))
        return [d for d in all_days if d.weekday() < 5]


class Closure(Frozen):
    """A day a district (blank: every district) holds no meetings and gives no support, e.g. INSET."""

    date: Day
    district: Name | None = None
    reason: Name = "closure"

    def applies_to(self, district: str) -> bool:
        """Whether the closure closes `district`."""
        return self.district is None or self.district == district


@lru_cache(maxsize=32)
def _bank_holidays_for(years: tuple[int, ...]) -> frozenset[date]:
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=years)
    # The package lists a holiday on its weekend date beside the observed weekday; keep weekdays.
    return frozenset(d for d in calendar if d.weekday() < 5)


def bank_holidays(years: Iterable[int]) -> frozenset[date]:
    """England's bank holidays that fall on a weekday in `years` (from the `holidays` package)."""
    return _bank_holidays_for(tuple(sorted(set(years))))


def week_start(day: date) -> date:
    """The Monday of the week of `day`."""
    return day - timedelta(days=day.weekday())


def term_days(terms: Iterable[Term]) -> list[date]:
    """Weekdays in term that are not bank holidays (closures still count: they are term days)."""
    terms = list(terms)
    years = {t.first_day.year for t in terms} | {t.last_day.year for t in terms}
    holidays_ = bank_holidays(years)
    return sorted(d for t in terms for d in t.weekdays() if d not in holidays_)


def meeting_days(terms: Iterable[Term], closures: Iterable[Closure], district: str) -> list[date]:
    """Term days of `district` that are neither bank holidays nor closures."""
    closed = {c.date for c in closures if c.applies_to(district)}
    return [d for d in term_days(terms) if d not in closed]


def half_term_of(terms: Iterable[Term], day: date) -> int | None:
    """The number of the term containing `day`, or None in a holiday."""
    for term in terms:
        if term.first_day <= day <= term.last_day:
            return term.term
    return None


def clip_to_year(terms: Iterable[Term], day: date) -> tuple[date, str | None]:
    """`day` moved into the year of `terms` (its first or last term day), with a note when moved."""
    terms = list(terms)
    first, last = min(t.first_day for t in terms), max(t.last_day for t in terms)
    if day < first:
        return first, (
            f"{day.isoformat()} is before the scenario's year: taking its first day, {first.isoformat()}"
        )
    if day > last:
        return last, (
            f"{day.isoformat()} is after the scenario's year: taking its last day, {last.isoformat()}"
        )
    return day, None
