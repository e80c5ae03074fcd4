"""Helpers every IAM document of the bootstrap project builds on: an Allow statement (the
components' own `bindings.allow_statement`), the deny of a whole bucket, and the deny of
requests through S3 access points."""

from __future__ import annotations

from typing import Any

from ..bindings import allow_statement as statement

__all__ = ["deny_bucket", "no_access_points", "statement"]


def deny_bucket(sid: str, bucket_arn: str) -> dict[str, Any]:
    """Deny every S3 action on the bucket and on its objects."""
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
    }


def no_access_points(sid: str = "NoAccessPoints") -> dict[str, Any]:
    """A request through an S3 access point is authorized against the access point's ARN, not
    the bucket's (S3 user guide, "Configuring IAM policies for using access points": "both the
    access point and the underlying bucket must permit the request"; the identity policy is
    evaluated with the access point as the resource), so a deny naming bucket ARNs does not
    cover it. `s3:DataAccessPointArn` is present exactly when a request goes through one
    (S3 user guide, "Condition keys for access points"): deny them all, the program uses
    none."""
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"Null": {"s3:DataAccessPointArn": "false"}},
    }
