"""How much of a month something runs: the hours of a month, a service's running hours under
the off-hours schedule, and the runs a month of an EventBridge Scheduler expression."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..stack.settings import StackSettings

HOURS_PER_MONTH = 730.0
DAYS_PER_MONTH = HOURS_PER_MONTH / 24


_CRON_NAMES = {
    name: index
    for names in (
        ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"),
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
    )
    for index, name in enumerate(names, start=1)
}


def _cron_values(field: str, low: int, high: int) -> int:
    """How many values of `low..high` a cron field selects (`*`, `?`, lists, ranges, steps,
    day and month names; `L`, `W` and `#` count as one value)."""
    if field in ("*", "?"):
        return high - low + 1
    for name, number in _CRON_NAMES.items():
        field = field.replace(name, str(number))
    count = 0
    for part in field.split(","):
        base, _, step = part.partition("/")
        if base in ("*", ""):
            start, end = low, high
        elif "-" in base and base.replace("-", "").isdigit():
            start, end = (int(x) for x in base.split("-", 1))
        elif base.isdigit():
            start = int(base)
            end = high if step else start
        else:
            count += 1  # a name (MON, JAN), L, W, 3#2: one value
            continue
        count += len(range(start, end + 1, int(step) if step.isdigit() and int(step) else 1))
    return max(count, 1)


def runs_per_month(expression: str) -> float:
    """Runs a month of an EventBridge Scheduler expression: `rate(...)` exactly, `cron(...)`
    from its fields (minutes x hours x days, 30.4 days or 4.35 weeks a month, the share of
    months selected), `at(...)` once."""
    if expression.startswith("at("):
        return 1.0
    if expression.startswith("rate("):
        value, unit = expression[5:-1].split()
        minutes = {"minute": 1, "hour": 60, "day": 1440}[unit.rstrip("s")]
        return HOURS_PER_MONTH * 60 / (int(value) * minutes)
    fields = expression[5:-1].split()
    minutes, hours, day_of_month, month, day_of_week = fields[:5]
    if day_of_month == "?":
        days = _cron_values(day_of_week, 1, 7) * DAYS_PER_MONTH / 7
    else:
        days = _cron_values(day_of_month, 1, 31) * DAYS_PER_MONTH / 31
    months = _cron_values(month, 1, 12) / 12
    return _cron_values(minutes, 0, 59) * _cron_values(hours, 0, 23) * days * months


def running_hours(settings: StackSettings) -> float:
    """Hours a service runs per month: 730, or the off-hours schedule's working hours."""
    off_hours = settings.off_hours
    return off_hours.hours_per_month if off_hours is not None else HOURS_PER_MONTH
