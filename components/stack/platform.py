"""The platform pieces the cluster and the services depend on, and how they reach the services.

`build_platform` creates, each only when its stack key switches it on: the generated secrets,
the database, the cache, the image repositories and the alarm topic. They come before the
cluster because the cluster needs their security groups (ingress from the services) and secret
ARNs (the execution role reads exactly those). `Platform` then says what every catalog service
receives: endpoints as plain environment, credentials as Secrets Manager references.
`build_documents`, `build_keycloak` and `build_monitoring` come after the cluster (task role,
security group) and the ALB (target groups, ARN suffixes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from ..compute.cluster import DataStorePeer, EcsCluster
from ..compute.registry import ImageRegistry, RegistryArgs
from ..data.cache import Cache, CacheArgs
from ..data.database import Database, DatabaseArgs
from ..data.documents import DocumentStore, DocumentStoreArgs
from ..edge.load_balancer import LoadBalancer
from ..identity.config import KEYCLOAK_SERVICE
from ..identity.keycloak import Keycloak, KeycloakArgs, secret_key_ref
from ..identity.secrets import PlatformSecrets, SecretsArgs
from ..network.layout import NetworkRefs
from ..observability.alerts import AlertTopic, AlertTopicArgs
from ..observability.monitoring import Monitoring, MonitoringArgs
from .settings import StackSettings


@dataclass(frozen=True)
class Platform:
    settings: StackSettings
    secrets: PlatformSecrets
    database: Database | None
    cache: Cache | None
    registry: ImageRegistry | None
    alerts: AlertTopic | None

    @property
    def secret_arns(self) -> list[pulumi.Input[str]]:
        """Every secret a task reads: the execution role is granted these and nothing more."""
        arns: list[pulumi.Input[str]] = list(self.secrets.arns.values())
        if self.database is not None:
            arns.append(self.database.master_secret_arn)
        return arns

    @property
    def data_stores(self) -> list[DataStorePeer]:
        stores = []
        platform = self.settings.platform
        if self.database is not None and platform.database is not None:
            stores.append(
                DataStorePeer("postgres", self.database.security_group_id, platform.database.port)
            )
        if self.cache is not None and platform.cache is not None:
            stores.append(DataStorePeer("redis", self.cache.security_group_id, platform.cache.port))
        return stores

    @property
    def alarm_actions(self) -> list[pulumi.Input[str]]:
        return [self.alerts.topic_arn] if self.alerts is not None else []

    def service_environment(
        self, documents: DocumentStore | None = None
    ) -> dict[str, pulumi.Input[str]]:
        """Plain values every catalog service gets (names: `*_ENV` in data/config.py and identity/config.py)."""
        platform = self.settings.platform
        environment: dict[str, pulumi.Input[str]] = {}
        if self.database is not None and platform.database is not None:
            environment["DATABASE_URL"] = self.database.jdbc_url
            environment["DATABASE_USERNAME"] = platform.database.username
        if self.cache is not None and platform.cache is not None:
            environment["REDIS_HOST"] = self.cache.primary_endpoint
            environment["REDIS_PORT"] = str(platform.cache.port)
        if documents is not None:
            environment["DOCUMENTS_BUCKET"] = documents.bucket_name
        return environment

    def service_secrets(self) -> dict[str, pulumi.Input[str]]:
        """Secrets Manager references every catalog service gets, never values."""
        secrets: dict[str, pulumi.Input[str]] = {}
        if self.database is not None:
            secrets["DATABASE_PASSWORD"] = secret_key_ref(
                self.database.master_secret_arn, "password"
            )
        if self.secrets.redis_auth_token_arn is not None:
            secrets["REDIS_AUTH_TOKEN"] = self.secrets.redis_auth_token_arn
        if self.secrets.jwt_secret_arn is not None:
            secrets["JWT_SECRET"] = self.secrets.jwt_secret_arn
        return secrets


def build_platform(settings: StackSettings, network: NetworkRefs) -> Platform:
    platform = settings.platform
    prefix = settings.name_prefix
    secrets = PlatformSecrets(f"{prefix}-secrets", SecretsArgs(settings))
    database = (
        Database(f"{prefix}-database", DatabaseArgs(settings, network))
        if platform.database is not None
        else None
    )
    cache = None
    if platform.cache is not None:
        assert secrets.redis_auth_token is not None
        cache = Cache(f"{prefix}-cache", CacheArgs(settings, network, secrets.redis_auth_token))
    registry = (
        ImageRegistry(f"{prefix}-images", RegistryArgs(settings))
        if platform.registry is not None
        else None
    )
    alerts = (
        AlertTopic(f"{prefix}-alerts", AlertTopicArgs(settings))
        if platform.alarms is not None
        else None
    )
    return Platform(settings, secrets, database, cache, registry, alerts)


def build_documents(settings: StackSettings, cluster: EcsCluster) -> DocumentStore | None:
    """The documents bucket, once the task role that may use it exists."""
    if settings.platform.documents is None:
        return None
    return DocumentStore(
        f"{settings.name_prefix}-documents", DocumentStoreArgs(settings, cluster.task_role_arn)
    )


def build_keycloak(
    settings: StackSettings, cluster: EcsCluster, platform: Platform, edge: LoadBalancer | None
) -> Keycloak | None:
    """Keycloak on the stack's database, behind the stack's ALB when there is one."""
    if settings.platform.keycloak is None:
        return None
    if platform.database is None or platform.secrets.keycloak_admin_arn is None:
        raise ValueError("keycloak.enabled without the database: the config resolver refuses it")
    return Keycloak(
        f"{settings.name_prefix}-identity",
        KeycloakArgs(
            settings=settings,
            cluster=cluster,
            database=platform.database,
            admin_secret_arn=platform.secrets.keycloak_admin_arn,
            public_hostname=edge.dns_name if edge is not None else None,
            load_balancer=edge.attachment(KEYCLOAK_SERVICE) if edge is not None else None,
            alarm_actions=platform.alarm_actions,
        ),
    )


def build_monitoring(
    settings: StackSettings, platform: Platform, edge: LoadBalancer | None
) -> Monitoring | None:
    """Alarms and dashboard on the stack's topic (after everything they watch exists)."""
    if platform.alerts is None:
        return None
    return Monitoring(
        f"{settings.name_prefix}-monitoring",
        MonitoringArgs(
            settings=settings,
            topic_arn=platform.alerts.topic_arn,
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
        ),
    )


def platform_outputs(
    platform: Platform, documents: DocumentStore | None, monitoring: Monitoring | None
) -> dict[str, Any]:
    """Endpoints, ARNs and names of the platform pieces: never a secret value."""
    database, cache = platform.database, platform.cache
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
        "dashboard_name": monitoring.dashboard_name if monitoring is not None else None,
    }
