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
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from accessweaver_components.compute.task_run import (
    Clock,
    RunError,
    run_to_completion,
)

from .ops_arguments import build_parser
from .ops_aws import (
    AUTH_ERROR_CODES,
    NOT_FOUND_ERROR_CODES,
    PORT_FORWARD_DOCUMENT,
    STATUS_EVENTS,
    ConsoleTarget,
    HealthReport,
    check_service_health,
    describe_service,
    describe_services,
    fetch_log_events,
    find_console_target,
    find_rollback_target,
    force_new_deployment,
    make_boto3_client,
    set_desired_count,
    set_task_definition,
    wait_service_stable,
)
from .ops_stack import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_NOT_RUN,
    EXIT_OK,
    EXIT_TIMED_OUT,
    EXIT_USAGE,
    OpsError,
    StackConfig,
    TaskInfo,
    load_outputs,
    parse_stack_config,
    parse_task,
)

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
    target = info.run_target(command=command_override(ctx.args.command), started_by="tools.ops run")
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


HANDLERS = {
    "status": cmd_status,
    "deploy": cmd_deploy,
    "scale": cmd_scale,
    "rollback": cmd_rollback,
    "logs": cmd_logs,
    "run": cmd_run,
    "admin-console": cmd_admin_console,
}
"""The command each subcommand runs (`ops_arguments.build_parser` sets it as `handler`)."""


def main(argv: Sequence[str] | None = None, runtime: Runtime | None = None) -> int:
    """CLI entry point; returns the exit code instead of raising ``SystemExit``."""
    runtime = runtime or Runtime()
    err = runtime.err or sys.stderr
    try:
        args = build_parser(HANDLERS).parse_args(argv)
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
