"""The cost levers of `resolve.py`: the services' off-hours schedule and the database's
stop/start schedule that follows it, each checked against the stack's other keys."""

from __future__ import annotations

from ..compute.config import OFF_HOURS_DEFAULTS, WEEKS_PER_MONTH, OffHoursSettings
from ..errors import ConfigIssue
from ..formats import ENFORCED_ENVIRONMENTS, explicit_keys
from .model import StackConfig
from .platform_settings import PlatformSettings
from .schedules import DatabaseSchedule, database_schedule


def resolve_cost_levers(
    config: StackConfig,
    *,
    region: str,
    spot_percentage: int,
    issues: list[ConfigIssue],
) -> OffHoursSettings | None:
    """The off-hours schedule (None = services run around the clock), after checking the
    levers against each other."""
    off_hours = config.off_hours_scaling
    # The dev default follows autoscaling: without a scalable target there is nothing to schedule.
    enabled = (
        off_hours.enabled
        if off_hours.enabled is not None
        else OFF_HOURS_DEFAULTS[config.environment] and config.auto_scaling_enabled
    )
    if not enabled:
        for key in explicit_keys(off_hours, {"enabled"}):
            issues.append(
                ConfigIssue(
                    f"offHoursScaling.{key}",
                    getattr(off_hours, key),  # these keys are the same in camelCase
                    f"has no effect: off-hours scaling is off in this stack ({config.environment})",
                    "remove it, or set offHoursScaling.enabled: true",
                )
            )
        return None
    if config.environment in ENFORCED_ENVIRONMENTS:
        issues.append(
            ConfigIssue(
                "offHoursScaling.enabled",
                True,
                "scales every service to 0 tasks outside working hours (control REL.3: at least "
                f"2 tasks, required in {config.environment})",
                "false (a dev lever)",
            )
        )
    if not config.auto_scaling_enabled:
        issues.append(
            ConfigIssue(
                "offHoursScaling.enabled",
                True,
                "the schedule acts on each service's scalable target, which only exists with "
                "autoScalingEnabled: true",
                "offHoursScaling.enabled: false, or autoScalingEnabled: true",
            )
        )
    if off_hours.start >= off_hours.stop:
        issues.append(
            ConfigIssue(
                "offHoursScaling.stop",
                off_hours.stop,
                f"not after offHoursScaling.start ({off_hours.start}): the services would run "
                "overnight, not during the day",
                f"a time after {off_hours.start} on the same day",
            )
        )
    if len(set(off_hours.days)) != len(off_hours.days):
        issues.append(
            ConfigIssue(
                "offHoursScaling.days",
                list(off_hours.days),
                "a day is listed twice",
                "distinct days among MON, TUE, WED, THU, FRI, SAT, SUN",
            )
        )
    order = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
    return OffHoursSettings(
        timezone=off_hours.timezone,
        start=off_hours.start,
        stop=off_hours.stop,
        days=tuple(sorted(set(off_hours.days), key=order.index)),
    )


def database_schedule_settings(
    config: StackConfig,
    platform: PlatformSettings,
    off_hours: OffHoursSettings | None,
    issues: list[ConfigIssue],
) -> DatabaseSchedule | None:
    """The database's stop/start schedule (`database.stopOffHours`), or None."""
    database = platform.database
    asked = config.database.stop_off_hours if config.database is not None else None
    if database is None:
        return None
    stop = asked if asked is not None else (off_hours is not None and not database.multi_az)
    if not stop:
        return None
    if off_hours is None:
        issues.append(
            ConfigIssue(
                "database.stopOffHours",
                True,
                "the database stops around the services' working hours, and offHoursScaling "
                "is off in this stack",
                "offHoursScaling.enabled: true, or database.stopOffHours: false",
            )
        )
        return None
    return database_schedule(
        start=off_hours.start,
        stop=off_hours.stop,
        days=off_hours.days,
        timezone=off_hours.timezone,
        weeks_per_month=WEEKS_PER_MONTH,
    )
