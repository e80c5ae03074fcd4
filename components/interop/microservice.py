"""The package's Microservice: a Fargate service with the queues, buckets and database it is
granted, from plain typed inputs.

No `from __future__ import annotations`: the package schema is read from the annotations at run
time (see `package.py`).
"""

import enum
from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi

from ..bindings import Binding, Peer, secret_json_key
from ..compute.attachments import LoadBalancerAttachment
from ..compute.cluster import ClusterRef
from ..compute.containers import CommandHealthCheck, ContainerArgs, HttpHealthCheck
from ..compute.microservice import AlarmArgs, MicroserviceArgs, ScalingArgs
from ..compute.microservice import Microservice as PyMicroservice
from ..data.database import database_binding
from ..data.policies import bucket_binding
from ..data.queue import queue_binding
from .wrapping import component_type, optional_int, publish, same_named


class CpuArchitecture(enum.StrEnum):
    """The CPU architecture of a service's tasks."""

    X86_64 = "X86_64"
    """Intel/AMD."""
    ARM64 = "ARM64"
    """Graviton: about 20 % cheaper on Fargate, Spot included; the image must be arm64."""


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
        super().__init__(component_type(Microservice), name, None, opts)
        port = optional_int(args.get("port"))
        command_check = args.get("health_check_command")
        health = (
            CommandHealthCheck(list(command_check))
            if command_check
            else HttpHealthCheck(path=args["health_check_path"])
            if args.get("health_check_path")
            else None
        )
        target_group = args.get("target_group_arn")
        low, high = optional_int(args.get("min_capacity")), optional_int(args.get("max_capacity"))
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
                cpu=optional_int(args.get("cpu"), 256) or 256,
                memory=optional_int(args.get("memory"), 512) or 512,
                # Unset: the scaling minimum when it scales, else 1 (MicroserviceArgs).
                desired_count=optional_int(args.get("desired_count")),
                log_retention_days=optional_int(args.get("log_retention_days"), 30) or 30,
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
                spot_percentage=optional_int(args.get("spot_percentage"), 0) or 0,
                cpu_architecture=architecture.value,  # type: ignore[arg-type]
                execute_command=bool(args.get("execute_command")),
                assign_public_ip=bool(args.get("assign_public_ip")),
                region=args.get("region"),
                tags=dict(args.get("tags") or {}),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        dns = service.internal_dns_name
        publish(
            self,
            {
                **same_named(
                    service,
                    "service_name",
                    "service_arn",
                    "task_definition_arn",
                    "security_group_id",
                    "task_role_arn",
                    "execution_role_arn",
                    "log_group_name",
                ),
                "internal_dns_name": pulumi.Output.from_input(dns),
                "internal_url": pulumi.Output.from_input(
                    pulumi.Output.concat("http://", dns, f":{port}") if dns is not None else None
                ),
            },
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
                port=optional_int(database.get("port"), 5432) or 5432,
                database=database["database_name"],
                username=database["username"],
                password_value_from=secret_json_key(database["password_secret_arn"], "password"),
                security_group_id=database["security_group_id"],
                dialect=DatabaseDialect(database.get("dialect") or "uri").value,  # type: ignore[arg-type]
            )
        )
    return found
