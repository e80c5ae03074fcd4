"""The tasks of a stack, built as `EcsTask` components from their settings.

The migration (`runBeforeDeploy`) is built before the services, which wait for its run; it
uses only platform pieces (the resolver refuses its calls and Keycloak). The other tasks are
built after the services they call, each with exactly the bindings of what it uses and calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from ..bindings import Binding, Peer
from ..compute.cluster import ClusterRef
from ..compute.containers import ContainerArgs
from ..compute.microservice import Microservice
from ..compute.task import EcsTask, EcsTaskArgs, MigrationArgs, TaskScheduleArgs
from ..identity.config import KEYCLOAK_SERVICE
from ..identity.keycloak import Keycloak
from ..network.layout import NetworkRefs
from .platform import Foundation, Platform
from .platform_tasks import PLATFORM_ROTATE, PLATFORM_SETUP
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
    after: Sequence[pulumi.Resource] = (),
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
            MigrationArgs(timeout_seconds=task.timeout_minutes * 60, depends_on=tuple(after))
            # The setup runs once released: before, no service runs and its image is nowhere.
            if task.run_before_deploy or (task.platform == "setup" and task.released)
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
    base: Foundation,
    bindings: list[Binding],
    after: Sequence[pulumi.Resource] = (),
) -> EcsTask:
    """The task's component on the stack's foundation, with exactly `bindings`."""
    return EcsTask(
        task.name,
        task_args(
            settings,
            task,
            network=base.network,
            cluster=base.cluster,
            bindings=bindings,
            alarm_actions=base.platform.alarm_actions,
            after=after,
        ),
    )


def build_migration(
    settings: StackSettings, base: Foundation, after: Sequence[pulumi.Resource] = ()
) -> EcsTask | None:
    """The task every service waits for, or None; it runs after `after` (the setup's run)."""
    task = settings.migration
    if task is None:
        return None
    return _build(settings, task, base, base.platform.bindings(task), after)


def _statement(sid: str, actions: Sequence[str], resources: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": resources}


def platform_task_binding(settings: StackSettings, platform: Platform, mode: str) -> Binding:
    """What the setup (`mode` setup) or the rotation (`rotate`) gets: its plan as
    `PLATFORM_SETUP` (names and ARNs only), the path to the database, and a task role that may
    read the RDS master secret, write exactly the stack's generated and login secrets, and ask
    Secrets Manager for random passwords."""
    secrets, database = platform.secrets, platform.database
    logins = [
        {
            "name": spec.name,
            "secret": {
                "store": secrets.logins[spec.name].store,
                "id": secrets.logins[spec.name].id,
            },
            "database": spec.database,
            "schema": spec.schema,
        }
        for spec in settings.database_logins
    ]
    generated = secrets.generated_plan if mode == "setup" else []
    plan: dict[str, Any] = {
        "logins": logins,
        "generated": generated,
        "tags": {
            "Project": settings.project,
            "Environment": settings.environment,
            "ManagedBy": PLATFORM_SETUP,
        },
    }
    peers: tuple[Peer, ...] = ()
    statements: list[dict[str, Any]] = [
        _statement("RandomPasswords", ["secretsmanager:GetRandomPassword"], "*")
    ]
    if database is not None:
        plan["database"] = {
            "host": database.address,
            "port": settings.platform.database.port,  # type: ignore[union-attr]
            "name": database.database_name,
            "masterSecretArn": database.master_secret_arn,
        }
        peers = (database.peer,)
        statements.append(
            _statement(
                "ReadTheMasterSecret", ["secretsmanager:GetSecretValue"], database.master_secret_arn
            )
        )
    written = [secrets.logins[spec.name] for spec in settings.database_logins]
    if mode == "setup":
        written += secrets.generated_refs
    in_secrets = [ref.arn for ref in written if ref.store == "secretsManager"]
    in_parameters = [ref.arn for ref in written if ref.store == "parameterStore"]
    write = [
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
    ]
    if mode == "rotate":
        write.append("secretsmanager:UpdateSecretVersionStage")
    if in_secrets:
        statements.append(_statement("WriteItsSecrets", write, in_secrets))
    if in_parameters:
        statements.append(
            _statement(
                "WriteItsParameters",
                ["ssm:GetParameter", "ssm:PutParameter", "ssm:AddTagsToResource"],
                in_parameters,
            )
        )
    return Binding(
        name=f"platform:{mode}",
        environment={"PLATFORM_SETUP": pulumi.Output.json_dumps(plan)},
        peers=peers,
        permissions=tuple(statements),
    )


def build_platform_tasks(settings: StackSettings, base: Foundation) -> dict[str, EcsTask]:
    """The setup (whose run every later step waits for) and its weekly rotation."""
    built: dict[str, EcsTask] = {}
    for name, mode in ((PLATFORM_SETUP, "setup"), (PLATFORM_ROTATE, "rotate")):
        task = next((t for t in settings.tasks if t.name == name), None)
        if task is None:
            continue
        built[name] = _build(
            settings, task, base, [platform_task_binding(settings, base.platform, mode)]
        )
    return built


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
    base: Foundation,
    *,
    services: Mapping[str, Microservice | Keycloak],
    migration: EcsTask | None,
    platform_tasks: Mapping[str, EcsTask] | None = None,
) -> dict[str, EcsTask]:
    """Every task, the migration and the platform tasks (built already) included, by name."""
    built: dict[str, EcsTask] = dict(platform_tasks or {})
    if migration is not None:
        built[migration.container_name] = migration
    for task in settings.tasks:
        if task.name in built:
            continue
        bindings = base.platform.bindings(task)
        if task.uses.keycloak:
            keycloak = services[KEYCLOAK_SERVICE]
            assert isinstance(keycloak, Keycloak)  # the resolver refuses it without Keycloak
            realm = settings.platform.keycloak.realm  # type: ignore[union-attr] (it runs)
            bindings.append(keycloak.binding(realm, spring=task.spring_boot))
        for callee in task.calls:
            service = services[callee]
            bindings.append(getattr(service, "microservice", service).binding())
        if task.health_probe:
            bindings += health_port_bindings(settings, services)
        built[task.name] = _build(settings, task, base, bindings)
    return {name: built[name] for name in sorted(built)}
