"""The stack's health probe (`healthProbe`): a task of the catalog, `health-probe`, that asks
every internal health URL from inside the VPC.

The promotion gate runs it after each deploy (`python -m tools.gate`, which points it at every
running task of every service by address); on a schedule (staging and prod by default) it asks
the services' Cloud Map names, and its failure alarm says a service stopped answering between
deploys. A service on Service Connect has no DNS record (ECS registers it for the proxies only)
and a task has no proxy, so the scheduled probe leaves those services out: where the program
puts them there (a called BLUE_GREEN, LINEAR or CANARY service and its callers), they are behind
the ALB, whose target groups check every task, and their unhealthy-targets and running-task
alarms speak for them. A stack entirely on Service Connect (`serviceConnect.enabled: true`) has
no DNS record left to ask: its probe runs for the gate alone. Its image is built from
images/health-probe and released like any other; it reaches each service on its health port
(egress on its own group, ingress on the service's: `graph.task_paths`), calls nothing through
the services' URLs, and nothing reaches it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..compute.config import HEALTH_PROBE_SCHEDULED, HealthProbeConfig, TaskSpec
from ..errors import ConfigIssue
from .settings import ServiceSettings

HEALTH_PROBE = "health-probe"
HEALTH_URLS_VARIABLE = "HEALTH_CHECK_URLS"


def health_port(service: ServiceSettings) -> int | None:
    """Where a service answers its HTTP health check (Keycloak: its management port)."""
    return service.health_check_port or service.port


def health_url(service: ServiceSettings, namespace: str) -> str | None:
    """`http://<service>.<namespace>:<health port><health path>`, None for a worker."""
    if service.port is None or service.health_check_path is None:
        return None
    return f"http://{service.name}.{namespace}:{health_port(service)}{service.health_check_path}"


def health_urls(services: Sequence[ServiceSettings], namespace: str) -> dict[str, str]:
    return {s.name: url for s in services if (url := health_url(s, namespace)) is not None}


def dns_health_urls(services: Sequence[ServiceSettings], namespace: str) -> dict[str, str]:
    """The health URLs a task can resolve: those of the services with a Cloud Map DNS record
    (not on Service Connect)."""
    return health_urls([s for s in services if s.connect is None], namespace)


def probe_spec(
    config: HealthProbeConfig,
    *,
    environment: str,
    services: Sequence[ServiceSettings],
    namespace: str,
    service_connect: bool,
    issues: list[ConfigIssue],
) -> TaskSpec | None:
    """The probe as a task of the stack file would declare it, or None when it is off."""
    if not config.enabled:
        return None
    if service_connect and config.scheduled:
        issues.append(
            ConfigIssue(
                "healthProbe.scheduled",
                True,
                "on Service Connect the services have no DNS records a scheduled probe could ask "
                "(the deploy's gate still asks every task by address)",
                "false (or unset), or serviceConnect.enabled: false",
            )
        )
    scheduled = (
        config.scheduled if config.scheduled is not None else HEALTH_PROBE_SCHEDULED[environment]
    ) and not service_connect
    urls = {} if service_connect else dns_health_urls(services, namespace)
    return TaskSpec.model_validate(
        {
            "description": "Asks every internal health URL from inside the VPC",
            "environment": {HEALTH_URLS_VARIABLE: json.dumps(urls, sort_keys=True)},
            "sizes": {environment: {"cpu": 256, "memory": 512}},
            **({"schedule": config.schedule.model_dump(by_alias=True)} if scheduled else {}),
        }
    )
