"""The state bucket of Pulumi's self-managed S3 backend, from its own arguments.

Pulumi's DIY backend (`pulumi login s3://<bucket>`) keeps each stack's checkpoint under
`.pulumi/` and takes a lock file under `.pulumi/locks/` for every operation, so a shared bucket
is a backend with locking, no table needed (Pulumi docs, "State and backends"). The bucket is
versioned (an overwritten checkpoint can be restored), encrypted with a KMS key of its own,
TLS only, private, server-access logged to a log bucket of its own, and protected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from pulumi_aws import s3

from ..log_archive import (
    bucket_key,
    bucket_settings,
    deny_plain_http,
    server_access_logs,
    sse_kms,
)
from .state_access import STATE_KEY_CONTEXT, state_bucket_policy

ACCESS_LOG_PREFIX = "state/"


@dataclass(frozen=True)
class StateBackendArgs:
    bucket: str
    """The bucket's global name."""
    project: str = "accessweaver"
    """The main program's project: the state of `<project>/<stack>` and
    `<project>-bootstrap/<stack>` is what each account in `accounts` may use."""
    accounts: Mapping[str, str] = field(default_factory=dict)
    """Stack -> account id of the other environments' accounts."""
    noncurrent_version_days: int = 90
    access_log_retention_days: int = 365
    protect: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)


class StateBackend(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    log_bucket_arn: pulumi.Output[str]
    backend_url: pulumi.Output[str]
    """What `pulumi login` takes: `s3://<bucket>?region=<region>&awssdk=v2`."""

    def __init__(
        self, name: str, args: StateBackendArgs, opts: pulumi.ResourceOptions | None = None
    ):
        if args.noncurrent_version_days < 1:
            raise ValueError(f"{name}: noncurrent_version_days must be at least 1")
        super().__init__("accessweaver:bootstrap:StateBackend", name, None, opts)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)
        tags = {**args.tags, "Purpose": "pulumi-state"}
        region = aws.get_region_output().region
        account = aws.get_caller_identity_output().account_id
        state_bucket_arn = f"arn:aws:s3:::{args.bucket}"
        key = bucket_key(
            name,
            description=f"{args.bucket}: Pulumi state",
            alias=args.bucket,
            # The account's IAM governs the key; the environments' accounts use it through S3.
            policy=pulumi.Output.all(account, region).apply(
                lambda v: json.dumps(
                    _key_policy(v[0], v[1], list(args.accounts.values()), state_bucket_arn)
                )
            ),
            tags=tags,
            opts=stateful,
        )
        bucket = s3.Bucket(f"{name}-bucket", bucket=args.bucket, tags=tags, opts=stateful)
        bucket_settings(
            name,
            bucket,
            encryption=sse_kms(key.arn),
            lifecycle_rules=[
                {
                    "id": "old-checkpoints",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "noncurrent_version_expiration": {
                        "noncurrent_days": args.noncurrent_version_days
                    },
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                }
            ],
            policy=bucket.arn.apply(
                lambda arn: json.dumps(
                    state_bucket_policy(
                        arn, args.accounts, deny_plain_http(arn), project=args.project
                    )
                )
            ),
        )
        logs = server_access_logs(
            name,
            bucket,
            parent=self,
            prefix=ACCESS_LOG_PREFIX,
            retention_days=args.access_log_retention_days,
            protect=args.protect,
            tags=tags,
        )
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.key_arn = key.arn
        self.log_bucket_arn = logs.arn
        self.backend_url = pulumi.Output.concat(
            "s3://", bucket.bucket, "?region=", region, "&awssdk=v2"
        )
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "key_arn": self.key_arn,
                "log_bucket_arn": self.log_bucket_arn,
                "backend_url": self.backend_url,
            }
        )


def _key_policy(account_id: str, region: str, account_ids: Sequence[str], bucket_arn: str) -> dict:
    """The account's IAM governs the key; the other accounts use it through S3, for the state
    bucket only (`kms:EncryptionContext:aws:s3:arn`, the bucket's ARN with an S3 Bucket Key)."""
    statements: list[dict] = [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if account_ids:
        statements.append(
            {
                "Sid": "EnvironmentAccountsThroughS3",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in account_ids]},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"s3.{region}.amazonaws.com",
                        STATE_KEY_CONTEXT: bucket_arn,
                    }
                },
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
