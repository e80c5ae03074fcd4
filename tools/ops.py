"""Operations CLI for the AccessWeaver ECS Fargate stack (``python -m tools.ops``).

Replaces the README's ``deploy.sh`` and ``maintenance.sh`` with one tested tool built on
boto3. Commands:

* ``status``   - every service of the stack: running/desired count, rollout state, last events.
* ``deploy``   - force a new deployment of each service in the stack's deploy order, wait for
  it to be stable (ECS ``services_stable`` waiter, bounded by ``--timeout``), then require
  every running task to report ``healthStatus == HEALTHY``; stop at the first failure.
* ``scale``    - set a service's desired count.
* ``rollback`` - move a service back to its previous task definition revision.
* ``logs``     - print (or follow) a service's CloudWatch log events.
* ``run``      - run a declared task once (a migration, a job, a maintenance command), wait for
  it, print its exit code and log stream, and exit with the container's exit code.
* ``admin-console`` - port-forward a local port to Keycloak's admin console in one running
  task, through ECS Exec's SSM channel (the console is never on the public listener).

Names never come from conventions: cluster, region, ECS service names and log groups are read
from the stack outputs (``cicd_deployment_config``; ``tasks`` for ``run``), either through
``pulumi stack output --json`` or from a JSON file given with ``--outputs-file``.

AWS calls live in small functions that take a boto3 client, and ``main`` accepts a
``Runtime`` so tests can swap the client factory, the waiter, the health check and ``sleep``.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    WaiterError,
)

from components.compute.task_run import (
    LOG_STREAM_PREFIX,
    Clock,
    RunError,
    RunTarget,
    run_to_completion,
)

EXIT_OK = 0
EXIT_FAILED = 1  # the operation ran and failed (not stable, unhealthy, AWS error)
EXIT_USAGE = 2  # fix the invocation or the environment first (names, credentials, outputs)
EXIT_TIMED_OUT = 124  # run: the task was still running after --timeout (it was stopped)
EXIT_NOT_RUN = 125  # run: ECS started no container (placement, image, secrets...)
EXIT_INTERRUPTED = 130

SHORT_PREFIX = "aw-"
STATUS_EVENTS = 5
DESCRIBE_SERVICES_BATCH = 10  # DescribeServices accepts at most 10 services per call
DESCRIBE_TASKS_BATCH = 100  # DescribeTasks accepts at most 100 tasks per call

# Error codes meaning "these credentials are missing, invalid, expired or not allowed".
AUTH_ERROR_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthFailure",
        "ExpiredToken",
        "ExpiredTokenException",
        "IncompleteSignature",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "MissingAuthenticationToken",
        "RequestExpired",
        "SignatureDoesNotMatch",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
    }
)
# Error codes meaning "the names in the stack outputs do not exist in this account/region".
NOT_FOUND_ERROR_CODES = frozenset(
    {"ClusterNotFoundException", "ServiceNotFoundException", "ResourceNotFoundException"}
)


class OpsError(Exception):
    """An expected failure, reported as one line on stderr with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# --------------------------------------------------------------------------------------------
# Stack outputs
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# AWS calls (each takes a boto3 client)
# --------------------------------------------------------------------------------------------


def make_boto3_client(service: str, region: str, profile: str | None) -> Any:
    session = boto3.session.Session(profile_name=profile, region_name=region)
    return session.client(service, config=Config(retries={"mode": "standard"}))


def describe_services(ecs: Any, cluster: str, names: Sequence[str]) -> dict[str, dict | None]:
    """Map each ECS service name to its description, or ``None`` if missing/inactive."""
    found: dict[str, dict | None] = dict.fromkeys(names)
    for start in range(0, len(names), DESCRIBE_SERVICES_BATCH):
        batch = list(names[start : start + DESCRIBE_SERVICES_BATCH])
        resp = ecs.describe_services(cluster=cluster, services=batch)
        for svc in resp.get("services", []):
            if svc.get("status") != "INACTIVE":
                found[svc["serviceName"]] = svc
    return found


def describe_service(ecs: Any, cluster: str, name: str) -> dict:
    svc = describe_services(ecs, cluster, [name])[name]
    if svc is None:
        raise OpsError(f"service {name} not found in cluster {cluster}", EXIT_USAGE)
    return svc


def force_new_deployment(ecs: Any, cluster: str, name: str) -> dict:
    return ecs.update_service(cluster=cluster, service=name, forceNewDeployment=True)["service"]


def set_desired_count(ecs: Any, cluster: str, name: str, count: int) -> dict:
    return ecs.update_service(cluster=cluster, service=name, desiredCount=count)["service"]


def set_task_definition(ecs: Any, cluster: str, name: str, task_definition: str) -> dict:
    return ecs.update_service(cluster=cluster, service=name, taskDefinition=task_definition)[
        "service"
    ]


def wait_service_stable(ecs: Any, cluster: str, name: str, timeout: float, delay: int) -> None:
    """Block until ECS reports the service stable; ``OpsError`` after ``timeout`` seconds."""
    attempts = max(1, math.ceil(timeout / delay)) if delay > 0 else 1
    waiter = ecs.get_waiter("services_stable")
    try:
        waiter.wait(
            cluster=cluster,
            services=[name],
            WaiterConfig={"Delay": delay, "MaxAttempts": attempts},
        )
    except WaiterError as exc:
        raise OpsError(
            f"{name} did not become stable within {timeout:g}s: {exc.kwargs.get('reason', exc)}"
        ) from exc


@dataclass(frozen=True)
class HealthReport:
    healthy: bool
    detail: str


def check_service_health(ecs: Any, cluster: str, name: str) -> HealthReport:
    """Healthy when the service has running tasks and each reports ``healthStatus: HEALTHY``.

    ``healthStatus`` aggregates the containers' health checks from the task definition; it
    stays ``UNKNOWN`` when no essential container defines a health check.
    """
    arns: list[str] = []
    for page in ecs.get_paginator("list_tasks").paginate(
        cluster=cluster, serviceName=name, desiredStatus="RUNNING"
    ):
        arns.extend(page.get("taskArns", []))
    tasks: list[dict] = []
    for start in range(0, len(arns), DESCRIBE_TASKS_BATCH):
        resp = ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + DESCRIBE_TASKS_BATCH])
        tasks.extend(resp.get("tasks", []))
    running = [t for t in tasks if t.get("lastStatus") == "RUNNING"]
    if not running:
        return HealthReport(False, "no running tasks")
    bad = [t for t in running if t.get("healthStatus") != "HEALTHY"]
    if not bad:
        return HealthReport(True, f"{len(running)}/{len(running)} running tasks HEALTHY")
    listed = ", ".join(
        f"{t['taskArn'].rsplit('/', 1)[-1]}={t.get('healthStatus', 'UNKNOWN')}" for t in bad
    )
    hint = ""
    if any(t.get("healthStatus", "UNKNOWN") == "UNKNOWN" for t in bad):
        hint = " (UNKNOWN: health check not passed yet, or no container health check defined)"
    return HealthReport(
        False, f"{len(bad)}/{len(running)} running tasks not HEALTHY: {listed}{hint}"
    )


def list_family_revisions(ecs: Any, family: str) -> list[tuple[int, str]]:
    """ACTIVE revisions of ``family`` as ``(revision, arn)``, newest first."""
    revisions: list[tuple[int, str]] = []
    for page in ecs.get_paginator("list_task_definitions").paginate(
        familyPrefix=family, status="ACTIVE", sort="DESC"
    ):
        for arn in page.get("taskDefinitionArns", []):
            fam, rev = split_task_definition(arn)
            if fam == family:  # familyPrefix is a prefix on some API versions: be exact
                revisions.append((rev, arn))
    # Sort ourselves rather than trust the API's ordering.
    return sorted(revisions, reverse=True)


def split_task_definition(arn_or_name: str) -> tuple[str, int]:
    """``arn:...:task-definition/family:7`` or ``family:7`` -> ``("family", 7)``."""
    family, _, rev = arn_or_name.rsplit("/", 1)[-1].rpartition(":")
    if not family or not rev.isdigit():
        raise OpsError(f"unexpected task definition reference: {arn_or_name}")
    return family, int(rev)


def find_rollback_target(ecs: Any, service: dict) -> tuple[str, str]:
    """Return ``(task_definition_arn, how_it_was_found)`` for rolling ``service`` back.

    Mid-deployment the service still has the previous deployment (status ``ACTIVE``), so use
    its task definition. Otherwise, take the newest ACTIVE revision of the same family that is
    older than the current one.
    """
    current = service["taskDefinition"]
    for dep in service.get("deployments", [])[1:]:
        if dep.get("taskDefinition") and dep["taskDefinition"] != current:
            return dep["taskDefinition"], f"previous deployment {dep.get('id', '?')}"
    family, current_rev = split_task_definition(current)
    for rev, arn in list_family_revisions(ecs, family):
        if rev < current_rev:
            return arn, "previous ACTIVE revision of the family"
    raise OpsError(
        f"no previous ACTIVE revision of task family {family} before revision {current_rev}; "
        "nothing to roll back to"
    )


def fetch_log_events(
    logs: Any, log_group: str, start_ms: int, end_ms: int | None = None
) -> list[dict]:
    """All events of ``log_group`` from ``start_ms`` (inclusive), oldest first."""
    kwargs: dict[str, Any] = {"logGroupName": log_group, "startTime": start_ms}
    if end_ms is not None:
        kwargs["endTime"] = end_ms
    events: list[dict] = []
    while True:
        resp = logs.filter_log_events(**kwargs)
        events.extend(resp.get("events", []))
        token = resp.get("nextToken")
        if not token or token == kwargs.get("nextToken"):
            break
        kwargs["nextToken"] = token
    return sorted(events, key=lambda e: (e.get("timestamp", 0), e.get("eventId", "")))


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


def run_foreground(argv: list[str]) -> int:
    """Run a program attached to this terminal (no shell); its exit code."""
    if shutil.which(argv[0]) is None:
        raise OpsError(f"`{argv[0]}` is not on PATH (the AWS CLI and its Session Manager plugin)",
                       EXIT_USAGE)  # fmt: skip
    return subprocess.call(argv)


@dataclass
class Runtime:
    """Everything ``main`` touches outside the process; tests replace parts of it."""

    make_client: Callable[[str, str, str | None], Any] = make_boto3_client
    wait_stable: Callable[[Any, str, str, float, int], None] = wait_service_stable
    check_health: Callable[[Any, str, str], HealthReport] = check_service_health
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = time.time
    release_main: Callable[[list[str]], int] = field(
        default_factory=lambda: __import__("tools.release", fromlist=["main"]).main
    )
    run_command: Callable[[list[str]], int] = field(default_factory=lambda: run_foreground)
    """Runs a program in the foreground (the AWS CLI's port-forwarding session)."""
    out: TextIO | None = None
    err: TextIO | None = None
    clients: dict[str, Any] = field(default_factory=dict)  # cache, one per AWS service


@dataclass
class Context:
    args: argparse.Namespace
    stack: StackConfig
    region: str
    runtime: Runtime
    task: TaskInfo | None = None
    """`run`'s task, from the `tasks` output."""

    def client(self, service: str) -> Any:
        cache = self.runtime.clients
        if service not in cache:
            cache[service] = self.runtime.make_client(service, self.region, self.args.profile)
        return cache[service]

    def say(self, line: str = "") -> None:
        print(line, file=self.runtime.out or sys.stdout, flush=True)

    def warn(self, line: str) -> None:
        print(line, file=self.runtime.err or sys.stderr, flush=True)


def _fmt_time(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _fmt_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def format_service_status(key: str, name: str, svc: dict | None) -> list[str]:
    """Lines describing one service for ``status``."""
    if svc is None:
        return [f"{key} ({name}): NOT FOUND in the cluster"]
    deployments = svc.get("deployments", [])
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    rollout = (primary or {}).get("rolloutState", "UNKNOWN")
    if len(deployments) > 1:
        rollout += f" ({len(deployments)} deployments)"
    taskdef = svc.get("taskDefinition", "?").rsplit("/", 1)[-1]
    lines = [
        f"{key} ({name})",
        f"  running {svc.get('runningCount', 0)}/{svc.get('desiredCount', 0)}"
        f" (pending {svc.get('pendingCount', 0)})  rollout {rollout}  task definition {taskdef}",
    ]
    events = svc.get("events", [])[:STATUS_EVENTS]  # ECS lists events newest first
    if events:
        lines.append(f"  last {len(events)} events:")
        lines += [f"    {_fmt_time(e.get('createdAt'))}  {e.get('message', '')}" for e in events]
    else:
        lines.append("  no events")
    return lines


def cmd_status(ctx: Context) -> int:
    ecs = ctx.client("ecs")
    keys = ctx.stack.ordered_keys()
    names = [ctx.stack.services[k].service_name for k in keys]
    found = describe_services(ecs, ctx.stack.cluster_name, names)
    ctx.say(f"cluster {ctx.stack.cluster_name} ({ctx.region}): {len(keys)} services")
    for key, name in zip(keys, names, strict=True):
        for line in format_service_status(key, name, found[name]):
            ctx.say(line)
    missing = [k for k, n in zip(keys, names, strict=True) if found[n] is None]
    if missing:
        ctx.warn(f"error: services not found in the cluster: {', '.join(missing)}")
        return EXIT_FAILED
    return EXIT_OK


def wait_healthy(ctx: Context, ecs: Any, name: str) -> HealthReport:
    interval = ctx.args.poll_interval
    attempts = 1 + (int(ctx.args.health_timeout // interval) if interval > 0 else 0)
    report = HealthReport(False, "not checked")
    for attempt in range(attempts):
        report = ctx.runtime.check_health(ecs, ctx.stack.cluster_name, name)
        if report.healthy:
            return report
        if attempt + 1 < attempts:
            ctx.runtime.sleep(interval)
    return report


def cmd_deploy(ctx: Context) -> int:
    ecs = ctx.client("ecs")
    cluster = ctx.stack.cluster_name
    keys = ctx.stack.ordered_keys()
    extra = [k for k in keys if k not in ctx.stack.deploy_order]
    if extra:
        ctx.warn(f"warning: not in deploy_order, deployed last: {', '.join(extra)}")
    total = len(keys)
    for index, key in enumerate(keys, start=1):
        name = ctx.stack.services[key].service_name
        ctx.say(f"[{index}/{total}] {key}: forcing a new deployment of {name}")
        svc = force_new_deployment(ecs, cluster, name)
        ctx.say(f"[{index}/{total}] {key}: waiting until stable (timeout {ctx.args.timeout:g}s)")
        try:
            ctx.runtime.wait_stable(ecs, cluster, name, ctx.args.timeout, ctx.args.poll_interval)
        except OpsError as exc:
            ctx.warn(f"error: {key}: {exc}; deployment stopped")
            return EXIT_FAILED
        if svc.get("desiredCount", 0) == 0:
            ctx.say(f"[{index}/{total}] {key}: desired count is 0, health check skipped")
            continue
        report = wait_healthy(ctx, ecs, name)
        if not report.healthy:
            ctx.warn(
                f"error: {key}: unhealthy after deployment: {report.detail}; deployment stopped"
            )
            return EXIT_FAILED
        ctx.say(f"[{index}/{total}] {key}: deployed, {report.detail}")
    ctx.say(f"all {total} services deployed and healthy")
    return EXIT_OK


def cmd_scale(ctx: Context) -> int:
    info = ctx.stack.resolve(ctx.args.service)
    ecs = ctx.client("ecs")
    before = describe_service(ecs, ctx.stack.cluster_name, info.service_name)
    after = set_desired_count(ecs, ctx.stack.cluster_name, info.service_name, ctx.args.count)
    ctx.say(
        f"{info.key}: desired count {before.get('desiredCount')} -> {after.get('desiredCount')}"
    )
    ctx.warn(
        "warning: if Application Auto Scaling manages this service it may change the desired "
        "count again (it keeps it within the scalable target's min/max capacity)"
    )
    return EXIT_OK


def cmd_rollback(ctx: Context) -> int:
    if ctx.args.service is None:
        # The stack's release: an earlier record, then `pulumi up`; every later up keeps it.
        argv = ["rollback", "--stack", ctx.args.stack or ""]
        if ctx.args.outputs_file:
            argv += ["--outputs-file", ctx.args.outputs_file]
        if ctx.args.to:
            argv += ["--to", ctx.args.to]
        if ctx.args.no_up:
            argv.append("--no-up")
        if not ctx.args.stack:
            raise OpsError("rollback of a release needs --stack", EXIT_USAGE)
        return ctx.runtime.release_main(argv)
    info = ctx.stack.resolve(ctx.args.service)
    ecs = ctx.client("ecs")
    svc = describe_service(ecs, ctx.stack.cluster_name, info.service_name)
    target, source = find_rollback_target(ecs, svc)
    set_task_definition(ecs, ctx.stack.cluster_name, info.service_name, target)
    ctx.say(
        f"{info.key}: rolling back from {svc['taskDefinition'].rsplit('/', 1)[-1]} to "
        f"{target.rsplit('/', 1)[-1]} ({source}); follow with `status`"
    )
    ctx.warn(
        f"warning: {info.key} alone was moved to an earlier task definition; the next "
        "`pulumi up` puts the recorded release back. To roll back for good: "
        f"python -m tools.ops rollback --stack {ctx.args.stack or '<stack>'}"
    )
    return EXIT_OK


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


def command_override(text: str | None) -> list[str] | None:
    """`--command 'flyway info'` -> ["flyway", "info"] (shell quoting, no shell)."""
    if text is None:
        return None
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise OpsError(f"--command: {exc}", EXIT_USAGE) from exc
    if not words:
        raise OpsError("--command is empty", EXIT_USAGE)
    return words


def print_stream(ctx: Context, log_group: str, stream: str, lines: int) -> None:
    """The last `lines` events of the run's stream, if CloudWatch Logs has them."""
    if lines <= 0:
        return
    logs = ctx.client("logs")
    try:
        events = logs.get_log_events(
            logGroupName=log_group, logStreamName=stream, limit=lines, startFromHead=False
        ).get("events", [])
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        ctx.warn(f"warning: could not read the log stream ({code})")
        return
    for event in events:
        message = str(event.get("message", "")).rstrip("\n")
        ctx.say(f"  {_fmt_ms(int(event.get('timestamp', 0)))} {message}")


def cmd_run(ctx: Context) -> int:
    info = ctx.task
    assert info is not None
    target = RunTarget(
        cluster=info.cluster,
        task_definition=info.task_definition_arn,
        container=info.container_name,
        subnets=info.subnets,
        security_groups=(info.security_group,),
        assign_public_ip=info.assign_public_ip,
        log_group=info.log_group,
        log_stream_prefix=info.log_stream_prefix,
        command=command_override(ctx.args.command),
        started_by="tools.ops run",
    )
    ecs = ctx.client("ecs")
    revision = info.task_definition_arn.rsplit("/", 1)[-1]
    override = f" with command {target.command}" if target.command else ""
    ctx.say(f"{info.key}: running {revision} on {info.cluster}{override}")
    clock = Clock(sleep=ctx.runtime.sleep, now=ctx.runtime.now)
    try:
        result = run_to_completion(
            ecs, target, timeout=ctx.args.timeout, poll=ctx.args.poll_interval, clock=clock
        )
    except RunError as exc:
        ctx.warn(f"error: {info.key}: {exc}")
        if exc.result is None:
            return EXIT_NOT_RUN
        ctx.say(f"logs: group {info.log_group}, stream {exc.result.log_stream}")
        return EXIT_TIMED_OUT
    ctx.say(f"{info.key}: {result.describe()}")
    ctx.say(f"exit code: {result.exit_code if result.exit_code is not None else 'none'}")
    ctx.say(f"logs: group {info.log_group}, stream {result.log_stream}")
    if info.log_group:
        print_stream(ctx, info.log_group, result.log_stream, ctx.args.tail)
    if result.exit_code is None:
        return EXIT_NOT_RUN
    return result.exit_code if 0 <= result.exit_code <= 255 else EXIT_FAILED


KEYCLOAK_KEY = "keycloak"
PORT_FORWARD_DOCUMENT = "AWS-StartPortForwardingSession"


@dataclass(frozen=True)
class ConsoleTarget:
    """Where the admin console's port forward lands: one running Keycloak task's container."""

    target: str
    """`ecs:<cluster>_<task id>_<runtime id>`, the SSM target of an ECS Exec container."""
    port: int
    task_id: str


def find_console_target(ecs: Any, cluster: str, service: ServiceInfo) -> ConsoleTarget:
    """A running Keycloak task with ECS Exec on, its container's runtime id and port."""
    arns = ecs.list_tasks(
        cluster=cluster, serviceName=service.service_name, desiredStatus="RUNNING"
    ).get("taskArns", [])
    if not arns:
        raise OpsError(f"{service.service_name} runs no task (off hours, or scaled to 0?)")
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns[:DESCRIBE_TASKS_BATCH]).get("tasks", [])
    running = [t for t in tasks if t.get("lastStatus") == "RUNNING"]
    usable = [t for t in running if t.get("enableExecuteCommand")]
    if not usable:
        raise OpsError(
            f"no running task of {service.service_name} has ECS Exec on: set "
            "keycloak.adminPortForward true (the default) and run `pulumi up`"
        )
    task = usable[0]
    container = next((c for c in task.get("containers", []) if c.get("name") == service.key), None)
    if container is None or not container.get("runtimeId"):
        raise OpsError(f"task {task['taskArn']} has no running {service.key} container yet")
    definition = ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])
    ports = [
        m["containerPort"]
        for c in definition["taskDefinition"]["containerDefinitions"]
        if c["name"] == service.key
        for m in c.get("portMappings", [])
    ]
    if not ports:
        raise OpsError(f"the task definition of {service.key} maps no port")
    task_id = task["taskArn"].rsplit("/", 1)[-1]
    return ConsoleTarget(
        target=f"ecs:{cluster}_{task_id}_{container['runtimeId']}", port=ports[0], task_id=task_id
    )


def port_forward_command(
    target: ConsoleTarget, region: str, profile: str | None, local_port: int | None
) -> list[str]:
    parameters = {
        "portNumber": [str(target.port)],
        "localPortNumber": [str(local_port or target.port)],
    }
    command = [
        "aws", "ssm", "start-session", "--target", target.target,
        "--document-name", PORT_FORWARD_DOCUMENT,
        "--parameters", json.dumps(parameters), "--region", region,
    ]  # fmt: skip
    return [*command, "--profile", profile] if profile else command


def cmd_admin_console(ctx: Context) -> int:
    if KEYCLOAK_KEY not in ctx.stack.services:
        raise OpsError("this stack runs no Keycloak (no 'keycloak' service in its outputs)")
    info = ctx.stack.services[KEYCLOAK_KEY]
    target = find_console_target(ctx.client("ecs"), ctx.stack.cluster_name, info)
    command = port_forward_command(target, ctx.region, ctx.args.profile, ctx.args.local_port)
    local = ctx.args.local_port or target.port
    ctx.say(f"keycloak: task {target.task_id}, container port {target.port}")
    ctx.say(f"admin console: http://localhost:{local}/auth/admin/ (first time: README, ")
    ctx.say("  \"Keycloak's admin console\", sets the master realm's frontend URL)")
    ctx.say(shlex.join(command))
    if ctx.args.print_only:
        return EXIT_OK
    return ctx.runtime.run_command(command)


def cmd_logs(ctx: Context) -> int:
    info = ctx.stack.resolve(ctx.args.service)
    if not info.log_group:
        raise OpsError(f"stack outputs have no log_group for {info.key}", EXIT_USAGE)
    logs = ctx.client("logs")
    start_ms = int((ctx.runtime.now() - ctx.args.since) * 1000)
    seen: set[str] = set()  # ids of events at the current start_ms (the next query repeats them)
    polls = 0
    try:
        while True:
            for event in fetch_log_events(logs, info.log_group, start_ms):
                event_id = (
                    event.get("eventId") or f"{event.get('timestamp')}:{event.get('message')}"
                )
                if event_id in seen:
                    continue
                ts = int(event.get("timestamp", start_ms))
                if ts > start_ms:
                    start_ms, seen = ts, set()
                seen.add(event_id)
                message = str(event.get("message", "")).rstrip("\n")
                ctx.say(f"{_fmt_ms(ts)} {event.get('logStreamName', '-')} {message}")
            polls += 1
            if not ctx.args.follow or (ctx.args.max_polls and polls >= ctx.args.max_polls):
                return EXIT_OK
            ctx.runtime.sleep(ctx.args.poll_interval)
    except KeyboardInterrupt:  # Ctrl-C is the normal way to stop --follow
        return EXIT_OK


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> int:
    """``30s``, ``10m``, ``2h``, ``1d`` -> seconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"invalid duration '{text}' (use e.g. 30s, 10m, 2h, 1d)")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if value < 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


EPILOG = """\
names come from the stack outputs (cicd_deployment_config): the cluster, the region, each
service's ECS name and log group. SERVICE is a catalog key such as aw-pdp-service, or the same
without the aw- prefix (pdp-service).

exit codes: 0 success; 1 the operation failed (not stable, unhealthy, service missing, AWS
error); 2 usage or configuration error (bad arguments, unknown stack, service or task, missing
outputs file, missing or rejected AWS credentials); 130 interrupted. `run` exits with the
task container's own exit code once it ran (so 1 or 2 may be the container's), 124 when the
task was still running after --timeout (it is stopped), 125 when ECS ran no container.
"""

RUN_DESCRIPTION = """\
Run one of the stack's declared tasks (the `tasks` output: its task definition revision, the
cluster, the subnets and its own security group), optionally with another command, wait until
it stops, print its exit code, its log group and stream and the stream's last lines, and exit
with the container's exit code. The task runs with its own roles: it can reach only what its
`uses` and `calls` give it.
"""

DEPLOY_DESCRIPTION = """\
Force a new deployment of every service, one at a time, in the stack's deploy_order. For each
service: UpdateService --force-new-deployment, wait for the ECS services_stable condition
(bounded by --timeout), then require every running task to report healthStatus HEALTHY (the
containers' health checks, retried for up to --health-timeout). Stops at the first failure with
exit code 1.

No task definition is registered: tasks restart from the service's current task definition,
so a mutable image tag (e.g. :latest) is pulled again. Health is read from ECS only; the tool
does not curl the services' internal DNS names (*.accessweaver-<env>.local), which resolve only
inside the VPC and are not reachable from a CI runner.
"""


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    src = common.add_argument_group("stack selection and AWS")
    src.add_argument(
        "--stack",
        help="Pulumi stack whose outputs to read (default: the selected stack)",
    )
    src.add_argument(
        "--outputs-file",
        metavar="PATH",
        help="JSON file with the stack outputs (`pulumi stack output --json > PATH`); "
        "use it where the pulumi CLI is not available",
    )
    src.add_argument(
        "--region", help="AWS region (default: cicd_deployment_config.region of the outputs)"
    )
    src.add_argument("--profile", help="AWS named profile (default: the usual boto3 chain)")

    parser = argparse.ArgumentParser(
        prog="python -m tools.ops",
        description="Operate the AccessWeaver ECS Fargate services of a Pulumi stack.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, help_: str, description: str | None = None) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            parents=[common],
            help=help_,
            description=description or help_,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    p = add(
        "status",
        "show every service: running/desired count, rollout state, last events",
        "Show every service of the stack: running vs desired count, rollout state of the "
        f"primary deployment, task definition and the last {STATUS_EVENTS} ECS events.",
    )
    p.set_defaults(handler=cmd_status)

    p = add("deploy", "force a new deployment of each service in deploy order", DEPLOY_DESCRIPTION)
    p.add_argument(
        "--timeout",
        type=positive_number,
        default=900,
        metavar="SECONDS",
        help="max wait for each service to become stable (default: 900)",
    )
    p.add_argument(
        "--health-timeout",
        type=positive_number,
        default=120,
        metavar="SECONDS",
        help="max wait for each service's tasks to report HEALTHY (default: 120)",
    )
    p.add_argument(
        "--poll-interval",
        type=non_negative_int,
        default=15,
        metavar="SECONDS",
        help="seconds between stability/health checks (default: 15)",
    )
    p.set_defaults(handler=cmd_deploy)

    p = add(
        "scale",
        "set the desired count of a service",
        "Set a service's desired count. Application Auto Scaling, when configured, may change "
        "it again within its min/max capacity.",
    )
    p.add_argument("service", metavar="SERVICE")
    p.add_argument("count", metavar="COUNT", type=non_negative_int, help="desired count (>= 0)")
    p.set_defaults(handler=cmd_scale)

    p = add(
        "rollback",
        "go back to an earlier release (or, now, one service's previous revision)",
        "Without SERVICE: write the stack's previous release (or --to COMMIT) to its release "
        "record and run `pulumi up` (python -m tools.release rollback): it sticks, every later "
        "`pulumi up` reads the same record. With SERVICE, an emergency: point that service at "
        "its previous task definition (the previous deployment's when one is in progress, "
        "otherwise the newest older ACTIVE revision); the next `pulumi up` undoes it.",
    )
    p.add_argument("service", metavar="SERVICE", nargs="?")
    p.add_argument("--to", metavar="COMMIT", help="the release to go back to (default: previous)")
    p.add_argument("--no-up", action="store_true", help="only write the record (CI runs the up)")
    p.set_defaults(handler=cmd_rollback)

    p = add(
        "logs",
        "print a service's log events",
        "Print the CloudWatch log events of a service's log group (all streams).",
    )
    p.add_argument("service", metavar="SERVICE")
    p.add_argument(
        "--since",
        type=duration,
        default="10m",
        metavar="DURATION",
        help="how far back to start, e.g. 30s, 10m, 2h, 1d (default: 10m)",
    )
    p.add_argument("--follow", "-f", action="store_true", help="keep polling for new events")
    p.add_argument(
        "--poll-interval",
        type=positive_number,
        default=5,
        metavar="SECONDS",
        help="seconds between polls with --follow (default: 5)",
    )
    p.add_argument(
        "--max-polls",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="stop following after N polls (default: 0 = until interrupted)",
    )
    p.set_defaults(handler=cmd_logs)

    p = add("run", "run a declared task once and exit with its exit code", RUN_DESCRIPTION)
    p.add_argument("task", metavar="TASK", help="a key of the stack's `tasks` output")
    p.add_argument(
        "--command",
        metavar="'CMD ARG...'",
        help="replace the container's command for this run (split like a shell, not run by one)",
    )
    p.add_argument(
        "--timeout",
        type=positive_number,
        default=3600,
        metavar="SECONDS",
        help="max wait for the task to stop; then it is stopped, exit 124 (default: 3600)",
    )
    p.add_argument(
        "--poll-interval",
        type=positive_number,
        default=10,
        metavar="SECONDS",
        help="seconds between DescribeTasks calls (default: 10)",
    )
    p.add_argument(
        "--tail",
        type=non_negative_int,
        default=50,
        metavar="N",
        help="print the last N lines of the run's log stream (default: 50; 0: none)",
    )
    p.set_defaults(handler=cmd_run)

    p = add(
        "admin-console",
        "port-forward to Keycloak's admin console in one running task",
        "Find a running Keycloak task with ECS Exec on, then run `aws ssm start-session` with "
        f"{PORT_FORWARD_DOCUMENT} to its container port (needs the AWS CLI and its Session "
        "Manager plugin, and ecs:ListTasks, ecs:DescribeTasks, ecs:DescribeTaskDefinition and "
        "ssm:StartSession on the cluster's tasks and that document). The console is never on "
        "the public listener; open http://localhost:PORT/auth/admin/ while it runs.",
    )
    p.add_argument(
        "--local-port",
        type=non_negative_int,
        metavar="PORT",
        help="local port (default: Keycloak's own port, 8180 unless keycloak.port says)",
    )
    p.add_argument(
        "--print", dest="print_only", action="store_true", help="print the command, run nothing"
    )
    p.set_defaults(handler=cmd_admin_console)
    return parser


def _client_error_message(exc: ClientError) -> tuple[str, int]:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", "")).splitlines()[0] if error.get("Message") else ""
    operation = getattr(exc, "operation_name", "?")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in AUTH_ERROR_CODES or status == 403 or code == "403":
        return (
            f"AWS rejected the credentials or their permissions ({code} on {operation}: "
            f"{message}); check AWS_PROFILE/--profile, refresh the session, or the IAM policy",
            EXIT_USAGE,
        )
    if code in NOT_FOUND_ERROR_CODES:
        return (
            f"{code} on {operation}: {message} (do the stack outputs and the region match "
            "this AWS account?)",
            EXIT_USAGE,
        )
    return f"AWS error {code} on {operation}: {message}", EXIT_FAILED


def _run(args: argparse.Namespace, runtime: Runtime) -> int:
    outputs = load_outputs(args.stack, args.outputs_file)
    stack = parse_stack_config(outputs)
    task = parse_task(outputs, args.task) if getattr(args, "task", None) else None
    region = args.region or stack.region
    if not region:
        raise OpsError("no region: the outputs have none, pass --region", EXIT_USAGE)
    return args.handler(Context(args=args, stack=stack, region=region, runtime=runtime, task=task))


def main(argv: Sequence[str] | None = None, runtime: Runtime | None = None) -> int:
    """CLI entry point; returns the exit code instead of raising ``SystemExit``."""
    runtime = runtime or Runtime()
    err = runtime.err or sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or argparse's own usage error (exit 2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return _run(args, runtime)
    except OpsError as exc:
        message, code = str(exc), exc.exit_code
    except (NoCredentialsError, PartialCredentialsError) as exc:
        message = (
            f"no usable AWS credentials ({exc}); set AWS_PROFILE or --profile, export "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`"
        )
        code = EXIT_USAGE
    except ProfileNotFound as exc:
        message, code = f"{exc}", EXIT_USAGE
    except NoRegionError:
        message, code = "no AWS region configured; pass --region", EXIT_USAGE
    except ClientError as exc:
        message, code = _client_error_message(exc)
    except BotoCoreError as exc:
        message, code = f"AWS call failed: {exc}", EXIT_FAILED
    except KeyboardInterrupt:
        message, code = "interrupted", EXIT_INTERRUPTED
    print(f"error: {message}", file=err, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
