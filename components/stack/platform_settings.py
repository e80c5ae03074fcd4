"""The platform keys of a stack file resolved together: each of `database`, `cache`, `secrets`,
`keycloak`, `documents`, `registry`, `alarms` (plus `protectStatefulResources`) switches one
piece on or off per stack. A field left unset takes the environment's value from
`PLATFORM_DEFAULTS` (data, below); `resolve_platform` merges the two without mutating either
and collects every problem as a `ConfigIssue`.

No AWS look-ups happen here; the account id needed for the default registry is passed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.alias_generators import to_camel

from ..compute.config import RegistryConfig, RegistrySettings
from ..data.config import (
    CACHE_ENV,
    DATABASE_ENV,
    DOCUMENTS_ENV,
    CacheConfig,
    CacheSettings,
    DatabaseConfig,
    DatabaseSettings,
    DocumentsConfig,
    DocumentsSettings,
    resolve_cache,
    resolve_database,
    resolve_documents,
)
from ..errors import ConfigIssue, Rules
from ..formats import Environment
from ..identity.config import (
    JWT_ENV,
    KeycloakConfig,
    KeycloakSettings,
    SecretsConfig,
    SecretsSettings,
    resolve_keycloak,
)
from ..observability.config import AlarmsConfig, AlarmsSettings
from .environments import ENVIRONMENTS

UNSET: Any = object()
"""In a row of `_BY_ENVIRONMENT`: this environment leaves the key to the model's default."""

# One row per key, its value in (dev, staging, prod) (`environments.ENVIRONMENTS`): an
# environment's difference is read on one line. "P control, dev waiver": a control the policy
# pack requires in prod and waives in dev.
_BY_ENVIRONMENT: dict[str, Any] = {
    "database": {
        "enabled": (True, True, True),
        "instance_class": ("db.t4g.micro", "db.t4g.small", "db.m7g.large"),
        "allocated_storage": (20, 20, 50),
        "max_allocated_storage": (100, 200, 500),
        "backup_retention_days": (7, 7, 14),
        "multi_az": (False, True, True),  # P control, dev waiver
        "deletion_protection": (False, True, True),  # P control, dev waiver
        "monitoring_interval": (0, 60, 60),  # P control, dev waiver
    },
    "cache": {
        "enabled": (True, True, True),
        # Dev: serverless Valkey, ~100 MB of data billed, no idle node (issue: dev at $60).
        "serverless": (True, UNSET, UNSET),
        "node_type": ("cache.t4g.micro", "cache.t4g.small", "cache.m7g.large"),
        "nodes": (1, 2, 2),  # P control, dev waiver
        "snapshot_retention_days": (0, 1, 7),  # P control, dev waiver
    },
    "secrets": {
        "recovery_window_days": (7, 30, 30),
        # Dev: SecureString parameters, free, where Secrets Manager bills $0.40 a secret-month.
        "store": ("parameterStore", "secretsManager", "secretsManager"),
    },
    "keycloak": {
        "enabled": (True, True, True),
        "cpu": (512, 1024, 1024),
        # Keycloak's sizing guide: a 1360 MB container limit whatever the load (identity/sizing.py).
        "memory": (2048, 2048, 2048),
        "desired_count": (1, 2, 2),
    },
    "documents": {
        "enabled": (True, True, True),
        "noncurrent_version_expiration_days": (60, 90, 365),
        # Dev waives S3.9: no audit need, and every request would add a log object.
        "access_logs": (False, True, True),
        # Dev: SSE-KMS under the account's aws/s3 key, no key of the stack's own to pay for.
        "customer_managed_key": (False, True, True),
    },
    "registry": {"enabled": (True, True, True), "keep_images": (10, 20, 50)},
    "alarms": {"enabled": (True, True, True)},
    "protect_stateful_resources": (False, True, True),
}


def _column(table: Mapping[str, Any], index: int) -> dict[str, Any]:
    """One environment's values of a `_BY_ENVIRONMENT` table (its UNSET keys left out)."""
    found: dict[str, Any] = {}
    for key, row in table.items():
        value = _column(row, index) if isinstance(row, Mapping) else row[index]
        if value is not UNSET:
            found[key] = value
    return found


PLATFORM_DEFAULTS: dict[Environment, dict[str, Any]] = {
    env: _column(_BY_ENVIRONMENT, index) for index, env in enumerate(ENVIRONMENTS)
}
"""Each environment's platform keys (snake_case, as the models' fields)."""


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


def _merged(section: BaseModel | None, defaults: Mapping[str, Any], model: type[BaseModel]):
    """The section's explicit values over the environment's defaults (neither is mutated)."""
    base = model.model_validate({to_camel(k): v for k, v in defaults.items()})
    if section is None:
        return base
    return base.model_copy(update=section.model_dump(exclude_none=True, exclude_unset=True))


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
    security_log_retention_days: int = 365,
) -> PlatformSettings:
    """Resolve every platform key; append each problem to `issues` (all at once).

    `account_id` (a value or a look-up called only when needed) builds the default
    `containerRegistry` when the stack creates its repositories and does not name a registry.
    """
    defaults = PLATFORM_DEFAULTS[env]
    ctx = Rules(env, f"{project}-{env}", issues)

    def merged(key: str, model: type[BaseModel]) -> Any:
        return _merged(sections.get(key), defaults[key], model)

    database_config: DatabaseConfig = merged("database", DatabaseConfig)
    database = resolve_database(database_config, ctx)
    cache = resolve_cache(merged("cache", CacheConfig), ctx)
    secrets_config: SecretsConfig = merged("secrets", SecretsConfig)
    secrets = SecretsSettings(
        prefix=f"{project}/{env}",
        jwt_secret=secrets_config.jwt_secret,
        recovery_window_days=int(secrets_config.recovery_window_days or 30),
        store=str(secrets_config.store),
    )
    registry, container_registry = _resolve_registry(
        merged("registry", RegistryConfig), ctx, region, container_registry, account_id
    )
    keycloak = resolve_keycloak(
        merged("keycloak", KeycloakConfig),
        database_config,
        database,
        container_registry,
        ctx,
    )
    documents = resolve_documents(
        merged("documents", DocumentsConfig),
        ctx,
        security_log_retention_days=security_log_retention_days,
    )
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


_ECR_REGISTRY = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<path>.+)$"
)


def _resolve_registry(
    config: RegistryConfig,
    ctx: Rules,
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

    def chosen(prefix_: str, account: str | None) -> RegistrySettings:
        return RegistrySettings(
            prefix_,
            keep,
            pull_account_ids=tuple(config.pull_account_ids),
            promote_from=_promote_from(config, ctx, region, account),
        )

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
            return chosen(repository_prefix, None), None
        account = account_id() if callable(account_id) else account_id
        url = f"{account}.dkr.ecr.{region}.amazonaws.com/{repository_prefix}"
        return chosen(repository_prefix, account), url
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
        return chosen(config.repository_prefix or prefix, None), container_registry
    if config.repository_prefix is not None and config.repository_prefix != match["path"]:
        issues.append(
            ConfigIssue(
                "registry.repositoryPrefix",
                config.repository_prefix,
                f"differs from the path of containerRegistry ({match['path']})",
                f"{match['path']}, or leave one of the two unset",
            )
        )
    return chosen(match["path"], match["account"]), container_registry


PROMOTED_FROM: dict[str, str] = {"staging": "dev", "prod": "staging"}
"""Each stack's images are the previous stack's (CI builds once, for dev, and promotes)."""


def _promote_from(
    config: RegistryConfig, ctx: Rules, region: str, account: str | None
) -> str | None:
    """The repositories the deploy job copies this stack's images from: `registry.promoteFrom`,
    else the previous stack's in this account (`<project>-<previous env>`)."""
    if config.promote_from is not None:
        if ctx.env not in PROMOTED_FROM:
            ctx.issues.append(
                ConfigIssue(
                    "registry.promoteFrom",
                    config.promote_from,
                    "dev's images are built, not promoted",
                    "unset in dev",
                )
            )
        return config.promote_from
    previous = PROMOTED_FROM.get(ctx.env)
    if previous is None or account is None:
        return None
    project = ctx.prefix.removesuffix(f"-{ctx.env}")
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{project}-{previous}"
