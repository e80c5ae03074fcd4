"""IAM and bucket policy documents of the documents bucket, as plain data (no Pulumi resources)."""

from __future__ import annotations

from typing import Any


def tls_only_bucket_policy(bucket_arn: str) -> dict[str, Any]:
    """Refuse every request to the bucket that does not use TLS (control S3.5).

    The Deny names `s3:*` on purpose: it is AWS's documented S3.5 statement, and IAM.1/21 are
    about what a policy allows, not what it denies."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def documents_access_policy(bucket_arn: str, key_arn: str) -> dict[str, Any]:
    """What the services' task role may do with the documents bucket and its KMS key (KMS.1/2:
    scoped to the key, never `*`)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListDocuments",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                "Resource": bucket_arn,
            },
            {
                "Sid": "ReadWriteDocuments",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:PutObject",
                    "s3:DeleteObject",
                ],
                "Resource": f"{bucket_arn}/*",
            },
            {
                "Sid": "DocumentsKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                "Resource": key_arn,
            },
        ],
    }
