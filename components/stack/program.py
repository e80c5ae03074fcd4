"""The whole stack from validated settings: every Pulumi project built on these components runs
`build_stack(load_settings())` from its thin `__main__.py` (this repository's AccessWeaver
program, `examples/ca-a2a/`).

Builds, in dependency order: the network, the platform pieces (secrets, database, cache,
documents, repositories, alarm topic), the cluster, the ALB, Keycloak and one `Microservice` per
catalog service with exactly what its graph gives it, the alarms and dashboard, and the restart
of the database's readers after each password rotation; then exports the
stack outputs (README "Outputs"). This is the one place where stack settings become component
arguments; which pieces exist is decided by the settings alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from .. import cost
from ..compute.cluster import EcsCluster, EcsClusterArgs, ExecLoggingArgs
from ..compute.microservice import Microservice
from ..compute.rotation_restart import RestartOn, RotationRestart, RotationRestartArgs
from ..compute.task import EcsTask
from ..cost.recorder import ResourceRecorder
from ..edge.domain import DomainArgs
from ..edge.load_balancer import AccessLogArgs, LoadBalancer, LoadBalancerArgs, WafArgs
from ..edge.network_load_balancer import NetworkLoadBalancer, NetworkLoadBalancerArgs
from ..edge.rules import elb_name, protected_query_arguments
from ..identity.keycloak import Keycloak
from ..network.layout import NetworkRefs
from ..observability.monitoring import (
    DatabaseWatch,
    Monitoring,
    MonitoringArgs,
    QuietHours,
    ServerlessCacheWatch,
)
from ..resilience.fault_injection import FaultInjection
from . import outputs
from .platform import Foundation, Platform, build_network, build_platform, platform_outputs
from .resilience import build_fault_injection
from .services import build_services
from .settings import StackSettings
from .task_components import build_migration, build_platform_tasks, build_tasks

QUIET_GRACE_MINUTES = 10
"""The running-task alarms stay muted this long after the morning scale-up (tasks starting)."""


def build_cluster(settings: StackSettings, network: NetworkRefs) -> EcsCluster:
    return EcsCluster(
        settings.name_prefix,
        EcsClusterArgs(
            cluster_name=settings.cluster_name,
            vpc_id=network.vpc_id,
            namespace_name=settings.namespace,
            container_insights=settings.container_insights,
            spot_percentage=settings.fargate_spot_percentage,
            exec_logging=(
                ExecLoggingArgs(
                    retention_days=settings.security_log_retention_days,
                    protect=settings.platform.protect,
                )
                if any(s.execute_command for s in settings.services)
                else None
            ),
            encrypt_ephemeral_storage=settings.encrypt_ephemeral_storage,
            protect=settings.platform.protect,
            region=settings.region,
            tags=dict(settings.tags),
        ),
    )


def _domain(settings: StackSettings) -> DomainArgs | None:
    """`edge.domain`, with Keycloak's own host name on the certificate when it has one."""
    edge = settings.edge
    if edge is None or edge.domain is None:
        return None
    keycloak = settings.platform.keycloak
    others = [keycloak.hostname] if keycloak is not None and keycloak.hostname else []
    return DomainArgs(
        name=edge.domain.name,
        hosted_zone_id=edge.domain.hosted_zone_id,
        other_names=tuple(n for n in others if n != edge.domain.name),
    )


def build_load_balancer(settings: StackSettings, network: NetworkRefs) -> LoadBalancer | None:
    """The stack's ALB when `edge.enabled`, else None (and no resource)."""
    edge = settings.edge
    if edge is None:
        return None
    if not edge.https and not edge.internal:
        pulumi.log.warn(
            f"{settings.stack_file}: edge.certificateArn is not set, so the ALB of "
            f"{settings.name_prefix} serves plain HTTP on port 80. Set an ACM certificate "
            "ARN to serve HTTPS and redirect HTTP to it."
        )
    return LoadBalancer(
        settings.name_prefix,
        LoadBalancerArgs(
            name=elb_name(settings.name_prefix),
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids if edge.internal else network.public_subnet_ids,
            internal=edge.internal,
            ingress_cidrs=edge.ingress_cidrs,
            ingress_security_group_ids=edge.ingress_security_group_ids,
            routes=edge.routes,
            guards=edge.guards,
            project=settings.project,
            environment=settings.environment,
            certificate_arn=edge.certificate_arn,
            domain=_domain(settings),
            ssl_policy=edge.ssl_policy,
            deletion_protection=edge.deletion_protection,
            access_logs=(
                AccessLogArgs(
                    retention_days=edge.access_log_retention_days,
                    protect=settings.platform.protect,
                )
                if edge.access_logs
                else None
            ),
            deregistration_delay=edge.deregistration_delay,
            waf=(
                WafArgs(
                    rate_limit=edge.waf_rate_limit,
                    max_capacity_units=edge.waf_max_capacity_units,
                    log_retention_days=edge.waf_log_retention_days,
                    protected_query_arguments=protected_query_arguments(
                        edge.waf_protected_query_arguments
                    ),
                )
                if edge.waf
                else None
            ),
            region=settings.region,
            permissions_boundary=settings.permissions_boundary_arn,
            tags=dict(settings.tags),
        ),
    )


def build_network_load_balancer(
    settings: StackSettings, network: NetworkRefs
) -> NetworkLoadBalancer | None:
    """The stack's NLB when `networkLoadBalancer.enabled`, else None (and no resource)."""
    nlb = settings.network_load_balancer
    if nlb is None:
        return None
    return NetworkLoadBalancer(
        settings.name_prefix,
        NetworkLoadBalancerArgs(
            name=elb_name(settings.name_prefix, "nlb"),
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids if nlb.internal else network.public_subnet_ids,
            listeners=nlb.listeners,
            project=settings.project,
            environment=settings.environment,
            internal=nlb.internal,
            ingress_cidrs=nlb.ingress_cidrs,
            ingress_security_group_ids=nlb.ingress_security_group_ids,
            cross_zone=nlb.cross_zone,
            certificate_arn=nlb.certificate_arn,
            ssl_policy=nlb.ssl_policy,
            deletion_protection=nlb.deletion_protection,
            deregistration_delay=nlb.deregistration_delay,
            tags=dict(settings.tags),
        ),
    )


def running_task_alarm_names(
    services: Mapping[str, Microservice | Keycloak],
) -> list[pulumi.Output[str]]:
    """Each service's alarm on fewer running tasks than its minimum (Keycloak's included)."""
    names = []
    for service in services.values():
        app = service.microservice if isinstance(service, Keycloak) else service
        if app.running_tasks_alarm_name is not None:
            names.append(app.running_tasks_alarm_name)
    return names


def build_monitoring(
    settings: StackSettings,
    platform: Platform,
    edge: LoadBalancer | None,
    cluster: EcsCluster | None = None,
    services: Mapping[str, Microservice | Keycloak] | None = None,
) -> Monitoring | None:
    """Alarms and dashboard on the stack's topic (after everything they watch exists); the
    cluster's failed deployments and impaired services reach the topic too, and the services'
    running-task alarms are muted while the off-hours schedule holds them at zero."""
    alarms = settings.platform.alarms
    if platform.alerts is None or alarms is None:
        return None
    db, cache = settings.platform.database, settings.platform.cache
    off_hours = settings.off_hours
    return Monitoring(
        f"{settings.name_prefix}-monitoring",
        MonitoringArgs(
            name_prefix=settings.name_prefix,
            topic_arn=platform.alerts.topic_arn,
            cluster_name=settings.cluster_name,
            services={s.name: outputs.service_name(settings, s) for s in settings.services},
            load_balancer_arn_suffix=edge.arn_suffix if edge is not None else None,
            # Both blue/green slots: after a switch the live traffic is on the alternate group.
            target_group_arn_suffixes=(
                {
                    **edge.target_group_arn_suffixes,
                    **{
                        f"{service}-alternate": suffix
                        for service, suffix in edge.alternate_target_group_arn_suffixes.items()
                    },
                }
                if edge is not None
                else {}
            ),
            database=(
                DatabaseWatch(db.identifier, db.instance_class, db.allocated_storage)
                if db is not None
                else None
            ),
            cache_node_ids=cache.node_ids if cache is not None and not cache.serverless else (),
            serverless_cache=(
                ServerlessCacheWatch(cache.replication_group_id, cache.serverless_max_data_gb)
                if cache is not None and cache.serverless
                else None
            ),
            latency_p95_seconds=alarms.latency_p95_seconds,
            error_rate_percent=alarms.error_rate_percent,
            dashboard=alarms.dashboard,
            container_insights=settings.container_insights != "disabled",
            cluster_arn=cluster.cluster_arn if cluster is not None else None,
            topic_policy=platform.alerts.policy,
            running_task_alarm_names=running_task_alarm_names(services or {}),
            quiet_hours=(
                QuietHours(
                    off_hours.quiet_windows(QUIET_GRACE_MINUTES), timezone=off_hours.timezone
                )
                if off_hours is not None
                else None
            ),
            region=settings.region,
            tags=dict(settings.tags),
        ),
    )


def database_readers(settings: StackSettings) -> list[str]:
    """The services whose tasks read a database login's password (each its own)."""
    return sorted({name for login in settings.database_logins for name in login.services})


def build_rotation_restart(
    settings: StackSettings,
    platform: Platform,
    cluster: EcsCluster,
    services: Mapping[str, Microservice | Keycloak],
) -> RotationRestart | None:
    """Restart each service when its login's password rotates (ECS reads secrets at task
    start only). None without logins read by a service."""
    watched = [
        RestartOn(
            secret_arn=platform.secrets.logins[login.name].arn,
            services={name: services[name].service_arn for name in login.services},
            store=platform.secrets.logins[login.name].store,
        )
        for login in settings.database_logins
        if login.services and all(name in services for name in login.services)
    ]
    if platform.database is None or not watched:
        return None
    return RotationRestart(
        f"{settings.name_prefix}-db-rotation",
        RotationRestartArgs(
            name=f"{settings.name_prefix}-db-rotation-restart",
            secrets=watched,
            cluster_arn=cluster.cluster_arn,
            alarm_actions=platform.alarm_actions,
            permissions_boundary=settings.permissions_boundary_arn,
            tags=dict(settings.tags),
        ),
    )


def build_stack(settings: StackSettings) -> None:
    """Register every resource of the stack described by `settings` and export its outputs."""
    # Sees every resource registered from here on: the cost estimate prices what is deployed.
    registered = ResourceRecorder.install()
    _warn_release_state(settings)
    network = build_network(settings)
    platform = build_platform(settings, network)
    cluster = build_cluster(settings, network)
    edge = build_load_balancer(settings, network)
    nlb = build_network_load_balancer(settings, network)
    # The platform setup first (secrets filled, logins created), then the migration: every
    # ECS service waits for both runs, so none rolls after a failure.
    base = Foundation(network, platform, cluster.ref)
    platform_tasks = build_platform_tasks(settings, base)
    runs = [t.migration_run for t in platform_tasks.values() if t.migration_run is not None]
    migration = build_migration(settings, base, after=runs)
    if migration is not None and migration.migration_run is not None:
        runs.append(migration.migration_run)
    services = build_services(settings, base, edge=edge, nlb=nlb, depends_on=runs)
    tasks = build_tasks(
        settings, base, services=services, migration=migration, platform_tasks=platform_tasks
    )
    monitoring = build_monitoring(settings, platform, edge, cluster, services)
    rotation = build_rotation_restart(settings, platform, cluster, services)
    faults = build_fault_injection(settings, network, monitoring, platform.alarm_actions)

    exports = _exports(
        settings,
        network=network,
        platform=platform,
        cluster=cluster,
        edge=edge,
        services=services,
        tasks=tasks,
        monitoring=monitoring,
        rotation=rotation,
        faults=faults,
    )
    if nlb is not None:
        exports["nlb_endpoints"] = nlb.endpoints
    for key, value in exports.items():
        pulumi.export(key, value)
    # Last: priced from the settings and every resource registered above.
    pulumi.export(
        "estimated_monthly_cost", cost.estimate(settings, registered.resources).to_output()
    )


def _warn_release_state(settings: StackSettings) -> None:
    """Say which services run no task for want of a release, and which deploy as a recreate."""
    unreleased = [s.name for s in settings.services if not s.released]
    if unreleased:
        pulumi.log.warn(
            f"{settings.stack_file}: no release recorded for {', '.join(unreleased)} "
            f"({outputs.release(settings)['parameter']}): they run no task until the deploy "
            'records their images (docs/DEPLOYING.md, "From commit to prod").'
        )
    for service in settings.services:
        if service.rollout.recreate:
            pulumi.log.warn(
                f"{service.name} deploys as a recreate (ROLLING at 0-100 %, its configured "
                f"{service.rollout.strategy} on the next release): {service.rollout.recreate}."
            )


def _exports(
    settings: StackSettings,
    *,
    network: NetworkRefs,
    platform: Platform,
    cluster: EcsCluster,
    edge: LoadBalancer | None,
    services: Mapping[str, Microservice | Keycloak],
    tasks: Mapping[str, EcsTask],
    monitoring: Monitoring | None,
    rotation: RotationRestart | None,
    faults: FaultInjection | None,
) -> dict[str, Any]:
    """The stack outputs (README "Outputs"), never a secret value."""
    groups = {name: svc.security_group_id for name, svc in services.items()}
    return {
        "cluster_name": cluster.cluster_name,
        "service_arns": {name: svc.service_arn for name, svc in services.items()},
        "task_definition_arns": {n: s.task_definition_arn for n, s in services.items()},
        "security_group_id": groups,
        "service_access": outputs.service_access(settings, services),
        "internal_dns_names": outputs.internal_dns_names(settings),
        "health_check_urls": outputs.health_check_urls(settings),
        "vpc_id": network.vpc_id,
        "alb_dns_name": edge.dns_name if edge else None,
        "public_urls": edge.public_urls if edge else {},
        "alb_integration_config": outputs.alb_integration_config(
            settings,
            groups,
            vpc_id=network.vpc_id,
            target_group_arns=edge.target_group_arns if edge else None,
            alternate_target_group_arns=edge.alternate_target_group_arns if edge else None,
        ),
        "cicd_deployment_config": outputs.cicd_deployment_config(settings),
        "release": outputs.release(settings),
        "tasks": outputs.tasks_output(settings, tasks),
        "debugging_information": outputs.debugging_information(settings),
        "spring_application_config": outputs.spring_application_config(settings),
        "database_rotation": (
            {
                "restarts": [n for n in database_readers(settings) if n in services],
                "state_machine_arn": rotation.state_machine_arn,
                "rule_name": rotation.rule_name,
            }
            if rotation is not None
            else None
        ),
        "fault_injection": outputs.fault_injection(settings, faults),
        **platform_outputs(platform, monitoring.dashboard_name if monitoring else None),
    }
