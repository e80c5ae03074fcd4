"""Cost-lever stack config: the `offHoursScaling` and `monthlyBudgetUsd` keys, their
per-environment defaults and the rules that span them and other keys.

`offHoursScaling` scales every service to zero outside working hours (Application Auto Scaling
scheduled actions, see `components/microservice.py`) and the cost estimate counts only the hours
left (`components/cost`). It is on by default in dev only. The other levers already exist as keys
(`cpuArchitecture`, `enableFargateSpot`/`fargateSpotPercentage`, `network.natGateways`,
`network.interfaceEndpoints`, `logRetentionDays`); the rules here reject the combinations of them
AWS would refuse at deploy time.

This module is imported by `model.py`, so it only imports `defaults` and `errors` at load time.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from .defaults import Environment
from .errors import ConfigIssue

if TYPE_CHECKING:
    from .model import StackConfig

Weekday = Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
WEEKDAYS: tuple[Weekday, ...] = ("MON", "TUE", "WED", "THU", "FRI")
HOURS_PER_MONTH = 730.0
"""AWS's billing month: 8760 h / 12, the figure every AWS price calculator uses."""
WEEKS_PER_MONTH = HOURS_PER_MONTH / (24 * 7)

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_ZONE_SHAPE = re.compile(r"^(UTC|[A-Za-z_]+(/[A-Za-z0-9_+-]+){1,2}|Etc/GMT[+-]\d{1,2})$")


def _check_clock(value: str) -> str:
    if not _CLOCK.match(value):
        raise ValueError("not a time of day; allowed: HH:MM on a 24-hour clock, e.g. 08:00")
    return value


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


ClockTime = Annotated[str, AfterValidator(_check_clock)]
TimeZone = Annotated[str, AfterValidator(_check_zone)]


class _Model(BaseModel):
    # Same settings as model._Model; repeated because model.py imports this module.
    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=False
    )


class OffHoursScalingConfig(_Model):
    """`offHoursScaling`: run the services only during working hours (the report's "arrêt
    automatique hors heures de travail")."""

    enabled: bool | None = Field(
        None,
        description="Scale every service to zero at `stop` and back to its minimum at `start` on "
        "`days`; unset = per environment (on in dev when autoScalingEnabled, off in staging and "
        "prod).",
    )
    timezone: TimeZone = Field(
        "Europe/Paris", description="IANA time zone `start` and `stop` are read in."
    )
    start: ClockTime = Field(
        "08:00", description="Time (HH:MM) services scale back to their autoscaling minimum."
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
        hour, minute = (int(part) for part in clock.split(":"))
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
        def minutes(clock: str) -> int:
            hour, minute = clock.split(":")
            return int(hour) * 60 + int(minute)

        return (minutes(self.stop) - minutes(self.start)) / 60

    @property
    def hours_per_month(self) -> float:
        """Running hours in a 730-hour month: hours per day x days per week x 730/168."""
        return self.hours_per_day * len(self.days) * WEEKS_PER_MONTH


def _explicit(model: BaseModel, exclude: set[str]) -> list[str]:
    return sorted(to_camel(name) for name in model.model_fields_set - exclude)


def resolve_cost_levers(
    config: StackConfig,
    *,
    region: str,
    spot_percentage: int,
    issues: list[ConfigIssue],
) -> OffHoursSettings | None:
    """The off-hours schedule (None = services run around the clock), after checking the
    levers against each other and the region against the cost estimate's price tables."""
    from ..cost.prices import SUPPORTED_REGIONS  # data only; imported late (package cycle)

    if region not in SUPPORTED_REGIONS and region != PLACEHOLDER_REGION:
        issues.append(
            ConfigIssue(
                "(aws:region)",
                region,
                "no price table for this region: the stack's estimated_monthly_cost (and the "
                "monthlyBudgetUsd check) cannot be computed",
                f"{', '.join(SUPPORTED_REGIONS)} (or add the region's prices to "
                "components/cost/prices.py)",
            )
        )
    if config.cpu_architecture == "ARM64" and spot_percentage > 0:
        issues.append(
            ConfigIssue(
                "cpuArchitecture",
                "ARM64",
                f"{spot_percentage}% of the tasks would go to Fargate Spot, which runs X86_64 "
                "tasks only: they would never start",
                "X86_64, or ARM64 with enableFargateSpot: false",
            )
        )

    off_hours = config.off_hours_scaling
    # The dev default follows autoscaling: without a scalable target there is nothing to schedule.
    enabled = (
        off_hours.enabled
        if off_hours.enabled is not None
        else OFF_HOURS_DEFAULTS[config.environment] and config.auto_scaling_enabled
    )
    if not enabled:
        for key in _explicit(off_hours, {"enabled"}):
            issues.append(
                ConfigIssue(
                    f"offHoursScaling.{key}",
                    getattr(off_hours, key),  # these keys are the same in camelCase
                    f"has no effect: off-hours scaling is off in this stack ({config.environment})",
                    "remove it, or set offHoursScaling.enabled: true",
                )
            )
        return None
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


PLACEHOLDER_REGION = "xx-invalid-1"
"""The loader resolves against this stand-in when `aws:region` is itself missing or malformed
(already reported); no second region problem is raised for it."""
