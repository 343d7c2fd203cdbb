"""server.domain.workdays: working days across weekends, holidays and make-up days."""

from __future__ import annotations

import datetime as dt

import pytest

from server.domain.errors import Rejection
from server.domain.workdays import (
    DueLevel,
    QuestionType,
    WorkCalendar,
    due_date,
    due_level,
    parse_date,
)

CAL = WorkCalendar()
D = dt.date


def test_national_day_2024_and_its_make_up_days() -> None:
    # 2024: 1-7 October off; Sunday 29 September and Saturday 12 October worked.
    assert all(not CAL.is_workday(D(2024, 10, d)) for d in range(1, 8))
    assert CAL.is_workday(D(2024, 9, 29)) and D(2024, 9, 29).weekday() == 6
    assert CAL.is_workday(D(2024, 10, 12)) and D(2024, 10, 12).weekday() == 5
    assert not CAL.is_workday(D(2024, 9, 28))  # an ordinary Saturday


def test_due_date_across_national_day() -> None:
    # Forwarded Friday 27 September 2024, a 咨询 (3 working days):
    # Sun 29 Sep (make-up day), Mon 30 Sep, then the holiday, then Tue 8 Oct.
    assert due_date(CAL, D(2024, 9, 27), QuestionType.CONSULT) == D(2024, 10, 8)
    # 求助, 5 days: 29 Sep, 30 Sep, 8, 9, 10 Oct.
    assert due_date(CAL, D(2024, 9, 27), QuestionType.HELP) == D(2024, 10, 10)
    # 投诉, 10 days: 29, 30 Sep, 8-11 Oct, Saturday 12 Oct (make-up day), 14-16 Oct.
    assert due_date(CAL, D(2024, 9, 27), QuestionType.COMPLAIN) == D(2024, 10, 16)


def test_make_up_saturday_counts() -> None:
    # Thursday 10 October 2024 + 2 working days: Fri 11, Sat 12 (make-up day).
    assert CAL.add_workdays(D(2024, 10, 10), 2) == D(2024, 10, 12)
    # An ordinary week: Thursday + 2 = Monday.
    assert CAL.add_workdays(D(2024, 11, 7), 2) == D(2024, 11, 11)


def test_forwarding_day_does_not_count_and_untyped_default() -> None:
    assert CAL.add_workdays(D(2024, 11, 11), 1) == D(2024, 11, 12)
    assert due_date(CAL, D(2024, 11, 11), None, default=1) == D(2024, 11, 12)
    limits = {QuestionType.CONSULT: 1}
    assert due_date(CAL, D(2024, 11, 11), QuestionType.CONSULT, limits) == D(2024, 11, 12)
    # A type missing from the operator's limits falls back to the default.
    assert due_date(CAL, D(2024, 11, 11), QuestionType.HELP, limits, default=2) == D(2024, 11, 13)


def test_operator_dates_win_over_the_package() -> None:
    cal = WorkCalendar.from_strings(["2024-11-12"], ["2024-10-05"])
    assert not cal.is_workday(D(2024, 11, 12))
    assert cal.is_workday(D(2024, 10, 5))
    assert cal.add_workdays(D(2024, 11, 11), 1) == D(2024, 11, 13)


def test_beyond_the_package_years_weekends_only() -> None:
    far = D(2099, 10, 1)  # a Thursday
    assert not CAL.covers(far)
    assert CAL.is_workday(far)
    assert CAL.add_workdays(D(2099, 10, 2), 1) == D(2099, 10, 5)


def test_workdays_between() -> None:
    assert CAL.workdays_between(D(2024, 9, 30), D(2024, 10, 8)) == 1
    assert CAL.workdays_between(D(2024, 10, 8), D(2024, 9, 30)) == -1
    assert CAL.workdays_between(D(2024, 10, 8), D(2024, 10, 8)) == 0


@pytest.mark.parametrize(
    ("today", "level"),
    [
        (D(2024, 10, 14), DueLevel.OK),  # Monday: 2 working days before Wednesday
        (D(2024, 10, 15), DueLevel.SOON),  # the day before
        (D(2024, 10, 16), DueLevel.SOON),  # the due date itself
        (D(2024, 10, 17), DueLevel.OVERDUE),
    ],
)
def test_due_level(today: dt.date, level: DueLevel) -> None:
    assert due_level(CAL, D(2024, 10, 16), today) is level


def test_due_soon_counts_working_days_over_a_holiday() -> None:
    # Due Tuesday 8 October: on Monday 30 September one working day remains.
    assert due_level(CAL, D(2024, 10, 8), D(2024, 9, 30)) is DueLevel.SOON
    assert due_level(CAL, D(2024, 10, 8), D(2024, 9, 27)) is DueLevel.OK


@pytest.mark.parametrize("n", [0, -1, 366, True, 2.5])
def test_bad_limits_are_refused(n: object) -> None:
    with pytest.raises(Rejection) as refused:
        CAL.add_workdays(D(2024, 1, 1), n)  # type: ignore[arg-type]
    assert refused.value.code == "invalid"


@pytest.mark.parametrize("raw", ["2024-13-01", "2024-1-1", "", None, 20240101, "2024-01-01x"])
def test_bad_dates(raw: object) -> None:
    with pytest.raises(Rejection):
        parse_date(raw)
