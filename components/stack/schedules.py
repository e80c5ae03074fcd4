"""When the dev database runs: around the services' working hours, as plain data.

RDS takes minutes to start, so the database starts `DB_START_LEAD_MINUTES` before the services
and stops `DB_STOP_LAG_MINUTES` after them. Its backup and maintenance windows move into the
working day: RDS does not back up a stopped instance. Pure: no Pulumi resources.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

WEEK = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
DB_START_LEAD_MINUTES = 20
DB_STOP_LAG_MINUTES = 10
BACKUP_WINDOW_MINUTES = 30
MAINTENANCE_WINDOW_MINUTES = 30


@dataclass(frozen=True)
class DatabaseSchedule:
    start_cron: str
    """EventBridge Scheduler cron, read in `timezone`."""
    stop_cron: str
    timezone: str
    backup_window: str
    """hh24:mi-hh24:mi UTC, inside the running hours."""
    maintenance_window: str
    """ddd:hh24:mi-ddd:hh24:mi UTC, inside the running hours of a running day."""
    hours_per_month: float
    """Hours the instance runs in a 730-hour month (what its compute costs)."""


def _minutes(clock: str) -> int:
    hour, minute = clock.split(":")
    return int(hour) * 60 + int(minute)


def shifted_cron(clock: str, shift_minutes: int, days: Sequence[str]) -> str:
    """`cron(m h ? * DAYS *)` for `clock` moved by `shift_minutes`, the days following a move
    across midnight (00:10 - 20 min runs at 23:50 the day before)."""
    total = _minutes(clock) + shift_minutes
    day_shift, minute_of_day = divmod(total, 24 * 60)
    moved = [WEEK[(WEEK.index(day) + day_shift) % 7] for day in days]
    ordered = sorted(dict.fromkeys(moved), key=WEEK.index)
    return f"cron({minute_of_day % 60} {minute_of_day // 60} ? * {','.join(ordered)} *)"


def _utc(clock_minutes: int, timezone: str) -> int:
    """Minutes after midnight UTC of a local time on a winter reference day (standard time);
    summer time moves it an hour earlier, which the windows below leave room for."""
    local = dt.datetime(2026, 1, 15, clock_minutes // 60, clock_minutes % 60,
                        tzinfo=zoneinfo.ZoneInfo(timezone))  # fmt: skip
    utc = local.astimezone(dt.UTC)
    return (utc.hour * 60 + utc.minute) % (24 * 60)


def _clock(minutes: int) -> str:
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def database_schedule(
    *, start: str, stop: str, days: Sequence[str], timezone: str, weeks_per_month: float
) -> DatabaseSchedule:
    """The database's schedule around services running `start`-`stop` on `days`."""
    begin, end = _minutes(start), _minutes(stop)
    # Backups and maintenance in the middle of the working day: an hour either way of summer
    # time still falls inside it.
    middle = _utc((begin + end) // 2, timezone)
    day = next(d for d in ("WED", "TUE", "THU", "MON", "FRI", *days) if d in days)
    maintenance_start = middle + BACKUP_WINDOW_MINUTES + 15
    running = (end - begin + DB_START_LEAD_MINUTES + DB_STOP_LAG_MINUTES) / 60
    return DatabaseSchedule(
        start_cron=shifted_cron(start, -DB_START_LEAD_MINUTES, days),
        stop_cron=shifted_cron(stop, DB_STOP_LAG_MINUTES, days),
        timezone=timezone,
        backup_window=f"{_clock(middle)}-{_clock(middle + BACKUP_WINDOW_MINUTES)}",
        maintenance_window=(
            f"{day.lower()}:{_clock(maintenance_start)}-"
            f"{day.lower()}:{_clock(maintenance_start + MAINTENANCE_WINDOW_MINUTES)}"
        ),
        hours_per_month=running * len(days) * weeks_per_month,
    )
