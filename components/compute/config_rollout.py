"""Stack-config models of how a service rolls out and scales: `deployment` (ROLLING,
BLUE_GREEN, LINEAR, CANARY and lifecycle hooks), `restartPolicy`, `scaling` (request count,
predictive, queue backlog) and `serviceConnect`. Re-exported by `components/compute/config.py`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from ..formats import ConfigModel, Flag, LambdaArn
from .deployment import HOOK_STAGES, Strategy

HookStage = Literal[HOOK_STAGES]  # type: ignore[valid-type]


def _percent(low: float) -> AfterValidator:
    """ECS takes traffic shares as multiples of 0.1 between `low` and 100.0."""

    def check(value: float) -> float:
        if not low <= value <= 100.0 or abs(value * 10 - round(value * 10)) > 1e-9:
            raise ValueError(
                f"not a share ECS takes; allowed: {low} to 100.0 in steps of 0.1 (e.g. 10, 12.5)"
            )
        return value

    return AfterValidator(check)


LinearPercent = Annotated[float, _percent(3.0)]
CanaryPercent = Annotated[float, _percent(0.1)]
BakeMinutes = Annotated[int, Field(ge=0, le=1440)]


class LinearConfig(ConfigModel):
    """`deployment.linear`: traffic moves in equal steps."""

    step_percent: LinearPercent = Field(
        10.0, description="Share of traffic moved per step (3.0 to 100.0, multiples of 0.1)."
    )
    step_bake_time_minutes: BakeMinutes = Field(6, description="Minutes between two steps.")


class CanaryConfig(ConfigModel):
    """`deployment.canary`: a share first, then the rest."""

    percent: CanaryPercent = Field(
        5.0, description="Share of traffic the new revision gets first (0.1 to 100.0)."
    )
    bake_time_minutes: BakeMinutes = Field(
        10, description="Minutes at that share before the rest moves."
    )


class LifecycleHookConfig(ConfigModel):
    """A Lambda function ECS invokes at the given stages of every deployment."""

    lambda_arn: LambdaArn = Field(description="The function (it answers SUCCEEDED or FAILED).")
    stages: list[HookStage] = Field(
        min_length=1, description=f"Stages it runs at: {', '.join(HOOK_STAGES)}."
    )


class DeploymentConfig(ConfigModel):
    """`deployment` (per stack) and `services.<name>.deployment` / `serviceOverrides.<name>.
    deployment` (per service): how new revisions roll out. Unset keys fall back service ->
    stack -> environment."""

    strategy: Strategy | None = Field(
        None,
        description="ROLLING, BLUE_GREEN, LINEAR or CANARY (ECS native); the last three for "
        "services behind the program's ALB; unset = per environment (ROLLING / CANARY / "
        "BLUE_GREEN).",
    )
    bake_time_minutes: BakeMinutes | None = Field(
        None,
        description="Minutes both revisions keep running after all traffic moved (instant "
        "rollback); unset = per environment (0 / 5 / 10).",
    )
    linear: LinearConfig | None = Field(None, description="Steps of LINEAR.")
    canary: CanaryConfig | None = Field(None, description="Share and wait of CANARY.")
    lifecycle_hooks: list[LifecycleHookConfig] | None = Field(
        None, max_length=10, description="Lambda hooks at deployment stages (not for ROLLING)."
    )


class RestartPolicyConfig(ConfigModel):
    """`restartPolicy` (per stack) and per service: ECS restarts an exited essential container
    in place instead of replacing the task."""

    enabled: Flag | None = Field(None, description="Restart exited containers; unset = on.")
    ignored_exit_codes: list[Annotated[int, Field(ge=0, le=255)]] | None = Field(
        None, max_length=50, description="Exit codes that are not restarted (at most 50)."
    )
    restart_attempt_period: int | None = Field(
        None,
        ge=60,
        le=1800,
        description="Seconds a container must run before it may be restarted again (60-1800; "
        "unset = 300).",
    )


class PredictiveConfig(ConfigModel):
    """`scaling.predictive`: scale ahead of the forecast daily CPU pattern."""

    mode: Literal["ForecastOnly", "ForecastAndScale"] = Field(
        "ForecastAndScale",
        description="ForecastOnly shows the forecast without acting (start there on a new "
        "service).",
    )
    scheduling_buffer_seconds: int = Field(
        300, ge=0, le=3600, description="How early tasks start before the forecast load."
    )


class ServiceScalingConfig(ConfigModel):
    """`scaling` of one service, beside the stack's CPU and memory target tracking."""

    requests_per_target: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="Requests per task per minute to keep (target tracking on the ALB's "
        "RequestCountPerTarget); services behind the program's ALB.",
    )
    predictive: PredictiveConfig | None = Field(
        None, description="Predictive scaling on CPU (needs 24 hours of history to forecast)."
    )
    backlog_per_task: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="Messages of the queue it consumes per running task to keep (target "
        "tracking on the backlog per task; needs Container Insights).",
    )


class ServiceConnectConfig(ConfigModel):
    """`serviceConnect`: ECS Service Connect beside (instead of) Cloud Map DNS records."""

    enabled: Flag | None = Field(
        None,
        description="true: every service reaches the others through Service Connect's proxy "
        "(same names and ports as the DNS records it replaces); unset: only the services that "
        "are called and deploy BLUE_GREEN, LINEAR or CANARY, with their callers (ECS shifts "
        "their traffic through Service Connect, not through DNS records); false: none, and such "
        "a service is refused.",
    )
    access_logs: Flag = Field(
        True,
        description="The proxy's access logs (JSON, no query strings) in each service's log group.",
    )
