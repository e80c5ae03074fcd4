"""Stack-config models of the data stores the program creates: PostgreSQL (`database`), Redis
(`cache`) and the documents bucket (`documents`), their resolved settings and resolvers.

Controls from CONTROLS.md marked **P** (RDS.5/6/8, ElastiCache.1/3) are enforced in staging and
prod and only defaulted in dev: that is the documented dev waiver.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from ..errors import ConfigIssue, Rules
from ..formats import ConfigModel, Flag, SecurityGroupId

DEFAULT_POSTGRES_PORT = 5432
# RDS rejects these as master user names for PostgreSQL, and RDS.25 flags the defaults.
RESERVED_DB_USERNAMES = ("postgres", "admin", "rdsadmin", "root", "master")
S3_STANDARD_IA_MIN_DAYS = 30


def _not_default_port(port: int) -> int:
    if port == DEFAULT_POSTGRES_PORT:
        raise ValueError(
            "5432 is the PostgreSQL default port (control RDS.23); "
            "allowed: any port from 1150 to 65535 except 5432"
        )
    return port


def _not_reserved_username(name: str) -> str:
    if name.lower() in RESERVED_DB_USERNAMES:
        raise ValueError(
            f"{name!r} is a default or reserved administrator name (control RDS.25); allowed: "
            "1-63 letters, digits and '_' starting with a letter, not "
            f"{', '.join(RESERVED_DB_USERNAMES)}"
        )
    return name


DbPort = Annotated[int, Field(ge=1150, le=65535), AfterValidator(_not_default_port)]
DbUsername = Annotated[
    str,
    Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,62}$"),
    AfterValidator(_not_reserved_username),
]
DbName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,62}$")]
MonitoringInterval = Literal[0, 1, 5, 10, 15, 30, 60]


class DatabaseConfig(ConfigModel):
    """PostgreSQL on RDS, created by the program (`database:` key)."""

    enabled: Flag | None = Field(
        None, description="Create the RDS PostgreSQL instance; unset = per environment."
    )
    engine_version: str = Field(
        "16",
        pattern=r"^(1[3-9]|[2-9]\d)(\.\d+)?$",
        description="PostgreSQL version (major or major.minor); the parameter group follows "
        "the major version.",
    )
    instance_class: str | None = Field(
        None, pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$", description="RDS instance class."
    )
    allocated_storage: int | None = Field(
        None, ge=20, le=65536, description="Initial gp3 storage in GiB."
    )
    max_allocated_storage: int | None = Field(
        None, ge=20, le=65536, description="Storage autoscaling ceiling in GiB."
    )
    port: DbPort = Field(5433, description="Listener port; never 5432 (RDS.23).")
    username: DbUsername = Field(
        "aw_admin", description="Master user name; never postgres/admin (RDS.25)."
    )
    database_name: DbName = Field("accessweaver", description="Database created with the instance.")
    backup_retention_days: int | None = Field(
        None, ge=7, le=35, description="Automated backup retention (RDS.11: at least 7)."
    )
    multi_az: Flag | None = Field(None, description="Standby in a second AZ (RDS.5).")
    stop_off_hours: Flag | None = Field(
        None,
        description="Stop the instance outside the services' working hours (EventBridge "
        "Scheduler; storage is still billed); unset = on where offHoursScaling runs and the "
        "instance is single-AZ (dev).",
    )
    deletion_protection: Flag | None = Field(None, description="RDS deletion protection (RDS.8).")
    monitoring_interval: MonitoringInterval | None = Field(
        None, description="Enhanced monitoring seconds, 0 = off (RDS.6)."
    )


CACHE_ENGINE_VERSIONS = {"valkey": ("7.2", "8.0", "8.1"), "redis": ("7.0", "7.1")}
"""Engine versions the program builds parameter groups for (ElastiCache's supported ones) and
whose users authenticate with IAM (Valkey 7.2 and Redis OSS 7.0 onwards: ElastiCache user guide,
"Authenticating with IAM"); Redis OSS 6.2 is refused for that reason."""


class CacheConfig(ConfigModel):
    """Valkey or Redis OSS on ElastiCache, created by the program (`cache:` key)."""

    enabled: Flag | None = Field(None, description="Create the ElastiCache cache; unset = per env.")
    engine: Literal["valkey", "redis"] = Field(
        "valkey",
        description="valkey (AWS prices its nodes up to 20 % lower, same protocol) or redis "
        "(Redis OSS).",
    )
    engine_version: str | None = Field(
        None,
        pattern=r"^\d+\.\d+$",
        description="Engine version; unset = 8.0 for Valkey, 7.1 for Redis OSS.",
    )
    serverless: Flag | None = Field(
        None,
        description="ElastiCache Serverless for Valkey (billed for data held, 100 MB "
        "minimum, and requests; no nodes); unset = on in dev, off in staging and prod.",
    )
    serverless_max_data_gb: int = Field(
        1, ge=1, le=5000, description="Serverless: the most data the cache may hold (GB)."
    )
    node_type: str | None = Field(
        None, pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$", description="ElastiCache node type."
    )
    nodes: int | None = Field(
        None, ge=1, le=6, description="Primary + replicas; 2+ gives failover (ElastiCache.3)."
    )
    snapshot_retention_days: int | None = Field(
        None, ge=0, le=35, description="Daily snapshots kept; 0 = none (ElastiCache.1)."
    )
    port: int = Field(6379, ge=1024, le=65535, description="Redis port.")


class DocumentsConfig(ConfigModel):
    """The documents bucket (`documents:` key)."""

    enabled: Flag | None = Field(None, description="Create the bucket; unset = per environment.")
    transition_to_ia_days: int = Field(
        30, ge=S3_STANDARD_IA_MIN_DAYS, le=3650, description="Days before STANDARD_IA."
    )
    noncurrent_version_expiration_days: int | None = Field(
        None, ge=1, le=3650, description="Days a replaced or deleted version is kept."
    )
    access_logs: Flag | None = Field(
        None,
        description="Server access logs (S3.9) to a log bucket the program creates, kept "
        "securityLogRetentionDays; unset = per environment (required in staging and prod).",
    )
    customer_managed_key: Flag | None = Field(
        None,
        description="Encrypt with a KMS key of the stack's own ($1 a month; its key policy is "
        "the program's, grants name it) instead of the account's AWS-managed aws/s3 key; "
        "unset = off in dev, on in staging and prod.",
    )


@dataclass(frozen=True)
class DatabaseSettings:
    identifier: str
    """RDS instance identifier `<project>-<env>-postgres`: stable, alarms and dashboard use it."""
    engine_version: str
    parameter_group_family: str
    instance_class: str
    allocated_storage: int
    max_allocated_storage: int
    port: int
    username: str
    database_name: str
    backup_retention_days: int
    multi_az: bool
    deletion_protection: bool
    monitoring_interval: int


@dataclass(frozen=True)
class CacheSettings:
    replication_group_id: str
    """`<project>-<env>-redis`; its nodes are `<id>-001`, `<id>-002`, ... (ElastiCache naming)."""
    engine_version: str
    node_type: str
    nodes: int
    port: int
    snapshot_retention_days: int
    engine: str = "valkey"
    serverless: bool = False
    serverless_max_data_gb: int = 1

    @property
    def failover(self) -> bool:
        return self.serverless or self.nodes >= 2

    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(f"{self.replication_group_id}-{i:03d}" for i in range(1, self.nodes + 1))


@dataclass(frozen=True)
class DocumentsSettings:
    bucket_prefix: str
    transition_to_ia_days: int
    noncurrent_version_expiration_days: int
    access_log_retention_days: int | None = None
    """Server access logs kept this many days; None = off."""
    customer_managed_key: bool = True


# The variables each piece's binding gives the services that use it (database.py, cache.py,
# documents.py): a stack must not set them by hand on those services.
DATABASE_ENV = (
    "DATABASE_URL",
    "DATABASE_HOST",
    "DATABASE_PORT",
    "DATABASE_NAME",
    "DATABASE_USERNAME",
    "DATABASE_PASSWORD",
    "DATABASE_SCHEMA",
    "SPRING_DATASOURCE_URL",
    "SPRING_DATASOURCE_USERNAME",
    "SPRING_DATASOURCE_PASSWORD",
)
CACHE_ENV = (
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_USERNAME",
    "REDIS_CLUSTER_MODE",
    "REDIS_AUTH_MODE",
    "REDIS_CACHE_NAME",
    "REDIS_REGION",
    "SPRING_DATA_REDIS_HOST",
    "SPRING_DATA_REDIS_PORT",
    "SPRING_DATA_REDIS_SSL_ENABLED",
    "SPRING_DATA_REDIS_USERNAME",
    "SPRING_DATA_REDIS_CLUSTER_NODES",
)
DOCUMENTS_ENV = ("DOCUMENTS_BUCKET",)


def major_version(version: str) -> int:
    return int(re.match(r"\d+", version).group())  # type: ignore[union-attr]


def resolve_database(config: DatabaseConfig, ctx: Rules) -> DatabaseSettings | None:
    if not config.enabled:
        return None
    allocated = int(config.allocated_storage or 20)
    ceiling = int(config.max_allocated_storage or allocated)
    if ceiling < allocated:
        ctx.issues.append(
            ConfigIssue(
                "database.maxAllocatedStorage",
                ceiling,
                f"below database.allocatedStorage ({allocated})",
                f"at least {allocated}",
            )
        )
    ctx.require("database.multiAz", config.multi_az, bool(config.multi_az),
                "single-AZ database (control RDS.5)", "true")  # fmt: skip
    ctx.require("database.deletionProtection", config.deletion_protection,
                bool(config.deletion_protection), "deletion protection off (control RDS.8)",
                "true")  # fmt: skip
    ctx.require("database.monitoringInterval", config.monitoring_interval,
                bool(config.monitoring_interval), "enhanced monitoring off (control RDS.6)",
                "1, 5, 10, 15, 30 or 60")  # fmt: skip
    return DatabaseSettings(
        identifier=f"{ctx.prefix}-postgres",
        engine_version=config.engine_version,
        parameter_group_family=f"postgres{major_version(config.engine_version)}",
        instance_class=str(config.instance_class),
        allocated_storage=allocated,
        max_allocated_storage=ceiling,
        port=config.port,
        username=config.username,
        database_name=config.database_name,
        backup_retention_days=int(config.backup_retention_days or 7),
        multi_az=bool(config.multi_az),
        deletion_protection=bool(config.deletion_protection),
        monitoring_interval=int(config.monitoring_interval or 0),
    )


def resolve_cache(config: CacheConfig, ctx: Rules) -> CacheSettings | None:
    if not config.enabled:
        return None
    nodes = int(config.nodes or 1)
    snapshots = int(config.snapshot_retention_days or 0)
    serverless = bool(config.serverless)
    version = config.engine_version or CACHE_ENGINE_VERSIONS[config.engine][1]
    if version not in CACHE_ENGINE_VERSIONS[config.engine]:
        ctx.issues.append(
            ConfigIssue(
                "cache.engineVersion",
                version,
                f"not a {config.engine} version the program builds (the services authenticate "
                "with IAM, which needs Valkey 7.2 or Redis OSS 7.0 and later)",
                ", ".join(CACHE_ENGINE_VERSIONS[config.engine]),
            )
        )
    if serverless and config.engine != "valkey":
        ctx.issues.append(
            ConfigIssue(
                "cache.serverless",
                True,
                "serverless is built for Valkey: Redis OSS serverless bills 1 GB of data at "
                "least, more than a node",
                "engine: valkey, or serverless: false",
            )
        )
    if serverless and config.port != 6379:
        ctx.issues.append(
            ConfigIssue(
                "cache.port",
                config.port,
                "a serverless cache listens on 6379",
                "6379, or serverless: false",
            )
        )
    if not serverless:
        # A serverless cache is spread over the subnets' AZs by ElastiCache itself.
        ctx.require("cache.nodes", nodes, nodes >= 2,
                    "one node cannot fail over (control ElastiCache.3)", "2 to 6")  # fmt: skip
    ctx.require("cache.snapshotRetentionDays", snapshots, snapshots >= 1,
                "no snapshots (control ElastiCache.1)", "1 to 35")  # fmt: skip
    return CacheSettings(
        replication_group_id=f"{ctx.prefix}-redis",
        engine_version=version,
        node_type=str(config.node_type),
        nodes=nodes,
        port=config.port,
        snapshot_retention_days=snapshots,
        engine=config.engine,
        serverless=serverless,
        serverless_max_data_gb=config.serverless_max_data_gb,
    )


def resolve_documents(
    config: DocumentsConfig, ctx: Rules, *, security_log_retention_days: int = 365
) -> DocumentsSettings | None:
    if not config.enabled:
        return None
    ctx.require("documents.accessLogs", config.access_logs, bool(config.access_logs),
                "no server access logs on the documents bucket (control S3.9)",
                "true")  # fmt: skip
    expiration = int(config.noncurrent_version_expiration_days or 0)
    if expiration <= S3_STANDARD_IA_MIN_DAYS:
        # Noncurrent versions move to STANDARD_IA after 30 days; S3 refuses an expiration that
        # does not come after the transition.
        ctx.issues.append(
            ConfigIssue(
                "documents.noncurrentVersionExpirationDays",
                expiration,
                f"must come after the move to STANDARD_IA at {S3_STANDARD_IA_MIN_DAYS} days",
                f"{S3_STANDARD_IA_MIN_DAYS + 1} to 3650",
            )
        )
    return DocumentsSettings(
        bucket_prefix=f"{ctx.prefix}-documents",
        transition_to_ia_days=config.transition_to_ia_days,
        noncurrent_version_expiration_days=expiration,
        access_log_retention_days=security_log_retention_days if config.access_logs else None,
        customer_managed_key=bool(config.customer_managed_key),
    )


TransitionToIa = Literal[
    "AFTER_1_DAY", "AFTER_7_DAYS", "AFTER_14_DAYS", "AFTER_30_DAYS", "AFTER_60_DAYS",
    "AFTER_90_DAYS", "AFTER_180_DAYS", "AFTER_270_DAYS", "AFTER_365_DAYS",
]  # fmt: skip
"""EFS lifecycle transitions (the API's `TransitionToIARules`)."""


class FileSystemConfig(ConfigModel):
    """`fileSystems.<name>`: an EFS file system the services mount (`efsVolumes`)."""

    file_system_id: Annotated[str, Field(pattern=r"^fs-[0-9a-f]{8,40}$")] | None = Field(
        None,
        description="An existing file system (fs-...); unset = the stack creates one, encrypted "
        "at rest, backed up daily, TLS required, a mount target in each private subnet.",
    )
    mount_target_security_group_id: SecurityGroupId | None = Field(
        None,
        description="With fileSystemId: its mount targets' security group (the services' "
        "path on 2049 is opened on it); unset = a path managed elsewhere.",
    )
    backup: Flag = Field(True, description="Created file system: AWS Backup's daily plan.")
    transition_to_ia: TransitionToIa | None = Field(
        "AFTER_30_DAYS",
        description="Created file system: files unread this long move to Infrequent Access.",
    )


class QueueConfig(ConfigModel):
    """`queues.<name>`: tuning of a work queue the service graph declares (`uses.consumes`)."""

    visibility_timeout_seconds: int = Field(
        300,
        ge=0,
        le=43200,
        description="Seconds a received message stays hidden: longer than its processing.",
    )
    message_retention_days: int = Field(4, ge=1, le=14, description="Days a message is kept.")
    max_receive_count: int = Field(
        5, ge=1, le=1000, description="Receives before a message moves to the dead-letter queue."
    )


@dataclass(frozen=True)
class QueueSettings:
    """One work queue: its consumer, its senders and its timings."""

    name: str
    """Logical name in the graph (`<NAME>_QUEUE_URL`)."""
    physical: str
    """`<project>-<env>-<name>` (its dead-letter queue: `<physical>-dlq`)."""
    consumer: str
    senders: tuple[str, ...]
    visibility_timeout_seconds: int = 300
    message_retention_days: int = 4
    max_receive_count: int = 5
