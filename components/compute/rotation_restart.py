"""Restart the ECS services that read a secret when the secret rotates.

ECS reads `secrets` only when a task starts: after RDS rotates its managed master password (every
7 days by default) the running tasks keep the old one and every new database connection fails.
This component closes that gap declaratively, with no code to run: an EventBridge rule matches
Secrets Manager's native `Secret Label Updated` event for the secret when `AWSCURRENT` moves to
the new version (the database already has the new password then), and starts a Step Functions
state machine whose only step calls `ecs:UpdateService` with `forceNewDeployment` on each
service (the AWS SDK integration, no Lambda). Each service then rolls its tasks as any deployment
does (circuit breaker, minimum healthy percent). An alarm on failed executions, and one on the
rule's failed invocations, notify the given topic.

Creates: the state machine and its role (UpdateService on those services only), the rule, its
target and the role EventBridge starts executions with, and the two alarms.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_aws import cloudwatch, iam, sfn

from ..iam_path import role_settings
from ..service_trust import events_rule_trust, state_machine_trust

UPDATE_SERVICE = "arn:aws:states:::aws-sdk:ecs:updateService"
RETRY = {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "MaxAttempts": 4, "BackoffRate": 2}
"""Throttling or a deployment in progress: a few tries over about two and a half minutes."""


def rotation_event_pattern(secret_arn: str) -> dict[str, Any]:
    """Secrets Manager's native event when a staging label moves, for `AWSCURRENT` of this
    secret (Secrets Manager user guide, "Secret Label Updated event"; no CloudTrail needed)."""
    return {
        "source": ["aws.secretsmanager"],
        "detail-type": ["Secret Label Updated"],
        "resources": [secret_arn],
        "detail": {"labelUpdated": ["AWSCURRENT"]},
    }


def restart_definition(comment: str) -> dict[str, Any]:
    """The state machine (Amazon States Language): for each service of the input
    (`{"cluster": arn, "services": [arn, ...]}`), force a new deployment, all in parallel."""
    return {
        "Comment": comment,
        "StartAt": "RestartServices",
        "States": {
            "RestartServices": {
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
        },
    }


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


@dataclass(frozen=True)
class RotationRestartArgs:
    name: str
    """Physical name of the state machine and the rule (at most 64 characters)."""
    secret_arn: pulumi.Input[str]
    """The secret whose rotation restarts the services (RDS's managed master secret)."""
    cluster_arn: pulumi.Input[str]
    services: Mapping[str, pulumi.Input[str]]
    """Service name -> ECS service ARN: the services whose tasks read the secret."""
    alarm_actions: Sequence[pulumi.Input[str]] = ()
    """Notified when a restart fails (SNS topic ARNs)."""
    permissions_boundary: pulumi.Input[str] | None = None
    """The managed policy every role of the component is created with as its permissions
    boundary (the bootstrap's `<project>-<env>-boundary`); None = no boundary."""
    region: str | None = None
    """Default: the provider's `aws:region` (the trusts' `aws:SourceArn`)."""
    tags: Mapping[str, str] = field(default_factory=dict)


class RotationRestart(pulumi.ComponentResource):
    state_machine_arn: pulumi.Output[str]
    rule_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: RotationRestartArgs, opts: pulumi.ResourceOptions | None = None
    ):
        if not args.services:
            raise ValueError(f"{name}: no service to restart")
        if len(args.name) > 64:
            raise ValueError(f"{name}: name {args.name!r} is longer than 64 characters")
        region = args.region or aws.config.region
        if not region:
            raise ValueError(f"{name}: no region (set aws:region or RotationRestartArgs.region)")
        super().__init__("accessweaver:ecs:RotationRestart", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        account = aws.get_caller_identity_output().account_id
        arns = [args.services[key] for key in sorted(args.services)]

        machine_role = iam.Role(
            f"{name}-machine-role",
            description=f"{args.name}: force new deployments of the services reading the secret",
            assume_role_policy=account.apply(
                lambda acct: json.dumps(state_machine_trust(acct, region, args.name))
            ),
            **role_settings(tags, args.permissions_boundary),
            opts=child,
        )
        machine_policy = iam.RolePolicy(
            f"{name}-machine-policy",
            role=machine_role.id,
            policy=pulumi.Output.all(*arns).apply(
                lambda values: json.dumps(state_machine_policy(list(values)))
            ),
            opts=pulumi.ResourceOptions(parent=machine_role),
        )
        machine = sfn.StateMachine(
            f"{name}-machine",
            name=args.name,
            type="STANDARD",
            role_arn=machine_role.arn,
            definition=json.dumps(
                restart_definition(
                    f"Restart {', '.join(sorted(args.services))} when their secret rotates"
                )
            ),
            tags=tags,
            # The role's permissions must exist before the first execution.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[machine_policy]),
        )

        rule = cloudwatch.EventRule(
            f"{name}-rule",
            name=args.name,
            description="The secret rotated (AWSCURRENT moved): restart its readers",
            event_pattern=pulumi.Output.from_input(args.secret_arn).apply(
                lambda arn: json.dumps(rotation_event_pattern(arn))
            ),
            tags=tags,
            opts=child,
        )
        events_role = iam.Role(
            f"{name}-events-role",
            description=f"{args.name}: EventBridge starts the restart",
            assume_role_policy=account.apply(
                lambda acct: json.dumps(events_rule_trust(acct, region, args.name))
            ),
            **role_settings(tags, args.permissions_boundary),
            opts=child,
        )
        events_policy = iam.RolePolicy(
            f"{name}-events-policy",
            role=events_role.id,
            policy=machine.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "StartTheRestart",
                                "Effect": "Allow",
                                "Action": "states:StartExecution",
                                "Resource": arn,
                            }
                        ],
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=events_role),
        )
        cloudwatch.EventTarget(
            f"{name}-target",
            rule=rule.name,
            arn=machine.arn,
            role_arn=events_role.arn,
            # The services to restart, not the event: the state machine needs nothing else.
            input=pulumi.Output.json_dumps({"cluster": args.cluster_arn, "services": arns}),
            retry_policy={"maximum_event_age_in_seconds": 3600, "maximum_retry_attempts": 20},
            opts=pulumi.ResourceOptions(parent=rule, depends_on=[events_policy]),
        )
        self._alarms(name, args, machine, rule, tags)

        self.state_machine_arn = machine.arn
        self.rule_name = rule.name
        self.register_outputs(
            {"state_machine_arn": self.state_machine_arn, "rule_name": self.rule_name}
        )

    def _alarms(
        self,
        name: str,
        args: RotationRestartArgs,
        machine: sfn.StateMachine,
        rule: cloudwatch.EventRule,
        tags: Mapping[str, str],
    ) -> None:
        common = {
            "comparison_operator": "GreaterThanOrEqualToThreshold",
            "evaluation_periods": 1,
            "period": 300,
            "statistic": "Sum",
            "threshold": 1,
            "treat_missing_data": "notBreaching",
            "alarm_actions": list(args.alarm_actions),
            "ok_actions": list(args.alarm_actions),
            "tags": tags,
        }
        cloudwatch.MetricAlarm(
            f"{name}-failed-alarm",
            name=f"{args.name}-restart-failed",
            alarm_description="A restart after the secret rotated failed: tasks still hold the "
            "old password; force a new deployment of the services by hand",
            namespace="AWS/States",
            metric_name="ExecutionsFailed",
            dimensions={"StateMachineArn": machine.arn},
            opts=pulumi.ResourceOptions(parent=machine),
            **common,
        )
        cloudwatch.MetricAlarm(
            f"{name}-invocation-alarm",
            name=f"{args.name}-not-started",
            alarm_description="EventBridge could not start the restart after the secret rotated",
            namespace="AWS/Events",
            metric_name="FailedInvocations",
            dimensions={"RuleName": rule.name},
            opts=pulumi.ResourceOptions(parent=rule),
            **common,
        )
