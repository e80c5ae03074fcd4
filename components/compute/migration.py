"""The run of a task that a deploy waits for: a Pulumi dynamic resource (Python, no plugin).

`MigrationRun` is one run of a task definition revision. Its provider's `create` and `update`
start the task (`task_run.run_to_completion`: RunTask on Fargate in the stack's subnets with the
task's own security group), wait until it stops, bounded by `timeout_seconds`, and raise unless
its container exited 0, naming the exit code, ECS's stop reason and the log stream. The ECS
services of the stack depend on it, so `pulumi up` rolls no service after a failed run: they
keep their running revision.

It runs again when, and only when, the task definition ARN changes: every new image or setting
registers a new revision. `check`, `diff` and `read` make no AWS call at all, so a preview, a
refresh or the drift check never runs the task and needs no permission for it; `delete` does
nothing (a run cannot be undone). Under the offline engine the provider is never called; its
methods are tested directly with a stub ECS client (tests/test_tasks.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from .task_run import Clock, RunError, RunResult, RunTarget, run_to_completion

RUN_KEY = "task_definition_arn"
"""The input whose change (a new revision) runs the task again."""
OUTPUTS = ("task_arn", "exit_code", "log_stream")
REQUIRED = ("cluster", RUN_KEY, "container_name", "subnets", "security_groups", "region")
POLL_SECONDS = 10.0


class MigrationFailed(Exception):
    """The task ran and did not exit 0, could not start, or outlived its timeout."""


def _boto3_ecs(region: str) -> Any:
    import boto3  # the deploy's own credentials; imported only when a run happens
    from botocore.config import Config

    return boto3.client("ecs", region_name=region, config=Config(retries={"mode": "standard"}))


class MigrationRunProvider(ResourceProvider):
    """Runs the task on create and on a new task definition; every other method is local."""

    # Class attributes, not instance state: the serialized provider stays a reference to this
    # class, and a test swaps them on an instance.
    make_client = staticmethod(_boto3_ecs)
    # The serialized provider is code, not a value: marked secret only if it captured one (it
    # captures none), so the stack's state holds no secret (docs/DESIGN.md, "Pull requests
    # never see a secret"; pulumi's default, True, would mark it secret always).
    serialize_as_secret_always = False
    clock: Clock | None = None
    poll_seconds: float = POLL_SECONDS

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = [
            CheckFailure(key, f"{key} is required") for key in REQUIRED if news.get(key) is None
        ]
        timeout = news.get("timeout_seconds")
        if isinstance(timeout, (int, float)) and timeout <= 0:
            failures.append(CheckFailure("timeout_seconds", "must be more than 0"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Changes = inputs that differ (never a replacement: a run is not recreated, it runs
        again on update). No AWS call: a preview role can diff it."""
        changed = [
            key
            for key in sorted(set(olds) | set(news))
            if not key.startswith("__") and key not in OUTPUTS and olds.get(key) != news.get(key)
        ]
        return DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """What the state says: a run is history, there is nothing live to compare it with."""
        return ReadResult(id_, props)

    def create(self, props: dict[str, Any]) -> CreateResult:
        result = self._run(props)
        return CreateResult(id_=result.task_arn, outs={**props, **_outputs(result)})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if olds.get(RUN_KEY) == news.get(RUN_KEY):
            # Only the way it runs changed (timeout, subnets): the revision already ran.
            return UpdateResult(outs={**news, **{k: olds.get(k) for k in OUTPUTS}})
        return UpdateResult(outs={**news, **_outputs(self._run(news))})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """A run cannot be undone (its schema changes stay); nothing to delete."""

    def _run(self, props: dict[str, Any]) -> RunResult:
        target = RunTarget(
            cluster=str(props["cluster"]),
            task_definition=str(props[RUN_KEY]),
            container=str(props["container_name"]),
            subnets=list(props["subnets"]),
            security_groups=list(props["security_groups"]),
            assign_public_ip=bool(props.get("assign_public_ip")),
            log_group=props.get("log_group"),
            started_by="pulumi-up-migration",
        )
        family = target.task_definition.rsplit("/", 1)[-1]
        timeout = float(props.get("timeout_seconds") or 1800)
        ecs = self.make_client(str(props["region"]))
        try:
            result = run_to_completion(
                ecs, target, timeout=timeout, poll=self.poll_seconds, clock=self.clock
            )
        except RunError as error:
            raise MigrationFailed(
                f"{family}: {error}. No service of the stack was updated: they keep running "
                "their current revision."
            ) from error
        if not result.succeeded:
            raise MigrationFailed(
                f"{family}: {result.describe()}. No service of the stack was updated: they "
                "keep running their current revision."
            )
        return result


def _outputs(result: RunResult) -> dict[str, Any]:
    return {
        "task_arn": result.task_arn,
        "exit_code": result.exit_code,
        "log_stream": result.log_stream,
    }


@dataclass(frozen=True)
class MigrationRunArgs:
    cluster_arn: pulumi.Input[str]
    task_definition_arn: pulumi.Input[str]
    """The revision to run; a new one runs the task again."""
    container_name: str
    subnet_ids: pulumi.Input[Sequence[str]]
    security_group_ids: Sequence[pulumi.Input[str]]
    region: str
    log_group_name: pulumi.Input[str]
    timeout_seconds: int = 1800
    assign_public_ip: bool = False


class MigrationRun(Resource, module="accessweaver", name="MigrationRun"):
    """One run of `task_definition_arn` that must exit 0 (type
    `pulumi-python:dynamic/accessweaver:MigrationRun`)."""

    task_arn: pulumi.Output[str]
    exit_code: pulumi.Output[int]
    log_stream: pulumi.Output[str]

    def __init__(
        self, name: str, args: MigrationRunArgs, opts: pulumi.ResourceOptions | None = None
    ):
        if args.timeout_seconds <= 0:
            raise ValueError(f"{name}: timeout_seconds must be more than 0")
        super().__init__(
            MigrationRunProvider(),
            name,
            {
                "cluster": args.cluster_arn,
                RUN_KEY: args.task_definition_arn,
                "container_name": args.container_name,
                "subnets": args.subnet_ids,
                "security_groups": list(args.security_group_ids),
                "assign_public_ip": args.assign_public_ip,
                "region": args.region,
                "log_group": args.log_group_name,
                "timeout_seconds": args.timeout_seconds,
                **dict.fromkeys(OUTPUTS),
            },
            opts,
        )
