"""Container definitions of a service's task definition, as plain data (no Pulumi resources).

The result is the `containerDefinitions` list of ECS `RegisterTaskDefinition`; tests validate it
against botocore's ECS model. Every container (sidecars too) is non-root, has a read-only root
filesystem with a writable `/tmp` volume, and logs to CloudWatch (controls ECS.4/5/9); with
tracing on, the OpenTelemetry collector (`telemetry.py`) runs beside the application, and the
application container's hard memory limit is what the task's sidecars leave it
(`app_memory_mib`). With ECS Exec on, each container also gets writable volumes where the SSM
agent ECS injects writes (`EXEC_AGENT_PATHS`): the root stays read-only and `aws ecs
execute-command` still works.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from ..errors import ConfigIssue
from .sidecars import (
    LOG_ROUTER,
    FireLensArgs,
    SidecarArgs,
    firelens_log_configuration,
    log_router_definition,
    sidecar_definition,
    sidecar_volume,
)
from .telemetry import COLLECTOR_CONTAINER, COLLECTOR_MEMORY_MIB, collector_container

TMP_VOLUME = "tmp"
DEFAULT_HEALTH_PATH = "/health"
"""HTTP services that say nothing are probed here; Spring Boot services on their liveness and
readiness groups (`/actuator/health/liveness`, `/actuator/health/readiness`)."""
SERVICE_CONNECT_PROXY_MIB = 64
"""What the task keeps for the Service Connect proxy container ECS adds to it (the figure the
ECS developer guide's "Service Connect components" page recommends adding to the task)."""

MIN_APP_MEMORY_MIB = 128
"""What the application container keeps at least once the sidecars took theirs."""

EXEC_AGENT_PATHS = ("/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm")
"""Where the SSM agent of ECS Exec writes; on a read-only root it crashes unless these are
writable volumes (aws/containers-roadmap#1359, the workaround its reporter runs)."""
EXEC_VOLUME_PREFIX = {"app": "exec-app", "collector": "exec-collector"}
"""Each container's agent gets volumes of its own: two agents never share their state."""

# Health-check timing: Spring Boot takes time to start, so a task is not judged on its health
# checks before 60 seconds.
HEALTH_CHECK_TIMING = {"interval": 30, "timeout": 5, "retries": 3, "startPeriod": 60}


THC_COMMAND = "/workspace/health-check"
"""Where Paketo's health-checker buildpack links its tiny health checker (`thc`), which asks
`http://localhost:$THC_PORT$THC_PATH` (paketo-buildpacks/health-checker, dmikusa/
tiny-health-checker): the check of an image with neither a shell nor curl."""


@dataclass(frozen=True)
class HttpHealthCheck:
    """`GET http://localhost:<port><path>` must answer 2xx, asked by `tool` in the image:
    `curl` (through /bin/sh) or `thc` (`THC_COMMAND`, configured by THC_PORT/THC_PATH)."""

    path: str = DEFAULT_HEALTH_PATH
    port: int | None = None
    """Default: the container port."""
    tool: str = "curl"


@dataclass(frozen=True)
class CommandHealthCheck:
    """A command in the container (`["CMD", ...]` or `["CMD-SHELL", "..."]`) exiting 0."""

    command: Sequence[str]


@dataclass(frozen=True)
class RestartPolicy:
    """ECS restarts an exited container in place, at most once per `restart_attempt_period`
    seconds of successful running (ECS developer guide, "Restart individual containers")."""

    ignored_exit_codes: Sequence[int] = ()
    """Exit codes that end the container for good (at most 50)."""
    restart_attempt_period: int = 300
    """60 to 1800 seconds."""

    def problems(self) -> list[str]:
        found = []
        if not 60 <= self.restart_attempt_period <= 1800:
            found.append(f"restart_attempt_period {self.restart_attempt_period} is not 60-1800")
        if len(self.ignored_exit_codes) > 50:
            found.append("more than 50 ignored exit codes")
        return found

    def definition(self) -> dict[str, Any]:
        """The container definition's `restartPolicy`."""
        policy: dict[str, Any] = {
            "enabled": True,
            "restartAttemptPeriod": self.restart_attempt_period,
        }
        if self.ignored_exit_codes:
            policy["ignoredExitCodes"] = list(self.ignored_exit_codes)
        return policy


@dataclass(frozen=True)
class RegistryCredentials:
    """Credentials of a private registry (ghcr.io, Docker Hub, Quay) for the image: a Secrets
    Manager secret holding `{"username": ..., "password": ...}`. The execution role may read
    that secret only (and decrypt with `kms_key_arn` when the secret uses a key of one's own)."""

    secret_arn: str
    """`arn:aws:secretsmanager:<region>:<account>:secret:<name>` (ECS's
    `repositoryCredentials.credentialsParameter`)."""
    kms_key_arn: str | None = None
    """The customer managed key the secret is encrypted with; None = the AWS managed key."""

    def problems(self, where: str) -> list[str]:
        found = []
        if not re.fullmatch(
            r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+",
            self.secret_arn,
        ):
            found.append(
                f"{where}.secret_arn {self.secret_arn!r} is not a Secrets Manager secret ARN "
                "(arn:aws:secretsmanager:<region>:<account>:secret:<name>)"
            )
        if self.kms_key_arn is not None and not re.fullmatch(
            r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+", self.kms_key_arn
        ):
            found.append(
                f"{where}.kms_key_arn {self.kms_key_arn!r} is not a KMS key ARN "
                "(arn:aws:kms:<region>:<account>:key/<id>)"
            )
        return found


@dataclass(frozen=True)
class ContainerArgs:
    """The application container of a service."""

    image: pulumi.Input[str]
    """Full reference with a tag or digest. An Output is accepted (an image built or pushed in
    the same program, `docker_build.Image.ref`, an ECR repository's URL with a tag): the task
    definition and the execution role's pull permission are written once it resolves (an ECR
    image's repository is read from it then; another registry's image gets no ECR statement)."""
    port: int | None = None
    """The port the process listens on; None for a worker (no load balancer, no discovery)."""
    health_check: HttpHealthCheck | CommandHealthCheck | None = None
    """None: HTTP on `/health` for a service with a port; a worker must give a command."""
    command: Sequence[str] | None = None
    user: str = "1000"
    """Non-root uid[:gid]."""
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Plain variables; never secret values (those go in `secrets`)."""
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Variable -> Secrets Manager secret or SSM parameter ARN (`valueFrom`)."""
    stop_timeout: int = 120
    """Seconds between SIGTERM and SIGKILL (Fargate max 120)."""
    writable_paths: Sequence[str] = ()
    """Writable volumes besides /tmp (the root filesystem is read-only)."""
    restart_policy: RestartPolicy | None = None
    """Restart the process in place when it exits; None = ECS replaces the task."""
    repository_credentials: RegistryCredentials | None = None
    """Pull the image from a private registry with these credentials; None = ECR (the
    execution role's pull on the image's repository) or a public image."""

    def checked_health(self) -> HttpHealthCheck | CommandHealthCheck:
        if self.health_check is not None:
            return self.health_check
        if self.port is None:
            raise ValueError(
                "a container without a port (a worker) needs a CommandHealthCheck: there is no "
                "HTTP endpoint to probe"
            )
        return HttpHealthCheck()


def repository_credentials_issues(container: ContainerArgs) -> list[ConfigIssue]:
    """The problems of the container's private registry credentials, at
    `container.repository_credentials` (none without credentials)."""
    credentials = container.repository_credentials
    if credentials is None:
        return []
    where = "container.repository_credentials"
    return [
        ConfigIssue(where, credentials.secret_arn, problem)
        for problem in credentials.problems(where)
    ]


def health_check_command(container: ContainerArgs) -> list[str]:
    check = container.checked_health()
    if isinstance(check, CommandHealthCheck):
        return list(check.command)
    if check.tool not in ("curl", "thc"):
        raise ValueError(f"HttpHealthCheck.tool {check.tool!r}: allowed curl or thc")
    if check.tool == "thc":
        return ["CMD", THC_COMMAND]  # its port and path: health_check_environment
    # curl must exist in the image; images without it (Keycloak, distroless, Python slim) give
    # a command instead (`healthCheckCommand`) or use thc: docs/IMAGE-CONTRACT.md.
    url = f"http://localhost:{check.port or container.port}{check.path}"
    return ["CMD-SHELL", f"curl -fsS {url} || exit 1"]


def health_check_environment(container: ContainerArgs) -> dict[str, str]:
    """What the health checker reads from the container's environment (thc: THC_PORT and
    THC_PATH; curl takes its URL on the command line)."""
    check = container.checked_health() if container.port is not None else container.health_check
    if not isinstance(check, HttpHealthCheck) or check.tool != "thc":
        return {}
    return {"THC_PORT": str(check.port or container.port), "THC_PATH": check.path}


def volume_name(path: str) -> str:
    """Task volume for a writable path: `/opt/keycloak/data` -> `opt-keycloak-data`."""
    return path.strip("/").replace("/", "-").replace(".", "-").replace("_", "-")


def writable_paths(container: ContainerArgs) -> list[str]:
    """`/tmp` first, then the container's own writable paths."""
    return ["/tmp", *container.writable_paths]


def _exec_volumes(role: str, own: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(volume, path) of one container's ECS Exec agent; paths the container already mounts
    writable (`own`) are left to its own volume."""
    prefix = EXEC_VOLUME_PREFIX.get(role, f"exec-{role}")
    return [(f"{prefix}-{volume_name(p)}", p) for p in EXEC_AGENT_PATHS if p not in own]


def _own_containers(sidecars: Sequence[SidecarArgs], firelens: FireLensArgs | None) -> list[str]:
    """Names of one's own sidecars and the log router: each has volumes of its own."""
    return [s.name for s in sidecars] + ([LOG_ROUTER] if firelens is not None else [])


def task_volumes(
    container: ContainerArgs,
    *,
    execute_command: bool = False,
    xray: bool = False,
    sidecars: Sequence[SidecarArgs] = (),
    firelens: FireLensArgs | None = None,
) -> list[dict[str, str]]:
    """The task definition's `volumes`: one bind volume per writable path, and with
    `execute_command` the agent's volumes of the app container (and of the collector sidecar
    when `xray`, the tracing switch); a /tmp (and agent volumes) per sidecar of one's own and
    for the log router. EFS volumes are added by the component (they name its access points)."""
    volumes = [{"name": TMP_VOLUME}] + [{"name": volume_name(p)} for p in container.writable_paths]
    if execute_command:
        volumes += [{"name": v} for v, _ in _exec_volumes("app", container.writable_paths)]
        if xray:
            volumes += [{"name": v} for v, _ in _exec_volumes("collector")]
    for own in _own_containers(sidecars, firelens):
        volumes.append({"name": sidecar_volume(own)})
        if execute_command:
            volumes += [{"name": v} for v, _ in _exec_volumes(own)]
    return volumes


def sidecar_memory_mib(*, xray: bool = False, service_connect: bool = False, own: int = 0) -> int:
    """What the task's sidecars take of its memory: the collector's hard limit with tracing,
    the Service Connect proxy's share with Service Connect, and `own`: one's own sidecars' and
    the log router's hard limits (`sidecars.sidecars_memory_mib`)."""
    return (
        (COLLECTOR_MEMORY_MIB if xray else 0)
        + (SERVICE_CONNECT_PROXY_MIB if service_connect else 0)
        + own
    )


def app_memory_mib(
    task_memory: int, *, xray: bool = False, service_connect: bool = False, own: int = 0
) -> int:
    """The application container's hard memory limit: the task's memory minus its sidecars'.
    The JVM sizes its heap from this limit (it reads the container's cgroup)."""
    return task_memory - sidecar_memory_mib(xray=xray, service_connect=service_connect, own=own)


def _exec_mounts(role: str, own: Sequence[str] = ()) -> list[dict[str, Any]]:
    return [
        {"sourceVolume": volume, "containerPath": path, "readOnly": False}
        for volume, path in _exec_volumes(role, own)
    ]


def _mounts(container: ContainerArgs, *, execute_command: bool) -> list[dict[str, Any]]:
    mounts = [{"sourceVolume": TMP_VOLUME, "containerPath": "/tmp", "readOnly": False}]
    mounts += [
        {"sourceVolume": volume_name(path), "containerPath": path, "readOnly": False}
        for path in container.writable_paths
    ]
    if execute_command:
        mounts += _exec_mounts("app", container.writable_paths)
    return mounts


def _logging(region: str, log_group: str, prefix: str) -> dict[str, Any]:
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": log_group,
            "awslogs-region": region,
            "awslogs-stream-prefix": prefix,
        },
    }


def _pairs(values: Mapping[str, str], value_key: str) -> list[dict[str, str]]:
    return [{"name": name, value_key: values[name]} for name in sorted(values)]


def container_definitions(
    name: str,
    container: ContainerArgs,
    *,
    region: str,
    log_group: str,
    environment: Mapping[str, str],
    secrets: Mapping[str, str],
    xray: bool = False,
    execute_command: bool = False,
    port_name: str | None = None,
    health_check: bool = True,
    memory: int | None = None,
    sidecars: Sequence[SidecarArgs] = (),
    firelens: FireLensArgs | None = None,
    extra_mounts: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """The app container named `name`, plus the OpenTelemetry collector sidecar sending traces
    to X-Ray when `xray`; with `execute_command`, the volumes ECS Exec's agent writes to are
    mounted in each. `memory` is the app container's hard limit (`app_memory_mib`), what a JVM
    in it sizes its heap from; None leaves it to the task's.

    `health_check=False` for a task that runs to completion: ECS acts on a container's health
    only for a service's tasks ("a task run manually continues its lifecycle regardless of its
    health status", `HealthCheck` in the ECS API reference), so a check would only cost CPU.

    `environment` and `secrets` are the container's, with the bindings' merged in and every
    output resolved (the caller resolves them). `sidecars` are one's own (after the collector),
    `firelens` routes the app's logs through the log router (last), `extra_mounts` are the
    app's EFS mounts."""
    app: dict[str, Any] = {
        "name": name,
        "image": container.image,
        "essential": True,
        **({"memory": memory} if memory is not None else {}),
        "portMappings": (
            [
                {
                    "containerPort": container.port,
                    "hostPort": container.port,
                    "protocol": "tcp",
                    # Service Connect finds the port by name and proxies it as HTTP.
                    **({"name": port_name, "appProtocol": "http"} if port_name else {}),
                }
            ]
            if container.port is not None
            else []
        ),
        "environment": _pairs(
            {**environment, **(health_check_environment(container) if health_check else {})},
            "value",
        ),
        "secrets": _pairs(secrets, "valueFrom"),
        "logConfiguration": (
            firelens_log_configuration(
                firelens, region=region, log_group=log_group, stream_prefix="ecs"
            )
            if firelens is not None
            else _logging(region, log_group, "ecs")
        ),
        **(
            {"healthCheck": {"command": health_check_command(container), **HEALTH_CHECK_TIMING}}
            if health_check
            else {}
        ),
        "readonlyRootFilesystem": True,
        "mountPoints": [*_mounts(container, execute_command=execute_command), *extra_mounts],
        "user": container.user,
        "privileged": False,
        "stopTimeout": container.stop_timeout,
        # An init process reaps zombies and is what ECS Exec expects.
        "linuxParameters": {"initProcessEnabled": True},
    }
    if container.command:
        app["command"] = list(container.command)
    if container.restart_policy is not None:
        app["restartPolicy"] = container.restart_policy.definition()
    if container.repository_credentials is not None:
        app["repositoryCredentials"] = {
            "credentialsParameter": container.repository_credentials.secret_arn
        }
    companions, waits = _companions(
        region=region,
        log_group=log_group,
        xray=xray,
        execute_command=execute_command,
        sidecars=sidecars,
        firelens=firelens,
    )
    if waits:
        app["dependsOn"] = waits
    return [app, *companions]


def _companions(
    *,
    region: str,
    log_group: str,
    xray: bool,
    execute_command: bool,
    sidecars: Sequence[SidecarArgs],
    firelens: FireLensArgs | None,
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The containers beside the application, in task order (the collector, one's own
    sidecars, the log router), and what the application waits for in them (`dependsOn`)."""
    containers: list[dict[str, Any]] = []
    waits: list[dict[str, str]] = []
    if xray:
        # The application's first spans should find the collector listening.
        waits.append({"containerName": COLLECTOR_CONTAINER, "condition": "START"})
        containers.append(
            collector_container(
                region=region,
                logging=_logging(region, log_group, "otel"),
                mounts=[
                    {"sourceVolume": TMP_VOLUME, "containerPath": "/tmp", "readOnly": False},
                    *(_exec_mounts("collector") if execute_command else []),
                ],
            )
        )
    for sidecar in sidecars:
        containers.append(
            sidecar_definition(
                sidecar,
                logging=_logging(region, log_group, sidecar.name),
                mounts=_exec_mounts(sidecar.name) if execute_command else [],
            )
        )
        if sidecar.app_waits_for is not None:
            waits.append({"containerName": sidecar.name, "condition": sidecar.app_waits_for})
    if firelens is not None:
        # Stated, not left to ECS's implicit order: a dependsOn of the app replaces it.
        waits.append({"containerName": LOG_ROUTER, "condition": "START"})
        containers.append(
            log_router_definition(
                firelens,
                logging=_logging(region, log_group, "firelens"),
                mounts=_exec_mounts(LOG_ROUTER) if execute_command else [],
            )
        )
    return containers, waits
