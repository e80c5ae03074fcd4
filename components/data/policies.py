"""IAM and bucket policy documents of the documents bucket, as plain data (no Pulumi resources)."""

from __future__ import annotations

from typing import Any, Literal

import pulumi

from ..log_archive import deny_plain_http


def tls_only_bucket_policy(bucket_arn: str) -> dict[str, Any]:
    """Refuse every request to the bucket that does not use TLS (control S3.5)."""
    return {"Version": "2012-10-17", "Statement": [deny_plain_http(bucket_arn)]}


DocumentsAccess = Literal["read", "readWrite"]


def documents_statements(
    bucket_arn: pulumi.Input[str], key_arn: pulumi.Input[str] | None, access: DocumentsAccess
) -> list[dict[str, Any]]:
    """What a service's task role may do with the documents bucket and its KMS key.

    `read`: list, get objects and their versions, decrypt. `readWrite`: also put and delete
    objects, and generate the data keys SSE-KMS uploads need. The key is named, never `*`
    (KMS.1/2); under the AWS-managed `aws/s3` key (`key_arn` None) no KMS statement is needed,
    its key policy admits the account's principals calling through S3. ARNs may be outputs
    (the task role's policy serializes them when known)."""
    write = access == "readWrite"
    objects = ["s3:GetObject", "s3:GetObjectVersion"]
    if write:
        objects += ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DocumentsList",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
            "Resource": bucket_arn,
        },
        {
            "Sid": "DocumentsReadWrite" if write else "DocumentsRead",
            "Effect": "Allow",
            "Action": objects,
            "Resource": (
                f"{bucket_arn}/*"
                if isinstance(bucket_arn, str)
                else pulumi.Output.concat(bucket_arn, "/*")
            ),
        },
    ]
    if key_arn is not None:
        statements.append(
            {
                "Sid": "DocumentsKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"],
                "Resource": key_arn,
            }
        )
    return statements
