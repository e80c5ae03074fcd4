"""The autoscaling of a `Microservice` (`microservice.py`): its scalable target, the off-hours
schedule, and its policies (CPU both ways; memory under load out only, `alarms.py`; requests
per task, queue backlog per task and predictive CPU when asked, `scaling.py`).

`scaling_policies` says which policies a service gets, as data (pure, tested without the
engine); `service_autoscaling` registers them, one loop for all."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
from pulumi_aws import appautoscaling, ecs

from .alarms import busy_cpu_percent, memory_under_load_tracking_metrics
from .microservice_args import MicroserviceArgs
from .scaling import backlog_tracking, predictive_configuration, request_count_tracking


@dataclass(frozen=True)
class ScalingPolicy:
    """One Application Auto Scaling policy: resource `<component>-<key>-scaling`, physical name
    `<service>-<suffix>`, and its configuration (target tracking or predictive)."""

    key: str
    suffix: str
    policy_type: Literal["TargetTrackingScaling", "PredictiveScaling"]
    configuration: Mapping[str, Any]

    @property
    def configuration_argument(self) -> str:
        """The `appautoscaling.Policy` argument the configuration goes to."""
        if self.policy_type == "PredictiveScaling":
            return "predictive_scaling_policy_configuration"
        return "target_tracking_scaling_policy_configuration"


def _tracking(key: str, configuration: Mapping[str, Any]) -> ScalingPolicy:
    """A target-tracking policy, named `<service>-<key>-target`."""
    return ScalingPolicy(key, f"{key}-target", "TargetTrackingScaling", configuration)


def scaling_policies(args: MicroserviceArgs, physical: str) -> list[ScalingPolicy]:
    """The policies of the service `physical` (its `args.scaling` must be set), in the order
    they are registered: CPU, memory, then requests, backlog and predictive when asked."""
    scaling = args.scaling
    assert scaling is not None
    cooldowns = {
        "scale_in_cooldown": scaling.cooldown_seconds,
        "scale_out_cooldown": scaling.cooldown_seconds,
    }
    policies = [
        _tracking(
            "cpu",
            {
                "target_value": scaling.cpu_target,
                "predefined_metric_specification": {
                    "predefined_metric_type": "ECSServiceAverageCPUUtilization"
                },
                **cooldowns,
            },
        ),
        # Memory adds tasks while the service is busy and never removes or holds them: with
        # scale-in disabled, a policy takes no part in scale-in (the others decide it).
        _tracking(
            "memory",
            {
                "target_value": scaling.memory_target,
                "disable_scale_in": True,
                "customized_metric_specification": {
                    "metrics": memory_under_load_tracking_metrics(
                        {"ClusterName": args.cluster.cluster_name, "ServiceName": physical},
                        busy_cpu=busy_cpu_percent(scaling.cpu_target),
                    )
                },
                **cooldowns,
            },
        ),
    ]
    attachment = args.load_balancer
    if scaling.requests_per_target is not None and attachment is not None:
        shift = attachment.traffic_shift
        assert attachment.load_balancer_arn_suffix and attachment.target_group_arn_suffix
        policies.append(
            _tracking(
                "requests",
                request_count_tracking(
                    scaling.requests_per_target,
                    load_balancer_arn_suffix=attachment.load_balancer_arn_suffix,
                    target_group_arn_suffix=attachment.target_group_arn_suffix,
                    alternate_target_group_arn_suffix=(
                        shift.alternate_target_group_arn_suffix
                        if shift is not None and args.deployment.strategy != "ROLLING"
                        else None
                    ),
                    cooldown_seconds=scaling.cooldown_seconds,
                ),
            )
        )
    if scaling.backlog is not None:
        policies.append(
            _tracking(
                "backlog",
                backlog_tracking(
                    scaling.backlog.messages_per_task,
                    queue_name=scaling.backlog.queue_name,
                    cluster_name=args.cluster.cluster_name,
                    service_name=physical,
                    cooldown_seconds=scaling.cooldown_seconds,
                ),
            )
        )
    if scaling.predictive is not None:
        policies.append(
            ScalingPolicy(
                "predictive",
                "predictive",
                "PredictiveScaling",
                predictive_configuration(scaling.cpu_target, scaling.predictive),
            )
        )
    return policies


def service_autoscaling(
    name: str,
    *,
    physical: str,
    args: MicroserviceArgs,
    service: ecs.Service,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> appautoscaling.Target:
    """The scalable target of the service `physical`, its off-hours schedule and policies."""
    scaling = args.scaling
    assert scaling is not None
    target = appautoscaling.Target(
        f"{name}-scaling",
        service_namespace="ecs",
        scalable_dimension="ecs:service:DesiredCount",
        resource_id=_joined("service/", args.cluster.cluster_name, f"/{physical}"),
        min_capacity=scaling.min_capacity,
        max_capacity=scaling.max_capacity,
        tags=tags,
        opts=pulumi.ResourceOptions.merge(
            opts,
            pulumi.ResourceOptions(
                depends_on=[service],
                # Off-hours actions set both bounds to 0 every evening; without this every
                # night-time `pulumi up` or drift check would "fix" them. The scale-up
                # action carries the configured bounds instead (applied the next morning).
                ignore_changes=(["min_capacity", "max_capacity"] if scaling.schedule else None),
            ),
        ),
    )
    on_target = pulumi.ResourceOptions(parent=target)
    # What every scheduled action and policy names its target by.
    scalable: dict[str, Any] = {
        "service_namespace": target.service_namespace,
        "scalable_dimension": target.scalable_dimension,
        "resource_id": target.resource_id,
    }
    if scaling.schedule is not None:
        schedule = scaling.schedule
        for role, cron, minimum, maximum in (
            ("scale-down", schedule.scale_down, 0, 0),
            ("scale-up", schedule.scale_up, scaling.min_capacity, scaling.max_capacity),
        ):
            appautoscaling.ScheduledAction(
                f"{name}-{role}",
                name=f"{physical}-off-hours-{role}",
                schedule=cron,
                timezone=schedule.timezone,
                scalable_target_action={"min_capacity": minimum, "max_capacity": maximum},
                opts=on_target,
                **scalable,
            )
    for policy in scaling_policies(args, physical):
        appautoscaling.Policy(
            f"{name}-{policy.key}-scaling",
            name=f"{physical}-{policy.suffix}",
            policy_type=policy.policy_type,
            opts=on_target,
            **scalable,
            **{policy.configuration_argument: policy.configuration},
        )
    return target


def _joined(*parts: pulumi.Input[str]) -> pulumi.Input[str]:
    """The parts as one string, or an Output of it when one of them is an Output."""
    if all(isinstance(part, str) for part in parts):
        return "".join(parts)  # type: ignore[arg-type]
    return pulumi.Output.concat(*parts)
