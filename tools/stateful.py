"""Which resources hold state a deployed stack must never lose by accident.

One list for the destructive-change guard (`tools/plan_diff.py`, `tools/preview_guard.py`) and
the committed record of stateful URNs (`tools/urns.py`): deleting or replacing one of these
loses data (a database, a bucket, a queue's messages, a secret's value, a key and everything
encrypted with it, a repository's images, a log group's history) or takes a whole service away.
"""

from __future__ import annotations

STATEFUL_TYPES: dict[str, str] = {
    "aws:rds/instance:Instance": "database",
    "aws:rds/cluster:Cluster": "database",
    "aws:rds/clusterInstance:ClusterInstance": "database",
    "aws:elasticache/replicationGroup:ReplicationGroup": "cache",
    "aws:elasticache/serverlessCache:ServerlessCache": "cache",
    "aws:elasticache/cluster:Cluster": "cache",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
    "aws:sqs/queue:Queue": "queue",
    "aws:secretsmanager/secret:Secret": "secret",
    "aws:secretsmanager/secretVersion:SecretVersion": "secret value",
    "aws:ssm/parameter:Parameter": "parameter",
    "random:index/randomPassword:RandomPassword": "generated password",
    "aws:kms/key:Key": "KMS key",
    "aws:ecr/repository:Repository": "image repository",
    "aws:cloudwatch/logGroup:LogGroup": "log group",
    "aws:efs/fileSystem:FileSystem": "file system",
    "aws:dynamodb/table:Table": "table",
}
"""Pulumi type -> what it holds, for messages."""

GUARDED_TYPES: dict[str, str] = {**STATEFUL_TYPES, "aws:ecs/service:Service": "ECS service"}
"""What the destructive-change guard stops on: the stateful types and whole ECS services."""


def is_stateful(type_: str) -> bool:
    return type_ in STATEFUL_TYPES


def is_guarded(type_: str) -> bool:
    return type_ in GUARDED_TYPES
