"""Container definitions for a service's task definition, as plain data (no Pulumi resources).

The result is the `containerDefinitions` list of ECS `RegisterTaskDefinition`; tests validate it
against botocore's ECS model. Every container (sidecars too) is non-root, has a read-only root
filesystem with a writable `/tmp` volume, and logs to CloudWatch (controls ECS.4/5/9).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..stack.settings import ServiceSettings, StackSettings

TMP_VOLUME = "tmp"
XRAY_IMAGE = "public.ecr.aws/xray/aws-xray-daemon:3.x"
XRAY_CONTAINER = "xray-daemon"

# Spring Boot takes time to start; a task is not judged on health checks before this many seconds.
HEALTH_CHECK = {"interval": 30, "timeout": 5, "retries": 3, "startPeriod": 60}


def health_check_command(service: ServiceSettings) -> list[str]:
    # curl must exist in the image; images without it (Keycloak, distroless) set their own
    # command in the catalog (`healthCheckCommand`), see docs/DESIGN.md.
    if service.health_check_command:
        return list(service.health_check_command)
    port = service.health_check_port or service.port
    url = f"http://localhost:{port}{service.health_check_path}"
    return ["CMD-SHELL", f"curl -fsS {url} || exit 1"]


def volume_name(path: str) -> str:
    """Task volume for a writable path: `/opt/keycloak/data` -> `opt-keycloak-data`."""
    return path.strip("/").replace("/", "-").replace(".", "-").replace("_", "-")


def writable_mounts(service: ServiceSettings) -> list[dict[str, Any]]:
    """`/tmp` plus the service's own writable paths (the root filesystem is read-only)."""
    mounts = [{"sourceVolume": TMP_VOLUME, "containerPath": "/tmp", "readOnly": False}]
    mounts += [
        {"sourceVolume": volume_name(path), "containerPath": path, "readOnly": False}
        for path in service.writable_paths
    ]
    return mounts


def _logging(settings: StackSettings, log_group: str, prefix: str) -> dict[str, Any]:
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": log_group,
            "awslogs-region": settings.region,
            "awslogs-stream-prefix": prefix,
        },
    }


def _pairs(values: Mapping[str, str], value_key: str) -> list[dict[str, str]]:
    return [{"name": name, value_key: values[name]} for name in sorted(values)]


def container_definitions(
    settings: StackSettings,
    service: ServiceSettings,
    *,
    log_group: str,
    extra_environment: Mapping[str, str] | None = None,
    extra_secrets: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The app container, plus the X-Ray daemon sidecar when tracing is on.

    `extra_environment`/`extra_secrets` carry values the program wires itself (endpoints, ARNs of
    secrets it generates); they win over nothing: a clash is a programming error.
    """
    environment = dict(service.environment)
    secrets = dict(service.secrets)
    for extra, target in ((extra_environment, environment), (extra_secrets, secrets)):
        for key, value in (extra or {}).items():
            if key in environment or key in secrets:
                raise ValueError(f"{service.name}: {key} is both configured and wired")
            target[key] = value
    if settings.xray_tracing:
        environment["AWS_XRAY_DAEMON_ADDRESS"] = "localhost:2000"

    app: dict[str, Any] = {
        "name": service.name,
        "image": service.image,
        "essential": True,
        "portMappings": [
            {"containerPort": service.port, "hostPort": service.port, "protocol": "tcp"}
        ],
        "environment": _pairs(environment, "value"),
        "secrets": _pairs(secrets, "valueFrom"),
        "logConfiguration": _logging(settings, log_group, "ecs"),
        "healthCheck": {"command": health_check_command(service), **HEALTH_CHECK},
        "readonlyRootFilesystem": True,
        "mountPoints": writable_mounts(service),
        "user": service.user,
        "privileged": False,
        "stopTimeout": service.stop_timeout,
        # An init process reaps zombies and is what ECS Exec expects.
        "linuxParameters": {"initProcessEnabled": True},
    }
    if service.command:
        app["command"] = list(service.command)
    containers = [app]
    if settings.xray_tracing:
        containers.append(
            {
                "name": XRAY_CONTAINER,
                "image": XRAY_IMAGE,
                "essential": False,
                "cpu": 32,
                "memoryReservation": 64,
                "portMappings": [{"containerPort": 2000, "hostPort": 2000, "protocol": "udp"}],
                "logConfiguration": _logging(settings, log_group, "xray"),
                "readonlyRootFilesystem": True,
                "mountPoints": [
                    {"sourceVolume": TMP_VOLUME, "containerPath": "/tmp", "readOnly": False}
                ],
                "user": "1337",
                "privileged": False,
            }
        )
    return containers
