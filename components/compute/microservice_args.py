"""The arguments of a `Microservice` (`microservice.py`): its task, service, scaling, Service
Connect and alarm settings, plain frozen dataclasses any Pulumi program can fill."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi

from ..bindings import Binding
from .attachments import LoadBalancerAttachment
from .cluster import CapacityShare, ClusterRef
from .containers import ContainerArgs
from .deployment import DeploymentArgs
from .efs_volumes import EfsVolumeArgs
from .scaling import BacklogArgs, PredictiveArgs
from .sidecars import FireLensArgs, SidecarArgs

INTERNET = "0.0.0.0/0"
__all__ = ["AlarmArgs", "MicroserviceArgs", "ScalingArgs", "ScheduleArgs", "ServiceConnectArgs"]


@dataclass(frozen=True)
class ScheduleArgs:
    """Scale to zero at `scale_down` and back to the bounds at `scale_up` (Application Auto
    Scaling cron expressions read in `timezone`)."""

    scale_up: str
    scale_down: str
    timezone: str = "UTC"


@dataclass(frozen=True)
class ScalingArgs:
    min_capacity: int
    max_capacity: int
    cpu_target: int = 70
    """Average CPU % target tracking aims for."""
    memory_target: int = 80
    """Memory % above which tasks are added while the service is busy (CPU at least half its
    target); memory never removes tasks and never holds them: CPU and requests scale in."""
    cooldown_seconds: int = 300
    schedule: ScheduleArgs | None = None
    requests_per_target: int | None = None
    """Also track requests per task per minute (needs the load balancer attachment's suffixes)."""
    backlog: BacklogArgs | None = None
    """Also track the backlog per task of the SQS queue the service consumes."""
    predictive: PredictiveArgs | None = None
    """Also scale ahead of the forecast daily CPU pattern."""


@dataclass(frozen=True)
class ServiceConnectArgs:
    """ECS Service Connect in the cluster's namespace: a managed proxy in each task routes calls
    by name, retries, and publishes per-endpoint metrics and access logs."""

    publish: bool = True
    """Offer the service's port to the namespace's clients as `<name>.<namespace>:<port>` (the
    Cloud Map DNS name it had); False = client only (a worker, or a service nobody calls)."""
    access_logs: bool = True
    """The proxy's access logs, to the service's log group (stream prefix `service-connect`)."""
    ingress_port: int | None = None
    """Where the proxy of a published service listens when not the container port: its
    callers' proxies reach it there, while a load balancer keeps reaching the container port
    directly (`ingressPortOverride`)."""
    test_traffic: bool = False
    """Callers' requests carrying `x-amzn-ecs-blue-green-test: true` reach the new revision
    during a BLUE_GREEN, LINEAR or CANARY deployment's test stages (published services only)."""


@dataclass(frozen=True)
class AlarmArgs:
    actions: Sequence[pulumi.Input[str]] = ()
    """SNS topic ARNs the alarms notify (alarm and OK)."""
    cpu_threshold: int = 80
    memory_threshold: int = 80
    """Memory % the memory alarm fires above while the service is busy (CPU at least half
    `cpu_threshold`): a JVM's heap grown to its ceiling at rest is not an incident."""
    period_seconds: int = 300
    evaluation_periods: int = 2
    running_tasks: bool = True
    """Alarm when fewer tasks than the minimum run (the autoscaling minimum, else the desired
    count), zero included; none when the minimum is 0."""


@dataclass(frozen=True)
class MicroserviceArgs:
    cluster: ClusterRef
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[str]]
    """Private subnets of the tasks (at least two AZs); public ones with `assign_public_ip`."""
    container: ContainerArgs
    cpu: int = 256
    """Fargate CPU units of the task (256 = 0.25 vCPU): 256, 512, 1024, 2048, 4096, 8192 or
    16384 (`fargate.py`)."""
    memory: int = 512
    """Task memory in MiB, one Fargate pairs with `cpu` (256: 512-2048; 512: 1024-4096;
    1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720; 8192: 16384-61440 in steps of
    4096; 16384: 32768-122880 in steps of 8192); another pair is refused before anything is
    created."""
    desired_count: int | None = None
    """Tasks ECS starts; None = `scaling.min_capacity` when it scales, else 1. An explicit
    count outside `scaling`'s bounds is refused."""
    service_name: str | None = None
    """Physical ECS service name, task family and prefix of its alarm and scaling-policy names;
    default `<project>-<stack>-<name>` (`components/naming.py`): two stacks never share one.
    A plain string: it feeds physical names."""
    log_group_name: str | None = None
    """Default `/ecs/<service_name>`."""
    log_retention_days: int = 30
    bindings: Sequence[Binding] = ()
    """What the service uses: each brings environment, secrets, network paths, permissions."""
    load_balancer: LoadBalancerAttachment | None = None
    discovery: bool | None = None
    """Register in the cluster's Cloud Map namespace; default: when it has a port and the
    cluster has a namespace."""
    discovery_name: str | None = None
    """Its name in the cluster's namespace (the Cloud Map service, or Service Connect's
    discovery name): callers reach `<discovery_name>.<namespace>`. Default: the component
    name, unique inside the namespace only; two stacks that share one existing namespace give
    each service a name of its own here (a namespace per stack needs nothing)."""
    scaling: ScalingArgs | None = None
    """Target tracking on CPU and memory; None = a fixed desired count."""
    deployment: DeploymentArgs = field(default_factory=DeploymentArgs)
    alarms: AlarmArgs = field(default_factory=AlarmArgs)
    spot_percentage: int = 0
    """Share of the tasks on FARGATE_SPOT (one on-demand task kept as base); 0 = none."""
    capacity_provider_strategy: Sequence[CapacityShare] = ()
    """The service's own FARGATE/FARGATE_SPOT weights and base; excludes `spot_percentage`;
    empty = from `spot_percentage`."""
    cpu_architecture: Literal["X86_64", "ARM64"] = "X86_64"
    """The task's `runtimePlatform.cpuArchitecture`: every image of the task must have it."""
    sidecars: Sequence[SidecarArgs] = ()
    """Containers of one's own beside the application (memory out of the task's)."""
    firelens: FireLensArgs | None = None
    """Route the application's logs through a Fluent Bit log router; None = awslogs."""
    efs_volumes: Sequence[EfsVolumeArgs] = ()
    """EFS file systems mounted in the application container (TLS, IAM, access point)."""
    ephemeral_storage_gib: int | None = None
    """Task ephemeral storage, 21-200 GiB; None = the 20 GiB every Fargate task has."""
    execute_command: bool = False
    assign_public_ip: bool = False
    """Give each task a public IPv4 (tasks in public subnets, egress without NAT): a dev-only
    saving the policy pack refuses (ECS.2) unless the stack waives it."""
    service_connect: ServiceConnectArgs | None = None
    """Reach and be reached through Service Connect instead of Cloud Map DNS records."""
    xray: bool = False
    """Trace to X-Ray: an OpenTelemetry collector sidecar (`telemetry.py`) receives OTLP on
    the task's loopback and sends to X-Ray, the container gets `OTEL_*` variables pointing at it,
    the task role `xray:PutTraceSegments`. (The name is the one of the X-Ray daemon it replaced.)"""
    tracing_attributes: Mapping[str, str] = field(default_factory=dict)
    """OpenTelemetry resource attributes of its traces besides the log group's name (e.g.
    `deployment.environment.name`, `service.namespace`)."""
    metrics_namespace: str | None = None
    """CloudWatch namespace the application publishes metrics to (its task role may)."""
    https_egress_cidrs: Sequence[pulumi.Input[str]] = (INTERNET,)
    """Where the tasks reach AWS APIs and registries on 443 (NAT or VPC endpoints); each may be
    an Output (a VPC's CIDR block)."""
    region: str | None = None
    """Default: the provider's `aws:region`."""
    permissions_boundary: pulumi.Input[str] | None = None
    """The managed policy every role of the component is created with as its permissions
    boundary (the bootstrap's `<project>-<env>-boundary`); None = no boundary."""
    depends_on: Sequence[pulumi.Resource] = ()
    """What the ECS service waits for before it is created or rolls (the stack's migration
    run: when it fails, the service keeps its running revision)."""
    tags: Mapping[str, str] = field(default_factory=dict)


def desired_count(args: MicroserviceArgs) -> int:
    """The tasks ECS starts: the explicit count, else the autoscaling minimum, else 1."""
    if args.desired_count is not None:
        return args.desired_count
    return args.scaling.min_capacity if args.scaling is not None else 1


def registers_in_cloud_map(args: MicroserviceArgs) -> bool:
    """Whether the service gets a Cloud Map service: as asked, else when it has a port, the
    cluster a namespace, and no Service Connect (with it, ECS registers the service in the
    namespace itself: a DNS service of the same name would collide with it)."""
    if args.discovery is not None:
        return args.discovery
    return (
        args.container.port is not None
        and args.cluster.namespace_id is not None
        and args.service_connect is None
    )
