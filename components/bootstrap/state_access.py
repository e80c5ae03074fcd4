"""The Pulumi state in its S3 bucket: which objects are one stack's, what a CI role may do with
them, what it may never touch (the bucket's settings, the other stacks' and the bootstrap's
state, the access logs) and the bucket's own policy."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any

from ..formats import Environment
from .statements import deny_bucket, no_access_points, statement


def bootstrap_project(project: str) -> str:
    """The bootstrap project's name (bootstrap/Pulumi.yaml; a test keeps them equal)."""
    return f"{project}-bootstrap"


def state_objects(bucket_arn: str, project: str, stack: str) -> list[str]:
    """The objects of one stack in Pulumi's S3 backend (pkg/backend/diy, project layout): its
    checkpoint `.pulumi/stacks/<project>/<stack>.json` (with `.bak`, `.gz`, `.pulumi-tags`
    siblings), and everything under `<project>/<stack>/` of its history, backups, journal and
    lock folders (`history/`, `backups/`, `journal/`, `locks/organization/`: one pattern, as
    IAM's `*` spans `/`; the role's inline policy is capped at 10,240 characters)."""
    root = f"{bucket_arn}/.pulumi"
    return [f"{root}/stacks/{project}/{stack}.*", f"{root}/*/{project}/{stack}/*"]


def state_statements(
    bucket_arn: str | None,
    state_key_arn: str | None,
    *,
    project: str,
    stack: str,
    write: bool,
) -> list[dict[str, Any]]:
    """Pulumi's S3 backend, for one stack: list the bucket and read the backend's `meta.yaml`,
    read the stack's objects, write them when deploying. A preview, with or without
    `--refresh`, takes no lock and writes nothing: pulumi/pulumi `pkg/backend/diy/backend.go`,
    `Preview` goes straight to `apply` with `DryRun` (no `Lock`, no history, no backup), where
    `Update`, `Refresh` (not preview-only), `Destroy` and `Import` lock. The state key is used
    for this bucket only (`kms:EncryptionContext:aws:s3:arn`: with an S3 Bucket Key the
    context is the bucket's ARN, S3 user guide, "Reducing the cost of SSE-KMS with Amazon S3
    Bucket Keys"); no request reaches the state through an S3 access point."""
    if bucket_arn is None:
        return []
    objects = state_objects(bucket_arn, project, stack)
    found = [
        statement("StateList", ["s3:ListBucket", "s3:GetBucketLocation"], bucket_arn),
        statement("StateRead", ["s3:GetObject"], [f"{bucket_arn}/.pulumi/meta.yaml", *objects]),
    ]
    if write:
        found.append(
            statement(
                "StateWrite",
                ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                objects,
            )
        )
    if state_key_arn is not None:
        # SSE-KMS: reading an object decrypts its data key, writing one generates one (S3 user
        # guide, "Using server-side encryption with AWS KMS keys").
        found.append(
            statement(
                "StateKey",
                ["kms:Decrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"],
                state_key_arn,
                StringEquals={STATE_KEY_CONTEXT: bucket_arn},
            )
        )
    found.append(no_access_points("StateNotThroughAccessPoints"))
    return found


STATE_KEY_CONTEXT = "kms:EncryptionContext:aws:s3:arn"


STACKS: tuple[str, ...] = typing.get_args(Environment)
"""The environments' stacks: the state of the others is denied by name."""


def other_state(bucket_arn: str, project: str, stack: str) -> list[str]:
    """Objects of the bucket a stack's roles never touch: the other stacks' and every stack of
    the bootstrap project (run by administrators, not CI)."""
    root = f"{bucket_arn}/.pulumi"
    found = [
        arn
        for other in STACKS
        if other != stack
        for arn in state_objects(bucket_arn, project, other)
    ]
    found.append(f"{root}/*/{bootstrap_project(project)}/*")
    return found


def state_protection(
    bucket_arn: str | None, log_bucket_arn: str | None, project: str, stack: str
) -> list[dict[str, Any]]:
    """Denies that hold even in the bucket's own account, where `s3:*` of ManagedServices
    reaches it: the bucket's settings, object versions and ACLs, the backend's `meta.yaml`,
    the other stacks' and the bootstrap's state, and the bucket's access logs."""
    if bucket_arn is None:
        return []
    found: list[dict[str, Any]] = [
        {
            "Sid": "StateBucketSettings",
            "Effect": "Deny",
            "NotAction": ["s3:ListBucket", "s3:GetBucketLocation"],
            "Resource": bucket_arn,
        },
        {
            "Sid": "StateObjectsReadWrittenOnly",
            "Effect": "Deny",
            "NotAction": [
                "s3:GetObject",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
            ],
            "Resource": f"{bucket_arn}/*",
        },
        {
            "Sid": "StateMetaReadOnly",
            "Effect": "Deny",
            "Action": ["s3:PutObject", "s3:DeleteObject"],
            "Resource": f"{bucket_arn}/.pulumi/meta.yaml",
        },
        {
            "Sid": "OtherStacksState",
            "Effect": "Deny",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": other_state(bucket_arn, project, stack),
        },
    ]
    if log_bucket_arn is not None:
        found.append(deny_bucket("StateAccessLogs", log_bucket_arn))
    return found


def state_bucket_policy(
    bucket_arn: str,
    accounts: Mapping[str, str],
    deny_plain_http: Mapping[str, Any],
    *,
    project: str,
) -> dict[str, Any]:
    """TLS only; each environment's account (`accounts`: stack -> account id) may list the
    bucket and use its own stack's objects, of the main program and of the bootstrap project,
    and nothing else: an administrator of the dev account cannot rewrite prod's state."""
    # A request through an access point is authorized against the access point: a bucket
    # policy naming object ARNs does not scope it (see `no_access_points`).
    statements: list[Mapping[str, Any]] = [
        deny_plain_http,
        {**no_access_points("NoAccessPoints"), "Principal": "*"},
    ]
    if accounts:
        statements.append(
            {
                "Sid": "EnvironmentAccountsList",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts.values()]},
                "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                "Resource": bucket_arn,
            }
        )
    for stack, account in sorted(accounts.items()):
        statements.append(
            {
                "Sid": f"{stack.capitalize()}AccountState",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": [
                    *state_objects(bucket_arn, project, stack),
                    *state_objects(bucket_arn, bootstrap_project(project), stack),
                ],
            }
        )
    if accounts:
        # The backend's layout version: read by every login, written once by the bucket's
        # own account (a rewrite would re-lay-out every stack: pkg/backend/diy/meta.go).
        statements.append(
            {
                "Sid": "EnvironmentAccountsReadMeta",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts.values()]},
                "Action": "s3:GetObject",
                "Resource": f"{bucket_arn}/.pulumi/meta.yaml",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
