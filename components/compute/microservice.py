"""One microservice on ECS Fargate, from its own arguments (usable in any Pulumi program).

Creates, all owned by this service alone: its security group (egress to the AWS APIs on 443;
ingress only from its load balancer, on its ports; paths to the peers its bindings name), its
execution role (its image repository, its log group, the secrets its task definition
references) and task role (the statements its bindings bring, X-Ray traces, ECS Exec,
CloudWatch metrics when on), the log group, the Fargate task definition (with tracing, an
OpenTelemetry collector sidecar; the application container's memory is what the sidecars
leave, and a JVM heap option that does not fit it is refused), the ECS service (circuit breaker,
deployment alarms), CPU, memory-under-load and running-task alarms and, when it has a port, its
Cloud Map service. Optional: the load balancer attachment (ECS native BLUE_GREEN, LINEAR or
CANARY when the attachment carries the alternate target group, with Lambda lifecycle hooks and
the role ECS invokes them with), autoscaling on CPU (both ways) and on memory under load (out
only, `alarms.py`) with an off-hours schedule.

A service without a port is a worker: no load balancer, no Cloud Map registration, no ingress
rule at all, and a command health check.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
from pulumi_aws import appautoscaling, cloudwatch, ec2, ecs, iam, servicediscovery

from ..bindings import Binding, Peer, merge_bindings, url_variable
from ..errors import ConfigIssue, raise_argument_issues
from ..iam_path import role_settings
from ..naming import physical_name
from ..network.paths import allow_tcp
from ..service_trust import ecs_service_trust
from . import workload
from .alarms import (
    RUNNING_TASKS_EVALUATION,
    UNHEALTHY_TARGETS_EVALUATION,
    busy_cpu_percent,
    memory_under_load_alarm_queries,
    memory_under_load_tracking_metrics,
    running_tasks_alarm_queries,
    unhealthy_targets_alarm_queries,
)
from .arguments import percentage_issue, port_issue, port_issues, scaling_issues
from .attachments import LoadBalancerAttachment
from .cluster import (
    CapacityShare,
    ClusterRef,
    capacity_problems,
    capacity_provider_strategy,
    strategy_inputs,
)
from .containers import (
    MIN_APP_MEMORY_MIB,
    ContainerArgs,
    HttpHealthCheck,
    RegistryCredentials,
    app_memory_mib,
)
from .deployment import (
    DeploymentArgs,
    LifecycleHook,
    alarms_roll_back,
    deployment_configuration,
    deployment_problems,
    hook_policy,
    service_settings,
)
from .efs_volumes import EfsVolumeArgs
from .fargate import ephemeral_storage_problem, size_issues
from .iam import task_policy
from .jvm import max_heap_mib, oversized_heaps
from .scaling import (
    BacklogArgs,
    PredictiveArgs,
    backlog_tracking,
    predictive_configuration,
    request_count_tracking,
)
from .service_connect import PORT_NAME, service_connect_configuration
from .sidecars import FireLensArgs, SidecarArgs, sidecar_problems, sidecars_memory_mib
from .task_blocks import TaskBlocks
from .telemetry import application_environment

INTERNET = "0.0.0.0/0"
__all__ = [
    "AlarmArgs",
    "BacklogArgs",
    "CapacityShare",
    "DeploymentArgs",
    "EfsVolumeArgs",
    "FireLensArgs",
    "LifecycleHook",
    "Microservice",
    "MicroserviceArgs",
    "PredictiveArgs",
    "RegistryCredentials",
    "ScalingArgs",
    "ScheduleArgs",
    "ServiceConnectArgs",
    "SidecarArgs",
]


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


class Microservice(pulumi.ComponentResource):
    service_name: pulumi.Output[str]
    service_arn: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    task_role_arn: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    internal_dns_name: pulumi.Output[str] | None
    """`<name>.<namespace>` when registered in Cloud Map."""
    port: int | None
    running_tasks_alarm_name: pulumi.Output[str] | None
    """The alarm on fewer running tasks than the minimum (None when the minimum is 0)."""

    def __init__(
        self, name: str, args: MicroserviceArgs, opts: pulumi.ResourceOptions | None = None
    ):
        # Every argument problem is raised before anything is registered, all of them at once.
        self._args = args
        self._name = name
        self._physical = physical_name(args.service_name, name)
        self._dns_label = args.discovery_name or name
        self._desired = (
            args.desired_count
            if args.desired_count is not None
            else (args.scaling.min_capacity if args.scaling is not None else 1)
        )
        self._region = args.region or aws.config.region
        container = args.container
        connect = args.service_connect
        discovery = args.discovery
        if discovery is None:
            # With Service Connect, ECS registers the service in the namespace itself: a DNS
            # service of the same name would collide with it.
            discovery = (
                container.port is not None
                and args.cluster.namespace_id is not None
                and connect is None
            )
        self._container_memory = app_memory_mib(
            args.memory,
            xray=args.xray,
            service_connect=connect is not None,
            own=sidecars_memory_mib(args.sidecars, args.firelens),
        )
        raise_argument_issues(
            "Microservice", name, "MicroserviceArgs", self._argument_issues(discovery)
        )
        self._log_group_name = args.log_group_name or f"/ecs/{self._physical}"
        self._environment, self._secrets = merge_bindings(
            name, container.environment, container.secrets, [*args.bindings, *self._tracing()]
        )
        self._tags = dict(args.tags)
        super().__init__("accessweaver:ecs:Microservice", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        log_group = workload.log_group(
            name,
            log_group_name=self._log_group_name,
            retention_days=args.log_retention_days,
            tags=self._tags,
            opts=child,
        )
        group = self._security_group(child)
        self._blocks = TaskBlocks(
            name,
            physical=self._physical,
            region=self._region,
            container=container,
            sidecars=args.sidecars,
            firelens=args.firelens,
            efs_volumes=args.efs_volumes,
            security_group=group,
            log_group=log_group,
            tags=self._tags,
            opts=child,
        )
        execution_role, execution_policy_resource = self._execution_role(log_group, child)
        task_role = self._task_role(child)
        task_definition = self._task_definition(log_group, execution_role, task_role, child)
        registry = self._discovery(child) if discovery else None
        self.running_tasks_alarm: cloudwatch.MetricAlarm | None = None
        alarms = self._alarms(child)
        service = self._service(
            task_definition, group, registry, alarms, execution_policy_resource, log_group, child
        )
        if args.scaling is not None:
            self._autoscaling(service, child)

        self.port = container.port
        self.service_name = service.name
        self.service_arn = service.arn
        self.task_definition_arn = task_definition.arn
        self.security_group_id = group.id
        self.task_role_arn = task_role.arn
        self.execution_role_arn = execution_role.arn
        self.log_group_name = log_group.name
        published = discovery or (connect is not None and connect.publish)
        self.internal_dns_name = (
            pulumi.Output.from_input(f"{self._dns_label}.{args.cluster.namespace_name}")
            if published and args.cluster.namespace_name
            else None
        )
        self.running_tasks_alarm_name = (
            self.running_tasks_alarm.name if self.running_tasks_alarm is not None else None
        )
        self.register_outputs(
            {
                "running_tasks_alarm_name": self.running_tasks_alarm_name,
                "service_name": self.service_name,
                "service_arn": self.service_arn,
                "task_definition_arn": self.task_definition_arn,
                "security_group_id": self.security_group_id,
                "task_role_arn": self.task_role_arn,
                "execution_role_arn": self.execution_role_arn,
                "log_group_name": self.log_group_name,
                "internal_dns_name": self.internal_dns_name,
                "port": self.port,
            }
        )

    def _argument_issues(self, discovery: bool) -> list[ConfigIssue]:
        """Every problem of the arguments, each at the argument it concerns."""
        args, container, connect = self._args, self._args.container, self._args.service_connect
        issues: list[ConfigIssue] = []
        if not self._region:
            issues.append(
                ConfigIssue(
                    "region", None, "no region", "set aws:region or MicroserviceArgs.region"
                )
            )
        size_issues(args.cpu, args.memory, "cpu", "memory", issues)
        issues += port_issue("container.port", container.port)
        check = container.health_check
        if isinstance(check, HttpHealthCheck):
            issues += port_issue("container.health_check.port", check.port)
        if check is None and container.port is None:
            issues.append(
                ConfigIssue(
                    "container.health_check",
                    None,
                    "a container without a port (a worker) needs a CommandHealthCheck: there is "
                    "no HTTP endpoint to probe",
                    "CommandHealthCheck([...]), or a port",
                )
            )
        if isinstance(check, HttpHealthCheck) and container.port is None and check.port is None:
            issues.append(
                ConfigIssue(
                    "container.health_check",
                    check,
                    "an HTTP check of a worker (no port) names no port",
                    "a CommandHealthCheck, or HttpHealthCheck(port=...)",
                )
            )
        if container.restart_policy is not None:
            issues += [
                ConfigIssue("container.restart_policy", container.restart_policy, problem)
                for problem in container.restart_policy.problems()
            ]
        issues += [
            ConfigIssue("container.environment", dict(container.environment), problem)
            for problem in self._memory_problems()
        ]
        issues += percentage_issue("spot_percentage", args.spot_percentage)
        if self._desired < 0:
            issues.append(ConfigIssue("desired_count", self._desired, "negative", "0 or more"))
        if args.scaling is not None:
            issues += scaling_issues(
                self._desired,
                args.scaling.min_capacity,
                args.scaling.max_capacity,
                desired_path="desired_count",
                min_path="scaling.min_capacity",
                max_path="scaling.max_capacity",
            )
        issues += self._load_balancer_issues()
        if connect is not None and args.cluster.namespace_arn is None:
            issues.append(
                ConfigIssue(
                    "service_connect",
                    connect,
                    "Service Connect needs a cluster with a namespace",
                    "a ClusterRef with namespace_arn, or service_connect=None",
                )
            )
        if connect is not None and connect.publish and container.port is None:
            issues.append(
                ConfigIssue(
                    "service_connect.publish",
                    True,
                    "a worker (no port) has nothing to publish to Service Connect",
                    "publish=False",
                )
            )
        if (
            connect is not None
            and not connect.publish
            and (connect.test_traffic or connect.ingress_port is not None)
        ):
            issues.append(
                ConfigIssue(
                    "service_connect.publish",
                    False,
                    "test traffic and an ingress port belong to a published Service Connect "
                    "service",
                    "publish=True, or neither test_traffic nor ingress_port",
                )
            )
        if connect is not None:
            issues += port_issue("service_connect.ingress_port", connect.ingress_port)
        if connect is not None and connect.test_traffic and args.deployment.strategy == "ROLLING":
            issues.append(
                ConfigIssue(
                    "service_connect.test_traffic",
                    True,
                    "Service Connect test traffic needs BLUE_GREEN, LINEAR or CANARY",
                    "deployment.strategy BLUE_GREEN, LINEAR or CANARY, or test_traffic=False",
                )
            )
        if args.discovery and connect is not None:
            issues.append(
                ConfigIssue(
                    "discovery",
                    True,
                    "conflicts with service_connect: ECS registers the service in the namespace "
                    "itself, a Cloud Map service of the same name would collide with it",
                    "discovery=None or False with service_connect",
                )
            )
        elif discovery and (container.port is None or args.cluster.namespace_id is None):
            issues.append(
                ConfigIssue(
                    "discovery",
                    True,
                    "discovery needs a port and a cluster with a namespace",
                    "a container port and a ClusterRef with namespace_id, or discovery=False",
                )
            )
        shift = args.load_balancer.traffic_shift if args.load_balancer is not None else None
        issues += [
            ConfigIssue("deployment", args.deployment.strategy, problem)
            for problem in deployment_problems(args.deployment, traffic_shift=shift is not None)
        ]
        issues += self._block_issues()
        return issues

    def _block_issues(self) -> list[ConfigIssue]:
        """Sidecars, FireLens, EFS volumes, registry credentials, ephemeral storage and the
        capacity strategy, each checked against what ECS accepts."""
        args = self._args
        container = args.container
        issues = sidecar_problems(
            args.sidecars, app_name=self._name, app_port=container.port, firelens=args.firelens
        )
        issues += [
            ConfigIssue("efs_volumes", [v.name for v in args.efs_volumes], problem)
            for problem in TaskBlocks.efs_problems(container, args.efs_volumes)
        ]
        credentials = container.repository_credentials
        if credentials is not None:
            issues += [
                ConfigIssue("container.repository_credentials", credentials.secret_arn, problem)
                for problem in credentials.problems("container.repository_credentials")
            ]
        if (storage := ephemeral_storage_problem(args.ephemeral_storage_gib)) is not None:
            issues.append(
                ConfigIssue("ephemeral_storage_gib", args.ephemeral_storage_gib, storage, "21-200")
            )
        if args.capacity_provider_strategy:
            issues += [
                ConfigIssue("capacity_provider_strategy", None, problem)
                for problem in capacity_problems(
                    args.capacity_provider_strategy, "capacity_provider_strategy"
                )
            ]
            if args.spot_percentage:
                issues.append(
                    ConfigIssue(
                        "spot_percentage",
                        args.spot_percentage,
                        "given with capacity_provider_strategy",
                        "one or the other",
                    )
                )
        sidecar_cpu = sum(s.cpu for s in args.sidecars)
        if args.sidecars and sidecar_cpu >= args.cpu:
            issues.append(
                ConfigIssue(
                    "sidecars",
                    sidecar_cpu,
                    f"the sidecars reserve {sidecar_cpu} of the task's {args.cpu} CPU units",
                    "less than the task's cpu: the application needs some",
                )
            )
        return issues

    def _load_balancer_issues(self) -> list[ConfigIssue]:
        args, port = self._args, self._args.container.port
        attachment = args.load_balancer
        issues: list[ConfigIssue] = []
        if attachment is not None and port is None:
            issues.append(
                ConfigIssue(
                    "load_balancer",
                    "LoadBalancerAttachment(...)",
                    "a worker (no port) cannot sit behind a load balancer",
                    "a container port, or load_balancer=None",
                )
            )
        if attachment is not None and attachment.ports:
            issues += port_issues("load_balancer.ports", attachment.ports)
            if port is not None and port not in attachment.ports:
                issues.append(
                    ConfigIssue(
                        "load_balancer.ports",
                        list(attachment.ports),
                        f"the load balancer would not reach the container port {port}",
                        f"ports that include {port} (container.port), or () for it alone",
                    )
                )
        scaling = args.scaling
        if (
            scaling is not None
            and scaling.requests_per_target is not None
            and (
                attachment is None
                or attachment.target_group_arn_suffix is None
                or attachment.load_balancer_arn_suffix is None
            )
        ):
            issues.append(
                ConfigIssue(
                    "scaling.requests_per_target",
                    scaling.requests_per_target,
                    "requests_per_target needs a load balancer attachment with the target "
                    "group's and the load balancer's ARN suffixes",
                    "a load_balancer with target_group_arn_suffix and load_balancer_arn_suffix",
                )
            )
        return issues

    def _memory_problems(self) -> list[str]:
        """The sidecars must leave the application room, and a JVM heap option room for the
        JVM's memory outside the heap (`jvm.py`)."""
        memory = self._container_memory
        if memory < MIN_APP_MEMORY_MIB:
            return [
                f"the sidecars leave the application {memory} MiB of the task's "
                f"{self._args.memory} MiB (at least {MIN_APP_MEMORY_MIB}): raise memory or "
                "lower the sidecars'"
            ]
        return [
            f"{s.variable} {s.flag} asks a {s.heap_mib:.0f} MiB heap in a {memory} MiB container "
            f"(at most {max_heap_mib(memory)} MiB leaves the JVM its non-heap memory)"
            for s in oversized_heaps(self._args.container.environment, memory)
        ]

    def _tracing(self) -> list[Binding]:
        """Where the application sends its traces: the collector sidecar's OTLP endpoint."""
        if not self._args.xray:
            return []
        attributes = {**self._args.tracing_attributes, "aws.log.group.names": self._log_group_name}
        return [
            Binding(
                name="tracing",
                environment=application_environment(self._name, attributes),
            )
        ]

    # -- what callers get ---------------------------------------------------------------------

    def binding(self) -> Binding:
        """What a caller of this service uses: `<NAME>_URL` and the path to its port."""
        if self.port is None or self.internal_dns_name is None:
            raise ValueError(f"{self._name} has no port or no DNS name: it cannot be called")
        connect = self._args.service_connect
        # Callers' Service Connect proxies reach this service's proxy where it listens apart.
        port = (
            connect.ingress_port
            if connect is not None and connect.publish and connect.ingress_port is not None
            else self.port
        )
        return Binding(
            name=f"calls:{self._name}",
            environment={
                url_variable(self._name): pulumi.Output.concat(
                    "http://", self.internal_dns_name, f":{self.port}"
                )
            },
            peers=(Peer(self._name, self.security_group_id, (port,)),),
        )

    # -- network ------------------------------------------------------------------------------

    def _security_group(self, child: pulumi.ResourceOptions) -> ec2.SecurityGroup:
        args, name = self._args, self._name
        group, _ = workload.security_group(
            name,
            physical=self._physical,
            vpc_id=args.vpc_id,
            description=f"{self._physical}: its load balancer and declared callers only",
            https_egress_cidrs=args.https_egress_cidrs,
            tags=self._tags,
            opts=child,
        )
        on_group = pulumi.ResourceOptions(parent=group)
        attachment = args.load_balancer
        if attachment is not None:
            ports = list(attachment.ports) or [args.container.port]
            for index, lb_group in enumerate(attachment.security_group_ids):
                suffix = f"-{index}" if index else ""
                for port in ports:
                    allow_tcp(
                        egress_name=f"{name}-lb{suffix}-to-{port}",
                        ingress_name=f"{name}-from-lb{suffix}-{port}",
                        source=lb_group,
                        target=group.id,
                        port=port,
                        description=f"load balancer to {self._physical} on {port}",
                        opts=on_group,
                        egress=attachment.manage_egress,
                    )
        workload.open_peer_paths(name, physical=self._physical, group=group, bindings=args.bindings)
        return group

    # -- roles --------------------------------------------------------------------------------

    def _execution_role(
        self, log_group: cloudwatch.LogGroup, child: pulumi.ResourceOptions
    ) -> tuple[iam.Role, iam.RolePolicy]:
        return workload.execution_role(
            self._name,
            physical=self._physical,
            region=self._region,
            image=self._args.container.image,
            log_group=log_group,
            secrets={**self._secrets, **self._blocks.secret_refs},
            permissions_boundary=self._args.permissions_boundary,
            tags=self._tags,
            opts=child,
            registry_credentials=self._blocks.registry_credentials,
            sidecar_images=self._blocks.images,
        )

    def _task_role(self, child: pulumi.ResourceOptions) -> iam.Role:
        args = self._args
        permissions = [statement for binding in args.bindings for statement in binding.permissions]
        logging = args.cluster.exec_logging
        own = task_policy(
            xray=args.xray,
            execute_command=args.execute_command,
            exec_logging=(
                (logging.log_group_arn, logging.kms_key_arn) if logging is not None else None
            ),
            metrics_namespace=args.metrics_namespace,
        )
        role, _ = workload.task_role(
            self._name,
            physical=self._physical,
            region=self._region,
            statements=[
                *permissions,
                *(own["Statement"] if own else []),
                *self._blocks.task_statements(),
            ],
            permissions_boundary=args.permissions_boundary,
            tags=self._tags,
            opts=child,
        )
        return role

    # -- task definition, discovery, alarms ---------------------------------------------------

    def _task_definition(
        self,
        log_group: cloudwatch.LogGroup,
        execution_role: iam.Role,
        task_role: iam.Role,
        child: pulumi.ResourceOptions,
    ) -> ecs.TaskDefinition:
        args = self._args
        return workload.task_definition(
            self._name,
            family=self._physical,
            container=args.container,
            cpu=args.cpu,
            memory=args.memory,
            cpu_architecture=args.cpu_architecture,
            region=self._region,
            log_group=log_group,
            execution_role=execution_role,
            task_role=task_role,
            environment=self._environment,
            secrets=self._secrets,
            tags=self._tags,
            opts=child,
            xray=args.xray,
            execute_command=args.execute_command,
            port_name=PORT_NAME if args.service_connect is not None else None,
            container_memory=self._container_memory,
            sidecars=args.sidecars,
            firelens=args.firelens,
            efs_volumes=self._blocks.mounted_volumes,
            ephemeral_storage_gib=args.ephemeral_storage_gib,
        )

    def _discovery(self, child: pulumi.ResourceOptions) -> servicediscovery.Service:
        return servicediscovery.Service(
            f"{self._name}-discovery",
            name=self._dns_label,
            description=f"{self._physical} tasks",
            dns_config={
                "namespace_id": self._args.cluster.namespace_id,
                "dns_records": [{"type": "A", "ttl": 10}],
                "routing_policy": "MULTIVALUE",
            },
            health_check_custom_config={"failure_threshold": 1},
            force_destroy=True,
            tags=self._tags,
            opts=child,
        )

    def _alarms(self, child: pulumi.ResourceOptions) -> list[cloudwatch.MetricAlarm]:
        """CPU, memory under load and running tasks; returns the deployment alarms (CPU and
        memory under load: what a bad revision shows, where a JVM's grown heap does not)."""
        args, alarms = self._args, self._args.alarms
        dimensions = {"ClusterName": args.cluster.cluster_name, "ServiceName": self._physical}
        common: dict[str, Any] = {
            "alarm_actions": list(alarms.actions),
            "ok_actions": list(alarms.actions),
            "tags": self._tags,
            "opts": child,
        }
        busy = busy_cpu_percent(alarms.cpu_threshold)
        cpu = cloudwatch.MetricAlarm(
            f"{self._name}-cpu-alarm",
            # Named explicitly: the ECS service refers to its deployment alarms by name.
            name=f"{self._physical}-cpu-high",
            alarm_description=f"{self._physical} cpu above {alarms.cpu_threshold}%",
            namespace="AWS/ECS",
            metric_name="CPUUtilization",
            dimensions=dimensions,
            statistic="Average",
            period=alarms.period_seconds,
            evaluation_periods=alarms.evaluation_periods,
            threshold=alarms.cpu_threshold,
            comparison_operator="GreaterThanThreshold",
            # No task, no datapoint: that is the running-task alarm's to say, not "OK".
            treat_missing_data="missing",
            **common,
        )
        memory = cloudwatch.MetricAlarm(
            f"{self._name}-memory-alarm",
            name=f"{self._physical}-memory-high",
            alarm_description=(
                f"{self._physical} memory above {alarms.memory_threshold}% while busy "
                f"(CPU >= {busy}%)"
            ),
            metric_queries=memory_under_load_alarm_queries(  # type: ignore[arg-type]
                dimensions, busy_cpu=busy, period=alarms.period_seconds
            ),
            evaluation_periods=alarms.evaluation_periods,
            threshold=alarms.memory_threshold,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="missing",
            **common,
        )
        minimum = args.scaling.min_capacity if args.scaling is not None else self._desired
        if alarms.running_tasks and minimum > 0:
            queries, threshold = running_tasks_alarm_queries(
                dimensions, minimum=minimum, container_insights=args.cluster.container_insights
            )
            what = (
                f"fewer than {minimum} running tasks"
                if args.cluster.container_insights
                else "no running task"
            )
            self.running_tasks_alarm = cloudwatch.MetricAlarm(
                f"{self._name}-running-tasks-alarm",
                name=f"{self._physical}-running-tasks",
                alarm_description=f"{self._physical}: {what}",
                metric_queries=queries,  # type: ignore[arg-type]
                evaluation_periods=RUNNING_TASKS_EVALUATION,
                datapoints_to_alarm=RUNNING_TASKS_EVALUATION,
                threshold=threshold,
                comparison_operator="LessThanThreshold",
                treat_missing_data="breaching",
                **common,
            )
        deployment_alarms = [cpu, memory]
        unhealthy = self._unhealthy_targets_alarm(common)
        if unhealthy is not None:
            deployment_alarms.append(unhealthy)
        return deployment_alarms

    def _unhealthy_targets_alarm(self, common: dict[str, Any]) -> cloudwatch.MetricAlarm | None:
        """For a service that shifts traffic: targets of either group unhealthy for 3 minutes.
        A traffic-shifting deployment has no circuit breaker (ECS documents it for rolling
        updates only), so a new revision whose tasks never pass the load balancer's checks is
        rolled back by this alarm."""
        attachment = self._args.load_balancer
        shift = attachment.traffic_shift if attachment is not None else None
        if (
            attachment is None
            or shift is None
            or not self._args.deployment.shifts_traffic
            or attachment.load_balancer_arn_suffix is None
            or attachment.target_group_arn_suffix is None
            or shift.alternate_target_group_arn_suffix is None
        ):
            return None
        return cloudwatch.MetricAlarm(
            f"{self._name}-unhealthy-targets-alarm",
            name=f"{self._physical}-unhealthy-targets",
            alarm_description=(
                f"{self._physical}: targets of its blue or green target group unhealthy"
            ),
            metric_queries=unhealthy_targets_alarm_queries(  # type: ignore[arg-type]
                attachment.load_balancer_arn_suffix,
                [attachment.target_group_arn_suffix, shift.alternate_target_group_arn_suffix],
            ),
            evaluation_periods=UNHEALTHY_TARGETS_EVALUATION,
            datapoints_to_alarm=UNHEALTHY_TARGETS_EVALUATION,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            **common,
        )

    # -- the ECS service ----------------------------------------------------------------------

    def _service(
        self,
        task_definition: ecs.TaskDefinition,
        group: ec2.SecurityGroup,
        registry: servicediscovery.Service | None,
        alarms: list[cloudwatch.MetricAlarm],
        execution_policy_resource: iam.RolePolicy,
        log_group: cloudwatch.LogGroup,
        child: pulumi.ResourceOptions,
    ) -> ecs.Service:
        args = self._args
        deployment = args.deployment
        extra: dict[str, Any] = {}
        attachment = args.load_balancer
        if attachment is not None:
            balancer: dict[str, Any] = {
                "target_group_arn": attachment.target_group_arn,
                "container_name": self._name,
                "container_port": args.container.port,
            }
            shift = attachment.traffic_shift
            # Kept through a recreate: ECS keeps serving from the group that holds the traffic.
            if shift is not None and deployment.strategy != "ROLLING":
                balancer["advanced_configuration"] = {
                    "alternate_target_group_arn": shift.alternate_target_group_arn,
                    "production_listener_rule": shift.production_listener_rule_arn,
                    "role_arn": shift.role_arn,
                }
            extra["load_balancers"] = [balancer]
            extra["health_check_grace_period_seconds"] = deployment.health_check_grace_period
        # What each strategy documents (deployment.py): a rolling deployment's circuit breaker
        # and percentages, a traffic-shifting one's alarms, bake time and hooks.
        hooks = deployment.lifecycle_hooks and deployment.shifts_traffic
        configuration = deployment_configuration(
            deployment, self._hook_role(child) if hooks else None
        )
        if configuration is not None:
            extra["deployment_configuration"] = configuration
        if registry is not None:
            extra["service_registries"] = {"registry_arn": registry.arn}
        if args.service_connect is not None:
            connect = args.service_connect
            if not deployment.shifts_traffic:  # a recreate has no test stage
                connect = dataclasses.replace(connect, test_traffic=False)
            extra["service_connect_configuration"] = service_connect_configuration(
                self._dns_label,
                connect,
                namespace_arn=args.cluster.namespace_arn,
                namespace_name=args.cluster.namespace_name,
                port=args.container.port,
                log_group=log_group.name,
                region=self._region,
            )
        if alarms_roll_back(deployment):
            extra["alarms"] = {
                "alarm_names": [alarm.name for alarm in alarms],
                "enable": True,
                "rollback": True,
            }
        return ecs.Service(
            f"{self._name}-service",
            name=self._physical,
            cluster=args.cluster.cluster_arn,
            task_definition=task_definition.arn,
            desired_count=self._desired,
            capacity_provider_strategies=(
                strategy_inputs(args.capacity_provider_strategy)
                if args.capacity_provider_strategy
                else capacity_provider_strategy(args.spot_percentage)
            ),
            platform_version="LATEST",
            network_configuration={
                "subnets": args.subnet_ids,
                "security_groups": [group.id],
                "assign_public_ip": args.assign_public_ip,
            },
            enable_execute_command=args.execute_command,
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            wait_for_steady_state=False,
            tags=self._tags,
            opts=pulumi.ResourceOptions.merge(
                child,
                pulumi.ResourceOptions(
                    depends_on=[
                        *args.cluster.depends_on,
                        execution_policy_resource,
                        *args.depends_on,
                    ],
                    # Once autoscaling owns the task count, `pulumi up` must not reset it.
                    ignore_changes=["desired_count"] if args.scaling is not None else None,
                ),
            ),
            **service_settings(deployment),
            **extra,
        )

    def _hook_role(self, child: pulumi.ResourceOptions) -> pulumi.Output[str]:
        """The role ECS invokes this service's lifecycle hooks with: those functions only."""
        name = self._name
        hooks = self._args.deployment.lifecycle_hooks
        account = aws.get_caller_identity_output().account_id
        role = iam.Role(
            f"{name}-hooks-role",
            description=f"{self._physical}: ECS invokes its deployment lifecycle hooks",
            assume_role_policy=account.apply(
                lambda acct: json.dumps(ecs_service_trust(acct, self._region))
            ),
            **role_settings(self._tags, self._args.permissions_boundary),
            opts=child,
        )
        policy = iam.RolePolicy(
            f"{name}-hooks-policy",
            role=role.id,
            policy=pulumi.Output.all(*[h.lambda_arn for h in hooks]).apply(
                lambda arns: json.dumps(hook_policy(list(arns)))
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        # The service must not reference the role before it may invoke anything.
        return pulumi.Output.all(role.arn, policy.id).apply(lambda values: values[0])

    def _autoscaling(self, service: ecs.Service, child: pulumi.ResourceOptions) -> None:
        args, name, physical = self._args, self._name, self._physical
        scaling = args.scaling
        assert scaling is not None
        target = appautoscaling.Target(
            f"{name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=_joined("service/", args.cluster.cluster_name, f"/{physical}"),
            min_capacity=scaling.min_capacity,
            max_capacity=scaling.max_capacity,
            tags=self._tags,
            opts=pulumi.ResourceOptions.merge(
                child,
                pulumi.ResourceOptions(
                    depends_on=[service],
                    # Off-hours actions set both bounds to 0 every evening; without this every
                    # night-time `pulumi up` or drift check would "fix" them. The scale-up
                    # action carries the configured bounds instead (applied the next morning).
                    ignore_changes=(["min_capacity", "max_capacity"] if scaling.schedule else None),
                ),
            ),
        )
        on_target = pulumi.ResourceOptions(parent=target)
        if scaling.schedule is not None:
            schedule = scaling.schedule
            for role, cron, minimum, maximum in (
                ("scale-down", schedule.scale_down, 0, 0),
                ("scale-up", schedule.scale_up, scaling.min_capacity, scaling.max_capacity),
            ):
                appautoscaling.ScheduledAction(
                    f"{name}-{role}",
                    name=f"{physical}-off-hours-{role}",
                    service_namespace=target.service_namespace,
                    scalable_dimension=target.scalable_dimension,
                    resource_id=target.resource_id,
                    schedule=cron,
                    timezone=schedule.timezone,
                    scalable_target_action={"min_capacity": minimum, "max_capacity": maximum},
                    opts=on_target,
                )
        cooldowns = {
            "scale_in_cooldown": scaling.cooldown_seconds,
            "scale_out_cooldown": scaling.cooldown_seconds,
        }
        appautoscaling.Policy(
            f"{name}-cpu-scaling",
            name=f"{physical}-cpu-target",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration={
                "target_value": scaling.cpu_target,
                "predefined_metric_specification": {
                    "predefined_metric_type": "ECSServiceAverageCPUUtilization"
                },
                **cooldowns,
            },
            opts=on_target,
        )
        # Memory adds tasks while the service is busy and never removes or holds them: with
        # scale-in disabled, a policy takes no part in scale-in (the others decide it).
        appautoscaling.Policy(
            f"{name}-memory-scaling",
            name=f"{physical}-memory-target",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration={
                "target_value": scaling.memory_target,
                "disable_scale_in": True,
                "customized_metric_specification": {
                    "metrics": memory_under_load_tracking_metrics(
                        {"ClusterName": args.cluster.cluster_name, "ServiceName": physical},
                        busy_cpu=busy_cpu_percent(scaling.cpu_target),
                    )
                },
                **cooldowns,
            },
            opts=on_target,
        )
        attachment = args.load_balancer
        if scaling.requests_per_target is not None and attachment is not None:
            shift = attachment.traffic_shift
            assert attachment.load_balancer_arn_suffix and attachment.target_group_arn_suffix
            appautoscaling.Policy(
                f"{name}-requests-scaling",
                name=f"{physical}-requests-target",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration=request_count_tracking(
                    scaling.requests_per_target,
                    load_balancer_arn_suffix=attachment.load_balancer_arn_suffix,
                    target_group_arn_suffix=attachment.target_group_arn_suffix,
                    alternate_target_group_arn_suffix=(
                        shift.alternate_target_group_arn_suffix
                        if shift is not None and args.deployment.strategy != "ROLLING"
                        else None
                    ),
                    cooldown_seconds=scaling.cooldown_seconds,
                ),
                opts=on_target,
            )
        if scaling.backlog is not None:
            appautoscaling.Policy(
                f"{name}-backlog-scaling",
                name=f"{physical}-backlog-target",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration=backlog_tracking(
                    scaling.backlog.messages_per_task,
                    queue_name=scaling.backlog.queue_name,
                    cluster_name=args.cluster.cluster_name,
                    service_name=physical,
                    cooldown_seconds=scaling.cooldown_seconds,
                ),
                opts=on_target,
            )
        if scaling.predictive is not None:
            appautoscaling.Policy(
                f"{name}-predictive-scaling",
                name=f"{physical}-predictive",
                policy_type="PredictiveScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                predictive_scaling_policy_configuration=predictive_configuration(
                    scaling.cpu_target, scaling.predictive
                ),
                opts=on_target,
            )


def _joined(*parts: pulumi.Input[str]) -> pulumi.Input[str]:
    """The parts as one string, or an Output of it when one of them is an Output."""
    if all(isinstance(part, str) for part in parts):
        return "".join(parts)  # type: ignore[arg-type]
    return pulumi.Output.concat(*parts)
