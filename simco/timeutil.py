"""Day and timestamp arithmetic on plain integers.

The simulation keeps days as proleptic ordinals (``date.toordinal()``) and
timestamps as seconds since the start of ordinal day 0, all in UTC, so time is
plain ``int`` arithmetic and formatting is cached per day.
"""

from __future__ import annotations

from datetime import date

DAY = 86_400

_ISO_DATE: dict[int, str] = {}


def ordinal(d: date) -> int:
    return d.toordinal()


def iso_date(day: int) -> str:
    s = _ISO_DATE.get(day)
    if s is None:
        s = date.fromordinal(day).isoformat()
        _ISO_DATE[day] = s
    return s


_TIME_OF_DAY: list[str] = []


def iso_ts(ts: int) -> str:
    if not _TIME_OF_DAY:
        _TIME_OF_DAY.extend(f"T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z" for s in range(DAY))
    day, sec = divmod(ts, DAY)
    s = _ISO_DATE.get(day)
    if s is None:
        s = iso_date(day)
    return s + _TIME_OF_DAY[sec]


def weekday(day: int) -> int:
    """Monday = 0 ... Sunday = 6 (ordinal 1 was a Monday)."""
    return (day - 1) % 7


def next_weekday(day: int) -> int:
    """The day itself when it is Monday..Friday, else the next Monday."""
    wd = weekday(day)
    return day + (7 - wd if wd >= 5 else 0)


def next_monday(day: int) -> int:
    """The day itself when it is a Monday, else the next Monday."""
    return day + (-weekday(day)) % 7


def month_start(day: int) -> int:
    d = date.fromordinal(day)
    return date(d.year, d.month, 1).toordinal()


def add_months(month_first: int, n: int) -> int:
    d = date.fromordinal(month_first)
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1).toordinal()


def month_end(day: int) -> int:
    return add_months(month_start(day), 1) - 1


def quarter_start(day: int) -> int:
    d = date.fromordinal(day)
    return date(d.year, (d.month - 1) // 3 * 3 + 1, 1).toordinal()


def quarter_end(day: int) -> int:
    return add_months(quarter_start(day), 3) - 1


def period_start(day: int, period_type: str) -> int:
    return month_start(day) if period_type == "month" else quarter_start(day)


def period_end(start: int, period_type: str) -> int:
    return add_months(start, 1 if period_type == "month" else 3) - 1


def months_in(start: int, period_type: str) -> list[int]:
    """First days of the calendar months of a plan period."""
    return [start] if period_type == "month" else [add_months(start, i) for i in range(3)]


def tenure_month(hire_day: int, month_first: int) -> int:
    """1 for the calendar month of the hire, 2 for the next, ... (<= 0 before)."""
    h = date.fromordinal(hire_day)
    m = date.fromordinal(month_first)
    return (m.year - h.year) * 12 + (m.month - h.month) + 1
