"""Policy checks: S3 buckets (S3.2/3/5/8/12/13/14/17)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from .base import (
    BUCKET_POLICY,
    BUCKETS,
    ENCRYPTIONS,
    LIFECYCLES,
    OWNERSHIP_CONTROLS,
    PUBLIC_ACCESS_BLOCK,
    VERSIONINGS,
    _stack,
    companions,
    documents,
    get,
    is_true,
    items,
    log_buckets,
    of_type,
    statements,
    urn_of,
)


def _buckets_without(
    resources: Sequence[Any], types: Iterable[str] | str, accepts: Callable[[Any], bool]
) -> Iterator[Any]:
    for bucket in of_type(resources, BUCKETS):
        if not any(accepts(c) for c in companions(resources, bucket, types)):
            yield bucket


PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)


@_stack(
    "s3-block-public-access", ("S3.8", "S3.2", "S3.3"), "A",
    "every bucket blocks public access with all four settings",
    "add s3.BucketPublicAccessBlock with block_public_acls, block_public_policy, "
    "ignore_public_acls and restrict_public_buckets all True.",
)  # fmt: skip
def s3_public_access(resources):
    for block in of_type(resources, PUBLIC_ACCESS_BLOCK):
        off = [key for key in PUBLIC_ACCESS_FLAGS if not is_true(get(block.props, key))]
        if off:
            yield block, f"not true: {', '.join(off)}"
    for bucket in _buckets_without(resources, PUBLIC_ACCESS_BLOCK, lambda _c: True):
        yield bucket, "the bucket has no public access block"


def _denies_plain_http(policy: Any) -> bool:
    document = documents(get(policy.props, "policy")) or {}
    for statement in statements(document):
        condition = get(statement, "Condition", "Bool", "aws:SecureTransport")
        values = [str(v).lower() for v in items(condition)]
        if statement.get("Effect") == "Deny" and "false" in values:
            return True
    return False


@_stack(
    "s3-tls-only", ("S3.5",), "A",
    "every bucket policy denies requests without TLS",
    "add a bucket policy statement denying s3:* when aws:SecureTransport is false.",
)  # fmt: skip
def s3_tls_only(resources):
    for bucket in _buckets_without(resources, BUCKET_POLICY, _denies_plain_http):
        yield bucket, "no bucket policy denies aws:SecureTransport=false"


@_stack(
    "s3-acls-disabled", ("S3.12",), "A",
    "bucket ACLs are disabled",
    "add s3.BucketOwnershipControls with object_ownership='BucketOwnerEnforced'.",
)  # fmt: skip
def s3_acls(resources):
    def enforced(controls: Any) -> bool:
        rules = items(get(controls.props, "rule"))
        return any(get(r, "objectOwnership") == "BucketOwnerEnforced" for r in rules)

    for bucket in _buckets_without(resources, OWNERSHIP_CONTROLS, enforced):
        yield bucket, "object ownership is not BucketOwnerEnforced (ACLs still apply)"


@_stack(
    "s3-lifecycle", ("S3.13",), "A",
    "every bucket has a lifecycle configuration",
    "add s3.BucketLifecycleConfiguration with at least one enabled rule (expiry, transitions).",
)  # fmt: skip
def s3_lifecycle(resources):
    def enabled(config: Any) -> bool:
        return any(get(r, "status") == "Enabled" for r in items(get(config.props, "rules")))

    for bucket in _buckets_without(resources, LIFECYCLES, enabled):
        if not any(is_true(get(r, "enabled")) for r in items(get(bucket.props, "lifecycleRules"))):
            yield bucket, "the bucket has no enabled lifecycle rule"


@_stack(
    "s3-versioning", ("S3.14*",), "P",
    "every bucket is versioned",
    "add s3.BucketVersioning with status 'Enabled'.",
)  # fmt: skip
def s3_versioning(resources):
    def enabled(config: Any) -> bool:
        return get(config.props, "versioningConfiguration", "status") == "Enabled"

    for bucket in _buckets_without(resources, VERSIONINGS, enabled):
        if not is_true(get(bucket.props, "versioning", "enabled")):
            yield bucket, "versioning is not enabled"


def _sse_algorithms(config_props: Any) -> list[str]:
    return [
        str(get(r, "applyServerSideEncryptionByDefault", "sseAlgorithm"))
        for r in items(get(config_props, "rules") or get(config_props, "rule"))
    ]


@_stack(
    "s3-sse-kms", ("S3.17*",), "P",
    "every bucket is encrypted with SSE-KMS (SSE-S3 only where AWS requires it: log buckets of "
    "ALB and S3 server access logs)",
    "add s3.BucketServerSideEncryptionConfiguration with sse_algorithm 'aws:kms'.",
)  # fmt: skip
def s3_sse(resources):
    targets = log_buckets(resources)
    for bucket in of_type(resources, BUCKETS):
        configs = companions(resources, bucket, ENCRYPTIONS)
        algorithms = [a for c in configs for a in _sse_algorithms(c.props)]
        algorithms += _sse_algorithms(get(bucket.props, "serverSideEncryptionConfiguration"))
        if any(a.startswith("aws:kms") for a in algorithms):
            continue
        if "AES256" in algorithms and urn_of(bucket) in targets:
            continue  # ALB and S3 access-log delivery support SSE-S3 only
        yield bucket, (
            "encrypted with SSE-S3 (AES256), not SSE-KMS" if algorithms else
            "no server-side encryption configuration"
        )  # fmt: skip
