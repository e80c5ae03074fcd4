"""Scaling policies of a service beyond CPU and memory, as plain data (no Pulumi resources).

- Requests per task (target tracking): for a service behind an ALB, ECS adds tasks when each
  receives more than its target of requests per minute. With one target group it is AWS's
  predefined `ALBRequestCountPerTarget`. A service that deploys BLUE_GREEN, LINEAR or CANARY has
  two groups and traffic moves from one to the other, so the predefined metric (one group)
  would see no traffic after the first switch and scale the service in: it tracks the sum of
  both groups' `RequestCountPerTarget` instead (metric math; the idle group adds zero).
- Predictive scaling (ECS service auto scaling, "Predictive scaling"): forecasts the daily
  pattern of CPU from two weeks of history and scales ahead of it, beside target tracking.
- Queue backlog per task: for a worker consuming an SQS queue, visible messages divided by the
  tasks running, a target of messages each task can work through (AWS's "backlog per instance"
  recipe, as metric math on the queue's and the service's metrics).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pulumi

PredictiveMode = Literal["ForecastOnly", "ForecastAndScale"]


@dataclass(frozen=True)
class PredictiveArgs:
    mode: PredictiveMode = "ForecastAndScale"
    """ForecastOnly shows the forecast without acting on it (start there on a new service)."""
    scheduling_buffer_seconds: int = 300
    """How early tasks start before the forecast load (0 to 3600)."""


@dataclass(frozen=True)
class BacklogArgs:
    queue_name: pulumi.Input[str]
    """The SQS queue the service consumes."""
    messages_per_task: int
    """Visible messages each running task should have at most in front of it."""


def request_count_tracking(
    target_per_minute: int,
    *,
    load_balancer_arn_suffix: pulumi.Input[str],
    target_group_arn_suffix: pulumi.Input[str],
    alternate_target_group_arn_suffix: pulumi.Input[str] | None,
    cooldown_seconds: int,
) -> dict[str, Any]:
    """`target_tracking_scaling_policy_configuration` on requests per task per minute."""
    config: dict[str, Any] = {
        "target_value": float(target_per_minute),
        "scale_in_cooldown": cooldown_seconds,
        "scale_out_cooldown": cooldown_seconds,
    }
    if alternate_target_group_arn_suffix is None:
        config["predefined_metric_specification"] = {
            "predefined_metric_type": "ALBRequestCountPerTarget",
            "resource_label": pulumi.Output.concat(
                load_balancer_arn_suffix, "/", target_group_arn_suffix
            ),
        }
        return config

    def per_target(query_id: str, group: pulumi.Input[str]) -> dict[str, Any]:
        return {
            "id": query_id,
            "return_data": False,
            "metric_stat": {
                "metric": {
                    "namespace": "AWS/ApplicationELB",
                    "metric_name": "RequestCountPerTarget",
                    "dimensions": [{"name": "TargetGroup", "value": group}],
                },
                "stat": "Sum",
            },
        }

    config["customized_metric_specification"] = {
        "metrics": [
            per_target("live", target_group_arn_suffix),
            per_target("alternate", alternate_target_group_arn_suffix),
            {
                "id": "requests_per_task",
                "label": "Requests per task per minute, both target groups",
                "expression": "FILL(live, 0) + FILL(alternate, 0)",
                "return_data": True,
            },
        ]
    }
    return config


def backlog_tracking(
    target_messages_per_task: int,
    *,
    queue_name: pulumi.Input[str],
    cluster_name: pulumi.Input[str],
    service_name: str,
    cooldown_seconds: int,
) -> dict[str, Any]:
    """Target tracking on the queue's visible messages per running task (Container Insights'
    `RunningTaskCount`, so the cluster must have Container Insights on)."""
    return {
        "target_value": float(target_messages_per_task),
        "scale_in_cooldown": cooldown_seconds,
        "scale_out_cooldown": cooldown_seconds,
        "customized_metric_specification": {
            "metrics": [
                {
                    "id": "visible",
                    "return_data": False,
                    "metric_stat": {
                        "metric": {
                            "namespace": "AWS/SQS",
                            "metric_name": "ApproximateNumberOfMessagesVisible",
                            "dimensions": [{"name": "QueueName", "value": queue_name}],
                        },
                        "stat": "Sum",
                    },
                },
                {
                    "id": "tasks",
                    "return_data": False,
                    "metric_stat": {
                        "metric": {
                            "namespace": "ECS/ContainerInsights",
                            "metric_name": "RunningTaskCount",
                            "dimensions": [
                                {"name": "ClusterName", "value": cluster_name},
                                {"name": "ServiceName", "value": service_name},
                            ],
                        },
                        "stat": "Average",
                    },
                },
                {
                    "id": "backlog_per_task",
                    "label": "Visible messages per running task",
                    # No task running: the whole backlog counts as one task's, so it scales out.
                    "expression": "IF(FILL(tasks, 0) > 0, visible / FILL(tasks, 0), visible)",
                    "return_data": True,
                },
            ]
        },
    }


def predictive_configuration(cpu_target: int, predictive: PredictiveArgs) -> dict[str, Any]:
    """`predictive_scaling_policy_configuration`: forecast CPU and keep it at `cpu_target`."""
    return {
        "mode": predictive.mode,
        "scheduling_buffer_time": predictive.scheduling_buffer_seconds,
        "max_capacity_breach_behavior": "HonorMaxCapacity",
        "metric_specifications": [
            {
                # The provider takes this target as text (its schema), the API as a number.
                "target_value": str(cpu_target),
                "predefined_metric_pair_specification": {
                    "predefined_metric_type": "ECSServiceCPUUtilization"
                },
            }
        ],
    }
