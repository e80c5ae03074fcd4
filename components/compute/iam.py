"""IAM policy documents of a service's two roles, as plain data (no Pulumi resources).

Least privilege, per service: its execution role may pull only its own image repository, write
only to its own log group and read only the secrets its task definition references; its task
role holds the statements of the pieces it uses, plus X-Ray's PutTraceSegments (the tracing
collector's one call), ECS Exec and CloudWatch metrics when it has them. Actions AWS does not
scope to resources (`ecr:GetAuthorizationToken`, X-Ray,
SSM messages, `cloudwatch:PutMetricData`, which is scoped by namespace instead) are the only `*`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pulumi

from ..formats import split_image
from .telemetry import TRACING_STATEMENT

_ECR_REPOSITORY = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/"
    r"(?P<repository>[^:@]+)$"
)


def ecr_repository_arn(image: str) -> str | None:
    """ARN of the ECR repository an image is pulled from (by tag, digest or both); None for
    other registries."""
    name, tag, digest = split_image(image)
    match = _ECR_REPOSITORY.match(name)
    if match is None or (tag is None and digest is None):
        return None
    return f"arn:aws:ecr:{match['region']}:{match['account']}:repository/{match['repository']}"


def secret_resource_arn(
    value_from: str, *, region: str | None = None, account_id: str | None = None
) -> str:
    """The ARN IAM needs for a `valueFrom`: a secret's without its `:json-key:stage:version`
    suffix; a parameter's as written, or, given by name (ECS reads it in the task's region),
    `arn:aws:ssm:<region>:<account>:parameter/<name>` (`*` for a region or account not
    given)."""
    if not value_from.startswith("arn:"):
        name = value_from.removeprefix("/")
        return f"arn:aws:ssm:{region or '*'}:{account_id or '*'}:parameter/{name}"
    parts = value_from.split(":")
    return ":".join(parts[:7]) if len(parts) > 2 and parts[2] == "secretsmanager" else value_from


def log_group_arn(account_id: str, region: str, log_group: str) -> str:
    return f"arn:aws:logs:{region}:{account_id}:log-group:{log_group}"


def execution_policy(
    *,
    account_id: str,
    region: str,
    log_group: str,
    image: str,
    secret_refs: Iterable[str],
    registry_credentials: Iterable[tuple[str, str | None]] = (),
    images: Iterable[str] = (),
) -> dict[str, Any]:
    """What ECS may do for one service: pull its image, write its log group, read its secrets.

    `registry_credentials` are the (secret ARN, KMS key ARN or None) of private registries its
    containers pull from: that secret only, and that key only. `images` are its sidecars': ECR
    ones are pulled from their repositories too."""
    statements: list[dict[str, Any]] = []
    repositories = sorted(
        {arn for arn in map(ecr_repository_arn, [image, *images]) if arn is not None}
    )
    repository: str | list[str] | None = (
        repositories[0] if len(repositories) == 1 else repositories or None
    )
    if repository is not None:
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
                "Resource": repository,
            },
        ]
    group = log_group_arn(account_id, region, log_group)
    statements.append(
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [group, f"{group}:log-stream:*"],
        }
    )
    refs = sorted(
        {secret_resource_arn(ref, region=region, account_id=account_id) for ref in secret_refs}
    )
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
    credentials = sorted({arn for arn, _ in registry_credentials})
    keys = sorted({key for _, key in registry_credentials if key})
    if credentials:
        # ECS reads the registry's credentials with the execution role (ECS developer guide,
        # "Private registry authentication for tasks"): that secret only.
        statements.append(
            {
                "Sid": "RegistryCredentials",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": credentials,
            }
        )
    if keys:
        statements.append(
            {
                "Sid": "RegistryCredentialsKey",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": keys,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


EXEC_STATEMENT = {
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


def exec_logging_statements(
    log_group_arn: pulumi.Input[str], kms_key_arn: pulumi.Input[str]
) -> list[dict[str, Any]]:
    """What the SSM agent in a task needs to log ECS Exec sessions to the cluster's encrypted
    log group (ECS developer guide, "Monitor Amazon ECS Exec", IAM permissions for CloudWatch
    Logs): find the group, write its streams, decrypt with the session key."""
    return [
        {
            "Sid": "EcsExecFindLogGroup",
            "Effect": "Allow",
            "Action": "logs:DescribeLogGroups",
            "Resource": "*",
        },
        {
            "Sid": "EcsExecSessionLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            "Resource": (
                f"{log_group_arn}:*"
                if isinstance(log_group_arn, str)
                else pulumi.Output.concat(log_group_arn, ":*")
            ),
        },
        {
            "Sid": "EcsExecSessionKey",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": kms_key_arn,
        },
    ]


def account_administers_key(account_id: str) -> dict[str, Any]:
    """The key policy statement that hands the key to the account: IAM policies then grant
    its use (KMS developer guide, "Default key policy")."""
    return {
        "Sid": "AccountAdministersTheKey",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def exec_key_policy(account_id: str, region: str, log_group_name: str) -> dict[str, Any]:
    """Key policy of the cluster's ECS Exec key: the account administers it (IAM policies grant
    its use), and CloudWatch Logs may use it for the session log group alone (CloudWatch Logs
    user guide, "Encrypt log data in CloudWatch Logs using AWS KMS")."""
    log_group_arn = f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_name}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            account_administers_key(account_id),
            {
                "Sid": "CloudWatchLogsEncryptsTheSessionLogs",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                    "kms:GenerateDataKey",
                    "kms:GenerateDataKeyWithoutPlaintext",
                ],
                "Resource": "*",
                # An exact ARN: StringEquals compares it as ArnEquals would.
                "Condition": {
                    "StringEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arn}
                },
            },
            {
                # DescribeKey carries no encryption context to condition on.
                "Sid": "CloudWatchLogsDescribesTheKey",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
            },
        ],
    }


def fargate_storage_key_policy(account_id: str, cluster_name: str) -> dict[str, Any]:
    """Key policy of the key Fargate encrypts the cluster's tasks' ephemeral storage with (ECS
    developer guide, "Create an encryption key for Fargate ephemeral storage"): Fargate may
    generate data keys and create Decrypt-only grants for this account's cluster alone; the
    account administers the key (the deploying principal needs kms:DescribeKey on it)."""
    context = {
        "kms:EncryptionContext:aws:ecs:clusterAccount": [account_id],
        "kms:EncryptionContext:aws:ecs:clusterName": [cluster_name],
    }
    return {
        "Version": "2012-10-17",
        "Statement": [
            account_administers_key(account_id),
            {
                "Sid": "FargateGeneratesDataKeys",
                "Effect": "Allow",
                "Principal": {"Service": "fargate.amazonaws.com"},
                "Action": "kms:GenerateDataKeyWithoutPlaintext",
                "Resource": "*",
                "Condition": {"StringEquals": context},
            },
            {
                "Sid": "FargateCreatesDecryptGrants",
                "Effect": "Allow",
                "Principal": {"Service": "fargate.amazonaws.com"},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {
                    "StringEquals": context,
                    "ForAllValues:StringEquals": {"kms:GrantOperations": ["Decrypt"]},
                },
            },
        ],
    }


def metrics_statement(namespace: str) -> dict[str, Any]:
    """PutMetricData into one CloudWatch namespace only (the action takes no resource ARN; the
    `cloudwatch:namespace` condition key scopes it)."""
    return {
        "Sid": "Metrics",
        "Effect": "Allow",
        "Action": "cloudwatch:PutMetricData",
        "Resource": "*",
        "Condition": {"StringEquals": {"cloudwatch:namespace": namespace}},
    }


def task_policy(
    permissions: Iterable[Mapping[str, Any]] = (),
    *,
    xray: bool = False,
    execute_command: bool = False,
    exec_logging: tuple[pulumi.Input[str], pulumi.Input[str]] | None = None,
    metrics_namespace: str | None = None,
) -> dict[str, Any] | None:
    """What the service's containers may call; None when they need nothing.

    `exec_logging` is the cluster's (session log group ARN, session key ARN) when it logs ECS
    Exec sessions; with `execute_command` the task may write there."""
    statements: list[dict[str, Any]] = [dict(s) for s in permissions]
    if xray:
        statements.append(dict(TRACING_STATEMENT))
    if execute_command:
        statements.append(dict(EXEC_STATEMENT))
        if exec_logging is not None:
            statements += exec_logging_statements(*exec_logging)
    if metrics_namespace is not None:
        statements.append(metrics_statement(metrics_namespace))
    return {"Version": "2012-10-17", "Statement": statements} if statements else None
