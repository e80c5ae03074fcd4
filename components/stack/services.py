"""The catalog services of a stack, built as `Microservice` components from their settings.

`build_services` builds Keycloak first (the services that validate tokens need its group), then
the catalog in `graph.build_order` (a callee before its callers), each with exactly the bindings
of what it uses and calls. A call whose callee is built later (a cycle) gets its URL at once and
its network path as a `ServicePath` once both exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
from pulumi_aws import ec2

from ..bindings import Binding, url_variable
from ..compute.attachments import LoadBalancerAttachment
from ..compute.cluster import ClusterRef
from ..compute.containers import (
    CommandHealthCheck,
    ContainerArgs,
    HttpHealthCheck,
    RestartPolicy,
)
from ..compute.efs_volumes import EfsVolumeArgs
from ..compute.microservice import (
    AlarmArgs,
    BacklogArgs,
    DeploymentArgs,
    LifecycleHook,
    Microservice,
    MicroserviceArgs,
    PredictiveArgs,
    ScalingArgs,
    ScheduleArgs,
    ServiceConnectArgs,
)
from ..data.file_system import FileSystemRef
from ..edge.load_balancer import LoadBalancer
from ..edge.network_load_balancer import NetworkLoadBalancer
from ..identity.config import KEYCLOAK_PATH, KEYCLOAK_SERVICE
from ..identity.keycloak import Keycloak, KeycloakArgs
from ..network.layout import NetworkRefs, public_subnet_cidrs
from ..network.paths import ServicePath, ServicePathArgs
from .blocks import EfsMountSettings
from .environments import (
    ALARM_CPU_THRESHOLD,
    ALARM_EVALUATION_PERIODS,
    ALARM_MEMORY_THRESHOLD,
    ALARM_PERIOD_SECONDS,
    SCALING_COOLDOWN_SECONDS,
)
from .graph import build_order
from .outputs import internal_url, log_group_name, metrics_namespace, service_name
from .platform import Foundation
from .settings import ServiceSettings, StackSettings
from .tuning import RECREATE_TAG


def container_args(settings: StackSettings, service: ServiceSettings) -> ContainerArgs:
    if service.health_check_command:
        health: HttpHealthCheck | CommandHealthCheck = CommandHealthCheck(
            service.health_check_command
        )
    else:
        assert service.health_check_path is not None  # resolved for every service with a port
        # The container check restarts a task: it asks liveness where the service has one.
        health = HttpHealthCheck(
            service.liveness_check_path or service.health_check_path,
            service.health_check_port,
            tool=settings.container_health_check,
        )
    return ContainerArgs(
        image=service.image,
        port=service.port,
        health_check=health,
        command=service.command,
        user=service.user,
        environment=dict(service.environment),
        secrets=dict(service.secrets),
        stop_timeout=service.stop_timeout,
        writable_paths=service.writable_paths,
        repository_credentials=service.blocks.repository_credentials,
        restart_policy=(
            RestartPolicy(
                ignored_exit_codes=service.restart.ignored_exit_codes,
                restart_attempt_period=service.restart.restart_attempt_period,
            )
            if service.restart.enabled
            else None
        ),
    )


def efs_volume_args(mount: EfsMountSettings, file_system: FileSystemRef) -> EfsVolumeArgs:
    """An `efsVolumes` entry on the file system its `fileSystem` key names."""
    return EfsVolumeArgs(
        name=mount.name,
        file_system_id=file_system.file_system_id,
        container_path=mount.container_path,
        read_only=mount.read_only,
        root_directory=mount.root_directory,
        uid=mount.uid,
        gid=mount.gid,
        permissions=mount.permissions,
        mount_target_security_group_id=file_system.security_group_id,
        file_system_arn=file_system.file_system_arn,
    )


def task_subnets(settings: StackSettings, network: NetworkRefs) -> list:
    """Where the stack's tasks run: the private subnets, or dev's public ones
    (`network.taskPublicIps`: each task has its own address, no NAT gateway)."""
    return network.public_subnet_ids if settings.task_public_ips else network.private_subnet_ids


def microservice_args(
    settings: StackSettings,
    service: ServiceSettings,
    *,
    network: NetworkRefs,
    cluster: ClusterRef,
    bindings: list[Binding],
    load_balancer: LoadBalancerAttachment | None,
    alarm_actions: list[pulumi.Input[str]],
    consumed_queue_name: pulumi.Input[str] | None = None,
    depends_on: Sequence[pulumi.Resource] = (),
    file_systems: Mapping[str, FileSystemRef] | None = None,
) -> MicroserviceArgs:
    file_systems = file_systems or {}
    # A service whose image no release holds yet runs no task: its tag was never pushed.
    desired, minimum = (service.desired_count, service.min_capacity) if service.released else (0, 0)
    scaling = (
        _scaling_args(settings, service, minimum, consumed_queue_name)
        if settings.auto_scaling_enabled
        else None
    )
    return MicroserviceArgs(
        cluster=cluster,
        vpc_id=network.vpc_id,
        # Dev's tasks may run in the public subnets with their own addresses (no NAT gateway).
        subnet_ids=task_subnets(settings, network),
        assign_public_ip=settings.task_public_ips,
        container=container_args(settings, service),
        cpu=service.cpu,
        memory=service.memory,
        desired_count=desired,
        service_name=service_name(settings, service),
        log_group_name=log_group_name(settings, service),
        log_retention_days=settings.log_retention_for(service.name),
        bindings=tuple(bindings),
        load_balancer=load_balancer,
        scaling=scaling,
        deployment=_deployment_args(settings, service),
        alarms=AlarmArgs(
            actions=tuple(alarm_actions),
            cpu_threshold=ALARM_CPU_THRESHOLD,
            memory_threshold=ALARM_MEMORY_THRESHOLD,
            period_seconds=ALARM_PERIOD_SECONDS,
            evaluation_periods=ALARM_EVALUATION_PERIODS,
        ),
        # A service's own strategy replaces the stack's Spot share.
        spot_percentage=0 if service.blocks.capacity else settings.fargate_spot_percentage,
        capacity_provider_strategy=service.blocks.capacity,
        cpu_architecture=settings.architecture_of(service),
        sidecars=service.blocks.sidecars,
        firelens=service.blocks.firelens,
        efs_volumes=tuple(
            efs_volume_args(mount, file_systems[mount.file_system])
            for mount in service.blocks.efs_volumes
        ),
        ephemeral_storage_gib=service.blocks.ephemeral_storage_gib,
        execute_command=service.execute_command,
        service_connect=_service_connect_args(settings, service),
        xray=service.tracing,
        tracing_attributes={
            "deployment.environment.name": settings.environment,
            "service.namespace": settings.project,
        },
        metrics_namespace=metrics_namespace(settings, service) if service.spring_boot else None,
        region=settings.region,
        permissions_boundary=settings.permissions_boundary_arn,
        depends_on=tuple(depends_on),
        tags={
            **settings.tags,
            "Service": service.name,
            "Criticality": service.criticality,
            # Why this deployment stops every old task first (REL.2 reads it).
            **(
                {RECREATE_TAG: service.rollout.recreate_tag or "recreate"}
                if service.rollout.recreate
                else {}
            ),
        },
    )


def _scaling_args(
    settings: StackSettings,
    service: ServiceSettings,
    minimum: int,
    consumed_queue_name: pulumi.Input[str] | None,
) -> ScalingArgs:
    """The service's autoscaling: its bounds, the stack's targets and off-hours schedule, its
    requests, backlog and predictive policies where it has them."""
    schedule = settings.off_hours
    return ScalingArgs(
        min_capacity=minimum,
        max_capacity=service.max_capacity,
        cpu_target=settings.scaling_cpu_target,
        memory_target=settings.scaling_memory_target,
        cooldown_seconds=SCALING_COOLDOWN_SECONDS,
        schedule=(
            ScheduleArgs(
                scale_up=schedule.scale_up_schedule,
                scale_down=schedule.scale_down_schedule,
                timezone=schedule.timezone,
            )
            if schedule is not None
            else None
        ),
        requests_per_target=service.scaling.requests_per_target,
        backlog=(
            BacklogArgs(
                queue_name=consumed_queue_name,
                messages_per_task=service.scaling.backlog_per_task,
            )
            if service.scaling.backlog_per_task is not None and consumed_queue_name is not None
            else None
        ),
        predictive=(
            PredictiveArgs(
                mode=service.scaling.predictive_mode,  # type: ignore[arg-type]
                scheduling_buffer_seconds=service.scaling.predictive_buffer_seconds,
            )
            if service.scaling.predictive_mode is not None
            else None
        ),
    )


def _deployment_args(settings: StackSettings, service: ServiceSettings) -> DeploymentArgs:
    """How a new revision replaces the running one: the stack's bounds and circuit breaker,
    the service's rollout."""
    return DeploymentArgs(
        minimum_healthy_percent=settings.deployment_minimum_healthy_percent,
        maximum_percent=settings.deployment_maximum_percent,
        circuit_breaker=settings.deployment_circuit_breaker,
        rollback_on_alarms=settings.deployment_alarms,
        health_check_grace_period=settings.health_check_grace_period,
        strategy=service.rollout.strategy,
        bake_time_minutes=service.rollout.bake_time_minutes,
        linear_step_percent=service.rollout.linear_step_percent,
        linear_step_bake_time_minutes=service.rollout.linear_step_bake_time_minutes,
        canary_percent=service.rollout.canary_percent,
        canary_bake_time_minutes=service.rollout.canary_bake_time_minutes,
        lifecycle_hooks=tuple(
            LifecycleHook(lambda_arn=arn, stages=stages)
            for arn, stages in service.rollout.lifecycle_hooks
        ),
        recreate=service.rollout.recreate is not None,
    )


def _service_connect_args(
    settings: StackSettings, service: ServiceSettings
) -> ServiceConnectArgs | None:
    """The service's Service Connect role: publishing its port, or a client only (None: out)."""
    return (
        ServiceConnectArgs(
            publish=service.connect == "publish",
            access_logs=settings.service_connect_access_logs,
            ingress_port=service.connect_port,
            # Callers' test requests reach the new revision while it is tested.
            test_traffic=service.connect == "publish" and service.traffic_shift,
        )
        if service.connect is not None
        else None
    )


def _attachment(
    settings: StackSettings,
    service: ServiceSettings,
    edge: LoadBalancer | None,
    nlb: NetworkLoadBalancer | None = None,
) -> LoadBalancerAttachment | None:
    """The program's NLB when it has a listener for the service; the program's ALB when it
    routes to the service; else a target group of an ALB managed elsewhere
    (`targetGroupArns`): only that ALB's groups are admitted, their egress is theirs."""
    tcp = settings.network_load_balancer
    if nlb is not None and tcp is not None and service.name in tcp.routes:
        return nlb.attachment(service.name)
    if edge is not None:
        return edge.attachment(service.name) if edge.routes_to(service.name) else None
    if service.target_group_arn is not None:
        return LoadBalancerAttachment(
            target_group_arn=service.target_group_arn,
            security_group_ids=tuple(settings.alb_security_group_ids),
            manage_egress=False,
        )
    return None


def build_services(
    settings: StackSettings,
    base: Foundation,
    *,
    edge: LoadBalancer | None,
    nlb: NetworkLoadBalancer | None = None,
    depends_on: Sequence[pulumi.Resource] = (),
) -> dict[str, Microservice | Keycloak]:
    """Every service of the catalog, Keycloak included when it runs, keyed by name; each ECS
    service waits for `depends_on` (the migration run)."""
    platform = base.platform
    built: dict[str, Microservice] = {}
    components: dict[str, Microservice | Keycloak] = {}
    keycloak = _build_keycloak(settings, base, edge, depends_on)
    if keycloak is not None:
        built[KEYCLOAK_SERVICE] = keycloak.microservice
        components[KEYCLOAK_SERVICE] = keycloak
    by_name = {s.name: s for s in settings.services}
    deferred: list[tuple[str, str]] = []
    for name in build_order(settings.services):
        if name in built:
            continue
        service = by_name[name]
        bindings = platform.bindings(service)
        if service.uses.keycloak and keycloak is not None:
            realm = settings.platform.keycloak.realm  # type: ignore[union-attr] (Keycloak runs)
            bindings.append(keycloak.binding(realm, spring=service.spring_boot))
        for callee in service.calls:
            if callee in built:
                bindings.append(built[callee].binding())
            else:
                deferred.append((name, callee))
                # The URL is known now; the path opens once the callee exists (below).
                bindings.append(
                    Binding(
                        name=f"calls:{callee}",
                        environment={url_variable(callee): internal_url(settings, by_name[callee])},
                    )
                )
        built[name] = components[name] = Microservice(
            name,
            microservice_args(
                settings,
                service,
                network=base.network,
                cluster=base.cluster,
                bindings=bindings,
                load_balancer=_attachment(settings, service, edge, nlb),
                alarm_actions=platform.alarm_actions,
                consumed_queue_name=(
                    platform.queues[service.uses.consumes].queue_name
                    if service.uses.consumes
                    else None
                ),
                depends_on=depends_on,
                file_systems=platform.file_systems,
            ),
        )
    for caller, callee in deferred:
        port = by_name[callee].call_port
        assert port is not None  # the graph checks refuse a call to a worker
        ServicePath(
            f"{caller}-to-{callee}",
            ServicePathArgs(
                source_security_group_id=built[caller].security_group_id,
                target_security_group_id=built[callee].security_group_id,
                ports=(port,),
                description=f"{caller} calls {callee}",
            ),
            opts=pulumi.ResourceOptions(parent=built[caller]),
        )
    return {name: components[name] for name in sorted(components)}


def _build_keycloak(
    settings: StackSettings,
    base: Foundation,
    edge: LoadBalancer | None,
    depends_on: Sequence[pulumi.Resource] = (),
) -> Keycloak | None:
    """Keycloak on the stack's database, behind the stack's ALB when there is one."""
    spec = settings.platform.keycloak
    if spec is None:
        return None
    platform = base.platform
    admin = platform.secrets.keycloak_admin_refs
    if platform.database is None or admin is None:
        raise ValueError("keycloak.enabled without the database: the config resolver refuses it")
    service = settings.service(KEYCLOAK_SERVICE)
    scheme = "https" if settings.edge is not None and settings.edge.https else "http"
    hostname_url: pulumi.Input[str] | None = None
    domain = settings.edge.domain if settings.edge is not None else None
    if spec.hostname is not None:
        hostname_url = f"{scheme}://{spec.hostname}{KEYCLOAK_PATH}"
    elif domain is not None:
        # The stack's domain: the certificate and the alias record are the program's.
        hostname_url = f"{scheme}://{domain.name}{KEYCLOAK_PATH}"
    elif edge is not None:
        hostname_url = pulumi.Output.concat(f"{scheme}://", edge.dns_name, KEYCLOAK_PATH)
        # Tokens name the host as issuer: changing it later logs every client out.
        pulumi.log.warn(
            f"{settings.stack_file}: keycloak.hostname is not set, so Keycloak answers as the "
            "ALB's DNS name; set keycloak.hostname to the domain of the ALB's certificate before "
            "clients rely on it."
        )
    else:
        pulumi.log.warn(
            f"{settings.stack_file}: keycloak.hostname is not set and the stack has no ALB: "
            "Keycloak takes its host name from each request (KC_HOSTNAME_STRICT=false); set "
            "keycloak.hostname."
        )
    admin_url = spec.admin_url
    if admin_url is None and spec.admin_port_forward:
        admin_url = f"http://localhost:{spec.port}{KEYCLOAK_PATH}"
    args = microservice_args(
        settings,
        service,
        network=base.network,
        cluster=base.cluster,
        bindings=[],
        load_balancer=_attachment(settings, service, edge),
        alarm_actions=platform.alarm_actions,
        depends_on=depends_on,
        file_systems=platform.file_systems,
    )
    return Keycloak(
        f"{settings.name_prefix}-identity",
        KeycloakArgs(
            service=args,
            database=platform.database,
            database_name=spec.database_name,
            login=platform.login(KEYCLOAK_SERVICE),
            admin_refs=admin,
            hostname_url=hostname_url,
            admin_url=admin_url if hostname_url is not None else None,
            proxy_trusted_addresses=trusted_proxies(settings),
        ),
    )


def trusted_proxies(settings: StackSettings) -> pulumi.Input[Sequence[str]]:
    """The blocks Keycloak believes `X-Forwarded-For` from (KC_PROXY_TRUSTED_ADDRESSES): the
    ones the stack file gives, else the subnets the stack's ALB runs in (the created VPC's
    public subnets as awsx lays them out, or `publicSubnetIds` looked up), else the VPC's block
    (an ALB managed elsewhere sits somewhere in it; the program knows nothing narrower)."""
    spec = settings.platform.keycloak
    assert spec is not None
    if spec.proxy_trusted_addresses:
        return list(spec.proxy_trusted_addresses)
    vpc = settings.new_vpc
    if vpc is not None:
        if settings.edge is not None:
            return list(public_subnet_cidrs(vpc.cidr_block, vpc.availability_zones))
        return [vpc.cidr_block]
    if settings.edge is not None and settings.public_subnet_ids:
        return pulumi.Output.all(
            *(ec2.get_subnet_output(id=subnet).cidr_block for subnet in settings.public_subnet_ids)
        )
    assert settings.vpc_id is not None  # the resolver refuses a stack without a VPC
    return pulumi.Output.all(ec2.get_vpc_output(id=settings.vpc_id).cidr_block)
