"""How each service rolls out, restarts and scales beyond CPU and memory: `deployment`,
`restartPolicy` and `scaling`, per stack and per service, resolved into settings (pure: no
Pulumi resources).

A key set on the service (`serviceOverrides.<name>`, then `services.<name>`) wins over the
stack's, which wins over the environment's default. A traffic-shifting strategy (BLUE_GREEN,
LINEAR, CANARY) needs the program's ALB in front of the service: asked for one service that has
none, it is refused; asked stack-wide, the services without the ALB deploy ROLLING.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..compute.config import DeploymentConfig, RestartPolicyConfig, ServiceScalingConfig
from ..compute.deployment import TRAFFIC_SHIFTING
from ..errors import ConfigIssue

RECREATE_TAG = "Recreate"
"""The ECS service tag that says why a deployment recreates (REL.2 accepts 0-100 % with it)."""


@dataclass(frozen=True)
class RolloutSettings:
    """One service's deployment strategy and its timings (compute.deployment.DeploymentArgs)."""

    strategy: str = "ROLLING"
    bake_time_minutes: int = 0
    linear_step_percent: float = 10.0
    linear_step_bake_time_minutes: int = 6
    canary_percent: float = 5.0
    canary_bake_time_minutes: int = 10
    lifecycle_hooks: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(Lambda ARN, stages) per hook."""
    recreate: str | None = None
    """Why this deployment stops every old task before starting a new one (ROLLING at 0-100 %,
    the strategy's load balancer resources kept), e.g. a Keycloak version the update-
    compatibility check cannot allow to roll; None = the strategy as configured."""
    recreate_tag: str | None = None
    """The same, as the ECS service's `Recreate` tag value (characters AWS accepts in a tag)."""

    @property
    def shifts_traffic(self) -> bool:
        return self.strategy in TRAFFIC_SHIFTING


@dataclass(frozen=True)
class RestartSettings:
    """The essential container's `restartPolicy`."""

    enabled: bool = True
    ignored_exit_codes: tuple[int, ...] = ()
    restart_attempt_period: int = 300


Layer = tuple[str, Any]
"""(key path, config model or None), most specific first."""


def _first(layers: Sequence[Layer], attr: str) -> tuple[Any, str | None]:
    for path, config in layers:
        if config is not None and getattr(config, attr) is not None:
            return getattr(config, attr), path
    return None, None


def resolve_rollout(
    name: str,
    service_layers: Sequence[tuple[str, DeploymentConfig | None]],
    stack: DeploymentConfig,
    *,
    default_strategy: str,
    default_bake_time_minutes: int,
    can_shift: bool,
    issues: list[ConfigIssue],
) -> RolloutSettings:
    """`service_layers`: the service's own `deployment` keys, most specific first."""
    own = [(path, config) for path, config in service_layers if config is not None]
    layers: list[Layer] = [*own, ("deployment", stack)]
    strategy, where = _first(layers, "strategy")
    strategy = strategy or default_strategy
    hooks, hooks_where = _first(layers, "lifecycle_hooks")
    if strategy in TRAFFIC_SHIFTING and not can_shift:
        if where is not None and where != "deployment":
            issues.append(
                ConfigIssue(
                    f"{where}.strategy",
                    strategy,
                    f"{strategy} moves traffic between two target groups of the program's ALB, "
                    f"and {name} is not behind it",
                    "ROLLING, or public: true with edge.enabled",
                )
            )
        strategy = "ROLLING"
    if hooks and strategy == "ROLLING":
        if hooks_where is not None and hooks_where != "deployment":
            issues.append(
                ConfigIssue(
                    f"{hooks_where}.lifecycleHooks",
                    f"{len(hooks)} hook(s)",
                    f"{name} deploys ROLLING, and ECS runs lifecycle hooks only with BLUE_GREEN, "
                    "LINEAR or CANARY",
                    "no hooks, or a traffic-shifting strategy",
                )
            )
        hooks = None
    bake, _ = _first(layers, "bake_time_minutes")
    linear, _ = _first(layers, "linear")
    canary, _ = _first(layers, "canary")
    settings = RolloutSettings(
        strategy=strategy,
        bake_time_minutes=int(bake if bake is not None else default_bake_time_minutes),
        lifecycle_hooks=tuple((h.lambda_arn, tuple(h.stages)) for h in hooks or ()),
    )
    if linear is not None:
        settings = dataclasses.replace(
            settings,
            linear_step_percent=linear.step_percent,
            linear_step_bake_time_minutes=linear.step_bake_time_minutes,
        )
    if canary is not None:
        settings = dataclasses.replace(
            settings,
            canary_percent=canary.percent,
            canary_bake_time_minutes=canary.bake_time_minutes,
        )
    if strategy == "ROLLING":
        settings = dataclasses.replace(settings, bake_time_minutes=0)
    return settings


def resolve_restart(
    service_layers: Sequence[tuple[str, RestartPolicyConfig | None]], stack: RestartPolicyConfig
) -> RestartSettings:
    layers: list[Layer] = [*service_layers, ("restartPolicy", stack)]
    enabled, _ = _first(layers, "enabled")
    codes, _ = _first(layers, "ignored_exit_codes")
    period, _ = _first(layers, "restart_attempt_period")
    return RestartSettings(
        enabled=True if enabled is None else bool(enabled),
        ignored_exit_codes=tuple(codes or ()),
        restart_attempt_period=int(period or 300),
    )


@dataclass(frozen=True)
class ServiceScalingSettings:
    """Request-count and predictive scaling of one service (None = not on)."""

    requests_per_target: int | None = None
    predictive_mode: str | None = None
    predictive_buffer_seconds: int = 300
    backlog_per_task: int | None = None
    """Messages per running task of the queue it consumes."""


def resolve_scaling(
    name: str,
    service_layers: Sequence[tuple[str, ServiceScalingConfig | None]],
    *,
    behind_alb: bool,
    autoscaling: bool,
    consumes: str | None = None,
    container_insights: bool = True,
    issues: list[ConfigIssue],
) -> ServiceScalingSettings:
    requests, requests_where = _first(service_layers, "requests_per_target")
    predictive, predictive_where = _first(service_layers, "predictive")
    backlog, backlog_where = _first(service_layers, "backlog_per_task")
    if backlog is not None and consumes is None:
        issues.append(
            ConfigIssue(
                f"{backlog_where}.backlogPerTask",
                backlog,
                f"{name} consumes no queue: there is no backlog to scale on",
                "uses.consumes: <queue>, or no backlogPerTask",
            )
        )
    elif backlog is not None and not container_insights:
        issues.append(
            ConfigIssue(
                f"{backlog_where}.backlogPerTask",
                backlog,
                "the backlog per task divides by Container Insights' RunningTaskCount, and "
                "Container Insights is off in this stack",
                "containerInsightsEnabled: true, or no backlogPerTask",
            )
        )
    for where, key in (
        (requests_where, "requestsPerTarget"),
        (predictive_where, "predictive"),
        (backlog_where, "backlogPerTask"),
    ):
        if where is not None and not autoscaling:
            issues.append(
                ConfigIssue(
                    f"{where}.{key}",
                    "set",
                    "has no effect: autoScalingEnabled is false",
                    "remove it, or set autoScalingEnabled: true",
                )
            )
    if requests is not None and not behind_alb:
        issues.append(
            ConfigIssue(
                f"{requests_where}.requestsPerTarget",
                requests,
                f"{name} is not behind the program's ALB: there is no request count to track",
                "public: true with edge.enabled, or no requestsPerTarget",
            )
        )
    return ServiceScalingSettings(
        requests_per_target=requests,
        predictive_mode=predictive.mode if predictive is not None else None,
        predictive_buffer_seconds=(
            predictive.scheduling_buffer_seconds if predictive is not None else 300
        ),
        backlog_per_task=backlog if consumes is not None else None,
    )
