"""IAM and bucket policy documents of the documents bucket, as plain data (no Pulumi resources)."""

from __future__ import annotations

from typing import Any, Literal

import pulumi

from ..bindings import Binding, allow_statement, bucket_variable, statement_id
from ..log_archive import deny_plain_http


def tls_only_bucket_policy(bucket_arn: str) -> dict[str, Any]:
    """Refuse every request to the bucket that does not use TLS (control S3.5)."""
    return {"Version": "2012-10-17", "Statement": [deny_plain_http(bucket_arn)]}


DocumentsAccess = Literal["read", "readWrite"]


def documents_statements(
    bucket_arn: pulumi.Input[str],
    key_arn: pulumi.Input[str] | None,
    access: DocumentsAccess,
    sid: str = "Documents",
) -> list[dict[str, Any]]:
    """What a service's task role may do with the documents bucket and its KMS key.

    `read`: list, get objects and their versions, decrypt. `readWrite`: also put and delete
    objects, and generate the data keys SSE-KMS uploads need. The key is named, never `*`
    (KMS.1/2); under the AWS-managed `aws/s3` key (`key_arn` None) no KMS statement is needed,
    its key policy admits the account's principals calling through S3. ARNs may be outputs
    (the task role's policy serializes them when known). `sid` starts each statement's Sid
    (unique per bucket when a role is granted several: IAM wants Sids unique in a policy)."""
    write = access == "readWrite"
    objects = ["s3:GetObject", "s3:GetObjectVersion"]
    if write:
        objects += ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    statements: list[dict[str, Any]] = [
        allow_statement(f"{sid}List", ["s3:ListBucket", "s3:GetBucketLocation"], bucket_arn),
        allow_statement(
            f"{sid}ReadWrite" if write else f"{sid}Read",
            objects,
            (
                f"{bucket_arn}/*"
                if isinstance(bucket_arn, str)
                else pulumi.Output.concat(bucket_arn, "/*")
            ),
        ),
    ]
    if key_arn is not None:
        statements.append(
            allow_statement(
                f"{sid}Key",
                ["kms:Decrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"],
                key_arn,
            )
        )
    return statements


def bucket_binding(
    logical: str,
    bucket_name: pulumi.Input[str],
    bucket_arn: pulumi.Input[str],
    key_arn: pulumi.Input[str] | None,
    access: DocumentsAccess,
) -> Binding:
    """What a service granted a bucket gets: `<LOGICAL>_BUCKET` (`DOCUMENTS_BUCKET` for the
    documents bucket) and, in its task role, `access` on that bucket's objects and its key
    (`documents_statements`, Sids starting with the logical name)."""
    return Binding(
        name=f"{logical}:{access}",
        environment={bucket_variable(logical): bucket_name},
        permissions=documents_statements(
            bucket_arn, key_arn, access, sid=statement_id("", logical)
        ),
    )
