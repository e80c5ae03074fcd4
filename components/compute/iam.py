"""IAM policy documents the cluster's roles use, as plain data (no Pulumi resources).

Least privilege: the execution role may pull only the services' own ECR repositories, write only
to the stack's log groups and read only the secrets the stack config declares. Actions AWS does
not scope to resources (`ecr:GetAuthorizationToken`, X-Ray, SSM messages) are the only `*`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/"
    r"(?P<repository>[^:@]+)(:[^@]+|@sha256:[0-9a-f]{64})$"
)


def ecr_repository_arn(image: str) -> str | None:
    """ARN of the ECR repository an image is pulled from; None for other registries."""
    match = _ECR_IMAGE.match(image)
    if match is None:
        return None
    return f"arn:aws:ecr:{match['region']}:{match['account']}:repository/{match['repository']}"


def secret_resource_arn(value_from: str) -> str:
    """The ARN IAM needs for a `valueFrom` (drops a `:json-key:stage:version` suffix)."""
    parts = value_from.split(":")
    return ":".join(parts[:7]) if parts[2] == "secretsmanager" else value_from


def assume_role_policy(account_id: str, region: str) -> dict[str, Any]:
    """Trust ECS tasks of this account and region only (confused-deputy protection)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{region}:{account_id}:*"},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            }
        ],
    }


def execution_policy(
    *,
    account_id: str,
    region: str,
    log_group_prefix: str,
    images: Iterable[str],
    secret_refs: Iterable[str],
) -> dict[str, Any]:
    statements: list[dict[str, Any]] = []
    repositories = sorted({arn for arn in map(ecr_repository_arn, images) if arn})
    if repositories:
        statements += [
            {
                "Sid": "EcrAuth",
                "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "*",
            },
            {
                "Sid": "EcrPull",
                "Effect": "Allow",
                "Action": [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                "Resource": repositories,
            },
        ]
    log_groups = f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_prefix}/*"
    statements.append(
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [log_groups, f"{log_groups}:log-stream:*"],
        }
    )
    refs = sorted({secret_resource_arn(ref) for ref in secret_refs})
    secrets = [ref for ref in refs if ":secretsmanager:" in ref]
    parameters = [ref for ref in refs if ":ssm:" in ref]
    if secrets:
        statements.append(
            {
                "Sid": "Secrets",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secrets,
            }
        )
    if parameters:
        statements.append(
            {
                "Sid": "Parameters",
                "Effect": "Allow",
                "Action": "ssm:GetParameters",
                "Resource": parameters,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def task_policy(*, xray: bool, execute_command: bool) -> dict[str, Any] | None:
    """What the application containers may call; None when they need nothing."""
    statements: list[dict[str, Any]] = []
    if xray:
        statements.append(
            {
                "Sid": "XRay",
                "Effect": "Allow",
                "Action": [
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                    "xray:GetSamplingStatisticSummaries",
                ],
                "Resource": "*",
            }
        )
    if execute_command:
        statements.append(
            {
                "Sid": "EcsExec",
                "Effect": "Allow",
                "Action": [
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                ],
                "Resource": "*",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements} if statements else None
