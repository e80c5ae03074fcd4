"""How an ECS service rolls out a new revision, as plain data (no Pulumi resources).

ECS native strategies (ECS developer guide, "Deploy Amazon ECS services"): ROLLING replaces tasks
in place; BLUE_GREEN starts the new revision beside the old one and moves all traffic at once;
LINEAR moves it in equal steps; CANARY moves a share first, then the rest. The last three need a
load balancer with a second target group and the production listener rule
(`attachments.TrafficShift`); after the move both revisions run for the bake time, so a rollback
is instant. Lifecycle hooks call Lambda functions at the stages ECS offers and can fail the
deployment.

What applies to which strategy, as AWS documents it (docs/DESIGN.md, "Deployment settings per
strategy"): the deployment circuit breaker "can only be used for services using the rolling
update" (ECS API reference, `DeploymentCircuitBreaker`), and so can `minimumHealthyPercent` and
`maximumPercent` (the green revision starts at the full desired count beside the blue one);
BLUE_GREEN, LINEAR and CANARY detect failures with CloudWatch alarms (rollback on) and lifecycle
hooks, and BLUE_GREEN must be given its bake time. So a ROLLING service gets the circuit breaker
and its percentages, a traffic-shifting one its alarms (always, in every environment), its bake
time and its hooks, and the circuit breaker off.

A recreate (`recreate`) is one ROLLING deployment at 0-100 %: every old task stops before a new
one starts, for a change whose old and new versions must never run together (a Keycloak version
its update-compatibility check does not allow to roll). It leaves the load balancer's second
target group and production rule in place: the service returns to its strategy afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi

Strategy = Literal["ROLLING", "BLUE_GREEN", "LINEAR", "CANARY"]
STRATEGIES: tuple[Strategy, ...] = ("ROLLING", "BLUE_GREEN", "LINEAR", "CANARY")
TRAFFIC_SHIFTING: tuple[Strategy, ...] = ("BLUE_GREEN", "LINEAR", "CANARY")
HOOK_STAGES = (
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
)
"""The stages a Lambda hook may run at (ECS API `DeploymentLifecycleHook`; the pinned provider
documents these seven)."""
MAX_BAKE_MINUTES = 1440


@dataclass(frozen=True)
class LifecycleHook:
    """A Lambda function ECS invokes at `stages`; it answers SUCCEEDED, FAILED or IN_PROGRESS."""

    lambda_arn: pulumi.Input[str]
    stages: Sequence[str]


@dataclass(frozen=True)
class DeploymentArgs:
    minimum_healthy_percent: int = 100
    maximum_percent: int = 200
    circuit_breaker: bool = True
    """Stop and roll back a deployment whose tasks never become healthy."""
    rollback_on_alarms: bool = False
    """Also roll back when the service's CPU or memory alarm fires during a deployment."""
    health_check_grace_period: int = 180
    """Seconds ECS ignores load balancer health checks after a task starts."""
    strategy: Strategy = "ROLLING"
    """BLUE_GREEN, LINEAR and CANARY need a load balancer attachment with a `TrafficShift`."""
    bake_time_minutes: int = 0
    """Minutes both revisions keep running after all traffic moved (not for ROLLING)."""
    linear_step_percent: float = 10.0
    """LINEAR: share of traffic moved per step (3.0 to 100.0, multiples of 0.1)."""
    linear_step_bake_time_minutes: int = 6
    canary_percent: float = 5.0
    """CANARY: share of traffic the new revision gets first (0.1 to 100.0)."""
    canary_bake_time_minutes: int = 10
    lifecycle_hooks: Sequence[LifecycleHook] = field(default_factory=tuple)
    recreate: bool = False
    """This deployment stops every old task before any new one starts (ROLLING at 0-100 %,
    circuit breaker on), whatever `strategy` says; the strategy's load balancer resources
    stay."""

    @property
    def rolling(self) -> bool:
        """This deployment rolls task by task (ROLLING, or a recreate)."""
        return self.recreate or self.strategy == "ROLLING"

    @property
    def shifts_traffic(self) -> bool:
        """This deployment moves traffic between two revisions (BLUE_GREEN, LINEAR, CANARY)."""
        return not self.rolling


def _tenths(value: float) -> bool:
    return abs(value * 10 - round(value * 10)) < 1e-9


def deployment_problems(args: DeploymentArgs, *, traffic_shift: bool) -> list[str]:
    """Why ECS would refuse this deployment configuration ([] = it accepts it)."""
    problems: list[str] = []
    if args.strategy not in STRATEGIES:
        problems.append(f"strategy {args.strategy!r} is not one of {', '.join(STRATEGIES)}")
        return problems
    if args.strategy in TRAFFIC_SHIFTING and not traffic_shift:
        problems.append(
            f"{args.strategy} moves traffic between two target groups: the load balancer "
            "attachment needs a TrafficShift (a second target group and the production rule)"
        )
    for label, minutes in (
        ("bake_time_minutes", args.bake_time_minutes),
        ("linear_step_bake_time_minutes", args.linear_step_bake_time_minutes),
        ("canary_bake_time_minutes", args.canary_bake_time_minutes),
    ):
        if not 0 <= minutes <= MAX_BAKE_MINUTES:
            problems.append(f"{label} {minutes} is outside 0 to {MAX_BAKE_MINUTES}")
    if not (3.0 <= args.linear_step_percent <= 100.0 and _tenths(args.linear_step_percent)):
        problems.append(
            f"linear_step_percent {args.linear_step_percent} is not a multiple of 0.1 from 3.0 "
            "to 100.0"
        )
    if not (0.1 <= args.canary_percent <= 100.0 and _tenths(args.canary_percent)):
        problems.append(
            f"canary_percent {args.canary_percent} is not a multiple of 0.1 from 0.1 to 100.0"
        )
    if args.lifecycle_hooks and args.strategy == "ROLLING":
        problems.append("lifecycle hooks run with BLUE_GREEN, LINEAR or CANARY, not ROLLING")
    for hook in args.lifecycle_hooks:
        unknown = [s for s in hook.stages if s not in HOOK_STAGES]
        if unknown or not hook.stages:
            problems.append(
                f"hook stages {list(hook.stages)}: allowed {', '.join(HOOK_STAGES)} (one or more)"
            )
    return problems


RECREATE_PERCENTS = (0, 100)
"""(minimum healthy, maximum) of a recreate: no old task runs beside a new one."""


def service_settings(args: DeploymentArgs) -> dict[str, Any]:
    """The ECS service's circuit breaker and, for a rolling deployment, its percentages."""
    if args.rolling:
        low, high = (
            RECREATE_PERCENTS
            if args.recreate
            else (args.minimum_healthy_percent, args.maximum_percent)
        )
        breaker = args.circuit_breaker or args.recreate
        return {
            "deployment_circuit_breaker": {"enable": breaker, "rollback": breaker},
            "deployment_minimum_healthy_percent": low,
            "deployment_maximum_percent": high,
        }
    # Off, explicitly: a service that used to roll keeps no breaker ECS would not apply.
    return {"deployment_circuit_breaker": {"enable": False, "rollback": False}}


def alarms_roll_back(args: DeploymentArgs) -> bool:
    """The deployment alarms are on: always for a traffic-shifting deployment (its only failure
    detection besides hooks), as configured for a rolling one."""
    return args.shifts_traffic or args.rollback_on_alarms


def deployment_configuration(
    args: DeploymentArgs, hook_role_arn: pulumi.Input[str] | None = None
) -> dict[str, Any] | None:
    """The service's `deployment_configuration`; None for ROLLING (ECS's default), the strategy
    written out for a recreate (the service may be moving off a traffic-shifting one)."""
    if args.recreate:
        return {"strategy": "ROLLING"}
    if args.strategy == "ROLLING":
        return None
    config: dict[str, Any] = {
        "strategy": args.strategy,
        # The provider takes minutes as strings.
        "bake_time_in_minutes": str(args.bake_time_minutes),
    }
    if args.strategy == "LINEAR":
        config["linear_configuration"] = {
            "step_percent": float(args.linear_step_percent),
            "step_bake_time_in_minutes": str(args.linear_step_bake_time_minutes),
        }
    if args.strategy == "CANARY":
        config["canary_configuration"] = {
            "canary_percent": float(args.canary_percent),
            "canary_bake_time_in_minutes": str(args.canary_bake_time_minutes),
        }
    if args.lifecycle_hooks:
        assert hook_role_arn is not None, "hooks need the role ECS invokes them with"
        config["lifecycle_hooks"] = [
            {
                "target_type": "AWS_LAMBDA",
                "hook_target_arn": hook.lambda_arn,
                "role_arn": hook_role_arn,
                "lifecycle_stages": list(hook.stages),
            }
            for hook in args.lifecycle_hooks
        ]
    return config


def hook_policy(lambda_arns: Sequence[str]) -> dict[str, Any]:
    """Invoke these functions and nothing else (ECS developer guide, "Permissions required for
    Lambda functions in Amazon ECS blue/green deployments")."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InvokeTheDeploymentHooks",
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": sorted(set(lambda_arns)),
            }
        ],
    }
