"""Sidecar containers of one's own and the FireLens log router, as plain data (no resources).

A sidecar runs beside the application container in the same task, hardened like it (non-root,
read-only root with a `/tmp` volume of its own, not privileged, logs to the service's log group
under its own stream prefix, an init process). Its hard memory limit comes out of the task's:
the application container gets what the sidecars leave (`containers.app_memory_mib`). Start
order is ECS's `dependsOn`: the application waits for a sidecar (`app_waits_for`), a sidecar for
other sidecars (`depends_on`), with the conditions ECS knows (START, COMPLETE, SUCCESS,
HEALTHY); the rules ECS enforces (a HEALTHY target has a health check, a COMPLETE/SUCCESS target
is not essential, no cycle) are checked here before anything is registered (`sidecar_problems`).

FireLens (`FireLensArgs`) adds the `log-router` container (AWS for Fluent Bit at a pinned
release, `FLUENT_BIT_IMAGE`) and routes the application container's logs through it: to the
service's own CloudWatch log group by default (Fluent Bit's `cloudwatch_logs` output, writing
with the task role), or to any Fluent Bit output given by its options, with secret options read
from Secrets Manager or SSM by the execution role. The router's own logs go to CloudWatch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import ConfigIssue

Condition = Literal["START", "COMPLETE", "SUCCESS", "HEALTHY"]
CONDITIONS: tuple[str, ...] = ("START", "COMPLETE", "SUCCESS", "HEALTHY")

FLUENT_BIT_VERSION = "3.4.16"
"""AWS for Fluent Bit 3.x (Amazon Linux 2023, Fluent Bit 4.x), the latest 3.x release found
(aws/aws-for-fluent-bit releases, v3.4.16; the 2.x line reached end of life on 2026-06-30)."""
FLUENT_BIT_IMAGE = f"public.ecr.aws/aws-observability/aws-for-fluent-bit:{FLUENT_BIT_VERSION}"
LOG_ROUTER = "log-router"
LOG_ROUTER_USER = "0"
"""FireLens runs Fluent Bit as root: the router creates the unix socket the other containers'
log driver writes to in a directory only root may write (aws/containers-roadmap#2122). The
policy pack's non-root control accepts this one container (docs/DESIGN.md)."""
LOG_ROUTER_MEMORY_MIB = 128
RESERVED_NAMES = frozenset({LOG_ROUTER, "otel-collector", "ecs-service-connect"})
"""Container names the component adds itself (the collector, Service Connect's proxy)."""
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")


@dataclass(frozen=True)
class SidecarArgs:
    """A container of one's own beside the application (a proxy, an agent, an init step)."""

    name: str
    """Container name: letters, digits, '-' and '_' (unique in the task)."""
    image: str
    """Full reference with a tag or digest."""
    memory: int
    """Hard limit in MiB, taken from the task's memory (the application gets the rest)."""
    cpu: int = 0
    """CPU units reserved for it (0 = shares the task's)."""
    port: int | None = None
    """A port it listens on (reached on localhost by the application; never by a load
    balancer)."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """Plain variables; never secret values (those go in `secrets`)."""
    secrets: Mapping[str, str] = field(default_factory=dict)
    """Variable -> Secrets Manager secret or SSM parameter ARN (the execution role reads it)."""
    essential: bool = True
    """The task stops when it stops; False for an init step that runs to completion."""
    health_check: Sequence[str] | None = None
    """`["CMD", ...]` or `["CMD-SHELL", "..."]`; needed when something waits for it HEALTHY."""
    command: Sequence[str] | None = None
    user: str = "1000"
    """Non-root uid[:gid]."""
    depends_on: Mapping[str, Condition] = field(default_factory=dict)
    """Other sidecars it waits for -> condition (START, COMPLETE, SUCCESS, HEALTHY)."""
    app_waits_for: Condition | None = None
    """The application container starts once this sidecar reaches this condition; None = no
    order."""
    repository_credentials: str | None = None
    """Secrets Manager ARN of the private registry's credentials for its image."""


@dataclass(frozen=True)
class FireLensArgs:
    """Route the application container's logs through a Fluent Bit log router."""

    output: Mapping[str, str] = field(default_factory=dict)
    """Fluent Bit output options (`Name` first, e.g. `{"Name": "datadog", "Host": ...}`);
    empty = CloudWatch Logs, the service's own log group (`cloudwatch_logs`)."""
    secret_options: Mapping[str, str] = field(default_factory=dict)
    """Output option -> Secrets Manager secret or SSM parameter ARN (an API key)."""
    image: str = FLUENT_BIT_IMAGE
    """The router's image; pin a digest (`...@sha256:...`) to take no new layer unseen."""
    memory: int = LOG_ROUTER_MEMORY_MIB
    """The router's hard limit in MiB, out of the task's."""
    enable_ecs_log_metadata: bool = True
    """Add the task's cluster, task ARN and family to every record."""

    @property
    def to_cloudwatch(self) -> bool:
        return not self.output


def _key(name: str, camel: bool) -> str:
    if not camel:
        return name
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


SidecarProblem = tuple[str, Any, str, str]
"""A problem of one sidecar: (its field, the value, the problem, what is allowed)."""


def sidecar_problems(
    sidecars: Sequence[SidecarArgs],
    *,
    app_name: str,
    app_port: int | None,
    firelens: FireLensArgs | None = None,
    where: str = "",
    camel: bool = False,
) -> list[ConfigIssue]:
    """What ECS would refuse (or what would never start) in these sidecars and this FireLens
    route, as issues whose paths start at `where` (`sidecars[0].appWaitsFor` with `camel`, the
    stack file's spelling; `sidecars[0].app_waits_for` for the component's arguments)."""
    issues: list[ConfigIssue] = []
    prefix = f"{where}." if where else ""
    names = [s.name for s in sidecars]
    by_name = {s.name: s for s in sidecars}
    for index, s in enumerate(sidecars):
        found = [
            *_field_problems(s, names, app_name=app_name, app_port=app_port),
            *_wait_problems(s, by_name, names),
        ]
        for field_name, value, problem, allowed in found:
            path = f"{prefix}sidecars[{index}]" + (
                f".{_key(field_name, camel)}" if field_name else ""
            )
            issues.append(ConfigIssue(path, value, problem, allowed))
    cycle = _cycle({s.name: list(s.depends_on) for s in sidecars})
    if cycle:
        issues.append(
            ConfigIssue(
                f"{prefix}sidecars",
                names,
                f"they wait for each other in a cycle: {' -> '.join(cycle)}",
                "an order without a cycle",
            )
        )
    if firelens is not None:
        issues += _firelens_issues(firelens, f"{prefix}firelens", camel)
    return issues


def _field_problems(
    s: SidecarArgs, names: Sequence[str], *, app_name: str, app_port: int | None
) -> list[SidecarProblem]:
    """The sidecar's own fields: its name (valid, free, once), memory, CPU, port, user and
    health check command."""
    found: list[SidecarProblem] = []
    if not _NAME.match(s.name):
        found.append(("name", s.name, "not a container name", "letters, digits, '-', '_'"))
    if s.name == app_name or s.name in RESERVED_NAMES:
        found.append(
            (
                "name",
                s.name,
                "the name is taken (the application container, or one the component adds)",
                f"a name other than {app_name}, " + ", ".join(sorted(RESERVED_NAMES)),
            )
        )
    if names.count(s.name) > 1:
        found.append(("name", s.name, "given twice", "one sidecar per name"))
    if s.memory < 6:
        found.append(("memory", s.memory, "below what Docker allows", "6 MiB or more"))
    if not 0 <= s.cpu <= 16384:
        found.append(("cpu", s.cpu, "out of range", "0-16384 CPU units"))
    if s.port is not None and not 1 <= s.port <= 65535:
        found.append(("port", s.port, "out of range", "1-65535"))
    if s.port is not None and s.port == app_port:
        found.append(("port", s.port, "the application listens there", "another port"))
    if str(s.user).split(":")[0] in ("0", "root"):
        found.append(("user", s.user, "root", "a non-root uid[:gid]"))
    if s.health_check is not None and (
        len(s.health_check) < 2 or s.health_check[0] not in ("CMD", "CMD-SHELL")
    ):
        found.append(
            (
                "health_check",
                list(s.health_check),
                "not a health check command",
                "['CMD', ...] or ['CMD-SHELL', '...']",
            )
        )
    return found


def _wait_problems(
    s: SidecarArgs, by_name: Mapping[str, SidecarArgs], names: Sequence[str]
) -> list[SidecarProblem]:
    """What the sidecar waits for (`depends_on`) and what the application waits for in it
    (`app_waits_for`): a known condition on a sidecar that exists (one of `names`), can reach
    it, and is not the sidecar itself."""
    waits = [
        (target, condition, f"depends_on.{target}") for target, condition in s.depends_on.items()
    ]
    if s.app_waits_for is not None:
        waits.append((s.name, s.app_waits_for, "app_waits_for"))
    found: list[SidecarProblem] = []
    for target, condition, field_name in waits:
        if condition not in CONDITIONS:
            found.append(
                (field_name, condition, "not a dependency condition", ", ".join(CONDITIONS))
            )
            continue
        other = by_name.get(target)
        if other is None:
            found.append(
                (field_name, condition, f"no sidecar is named {target!r}", ", ".join(names))
            )
            continue
        if target == s.name and field_name != "app_waits_for":
            found.append(
                (field_name, condition, "a container cannot wait for itself", "another sidecar")
            )
        if condition == "HEALTHY" and other.health_check is None:
            found.append(
                (
                    field_name,
                    condition,
                    f"sidecar {target!r} has no health_check",
                    "START, or give it a health check",
                )
            )
        if condition in ("COMPLETE", "SUCCESS") and other.essential:
            found.append(
                (
                    field_name,
                    condition,
                    f"sidecar {target!r} is essential (ECS "
                    "allows COMPLETE and SUCCESS only on a non-essential container)",
                    "START or HEALTHY, or essential false on it",
                )
            )
    return found


def _firelens_issues(firelens: FireLensArgs, here: str, camel: bool) -> list[ConfigIssue]:
    """The FireLens route at `here`: an output names its plugin, an option is plain or secret,
    the router has the memory Docker needs."""
    issues: list[ConfigIssue] = []
    output = dict(firelens.output)
    if output and "Name" not in output:
        issues.append(
            ConfigIssue(
                f"{here}.output",
                sorted(output),
                "no 'Name' (the Fluent Bit output plugin)",
                "Name plus that plugin's options, or empty for CloudWatch",
            )
        )
    clash = sorted(set(output) & set(firelens.secret_options))
    if clash:
        issues.append(
            ConfigIssue(
                f"{here}.{_key('secret_options', camel)}",
                clash,
                "set both as plain and as secret options",
                "one or the other",
            )
        )
    if firelens.memory < 6:
        issues.append(
            ConfigIssue(
                f"{here}.memory", firelens.memory, "below what Docker allows", "6 MiB or more"
            )
        )
    return issues


SIDECAR_CPU_ALLOWED = "less than the task's cpu: the application needs some"


def sidecar_cpu_problem(sidecars: Sequence[SidecarArgs], task_cpu: int) -> str | None:
    """What is wrong when the sidecars' CPU units leave the application none of the task's:
    one rule for the component and the stack layer (which reports it at the stack file's key)."""
    reserved = sum(s.cpu for s in sidecars)
    if sidecars and reserved >= task_cpu:
        return f"the sidecars reserve {reserved} of the task's {task_cpu} CPU units"
    return None


def _cycle(edges: Mapping[str, Sequence[str]]) -> list[str]:
    """A dependency cycle among the sidecars (names), or [] when there is none."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in edges.get(node, ()):
            if nxt not in edges:
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if state.get(nxt) is None and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return []

    for node in sorted(edges):
        if state.get(node) is None and (found := visit(node)):
            return found
    return []


def sidecars_memory_mib(sidecars: Sequence[SidecarArgs], firelens: FireLensArgs | None) -> int:
    """What one's own sidecars and the log router take of the task's memory."""
    return sum(s.memory for s in sidecars) + (firelens.memory if firelens is not None else 0)


def sidecar_volume(sidecar: str) -> str:
    """Each sidecar's /tmp is a volume of its own: no container reads another's scratch."""
    return f"{sidecar}-tmp"


def _pairs(values: Mapping[str, str], value_key: str) -> list[dict[str, str]]:
    return [{"name": name, value_key: values[name]} for name in sorted(values)]


def sidecar_definition(
    sidecar: SidecarArgs,
    *,
    logging: dict[str, Any],
    mounts: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The container definition of one sidecar (`logging`: awslogs to the service's group)."""
    definition: dict[str, Any] = {
        "name": sidecar.name,
        "image": sidecar.image,
        "essential": sidecar.essential,
        "cpu": sidecar.cpu,
        "memory": sidecar.memory,
        "portMappings": (
            [{"containerPort": sidecar.port, "hostPort": sidecar.port, "protocol": "tcp"}]
            if sidecar.port is not None
            else []
        ),
        "environment": _pairs(sidecar.environment, "value"),
        "secrets": _pairs(sidecar.secrets, "valueFrom"),
        "logConfiguration": logging,
        "readonlyRootFilesystem": True,
        "mountPoints": [
            {
                "sourceVolume": sidecar_volume(sidecar.name),
                "containerPath": "/tmp",
                "readOnly": False,
            },
            *mounts,
        ],
        "user": sidecar.user,
        "privileged": False,
        "linuxParameters": {"initProcessEnabled": True},
    }
    if sidecar.health_check is not None:
        definition["healthCheck"] = {
            "command": list(sidecar.health_check),
            "interval": 30,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 30,
        }
    if sidecar.command:
        definition["command"] = list(sidecar.command)
    if sidecar.depends_on:
        definition["dependsOn"] = [
            {"containerName": name, "condition": sidecar.depends_on[name]}
            for name in sorted(sidecar.depends_on)
        ]
    if sidecar.repository_credentials:
        definition["repositoryCredentials"] = {
            "credentialsParameter": sidecar.repository_credentials
        }
    return definition


def firelens_log_configuration(
    firelens: FireLensArgs, *, region: str, log_group: str, stream_prefix: str
) -> dict[str, Any]:
    """The application container's `logConfiguration` through the router."""
    options = dict(firelens.output) or {
        "Name": "cloudwatch_logs",
        "region": region,
        "log_group_name": log_group,
        "log_stream_prefix": f"{stream_prefix}/",
        # The group is the component's (retention, name): the router never creates one.
        "auto_create_group": "false",
    }
    configuration: dict[str, Any] = {"logDriver": "awsfirelens", "options": options}
    if firelens.secret_options:
        configuration["secretOptions"] = _pairs(firelens.secret_options, "valueFrom")
    return configuration


def log_router_definition(
    firelens: FireLensArgs, *, logging: dict[str, Any], mounts: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The FireLens container: Fluent Bit, its own logs to CloudWatch (`logging`)."""
    return {
        "name": LOG_ROUTER,
        "image": firelens.image,
        "essential": True,
        "memory": firelens.memory,
        "firelensConfiguration": {
            "type": "fluentbit",
            "options": {
                "enable-ecs-log-metadata": "true" if firelens.enable_ecs_log_metadata else "false"
            },
        },
        "logConfiguration": logging,
        "readonlyRootFilesystem": True,
        "mountPoints": [
            {
                "sourceVolume": sidecar_volume(LOG_ROUTER),
                "containerPath": "/tmp",
                "readOnly": False,
            },
            *mounts,
        ],
        "user": LOG_ROUTER_USER,
        "privileged": False,
    }


def cloudwatch_delivery_statement(log_group_arn: str) -> dict[str, Any]:
    """What the router needs to write the service's group with the task role (the
    `cloudwatch_logs` output signs with the task's credentials)."""
    return {
        "Sid": "FireLensCloudWatch",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
        "Resource": [log_group_arn, f"{log_group_arn}:log-stream:*"],
    }
