"""The CloudWatch alarms of a `Microservice` (`microservice.py`): CPU, memory under load (what
a bad revision shows, where a JVM's grown heap does not, `alarms.py`), running tasks and, for a
service that shifts traffic, unhealthy targets. The ECS service rolls back on the deployment
alarms by name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_aws import cloudwatch

from .alarms import (
    RUNNING_TASKS_EVALUATION,
    UNHEALTHY_TARGETS_EVALUATION,
    busy_cpu_percent,
    memory_under_load_alarm_queries,
    running_tasks_alarm_queries,
    unhealthy_targets_alarm_queries,
)
from .microservice_args import MicroserviceArgs


@dataclass(frozen=True)
class ServiceAlarms:
    deployment: list[cloudwatch.MetricAlarm]
    """What the ECS service rolls back on: CPU, memory under load, unhealthy targets."""
    running_tasks: cloudwatch.MetricAlarm | None
    """Fewer running tasks than the minimum; None when the minimum is 0 or it is off."""


def service_alarms(
    name: str,
    *,
    physical: str,
    args: MicroserviceArgs,
    desired: int,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> ServiceAlarms:
    """CPU, memory under load and running tasks of the service `physical`, and the unhealthy
    targets alarm of one that shifts traffic."""
    alarms = args.alarms
    dimensions = {"ClusterName": args.cluster.cluster_name, "ServiceName": physical}
    common: dict[str, Any] = {
        "alarm_actions": list(alarms.actions),
        "ok_actions": list(alarms.actions),
        "tags": tags,
        "opts": opts,
    }
    busy = busy_cpu_percent(alarms.cpu_threshold)
    cpu = cloudwatch.MetricAlarm(
        f"{name}-cpu-alarm",
        # Named explicitly: the ECS service refers to its deployment alarms by name.
        name=f"{physical}-cpu-high",
        alarm_description=f"{physical} cpu above {alarms.cpu_threshold}%",
        namespace="AWS/ECS",
        metric_name="CPUUtilization",
        dimensions=dimensions,
        statistic="Average",
        period=alarms.period_seconds,
        evaluation_periods=alarms.evaluation_periods,
        threshold=alarms.cpu_threshold,
        comparison_operator="GreaterThanThreshold",
        # No task, no datapoint: that is the running-task alarm's to say, not "OK".
        treat_missing_data="missing",
        **common,
    )
    memory = cloudwatch.MetricAlarm(
        f"{name}-memory-alarm",
        name=f"{physical}-memory-high",
        alarm_description=(
            f"{physical} memory above {alarms.memory_threshold}% while busy (CPU >= {busy}%)"
        ),
        metric_queries=memory_under_load_alarm_queries(  # type: ignore[arg-type]
            dimensions, busy_cpu=busy, period=alarms.period_seconds
        ),
        evaluation_periods=alarms.evaluation_periods,
        threshold=alarms.memory_threshold,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="missing",
        **common,
    )
    running = _running_tasks_alarm(name, physical, args, desired, dimensions, common)
    deployment = [cpu, memory]
    unhealthy = _unhealthy_targets_alarm(name, physical, args, common)
    if unhealthy is not None:
        deployment.append(unhealthy)
    return ServiceAlarms(deployment, running)


def _running_tasks_alarm(
    name: str,
    physical: str,
    args: MicroserviceArgs,
    desired: int,
    dimensions: Mapping[str, Any],
    common: dict[str, Any],
) -> cloudwatch.MetricAlarm | None:
    """Fewer running tasks than the minimum (the autoscaling minimum, else the desired count):
    with Container Insights, the running count; without, any running task at all."""
    minimum = args.scaling.min_capacity if args.scaling is not None else desired
    if not args.alarms.running_tasks or minimum <= 0:
        return None
    queries, threshold = running_tasks_alarm_queries(
        dimensions, minimum=minimum, container_insights=args.cluster.container_insights
    )
    what = (
        f"fewer than {minimum} running tasks"
        if args.cluster.container_insights
        else "no running task"
    )
    return cloudwatch.MetricAlarm(
        f"{name}-running-tasks-alarm",
        name=f"{physical}-running-tasks",
        alarm_description=f"{physical}: {what}",
        metric_queries=queries,  # type: ignore[arg-type]
        evaluation_periods=RUNNING_TASKS_EVALUATION,
        datapoints_to_alarm=RUNNING_TASKS_EVALUATION,
        threshold=threshold,
        comparison_operator="LessThanThreshold",
        treat_missing_data="breaching",
        **common,
    )


def _unhealthy_targets_alarm(
    name: str, physical: str, args: MicroserviceArgs, common: dict[str, Any]
) -> cloudwatch.MetricAlarm | None:
    """For a service that shifts traffic: targets of either group unhealthy for 3 minutes.
    A traffic-shifting deployment has no circuit breaker (ECS documents it for rolling
    updates only), so a new revision whose tasks never pass the load balancer's checks is
    rolled back by this alarm."""
    attachment = args.load_balancer
    shift = attachment.traffic_shift if attachment is not None else None
    if (
        attachment is None
        or shift is None
        or not args.deployment.shifts_traffic
        or attachment.load_balancer_arn_suffix is None
        or attachment.target_group_arn_suffix is None
        or shift.alternate_target_group_arn_suffix is None
    ):
        return None
    return cloudwatch.MetricAlarm(
        f"{name}-unhealthy-targets-alarm",
        name=f"{physical}-unhealthy-targets",
        alarm_description=f"{physical}: targets of its blue or green target group unhealthy",
        metric_queries=unhealthy_targets_alarm_queries(  # type: ignore[arg-type]
            attachment.load_balancer_arn_suffix,
            [attachment.target_group_arn_suffix, shift.alternate_target_group_arn_suffix],
        ),
        evaluation_periods=UNHEALTHY_TARGETS_EVALUATION,
        datapoints_to_alarm=UNHEALTHY_TARGETS_EVALUATION,
        threshold=0,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        **common,
    )
