"""Working days: due dates of the follow-up, and how close an item is to its due date.

A day is a working day unless it is a weekend or one of China's public holidays,
and a weekend that the State Council declares a make-up working day (调休上班)
is one. The official dates come from the ``chinesecalendar`` package (data for
2004 up to the last year it was released for); an operator adds what it lacks
(next year's dates before the package has them, a local day off) through
``settings.extra_holidays`` / ``extra_workdays``, which win over the package.
Outside the package's years, only weekends and the operator's dates count.

Counting rule (as the 12345 hotlines count "N个工作日内"): the day an item is
forwarded does not count; the due date is the N-th working day after it. An
item is "due soon" (yellow) from ``soon_days`` working days before its due date
through the due date itself, and "overdue" (red) from the next day on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from chinese_calendar import constants as _official

from .errors import Code, Rejection

# The package's data: date -> holiday name, for days off and make-up working days.
_OFFICIAL_HOLIDAYS: frozenset[dt.date] = frozenset(_official.holidays)
_OFFICIAL_WORKDAYS: frozenset[dt.date] = frozenset(_official.workdays)
OFFICIAL_YEARS = (min(_OFFICIAL_HOLIDAYS).year, max(_OFFICIAL_HOLIDAYS).year)

MAX_WORKDAYS = 365  # a time limit beyond a year is a typo, not a limit


class QuestionType(StrEnum):
    """The kinds of 留言 government message boards count separately."""

    CONSULT = "consult"  # 咨询
    HELP = "help"  # 求助
    SUGGEST = "suggest"  # 建议
    COMPLAIN = "complain"  # 投诉


# Default time limits in working days; an operator overrides them in settings.
DEFAULT_LIMITS: Mapping[QuestionType, int] = {
    QuestionType.CONSULT: 3,
    QuestionType.HELP: 5,
    QuestionType.SUGGEST: 10,
    QuestionType.COMPLAIN: 10,
}


class DueLevel(StrEnum):
    OK = "ok"
    SOON = "soon"  # yellow
    OVERDUE = "overdue"  # red


def parse_date(raw: object) -> dt.date:
    """A ``YYYY-MM-DD`` string as a date; ``invalid`` otherwise."""
    if not isinstance(raw, str) or len(raw) != 10:
        raise Rejection(Code.INVALID, f"date {raw!r} is not YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Rejection(Code.INVALID, f"date {raw!r} is not YYYY-MM-DD") from None


@dataclass(frozen=True)
class WorkCalendar:
    """The official calendar plus the operator's own days off and working days."""

    extra_holidays: frozenset[dt.date] = frozenset()
    extra_workdays: frozenset[dt.date] = frozenset()

    @classmethod
    def from_strings(cls, holidays: Iterable[str], workdays: Iterable[str]) -> WorkCalendar:
        return cls(frozenset(map(parse_date, holidays)), frozenset(map(parse_date, workdays)))

    def is_workday(self, day: dt.date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        if day in _OFFICIAL_WORKDAYS:
            return True
        return day.weekday() < 5 and day not in _OFFICIAL_HOLIDAYS

    def covers(self, day: dt.date) -> bool:
        """Whether the official dates of ``day``'s year are known (else weekends only)."""
        return OFFICIAL_YEARS[0] <= day.year <= OFFICIAL_YEARS[1]

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``start`` (``start`` itself not counted)."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_WORKDAYS:
            raise Rejection(Code.INVALID, f"a time limit must be 1 to {MAX_WORKDAYS} working days")
        day = start
        while n:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in ``(start, end]``; negative when ``end`` is before ``start``."""
        if end < start:
            return -self.workdays_between(end, start)
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_workday(day)
        return count


def due_date(
    calendar: WorkCalendar,
    forwarded: dt.date,
    qtype: QuestionType | None,
    limits: Mapping[QuestionType, int] = DEFAULT_LIMITS,
    default: int = 10,
) -> dt.date:
    """The due date of an item forwarded on ``forwarded``: its type's limit, or
    ``default`` working days when it has no type."""
    n = limits.get(qtype, default) if qtype is not None else default
    return calendar.add_workdays(forwarded, n)


def due_level(
    calendar: WorkCalendar, due: dt.date, today: dt.date, *, soon_days: int = 1
) -> DueLevel:
    """Yellow from ``soon_days`` working days before the due date through the due
    date, red after it. Items already replied are not asked (the caller knows)."""
    if today > due:
        return DueLevel.OVERDUE
    if calendar.workdays_between(today, due) <= soon_days:
        return DueLevel.SOON
    return DueLevel.OK
