"""Generated `application.yml` per Spring Boot service, for Spring Boot 3.

The seed's example used Spring Boot 2 keys; Boot 3 moved them: `spring.redis.*` became
`spring.data.redis.*` and `management.metrics.export.cloudwatch.*` became
`management.cloudwatch.metrics.export.*` (Spring Cloud AWS 3's CloudWatch registry). Health is
split in Spring's liveness and readiness groups (the container check and the load balancer);
traces go over OTLP (`management.otlp.tracing.endpoint`) to the task's collector when the
service is traced, and tracing is off otherwise. Service discovery is Cloud Map DNS, so a
service calls the services it declares in `calls` by `<service>.<namespace>:<port>` and no
Eureka server is needed.
"""

from __future__ import annotations

from typing import Any

import yaml

from .settings import ServiceSettings, StackSettings


def internal_url(settings: StackSettings, service: ServiceSettings) -> str:
    return f"http://{service.name}.{settings.namespace}:{service.port}"


def metrics_namespace(settings: StackSettings, service: ServiceSettings) -> str:
    """The CloudWatch namespace the service's generated configuration exports metrics to,
    `<project>/<env>/<service>`: its task role may publish there and nowhere else
    (`cloudwatch:namespace`), so no service can write another's metrics."""
    return f"{settings.project}/{settings.environment}/{service.name}"


def application_config(settings: StackSettings, service: ServiceSettings) -> dict[str, Any]:
    """Only what the service uses and calls: a datasource with `uses.database`, Redis with
    `uses.cache`, the URLs of the services in `calls`."""
    by_name = {s.name: s for s in settings.services}
    spring: dict[str, Any] = {
        "application": {"name": service.name},
        "lifecycle": {"timeout-per-shutdown-phase": f"{max(service.stop_timeout - 10, 1)}s"},
    }
    if service.port is None:
        spring["main"] = {"web-application-type": "none"}
    if service.uses.database:
        spring["datasource"] = {
            "url": "${DATABASE_URL}",
            "username": "${DATABASE_USERNAME}",
            "password": "${DATABASE_PASSWORD}",
        }
    cache = settings.platform.cache
    # The cache authenticates its user with IAM: no password here; the application's Lettuce
    # credentials provider signs a token per connection from `<project>.redis` (docs/DESIGN.md,
    # "The cache's IAM authentication").
    if service.uses.cache and cache is not None and cache.serverless:
        # A serverless cache speaks the cluster protocol.
        spring["data"] = {
            "redis": {
                "cluster": {"nodes": "${REDIS_HOST}:${REDIS_PORT:6379}"},
                "username": "${REDIS_USERNAME}",
                "ssl": {"enabled": True},
            }
        }
    elif service.uses.cache:
        spring["data"] = {
            "redis": {
                "host": "${REDIS_HOST}",
                "port": "${REDIS_PORT:6379}",
                "username": "${REDIS_USERNAME}",
                "ssl": {"enabled": True},
            }
        }
    if service.uses.keycloak:
        # One issuer: the public one the tokens carry, checked without calling it; the keys
        # fetched from Keycloak over the private network (docs/DESIGN.md, "One issuer").
        jwt = {"jwk-set-uri": "${KEYCLOAK_JWK_SET_URI}", "issuer-uri": "${KEYCLOAK_ISSUER_URI:}"}
        spring["security"] = {"oauth2": {"resourceserver": {"jwt": jwt}}}
    config: dict[str, Any] = {}
    if service.port is not None:
        config["server"] = {"port": service.port, "shutdown": "graceful"}
    config["spring"] = spring
    config["management"] = {
        "endpoints": {"web": {"exposure": {"include": "health,info,metrics,prometheus"}}},
        "endpoint": {
            "health": {
                "show-details": "when-authorized",
                "probes": {"enabled": True},
                # Pinned to Spring's defaults on purpose: the container check (liveness) and
                # the load balancer (readiness) hold no external system, so a database or Redis
                # failover never replaces healthy tasks (docs/DESIGN.md).
                "group": {
                    "liveness": {"include": "livenessState"},
                    "readiness": {"include": "readinessState"},
                },
            }
        },
        # Traces to the collector sidecar's OTLP endpoint (its environment), or none at all.
        "tracing": {"enabled": service.tracing},
        **(
            {"otlp": {"tracing": {"endpoint": "${OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces"}}}
            if service.tracing
            else {}
        ),
        # Spring Cloud AWS's CloudWatch registry (spring-cloud-aws-starter-metrics): its task
        # role may publish to this namespace only.
        "cloudwatch": {
            "metrics": {
                "export": {"enabled": True, "namespace": metrics_namespace(settings, service)}
            }
        },
    }
    own: dict[str, Any] = {}
    calls = {c: internal_url(settings, by_name[c]) for c in service.calls if c in by_name}
    if calls:
        own["services"] = calls
    if service.uses.cache and cache is not None:
        own["redis"] = {
            "auth-mode": "${REDIS_AUTH_MODE}",
            "cache-name": "${REDIS_CACHE_NAME}",
            "region": "${REDIS_REGION}",
            "serverless": cache.serverless,
        }
    if service.uses.keycloak:
        own["keycloak"] = {"url": "${KEYCLOAK_URL}"}
    if service.uses.documents is not None:
        own["documents"] = {"bucket": "${DOCUMENTS_BUCKET}"}
    if own:
        config[settings.project] = own
    return config


def application_yaml(settings: StackSettings, service: ServiceSettings) -> str:
    return yaml.safe_dump(application_config(settings, service), sort_keys=False)
