"""Alarms and a dashboard for the platform pieces; all alarms notify one topic.

Creates, when given an ALB: p95 `TargetResponseTime` above `latency_p95_seconds` (report:
200 ms), 5xx share of requests above `error_rate_percent` (metric math over the ALB's and the
targets' 5xx) and `UnHealthyHostCount` > 0 per target group. When given the database: CPU, free
storage and connections. When given cache nodes, per node: engine CPU, memory and evictions;
when given a serverless cache: data held near its limit, throttled commands and evictions.
Optional (`dashboard`): the CloudWatch dashboard of `dashboard.py`. With the cluster's ARN: an
EventBridge rule sending the cluster's ECS service events of type WARN or ERROR to the topic
(a failed deployment, `SERVICE_DEPLOYMENT_FAILED`; a service that cannot start or place its
tasks; ECS developer guide, "Amazon ECS service deployment state change events" and "Amazon ECS
service action events"). With quiet hours: CloudWatch alarm mute rules silencing the services'
running-task alarms while the off-hours schedule holds them at zero. The services' own CPU,
memory and running-task alarms are in `microservice_alarms.py`, wired to the same topic.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_aws import cloudwatch

from ..naming import physical_name
from .dashboard import ALB, SERVERLESS_DIMENSION, DashboardInputs, dashboard_body
from .thresholds import (
    CACHE_CPU_PERCENT,
    CACHE_EVICTIONS,
    CACHE_MEMORY_PERCENT,
    DATABASE_CONNECTIONS_PERCENT,
    DATABASE_CPU_PERCENT,
    DATABASE_FREE_STORAGE_PERCENT,
    FALLBACK_MAX_CONNECTIONS,
    SERVERLESS_DATA_PERCENT,
    DatabaseWatch,
    ServerlessCacheWatch,
    ThresholdAlarm,
    cache_node_alarms,
    database_alarms,
    postgres_max_connections,
    serverless_cache_alarms,
)

__all__ = [
    "CACHE_CPU_PERCENT",
    "CACHE_EVICTIONS",
    "CACHE_MEMORY_PERCENT",
    "DATABASE_CONNECTIONS_PERCENT",
    "DATABASE_CPU_PERCENT",
    "DATABASE_FREE_STORAGE_PERCENT",
    "FALLBACK_MAX_CONNECTIONS",
    "SERVERLESS_DATA_PERCENT",
    "DatabaseWatch",
    "ServerlessCacheWatch",
    "postgres_max_connections",
]


def error_rate_queries(load_balancer: pulumi.Input[str]) -> list[dict[str, Any]]:
    """Metric math: 5xx answered by the ALB or the targets, as a percentage of requests."""

    def metric(query_id: str, name: str) -> dict[str, Any]:
        return {
            "id": query_id,
            "return_data": False,
            "metric": {
                "namespace": ALB,
                "metric_name": name,
                "dimensions": {"LoadBalancer": load_balancer},
                "period": 60,
                "stat": "Sum",
            },
        }

    return [
        metric("requests", "RequestCount"),
        metric("target5xx", "HTTPCode_Target_5XX_Count"),
        metric("alb5xx", "HTTPCode_ELB_5XX_Count"),
        {
            "id": "errorRate",
            "expression": "100 * (FILL(target5xx, 0) + FILL(alb5xx, 0)) / requests",
            "label": "5xx % of requests",
            "return_data": True,
        },
    ]


ECS_EVENT_TYPES = ("WARN", "ERROR")
"""Service action events of these types (impaired task starts, placement and configuration
failures, throttling) and the failed deployment (`SERVICE_DEPLOYMENT_FAILED`, type ERROR);
INFO events (steady state, deployment in progress or completed) stay out."""
MUTE_TARGETS_PER_RULE = 100
"""Alarm names a mute rule may target (CloudWatch API, `MuteTargets`)."""


def ecs_events_rule_name(name_prefix: str) -> str:
    """The EventBridge rule sending the stack's ECS service events to the alarm topic."""
    return f"{name_prefix}-ecs-service-events"


def ecs_events_pattern(cluster_name: str, *, account_id: str, region: str) -> dict[str, Any]:
    """Deployment state changes and service actions of WARN or ERROR type, for this cluster's
    services (deployment events name the service in `resources` and carry no cluster field)."""
    return {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Deployment State Change", "ECS Service Action"],
        "resources": [{"prefix": f"arn:aws:ecs:{region}:{account_id}:service/{cluster_name}/"}],
        "detail": {"eventType": list(ECS_EVENT_TYPES)},
    }


@dataclass(frozen=True)
class QuietHours:
    """When the services are scaled to zero on purpose (the off-hours schedule)."""

    windows: Sequence[tuple[str, str]]
    """(5-field cron of the start, ISO 8601 duration), e.g. ("cron(0 17 * * FRI)", "P2DT16H10M")."""
    timezone: str = "UTC"


@dataclass(frozen=True)
class MonitoringArgs:
    name_prefix: str | None = field(default=None, kw_only=True)
    """Alarms are `<prefix>-<role>`; the dashboard is `<prefix>`. Default
    `<project>-<stack>-<component name>` (`components/naming.py`, at most 40 characters)."""
    topic_arn: pulumi.Input[str]
    cluster_name: str
    services: Mapping[str, str] = field(default_factory=dict)
    """Service name -> ECS service name (dashboard rows)."""
    load_balancer_arn_suffix: pulumi.Input[str] | None = None
    """The ALB (`app/<name>/<id>`); None = no ALB alarms."""
    target_group_arn_suffixes: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Service name -> its target group's ARN suffix."""
    database: DatabaseWatch | None = None
    cache_node_ids: Sequence[str] = ()
    """ElastiCache node (cache cluster) ids to watch."""
    serverless_cache: ServerlessCacheWatch | None = None
    latency_p95_seconds: float = 0.2
    error_rate_percent: float = 1.0
    dashboard: bool = True
    container_insights: bool = True
    """Task-count widgets read Container Insights metrics."""
    cluster_arn: pulumi.Input[str] | None = None
    """Send the cluster's ECS service events of type WARN or ERROR to the topic; None = no."""
    topic_policy: pulumi.Resource | None = None
    """The topic's policy admitting the events rule (`AlertTopic.policy`): the target waits."""
    running_task_alarm_names: Sequence[pulumi.Input[str]] = ()
    """The services' running-task alarms, muted during `quiet_hours`."""
    quiet_hours: QuietHours | None = None
    region: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


class Monitoring(pulumi.ComponentResource):
    alarm_names: list[pulumi.Output[str]]
    alarms: dict[str, pulumi.Output[str]]
    """Role (`alb-5xx-rate`, `postgres-cpu`, ...) -> the alarm's name."""
    dashboard_name: pulumi.Output[str] | None

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        # The default name is the stack's own (two stacks never ask for the same one).
        args = dataclasses.replace(
            args, name_prefix=physical_name(args.name_prefix, name, max_length=40)
        )
        super().__init__("accessweaver:monitoring:Monitoring", name, None, opts)
        self._name = name
        self._args = args
        self._topic = args.topic_arn
        self._region = args.region or aws.config.region
        self.alarm_names = []
        self.alarms = {}

        if args.load_balancer_arn_suffix is not None:
            self._load_balancer_alarms(args)
        if args.database is not None:
            self._database_alarms(args.database)
        if args.cache_node_ids:
            self._cache_alarms()
        if args.serverless_cache is not None:
            self._serverless_cache_alarms(args.serverless_cache)
        if args.cluster_arn is not None:
            self._ecs_events(args)
        if args.quiet_hours is not None and args.running_task_alarm_names:
            self._mute_rules(args, args.quiet_hours)
        self.dashboard_name = self._dashboard(args) if args.dashboard else None
        self.register_outputs(
            {"alarm_names": self.alarm_names, "dashboard_name": self.dashboard_name}
        )

    def _alarm(self, role: str, description: str, **arguments: Any) -> None:
        """A named alarm (stable: `<project>-<env>-<role>`) that notifies the stack's topic."""
        alarm = cloudwatch.MetricAlarm(
            f"{self._name}-{role}",
            name=f"{self._args.name_prefix}-{role}",
            alarm_description=description,
            alarm_actions=[self._topic],
            ok_actions=[self._topic],
            # No data (no traffic, node replaced) is not an incident.
            treat_missing_data="notBreaching",
            tags=dict(self._args.tags),
            opts=pulumi.ResourceOptions(parent=self),
            **arguments,
        )
        self.alarm_names.append(alarm.name)
        self.alarms[role] = alarm.name

    def _ecs_events(self, args: MonitoringArgs) -> None:
        account = aws.get_caller_identity_output().account_id
        region = str(self._region)
        rule = cloudwatch.EventRule(
            f"{self._name}-ecs-events",
            name=ecs_events_rule_name(args.name_prefix),
            description=f"{args.cluster_name}: failed deployments and impaired services",
            event_pattern=account.apply(
                lambda acct: json.dumps(
                    ecs_events_pattern(args.cluster_name, account_id=acct, region=region)
                )
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        cloudwatch.EventTarget(
            f"{self._name}-ecs-events-target",
            rule=rule.name,
            arn=self._topic,
            opts=pulumi.ResourceOptions(
                parent=rule,
                depends_on=[args.topic_policy] if args.topic_policy is not None else None,
            ),
        )

    def _mute_rules(self, args: MonitoringArgs, quiet: QuietHours) -> None:
        """One rule per quiet window and per hundred alarms (the API's limit)."""
        names = list(args.running_task_alarm_names)
        batches = [
            names[i : i + MUTE_TARGETS_PER_RULE]
            for i in range(0, len(names), MUTE_TARGETS_PER_RULE)
        ]
        for w, (cron, duration) in enumerate(quiet.windows):
            for b, batch in enumerate(batches):
                suffix = f"{w}" + (f"-{b}" if b else "")
                cloudwatch.AlarmMuteRule(
                    f"{self._name}-off-hours-{suffix}",
                    name=f"{args.name_prefix}-off-hours-{suffix}",
                    description="Services are scaled to zero off hours: no running-task alarm",
                    rule={
                        "schedule": {
                            "expression": cron,
                            "duration": duration,
                            "timezone": quiet.timezone,
                        }
                    },
                    mute_targets={"alarm_names": batch},
                    tags=dict(args.tags),
                    opts=pulumi.ResourceOptions(parent=self),
                )

    def _load_balancer_alarms(self, args: MonitoringArgs) -> None:
        alarms = self._args
        lb = args.load_balancer_arn_suffix
        self._alarm(
            "alb-p95-latency",
            f"ALB p95 response time above {alarms.latency_p95_seconds * 1000:g} ms",
            namespace=ALB,
            metric_name="TargetResponseTime",
            dimensions={"LoadBalancer": lb},
            extended_statistic="p95",
            period=60,
            evaluation_periods=5,
            datapoints_to_alarm=3,
            threshold=alarms.latency_p95_seconds,
            comparison_operator="GreaterThanThreshold",
        )
        self._alarm(
            "alb-5xx-rate",
            f"More than {alarms.error_rate_percent:g} % of ALB requests end in a 5xx",
            metric_queries=error_rate_queries(lb),  # type: ignore[arg-type]
            evaluation_periods=5,
            datapoints_to_alarm=3,
            threshold=alarms.error_rate_percent,
            comparison_operator="GreaterThanThreshold",
        )
        for service, suffix in sorted(args.target_group_arn_suffixes.items()):
            self._alarm(
                f"{service}-unhealthy-hosts",
                f"{service}: the ALB sees unhealthy targets",
                namespace=ALB,
                metric_name="UnHealthyHostCount",
                dimensions={"TargetGroup": suffix, "LoadBalancer": lb},
                statistic="Maximum",
                period=60,
                evaluation_periods=3,
                threshold=0,
                comparison_operator="GreaterThanThreshold",
            )

    def _database_alarms(self, db: DatabaseWatch) -> None:
        self._threshold_alarms(
            "AWS/RDS", {"DBInstanceIdentifier": db.identifier}, database_alarms(db)
        )

    def _cache_alarms(self) -> None:
        for node in self._args.cache_node_ids:
            self._threshold_alarms(
                "AWS/ElastiCache", {"CacheClusterId": node}, cache_node_alarms(node)
            )

    def _serverless_cache_alarms(self, cache: ServerlessCacheWatch) -> None:
        self._threshold_alarms(
            "AWS/ElastiCache",
            {SERVERLESS_DIMENSION: cache.name},
            serverless_cache_alarms(cache),
        )

    def _threshold_alarms(
        self, namespace: str, dimensions: dict[str, str], alarms: Sequence[ThresholdAlarm]
    ) -> None:
        """`alarms` on one resource's metrics (`namespace`, `dimensions`), over 5 minutes."""
        for alarm in alarms:
            self._alarm(
                alarm.role,
                alarm.description,
                namespace=namespace,
                dimensions=dimensions,
                period=300,
                metric_name=alarm.metric_name,
                statistic=alarm.statistic,
                evaluation_periods=alarm.evaluation_periods,
                threshold=alarm.threshold,
                comparison_operator=alarm.comparison_operator,
            )

    def _dashboard(self, args: MonitoringArgs) -> pulumi.Output[str]:
        groups = sorted(args.target_group_arn_suffixes)
        region = self._region

        def body(values: list[Any]) -> str:
            inputs = DashboardInputs(
                region=region,
                cluster_name=args.cluster_name,
                services=dict(args.services),
                load_balancer=values[0],
                target_groups=dict(zip(groups, values[1:], strict=True)),
                database=args.database.identifier if args.database else None,
                cache_nodes=tuple(args.cache_node_ids),
                serverless_cache=args.serverless_cache.name if args.serverless_cache else None,
                latency_threshold_seconds=args.latency_p95_seconds,
                container_insights=args.container_insights,
            )
            return json.dumps(dashboard_body(inputs))

        dashboard = cloudwatch.Dashboard(
            f"{self._name}-dashboard",
            dashboard_name=args.name_prefix,
            dashboard_body=pulumi.Output.all(
                args.load_balancer_arn_suffix,
                *(args.target_group_arn_suffixes[group] for group in groups),
            ).apply(body),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return dashboard.dashboard_name
