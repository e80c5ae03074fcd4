"""Buckets that AWS services deliver logs to: ALB access logs and S3 server access logs.

Both deliveries accept only SSE-S3 on the target bucket (SSE-KMS default encryption is refused),
so every log bucket gets the same hardening from one function: public access blocked, ACLs off
(delivery is granted by bucket policy, which BucketOwnerEnforced requires), SSE-S3, versioning,
TLS only, and a lifecycle expiring the logs after the retention the stack keeps its security
logs (LOG.1). The bucket stays a child of the component whose logs it holds, so its URN is that
component's. `server_access_logs` wires a bucket's S3 server access logs to such a bucket;
`bucket_settings`, `sse_kms` and `bucket_key` are the hardening and encryption the program's
other buckets (the Pulumi state, the documents) share with them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_aws import kms, s3

NONCURRENT_LOG_VERSION_DAYS = 7
"""A log object is never rewritten; an old version only exists after an accidental overwrite."""

Statements = Sequence[Mapping[str, Any]]
Delivery = Callable[[str, str], Statements]
"""(log bucket ARN, account id) -> the statements letting a service deliver to it."""


def deny_plain_http(bucket_arn: str) -> dict[str, Any]:
    """Refuse every request that does not use TLS (control S3.5).

    The Deny names `s3:*` on purpose: it is AWS's documented S3.5 statement, and IAM.1/21 are
    about what a policy allows, not what it denies."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def s3_access_log_delivery(
    bucket_arn: str, account_id: str, source_bucket_arn: str, prefix: str
) -> dict[str, Any]:
    """S3's logging service may write `source_bucket_arn`'s server access logs under `prefix`
    (S3 user guide, "Enabling Amazon S3 server access logging": principal
    logging.s3.amazonaws.com, aws:SourceArn and aws:SourceAccount conditions)."""
    return {
        "Sid": "AllowS3ServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{bucket_arn}/{prefix}*",
        "Condition": {
            "ArnLike": {"aws:SourceArn": source_bucket_arn},
            "StringEquals": {"aws:SourceAccount": account_id},
        },
    }


def log_bucket_policy(bucket_arn: str, deliveries: Statements) -> dict[str, Any]:
    """The deliveries' statements, then the TLS-only deny."""
    return {
        "Version": "2012-10-17",
        "Statement": [*[dict(s) for s in deliveries], deny_plain_http(bucket_arn)],
    }


def log_lifecycle_rules(retention_days: int) -> list[dict[str, Any]]:
    """Logs expire after `retention_days`; stray versions and uploads are cleaned up."""
    return [
        {
            "id": "expire-logs",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "expiration": {"days": retention_days},
            "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_LOG_VERSION_DAYS},
            "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
        }
    ]


def bucket_settings(
    name: str,
    bucket: s3.Bucket,
    *,
    encryption: Mapping[str, Any],
    lifecycle_rules: Sequence[Mapping[str, Any]],
    policy: pulumi.Input[str],
) -> s3.BucketPolicy:
    """What every bucket of the program has, as children of `bucket` named `<name>-<part>`:
    owner-enforced objects, public access blocked, default encryption (`encryption`, one
    rule), versioning, its lifecycle (after versioning: noncurrent-version rules need it) and
    its policy (after the public access block: S3 refuses concurrent changes to both)."""
    part = pulumi.ResourceOptions(parent=bucket)
    s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=part,
    )
    public_access = s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=part,
    )
    s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption", bucket=bucket.id, rules=[dict(encryption)], opts=part
    )
    versioning = s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.id,
        versioning_configuration={"status": "Enabled"},
        opts=part,
    )
    s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle",
        bucket=bucket.id,
        rules=[dict(rule) for rule in lifecycle_rules],
        opts=pulumi.ResourceOptions(parent=bucket, depends_on=[versioning]),
    )
    return s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        policy=policy,
        opts=pulumi.ResourceOptions(parent=bucket, depends_on=[public_access]),
    )


def sse_kms(key_arn: pulumi.Input[str] | None = None) -> dict[str, Any]:
    """Default encryption SSE-KMS with an S3 Bucket Key (S3 user guide, "Reducing the cost of
    SSE-KMS with Amazon S3 Bucket Keys"); without `key_arn`, under the account's aws/s3 key."""
    return {
        "apply_server_side_encryption_by_default": {
            "sse_algorithm": "aws:kms",
            **({"kms_master_key_id": key_arn} if key_arn is not None else {}),
        },
        "bucket_key_enabled": True,
    }


def bucket_key(
    name: str,
    *,
    description: str,
    alias: str,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
    policy: pulumi.Input[str] | None = None,
) -> kms.Key:
    """A customer managed key for one bucket's objects (`<name>-key`: yearly rotation, 30 days
    to cancel a deletion) and its alias `alias/<alias>` (`<name>-key-alias`, under the key)."""
    key = kms.Key(
        f"{name}-key",
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        **({"policy": policy} if policy is not None else {}),
        tags=tags,
        opts=opts,
    )
    kms.Alias(
        f"{name}-key-alias",
        name=f"alias/{alias}",
        target_key_id=key.key_id,
        opts=pulumi.ResourceOptions(parent=key),
    )
    return key


def log_bucket(
    name: str,
    *,
    parent: pulumi.Resource,
    retention_days: int,
    delivery: Delivery,
    purpose: str,
    protect: bool = False,
    tags: Mapping[str, str] | None = None,
) -> tuple[s3.Bucket, s3.BucketPolicy]:
    """Create a log bucket named `name` (auto-named physically) under `parent`.

    Returns the bucket and its policy: a service checks the policy when its delivery is switched
    on (ELB does), so the resource that switches it on depends on the policy."""
    if retention_days < 1:
        raise ValueError(f"{name}: retention_days must be at least 1")
    bucket = s3.Bucket(
        name,
        force_destroy=False,
        tags={**(tags or {}), "Purpose": purpose},
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
    account = aws.get_caller_identity_output().account_id
    document = pulumi.Output.all(bucket.arn, account).apply(
        lambda values: pulumi.Output.from_input(
            log_bucket_policy(values[0], delivery(values[0], values[1]))
        )
    )
    policy = bucket_settings(
        name,
        bucket,
        # Log delivery supports SSE-S3 only (not SSE-KMS): the S3.17 exception in DESIGN.md.
        encryption={"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}},
        lifecycle_rules=log_lifecycle_rules(retention_days),
        policy=document.apply(json.dumps),
    )
    return bucket, policy


def server_access_logs(
    name: str,
    bucket: s3.Bucket,
    *,
    parent: pulumi.Resource,
    prefix: str,
    retention_days: int,
    protect: bool = False,
    tags: Mapping[str, str] | None = None,
) -> s3.Bucket:
    """`bucket`'s S3 server access logs under `prefix`, in a log bucket of their own
    (`<name>-access-logs` under `parent`: the target cannot use SSE-KMS, so not `bucket`
    itself), partitioned by event time for Athena. Returns the log bucket."""
    source_arn = bucket.arn
    logs, policy = log_bucket(
        f"{name}-access-logs",
        parent=parent,
        retention_days=retention_days,
        delivery=lambda arn, account: [s3_access_log_delivery(arn, account, source_arn, prefix)],
        purpose="s3-access-logs",
        protect=protect,
        tags=tags,
    )
    s3.BucketLogging(
        f"{name}-access-logging",
        bucket=bucket.id,
        target_bucket=logs.id,
        target_prefix=prefix,
        target_object_key_format={"partitioned_prefix": {"partition_date_source": "EventTime"}},
        opts=pulumi.ResourceOptions(parent=bucket, depends_on=[policy]),
    )
    return logs
