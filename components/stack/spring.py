"""Generated `application.yml` per Spring Boot service, for Spring Boot 3.

The seed's example used Spring Boot 2 keys; Boot 3 moved them: `spring.redis.*` became
`spring.data.redis.*` and `management.metrics.export.cloudwatch.*` became
`management.cloudwatch.metrics.export.*`. Service discovery is Cloud Map DNS, so the services
call each other by `<service>.<namespace>:<port>` and no Eureka server is needed.
"""

from __future__ import annotations

from typing import Any

import yaml

from .settings import ServiceSettings, StackSettings


def internal_url(settings: StackSettings, service: ServiceSettings) -> str:
    return f"http://{service.name}.{settings.namespace}:{service.port}"


def application_config(settings: StackSettings, service: ServiceSettings) -> dict[str, Any]:
    others = {
        other.name: internal_url(settings, other)
        for other in settings.services
        if other.name != service.name
    }
    return {
        "server": {"port": service.port, "shutdown": "graceful"},
        "spring": {
            "application": {"name": service.name},
            "lifecycle": {"timeout-per-shutdown-phase": f"{max(service.stop_timeout - 10, 1)}s"},
            "datasource": {
                "url": "${DATABASE_URL}",
                "username": "${DATABASE_USERNAME}",
                "password": "${DATABASE_PASSWORD}",
            },
            "data": {
                "redis": {
                    "host": "${REDIS_HOST}",
                    "port": "${REDIS_PORT:6379}",
                    "password": "${REDIS_AUTH_TOKEN}",
                    "ssl": {"enabled": True},
                }
            },
        },
        "management": {
            "endpoints": {"web": {"exposure": {"include": "health,info,metrics,prometheus"}}},
            "endpoint": {
                "health": {"show-details": "when-authorized", "probes": {"enabled": True}}
            },
            "cloudwatch": {
                "metrics": {
                    "export": {
                        "enabled": True,
                        "namespace": f"{settings.project}/{settings.environment}",
                    }
                }
            },
        },
        settings.project: {"services": others},
    }


def application_yaml(settings: StackSettings, service: ServiceSettings) -> str:
    return yaml.safe_dump(application_config(settings, service), sort_keys=False)
