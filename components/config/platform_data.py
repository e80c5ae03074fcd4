"""Stack-config models for the platform the services depend on: data stores, generated secrets,
Keycloak, the documents bucket, the image repositories and the alarms.

Each top-level key (`database`, `cache`, `secrets`, `keycloak`, `documents`, `registry`,
`alarms`, plus `protectStatefulResources`) switches one piece on or off per stack. A field left
unset takes the environment's value from `PLATFORM_DEFAULTS` (data, below); `resolve_platform`
merges the two without mutating either and collects every problem as a `ConfigIssue`.

Controls from ../shared/CONTROLS.md marked **P** (RDS.5/6/8, ElastiCache.1/3, protected state)
are enforced in staging and prod and only defaulted in dev: that is the documented dev waiver.
No AWS look-ups happen here; the account id needed for the default registry is passed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from .defaults import Environment
from .errors import ConfigIssue

# -------------------------------------------------------------------------------------------
# Formats
# -------------------------------------------------------------------------------------------

DEFAULT_POSTGRES_PORT = 5432
# RDS rejects these as master user names for PostgreSQL, and RDS.25 flags the defaults.
RESERVED_DB_USERNAMES = ("postgres", "admin", "rdsadmin", "root", "master")
KEYCLOAK_MIN_MAJOR = 26
KEYCLOAK_MANAGEMENT_PORT = 9000
KEYCLOAK_SERVICE = "keycloak"
KEYCLOAK_PATH = "/auth"
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
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")]
Hostname = Annotated[
    str,
    Field(max_length=253, pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"),
]
MonitoringInterval = Literal[0, 1, 5, 10, 15, 30, 60]


class _Model(BaseModel):
    # Same conventions as model.py (kept separate: model.py imports this module).
    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=False
    )


# -------------------------------------------------------------------------------------------
# Stack-config models (what a stack file may write). None = the environment's default.
# -------------------------------------------------------------------------------------------


class DatabaseConfig(_Model):
    """PostgreSQL on RDS, created by the program (`database:` key)."""

    enabled: bool | None = Field(
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
    multi_az: bool | None = Field(None, description="Standby in a second AZ (RDS.5).")
    deletion_protection: bool | None = Field(None, description="RDS deletion protection (RDS.8).")
    monitoring_interval: MonitoringInterval | None = Field(
        None, description="Enhanced monitoring seconds, 0 = off (RDS.6)."
    )


class CacheConfig(_Model):
    """Redis on ElastiCache, created by the program (`cache:` key)."""

    enabled: bool | None = Field(
        None, description="Create the ElastiCache Redis replication group; unset = per env."
    )
    engine_version: str = Field(
        "7.1", pattern=r"^[67]\.\d+$", description="Redis engine version (6.x or 7.x)."
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


class SecretsConfig(_Model):
    """Secrets the program generates (`secrets:` key)."""

    jwt_secret: bool = Field(
        True, description="Generate the JWT signing key and give it to the services as JWT_SECRET."
    )
    recovery_window_days: int | None = Field(
        None, ge=7, le=30, description="Days a deleted secret can be restored."
    )


class KeycloakConfig(_Model):
    """Keycloak in production mode on ECS (`keycloak:` key)."""

    enabled: bool | None = Field(None, description="Run Keycloak; unset = per environment.")
    version: str = Field(
        "26.0",
        pattern=r"^\d+\.\d+(\.\d+)?$",
        description="Keycloak version: the default image tag; 26 or later.",
    )
    image: str | None = Field(
        None,
        pattern=r"^[a-z0-9]+([.-][a-z0-9]+)*(:\d+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
        r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$",
        description="Optimized Keycloak image (built by images/keycloak/Dockerfile); default "
        "<containerRegistry>/keycloak:<version>.",
    )
    hostname: Hostname | None = Field(
        None, description="Public host name (KC_HOSTNAME); default: the ALB's when known."
    )
    port: int = Field(8180, ge=1024, le=65535, description="HTTP port behind the ALB.")
    priority: int | None = Field(
        None,
        ge=1,
        le=49999,
        description="Listener-rule priority of /auth (lower is evaluated first); unset = the "
        "automatic 1000, 1010, ... like any catalog service.",
    )
    cpu: int | None = Field(None, description="Fargate CPU units.")
    memory: int | None = Field(None, description="Task memory in MiB.")
    desired_count: int | None = Field(None, ge=0, le=100, description="Tasks to run.")
    database_name: DbName | None = Field(
        None, description="Database on the instance; default: database.databaseName."
    )
    admin_username: str = Field(
        "bootstrap-admin",
        pattern=r"^[a-z][a-z0-9._-]{2,63}$",
        description="Temporary bootstrap admin created at first start (password generated).",
    )


class DocumentsConfig(_Model):
    """The documents bucket (`documents:` key)."""

    enabled: bool | None = Field(None, description="Create the bucket; unset = per environment.")
    transition_to_ia_days: int = Field(
        30, ge=S3_STANDARD_IA_MIN_DAYS, le=3650, description="Days before STANDARD_IA."
    )
    noncurrent_version_expiration_days: int | None = Field(
        None, ge=1, le=3650, description="Days a replaced or deleted version is kept."
    )


class RegistryConfig(_Model):
    """One ECR repository per service (`registry:` key)."""

    enabled: bool | None = Field(
        None, description="Create the repositories; unset = per environment."
    )
    repository_prefix: str | None = Field(
        None,
        pattern=r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$",
        description="Repository names are <prefix>/<service>; default <project>-<env>.",
    )
    keep_images: int | None = Field(
        None, ge=1, le=1000, description="Tagged images kept per repository."
    )


class AlarmsConfig(_Model):
    """The stack's alarm topic, alarms and dashboard (`alarms:` key)."""

    enabled: bool | None = Field(None, description="Create them; unset = per environment.")
    emails: list[Email] = Field(
        default_factory=list, description="Addresses subscribed to the alarm topic."
    )
    latency_p95_seconds: float = Field(
        0.2, gt=0, le=60, description="ALB p95 TargetResponseTime threshold (report: 200 ms)."
    )
    error_rate_percent: float = Field(
        1.0, gt=0, le=100, description="ALB 5xx share of requests threshold (report: 1 %)."
    )
    dashboard: bool = Field(True, description="Create the CloudWatch dashboard.")


# -------------------------------------------------------------------------------------------
# Per-environment defaults, as data
# -------------------------------------------------------------------------------------------

PLATFORM_DEFAULTS: dict[Environment, dict[str, dict[str, Any]]] = {
    "dev": {
        "database": {
            "enabled": True,
            "instance_class": "db.t4g.micro",
            "allocated_storage": 20,
            "max_allocated_storage": 100,
            "backup_retention_days": 7,
            "multi_az": False,  # P control, dev waiver
            "deletion_protection": False,  # P control, dev waiver
            "monitoring_interval": 0,  # P control, dev waiver
        },
        "cache": {
            "enabled": True,
            "node_type": "cache.t4g.micro",
            "nodes": 1,  # P control, dev waiver
            "snapshot_retention_days": 0,  # P control, dev waiver
        },
        "secrets": {"recovery_window_days": 7},
        "keycloak": {"enabled": True, "cpu": 512, "memory": 1024, "desired_count": 1},
        "documents": {"enabled": True, "noncurrent_version_expiration_days": 60},
        "registry": {"enabled": True, "keep_images": 10},
        "alarms": {"enabled": True},
        "protect_stateful_resources": False,
    },
    "staging": {
        "database": {
            "enabled": True,
            "instance_class": "db.t4g.small",
            "allocated_storage": 20,
            "max_allocated_storage": 200,
            "backup_retention_days": 7,
            "multi_az": True,
            "deletion_protection": True,
            "monitoring_interval": 60,
        },
        "cache": {
            "enabled": True,
            "node_type": "cache.t4g.small",
            "nodes": 2,
            "snapshot_retention_days": 1,
        },
        "secrets": {"recovery_window_days": 30},
        "keycloak": {"enabled": True, "cpu": 1024, "memory": 2048, "desired_count": 2},
        "documents": {"enabled": True, "noncurrent_version_expiration_days": 90},
        "registry": {"enabled": True, "keep_images": 20},
        "alarms": {"enabled": True},
        "protect_stateful_resources": True,
    },
    "prod": {
        "database": {
            "enabled": True,
            "instance_class": "db.m7g.large",
            "allocated_storage": 50,
            "max_allocated_storage": 500,
            "backup_retention_days": 14,
            "multi_az": True,
            "deletion_protection": True,
            "monitoring_interval": 60,
        },
        "cache": {
            "enabled": True,
            "node_type": "cache.m7g.large",
            "nodes": 2,
            "snapshot_retention_days": 7,
        },
        "secrets": {"recovery_window_days": 30},
        "keycloak": {"enabled": True, "cpu": 1024, "memory": 2048, "desired_count": 2},
        "documents": {"enabled": True, "noncurrent_version_expiration_days": 365},
        "registry": {"enabled": True, "keep_images": 50},
        "alarms": {"enabled": True},
        "protect_stateful_resources": True,
    },
}

# Environments where the CONTROLS.md "P" controls are enforced rather than defaulted.
ENFORCED_ENVIRONMENTS: tuple[Environment, ...] = ("staging", "prod")

# -------------------------------------------------------------------------------------------
# Resolved settings (what the components read)
# -------------------------------------------------------------------------------------------


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

    @property
    def failover(self) -> bool:
        return self.nodes >= 2

    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(f"{self.replication_group_id}-{i:03d}" for i in range(1, self.nodes + 1))


@dataclass(frozen=True)
class SecretsSettings:
    prefix: str
    """Secrets Manager names are `<project>/<env>/<secret>`."""
    jwt_secret: bool
    recovery_window_days: int


@dataclass(frozen=True)
class KeycloakSettings:
    version: str
    image: str
    hostname: str | None
    port: int
    database_name: str
    admin_username: str
    cpu: int
    memory: int
    desired_count: int
    management_port: int = KEYCLOAK_MANAGEMENT_PORT
    priority: int | None = None
    """Listener-rule priority of its routes; None = automatic."""


@dataclass(frozen=True)
class DocumentsSettings:
    bucket_prefix: str
    transition_to_ia_days: int
    noncurrent_version_expiration_days: int


@dataclass(frozen=True)
class RegistrySettings:
    repository_prefix: str
    keep_images: int


@dataclass(frozen=True)
class AlarmsSettings:
    emails: tuple[str, ...]
    latency_p95_seconds: float
    error_rate_percent: float
    dashboard: bool


@dataclass(frozen=True)
class PlatformSettings:
    """Which platform pieces this stack creates, resolved. None = not created."""

    database: DatabaseSettings | None = None
    cache: CacheSettings | None = None
    secrets: SecretsSettings | None = None
    keycloak: KeycloakSettings | None = None
    documents: DocumentsSettings | None = None
    registry: RegistrySettings | None = None
    alarms: AlarmsSettings | None = None
    protect: bool = False
    """`protect=True` on RDS, Redis, buckets, KMS keys, ECR repositories and secrets."""
    container_registry: str | None = None
    """Registry and path prefix of the service images (configured, or the created repositories)."""
    wired_names: frozenset[str] = field(default_factory=frozenset)
    """Environment/secret names the program wires into the catalog services."""


# Names the program gives the catalog services; a stack must not set them itself.
DATABASE_ENV = ("DATABASE_URL", "DATABASE_USERNAME", "DATABASE_PASSWORD")
CACHE_ENV = ("REDIS_HOST", "REDIS_PORT", "REDIS_AUTH_TOKEN")
JWT_ENV = ("JWT_SECRET",)
DOCUMENTS_ENV = ("DOCUMENTS_BUCKET",)


# -------------------------------------------------------------------------------------------
# Resolution
# -------------------------------------------------------------------------------------------


def _merged(section: BaseModel | None, defaults: Mapping[str, Any], model: type[BaseModel]):
    """The section's explicit values over the environment's defaults (neither is mutated)."""
    base = model.model_validate({to_camel(k): v for k, v in defaults.items()})
    if section is None:
        return base
    return base.model_copy(update=section.model_dump(exclude_none=True, exclude_unset=True))


def _major(version: str) -> int:
    return int(re.match(r"\d+", version).group())  # type: ignore[union-attr]


@dataclass
class _Context:
    env: Environment
    prefix: str
    issues: list[ConfigIssue]

    def require(self, path: str, value: Any, ok: bool, problem: str, allowed: str) -> None:
        """A CONTROLS.md "P" control: an error in staging and prod, the dev waiver otherwise."""
        if self.env in ENFORCED_ENVIRONMENTS and not ok:
            self.issues.append(
                ConfigIssue(path, value, f"{problem} (required in {self.env})", allowed)
            )


def resolve_platform(
    sections: Mapping[str, BaseModel | None],
    protect_stateful_resources: bool | None,
    *,
    env: Environment,
    project: str,
    region: str,
    container_registry: str | None,
    account_id: str | Callable[[], str] | None,
    issues: list[ConfigIssue],
) -> PlatformSettings:
    """Resolve every platform key; append each problem to `issues` (all at once).

    `account_id` (a value or a look-up called only when needed) builds the default
    `containerRegistry` when the stack creates its repositories and does not name a registry.
    """
    defaults = PLATFORM_DEFAULTS[env]
    ctx = _Context(env, f"{project}-{env}", issues)

    def merged(key: str, model: type[BaseModel]) -> Any:
        return _merged(sections.get(key), defaults[key], model)

    database_config: DatabaseConfig = merged("database", DatabaseConfig)
    database = _resolve_database(database_config, ctx)
    cache = _resolve_cache(merged("cache", CacheConfig), ctx)
    secrets_config: SecretsConfig = merged("secrets", SecretsConfig)
    secrets = SecretsSettings(
        prefix=f"{project}/{env}",
        jwt_secret=secrets_config.jwt_secret,
        recovery_window_days=int(secrets_config.recovery_window_days or 30),
    )
    registry, container_registry = _resolve_registry(
        merged("registry", RegistryConfig), ctx, region, container_registry, account_id
    )
    keycloak = _resolve_keycloak(
        merged("keycloak", KeycloakConfig), database_config, database, container_registry, ctx
    )
    documents = _resolve_documents(merged("documents", DocumentsConfig), ctx)
    alarms_config: AlarmsConfig = merged("alarms", AlarmsConfig)
    alarms = None
    if alarms_config.enabled:
        alarms = AlarmsSettings(
            emails=tuple(alarms_config.emails),
            latency_p95_seconds=alarms_config.latency_p95_seconds,
            error_rate_percent=alarms_config.error_rate_percent,
            dashboard=alarms_config.dashboard,
        )
    protect = (
        defaults["protect_stateful_resources"]
        if protect_stateful_resources is None
        else protect_stateful_resources
    )
    ctx.require("protectStatefulResources", protect, bool(protect),
                "stateful resources unprotected", "true")  # fmt: skip

    wired: set[str] = set()
    for present, names in (
        (database is not None, DATABASE_ENV),
        (cache is not None, CACHE_ENV),
        (secrets.jwt_secret, JWT_ENV),
        (documents is not None, DOCUMENTS_ENV),
    ):
        if present:
            wired.update(names)
    return PlatformSettings(
        database=database,
        cache=cache,
        secrets=secrets,
        keycloak=keycloak,
        documents=documents,
        registry=registry,
        alarms=alarms,
        protect=bool(protect),
        container_registry=container_registry,
        wired_names=frozenset(wired),
    )


def _resolve_database(config: DatabaseConfig, ctx: _Context) -> DatabaseSettings | None:
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
        parameter_group_family=f"postgres{_major(config.engine_version)}",
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


def _resolve_cache(config: CacheConfig, ctx: _Context) -> CacheSettings | None:
    if not config.enabled:
        return None
    nodes = int(config.nodes or 1)
    snapshots = int(config.snapshot_retention_days or 0)
    ctx.require("cache.nodes", nodes, nodes >= 2,
                "one node cannot fail over (control ElastiCache.3)", "2 to 6")  # fmt: skip
    ctx.require("cache.snapshotRetentionDays", snapshots, snapshots >= 1,
                "no snapshots (control ElastiCache.1)", "1 to 35")  # fmt: skip
    return CacheSettings(
        replication_group_id=f"{ctx.prefix}-redis",
        engine_version=config.engine_version,
        node_type=str(config.node_type),
        nodes=nodes,
        port=config.port,
        snapshot_retention_days=snapshots,
    )


def _resolve_keycloak(
    config: KeycloakConfig,
    database_config: DatabaseConfig,
    database: DatabaseSettings | None,
    container_registry: str | None,
    ctx: _Context,
) -> KeycloakSettings | None:
    if not config.enabled:
        return None
    if _major(config.version) < KEYCLOAK_MIN_MAJOR:
        ctx.issues.append(
            ConfigIssue(
                "keycloak.version",
                config.version,
                "too old: the program relies on Keycloak 26's jdbc-ping cluster stack and "
                "KC_BOOTSTRAP_ADMIN_* variables",
                f"{KEYCLOAK_MIN_MAJOR}.0 or later",
            )
        )
    if database is None:
        ctx.issues.append(
            ConfigIssue(
                "keycloak.enabled",
                True,
                "Keycloak in production mode needs the PostgreSQL database, which "
                "database.enabled switches off (H2 loses every realm on restart)",
                "database.enabled true, or keycloak.enabled false",
            )
        )
    image = config.image
    if image is None:
        registry = container_registry or "registry.invalid"  # already reported if missing
        image = f"{registry}/{KEYCLOAK_SERVICE}:{config.version}"
    return KeycloakSettings(
        version=config.version,
        image=image,
        hostname=config.hostname,
        port=config.port,
        database_name=config.database_name or database_config.database_name,
        admin_username=config.admin_username,
        cpu=int(config.cpu or 1024),
        memory=int(config.memory or 2048),
        desired_count=int(config.desired_count if config.desired_count is not None else 1),
        priority=config.priority,
    )


def _resolve_documents(config: DocumentsConfig, ctx: _Context) -> DocumentsSettings | None:
    if not config.enabled:
        return None
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
    )


_ECR_REGISTRY = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<path>.+)$"
)


def _resolve_registry(
    config: RegistryConfig,
    ctx: _Context,
    region: str,
    container_registry: str | None,
    account_id: str | Callable[[], str] | None,
) -> tuple[RegistrySettings | None, str | None]:
    """The repositories to create and the registry the images come from."""
    issues, prefix = ctx.issues, ctx.prefix
    if not config.enabled:
        if container_registry is None:
            issues.append(
                ConfigIssue(
                    "containerRegistry",
                    None,
                    "no registry: registry.enabled is false, so the program creates none",
                    "<account>.dkr.ecr.<region>.amazonaws.com/<path> or another registry, "
                    "or registry.enabled true",
                )
            )
        return None, container_registry
    keep = int(config.keep_images or 20)
    if container_registry is None:
        repository_prefix = config.repository_prefix or prefix
        if account_id is None:
            issues.append(
                ConfigIssue(
                    "containerRegistry",
                    None,
                    "cannot default to the created repositories without the AWS account id",
                    "set containerRegistry",
                )
            )
            return RegistrySettings(repository_prefix, keep), None
        account = account_id() if callable(account_id) else account_id
        url = f"{account}.dkr.ecr.{region}.amazonaws.com/{repository_prefix}"
        return RegistrySettings(repository_prefix, keep), url
    # A configured ECR registry names the repositories the program creates: they must agree.
    match = _ECR_REGISTRY.match(container_registry)
    if match is None or match["region"] != region:
        issues.append(
            ConfigIssue(
                "containerRegistry",
                container_registry,
                "registry.enabled creates ECR repositories in this stack's region but the "
                "images would be pulled from elsewhere",
                f"unset (defaults to the created repositories), an ECR registry in {region}, "
                "or registry.enabled false",
            )
        )
        return RegistrySettings(config.repository_prefix or prefix, keep), container_registry
    if config.repository_prefix is not None and config.repository_prefix != match["path"]:
        issues.append(
            ConfigIssue(
                "registry.repositoryPrefix",
                config.repository_prefix,
                f"differs from the path of containerRegistry ({match['path']})",
                f"{match['path']}, or leave one of the two unset",
            )
        )
    return RegistrySettings(match["path"], keep), container_registry


# -------------------------------------------------------------------------------------------
# Keycloak as a catalog entry (so routing, sizing, overrides and checks treat it like any service)
# -------------------------------------------------------------------------------------------

# The official image has bash but neither curl nor wget: probe the readiness endpoint over
# bash's /dev/tcp. Keycloak serves health on the management port (9000) since version 25.
_KEYCLOAK_PROBE = (
    "exec 3<>/dev/tcp/127.0.0.1/{port} && "
    "printf 'GET {path} HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && "
    "grep -q 'HTTP/1.1 200' <&3"
)


def keycloak_environment(keycloak: KeycloakSettings, database: DatabaseSettings | None) -> dict:
    """Plain settings of the Keycloak container (credentials travel as secrets, never here)."""
    environment = {
        "KC_DB": "postgres",
        "KC_HTTP_ENABLED": "true",  # TLS ends at the ALB
        "KC_HTTP_PORT": str(keycloak.port),
        "KC_HTTP_RELATIVE_PATH": KEYCLOAK_PATH,
        "KC_HTTP_MANAGEMENT_PORT": str(keycloak.management_port),
        "KC_HEALTH_ENABLED": "true",
        "KC_PROXY_HEADERS": "xforwarded",
        # Tasks find each other through the database: no multicast on AWS.
        "KC_CACHE": "ispn",
        "KC_CACHE_STACK": "jdbc-ping",
    }
    if database is not None:
        environment["KC_DB_USERNAME"] = database.username
    return environment


def keycloak_catalog_entry(
    keycloak: KeycloakSettings, database: DatabaseSettings | None, env: Environment
) -> dict[str, Any]:
    """Keycloak shaped like a `services` catalog entry (camelCase, as in the YAML)."""
    health_path = f"{KEYCLOAK_PATH}/health/ready"
    return {
        "description": "Identity provider (Keycloak, production mode)",
        "port": keycloak.port,
        "public": True,
        "pathPatterns": [KEYCLOAK_PATH, f"{KEYCLOAK_PATH}/*"],
        "priority": keycloak.priority,
        "healthCheckPath": health_path,
        "healthCheckPort": keycloak.management_port,
        "healthCheckCommand": [
            "CMD",
            "bash",
            "-c",
            _KEYCLOAK_PROBE.format(port=keycloak.management_port, path=health_path),
        ],
        "criticality": "critical",
        "deployOrder": 5,
        "image": keycloak.image,
        # An optimized image (built for postgres, health and /auth) never rebuilds itself at
        # start, so the root filesystem stays read-only (ECS.5); see docs/DESIGN.md.
        "command": ["start", "--optimized"],
        "user": "1000",
        "writablePaths": ["/opt/keycloak/data"],
        "environment": keycloak_environment(keycloak, database),
        "sizes": {
            env: {
                "cpu": keycloak.cpu,
                "memory": keycloak.memory,
                "desiredCount": keycloak.desired_count,
            }
        },
    }
