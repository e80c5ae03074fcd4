"""The package's data stores: Database, Cache, DocumentStore and WorkQueue.

No `from __future__ import annotations`: the package schema is read from the annotations at run
time (see `package.py`).
"""

import enum
from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi

from ..data.cache import Cache as PyCache
from ..data.cache import CacheArgs
from ..data.database import Database as PyDatabase
from ..data.database import DatabaseArgs
from ..data.documents import DocumentStore as PyDocumentStore
from ..data.documents import DocumentStoreArgs
from ..data.queue import WorkQueue as PyWorkQueue
from ..data.queue import WorkQueueArgs
from .wrapping import component_type, optional_int, publish, same_named


class CacheEngine(enum.StrEnum):
    """The cache engine."""

    VALKEY = "valkey"
    """Valkey: the Redis OSS protocol, nodes priced up to 20 % lower."""
    REDIS = "redis"
    """Redis OSS."""


class DatabaseArgs_(TypedDict):
    identifier: NotRequired[str]
    """The RDS instance identifier; default `<project>-<stack>-<resource name>`."""
    vpc_id: pulumi.Input[str]
    """The VPC of the database's own security group."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """Private subnets (two AZs or more) of its subnet group."""
    database_name: NotRequired[str]
    """The initial database; default app."""
    engine_version: NotRequired[str]
    """PostgreSQL major version; default 16."""
    instance_class: NotRequired[str]
    """Instance class; default db.t4g.micro."""
    allocated_storage: NotRequired[int]
    """GB of gp3 storage; default 20."""
    multi_az: NotRequired[bool]
    """A standby in a second AZ; default true."""
    deletion_protection: NotRequired[bool]
    """RDS deletion protection; default true."""
    backup_retention_days: NotRequired[int]
    """Days of automated backups; default 7."""
    protect: NotRequired[bool]
    """Pulumi's protect on the instance; default false."""
    tags: NotRequired[Mapping[str, str]]
    """Tags on every resource."""


class Database(pulumi.ComponentResource):
    """PostgreSQL on RDS: encrypted, TLS only, master password managed and rotated by RDS."""

    endpoint: pulumi.Output[str]
    """`host:port`."""
    address: pulumi.Output[str]
    """The host name."""
    port: pulumi.Output[int]
    """The port."""
    security_group_id: pulumi.Output[str]
    """The database's security group (a Microservice's `connectsTo`)."""
    master_secret_arn: pulumi.Output[str]
    """The RDS-managed secret holding `username` and `password`."""
    database_name: pulumi.Output[str]
    """The initial database (a Microservice's `database.databaseName`)."""
    username: pulumi.Output[str]
    """The master user (a Microservice's `database.username`)."""

    def __init__(self, name: str, args: DatabaseArgs_, opts: pulumi.ResourceOptions | None = None):
        super().__init__(component_type(Database), name, None, opts)
        defaults = DatabaseArgs(identifier="-", vpc_id="-", subnet_ids=[])
        database = PyDatabase(
            name,
            DatabaseArgs(
                identifier=args.get("identifier"),
                vpc_id=args["vpc_id"],
                subnet_ids=args["subnet_ids"],
                database_name=args.get("database_name") or defaults.database_name,
                engine_version=args.get("engine_version") or defaults.engine_version,
                instance_class=args.get("instance_class") or defaults.instance_class,
                allocated_storage=optional_int(
                    args.get("allocated_storage"), defaults.allocated_storage
                )
                or defaults.allocated_storage,
                multi_az=bool(args.get("multi_az", defaults.multi_az)),
                deletion_protection=bool(
                    args.get("deletion_protection", defaults.deletion_protection)
                ),
                backup_retention_days=optional_int(
                    args.get("backup_retention_days"), defaults.backup_retention_days
                )
                or defaults.backup_retention_days,
                protect=bool(args.get("protect")),
                tags=dict(args.get("tags") or {}),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        publish(
            self,
            {
                **same_named(
                    database,
                    "endpoint",
                    "address",
                    "port",
                    "security_group_id",
                    "master_secret_arn",
                ),
                "database_name": pulumi.Output.from_input(database.database_name),
                "username": pulumi.Output.from_input(database.master_username),
            },
        )


class CacheArgs_(TypedDict):
    name: NotRequired[str]
    """The replication group (or serverless cache) name; default `<project>-<stack>-<name>`."""
    vpc_id: pulumi.Input[str]
    """The VPC of the cache's own security group."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """Private subnets of the cache."""
    engine: NotRequired[CacheEngine]
    """valkey (default) or redis."""
    engine_version: NotRequired[str]
    """Engine version; default 8.0 (Valkey)."""
    serverless: NotRequired[bool]
    """ElastiCache Serverless for Valkey instead of nodes; default false."""
    node_type: NotRequired[str]
    """Node type; default cache.t4g.micro."""
    nodes: NotRequired[int]
    """Primary + replicas; 2 or more fail over; default 2."""
    snapshot_retention_days: NotRequired[int]
    """Days of daily snapshots; default 1."""
    protect: NotRequired[bool]
    """Pulumi's protect on the cache; default false."""
    tags: NotRequired[Mapping[str, str]]
    """Tags on every resource."""


class Cache(pulumi.ComponentResource):
    """Valkey or Redis OSS on ElastiCache, encrypted, its services authenticated by IAM (no
    password: a task role may `elasticache:Connect` to `arn` as `servicesUserArn`)."""

    endpoint: pulumi.Output[str]
    """The primary (or serverless) endpoint's host name."""
    port: pulumi.Output[int]
    """The port."""
    security_group_id: pulumi.Output[str]
    """The cache's security group (a Microservice's `connectsTo`)."""
    arn: pulumi.Output[str]
    """The replication group's (or serverless cache's) ARN, for `elasticache:Connect`."""
    services_user_arn: pulumi.Output[str]
    """The IAM-authenticated user the services connect as (its name is `<name>-iam`)."""

    def __init__(self, name: str, args: CacheArgs_, opts: pulumi.ResourceOptions | None = None):
        super().__init__(component_type(Cache), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        engine = CacheEngine(args.get("engine") or CacheEngine.VALKEY).value
        cache = PyCache(
            name,
            CacheArgs(
                replication_group_id=args.get("name"),
                vpc_id=args["vpc_id"],
                subnet_ids=args["subnet_ids"],
                engine=engine,  # type: ignore[arg-type]
                engine_version=args.get("engine_version")
                or ("8.0" if engine == "valkey" else "7.1"),
                serverless=bool(args.get("serverless")),
                node_type=args.get("node_type") or "cache.t4g.micro",
                nodes=optional_int(args.get("nodes"), 2) or 2,
                snapshot_retention_days=optional_int(args.get("snapshot_retention_days"), 1) or 0,
                protect=bool(args.get("protect")),
                tags=dict(args.get("tags") or {}),
            ),
            opts=child,
        )
        publish(
            self,
            {
                "endpoint": cache.primary_endpoint,
                **same_named(cache, "port", "security_group_id", "arn", "services_user_arn"),
            },
        )


class DocumentStoreArgs_(TypedDict):
    bucket_prefix: NotRequired[str]
    """The bucket is `<prefix>-<account id>`; default prefix `<project>-<stack>-<resource name>`."""
    customer_managed_key: NotRequired[bool]
    """A KMS key of the bucket's own (default) instead of the account's aws/s3 key."""
    access_log_retention_days: NotRequired[int]
    """Server access logs to a log bucket kept this many days; default 365."""
    protect: NotRequired[bool]
    """Pulumi's protect on the bucket and key; default false."""
    tags: NotRequired[Mapping[str, str]]
    """Tags on every resource."""


class DocumentStore(pulumi.ComponentResource):
    """An S3 bucket: SSE-KMS, versioned, TLS only, private, lifecycle, server access logs."""

    bucket_name: pulumi.Output[str]
    """The bucket's name."""
    bucket_arn: pulumi.Output[str]
    """The bucket's ARN."""
    kms_key_arn: pulumi.Output[str | None]
    """The bucket's own KMS key (with `customerManagedKey`), for a Microservice's buckets."""

    def __init__(
        self, name: str, args: DocumentStoreArgs_, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(component_type(DocumentStore), name, None, opts)
        store = PyDocumentStore(
            name,
            DocumentStoreArgs(
                bucket_prefix=args.get("bucket_prefix"),
                customer_managed_key=bool(args.get("customer_managed_key", True)),
                access_log_retention_days=optional_int(args.get("access_log_retention_days"), 365),
                protect=bool(args.get("protect")),
                tags=dict(args.get("tags") or {}),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        publish(
            self,
            {
                **same_named(store, "bucket_name", "bucket_arn"),
                "kms_key_arn": pulumi.Output.from_input(store.kms_key_arn),
            },
        )


class WorkQueueArgs_(TypedDict):
    name: NotRequired[str]
    """The queue's name (dead-letter queue `<name>-dlq`); default `<project>-<stack>-<name>`."""
    visibility_timeout_seconds: NotRequired[int]
    """Seconds a received message stays hidden; default 300."""
    max_receive_count: NotRequired[int]
    """Receives before a message moves to the dead-letter queue; default 5."""
    alarm_actions: NotRequired[Sequence[pulumi.Input[str]]]
    """SNS topics the dead-letter and age alarms notify."""
    tags: NotRequired[Mapping[str, str]]
    """Tags on every resource."""


class WorkQueue(pulumi.ComponentResource):
    """An encrypted SQS queue with a dead-letter queue and alarms on both."""

    queue_url: pulumi.Output[str]
    """The queue's URL."""
    queue_arn: pulumi.Output[str]
    """The queue's ARN."""
    dead_letter_queue_arn: pulumi.Output[str]
    """The dead-letter queue's ARN."""

    def __init__(self, name: str, args: WorkQueueArgs_, opts: pulumi.ResourceOptions | None = None):
        super().__init__(component_type(WorkQueue), name, None, opts)
        queue = PyWorkQueue(
            name,
            WorkQueueArgs(
                name=args.get("name"),
                logical=name,
                visibility_timeout_seconds=optional_int(args.get("visibility_timeout_seconds"), 300)
                or 300,
                max_receive_count=optional_int(args.get("max_receive_count"), 5) or 5,
                alarm_actions=list(args.get("alarm_actions") or []),
                tags=dict(args.get("tags") or {}),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        publish(self, same_named(queue, "queue_url", "queue_arn", "dead_letter_queue_arn"))
