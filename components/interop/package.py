"""The package's components: typed inputs in, the Python components built from them.

No `from __future__ import annotations` here: the package schema is read from these classes'
annotations at run time (`pulumi.provider.experimental` analyzes them), and the docstring under
each field is its description in every language. Inputs arrive as dicts (snake_case keys,
numbers possibly as floats) when the provider constructs a component for another language; a
Python program may pass the same dicts.
"""

import enum
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi

from .._version import __version__
from ..bindings import Binding, Peer, secret_json_key
from ..compute.attachments import LoadBalancerAttachment
from ..compute.cluster import ClusterRef, EcsClusterArgs, ExecLoggingArgs
from ..compute.cluster import EcsCluster as PyEcsCluster
from ..compute.containers import CommandHealthCheck, ContainerArgs, HttpHealthCheck
from ..compute.microservice import AlarmArgs, MicroserviceArgs, ScalingArgs
from ..compute.microservice import Microservice as PyMicroservice
from ..data.cache import Cache as PyCache
from ..data.cache import CacheArgs
from ..data.database import Database as PyDatabase
from ..data.database import DatabaseArgs, database_binding
from ..data.documents import DocumentStore as PyDocumentStore
from ..data.documents import DocumentStoreArgs
from ..data.policies import bucket_binding
from ..data.queue import WorkQueue as PyWorkQueue
from ..data.queue import WorkQueueArgs, queue_binding
from ..edge.config import Route
from ..edge.load_balancer import AccessLogArgs, LoadBalancerArgs, WafArgs
from ..edge.load_balancer import LoadBalancer as PyLoadBalancer
from ..edge.network_load_balancer import NetworkLoadBalancer as PyNetworkLoadBalancer
from ..edge.network_load_balancer import NetworkLoadBalancerArgs
from ..edge.tcp import TcpListener

PACKAGE = "accessweaver"
"""The package name: resource types are `accessweaver:index:<class>`."""

VERSION = __version__
"""The schema's version: the components' own (`components/_version.py`, CHANGELOG.md)."""


def _int(value: Any, default: int | None = None) -> int | None:
    return default if value is None else int(value)


def _type(cls: type) -> str:
    return f"{PACKAGE}:index:{cls.__name__}"


class CpuArchitecture(enum.StrEnum):
    """The CPU architecture of a service's tasks."""

    X86_64 = "X86_64"
    """Intel/AMD."""
    ARM64 = "ARM64"
    """Graviton: about 20 % cheaper on Fargate, Spot included; the image must be arm64."""


class ContainerInsights(enum.StrEnum):
    """CloudWatch Container Insights on the cluster."""

    DISABLED = "disabled"
    ENABLED = "enabled"
    ENHANCED = "enhanced"


class CacheEngine(enum.StrEnum):
    """The cache engine."""

    VALKEY = "valkey"
    """Valkey: the Redis OSS protocol, nodes priced up to 20 % lower."""
    REDIS = "redis"
    """Redis OSS."""


class QueueAccess(enum.StrEnum):
    """What a service may do with a queue it is granted."""

    CONSUME = "consume"
    """Receive, delete, change visibility: the one service that works through the queue."""
    SEND = "send"
    """Send only."""
    CONSUME_AND_SEND = "consumeAndSend"
    """Consume, and put work back on the queue."""


class BucketAccess(enum.StrEnum):
    """What a service may do with a bucket it is granted."""

    READ = "read"
    """List, get objects and their versions, decrypt with the bucket's key."""
    READ_WRITE = "readWrite"
    """Also put and delete objects, and generate data keys."""


class DatabaseDialect(enum.StrEnum):
    """The form of `DATABASE_URL` a service is given."""

    URI = "uri"
    """`postgresql://user@host:port/db?sslmode=require` (Node pg, Go pgx, psycopg)."""
    JDBC = "jdbc"
    """`jdbc:postgresql://host:port/db?sslmode=require` (the JVM)."""


# -- EcsCluster ---------------------------------------------------------------------------------


class EcsClusterArgs_(TypedDict):
    cluster_name: NotRequired[str]
    """The cluster's name; default `<project>-<stack>-<resource name>`."""
    vpc_id: NotRequired[pulumi.Input[str]]
    """The VPC of the Cloud Map namespace (with `namespace_name`)."""
    namespace_name: NotRequired[str]
    """A private DNS namespace the services register in (`<service>.<namespace>`)."""
    container_insights: NotRequired[ContainerInsights]
    """Container Insights; default enabled."""
    spot_percentage: NotRequired[int]
    """Default share of Fargate Spot for services (0-100); default 0."""
    exec_log_retention_days: NotRequired[int]
    """Days ECS Exec session logs are kept (KMS-encrypted); unset = no exec logging."""
    region: NotRequired[str]
    """AWS region; default the provider's."""
    tags: NotRequired[Mapping[str, str]]
    """Tags on every resource."""


class EcsCluster(pulumi.ComponentResource):
    """An ECS cluster: Fargate and Spot capacity, a Cloud Map namespace, ECS Exec logging."""

    cluster_name: pulumi.Output[str]
    """The cluster's name."""
    cluster_arn: pulumi.Output[str]
    """The cluster's ARN (a Microservice's `clusterArn`)."""
    namespace_id: pulumi.Output[str | None]
    """The Cloud Map namespace's id, when there is one."""

    def __init__(
        self, name: str, args: EcsClusterArgs_, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(_type(EcsCluster), name, None, opts)
        retention = args.get("exec_log_retention_days")
        insights = args.get("container_insights") or ContainerInsights.ENABLED
        cluster = PyEcsCluster(
            name,
            EcsClusterArgs(
                cluster_name=args.get("cluster_name"),
                vpc_id=args.get("vpc_id"),
                namespace_name=args.get("namespace_name"),
                container_insights=ContainerInsights(insights).value,  # type: ignore[arg-type]
                spot_percentage=_int(args.get("spot_percentage"), 0) or 0,
                exec_logging=(
                    None if retention is None else ExecLoggingArgs(retention_days=int(retention))
                ),
                region=args.get("region"),
                tags=dict(args.get("tags") or {}),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.cluster_name = cluster.cluster_name
        self.cluster_arn = cluster.cluster_arn
        self.namespace_id = pulumi.Output.from_input(cluster.namespace_id)
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "namespace_id": self.namespace_id,
            }
        )


# -- Microservice -------------------------------------------------------------------------------


class ServicePeer(TypedDict):
    """A security group the service opens a path to (a database's, a cache's)."""

    name: str
    """What it is, for the rule names (e.g. `postgres`)."""
    security_group_id: pulumi.Input[str]
    """The peer's security group: the service gets egress to it, the peer ingress from it."""
    port: int
    """The peer's port."""


class QueueGrant(TypedDict):
    """A queue the service may use: `<NAME>_QUEUE_URL` in its environment, the actions of
    `access` on this queue alone in its task role."""

    name: str
    """The queue's name for the service: `jobs` gives `JOBS_QUEUE_URL`."""
    queue_url: pulumi.Input[str]
    """The queue's URL (a WorkQueue's `queueUrl`)."""
    queue_arn: pulumi.Input[str]
    """The queue's ARN (a WorkQueue's `queueArn`)."""
    access: NotRequired[QueueAccess]
    """consume (default), send or consumeAndSend."""


class BucketGrant(TypedDict):
    """An S3 bucket the service may use: `<NAME>_BUCKET` in its environment, `access` on its
    objects (and its KMS key) in its task role."""

    name: str
    """The bucket's name for the service: `documents` gives `DOCUMENTS_BUCKET`."""
    bucket_name: pulumi.Input[str]
    """The bucket's name (a DocumentStore's `bucketName`)."""
    bucket_arn: pulumi.Input[str]
    """The bucket's ARN (a DocumentStore's `bucketArn`)."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """The bucket's customer-managed KMS key (a DocumentStore's `kmsKeyArn`); unset = aws/s3."""
    access: NotRequired[BucketAccess]
    """read (default) or readWrite."""


class DatabaseGrant(TypedDict):
    """A PostgreSQL database the service uses: `DATABASE_*` variables, the password as a
    secret (the execution role reads that secret only), the path to its port."""

    address: pulumi.Input[str]
    """The host name (a Database's `address`)."""
    port: NotRequired[int]
    """The port; default 5432."""
    database_name: pulumi.Input[str]
    """The database (a Database's `databaseName`)."""
    username: pulumi.Input[str]
    """The login (a Database's `username`: its master user)."""
    password_secret_arn: pulumi.Input[str]
    """A Secrets Manager secret whose JSON holds `password` (a Database's `masterSecretArn`)."""
    security_group_id: pulumi.Input[str]
    """The database's security group: the service gets egress to it, the database ingress."""
    dialect: NotRequired[DatabaseDialect]
    """The form of `DATABASE_URL`: uri (default) or jdbc."""


class MicroserviceArgs_(TypedDict):
    cluster_arn: pulumi.Input[str]
    """The ECS cluster (an EcsCluster's `clusterArn`, or an existing cluster's ARN)."""
    cluster_name: pulumi.Input[str]
    """The cluster's name (an EcsCluster's `clusterName`, or an existing cluster's)."""
    service_name: NotRequired[str]
    """The ECS service's name and task family; default the resource name."""
    namespace_id: NotRequired[pulumi.Input[str]]
    """The cluster's Cloud Map namespace: the service registers `<name>.<namespace>`."""
    vpc_id: pulumi.Input[str]
    """The VPC of the service's own security group."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """Subnets of the tasks (private ones, in two AZs or more)."""
    image: pulumi.Input[str]
    """The container image (repository:tag or @sha256 digest); may be another resource's output."""
    port: NotRequired[int]
    """The container port; unset = a worker with no port."""
    health_check_path: NotRequired[str]
    """HTTP path the container and the load balancer check; default /health."""
    health_check_command: NotRequired[Sequence[str]]
    """A worker's health check command (["CMD-SHELL", "..."]), required without a port."""
    command: NotRequired[Sequence[str]]
    """Overrides the image's command."""
    environment: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Plain environment variables."""
    secrets: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Variable -> Secrets Manager or SSM parameter ARN (the execution role reads only these)."""
    cpu: NotRequired[int]
    """Task CPU units (256 = 0.25 vCPU); default 256."""
    memory: NotRequired[int]
    """Task memory in MiB; default 512."""
    desired_count: NotRequired[int]
    """Tasks to run; default: the scaling minimum, else 1 (outside the scaling bounds: refused)."""
    cpu_architecture: NotRequired[CpuArchitecture]
    """X86_64 (default) or ARM64."""
    spot_percentage: NotRequired[int]
    """Share of tasks on Fargate Spot (0-100); default 0."""
    execute_command: NotRequired[bool]
    """ECS Exec into the tasks (the cluster must log sessions); default false."""
    assign_public_ip: NotRequired[bool]
    """Public IPv4 on each task (public subnets without NAT); default false."""
    log_retention_days: NotRequired[int]
    """Days the service's log group keeps its logs; default 30."""
    target_group_arn: NotRequired[pulumi.Input[str]]
    """A load balancer target group to register the tasks in (needs `port`)."""
    load_balancer_security_group_ids: NotRequired[Sequence[pulumi.Input[str]]]
    """The load balancer's security groups, admitted on `port` (with `target_group_arn`)."""
    min_capacity: NotRequired[int]
    """Autoscaling minimum (with `max_capacity`); unset = no autoscaling."""
    max_capacity: NotRequired[int]
    """Autoscaling maximum."""
    alarm_actions: NotRequired[Sequence[pulumi.Input[str]]]
    """SNS topics the CPU and memory alarms notify."""
    connects_to: NotRequired[Sequence[ServicePeer]]
    """Security groups the service opens a path to (its database, its cache)."""
    queues: NotRequired[Sequence[QueueGrant]]
    """Queues the service is granted (a worker its queue, a sender the queue it feeds)."""
    buckets: NotRequired[Sequence[BucketGrant]]
    """S3 buckets the service is granted."""
    database: NotRequired[DatabaseGrant]
    """The PostgreSQL database the service uses."""
    region: NotRequired[str]
    """AWS region; default the provider's."""
    tags: NotRequired[Mapping[str, str]]
    """Tags on every resource."""


class Microservice(pulumi.ComponentResource):
    """A Fargate service with its own security group, roles, log group, alarms and scaling."""

    service_name: pulumi.Output[str]
    """The ECS service's name."""
    service_arn: pulumi.Output[str]
    """The ECS service's ARN."""
    task_definition_arn: pulumi.Output[str]
    """The task definition's ARN."""
    security_group_id: pulumi.Output[str]
    """The service's own security group."""
    task_role_arn: pulumi.Output[str]
    """The role the application's AWS calls use."""
    execution_role_arn: pulumi.Output[str]
    """The role ECS pulls the image, writes logs and reads secrets with."""
    log_group_name: pulumi.Output[str]
    """The service's log group."""
    internal_dns_name: pulumi.Output[str | None]
    """`<name>.<namespace>` when the service has a port and the cluster a namespace."""
    internal_url: pulumi.Output[str | None]
    """`http://<name>.<namespace>:<port>`: where other services call it."""

    def __init__(
        self, name: str, args: MicroserviceArgs_, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(_type(Microservice), name, None, opts)
        port = _int(args.get("port"))
        command_check = args.get("health_check_command")
        health = (
            CommandHealthCheck(list(command_check))
            if command_check
            else HttpHealthCheck(path=args["health_check_path"])
            if args.get("health_check_path")
            else None
        )
        target_group = args.get("target_group_arn")
        low, high = _int(args.get("min_capacity")), _int(args.get("max_capacity"))
        peers = tuple(
            Peer(p["name"], p["security_group_id"], (int(p["port"]),))
            for p in args.get("connects_to") or ()
        )
        architecture = CpuArchitecture(args.get("cpu_architecture") or CpuArchitecture.X86_64)
        bindings = [Binding(name="peers", peers=peers)] if peers else []
        bindings += _grants(args)
        service = PyMicroservice(
            name,
            MicroserviceArgs(
                cluster=ClusterRef(
                    cluster_arn=args["cluster_arn"],
                    cluster_name=args["cluster_name"],
                    namespace_id=args.get("namespace_id"),
                ),
                vpc_id=args["vpc_id"],
                subnet_ids=args["subnet_ids"],
                service_name=args.get("service_name"),
                container=ContainerArgs(
                    image=args["image"],
                    port=port,
                    health_check=health,
                    command=list(args["command"]) if args.get("command") else None,
                    environment=dict(args.get("environment") or {}),
                    secrets=dict(args.get("secrets") or {}),
                ),
                cpu=_int(args.get("cpu"), 256) or 256,
                memory=_int(args.get("memory"), 512) or 512,
                # Unset: the scaling minimum when it scales, else 1 (MicroserviceArgs).
                desired_count=_int(args.get("desired_count")),
                log_retention_days=_int(args.get("log_retention_days"), 30) or 30,
                bindings=tuple(bindings),
                load_balancer=(
                    LoadBalancerAttachment(
                        target_group_arn=target_group,
                        security_group_ids=list(args.get("load_balancer_security_group_ids") or []),
                    )
                    if target_group is not None
                    else None
                ),
                scaling=(
                    ScalingArgs(min_capacity=low, max_capacity=high)
                    if low is not None and high is not None
                    else None
                ),
                alarms=AlarmArgs(actions=list(args.get("alarm_actions") or [])),
                spot_percentage=_int(args.get("spot_percentage"), 0) or 0,
                cpu_architecture=architecture.value,  # type: ignore[arg-type]
                execute_command=bool(args.get("execute_command")),
                assign_public_ip=bool(args.get("assign_public_ip")),
                region=args.get("region"),
                tags=dict(args.get("tags") or {}),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.service_name = service.service_name
        self.service_arn = service.service_arn
        self.task_definition_arn = service.task_definition_arn
        self.security_group_id = service.security_group_id
        self.task_role_arn = service.task_role_arn
        self.execution_role_arn = service.execution_role_arn
        self.log_group_name = service.log_group_name
        dns = service.internal_dns_name
        self.internal_dns_name = pulumi.Output.from_input(dns)
        self.internal_url = pulumi.Output.from_input(
            pulumi.Output.concat("http://", dns, f":{port}") if dns is not None else None
        )
        self.register_outputs(
            {
                "service_name": self.service_name,
                "service_arn": self.service_arn,
                "task_definition_arn": self.task_definition_arn,
                "security_group_id": self.security_group_id,
                "task_role_arn": self.task_role_arn,
                "execution_role_arn": self.execution_role_arn,
                "log_group_name": self.log_group_name,
                "internal_dns_name": self.internal_dns_name,
                "internal_url": self.internal_url,
            }
        )


def _grants(args: MicroserviceArgs_) -> list[Binding]:
    """The bindings of what the service is granted (`QueueGrant`, `BucketGrant`,
    `DatabaseGrant`): the same as the Python components' `binding()` methods give."""
    found = [
        queue_binding(
            q["name"], q["queue_url"], q["queue_arn"], QueueAccess(q.get("access") or "consume")
        )
        for q in args.get("queues") or ()
    ]
    found += [
        bucket_binding(
            b["name"],
            b["bucket_name"],
            b["bucket_arn"],
            b.get("kms_key_arn"),
            BucketAccess(b.get("access") or "read").value,  # type: ignore[arg-type]
        )
        for b in args.get("buckets") or ()
    ]
    database = args.get("database")
    if database is not None:
        found.append(
            database_binding(
                address=database["address"],
                port=_int(database.get("port"), 5432) or 5432,
                database=database["database_name"],
                username=database["username"],
                password_value_from=secret_json_key(database["password_secret_arn"], "password"),
                security_group_id=database["security_group_id"],
                dialect=DatabaseDialect(database.get("dialect") or "uri").value,  # type: ignore[arg-type]
            )
        )
    return found


# -- Platform pieces ----------------------------------------------------------------------------


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
        super().__init__(_type(Database), name, None, opts)
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
                allocated_storage=_int(args.get("allocated_storage"), defaults.allocated_storage)
                or defaults.allocated_storage,
                multi_az=bool(args.get("multi_az", defaults.multi_az)),
                deletion_protection=bool(
                    args.get("deletion_protection", defaults.deletion_protection)
                ),
                backup_retention_days=_int(
                    args.get("backup_retention_days"), defaults.backup_retention_days
                )
                or defaults.backup_retention_days,
                protect=bool(args.get("protect")),
                tags=dict(args.get("tags") or {}),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.endpoint = database.endpoint
        self.address = database.address
        self.port = database.port
        self.security_group_id = database.security_group_id
        self.master_secret_arn = database.master_secret_arn
        self.database_name = pulumi.Output.from_input(database.database_name)
        self.username = pulumi.Output.from_input(database.master_username)
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "address": self.address,
                "port": self.port,
                "security_group_id": self.security_group_id,
                "master_secret_arn": self.master_secret_arn,
                "database_name": self.database_name,
                "username": self.username,
            }
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
        super().__init__(_type(Cache), name, None, opts)
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
                nodes=_int(args.get("nodes"), 2) or 2,
                snapshot_retention_days=_int(args.get("snapshot_retention_days"), 1) or 0,
                protect=bool(args.get("protect")),
                tags=dict(args.get("tags") or {}),
            ),
            opts=child,
        )
        self.endpoint = cache.primary_endpoint
        self.port = cache.port
        self.security_group_id = cache.security_group_id
        self.arn = cache.arn
        self.services_user_arn = cache.services_user_arn
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "port": self.port,
                "security_group_id": self.security_group_id,
                "arn": self.arn,
                "services_user_arn": self.services_user_arn,
            }
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
        super().__init__(_type(DocumentStore), name, None, opts)
        store = PyDocumentStore(
            name,
            DocumentStoreArgs(
                bucket_prefix=args.get("bucket_prefix"),
                customer_managed_key=bool(args.get("customer_managed_key", True)),
                access_log_retention_days=_int(args.get("access_log_retention_days"), 365),
                protect=bool(args.get("protect")),
                tags=dict(args.get("tags") or {}),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.bucket_name = store.bucket_name
        self.bucket_arn = store.bucket_arn
        self.kms_key_arn = pulumi.Output.from_input(store.kms_key_arn)
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "kms_key_arn": self.kms_key_arn,
            }
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
        super().__init__(_type(WorkQueue), name, None, opts)
        queue = PyWorkQueue(
            name,
            WorkQueueArgs(
                name=args.get("name"),
                logical=name,
                visibility_timeout_seconds=_int(args.get("visibility_timeout_seconds"), 300) or 300,
                max_receive_count=_int(args.get("max_receive_count"), 5) or 5,
                alarm_actions=list(args.get("alarm_actions") or []),
                tags=dict(args.get("tags") or {}),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.queue_url = queue.queue_url
        self.queue_arn = queue.queue_arn
        self.dead_letter_queue_arn = queue.dead_letter_queue_arn
        self.register_outputs(
            {
                "queue_url": self.queue_url,
                "queue_arn": self.queue_arn,
                "dead_letter_queue_arn": self.dead_letter_queue_arn,
            }
        )


# -- LoadBalancer -------------------------------------------------------------------------------

ROUTE_PRIORITY_START = 100
ROUTE_PRIORITY_STEP = 10


class LoadBalancerRoute(TypedDict):
    """A service the load balancer routes to: its target group and its listener rule."""

    service: str
    """The service's name: the key of its target group in `target_group_arns` and `urls`."""
    port: int
    """The container port the target group sends requests to."""
    path_patterns: NotRequired[Sequence[str]]
    """ALB path patterns of the rule; default ["/*"], none when `host_headers` are given."""
    host_headers: NotRequired[Sequence[str]]
    """Host names the rule matches (`*.example.com` too); with path patterns, both must match."""
    priority: NotRequired[int]
    """The rule's priority (10-50000, unique); default 100 + 10 x its position in `routes`."""
    health_check_path: NotRequired[str]
    """The path the target group checks; default /health."""


class LoadBalancerArgs_(TypedDict):
    name: NotRequired[str]
    """The ALB's name (32 characters at most: longer ones are cut and hashed); default scoped."""
    vpc_id: pulumi.Input[str]
    """The VPC of the ALB and its target groups."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """Subnets in two AZs or more: public ones, or private ones for an internal ALB."""
    internal: NotRequired[bool]
    """Private addresses only (its VPC, or the ingress ranges and groups); default false."""
    ingress_cidrs: NotRequired[Sequence[str]]
    """Internal only: private IPv4 ranges admitted on the listeners (a peered VPC, a VPN)."""
    ingress_security_group_ids: NotRequired[Sequence[pulumi.Input[str]]]
    """Internal only: security groups admitted on the listeners (the callers' own)."""
    routes: Sequence[LoadBalancerRoute]
    """The services it routes to: one target group and one listener rule each."""
    certificate_arn: NotRequired[pulumi.Input[str]]
    """ACM certificate: HTTPS on 443 (TLS 1.3 policy), HTTP redirected; unset = HTTP on 80."""
    deletion_protection: NotRequired[bool]
    """ELB deletion protection; default true."""
    waf: NotRequired[bool]
    """A WAFv2 web ACL (managed rules, rate limit, logs); default true unless internal."""
    waf_rate_limit: NotRequired[int]
    """Requests per client IP per 5 minutes before the rate rule blocks; default 2000."""
    access_log_retention_days: NotRequired[int]
    """Access logs to an S3 bucket of its own, kept this many days; default 90; 0 = none."""
    region: NotRequired[str]
    """AWS region; default the provider's."""
    tags: NotRequired[Mapping[str, str]]
    """Tags on every resource."""


class LoadBalancer(pulumi.ComponentResource):
    """An Application Load Balancer: HTTPS with a TLS 1.3 policy, invalid headers dropped, a
    rule and target group per service, Spring's /actuator paths refused, WAF and access logs."""

    arn: pulumi.Output[str]
    """The ALB's ARN."""
    dns_name: pulumi.Output[str]
    """The ALB's DNS name."""
    zone_id: pulumi.Output[str]
    """The ALB's hosted zone (for a Route 53 alias record)."""
    security_group_id: pulumi.Output[str]
    """The ALB's security group (a Microservice's `loadBalancerSecurityGroupIds`)."""
    listener_arn: pulumi.Output[str]
    """The listener carrying the rules (HTTPS, or HTTP without a certificate)."""
    target_group_arns: pulumi.Output[Mapping[str, str]]
    """Target group per routed service (a Microservice's `targetGroupArn`)."""
    urls: pulumi.Output[Mapping[str, Sequence[str]]]
    """URLs per routed service, one per path pattern."""

    def __init__(
        self, name: str, args: LoadBalancerArgs_, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(_type(LoadBalancer), name, None, opts)
        retention = _int(args.get("access_log_retention_days"), 90)
        internal = bool(args.get("internal"))
        waf = bool(args.get("waf", not internal))
        balancer = PyLoadBalancer(
            name,
            LoadBalancerArgs(
                name=args.get("name"),
                vpc_id=args["vpc_id"],
                subnet_ids=args["subnet_ids"],
                routes=[_route(route, index) for index, route in enumerate(args["routes"])],
                internal=internal,
                ingress_cidrs=tuple(args.get("ingress_cidrs") or ()),
                ingress_security_group_ids=tuple(args.get("ingress_security_group_ids") or ()),
                certificate_arn=args.get("certificate_arn"),  # type: ignore[arg-type]
                deletion_protection=bool(args.get("deletion_protection", True)),
                access_logs=AccessLogArgs(retention_days=retention) if retention else None,
                waf=(
                    WafArgs(rate_limit=_int(args.get("waf_rate_limit"), 2000) or 2000)
                    if waf
                    else None
                ),
                region=args.get("region"),
                tags=dict(args.get("tags") or {}),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = balancer.arn
        self.dns_name = balancer.dns_name
        self.zone_id = balancer.zone_id
        self.security_group_id = balancer.security_group_id
        self.listener_arn = balancer.listener_arn
        self.target_group_arns = pulumi.Output.all(**balancer.target_group_arns)
        self.urls = balancer.public_urls
        self.register_outputs(
            {
                "arn": self.arn,
                "dns_name": self.dns_name,
                "zone_id": self.zone_id,
                "security_group_id": self.security_group_id,
                "listener_arn": self.listener_arn,
                "target_group_arns": self.target_group_arns,
                "urls": self.urls,
            }
        )


def _route(route: LoadBalancerRoute, index: int) -> Route:
    priority = _int(route.get("priority"), ROUTE_PRIORITY_START + ROUTE_PRIORITY_STEP * index)
    hosts = tuple(route.get("host_headers") or ())
    return Route(
        service=route["service"],
        port=int(route["port"]),
        health_check_path=route.get("health_check_path") or "/health",
        path_patterns=tuple(route.get("path_patterns") or (() if hosts else ("/*",))),
        host_headers=hosts,
        priority=priority or ROUTE_PRIORITY_START,
    )


# -- NetworkLoadBalancer ------------------------------------------------------------------------


class TcpProtocol(enum.StrEnum):
    """What a TCP listener does with the connection."""

    TCP = "TCP"
    """Passes the bytes through."""
    TLS = "TLS"
    """Terminates TLS with `certificate_arn` and forwards plain TCP to the tasks."""


class NetworkLoadBalancerListener(TypedDict):
    """A TCP service behind the NLB: a listener and a target group of its tasks."""

    service: str
    """The service's name: its key in `target_group_arns` and `endpoints`."""
    port: int
    """The container port the tasks listen on."""
    listener_port: NotRequired[int]
    """The port clients connect to; default `port`."""
    protocol: NotRequired[TcpProtocol]
    """TCP (default) or TLS."""
    health_check_path: NotRequired[str]
    """An HTTP path the target group checks; default a TCP connection check."""


class NetworkLoadBalancerArgs_(TypedDict):
    name: str
    """The NLB's name (at most 32 characters, longer ones are cut and end with a hash)."""
    vpc_id: pulumi.Input[str]
    """The VPC of the NLB and its target groups."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """Subnets in two AZs or more: private ones when internal, public ones otherwise."""
    listeners: Sequence[NetworkLoadBalancerListener]
    """One listener and one target group per TCP service; listener ports unique."""
    internal: NotRequired[bool]
    """Private addresses only; default true."""
    ingress_cidrs: NotRequired[Sequence[str]]
    """IPv4 ranges admitted on the listeners; default the VPC's (internal); required otherwise."""
    ingress_security_group_ids: NotRequired[Sequence[pulumi.Input[str]]]
    """Security groups admitted on the listener ports."""
    certificate_arn: NotRequired[pulumi.Input[str]]
    """ACM certificate of the TLS listeners."""
    deletion_protection: NotRequired[bool]
    """ELB deletion protection; default true."""
    tags: NotRequired[Mapping[str, str]]
    """Tags on every resource."""


class NetworkLoadBalancer(pulumi.ComponentResource):
    """A Network Load Balancer for TCP services: internal by default, a security group of its
    own, cross-zone, a TCP or TLS listener and an ip target group per service."""

    arn: pulumi.Output[str]
    """The NLB's ARN."""
    dns_name: pulumi.Output[str]
    """The NLB's DNS name."""
    zone_id: pulumi.Output[str]
    """The NLB's hosted zone (for a Route 53 alias record)."""
    security_group_id: pulumi.Output[str]
    """The NLB's security group (a Microservice's `loadBalancerSecurityGroupIds`)."""
    target_group_arns: pulumi.Output[Mapping[str, str]]
    """Target group per service (a Microservice's `targetGroupArn`)."""
    endpoints: pulumi.Output[Mapping[str, str]]
    """`<dns name>:<listener port>` per service."""

    def __init__(
        self,
        name: str,
        args: NetworkLoadBalancerArgs_,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(_type(NetworkLoadBalancer), name, None, opts)
        balancer = PyNetworkLoadBalancer(
            name,
            NetworkLoadBalancerArgs(
                name=args["name"],
                vpc_id=args["vpc_id"],
                subnet_ids=args["subnet_ids"],
                listeners=[_listener(listener) for listener in args["listeners"]],
                project=pulumi.get_project(),
                environment=pulumi.get_stack(),
                internal=bool(args.get("internal", True)),
                ingress_cidrs=tuple(args.get("ingress_cidrs") or ()),
                ingress_security_group_ids=tuple(args.get("ingress_security_group_ids") or ()),
                certificate_arn=args.get("certificate_arn"),
                deletion_protection=bool(args.get("deletion_protection", True)),
                tags=dict(args.get("tags") or {}),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = balancer.arn
        self.dns_name = balancer.dns_name
        self.zone_id = balancer.zone_id
        self.security_group_id = balancer.security_group_id
        self.target_group_arns = pulumi.Output.all(**balancer.target_group_arns)
        self.endpoints = balancer.endpoints
        self.register_outputs(
            {
                "arn": self.arn,
                "dns_name": self.dns_name,
                "zone_id": self.zone_id,
                "security_group_id": self.security_group_id,
                "target_group_arns": self.target_group_arns,
                "endpoints": self.endpoints,
            }
        )


def _listener(listener: NetworkLoadBalancerListener) -> TcpListener:
    path = listener.get("health_check_path")
    return TcpListener(
        service=listener["service"],
        port=int(listener["port"]),
        listener_port=_int(listener.get("listener_port")),
        protocol=TcpProtocol(listener.get("protocol") or "TCP").value,  # type: ignore[arg-type]
        health_check_protocol="HTTP" if path else "TCP",
        health_check_path=path,
    )


COMPONENTS: tuple[type[pulumi.ComponentResource], ...] = (
    EcsCluster,
    Microservice,
    LoadBalancer,
    NetworkLoadBalancer,
    Database,
    Cache,
    DocumentStore,
    WorkQueue,
)
