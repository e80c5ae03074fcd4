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
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_aws import cloudwatch, ec2, ecs, iam, servicediscovery

from ..bindings import Binding, Peer, merge_bindings, url_variable
from ..errors import raise_argument_issues
from ..naming import physical_name
from ..network.paths import allow_tcp
from ..service_trust import ecs_service_trust
from . import workload
from .attachments import LoadBalancerAttachment
from .cluster import CapacityShare, ClusterRef, capacity_provider_strategy, strategy_inputs
from .containers import ContainerArgs, HttpHealthCheck, RegistryCredentials, app_memory_mib
from .deployment import (
    DeploymentArgs,
    LifecycleHook,
    alarms_roll_back,
    deployment_configuration,
    hook_policy,
    service_settings,
)
from .efs_volumes import EfsVolumeArgs
from .iam import task_policy
from .microservice_alarms import service_alarms
from .microservice_args import (
    INTERNET,
    AlarmArgs,
    MicroserviceArgs,
    ScalingArgs,
    ScheduleArgs,
    ServiceConnectArgs,
    desired_count,
    registers_in_cloud_map,
)
from .microservice_checks import argument_issues
from .microservice_scaling import service_autoscaling
from .roles import role_with_policy
from .scaling import BacklogArgs, PredictiveArgs
from .service_connect import PORT_NAME, service_connect_configuration
from .sidecars import FireLensArgs, SidecarArgs, sidecars_memory_mib
from .task_blocks import TaskBlocks
from .telemetry import application_environment

# The arguments live in `microservice_args.py`, the checks in `microservice_checks.py`, the
# alarms and autoscaling in `microservice_alarms.py` and `microservice_scaling.py`: every name
# stays importable from here.
OUTPUTS = (
    "running_tasks_alarm_name",
    "service_name",
    "service_arn",
    "task_definition_arn",
    "security_group_id",
    "task_role_arn",
    "execution_role_arn",
    "log_group_name",
    "internal_dns_name",
    "port",
)
"""The attributes a `Microservice` registers as its outputs, in this order."""
__all__ = [
    "INTERNET",
    "AlarmArgs",
    "BacklogArgs",
    "CapacityShare",
    "ClusterRef",
    "ContainerArgs",
    "DeploymentArgs",
    "EfsVolumeArgs",
    "FireLensArgs",
    "HttpHealthCheck",
    "LifecycleHook",
    "LoadBalancerAttachment",
    "Microservice",
    "MicroserviceArgs",
    "PredictiveArgs",
    "RegistryCredentials",
    "ScalingArgs",
    "ScheduleArgs",
    "ServiceConnectArgs",
    "SidecarArgs",
]


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
        discovery = self._check_arguments(name, args)
        container, connect = args.container, args.service_connect
        self._log_group_name = args.log_group_name or f"/ecs/{self._physical}"
        self._environment, self._secrets = merge_bindings(
            name, container.environment, container.secrets, [*args.bindings, *self._tracing()]
        )
        self._tags = dict(args.tags)
        super().__init__("accessweaver:ecs:Microservice", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self._owner = workload.Owner(
            name, self._physical, self._region, self._tags, args.permissions_boundary, child
        )
        log_group = workload.log_group(
            self._owner,
            log_group_name=self._log_group_name,
            retention_days=args.log_retention_days,
        )
        group = self._security_group()
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
        execution_role, execution_policy_resource = self._execution_role(log_group)
        task_role = self._task_role()
        task_definition = self._task_definition(log_group, execution_role, task_role)
        registry = self._discovery(child) if discovery else None
        alarms = service_alarms(
            name,
            physical=self._physical,
            args=args,
            desired=self._desired,
            tags=self._tags,
            opts=child,
        )
        self.running_tasks_alarm = alarms.running_tasks
        service = self._service(
            task_definition,
            group,
            registry,
            alarms.deployment,
            execution_policy_resource,
            log_group,
            child,
        )
        if args.scaling is not None:
            service_autoscaling(
                name,
                physical=self._physical,
                args=args,
                service=service,
                tags=self._tags,
                opts=child,
            )

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
        self.register_outputs({key: getattr(self, key) for key in OUTPUTS})

    def _check_arguments(self, name: str, args: MicroserviceArgs) -> bool:
        """Resolve what the arguments leave to defaults, then raise every argument problem at
        once, before anything is registered. Returns whether the service registers in Cloud
        Map."""
        self._args = args
        self._name = name
        self._physical = physical_name(args.service_name, name)
        self._dns_label = args.discovery_name or name
        self._desired = desired_count(args)
        self._region = args.region or aws.config.region
        connect = args.service_connect
        discovery = registers_in_cloud_map(args)
        self._container_memory = app_memory_mib(
            args.memory,
            xray=args.xray,
            service_connect=connect is not None,
            own=sidecars_memory_mib(args.sidecars, args.firelens),
        )
        issues = argument_issues(
            name,
            args,
            region=self._region,
            desired=self._desired,
            container_memory=self._container_memory,
            discovery=discovery,
        )
        raise_argument_issues("Microservice", name, "MicroserviceArgs", issues)
        return discovery

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

    def _security_group(self) -> ec2.SecurityGroup:
        args, name = self._args, self._name
        group, _ = workload.security_group(
            self._owner,
            vpc_id=args.vpc_id,
            description=f"{self._physical}: its load balancer and declared callers only",
            https_egress_cidrs=args.https_egress_cidrs,
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
        workload.open_peer_paths(self._owner, group=group, bindings=args.bindings)
        return group

    # -- roles --------------------------------------------------------------------------------

    def _execution_role(self, log_group: cloudwatch.LogGroup) -> tuple[iam.Role, iam.RolePolicy]:
        return workload.execution_role(
            self._owner,
            image=self._args.container.image,
            log_group=log_group,
            secrets={**self._secrets, **self._blocks.secret_refs},
            registry_credentials=self._blocks.registry_credentials,
            sidecar_images=self._blocks.images,
        )

    def _task_role(self) -> iam.Role:
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
            self._owner,
            statements=[
                *permissions,
                *(own["Statement"] if own else []),
                *self._blocks.task_statements(),
            ],
        )
        return role

    # -- task definition, discovery, alarms ---------------------------------------------------

    def _task_definition(
        self,
        log_group: cloudwatch.LogGroup,
        execution_role: iam.Role,
        task_role: iam.Role,
    ) -> ecs.TaskDefinition:
        args = self._args
        return workload.task_definition(
            self._owner,
            args,
            log_group=log_group,
            execution_role=execution_role,
            task_role=task_role,
            environment=self._environment,
            secrets=self._secrets,
            xray=args.xray,
            execute_command=args.execute_command,
            port_name=PORT_NAME if args.service_connect is not None else None,
            container_memory=self._container_memory,
            sidecars=args.sidecars,
            firelens=args.firelens,
            efs_volumes=self._blocks.mounted_volumes,
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
        role, policy = role_with_policy(
            name,
            "hooks",
            description=f"{self._physical}: ECS invokes its deployment lifecycle hooks",
            trust=account.apply(lambda acct: json.dumps(ecs_service_trust(acct, self._region))),
            document=pulumi.Output.all(*[h.lambda_arn for h in hooks]).apply(
                lambda arns: json.dumps(hook_policy(list(arns)))
            ),
            permissions_boundary=self._args.permissions_boundary,
            tags=self._tags,
            opts=child,
        )
        # The service must not reference the role before it may invoke anything.
        return pulumi.Output.all(role.arn, policy.id).apply(lambda values: values[0])
