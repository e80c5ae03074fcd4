"""Policy checks: S3 buckets (S3.2/3/5/8/12/13/14/17)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from .base import (
    BUCKET_POLICY,
    BUCKETS,
    ENCRYPTIONS,
    LIFECYCLES,
    OWNERSHIP_CONTROLS,
    PUBLIC_ACCESS_BLOCK,
    VERSIONINGS,
    Scope,
    StackCheck,
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


def _every_bucket_has(
    name: str, controls: tuple[str, ...], scope: Scope, summary: str, remedy: str,
    types: tuple[str, ...] | str, accepts: Callable[[Any], bool], problem: str,
    own: Callable[[Mapping[str, Any]], bool] | None = None,
) -> StackCheck:  # fmt: skip
    """Register the stack policy `name`: every bucket has a companion resource of `types` that
    `accepts` (or, where `own` is given, a setting of its own that `own` accepts: the older
    inline form of the same configuration); `problem` reports a bucket that has neither."""

    def check(resources: Sequence[Any]) -> Iterator[tuple[Any, str]]:
        for bucket in _buckets_without(resources, types, accepts):
            if own is None or not own(bucket.props):
                yield bucket, problem

    return _stack(name, controls, scope, summary, remedy)(check)


def _denies_plain_http(policy: Any) -> bool:
    document = documents(get(policy.props, "policy")) or {}
    for statement in statements(document):
        condition = get(statement, "Condition", "Bool", "aws:SecureTransport")
        values = [str(v).lower() for v in items(condition)]
        if statement.get("Effect") == "Deny" and "false" in values:
            return True
    return False


_every_bucket_has(
    "s3-tls-only", ("S3.5",), "A",
    "every bucket policy denies requests without TLS",
    "add a bucket policy statement denying s3:* when aws:SecureTransport is false.",
    BUCKET_POLICY, _denies_plain_http, "no bucket policy denies aws:SecureTransport=false",
)  # fmt: skip


def _owner_enforced(controls: Any) -> bool:
    rules = items(get(controls.props, "rule"))
    return any(get(r, "objectOwnership") == "BucketOwnerEnforced" for r in rules)


_every_bucket_has(
    "s3-acls-disabled", ("S3.12",), "A",
    "bucket ACLs are disabled",
    "add s3.BucketOwnershipControls with object_ownership='BucketOwnerEnforced'.",
    OWNERSHIP_CONTROLS, _owner_enforced,
    "object ownership is not BucketOwnerEnforced (ACLs still apply)",
)  # fmt: skip


def _lifecycle_enabled(config: Any) -> bool:
    return any(get(r, "status") == "Enabled" for r in items(get(config.props, "rules")))


def _own_lifecycle_enabled(props: Mapping[str, Any]) -> bool:
    return any(is_true(get(r, "enabled")) for r in items(get(props, "lifecycleRules")))


_every_bucket_has(
    "s3-lifecycle", ("S3.13",), "A",
    "every bucket has a lifecycle configuration",
    "add s3.BucketLifecycleConfiguration with at least one enabled rule (expiry, transitions).",
    LIFECYCLES, _lifecycle_enabled, "the bucket has no enabled lifecycle rule",
    _own_lifecycle_enabled,
)  # fmt: skip


def _versioning_enabled(config: Any) -> bool:
    return get(config.props, "versioningConfiguration", "status") == "Enabled"


def _own_versioning_enabled(props: Mapping[str, Any]) -> bool:
    return is_true(get(props, "versioning", "enabled"))


_every_bucket_has(
    "s3-versioning", ("S3.14*",), "P",
    "every bucket is versioned",
    "add s3.BucketVersioning with status 'Enabled'.",
    VERSIONINGS, _versioning_enabled, "versioning is not enabled", _own_versioning_enabled,
)  # fmt: skip


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
