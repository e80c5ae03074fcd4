"""Stack-config models and helpers of time: the working-hours schedule (`offHoursScaling`,
`OffHoursSettings` and its cron and mute windows) and EventBridge Scheduler expressions
(`tasks.<name>.schedule`). Re-exported by `components/compute/config.py`.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from ..formats import ConfigModel, Environment, Flag, matching

Weekday = Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
WEEKDAYS: tuple[Weekday, ...] = ("MON", "TUE", "WED", "THU", "FRI")
HOURS_PER_MONTH = 730.0
"""AWS's billing month: 8760 h / 12, the figure every AWS price calculator uses."""
WEEKS_PER_MONTH = HOURS_PER_MONTH / (24 * 7)

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_ZONE_SHAPE = re.compile(r"^(UTC|[A-Za-z_]+(/[A-Za-z0-9_+-]+){1,2}|Etc/GMT[+-]\d{1,2})$")


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _check_zone(value: str) -> str:
    # Application Auto Scaling takes IANA names (Joda-Time's list). The tz database ships with
    # Python's `tzdata`/the OS; without it only the shape can be checked.
    zones = _zones()
    if (zones and value not in zones) or not _ZONE_SHAPE.match(value):
        raise ValueError("not an IANA time zone; allowed: e.g. Europe/Paris, UTC, America/New_York")
    return value


ClockTime = Annotated[
    str, matching(_CLOCK, "not a time of day; allowed: HH:MM on a 24-hour clock, e.g. 08:00")
]
TimeZone = Annotated[str, AfterValidator(_check_zone)]


class OffHoursScalingConfig(ConfigModel):
    """`offHoursScaling`: run the services only during working hours (the report's "arrêt
    automatique hors heures de travail")."""

    enabled: Flag | None = Field(
        None,
        description="Scale every service to zero at `stop` and back to its minimum at `start` on "
        "`days`; unset = per environment (on in dev when autoScalingEnabled, off in staging and "
        "prod).",
    )
    timezone: TimeZone = Field(
        "Europe/Paris", description="IANA time zone `start` and `stop` are read in."
    )
    start: ClockTime = Field(
        "08:30", description="Time (HH:MM) services scale back to their autoscaling minimum."
    )
    stop: ClockTime = Field("19:00", description="Time (HH:MM) services scale to zero.")
    days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS),
        min_length=1,
        description="Days the services run (MON..SUN); on the others they stay at zero.",
    )


OFF_HOURS_DEFAULTS: dict[Environment, bool] = {"dev": True, "staging": False, "prod": False}
"""Only dev stops at night: staging hosts release tests at any hour, prod serves users."""


@dataclass(frozen=True)
class OffHoursSettings:
    """The working-hours schedule of every service (`offHoursScaling.enabled`)."""

    timezone: str
    start: str
    stop: str
    days: tuple[Weekday, ...]

    @staticmethod
    def _cron(clock: str, days: tuple[Weekday, ...]) -> str:
        hour, minute = _hour_minute(clock)
        # Application Auto Scaling cron: minutes hours day-of-month month day-of-week year.
        return f"cron({minute} {hour} ? * {','.join(days)} *)"

    @property
    def scale_up_schedule(self) -> str:
        return self._cron(self.start, self.days)

    @property
    def scale_down_schedule(self) -> str:
        return self._cron(self.stop, self.days)

    @property
    def hours_per_day(self) -> float:
        return (_minute_of_day(self.stop) - _minute_of_day(self.start)) / 60

    @property
    def hours_per_month(self) -> float:
        """Running hours in a 730-hour month: hours per day x days per week x 730/168."""
        return self.hours_per_day * len(self.days) * WEEKS_PER_MONTH

    def quiet_windows(self, grace_minutes: int) -> list[tuple[str, str]]:
        """When the services are scaled to zero, as (5-field cron of the start, ISO 8601
        duration) pairs for CloudWatch alarm mute rules read in `timezone`: from `stop` on each
        working day to `grace_minutes` after `start` of the next one (Friday's lasts the weekend),
        one pair per length."""
        week = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
        ordered = sorted(self.days, key=week.index)
        stop_h, stop_m = _hour_minute(self.stop)
        lengths: dict[int, list[str]] = {}
        for index, day in enumerate(ordered):
            after = ordered[(index + 1) % len(ordered)]
            days_ahead = (week.index(after) - week.index(day)) % 7 or 7
            minutes = (
                days_ahead * 24 * 60
                - _minute_of_day(self.stop)
                + _minute_of_day(self.start)
                + grace_minutes
            )
            lengths.setdefault(minutes, []).append(day)
        return [
            (f"cron({stop_m} {stop_h} * * {','.join(days)})", _iso_duration(minutes))
            for minutes, days in sorted(lengths.items())
        ]


def _hour_minute(clock: str) -> tuple[int, int]:
    """`"08:30"` (a `ClockTime`) -> `(8, 30)`."""
    hour, minute = clock.split(":")
    return int(hour), int(minute)


def _minute_of_day(clock: str) -> int:
    """`"08:30"` -> 510."""
    hour, minute = _hour_minute(clock)
    return hour * 60 + minute


def _iso_duration(minutes: int) -> str:
    """`P2DT16H10M` (ISO 8601, what CloudWatch takes as a mute rule's duration)."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    time = (f"{hours}H" if hours else "") + (f"{mins}M" if mins else "")
    return "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")


_CRON_FIELDS = 6
_RATE = re.compile(r"^rate\((?P<value>[1-9][0-9]{0,8}) (?P<unit>minutes?|hours?|days?)\)$")
_AT = re.compile(
    r"^at\(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\)$"
)


def _check_schedule_expression(value: str) -> str:
    """The three forms EventBridge Scheduler takes ("Schedule types on EventBridge Scheduler"):
    `at(yyyy-mm-ddThh:mm:ss)`, `rate(value unit)` (singular unit for 1, plural otherwise) and
    `cron(minutes hours day-of-month month day-of-week year)` with `?` in one of the two day
    fields."""
    allowed = (
        "cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 3 * * ? *); "
        "rate(value unit), e.g. rate(1 hour) or rate(15 minutes); at(yyyy-mm-ddThh:mm:ss)"
    )
    if value.startswith("rate("):
        match = _RATE.match(value)
        if match is None:
            raise ValueError(
                f"not a rate expression EventBridge Scheduler takes; allowed: {allowed}"
            )
        plural = match["unit"].endswith("s")
        if plural != (int(match["value"]) != 1):
            raise ValueError(
                "the unit of rate(1 ...) is singular and of any other value plural; allowed: "
                "e.g. rate(1 day), rate(2 days)"
            )
        return value
    if value.startswith("at("):
        if _AT.match(value) is None:
            raise ValueError(f"not a one-time expression; allowed: {allowed}")
        return value
    if value.startswith("cron(") and value.endswith(")"):
        fields = value[5:-1].split()
        if len(fields) != _CRON_FIELDS:
            raise ValueError(
                f"a cron expression has 6 fields, this one {len(fields)}; allowed: {allowed}"
            )
        if (fields[2] == "?") == (fields[4] == "?"):
            raise ValueError(
                "exactly one of day-of-month (3rd field) and day-of-week (5th) must be '?'; "
                "allowed: e.g. cron(0 3 * * ? *) or cron(0 3 ? * MON-FRI *)"
            )
        return value
    raise ValueError(f"not a schedule expression; allowed: {allowed}")


ScheduleExpression = Annotated[
    str, Field(max_length=256), AfterValidator(_check_schedule_expression)
]


class TaskScheduleConfig(ConfigModel):
    """`tasks.<name>.schedule`: EventBridge Scheduler runs the task (ECS RunTask)."""

    expression: ScheduleExpression = Field(
        description="cron(...), rate(...) or at(...) as EventBridge Scheduler takes them."
    )
    timezone: TimeZone = Field(
        "UTC", description="IANA time zone the cron or at expression is read in."
    )
    retries: int = Field(
        3,
        ge=0,
        le=185,
        description="Retries of a RunTask call that failed (throttled, no capacity), 0-185; a "
        "task that started and failed is not retried.",
    )
    maximum_event_age_seconds: int = Field(
        3600,
        ge=60,
        le=86400,
        description="Seconds after its time a run may still start (60-86400); past it, the "
        "invocation goes to the dead-letter queue.",
    )
