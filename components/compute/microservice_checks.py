"""What a `Microservice` refuses before it registers anything (`microservice.py`): every problem
of its `MicroserviceArgs`, each at the argument it concerns, in one fixed order (the region and
the task size; the container; the task count; the load balancer; Service Connect; Cloud Map;
the deployment; the task's building blocks). Pure: no resource, no engine."""

from __future__ import annotations

from ..errors import ConfigIssue
from .arguments import percentage_issue, port_issue, port_issues, scaling_issues
from .cluster import capacity_problems
from .containers import MIN_APP_MEMORY_MIB, HttpHealthCheck, repository_credentials_issues
from .deployment import deployment_problems
from .fargate import ephemeral_storage_issues, size_issues
from .jvm import max_heap_mib, oversized_heaps
from .microservice_args import MicroserviceArgs
from .sidecars import SIDECAR_CPU_ALLOWED, sidecar_cpu_problem, sidecar_problems
from .task_blocks import TaskBlocks


def argument_issues(
    name: str,
    args: MicroserviceArgs,
    *,
    region: str | None,
    desired: int,
    container_memory: int,
    discovery: bool,
) -> list[ConfigIssue]:
    """Every problem of the arguments of the service `name`: `desired` is its resolved task
    count, `container_memory` what the sidecars leave the application, `discovery` whether it
    registers in Cloud Map."""
    issues: list[ConfigIssue] = []
    if not region:
        issues.append(
            ConfigIssue("region", None, "no region", "set aws:region or MicroserviceArgs.region")
        )
    size_issues(args.cpu, args.memory, "cpu", "memory", issues)
    issues += container_issues(args, container_memory)
    issues += task_count_issues(args, desired)
    issues += load_balancer_issues(args)
    issues += service_connect_issues(args)
    issues += discovery_issues(args, discovery)
    shift = args.load_balancer.traffic_shift if args.load_balancer is not None else None
    issues += [
        ConfigIssue("deployment", args.deployment.strategy, problem)
        for problem in deployment_problems(args.deployment, traffic_shift=shift is not None)
    ]
    issues += block_issues(name, args)
    return issues


def container_issues(args: MicroserviceArgs, container_memory: int) -> list[ConfigIssue]:
    """The application container: its ports, its health check (a worker's must be a command),
    its restart policy and the memory it is left."""
    container = args.container
    issues = port_issue("container.port", container.port)
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
        for problem in memory_problems(args, container_memory)
    ]
    return issues


def memory_problems(args: MicroserviceArgs, container_memory: int) -> list[str]:
    """The sidecars must leave the application room, and a JVM heap option room for the
    JVM's memory outside the heap (`jvm.py`)."""
    memory = container_memory
    if memory < MIN_APP_MEMORY_MIB:
        return [
            f"the sidecars leave the application {memory} MiB of the task's "
            f"{args.memory} MiB (at least {MIN_APP_MEMORY_MIB}): raise memory or "
            "lower the sidecars'"
        ]
    return [
        f"{s.variable} {s.flag} asks a {s.heap_mib:.0f} MiB heap in a {memory} MiB container "
        f"(at most {max_heap_mib(memory)} MiB leaves the JVM its non-heap memory)"
        for s in oversized_heaps(args.container.environment, memory)
    ]


def task_count_issues(args: MicroserviceArgs, desired: int) -> list[ConfigIssue]:
    """The Spot share, the desired count and the autoscaling bounds around it."""
    issues = percentage_issue("spot_percentage", args.spot_percentage)
    if desired < 0:
        issues.append(ConfigIssue("desired_count", desired, "negative", "0 or more"))
    if args.scaling is not None:
        issues += scaling_issues(
            desired,
            args.scaling.min_capacity,
            args.scaling.max_capacity,
            desired_path="desired_count",
            min_path="scaling.min_capacity",
            max_path="scaling.max_capacity",
        )
    return issues


def load_balancer_issues(args: MicroserviceArgs) -> list[ConfigIssue]:
    """The attachment needs a port it reaches; request-count scaling needs its ARN suffixes."""
    port = args.container.port
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


def service_connect_issues(args: MicroserviceArgs) -> list[ConfigIssue]:
    """Service Connect needs the cluster's namespace; publishing, an ingress port and test
    traffic need a port, a published service and a traffic-shifting deployment."""
    connect = args.service_connect
    if connect is None:
        return []
    issues: list[ConfigIssue] = []
    if args.cluster.namespace_arn is None:
        issues.append(
            ConfigIssue(
                "service_connect",
                connect,
                "Service Connect needs a cluster with a namespace",
                "a ClusterRef with namespace_arn, or service_connect=None",
            )
        )
    if connect.publish and args.container.port is None:
        issues.append(
            ConfigIssue(
                "service_connect.publish",
                True,
                "a worker (no port) has nothing to publish to Service Connect",
                "publish=False",
            )
        )
    if not connect.publish and (connect.test_traffic or connect.ingress_port is not None):
        issues.append(
            ConfigIssue(
                "service_connect.publish",
                False,
                "test traffic and an ingress port belong to a published Service Connect service",
                "publish=True, or neither test_traffic nor ingress_port",
            )
        )
    issues += port_issue("service_connect.ingress_port", connect.ingress_port)
    if connect.test_traffic and args.deployment.strategy == "ROLLING":
        issues.append(
            ConfigIssue(
                "service_connect.test_traffic",
                True,
                "Service Connect test traffic needs BLUE_GREEN, LINEAR or CANARY",
                "deployment.strategy BLUE_GREEN, LINEAR or CANARY, or test_traffic=False",
            )
        )
    return issues


def discovery_issues(args: MicroserviceArgs, discovery: bool) -> list[ConfigIssue]:
    """A Cloud Map registration conflicts with Service Connect and needs a port and a
    namespace."""
    if args.discovery and args.service_connect is not None:
        return [
            ConfigIssue(
                "discovery",
                True,
                "conflicts with service_connect: ECS registers the service in the namespace "
                "itself, a Cloud Map service of the same name would collide with it",
                "discovery=None or False with service_connect",
            )
        ]
    if discovery and (args.container.port is None or args.cluster.namespace_id is None):
        return [
            ConfigIssue(
                "discovery",
                True,
                "discovery needs a port and a cluster with a namespace",
                "a container port and a ClusterRef with namespace_id, or discovery=False",
            )
        ]
    return []


def block_issues(name: str, args: MicroserviceArgs) -> list[ConfigIssue]:
    """Sidecars, FireLens, EFS volumes, registry credentials, ephemeral storage and the
    capacity strategy, each checked against what ECS accepts."""
    container = args.container
    issues = sidecar_problems(
        args.sidecars, app_name=name, app_port=container.port, firelens=args.firelens
    )
    issues += [
        ConfigIssue("efs_volumes", [v.name for v in args.efs_volumes], problem)
        for problem in TaskBlocks.efs_problems(container, args.efs_volumes)
    ]
    issues += repository_credentials_issues(container)
    issues += ephemeral_storage_issues(args.ephemeral_storage_gib)
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
    cpu_problem = sidecar_cpu_problem(args.sidecars, args.cpu)
    if cpu_problem is not None:
        issues.append(
            ConfigIssue(
                "sidecars", sum(s.cpu for s in args.sidecars), cpu_problem, SIDECAR_CPU_ALLOWED
            )
        )
    return issues
