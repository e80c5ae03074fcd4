"""Run one ECS task to completion and read how it ended: plain boto3, no Pulumi.

Used by the migration run of a deploy (`migration.py`, inside `pulumi up`) and by
`python -m tools.ops run`. `run_to_completion` starts the task on Fargate in the given subnets
and security groups (`RunTask`), polls `DescribeTasks` until it is STOPPED or the timeout
passes (then stops it: a run never outlives the command that started it), and returns the
essential container's exit code, ECS's stop code and reason, and where its logs are: the
`awslogs` driver writes `<prefix>/<container>/<task id>` in the task's log group.

The client is passed in (a boto3 ECS client, moto's or a stub in tests); `sleep` and `clock`
too, so a test can run a timeout in no time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

LOG_STREAM_PREFIX = "ecs"
"""`awslogs-stream-prefix` of every application container (`containers.py`)."""
STARTED_BY_LIMIT = 128


@dataclass(frozen=True)
class RunTarget:
    """Where and what to run: everything `RunTask` needs, from the stack's outputs."""

    cluster: str
    """Cluster name or ARN."""
    task_definition: str
    """The task definition ARN (a revision) to run."""
    container: str
    """The application container: whose exit code counts, whose command may be replaced."""
    subnets: Sequence[str]
    security_groups: Sequence[str]
    assign_public_ip: bool = False
    log_group: str | None = None
    log_stream_prefix: str = LOG_STREAM_PREFIX
    command: Sequence[str] | None = None
    """Replaces the container's command for this run only."""
    environment: Mapping[str, str] | None = None
    """Variables set (or replaced) in the container for this run only."""
    started_by: str = "accessweaver"


@dataclass(frozen=True)
class RunResult:
    task_arn: str
    exit_code: int | None
    """The essential container's; None when it never ran (or ECS did not report one)."""
    stop_code: str | None
    stopped_reason: str
    container_reason: str | None
    log_group: str | None
    log_stream: str

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0

    @property
    def task_id(self) -> str:
        return self.task_arn.rsplit("/", 1)[-1]

    def describe(self) -> str:
        """One line: how it ended and where its logs are."""
        ended = (
            f"exited {self.exit_code}"
            if self.exit_code is not None
            else f"never exited ({self.stop_code or 'no stop code'})"
        )
        reasons = "; ".join(r for r in (self.stopped_reason, self.container_reason) if r)
        logs = (
            f"logs: group {self.log_group}, stream {self.log_stream}"
            if self.log_group
            else f"log stream {self.log_stream}"
        )
        return f"task {self.task_id} {ended}" + (f" ({reasons})" if reasons else "") + f"; {logs}"


class RunError(Exception):
    """The task could not be started, or did not stop in time (it was stopped)."""

    def __init__(self, message: str, result: RunResult | None = None) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class Clock:
    """What waiting needs from the outside world (tests replace it)."""

    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = time.monotonic
    polls: list[str] = field(default_factory=list)


def log_stream(prefix: str, container: str, task_arn: str) -> str:
    """The awslogs driver's stream of one container of one task."""
    return f"{prefix}/{container}/{task_arn.rsplit('/', 1)[-1]}"


def start_task(ecs: Any, target: RunTarget) -> str:
    """`RunTask` on Fargate; the new task's ARN. Raises `RunError` when ECS places nothing."""
    overrides: dict[str, Any] = {}
    container: dict[str, Any] = {}
    if target.command is not None:
        container["command"] = list(target.command)
    if target.environment:
        container["environment"] = [
            {"name": key, "value": value} for key, value in sorted(target.environment.items())
        ]
    if container:
        overrides = {"containerOverrides": [{"name": target.container, **container}]}
    response = ecs.run_task(
        cluster=target.cluster,
        taskDefinition=target.task_definition,
        launchType="FARGATE",
        platformVersion="LATEST",
        count=1,
        startedBy=target.started_by[:STARTED_BY_LIMIT],
        propagateTags="TASK_DEFINITION",
        enableECSManagedTags=True,
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": list(target.subnets),
                "securityGroups": list(target.security_groups),
                "assignPublicIp": "ENABLED" if target.assign_public_ip else "DISABLED",
            }
        },
        overrides=overrides,
    )
    tasks = response.get("tasks") or []
    if not tasks:
        failures = "; ".join(
            f"{f.get('arn', '?')}: {f.get('reason', '?')}"
            + (f" ({f['detail']})" if f.get("detail") else "")
            for f in response.get("failures") or []
        )
        raise RunError(f"ECS started no task ({failures or 'no reason given'})")
    return str(tasks[0]["taskArn"])


def wait_stopped(
    ecs: Any, cluster: str, task_arn: str, *, timeout: float, poll: float, clock: Clock
) -> dict[str, Any] | None:
    """The task's description once STOPPED; None when `timeout` seconds pass first."""
    deadline = clock.now() + timeout
    while True:
        described = ecs.describe_tasks(cluster=cluster, tasks=[task_arn]).get("tasks") or []
        status = described[0].get("lastStatus") if described else "MISSING"
        clock.polls.append(str(status))
        if described and status == "STOPPED":
            return dict(described[0])
        if clock.now() >= deadline:
            return None
        clock.sleep(max(0.0, min(poll, deadline - clock.now())))


def result_of(task: dict[str, Any], target: RunTarget) -> RunResult:
    """How a STOPPED task ended, read from its `DescribeTasks` description."""
    container = next(
        (c for c in task.get("containers") or [] if c.get("name") == target.container), {}
    )
    exit_code = container.get("exitCode")
    return RunResult(
        task_arn=str(task["taskArn"]),
        exit_code=int(exit_code) if exit_code is not None else None,
        stop_code=task.get("stopCode"),
        stopped_reason=str(task.get("stoppedReason") or ""),
        container_reason=container.get("reason"),
        log_group=target.log_group,
        log_stream=log_stream(target.log_stream_prefix, target.container, str(task["taskArn"])),
    )


def run_to_completion(
    ecs: Any,
    target: RunTarget,
    *,
    timeout: float,
    poll: float = 10.0,
    clock: Clock | None = None,
) -> RunResult:
    """Start the task, wait until it stops, return how it ended (whatever its exit code).

    Raises `RunError` when it cannot start, or when it is still running after `timeout`
    seconds: it is then stopped, so nothing keeps running behind a failed deploy."""
    clock = clock or Clock()
    task_arn = start_task(ecs, target)
    task = wait_stopped(ecs, target.cluster, task_arn, timeout=timeout, poll=poll, clock=clock)
    if task is None:
        ecs.stop_task(
            cluster=target.cluster,
            task=task_arn,
            reason=f"still running after {timeout:g} s: stopped by {target.started_by}"[:255],
        )
        stream = log_stream(target.log_stream_prefix, target.container, task_arn)
        raise RunError(
            f"task {task_arn.rsplit('/', 1)[-1]} still running after {timeout:g} s: stopped; "
            f"logs: group {target.log_group}, stream {stream}",
            RunResult(task_arn, None, None, "timed out", None, target.log_group, stream),
        )
    return result_of(task, target)
