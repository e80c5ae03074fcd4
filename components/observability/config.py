"""Stack-config model of the alarms (`alarms`): topic, subscribers, thresholds, dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from ..formats import ConfigModel, Flag

Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")]


class AlarmsConfig(ConfigModel):
    """The stack's alarm topic, alarms and dashboard (`alarms:` key)."""

    enabled: Flag | None = Field(None, description="Create them; unset = per environment.")
    emails: list[Email] = Field(
        default_factory=list, description="Addresses subscribed to the alarm topic."
    )
    latency_p95_seconds: float = Field(
        0.2, gt=0, le=60, description="ALB p95 TargetResponseTime threshold (report: 200 ms)."
    )
    error_rate_percent: float = Field(
        1.0, gt=0, le=100, description="ALB 5xx share of requests threshold (report: 1 %)."
    )
    dashboard: Flag = Field(True, description="Create the CloudWatch dashboard.")


@dataclass(frozen=True)
class AlarmsSettings:
    emails: tuple[str, ...]
    latency_p95_seconds: float
    error_rate_percent: float
    dashboard: bool
