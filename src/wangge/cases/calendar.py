"""Working time: the national holiday calendar with make-up working days (调休), an
administrator's overrides, and office hours; deadlines counted in it.

The national calendar comes from ``chinesecalendar`` (years it knows); beyond them weekends
are days off. ``CalendarDay`` rows override either. Office hours are a setting.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from functools import lru_cache

import chinese_calendar
from django.conf import settings
from django.utils import timezone

from wangge.cases.choices import LimitUnit


def _office_hours() -> list[tuple[datetime.time, datetime.time]]:
    """``WANGGE_OFFICE_HOURS`` such as ``"08:30-12:00,14:00-17:30"`` as time pairs."""
    spans = []
    for part in settings.WANGGE_OFFICE_HOURS.split(","):
        start, end = part.strip().split("-")
        spans.append((datetime.time.fromisoformat(start), datetime.time.fromisoformat(end)))
    return spans


class WorkCalendar:
    """Which days are working days, and how working time adds up."""

    def __init__(self, overrides: dict[datetime.date, bool] | None = None):
        if overrides is None:
            from wangge.cases.models import CalendarDay
            from wangge.core.memo import kept

            overrides = kept(
                ("calendar",),
                lambda: dict(CalendarDay.objects.values_list("date", "is_workday")),
            )
        self.overrides = overrides
        self.spans = _office_hours()
        self.day_seconds = sum(_seconds_between(a, b) for a, b in self.spans)

    def is_workday(self, day: datetime.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return _national_workday(day)

    def next_workday(self, day: datetime.date) -> datetime.date:
        day += datetime.timedelta(days=1)
        while not self.is_workday(day):
            day += datetime.timedelta(days=1)
        return day

    def add(self, start: datetime.datetime, amount: Decimal | float, unit: str):
        """The moment ``amount`` of ``unit`` after ``start`` (aware datetimes)."""
        amount = Decimal(str(amount))
        if unit == LimitUnit.HOURS:
            return start + datetime.timedelta(hours=float(amount))
        if unit == LimitUnit.WORKING_DAYS:
            return self.add_working_seconds(start, float(amount) * self.day_seconds)
        if unit == LimitUnit.WORKING_HOURS:
            return self.add_working_seconds(start, float(amount) * 3600)
        raise ValueError(f"unknown unit {unit!r}")

    def add_working_seconds(self, start: datetime.datetime, seconds: float):
        """Walk forward through office hours on working days until ``seconds`` are used.

        Work received outside office hours starts counting at the next opening.
        """
        local = timezone.localtime(start)
        zone = local.tzinfo
        day = local.date()
        remaining = seconds
        moment = local.time()
        while True:
            if self.is_workday(day):
                for open_at, close_at in self.spans:
                    if moment >= close_at:
                        continue
                    begin = max(moment, open_at)
                    available = _seconds_between(begin, close_at)
                    if remaining <= available:
                        return datetime.datetime.combine(day, begin, zone) + datetime.timedelta(
                            seconds=remaining
                        )
                    remaining -= available
            day += datetime.timedelta(days=1)
            moment = datetime.time(0, 0)

    def working_seconds_between(self, start: datetime.datetime, end: datetime.datetime) -> float:
        """Office-hour seconds on working days between two moments (0 if end is earlier)."""
        if end <= start:
            return 0.0
        a, b = timezone.localtime(start), timezone.localtime(end)
        zone = a.tzinfo
        total = 0.0
        day = a.date()
        while day <= b.date():
            if self.is_workday(day):
                for open_at, close_at in self.spans:
                    span_start = datetime.datetime.combine(day, open_at, zone)
                    span_end = datetime.datetime.combine(day, close_at, zone)
                    lo, hi = max(span_start, a), min(span_end, b)
                    if hi > lo:
                        total += (hi - lo).total_seconds()
            day += datetime.timedelta(days=1)
        return total


def _seconds_between(a: datetime.time, b: datetime.time) -> float:
    return (
        datetime.datetime.combine(datetime.date.min, b)
        - datetime.datetime.combine(datetime.date.min, a)
    ).total_seconds()


@lru_cache(maxsize=4096)
def _national_workday(day: datetime.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # A year the package does not know yet: weekends off, until an administrator enters
        # the year's holidays as overrides.
        return day.weekday() < 5


def calendar() -> WorkCalendar:
    """A calendar with the current overrides (one small query)."""
    return WorkCalendar()
