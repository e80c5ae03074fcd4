"""The documents bucket, from its own arguments.

Creates: a customer-managed KMS key (yearly rotation) and its alias (or, with
`customer_managed_key=False`, none: the account's AWS-managed `aws/s3` key), the bucket
`<prefix>-<account>` and its pulumi_aws v7 companion resources: ownership controls
(BucketOwnerEnforced: ACLs off), the public access block (all four switches), default SSE-KMS
with a bucket key, versioning, a lifecycle (current objects and noncurrent versions to
STANDARD_IA, noncurrent versions expire, incomplete uploads aborted), a TLS-only bucket
policy and, unless switched off, server access logs (S3.9) to a log bucket of its own
(`components/log_archive.py`). No role gets access here: each service that uses the bucket
gets read or read/write on the objects and use of the key through `binding()`, in its own task
role (the `aws/s3` key needs no grant: its key policy admits the account's principals through
S3).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_aws import s3

from ..bindings import Binding
from ..log_archive import bucket_key, bucket_settings, server_access_logs, sse_kms
from ..naming import dns_safe, fit, scoped_name
from .config import S3_STANDARD_IA_MIN_DAYS
from .policies import DocumentsAccess, bucket_binding, tls_only_bucket_policy

ABORT_INCOMPLETE_UPLOADS_DAYS = 7


def lifecycle_rules(documents: DocumentStoreArgs) -> list[dict[str, Any]]:
    """The bucket's lifecycle rules (S3.13), as `BucketLifecycleConfiguration` arguments."""
    everything = {"prefix": ""}
    return [
        {
            "id": "current-to-infrequent-access",
            "status": "Enabled",
            "filter": everything,
            "transitions": [
                {"days": documents.transition_to_ia_days, "storage_class": "STANDARD_IA"}
            ],
        },
        {
            "id": "noncurrent-versions",
            "status": "Enabled",
            "filter": everything,
            "noncurrent_version_transitions": [
                {"noncurrent_days": S3_STANDARD_IA_MIN_DAYS, "storage_class": "STANDARD_IA"}
            ],
            "noncurrent_version_expiration": {
                "noncurrent_days": documents.noncurrent_version_expiration_days
            },
        },
        {
            "id": "abort-incomplete-uploads",
            "status": "Enabled",
            "filter": everything,
            "abort_incomplete_multipart_upload": {
                "days_after_initiation": ABORT_INCOMPLETE_UPLOADS_DAYS
            },
        },
    ]


ACCESS_LOG_PREFIX = "documents/"


@dataclass(frozen=True)
class DocumentStoreArgs:
    bucket_prefix: str | None = None
    """The bucket is `<prefix>-<account id>` (bucket names are global). Default
    `<project>-<stack>-<component name>`, lower-case, at most 50 characters
    (`components/naming.py`)."""
    transition_to_ia_days: int = 30
    noncurrent_version_expiration_days: int = 90
    access_log_retention_days: int | None = 365
    """Server access logs (S3.9) to a log bucket of its own, kept this many days; None = off."""
    customer_managed_key: bool = True
    """A KMS key of the bucket's own; False = the account's AWS-managed `aws/s3` key."""
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


class DocumentStore(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str] | None
    """The bucket's own key; None under the AWS-managed `aws/s3` key."""
    access_log_bucket: pulumi.Output[str] | None
    """The bucket its server access logs go to; None when they are off."""

    def __init__(
        self, name: str, args: DocumentStoreArgs, opts: pulumi.ResourceOptions | None = None
    ):
        # The default name is the stack's own (two stacks never ask for the same one).
        args = dataclasses.replace(
            args,
            bucket_prefix=args.bucket_prefix
            if args.bucket_prefix is not None
            else fit(dns_safe(scoped_name(name)), 50),
        )
        if args.noncurrent_version_expiration_days <= S3_STANDARD_IA_MIN_DAYS:
            raise ValueError(
                f"{name}: noncurrent versions move to STANDARD_IA after "
                f"{S3_STANDARD_IA_MIN_DAYS} days; they must expire later"
            )
        super().__init__("accessweaver:storage:DocumentStore", name, None, opts)
        documents = args
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)
        tags = {**args.tags, "Service": "documents"}

        key = None
        if args.customer_managed_key:
            key = bucket_key(
                name,
                description=f"{args.bucket_prefix}: documents bucket",
                alias=documents.bucket_prefix,
                tags=tags,
                opts=stateful,
            )
        account = aws.get_caller_identity_output().account_id
        bucket = s3.Bucket(
            f"{name}-bucket",
            # Bucket names are global: the account id keeps the stable name unique.
            bucket=account.apply(lambda acct: f"{documents.bucket_prefix}-{acct}"),
            tags=tags,
            opts=stateful,
        )
        bucket_settings(
            name,
            bucket,
            # Without a key id, SSE-KMS uses the account's aws/s3 key.
            encryption=sse_kms(key.arn if key is not None else None),
            lifecycle_rules=lifecycle_rules(documents),
            policy=bucket.arn.apply(lambda arn: json.dumps(tls_only_bucket_policy(arn))),
        )
        self.access_log_bucket = None
        if args.access_log_retention_days is not None:
            self.access_log_bucket = server_access_logs(
                name,
                bucket,
                parent=self,
                prefix=ACCESS_LOG_PREFIX,
                retention_days=args.access_log_retention_days,
                protect=args.protect,
                tags=tags,
            ).bucket
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.kms_key_arn = key.arn if key is not None else None
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "kms_key_arn": self.kms_key_arn,
                "access_log_bucket": self.access_log_bucket,
            }
        )

    def binding(self, access: DocumentsAccess) -> Binding:
        """What a service that uses the bucket gets: `DOCUMENTS_BUCKET` and, in its task role,
        `read` or `readWrite` on the objects and use of the key (nothing else of S3)."""
        return bucket_binding(
            "documents", self.bucket_name, self.bucket_arn, self.kms_key_arn, access
        )
