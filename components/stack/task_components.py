"""The tasks of a stack, built as `EcsTask` components from their settings.

The migration (`runBeforeDeploy`) is built before the services, which wait for its run; it
uses only platform pieces (the resolver refuses its calls and Keycloak). The other tasks are
built after the services they call, each with exactly the bindings of what it uses and calls.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..bindings import Binding, Peer
from ..compute.cluster import ClusterRef
from ..compute.containers import ContainerArgs
from ..compute.microservice import Microservice
from ..compute.task import EcsTask, EcsTaskArgs, MigrationArgs, TaskScheduleArgs
from ..identity.config import KEYCLOAK_SERVICE
from ..identity.keycloak import Keycloak
from ..network.layout import NetworkRefs
from .platform import Platform
from .probe import health_port
from .services import task_subnets
from .settings import StackSettings
from .tasks import TaskSettings


def task_args(
    settings: StackSettings,
    task: TaskSettings,
    *,
    network: NetworkRefs,
    cluster: ClusterRef,
    bindings: list[Binding],
    alarm_actions: list,
) -> EcsTaskArgs:
    schedule = task.schedule
    return EcsTaskArgs(
        cluster=cluster,
        vpc_id=network.vpc_id,
        # Like the services: dev's tasks may run in the public subnets with their own address.
        subnet_ids=task_subnets(settings, network),
        assign_public_ip=settings.task_public_ips,
        container=ContainerArgs(
            image=task.image,
            command=task.command,
            user=task.user,
            environment=dict(task.environment),
            secrets=dict(task.secrets),
            writable_paths=task.writable_paths,
        ),
        cpu=task.cpu,
        memory=task.memory,
        family=settings.task_family(task),
        log_group_name=settings.log_group_name(task.name),
        log_retention_days=settings.log_retention_days,
        bindings=tuple(bindings),
        schedule=(
            TaskScheduleArgs(
                expression=schedule.expression,
                timezone=schedule.timezone,
                retries=schedule.retries,
                maximum_event_age_seconds=schedule.maximum_event_age_seconds,
            )
            if schedule is not None
            else None
        ),
        migration=(
            MigrationArgs(timeout_seconds=task.timeout_minutes * 60)
            if task.run_before_deploy
            else None
        ),
        alarm_actions=tuple(alarm_actions),
        cpu_architecture=settings.cpu_architecture,
        region=settings.region,
        permissions_boundary=settings.permissions_boundary_arn,
        tags={**settings.tags, "Task": task.name},
    )


def _build(
    settings: StackSettings,
    task: TaskSettings,
    *,
    network: NetworkRefs,
    platform: Platform,
    cluster: ClusterRef,
    bindings: list[Binding],
) -> EcsTask:
    return EcsTask(
        task.name,
        task_args(
            settings,
            task,
            network=network,
            cluster=cluster,
            bindings=bindings,
            alarm_actions=platform.alarm_actions,
        ),
    )


def build_migration(
    settings: StackSettings, *, network: NetworkRefs, platform: Platform, cluster: ClusterRef
) -> EcsTask | None:
    """The task every service waits for, or None."""
    task = settings.migration
    if task is None:
        return None
    return _build(
        settings,
        task,
        network=network,
        platform=platform,
        cluster=cluster,
        bindings=platform.bindings(task),
    )


def health_port_bindings(
    settings: StackSettings, services: Mapping[str, Microservice | Keycloak]
) -> list[Binding]:
    """The health probe's paths to every service's health port (Keycloak's management port):
    the graph's `checks health` paths (`graph.task_paths`)."""
    found = []
    for service in settings.services:
        if service.port is None or service.health_check_path is None:
            continue
        port = health_port(service)
        group = services[service.name].security_group_id
        found.append(
            Binding(name=f"health:{service.name}", peers=(Peer(service.name, group, (port,)),))
        )
    return found


def build_tasks(
    settings: StackSettings,
    *,
    network: NetworkRefs,
    platform: Platform,
    cluster: ClusterRef,
    services: Mapping[str, Microservice | Keycloak],
    migration: EcsTask | None,
) -> dict[str, EcsTask]:
    """Every task, the migration (built already) included, keyed by name."""
    built: dict[str, EcsTask] = {}
    if migration is not None:
        built[migration.container_name] = migration
    for task in settings.tasks:
        if task.name in built:
            continue
        bindings = platform.bindings(task)
        if task.uses.keycloak:
            keycloak = services[KEYCLOAK_SERVICE]
            assert isinstance(keycloak, Keycloak)  # the resolver refuses it without Keycloak
            bindings.append(keycloak.binding())
        for callee in task.calls:
            service = services[callee]
            bindings.append(getattr(service, "microservice", service).binding())
        if task.health_probe:
            bindings += health_port_bindings(settings, services)
        built[task.name] = _build(
            settings, task, network=network, platform=platform, cluster=cluster, bindings=bindings
        )
    return {name: built[name] for name in sorted(built)}
