"""A container that runs to completion on ECS Fargate, from its own arguments (usable in any
Pulumi program): a schema migration, a nightly job, a maintenance command.

Creates, all its own (`workload.py`, as a `Microservice` has them): a log group, a security
group with egress to the AWS APIs on 443 and the paths to the peers its bindings name (the
ingress on each peer's group; never an ingress rule on its own), an execution role (its image
repository, its log group, its secrets) and a task role (its bindings' statements only), and a
Fargate task definition with the services' container hardening (read-only root, non-root user,
/tmp volume), without a health check (ECS ignores it outside a service).

Optional, one or the other:
- `schedule`: EventBridge Scheduler runs it (RunTask) from a schedule group of its own, in a
  time zone, with retries and a maximum event age, failed invocations going to an encrypted
  dead-letter queue (alarmed); its role may run this task definition family on this cluster
  and pass this task's roles, nothing else (`task_schedule.py`). Each stopped run whose
  container exited non-zero or that failed to start is caught by an EventBridge rule, kept in
  a queue for 14 days and alarmed (`<family>-failed`).
- `migration`: a `MigrationRun` runs the task during `pulumi up` and fails the update unless it
  exits 0; give `migration_run` to every service's `depends_on` so none rolls after a failure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws
from pulumi_aws import cloudwatch, ec2, ecs, iam, scheduler

from ..bindings import Binding, merge_bindings
from ..errors import ConfigIssue, raise_argument_issues
from ..naming import physical_name
from ..secure_queue import (
    CountMetric,
    at_least_one_alarm,
    holding_queue,
    messages_waiting_alarm,
    tls_only_policy,
)
from . import workload
from .cluster import ClusterRef
from .containers import ContainerArgs, repository_credentials_issues
from .fargate import ephemeral_storage_issues, size_issues
from .migration import MigrationRun, MigrationRunArgs
from .roles import role_with_policy
from .task_run import LOG_STREAM_PREFIX
from .task_schedule import (
    failure_delivery_statement,
    failure_event_pattern,
    scheduler_policy,
    scheduler_trust_policy,
)

INTERNET = "0.0.0.0/0"
RULE_INVOCATIONS = CountMetric("AWS/Events", "Invocations", "Sum")
"""Events a rule sent to its target, delivered or not."""
NAME_LIMIT = 64
"""Schedule, schedule group and EventBridge rule names: 1-64 characters."""
OUTPUTS = (
    "family",
    "task_definition_arn",
    "security_group_id",
    "task_role_arn",
    "execution_role_arn",
    "log_group_name",
    "container_name",
    "subnet_ids",
    "assign_public_ip",
    "schedule_arn",
    "dead_letter_queue_arn",
)
"""The attributes an `EcsTask` registers as its outputs, in this order."""
__all__ = ["EcsTask", "EcsTaskArgs", "MigrationArgs", "TaskScheduleArgs"]


@dataclass(frozen=True)
class TaskScheduleArgs:
    """When EventBridge Scheduler runs the task (`cron(...)`, `rate(...)`, `at(...)`)."""

    expression: str
    timezone: str = "UTC"
    retries: int = 3
    """Retries of a RunTask invocation that failed (0-185)."""
    maximum_event_age_seconds: int = 3600
    """How late a run may still start (60-86400 s)."""

    def problems(self) -> list[str]:
        found = []
        if not self.expression.startswith(("cron(", "rate(", "at(")):
            found.append(f"schedule expression {self.expression!r} is not cron(), rate() or at()")
        if not 0 <= self.retries <= 185:
            found.append("retries must be 0 to 185")
        if not 60 <= self.maximum_event_age_seconds <= 86400:
            found.append("maximum_event_age_seconds must be 60 to 86400")
        return found


@dataclass(frozen=True)
class MigrationArgs:
    """Run the task during `pulumi up`, waiting at most `timeout_seconds` for exit code 0."""

    timeout_seconds: int = 1800
    depends_on: Sequence[pulumi.Resource] = ()
    """Runs that must succeed first (the stack's platform setup before its migration)."""


@dataclass(frozen=True)
class EcsTaskArgs:
    cluster: ClusterRef
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[str]]
    """Subnets of its runs (private; public ones with `assign_public_ip`)."""
    container: ContainerArgs
    """The container (no port: nothing connects to a task)."""
    cpu: int = 256
    memory: int = 512
    family: str | None = None
    """Task definition family and the name of its schedule and alarms; default
    `<project>-<stack>-<name>` (`components/naming.py`)."""
    log_group_name: str | None = None
    """Default `/ecs/<family>`."""
    log_retention_days: int = 30
    bindings: Sequence[Binding] = ()
    """What the task uses and calls: environment, secrets by ARN, paths, permissions."""
    schedule: TaskScheduleArgs | None = None
    migration: MigrationArgs | None = None
    alarm_actions: Sequence[pulumi.Input[str]] = ()
    """SNS topic ARNs the failure and dead-letter alarms notify."""
    cpu_architecture: Literal["X86_64", "ARM64"] = "X86_64"
    ephemeral_storage_gib: int | None = None
    """Task ephemeral storage, 21-200 GiB; None = the 20 GiB every Fargate task has."""
    assign_public_ip: bool = False
    https_egress_cidrs: Sequence[pulumi.Input[str]] = (INTERNET,)
    """Where the task reaches AWS APIs and registries on 443; each may be an Output."""
    region: str | None = None
    """Default: the provider's `aws:region`."""
    permissions_boundary: pulumi.Input[str] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


def task_argument_issues(args: EcsTaskArgs, family: str, region: str | None) -> list[ConfigIssue]:
    """Every problem of a task's arguments (its resolved `family` and `region` given), each at
    the argument it concerns: the region and size, the container (no port, no restart
    policy), how it runs (a schedule or a migration), its ephemeral storage and credentials."""
    issues: list[ConfigIssue] = []
    if not region:
        issues.append(ConfigIssue("region", None, "no region", "aws:region set, or a region here"))
    size_issues(args.cpu, args.memory, "cpu", "memory", issues)
    if args.container.port is not None:
        issues.append(
            ConfigIssue(
                "container.port",
                args.container.port,
                "a task has no port: nothing connects to it",
                "None",
            )
        )
    if args.container.restart_policy is not None:
        issues.append(
            ConfigIssue(
                "container.restart_policy",
                args.container.restart_policy,
                "a task runs to completion: no restart policy",
                "None",
            )
        )
    issues += run_mode_issues(args, family)
    issues += ephemeral_storage_issues(args.ephemeral_storage_gib)
    issues += repository_credentials_issues(args.container)
    return issues


def run_mode_issues(args: EcsTaskArgs, family: str) -> list[ConfigIssue]:
    """A task runs on a schedule or as a migration, not both; each with values AWS accepts."""
    issues: list[ConfigIssue] = []
    if args.schedule is not None and args.migration is not None:
        issues.append(
            ConfigIssue(
                "migration",
                args.migration,
                "a task runs on a schedule or before a deploy, not both (schedule is set)",
                "schedule or migration, not both",
            )
        )
    if args.schedule is not None:
        issues += [ConfigIssue("schedule", args.schedule, p) for p in args.schedule.problems()]
        if len(family) + len("-failed") > NAME_LIMIT:
            issues.append(
                ConfigIssue(
                    "family",
                    family,
                    f"its names exceed {NAME_LIMIT} chars",
                    f"at most {NAME_LIMIT - len('-failed')} characters",
                )
            )
    if args.migration is not None and args.migration.timeout_seconds <= 0:
        issues.append(
            ConfigIssue(
                "migration.timeout_seconds",
                args.migration.timeout_seconds,
                "migration timeout_seconds must be more than 0",
                "more than 0",
            )
        )
    return issues


@dataclass(frozen=True)
class _TaskParts:
    """What `EcsTask` builds before it schedules or runs the task."""

    log_group: cloudwatch.LogGroup
    group: ec2.SecurityGroup
    execution_role: iam.Role
    task_role: iam.Role
    task_definition: ecs.TaskDefinition
    ready: list[pulumi.Resource]
    """What must exist before a run starts: its log group, egress, paths and policies."""


class EcsTask(pulumi.ComponentResource):
    family: str
    task_definition_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    task_role_arn: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    container_name: str
    subnet_ids: pulumi.Output[list[str]]
    assign_public_ip: bool
    schedule_arn: pulumi.Output[str] | None
    dead_letter_queue_arn: pulumi.Output[str] | None
    migration_run: MigrationRun | None
    """The run services must wait for (`depends_on`); None unless `migration`."""

    def __init__(self, name: str, args: EcsTaskArgs, opts: pulumi.ResourceOptions | None = None):
        # Every argument problem is raised before anything is registered, all of them at once.
        self._name, self._args = name, args
        # The default leaves room for the `-failed` suffix of its schedule's alarm and rule.
        self.family = physical_name(args.family, name, max_length=NAME_LIMIT - len("-failed"))
        self._region = args.region or aws.config.region
        raise_argument_issues(
            "EcsTask", name, "EcsTaskArgs", task_argument_issues(args, self.family, self._region)
        )
        self._tags = dict(args.tags)
        super().__init__("accessweaver:ecs:EcsTask", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        parts = self._task(child)

        self.container_name = name
        self.subnet_ids = pulumi.Output.from_input(args.subnet_ids)
        self.assign_public_ip = args.assign_public_ip
        self.task_definition_arn = parts.task_definition.arn
        self.security_group_id = parts.group.id
        self.task_role_arn = parts.task_role.arn
        self.execution_role_arn = parts.execution_role.arn
        self.log_group_name = parts.log_group.name
        self.schedule_arn = None
        self.dead_letter_queue_arn = None
        self.migration_run = None
        if args.schedule is not None:
            self.schedule_arn, self.dead_letter_queue_arn = self._schedule(
                args.schedule, parts.group, parts.execution_role, parts.task_role, child
            )
            self._failure_alarm(child)
        if args.migration is not None:
            self.migration_run = self._migration_run(args.migration, parts)
        self.register_outputs({key: getattr(self, key) for key in OUTPUTS})

    def _task(self, child: pulumi.ResourceOptions) -> _TaskParts:
        """The log group, security group and peer paths, roles and task definition."""
        args, name = self._args, self._name
        credentials = args.container.repository_credentials
        environment, secrets = merge_bindings(
            name, args.container.environment, args.container.secrets, args.bindings
        )
        owner = workload.Owner(
            name, self.family, self._region, self._tags, args.permissions_boundary, child
        )
        log_group = workload.log_group(
            owner,
            log_group_name=args.log_group_name or f"/ecs/{self.family}",
            retention_days=args.log_retention_days,
        )
        group, egress = workload.security_group(
            owner,
            vpc_id=args.vpc_id,
            description=f"{self.family}: a task, outbound only (nothing connects to it)",
            https_egress_cidrs=args.https_egress_cidrs,
        )
        paths = workload.open_peer_paths(owner, group=group, bindings=args.bindings)
        execution_role, execution_policy = workload.execution_role(
            owner,
            image=args.container.image,
            log_group=log_group,
            secrets=secrets,
            registry_credentials=(
                [(credentials.secret_arn, credentials.kms_key_arn)] if credentials else []
            ),
        )
        task_role, task_policy = workload.task_role(
            owner, statements=[s for binding in args.bindings for s in binding.permissions]
        )
        task_definition = workload.task_definition(
            owner,
            args,
            log_group=log_group,
            execution_role=execution_role,
            task_role=task_role,
            environment=environment,
            secrets=secrets,
            health_check=False,
        )
        # What a run needs from its first second: it reaches its data stores and reads its
        # secrets at once.
        ready = [log_group, *egress, *paths, execution_policy, *args.cluster.depends_on]
        if task_policy is not None:
            ready.append(task_policy)
        return _TaskParts(log_group, group, execution_role, task_role, task_definition, ready)

    def _migration_run(self, migration: MigrationArgs, parts: _TaskParts) -> MigrationRun:
        """Run the task during `pulumi up`, once every rule and policy it needs exists."""
        args, name = self._args, self._name
        return MigrationRun(
            f"{name}-run",
            MigrationRunArgs(
                cluster_arn=args.cluster.cluster_arn,
                task_definition_arn=parts.task_definition.arn,
                container_name=name,
                subnet_ids=args.subnet_ids,
                security_group_ids=[parts.group.id],
                region=self._region,
                log_group_name=parts.log_group.name,
                timeout_seconds=migration.timeout_seconds,
                assign_public_ip=args.assign_public_ip,
            ),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*parts.ready, *migration.depends_on]
            ),
        )

    @property
    def log_stream_prefix(self) -> str:
        """Each run logs to `<prefix>/<container>/<task id>` in the log group."""
        return LOG_STREAM_PREFIX

    # -- the schedule -------------------------------------------------------------------------

    def _schedule(
        self,
        spec: TaskScheduleArgs,
        group: ec2.SecurityGroup,
        execution_role: iam.Role,
        task_role: iam.Role,
        child: pulumi.ResourceOptions,
    ) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        args, name, family = self._args, self._name, self.family
        # A group of its own: the role trusts schedules of this group only (aws:SourceArn).
        schedule_group = scheduler.ScheduleGroup(
            f"{name}-schedule-group", name=family, tags=self._tags, opts=child
        )
        dead = holding_queue(f"{name}-dlq", physical=f"{family}-dlq", tags=self._tags, opts=child)
        tls_only_policy(f"{name}-dlq-policy", dead)
        messages_waiting_alarm(
            f"{name}-dlq-alarm",
            alarm_name=f"{family}-dead-letters",
            description=f"EventBridge Scheduler could not start {family} (after its retries): "
            "the dead-letter queue holds the invocation and the error",
            queue=dead,
            actions=args.alarm_actions,
            tags=self._tags,
        )
        account = aws.get_caller_identity_output().account_id
        role, policy = role_with_policy(
            name,
            "scheduler",
            description=f"{family}: EventBridge Scheduler runs this task, nothing else",
            trust=pulumi.Output.all(account, schedule_group.arn).apply(
                lambda values: json.dumps(scheduler_trust_policy(values[0], values[1]))
            ),
            document=pulumi.Output.all(
                self.task_definition_arn,
                args.cluster.cluster_arn,
                execution_role.arn,
                task_role.arn,
                dead.arn,
            ).apply(
                lambda values: json.dumps(
                    scheduler_policy(
                        task_definition_arn=values[0],
                        cluster_arn=values[1],
                        execution_role_arn=values[2],
                        task_role_arn=values[3],
                        dead_letter_queue_arn=values[4],
                    )
                )
            ),
            permissions_boundary=args.permissions_boundary,
            tags=self._tags,
            opts=child,
        )
        schedule = scheduler.Schedule(
            f"{name}-schedule",
            name=family,
            group_name=schedule_group.name,
            description=f"Runs {family} (ECS RunTask)",
            schedule_expression=spec.expression,
            schedule_expression_timezone=spec.timezone,
            flexible_time_window={"mode": "OFF"},
            target={
                "arn": args.cluster.cluster_arn,
                "role_arn": role.arn,
                "ecs_parameters": {
                    "task_definition_arn": self.task_definition_arn,
                    "launch_type": "FARGATE",
                    "task_count": 1,
                    "network_configuration": {
                        "subnets": args.subnet_ids,
                        "security_groups": [group.id],
                        "assign_public_ip": args.assign_public_ip,
                    },
                    "propagate_tags": "TASK_DEFINITION",
                    "enable_ecs_managed_tags": True,
                },
                "retry_policy": {
                    "maximum_retry_attempts": spec.retries,
                    "maximum_event_age_in_seconds": spec.maximum_event_age_seconds,
                },
                "dead_letter_config": {"arn": dead.arn},
            },
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[policy, *args.cluster.depends_on])
            ),
        )
        return schedule.arn, dead.arn

    def _failure_alarm(self, child: pulumi.ResourceOptions) -> None:
        """A run that failed after it started: an EventBridge rule on the stopped task, its
        events kept in a queue, an alarm on the rule's invocations."""
        args, name, family = self._args, self._name, self.family
        rule = cloudwatch.EventRule(
            f"{name}-failure-rule",
            name=f"{family}-failed",
            description=f"A run of {family} stopped with a non-zero exit code or did not start",
            event_pattern=pulumi.Output.from_input(args.cluster.cluster_arn).apply(
                lambda cluster: json.dumps(failure_event_pattern(cluster, family))
            ),
            tags=self._tags,
            opts=child,
        )
        failures = holding_queue(
            f"{name}-failures", physical=f"{family}-failures", tags=self._tags, opts=child
        )
        tls_only_policy(
            f"{name}-failures-policy",
            failures,
            allow=pulumi.Output.all(failures.arn, rule.arn).apply(
                lambda values: [failure_delivery_statement(values[0], values[1])]
            ),
        )
        cloudwatch.EventTarget(
            f"{name}-failure-target",
            rule=rule.name,
            arn=failures.arn,
            opts=pulumi.ResourceOptions(parent=rule),
        )
        # Invocations counts each event the rule sends to its target, delivered or not
        # (EventBridge user guide, "Monitoring Amazon EventBridge"); a rule without a target
        # would count nothing.
        at_least_one_alarm(
            f"{name}-failure-alarm",
            RULE_INVOCATIONS,
            {"RuleName": rule.name},
            alarm_name=f"{family}-failed",
            description=f"A run of {family} failed (non-zero exit or failed to start): "
            f"the stopped-task events wait in {family}-failures",
            actions=args.alarm_actions,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=rule),
        )
