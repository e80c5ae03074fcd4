"""What `python -m tools.ops` reads from a stack's outputs: the cluster, the region, each
service's ECS name and log group (`cicd_deployment_config`) and the declared tasks (`tasks`),
checked; and the errors and exit codes every command reports."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accessweaver_components.compute.task_run import (
    LOG_STREAM_PREFIX,
    RunTarget,
)

EXIT_OK = 0
EXIT_FAILED = 1  # the operation ran and failed (not stable, unhealthy, AWS error)
EXIT_USAGE = 2  # fix the invocation or the environment first (names, credentials, outputs)
EXIT_TIMED_OUT = 124  # run: the task was still running after --timeout (it was stopped)
EXIT_NOT_RUN = 125  # run: ECS started no container (placement, image, secrets...)
EXIT_INTERRUPTED = 130

SHORT_PREFIX = "aw-"


class OpsError(Exception):
    """An expected failure, reported as one line on stderr with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class ServiceInfo:
    key: str  # catalog key, e.g. "aw-pdp-service"
    service_name: str  # ECS service name
    log_group: str | None = None
    task_family: str | None = None


@dataclass(frozen=True)
class StackConfig:
    region: str | None
    cluster_name: str
    deploy_order: tuple[str, ...]
    services: dict[str, ServiceInfo]

    def ordered_keys(self) -> list[str]:
        """Deploy order first, then any catalog service the order does not mention."""
        extra = sorted(k for k in self.services if k not in self.deploy_order)
        return [*self.deploy_order, *extra]

    def resolve(self, name: str) -> ServiceInfo:
        """Find a service by catalog key, or by the key without ``aw-``, if unambiguous.

        ``pdp-service`` is ambiguous only when the catalog has both ``pdp-service`` and
        ``aw-pdp-service``.
        """
        matches = [k for k in self.services if name in (k, k.removeprefix(SHORT_PREFIX))]
        if len(matches) == 1:
            return self.services[matches[0]]
        valid = ", ".join(self.ordered_keys())
        if matches:
            raise OpsError(
                f"ambiguous service '{name}' (matches {', '.join(matches)}); valid services: "
                f"{valid}",
                EXIT_USAGE,
            )
        raise OpsError(f"unknown service '{name}'; valid services: {valid}", EXIT_USAGE)


def load_outputs(stack: str | None, outputs_file: str | None) -> dict[str, Any]:
    """Read the stack outputs from ``outputs_file`` or ``pulumi stack output --json``."""
    if outputs_file:
        path = Path(outputs_file)
        if not path.is_file():
            raise OpsError(f"outputs file not found: {path}", EXIT_USAGE)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise OpsError(f"cannot read outputs file {path}: {exc}", EXIT_USAGE) from exc
        source = str(path)
    else:
        data, source = _pulumi_stack_output(stack)
    if not isinstance(data, dict):
        raise OpsError(f"stack outputs from {source} are not a JSON object", EXIT_USAGE)
    return data


def _pulumi_stack_output(stack: str | None) -> tuple[Any, str]:
    exe = shutil.which("pulumi")
    if exe is None:
        raise OpsError(
            "the pulumi CLI was not found on PATH; install it, or pass --outputs-file PATH "
            "with the JSON of `pulumi stack output --json`",
            EXIT_USAGE,
        )
    cmd = [exe, "stack", "output", "--json"]
    if stack:
        cmd += ["--stack", stack]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OpsError(f"could not run `{' '.join(cmd[1:])}`: {exc}", EXIT_USAGE) from exc
    if proc.returncode != 0:
        lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
        detail = lines[0] if lines else f"exit code {proc.returncode}"
        if "no stack named" in proc.stderr.lower():
            raise OpsError(f"unknown stack '{stack}': {detail}", EXIT_USAGE)
        raise OpsError(f"`pulumi {' '.join(cmd[1:])}` failed: {detail}", EXIT_USAGE)
    try:
        return json.loads(proc.stdout), f"stack {stack or '(selected)'}"
    except json.JSONDecodeError as exc:
        raise OpsError(f"`pulumi stack output` did not print JSON: {exc}", EXIT_USAGE) from exc


def parse_stack_config(outputs: dict[str, Any]) -> StackConfig:
    """Validate the ``cicd_deployment_config`` output and turn it into a ``StackConfig``."""
    cfg = outputs.get("cicd_deployment_config")
    if not isinstance(cfg, dict):
        raise OpsError(
            "stack outputs have no 'cicd_deployment_config' object (wrong stack, or outputs "
            "not exported yet?)",
            EXIT_USAGE,
        )
    cluster = cfg.get("cluster_name") or outputs.get("cluster_name")
    if not isinstance(cluster, str) or not cluster:
        raise OpsError("stack outputs have no 'cluster_name'", EXIT_USAGE)
    raw_services = cfg.get("services")
    if not isinstance(raw_services, dict) or not raw_services:
        raise OpsError("'cicd_deployment_config.services' is missing or empty", EXIT_USAGE)
    services: dict[str, ServiceInfo] = {}
    for key, spec in raw_services.items():
        name = spec.get("service_name") if isinstance(spec, dict) else None
        if not isinstance(name, str) or not name:
            raise OpsError(
                f"'cicd_deployment_config.services.{key}.service_name' is missing", EXIT_USAGE
            )
        services[key] = ServiceInfo(
            key=key,
            service_name=name,
            log_group=spec.get("log_group") or None,
            task_family=spec.get("task_family") or None,
        )
    order = cfg.get("deploy_order", [])
    if not isinstance(order, list) or not all(isinstance(k, str) for k in order):
        raise OpsError("'cicd_deployment_config.deploy_order' must be a list of names", EXIT_USAGE)
    unknown = [k for k in order if k not in services]
    if unknown:
        raise OpsError(
            f"deploy_order names services missing from 'services': {', '.join(unknown)}",
            EXIT_USAGE,
        )
    region = cfg.get("region")
    return StackConfig(
        region=region if isinstance(region, str) and region else None,
        cluster_name=cluster,
        deploy_order=tuple(order),
        services=services,
    )


@dataclass(frozen=True)
class TaskInfo:
    key: str
    family: str
    task_definition_arn: str
    cluster: str
    subnets: tuple[str, ...]
    security_group: str
    container_name: str
    assign_public_ip: bool
    log_group: str | None
    log_stream_prefix: str

    def run_target(
        self,
        *,
        started_by: str,
        command: Sequence[str] | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> RunTarget:
        """Where and how to run this task once (its own security group, subnets and log
        stream), with `command` or `environment` replaced for that run."""
        return RunTarget(
            cluster=self.cluster,
            task_definition=self.task_definition_arn,
            container=self.container_name,
            subnets=self.subnets,
            security_groups=(self.security_group,),
            assign_public_ip=self.assign_public_ip,
            log_group=self.log_group,
            log_stream_prefix=self.log_stream_prefix,
            command=command,
            environment=environment,
            started_by=started_by,
        )


def parse_task(outputs: dict[str, Any], name: str) -> TaskInfo:
    """The `tasks.<name>` stack output, checked; usage errors name the declared tasks."""
    tasks = outputs.get("tasks")
    if not isinstance(tasks, dict) or not tasks:
        raise OpsError(
            "the stack outputs declare no task (accessweaver:tasks in the stack file, then "
            "`pulumi up`)",
            EXIT_USAGE,
        )
    if name not in tasks:
        raise OpsError(
            f"unknown task '{name}'; valid tasks: {', '.join(sorted(tasks))}", EXIT_USAGE
        )
    spec = tasks[name]
    required = ("family", "task_definition_arn", "cluster", "subnets", "security_group")
    missing = [k for k in required if not isinstance(spec, dict) or not spec.get(k)]
    if missing:
        raise OpsError(f"'tasks.{name}' has no {', '.join(missing)}", EXIT_USAGE)
    subnets = spec["subnets"]
    if not isinstance(subnets, list) or not all(isinstance(x, str) for x in subnets):
        raise OpsError(f"'tasks.{name}.subnets' is not a list of subnet ids", EXIT_USAGE)
    return TaskInfo(
        key=name,
        family=str(spec["family"]),
        task_definition_arn=str(spec["task_definition_arn"]),
        cluster=str(spec["cluster"]),
        subnets=tuple(subnets),
        security_group=str(spec["security_group"]),
        container_name=str(spec.get("container_name") or name),
        assign_public_ip=bool(spec.get("assign_public_ip")),
        log_group=spec.get("log_group") or None,
        log_stream_prefix=str(spec.get("log_stream_prefix") or LOG_STREAM_PREFIX),
    )
