"""Restart the ECS services that read a secret when the secret rotates.

ECS reads `secrets` only when a task starts: after a password rotates (a database login's, by
the stack's rotation task, or RDS's master password) the running tasks keep the old one and
every new database connection fails. This component closes that gap declaratively, with no code
to run: one EventBridge rule matches the rotation events of every secret it watches (Secrets
Manager's native `Secret Label Updated` event when `AWSCURRENT` moves to the new version, the
database already having the new password then; Parameter Store's `Parameter Store Change` event
when a parameter is overwritten), and starts a Step Functions state machine that picks the
services of the secret named in the event (a Choice on its ARN) and calls `ecs:UpdateService`
with `forceNewDeployment` on each (the AWS SDK integration, no Lambda). Each service then rolls
its tasks as any deployment does (circuit breaker, minimum healthy percent). An alarm on failed
executions, and one on the rule's failed invocations, notify the given topic.

Creates: the state machine and its role (UpdateService on those services only), the rule, its
target and the role EventBridge starts executions with, and the two alarms.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
from pulumi_aws import cloudwatch, iam, sfn

from ..naming import physical_name
from ..secure_queue import CountMetric, at_least_one_alarm
from ..service_trust import events_rule_trust, state_machine_trust
from .roles import role_with_policy

UPDATE_SERVICE = "arn:aws:states:::aws-sdk:ecs:updateService"
STORES = ("secretsManager", "parameterStore")
"""Where a watched secret lives: `restarts_pattern` takes the ARNs of each, in this order."""
FAILED_EXECUTIONS = CountMetric("AWS/States", "ExecutionsFailed", "Sum")
FAILED_INVOCATIONS = CountMetric("AWS/Events", "FailedInvocations", "Sum")
RETRY = {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "MaxAttempts": 4, "BackoffRate": 2}
"""Throttling or a deployment in progress: a few tries over about two and a half minutes."""


def rotation_event_pattern(secret_arn: str) -> dict[str, Any]:
    """Secrets Manager's native event when a staging label moves, for `AWSCURRENT` of this
    secret (Secrets Manager user guide, "Secret Label Updated event"; no CloudTrail needed)."""
    return secrets_pattern([secret_arn])


def secrets_pattern(secret_arns: Sequence[str]) -> dict[str, Any]:
    return {
        "source": ["aws.secretsmanager"],
        "detail-type": ["Secret Label Updated"],
        "resources": sorted(secret_arns),
        "detail": {"labelUpdated": ["AWSCURRENT"]},
    }


def parameters_pattern(parameter_arns: Sequence[str]) -> dict[str, Any]:
    """Parameter Store's event when a parameter is overwritten (Systems Manager user guide,
    "Monitoring Parameter Store events with Amazon EventBridge": `operation` Update)."""
    return {
        "source": ["aws.ssm"],
        "detail-type": ["Parameter Store Change"],
        "resources": sorted(parameter_arns),
        "detail": {"operation": ["Update"]},
    }


def restarts_pattern(secret_arns: Sequence[str], parameter_arns: Sequence[str]) -> dict[str, Any]:
    """One pattern for every watched secret and parameter (`$or` when both kinds are there)."""
    patterns = [
        *([secrets_pattern(secret_arns)] if secret_arns else []),
        *([parameters_pattern(parameter_arns)] if parameter_arns else []),
    ]
    if not patterns:
        raise ValueError("nothing to watch")
    return patterns[0] if len(patterns) == 1 else {"$or": patterns}


def restart_definition(
    comment: str, routes: Sequence[tuple[str, Sequence[str]]] = (), cluster: str = ""
) -> dict[str, Any]:
    """The state machine (Amazon States Language). Without `routes`, its input is
    `{"cluster": arn, "services": [arn, ...]}`; with `routes` (secret ARN -> service ARNs) its
    input is the rotation event, and a Choice on the event's resource picks the services. Each
    is forced to a new deployment, all in parallel."""
    restart = {
        "Type": "Map",
        "ItemsPath": "$.services",
        "ItemSelector": {"cluster.$": "$.cluster", "service.$": "$$.Map.Item.Value"},
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "ForceNewDeployment",
            "States": {
                "ForceNewDeployment": {
                    "Type": "Task",
                    "Resource": UPDATE_SERVICE,
                    # SDK integrations take the API's parameters in PascalCase.
                    "Parameters": {
                        "Cluster.$": "$.cluster",
                        "Service.$": "$.service",
                        "ForceNewDeployment": True,
                    },
                    "Retry": [RETRY],
                    "ResultPath": None,
                    "End": True,
                }
            },
        },
        "ResultPath": None,
        "End": True,
    }
    if not routes:
        return {
            "Comment": comment,
            "StartAt": "RestartServices",
            "States": {"RestartServices": restart},
        }
    states: dict[str, Any] = {
        "WhichSecret": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.resources[0]", "StringEquals": secret, "Next": f"Services{i}"}
                for i, (secret, _) in enumerate(routes)
            ],
            "Default": "NotWatched",
        },
        "NotWatched": {"Type": "Succeed"},
        "RestartServices": restart,
    }
    for index, (_, services) in enumerate(routes):
        states[f"Services{index}"] = {
            "Type": "Pass",
            "Result": {"cluster": cluster, "services": sorted(services)},
            "Next": "RestartServices",
        }
    return {"Comment": comment, "StartAt": "WhichSecret", "States": states}


def state_machine_policy(service_arns: Sequence[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RestartTheseServices",
                "Effect": "Allow",
                "Action": "ecs:UpdateService",
                "Resource": sorted(service_arns),
            }
        ],
    }


def start_execution_policy(state_machine_arn: str) -> dict[str, Any]:
    """EventBridge's role: start executions of this state machine, nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "StartTheRestart",
                "Effect": "Allow",
                "Action": "states:StartExecution",
                "Resource": state_machine_arn,
            }
        ],
    }


@dataclass(frozen=True)
class RestartOn:
    """A secret (or parameter) and the services whose tasks read it."""

    secret_arn: pulumi.Input[str]
    services: Mapping[str, pulumi.Input[str]]
    """Service name -> ECS service ARN."""
    store: Literal["secretsManager", "parameterStore"] = "secretsManager"


@dataclass(frozen=True)
class RotationRestartArgs:
    name: str | None = None
    """Physical name of the state machine and the rule (at most 64 characters); default
    `<project>-<stack>-<component name>` (`components/naming.py`, at most 49 characters: its
    alarms add `-restart-failed`)."""
    secret_arn: pulumi.Input[str] | None = None
    """One secret whose rotation restarts `services` (e.g. RDS's managed master secret)."""
    cluster_arn: pulumi.Input[str] = ""
    services: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """With `secret_arn`: service name -> ECS service ARN, the services reading it."""
    secrets: Sequence[RestartOn] = ()
    """Several secrets, each restarting its own services (the database logins)."""
    alarm_actions: Sequence[pulumi.Input[str]] = ()
    """Notified when a restart fails (SNS topic ARNs)."""
    permissions_boundary: pulumi.Input[str] | None = None
    """The managed policy every role of the component is created with as its permissions
    boundary (the bootstrap's `<project>-<env>-boundary`); None = no boundary."""
    region: str | None = None
    """Default: the provider's `aws:region` (the trusts' `aws:SourceArn`)."""
    tags: Mapping[str, str] = field(default_factory=dict)


def watched_secrets(name: str, args: RotationRestartArgs) -> list[RestartOn]:
    """Every secret the component `name` watches (`secret_arn` first), each with services;
    raises ValueError when there is none, a secret without services, or a name AWS refuses."""
    watched = list(args.secrets)
    if args.secret_arn is not None:
        watched.insert(0, RestartOn(args.secret_arn, args.services))
    if not watched or not all(item.services for item in watched):
        raise ValueError(f"{name}: no service to restart")
    if args.name is not None and len(args.name) > 64:
        raise ValueError(f"{name}: name {args.name!r} is longer than 64 characters")
    return watched


class RotationRestart(pulumi.ComponentResource):
    state_machine_arn: pulumi.Output[str]
    rule_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: RotationRestartArgs, opts: pulumi.ResourceOptions | None = None
    ):
        # The default name is the stack's own (two stacks never ask for the same one).
        physical = physical_name(args.name, name, max_length=49)
        args = dataclasses.replace(args, name=physical)
        watched = watched_secrets(name, args)
        region = args.region or aws.config.region
        if not region:
            raise ValueError(f"{name}: no region (set aws:region or RotationRestartArgs.region)")
        super().__init__("accessweaver:ecs:RotationRestart", name, None, opts)
        self._name, self._args, self._region = name, args, region
        self._physical = physical
        """The state machine's and the rule's name, the prefix of its alarms'."""
        self._tags = dict(args.tags)
        self._account = aws.get_caller_identity_output().account_id
        routes = pulumi.Output.all(
            *[
                pulumi.Output.all(
                    item.secret_arn, *[item.services[k] for k in sorted(item.services)]
                )
                for item in watched
            ]
        )
        names = sorted({service for item in watched for service in item.services})
        machine = self._state_machine(
            routes, f"Restart {', '.join(names)} when their secret rotates"
        )
        rule = self._rule(routes, [item.store for item in watched], machine)
        self._alarms(machine, rule)

        self.state_machine_arn = machine.arn
        self.rule_name = rule.name
        self.register_outputs(
            {"state_machine_arn": self.state_machine_arn, "rule_name": self.rule_name}
        )

    def _state_machine(self, routes: pulumi.Output[Any], comment: str) -> sfn.StateMachine:
        """The state machine and its role: UpdateService on the watched services only."""
        role, policy = self._role(
            "machine",
            "force new deployments of the services reading the secret",
            state_machine_trust,
            routes.apply(
                lambda found: json.dumps(
                    state_machine_policy(sorted({arn for route in found for arn in route[1:]}))
                )
            ),
        )
        return sfn.StateMachine(
            f"{self._name}-machine",
            name=self._physical,
            type="STANDARD",
            role_arn=role.arn,
            definition=pulumi.Output.all(routes, self._args.cluster_arn).apply(
                lambda values: json.dumps(
                    restart_definition(
                        comment,
                        [(route[0], list(route[1:])) for route in values[0]],
                        cluster=values[1],
                    )
                )
            ),
            tags=self._tags,
            # The role's permissions must exist before the first execution.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )

    def _rule(
        self, routes: pulumi.Output[Any], stores: Sequence[str], machine: sfn.StateMachine
    ) -> cloudwatch.EventRule:
        """The rule on the watched secrets' rotation events, its target (the state machine)
        and the role EventBridge starts executions with."""
        name, child = self._name, pulumi.ResourceOptions(parent=self)
        rule = cloudwatch.EventRule(
            f"{name}-rule",
            name=self._physical,
            description="A watched secret rotated: restart its readers",
            event_pattern=routes.apply(
                lambda found: json.dumps(
                    restarts_pattern(
                        *[
                            [r[0] for r, kind in zip(found, stores, strict=True) if kind == store]
                            for store in STORES
                        ]
                    )
                )
            ),
            tags=self._tags,
            opts=child,
        )
        role, policy = self._role(
            "events",
            "EventBridge starts the restart",
            events_rule_trust,
            machine.arn.apply(lambda arn: json.dumps(start_execution_policy(arn))),
        )
        cloudwatch.EventTarget(
            f"{name}-target",
            rule=rule.name,
            arn=machine.arn,
            role_arn=role.arn,
            # The event itself: the state machine picks the services of its secret.
            retry_policy={"maximum_event_age_in_seconds": 3600, "maximum_retry_attempts": 20},
            opts=pulumi.ResourceOptions(parent=rule, depends_on=[policy]),
        )
        return rule

    def _role(
        self,
        key: str,
        does: str,
        trust: Callable[[str, str, str], dict[str, Any]],
        document: pulumi.Input[str],
    ) -> tuple[iam.Role, iam.RolePolicy]:
        """`<name>-<key>-role`, which `trust(account, region, physical name)` lets its service
        assume (the state machine and the rule share the physical name), and its policy."""
        region, physical = self._region, self._physical
        return role_with_policy(
            self._name,
            key,
            description=f"{physical}: {does}",
            trust=self._account.apply(lambda acct: json.dumps(trust(acct, region, physical))),
            document=document,
            permissions_boundary=self._args.permissions_boundary,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _alarms(self, machine: sfn.StateMachine, rule: cloudwatch.EventRule) -> None:
        """A failed execution, and a rule that could not start one."""
        name, args = self._name, self._args
        alarms: list[tuple[str, str, str, CountMetric, dict[str, Any], pulumi.Resource]] = [
            (
                "failed",
                "restart-failed",
                "A restart after the secret rotated failed: tasks still hold the old password; "
                "force a new deployment of the services by hand",
                FAILED_EXECUTIONS,
                {"StateMachineArn": machine.arn},
                machine,
            ),
            (
                "invocation",
                "not-started",
                "EventBridge could not start the restart after the secret rotated",
                FAILED_INVOCATIONS,
                {"RuleName": rule.name},
                rule,
            ),
        ]
        for key, suffix, description, metric, dimensions, parent in alarms:
            at_least_one_alarm(
                f"{name}-{key}-alarm",
                metric,
                dimensions,
                alarm_name=f"{self._physical}-{suffix}",
                description=description,
                actions=args.alarm_actions,
                tags=self._tags,
                opts=pulumi.ResourceOptions(parent=parent),
            )
