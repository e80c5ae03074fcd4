"""What a service's own alarms and its memory scaling read, as plain data (no Pulumi resources).

- Memory under load: a JVM's heap grows to its ceiling and does not give memory back, and an
  interpreter's allocator rarely does either, so a service's memory utilization stays high once
  a busy hour is over. Memory therefore counts only while the service is busy, as metric math:
  `IF(cpu >= busy, memory, 0)`. An idle service reads 0 whatever memory it holds: it can
  neither be scaled out nor have a deployment rolled back on memory alone.
- Running tasks: AWS/ECS publishes CPU and memory only while a task runs ("If a cluster,
  service, or other resource has no running tasks, no metrics will be reported", ECS developer
  guide, "Amazon ECS CloudWatch metrics") and has no task count. With Container Insights the
  alarm reads `RunningTaskCount` against the service's minimum; without it, the number of
  `CPUUtilization` samples, which exists exactly while at least one task runs: it can see zero
  tasks, not fewer than a minimum above one (AWS does not document how many samples a task
  adds per minute). Missing data is breaching in both: no data is no task.
- Unhealthy targets of a traffic-shifting service: the sum of `UnHealthyHostCount` over its
  blue and green target groups (a group without targets publishes nothing: FILL 0). A
  deployment alarm, since BLUE_GREEN, LINEAR and CANARY deployments run without the circuit
  breaker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

ECS = "AWS/ECS"
CONTAINER_INSIGHTS = "ECS/ContainerInsights"
RUNNING_TASKS_PERIOD = 60
RUNNING_TASKS_EVALUATION = 5
"""Minutes below the minimum before the alarm: a replaced task is running again well within
them (image pull, start, health checks), a service that cannot keep its tasks is not."""
UNHEALTHY_TARGETS_EVALUATION = 3
"""Minutes with an unhealthy target before the alarm (the target group already took 5 x 30 s
of failed checks to call a target unhealthy)."""


def busy_cpu_percent(cpu_percent: int) -> int:
    """The CPU from which a service counts as busy: half its CPU target (or threshold)."""
    return max(cpu_percent // 2, 1)


def memory_under_load_expression(busy_cpu: int) -> str:
    """Metric math over the `cpu` and `memory` queries: memory while busy, else 0."""
    return f"IF(cpu >= {busy_cpu}, memory, 0)"


def _service_metric(
    metric_name: str, dimensions: Mapping[str, str], namespace: str = ECS
) -> dict[str, Any]:
    return {"metric_name": metric_name, "namespace": namespace, "dimensions": dict(dimensions)}


def memory_under_load_alarm_queries(
    dimensions: Mapping[str, str], *, busy_cpu: int, period: int
) -> list[dict[str, Any]]:
    """`metric_queries` of a CloudWatch alarm on memory under load (Average of both)."""

    def metric(metric_name: str) -> dict[str, Any]:
        return {**_service_metric(metric_name, dimensions), "period": period, "stat": "Average"}

    return _memory_under_load_queries("metric", metric, busy_cpu)


def memory_under_load_tracking_metrics(
    dimensions: Mapping[str, str], *, busy_cpu: int
) -> list[dict[str, Any]]:
    """`customized_metric_specification.metrics` of a target-tracking policy on memory under
    load (Application Auto Scaling's metric math: ids, `metric_stat`, one returned series)."""

    def metric_stat(metric_name: str) -> dict[str, Any]:
        return {
            "metric": {
                "namespace": ECS,
                "metric_name": metric_name,
                "dimensions": [{"name": k, "value": v} for k, v in dimensions.items()],
            },
            "stat": "Average",
        }

    return _memory_under_load_queries("metric_stat", metric_stat, busy_cpu)


def _memory_under_load_queries(
    key: str, metric: Callable[[str], dict[str, Any]], busy_cpu: int
) -> list[dict[str, Any]]:
    """The `cpu` and `memory` queries (not returned), each with `metric(name)` at `key` (the
    alarm's and the scaling policy's forms differ), and the returned memory-under-load math."""
    return [
        *(
            {"id": query_id, "return_data": False, key: metric(metric_name)}
            for query_id, metric_name in (
                ("cpu", "CPUUtilization"),
                ("memory", "MemoryUtilization"),
            )
        ),
        {
            "id": "memory_under_load",
            "label": f"Memory % while CPU >= {busy_cpu} %",
            "expression": memory_under_load_expression(busy_cpu),
            "return_data": True,
        },
    ]


def running_tasks_alarm_queries(
    dimensions: Mapping[str, str], *, minimum: int, container_insights: bool
) -> tuple[list[dict[str, Any]], int]:
    """(`metric_queries`, threshold) of the alarm that fires when the service runs fewer tasks
    than `minimum` (LessThanThreshold): RunningTaskCount with Container Insights, else the
    number of CPUUtilization samples (any task at all)."""
    if container_insights:
        metric = _service_metric("RunningTaskCount", dimensions, CONTAINER_INSIGHTS)
        stat, label, threshold = "Minimum", "Running tasks", minimum
    else:
        metric = _service_metric("CPUUtilization", dimensions)
        stat, label, threshold = "SampleCount", "CPU samples (0 = no task runs)", 1
    return (
        [
            {
                "id": "reported",
                "return_data": False,
                "metric": {**metric, "period": RUNNING_TASKS_PERIOD, "stat": stat},
            },
            {
                "id": "running",
                "label": label,
                # No datapoint in a minute is no task in it.
                "expression": "FILL(reported, 0)",
                "return_data": True,
            },
        ],
        threshold,
    )


def unhealthy_targets_alarm_queries(
    load_balancer_suffix: Any, target_group_suffixes: list[Any]
) -> list[dict[str, Any]]:
    """`metric_queries` of an alarm on the unhealthy targets of all the service's groups."""
    queries: list[dict[str, Any]] = [
        {
            "id": f"g{index}",
            "return_data": False,
            "metric": {
                "metric_name": "UnHealthyHostCount",
                "namespace": "AWS/ApplicationELB",
                "dimensions": {"TargetGroup": suffix, "LoadBalancer": load_balancer_suffix},
                "period": 60,
                "stat": "Maximum",
            },
        }
        for index, suffix in enumerate(target_group_suffixes)
    ]
    expression = " + ".join(f"FILL(g{index}, 0)" for index in range(len(queries)))
    return [
        *queries,
        {
            "id": "unhealthy",
            "expression": expression,
            "label": "Unhealthy targets",
            "return_data": True,
        },
    ]
