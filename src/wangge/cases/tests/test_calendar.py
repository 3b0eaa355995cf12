"""Working time around Spring Festival and National Day, 2025 and 2026, with 调休 days."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from wangge.cases.calendar import WorkCalendar
from wangge.cases.choices import LimitUnit

CN = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=CN)


@pytest.fixture
def cal(settings):
    settings.WANGGE_OFFICE_HOURS = "08:30-12:00,14:00-17:30"  # 7 working hours a day
    return WorkCalendar(overrides={})


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # 2025 Spring Festival: 28 Jan–4 Feb off; Sun 26 Jan and Sat 8 Feb are working days.
        ("2025-01-24 10:00", 1, "2025-01-26 10:00"),  # Friday + 1 → the make-up Sunday
        ("2025-01-26 10:00", 1, "2025-01-27 10:00"),
        ("2025-01-27 10:00", 1, "2025-02-05 10:00"),  # over the whole holiday
        ("2025-02-07 10:00", 1, "2025-02-08 10:00"),  # Friday + 1 → the make-up Saturday
        # 2025 National Day: 1–8 Oct off; Sun 28 Sep and Sat 11 Oct are working days.
        ("2025-09-26 09:00", 1, "2025-09-28 09:00"),
        ("2025-09-30 09:00", 1, "2025-10-09 09:00"),
        ("2025-10-10 09:00", 1, "2025-10-11 09:00"),
        # 2026 Spring Festival: 15–23 Feb off; Sat 14 Feb and Sat 28 Feb are working days.
        ("2026-02-13 15:00", 1, "2026-02-14 15:00"),
        ("2026-02-14 15:00", 1, "2026-02-24 15:00"),
        ("2026-02-27 15:00", 1, "2026-02-28 15:00"),
        # 2026 National Day: 1–7 Oct off; Sun 20 Sep and Sat 10 Oct are working days.
        ("2026-09-18 11:00", 1, "2026-09-20 11:00"),
        ("2026-09-30 11:00", 1, "2026-10-08 11:00"),
        ("2026-09-30 11:00", 3, "2026-10-10 11:00"),
    ],
)
def test_working_days_follow_the_national_calendar(cal, start, days, expected):
    assert cal.add(at(start), days, LimitUnit.WORKING_DAYS) == at(expected)


def test_working_hours_skip_lunch_nights_and_holidays(cal):
    # 4 working hours from 10:00: 2 before lunch, 2 after it.
    assert cal.add(at("2026-03-02 10:00"), 4, LimitUnit.WORKING_HOURS) == at("2026-03-02 16:00")
    # Received on the eve of the 2026 holiday at 17:00: half an hour that day, the rest after.
    assert cal.add(at("2026-02-13 17:00"), 2, LimitUnit.WORKING_HOURS) == at("2026-02-14 10:00")
    assert cal.add(at("2026-09-30 17:00"), 2, LimitUnit.WORKING_HOURS) == at("2026-10-08 10:00")
    # Received at night: the clock starts at the next opening.
    assert cal.add(at("2025-10-08 22:00"), Decimal("0.5"), LimitUnit.WORKING_HOURS) == at(
        "2025-10-09 09:00"
    )
    # Plain hours ignore the calendar (emergencies).
    assert cal.add(at("2026-02-16 23:00"), 2, LimitUnit.HOURS) == at("2026-02-17 01:00")


def test_working_time_between(cal):
    # Half an hour on the eve, the whole make-up Saturday, an hour after the holiday.
    assert (
        cal.working_seconds_between(at("2026-02-13 17:00"), at("2026-02-24 09:30"))
        == (0.5 + 7 + 1) * 3600
    )
    assert cal.working_seconds_between(at("2026-03-02 12:30"), at("2026-03-02 13:30")) == 0


def test_overrides_win_over_the_national_calendar(settings):
    settings.WANGGE_OFFICE_HOURS = "08:30-12:00,14:00-17:30"
    typhoon = datetime.date(2026, 3, 3)
    cal = WorkCalendar(overrides={typhoon: False, datetime.date(2026, 3, 7): True})
    assert cal.add(at("2026-03-02 10:00"), 1, LimitUnit.WORKING_DAYS) == at("2026-03-04 10:00")
    assert cal.add(at("2026-03-06 10:00"), 1, LimitUnit.WORKING_DAYS) == at("2026-03-07 10:00")


def test_years_the_package_does_not_know_fall_back_to_weekends(cal):
    assert cal.is_workday(datetime.date(2031, 1, 6))  # a Monday
    assert not cal.is_workday(datetime.date(2031, 1, 4))  # a Saturday
