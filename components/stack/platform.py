"""The platform pieces of a stack, built from its settings: the network, the generated secrets,
the database, the cache, the documents bucket, the image repositories and the alarm topic.

`build_platform` creates each piece only when its stack key switches it on, with the piece's own
arguments (this module is where stack keys become component arguments). `Platform.bindings`
then says what one service gets from the pieces it `uses`, and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from ..bindings import Binding, Peer
from ..compute.cluster import ClusterRef
from ..compute.config import RegistrySettings
from ..compute.registry import ImageRegistry, RegistryArgs
from ..data.cache import Cache, CacheArgs
from ..data.config import CacheSettings, DatabaseSettings, DocumentsSettings
from ..data.database import Database, DatabaseArgs, DatabaseLogin, RunningScheduleArgs
from ..data.documents import DocumentStore, DocumentStoreArgs
from ..data.file_system import EfsFileSystem, EfsFileSystemArgs, FileSystemRef
from ..data.queue import WorkQueue, WorkQueueArgs
from ..identity.secrets import PlatformSecrets, SecretsArgs
from ..network.layout import NetworkRefs
from ..network.vpc import Network, NetworkArgs
from ..observability.alerts import AlertTopic, AlertTopicArgs, Publishers
from ..observability.config import AlarmsSettings
from ..observability.monitoring import ecs_events_rule_name
from .graph import POSTGRES_DEFAULT_PORT, REDIS_DEFAULT_PORT
from .platform_tasks import PLATFORM_ROTATE, task_login
from .settings import ServiceSettings, StackSettings
from .tasks import TaskSettings


def build_network(settings: StackSettings) -> NetworkRefs:
    """The created VPC's ids when `network.createVpc` is true, else the configured ones (and no
    resource at all)."""
    spec = settings.new_vpc
    if spec is None:
        assert settings.vpc_id is not None  # the resolver refuses a stack without either
        return NetworkRefs(
            vpc_id=settings.vpc_id,
            private_subnet_ids=list(settings.private_subnet_ids),
            public_subnet_ids=list(settings.public_subnet_ids),
        )
    network = Network(
        settings.name_prefix,
        NetworkArgs(
            name=settings.name_prefix,
            cidr_block=spec.cidr_block,
            availability_zones=spec.availability_zones,
            nat_gateways=spec.nat_gateways,
            interface_endpoints=spec.interface_endpoints,
            flow_logs=spec.flow_logs,
            flow_log_retention_days=spec.flow_log_retention_days,
            region=settings.region,
            permissions_boundary=settings.permissions_boundary_arn,
            tags=dict(settings.tags),
        ),
    )
    return network.refs


@dataclass(frozen=True)
class Platform:
    settings: StackSettings
    secrets: PlatformSecrets
    database: Database | None
    cache: Cache | None
    documents: DocumentStore | None
    registry: ImageRegistry | None
    alerts: AlertTopic | None
    queues: Mapping[str, WorkQueue] = field(default_factory=dict)
    """Work queue per logical name (`uses.consumes`)."""
    file_systems: Mapping[str, FileSystemRef] = field(default_factory=dict)
    """EFS file system per `fileSystems` key (created by the stack, or existing)."""

    @property
    def alarm_actions(self) -> list[pulumi.Input[str]]:
        return [self.alerts.topic_arn] if self.alerts is not None else []

    def login(self, workload: str) -> DatabaseLogin | None:
        """The database login of a service (or of a task's login name), or None."""
        spec = self.settings.login_of(workload)
        if spec is None:
            return None
        ref = self.secrets.logins[spec.name]
        return DatabaseLogin(
            username=spec.name,
            password_value_from=ref.value_from,
            schema=spec.schema,
            database=spec.database,
        )

    def bindings(self, service: ServiceSettings | TaskSettings) -> list[Binding]:
        """What `service` (or a task) gets from the platform pieces it uses (its `uses` key),
        in a stable order; the graph checks made sure each used piece exists."""
        uses, settings = service.uses, self.settings
        found: list[Binding] = []
        if uses.database:
            if self.database is not None:
                # Each workload its own login (a task: its imageOf service's, or its own).
                workload = service.name if isinstance(service, ServiceSettings) else None
                login = self.login(workload or task_login(service))  # type: ignore[arg-type]
                found.append(
                    self.database.binding(
                        dialect="jdbc" if service.spring_boot else "uri", login=login
                    )
                )
            elif settings.rds_security_group_id is not None:
                # A database of another program: the path only; its settings are the stack's.
                peer = Peer("postgres", settings.rds_security_group_id, (POSTGRES_DEFAULT_PORT,))
                found.append(Binding(name="database", peers=(peer,)))
        if uses.cache:
            if self.cache is not None:
                found.append(self.cache.binding(spring=service.spring_boot))
            elif settings.redis_security_group_id is not None:
                peer = Peer("redis", settings.redis_security_group_id, (REDIS_DEFAULT_PORT,))
                found.append(Binding(name="cache", peers=(peer,)))
        if uses.documents is not None and self.documents is not None:
            found.append(self.documents.binding(uses.documents))
        if uses.jwt_key:
            found.append(self.secrets.jwt_binding())
        for queue in settings.queues:
            if queue.consumer == service.name:
                found.append(
                    self.queues[queue.name].consumer_binding(
                        also_sends=service.name in queue.senders
                    )
                )
            elif service.name in queue.senders:
                found.append(self.queues[queue.name].sender_binding())
        return found


@dataclass(frozen=True)
class Foundation:
    """What every workload of the stack (a service or a task) is built on: the network it runs
    in, the platform pieces it binds to and the cluster it runs on."""

    network: NetworkRefs
    platform: Platform
    cluster: ClusterRef


def build_platform(settings: StackSettings, network: NetworkRefs) -> Platform:
    """Every platform piece the stack's keys switch on, in the order they are registered."""
    platform = settings.platform
    secrets = _secrets(settings)
    database = (
        _database(settings, network, platform.database) if platform.database is not None else None
    )
    cache = _cache(settings, network, platform.cache) if platform.cache is not None else None
    documents = _documents(settings, platform.documents) if platform.documents is not None else None
    registry = _registry(settings, platform.registry) if platform.registry is not None else None
    alerts = _alert_topic(settings, platform.alarms) if platform.alarms is not None else None
    return Platform(
        settings,
        secrets,
        database,
        cache,
        documents,
        registry,
        alerts,
        _queues(settings, alerts),
        build_file_systems(settings, network),
    )


def _secrets(settings: StackSettings) -> PlatformSecrets:
    """The generated secrets: the JWT key, Keycloak's admin and each workload's login."""
    platform = settings.platform
    assert platform.secrets is not None
    return PlatformSecrets(
        f"{settings.name_prefix}-secrets",
        SecretsArgs(
            prefix=platform.secrets.prefix,
            jwt_secret=platform.secrets.jwt_secret,
            keycloak_admin_username=(
                platform.keycloak.admin_username if platform.keycloak is not None else None
            ),
            database_logins=[login.name for login in settings.database_logins],
            rotation_task=(
                settings.task_family(settings.task(PLATFORM_ROTATE))
                if any(t.name == PLATFORM_ROTATE for t in settings.tasks)
                else None
            ),
            recovery_window_days=platform.secrets.recovery_window_days,
            store=platform.secrets.store,  # type: ignore[arg-type]
            region=settings.region,
            protect=platform.protect,
            tags=dict(settings.tags),
        ),
    )


def _database(settings: StackSettings, network: NetworkRefs, db: DatabaseSettings) -> Database:
    """`database.enabled`: the PostgreSQL instance in the private subnets."""
    return Database(
        f"{settings.name_prefix}-database",
        DatabaseArgs(
            identifier=db.identifier,
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids,
            database_name=db.database_name,
            engine_version=db.engine_version,
            instance_class=db.instance_class,
            allocated_storage=db.allocated_storage,
            max_allocated_storage=db.max_allocated_storage,
            port=db.port,
            username=db.username,
            backup_retention_days=db.backup_retention_days,
            multi_az=db.multi_az,
            deletion_protection=db.deletion_protection,
            monitoring_interval=db.monitoring_interval,
            # Connections, refusals and errors: evidence, kept as long as Keycloak's (LOG.2).
            log_retention_days=settings.audit_log_retention_days,
            running_schedule=(
                RunningScheduleArgs(
                    start_cron=schedule.start_cron,
                    stop_cron=schedule.stop_cron,
                    timezone=schedule.timezone,
                    backup_window=schedule.backup_window,
                    maintenance_window=schedule.maintenance_window,
                )
                if (schedule := settings.database_schedule) is not None
                else None
            ),
            protect=settings.platform.protect,
            permissions_boundary=settings.permissions_boundary_arn,
            tags=dict(settings.tags),
        ),
    )


def _cache(settings: StackSettings, network: NetworkRefs, spec: CacheSettings) -> Cache:
    """`cache.enabled`: the Redis/Valkey cache in the private subnets."""
    return Cache(
        f"{settings.name_prefix}-cache",
        CacheArgs(
            replication_group_id=spec.replication_group_id,
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids,
            engine=spec.engine,  # type: ignore[arg-type]
            engine_version=spec.engine_version,
            serverless=spec.serverless,
            serverless_max_data_gb=spec.serverless_max_data_gb,
            node_type=spec.node_type,
            nodes=spec.nodes,
            port=spec.port,
            snapshot_retention_days=spec.snapshot_retention_days,
            protect=settings.platform.protect,
            region=settings.region,
            tags=dict(settings.tags),
        ),
    )


def _documents(settings: StackSettings, spec: DocumentsSettings) -> DocumentStore:
    """`documents.enabled`: the documents bucket."""
    return DocumentStore(
        f"{settings.name_prefix}-documents",
        DocumentStoreArgs(
            bucket_prefix=spec.bucket_prefix,
            transition_to_ia_days=spec.transition_to_ia_days,
            noncurrent_version_expiration_days=spec.noncurrent_version_expiration_days,
            access_log_retention_days=spec.access_log_retention_days,
            customer_managed_key=spec.customer_managed_key,
            protect=settings.platform.protect,
            tags=dict(settings.tags),
        ),
    )


def _registry(settings: StackSettings, spec: RegistrySettings) -> ImageRegistry:
    """`registry.enabled`: a repository per workload whose image the stack's registry holds."""
    own = f"{settings.container_registry}/"
    prefix = spec.repository_prefix
    return ImageRegistry(
        f"{settings.name_prefix}-images",
        RegistryArgs(
            repositories={
                **{
                    s.name: f"{prefix}/{s.name}"
                    for s in settings.services
                    if s.image.startswith(own)
                },
                # A task built into its own repository, like a service's.
                **{
                    t.name: f"{prefix}/{t.name}"
                    for t in settings.tasks
                    if t.own_repository and t.image.startswith(own)
                },
            },
            keep_images=spec.keep_images,
            pull_account_ids=spec.pull_account_ids,
            protect=settings.platform.protect,
            tags=dict(settings.tags),
        ),
    )


def _alert_topic(settings: StackSettings, alarms: AlarmsSettings) -> AlertTopic:
    """`alarms.enabled`: the topic every alarm of the stack notifies."""
    prefix = settings.name_prefix
    return AlertTopic(
        f"{prefix}-alerts",
        AlertTopicArgs(
            topic_name=f"{prefix}-alarms",
            emails=alarms.emails,
            # Every alarm of the stack is named `<prefix>-...`; the ECS events rule is
            # Monitoring's (built last, once everything it watches exists).
            publishers=Publishers(
                alarm_name_prefix=prefix, event_rule_names=(ecs_events_rule_name(prefix),)
            ),
            region=settings.region,
            tags=dict(settings.tags),
        ),
    )


def _queues(settings: StackSettings, alerts: AlertTopic | None) -> dict[str, WorkQueue]:
    """A work queue per `queues` key, its dead-letter alarm on the stack's topic."""
    return {
        queue.name: WorkQueue(
            f"{settings.name_prefix}-queue-{queue.name}",
            WorkQueueArgs(
                name=queue.physical,
                logical=queue.name,
                visibility_timeout_seconds=queue.visibility_timeout_seconds,
                message_retention_seconds=queue.message_retention_days * 24 * 3600,
                max_receive_count=queue.max_receive_count,
                alarm_actions=[alerts.topic_arn] if alerts is not None else [],
                tags=dict(settings.tags),
            ),
        )
        for queue in settings.queues
    }


def build_file_systems(settings: StackSettings, network: NetworkRefs) -> dict[str, FileSystemRef]:
    """`fileSystems`: an existing one by id, else an `EfsFileSystem` with a mount target in
    each private subnet (the created VPC's are outputs: one per Availability Zone, by index)."""
    refs: dict[str, FileSystemRef] = {}
    if settings.new_vpc is not None:
        count = settings.new_vpc.availability_zones
        subnets: list[pulumi.Input[str]] = [
            pulumi.Output.from_input(network.private_subnet_ids).apply(lambda ids, i=i: ids[i])
            for i in range(count)
        ]
    else:
        subnets = list(settings.private_subnet_ids)
    for spec in settings.file_systems:
        if spec.file_system_id is not None:
            refs[spec.name] = FileSystemRef(
                spec.file_system_id, security_group_id=spec.mount_target_security_group_id
            )
            continue
        refs[spec.name] = EfsFileSystem(
            f"{settings.name_prefix}-{spec.name}",
            EfsFileSystemArgs(
                vpc_id=network.vpc_id,
                subnet_ids=subnets,
                backup=spec.backup,
                transition_to_ia=spec.transition_to_ia,  # type: ignore[arg-type]
                protect=settings.platform.protect,
                tags=dict(settings.tags),
            ),
        ).ref
    return refs


def platform_outputs(platform: Platform, dashboard_name: Any) -> dict[str, Any]:
    """Endpoints, ARNs and names of the platform pieces: never a secret value."""
    database, cache, documents = platform.database, platform.cache, platform.documents
    secret_arns: dict[str, pulumi.Input[str]] = dict(platform.secrets.arns)
    if database is not None:
        secret_arns["database-master"] = database.master_secret_arn
    return {
        "database_endpoint": database.endpoint if database is not None else None,
        "redis_endpoint": (
            pulumi.Output.concat(cache.primary_endpoint, ":", cache.port.apply(str))
            if cache is not None
            else None
        ),
        "secret_arns": secret_arns,
        "documents_bucket": documents.bucket_name if documents is not None else None,
        "ecr_repositories": (
            platform.registry.repository_urls if platform.registry is not None else {}
        ),
        "alarm_topic_arn": platform.alerts.topic_arn if platform.alerts is not None else None,
        "queues": {
            name: {"url": queue.queue_url, "dead_letter_queue_arn": queue.dead_letter_queue_arn}
            for name, queue in platform.queues.items()
        },
        "dashboard_name": dashboard_name,
    }
