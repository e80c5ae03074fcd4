"""The CloudWatch dashboard body of a stack, as plain data (no Pulumi resources).

One picture for the operator: ALB request rate, latency (p50/p95/p99 against the 200 ms target)
and errors; per service, running vs desired tasks and CPU/memory; then PostgreSQL and Redis.
`dashboard_body` is pure so tests check the JSON without an engine; `monitoring.py` feeds it
the ARN suffixes once they are known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

GRID_WIDTH = 24
WIDGET_WIDTH = 8
WIDGET_HEIGHT = 6
PERIOD = 60
ALB = "AWS/ApplicationELB"
SERVERLESS_DIMENSION = "clusterId"
"""The dimension ElastiCache publishes a serverless cache's metrics under (its name)."""


@dataclass(frozen=True)
class DashboardInputs:
    """What the dashboard shows; names are CloudWatch dimension values."""

    region: str
    cluster_name: str
    services: Mapping[str, str]
    """Catalog name -> ECS service name."""
    load_balancer: str | None = None
    """ALB ARN suffix (`app/<name>/<id>`); None when the stack has no ALB of its own."""
    target_groups: Mapping[str, str] = field(default_factory=dict)
    """Catalog name -> target group ARN suffix."""
    database: str | None = None
    """RDS instance identifier."""
    cache_nodes: Sequence[str] = ()
    """ElastiCache node (cache cluster) ids."""
    serverless_cache: str | None = None
    """ElastiCache Serverless cache name."""
    latency_threshold_seconds: float = 0.2
    container_insights: bool = True
    """Task counts come from Container Insights; without it the task widgets stay empty."""


def _metric(namespace: str, name: str, dimensions: Mapping[str, str], **options: Any) -> list[Any]:
    row: list[Any] = [namespace, name]
    for key, value in dimensions.items():
        row += [key, value]
    if options:
        row.append(options)
    return row


def _widget(title: str, region: str, metrics: list[list[Any]], **properties: Any) -> dict[str, Any]:
    return {
        "type": "metric",
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "stacked": False,
            "period": PERIOD,
            "metrics": metrics,
            **properties,
        },
    }


def _alb_widgets(inputs: DashboardInputs) -> list[dict[str, Any]]:
    if inputs.load_balancer is None:
        return []
    lb = {"LoadBalancer": inputs.load_balancer}
    latency = [
        _metric(ALB, "TargetResponseTime", lb, stat=stat, label=stat)
        for stat in ("p50", "p95", "p99")
    ]
    return [
        _widget(
            "Requests per minute",
            inputs.region,
            [_metric(ALB, "RequestCount", lb, stat="Sum", label="requests")],
        ),
        _widget(
            "Latency (s)",
            inputs.region,
            latency,
            annotations={
                "horizontal": [{"label": "p95 target", "value": inputs.latency_threshold_seconds}]
            },
        ),
        _widget(
            "Errors per minute",
            inputs.region,
            [
                _metric(ALB, "HTTPCode_Target_5XX_Count", lb, stat="Sum", label="target 5xx"),
                _metric(ALB, "HTTPCode_ELB_5XX_Count", lb, stat="Sum", label="ALB 5xx"),
                _metric(ALB, "HTTPCode_Target_4XX_Count", lb, stat="Sum", label="target 4xx"),
            ]
            + [
                _metric(
                    ALB,
                    "UnHealthyHostCount",
                    {"TargetGroup": suffix, **lb},
                    stat="Maximum",
                    label=f"{service} unhealthy",
                )
                for service, suffix in sorted(inputs.target_groups.items())
            ],
        ),
    ]


def _service_widgets(inputs: DashboardInputs) -> list[dict[str, Any]]:
    widgets = []
    insights = "" if inputs.container_insights else " (needs Container Insights)"
    for service, ecs_name in inputs.services.items():
        dims = {"ClusterName": inputs.cluster_name, "ServiceName": ecs_name}
        widgets.append(
            _widget(
                f"{service}: running vs desired tasks{insights}",
                inputs.region,
                [
                    _metric("ECS/ContainerInsights", "RunningTaskCount", dims, label="running"),
                    _metric("ECS/ContainerInsights", "DesiredTaskCount", dims, label="desired"),
                ],
                stat="Average",
            )
        )
        widgets.append(
            _widget(
                f"{service}: CPU and memory (%)",
                inputs.region,
                [
                    _metric("AWS/ECS", "CPUUtilization", dims, label="CPU"),
                    _metric("AWS/ECS", "MemoryUtilization", dims, label="memory"),
                ],
                stat="Average",
                yAxis={"left": {"min": 0, "max": 100}},
            )
        )
    return widgets


def _data_store_widgets(inputs: DashboardInputs) -> list[dict[str, Any]]:
    widgets = []
    if inputs.database is not None:
        db = {"DBInstanceIdentifier": inputs.database}
        widgets += [
            _widget(
                "PostgreSQL: CPU (%) and connections",
                inputs.region,
                [
                    _metric("AWS/RDS", "CPUUtilization", db, label="CPU"),
                    _metric(
                        "AWS/RDS", "DatabaseConnections", db, label="connections", yAxis="right"
                    ),
                ],
                stat="Average",
            ),
            _widget(
                "PostgreSQL: free storage (bytes)",
                inputs.region,
                [_metric("AWS/RDS", "FreeStorageSpace", db, label="free storage")],
                stat="Minimum",
            ),
        ]
    if inputs.cache_nodes:
        rows = []
        for node in inputs.cache_nodes:
            dims = {"CacheClusterId": node}
            rows += [
                _metric("AWS/ElastiCache", "EngineCPUUtilization", dims, label=f"{node} CPU"),
                _metric(
                    "AWS/ElastiCache",
                    "DatabaseMemoryUsagePercentage",
                    dims,
                    label=f"{node} memory",
                ),
            ]
        widgets += [
            _widget("Redis: engine CPU and memory (%)", inputs.region, rows, stat="Average"),
            _widget(
                "Redis: evictions",
                inputs.region,
                [
                    _metric("AWS/ElastiCache", "Evictions", {"CacheClusterId": n}, label=n)
                    for n in inputs.cache_nodes
                ],
                stat="Sum",
            ),
        ]
    if inputs.serverless_cache:
        dims = {SERVERLESS_DIMENSION: inputs.serverless_cache}
        widgets += [
            _widget(
                "Cache: data held (bytes)",
                inputs.region,
                [_metric("AWS/ElastiCache", "BytesUsedForCache", dims, label="data")],
                stat="Maximum",
            ),
            _widget(
                "Cache: ECPUs, throttled commands, evictions",
                inputs.region,
                [
                    _metric("AWS/ElastiCache", name, dims, label=name)
                    for name in ("ElastiCacheProcessingUnits", "ThrottledCmds", "Evictions")
                ],
                stat="Sum",
            ),
        ]
    return widgets


def dashboard_body(inputs: DashboardInputs) -> dict[str, Any]:
    """The `dashboard_body` document, widgets laid out three per row."""
    widgets = _alb_widgets(inputs) + _service_widgets(inputs) + _data_store_widgets(inputs)
    per_row = GRID_WIDTH // WIDGET_WIDTH
    for index, widget in enumerate(widgets):
        widget.update(
            x=(index % per_row) * WIDGET_WIDTH,
            y=(index // per_row) * WIDGET_HEIGHT,
            width=WIDGET_WIDTH,
            height=WIDGET_HEIGHT,
        )
    return {"widgets": widgets}
