"""The `faultInjection` stack key: which AZ the experiments disrupt, how much and how long.

On by default in staging and prod (where the data stores run Multi-AZ and the services at least
one task each), off in dev. The experiments themselves are built by `fault_injection.py`; the
limits below are AWS FIS's (Service Quotas, "AWS Fault Injection Service": 20 actions per
experiment template, 10 parallel actions per experiment, 5 tasks per `aws:ecs:stop-task`
target, 5 stop conditions per template; durations from one minute).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import Field

from ..errors import ConfigIssue
from ..formats import ConfigModel, Environment, Flag, explicit_keys, snake

MAX_ACTIONS = 20
"""Actions per experiment template (L-0BFE6B67, not adjustable)."""
MAX_PARALLEL_ACTIONS = 10
"""Parallel actions per experiment (L-EB051440, not adjustable)."""
MAX_STOPPED_TASKS = 5
"""Target tasks of one `aws:ecs:stop-task` action (L-48D12416)."""
FAULT_INJECTION_DEFAULTS: dict[Environment, bool] = {"dev": False, "staging": True, "prod": True}

AZ_CODE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d[a-z]$")
"""An Availability Zone's code (`eu-west-1a`); FIS also takes an AZ ID (`euw1-az1`)."""
AZ_ID = re.compile(r"^[a-z]{2,4}\d-az\d+$")


class FaultInjectionConfig(ConfigModel):
    """`faultInjection`: AWS FIS experiment templates for this stack (run on demand)."""

    enabled: Flag | None = Field(
        None, description="Create the experiment templates; unset = on in staging and prod."
    )
    availability_zone: str | None = Field(
        None,
        pattern=r"^([a-z]{2}(-[a-z]+)+-\d[a-z]|[a-z]{2,4}\d-az\d+)$",
        description="The Availability Zone whose subnets and cache nodes the AZ experiments "
        "disrupt: a code of the stack's region (eu-west-1a) or an AZ ID (euw1-az1); unset = "
        "the region's first (<region>a).",
    )
    stop_task_percent: int = Field(
        50,
        ge=1,
        le=100,
        description="Share of each service's minimum task count the task experiment stops "
        "(at least one task, at most 5: FIS's limit per action).",
    )
    duration_minutes: int = Field(
        5, ge=1, le=60, description="Minutes the network and cache disruptions last."
    )


@dataclass(frozen=True)
class FaultInjectionSettings:
    availability_zone: str
    stop_task_percent: int
    duration_minutes: int

    @property
    def duration(self) -> str:
        """ISO 8601, as FIS takes it (`PT5M`)."""
        return f"PT{self.duration_minutes}M"


def tasks_to_stop(minimum: int, percent: int) -> int:
    """How many of a service's tasks the experiment stops: `percent` of its minimum (FIS's own
    `PERCENT(n)` rounds down and fails when that is no task), at least one, at most
    `MAX_STOPPED_TASKS`."""
    return max(1, min(MAX_STOPPED_TASKS, minimum * percent // 100))


def resolve_fault_injection(
    config: FaultInjectionConfig,
    *,
    env: Environment,
    region: str,
    guarded: bool,
    issues: list[ConfigIssue],
) -> FaultInjectionSettings | None:
    """The experiments' settings, or None when the stack has none. `guarded`: the stack has an
    alarm to stop an experiment with (an ALB's, the database's or the cache's)."""
    enabled = config.enabled if config.enabled is not None else FAULT_INJECTION_DEFAULTS[env]
    if not enabled:
        for key in explicit_keys(config, {"enabled"}):
            issues.append(
                ConfigIssue(
                    f"faultInjection.{key}",
                    getattr(config, snake(key)),
                    f"has no effect: fault injection is off in this stack ({env})",
                    "remove it, or set faultInjection.enabled: true",
                )
            )
        return None
    zone = config.availability_zone or f"{region}a"
    if AZ_CODE.match(zone) and zone[:-1] != region:
        issues.append(
            ConfigIssue(
                "faultInjection.availabilityZone",
                zone,
                f"not an Availability Zone of the stack's region ({region})",
                f"{region}a, {region}b, ... or an AZ ID of {region}",
            )
        )
    if not guarded:
        issues.append(
            ConfigIssue(
                "faultInjection.enabled",
                True,
                "no alarm could stop an experiment: the stack has no ALB, database or cache "
                "alarm (AWS FIS stops an experiment on an alarm)",
                "alarms on with edge, database or cache; or faultInjection.enabled: false",
            )
        )
    return FaultInjectionSettings(
        availability_zone=zone,
        stop_task_percent=config.stop_task_percent,
        duration_minutes=config.duration_minutes,
    )
