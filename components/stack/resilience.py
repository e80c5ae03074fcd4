"""The stack's fault experiments (`faultInjection`) from its settings: which services, data
stores and network they may disrupt, and which alarms stop them."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

import pulumi

from ..network.layout import NetworkRefs
from ..observability.monitoring import Monitoring
from ..resilience.config import tasks_to_stop
from ..resilience.experiments import ServiceTasks
from ..resilience.fault_injection import FaultInjection, FaultInjectionArgs
from . import outputs
from .settings import StackSettings

GUARD_ALARMS = (
    "alb-5xx-rate",
    "alb-p95-latency",
    "postgres-*",
    "redis-*",
    "cache-*",
)
"""The alarms (Monitoring's roles) that stop an experiment: what users get (5xx rate, p95
latency) and the data stores' saturation. Not the target groups' unhealthy hosts: a stopped or
cut-off task is what the experiments do, its replacement what they measure."""


def build_fault_injection(
    settings: StackSettings,
    network: NetworkRefs,
    monitoring: Monitoring | None,
    alarm_actions: Sequence[pulumi.Input[str]] = (),
) -> FaultInjection | None:
    """The experiment templates, or None when the stack has none (`faultInjection` off)."""
    plan = settings.fault_injection
    if plan is None or monitoring is None:
        return None
    guards = [
        name
        for role, name in sorted(monitoring.alarms.items())
        if any(fnmatch.fnmatchcase(role, pattern) for pattern in GUARD_ALARMS)
    ]
    database, cache = settings.platform.database, settings.platform.cache
    return FaultInjection(
        f"{settings.name_prefix}-faults",
        FaultInjectionArgs(
            name_prefix=settings.name_prefix,
            availability_zone=plan.availability_zone,
            duration=plan.duration,
            guard_alarm_names=guards,
            cluster_name=settings.cluster_name,
            services={
                s.name: ServiceTasks(
                    outputs.service_name(settings, s),
                    tasks_to_stop(s.min_capacity, plan.stop_task_percent),
                )
                for s in settings.services
            },
            # the network experiment cuts every subnet of the VPC in one AZ: only in the VPC
            # the stack created, never in one it shares with others
            vpc_id=network.vpc_id if settings.new_vpc is not None else None,
            database_identifier=(
                database.identifier if database is not None and database.multi_az else None
            ),
            cache_replication_group_id=(
                cache.replication_group_id
                if cache is not None and not cache.serverless and cache.failover
                else None
            ),
            cache_tags={"Project": settings.project, "Environment": settings.environment},
            alarm_actions=list(alarm_actions),
            region=settings.region,
            permissions_boundary=settings.permissions_boundary_arn,
            tags=dict(settings.tags),
        ),
    )
