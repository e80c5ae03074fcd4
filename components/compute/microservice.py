"""One microservice on ECS Fargate, built from its resolved settings.

Creates: the log group `<logGroupPrefix>/<service>` (default `/ecs/<project>-<env>/<service>`),
the Fargate task definition, the Cloud Map service, CPU and memory alarms, the ECS service and,
when autoscaling is on, its scalable target with CPU and memory target-tracking policies.
Optional: the load balancer attachment (only with a target group; ECS native blue/green when the
program's ALB provides an alternate target group), deployment alarms with rollback (per
environment) and, with `offHoursScaling`, scheduled actions scaling the service to zero in the
evening and back in the morning.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_aws import appautoscaling, cloudwatch, ecs, servicediscovery

from ..edge.rules import ServiceAttachment
from ..stack.environments import (
    ALARM_CPU_THRESHOLD,
    ALARM_EVALUATION_PERIODS,
    ALARM_MEMORY_THRESHOLD,
    ALARM_PERIOD_SECONDS,
    SCALING_COOLDOWN_SECONDS,
)
from ..stack.outputs import health_url, internal_dns_name, log_group_name, service_name
from ..stack.settings import ServiceSettings, StackSettings
from .cluster import EcsCluster, capacity_provider_strategy
from .containers import TMP_VOLUME, container_definitions, volume_name


@dataclass(frozen=True)
class MicroserviceArgs:
    settings: StackSettings
    service: ServiceSettings
    cluster: EcsCluster
    target_group_arn: pulumi.Input[str] | None = None
    """Overrides the configured target group (used when the program builds the ALB)."""
    load_balancer: ServiceAttachment | None = None
    """The ALB the program builds: target group and, for blue/green, the alternate group, the
    production rule and ECS's role. Takes precedence over `target_group_arn`."""
    extra_environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Plain values the program wires (endpoints); never secrets."""
    extra_secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Secrets Manager ARNs the program wires (generated credentials)."""
    alarm_actions: Sequence[pulumi.Input[str]] = ()
    """SNS topic ARNs notified by the service's alarms."""


class Microservice(pulumi.ComponentResource):
    service_name: pulumi.Output[str]
    service_arn: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]
    internal_dns_name: pulumi.Output[str]
    health_url: pulumi.Output[str]
    log_group_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: MicroserviceArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("accessweaver:ecs:Microservice", name, None, opts)
        settings, service = args.settings, args.service
        child = pulumi.ResourceOptions(parent=self)
        tags = {**settings.tags, "Service": service.name, "Criticality": service.criticality}
        physical_name = service_name(settings, service)

        log_group = cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name(settings, service),
            retention_in_days=settings.log_retention_days,
            tags=tags,
            opts=child,
        )
        task_definition = self._task_definition(name, args, log_group, tags, child)
        discovery = servicediscovery.Service(
            f"{name}-discovery",
            name=service.name,
            description=f"{physical_name} tasks",
            dns_config={
                "namespace_id": args.cluster.namespace_id,
                "dns_records": [{"type": "A", "ttl": 10}],
                "routing_policy": "MULTIVALUE",
            },
            health_check_custom_config={"failure_threshold": 1},
            force_destroy=True,
            tags=tags,
            opts=child,
        )
        alarms = self._alarms(name, settings, physical_name, args.alarm_actions, tags, child)
        ecs_service = self._service(
            name, args, physical_name, task_definition, discovery, alarms, tags, child
        )
        if settings.auto_scaling_enabled:
            self._autoscaling(name, settings, service, physical_name, ecs_service, child)

        self.service_name = ecs_service.name
        self.service_arn = ecs_service.arn
        self.task_definition_arn = task_definition.arn
        self.internal_dns_name = pulumi.Output.from_input(internal_dns_name(settings, service))
        self.health_url = pulumi.Output.from_input(health_url(settings, service))
        self.log_group_name = log_group.name
        self.register_outputs(
            {
                "service_name": self.service_name,
                "service_arn": self.service_arn,
                "task_definition_arn": self.task_definition_arn,
                "internal_dns_name": self.internal_dns_name,
                "health_url": self.health_url,
                "log_group_name": self.log_group_name,
            }
        )

    @staticmethod
    def _task_definition(
        name: str,
        args: MicroserviceArgs,
        log_group: cloudwatch.LogGroup,
        tags: dict,
        child: pulumi.ResourceOptions,
    ) -> ecs.TaskDefinition:
        settings, service = args.settings, args.service
        environment_keys = list(args.extra_environment)
        secret_keys = list(args.extra_secrets)
        document = pulumi.Output.all(
            log_group.name, *args.extra_environment.values(), *args.extra_secrets.values()
        ).apply(
            lambda values: json.dumps(
                container_definitions(
                    settings,
                    service,
                    log_group=values[0],
                    extra_environment=dict(
                        zip(environment_keys, values[1 : 1 + len(environment_keys)], strict=True)
                    ),
                    extra_secrets=dict(
                        zip(secret_keys, values[1 + len(environment_keys) :], strict=True)
                    ),
                )
            )
        )
        return ecs.TaskDefinition(
            f"{name}-task",
            family=service_name(settings, service),
            cpu=str(service.cpu),
            memory=str(service.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={
                "operating_system_family": "LINUX",
                "cpu_architecture": settings.cpu_architecture,
            },
            execution_role_arn=args.cluster.execution_role_arn,
            task_role_arn=args.cluster.task_role_arn,
            container_definitions=document,
            volumes=[{"name": TMP_VOLUME}]
            + [{"name": volume_name(path)} for path in service.writable_paths],
            tags=tags,
            opts=child,
        )

    @staticmethod
    def _alarms(
        name: str,
        settings: StackSettings,
        physical_name: str,
        actions: Sequence[pulumi.Input[str]],
        tags: dict,
        child: pulumi.ResourceOptions,
    ) -> list[cloudwatch.MetricAlarm]:
        alarms = []
        for metric, threshold in (
            ("CPUUtilization", ALARM_CPU_THRESHOLD),
            ("MemoryUtilization", ALARM_MEMORY_THRESHOLD),
        ):
            short = "cpu" if metric.startswith("CPU") else "memory"
            alarms.append(
                cloudwatch.MetricAlarm(
                    f"{name}-{short}-alarm",
                    # Named explicitly: the ECS service refers to its deployment alarms by name.
                    name=f"{physical_name}-{short}-high",
                    alarm_description=f"{physical_name} {short} above {threshold}%",
                    namespace="AWS/ECS",
                    metric_name=metric,
                    dimensions={"ClusterName": settings.cluster_name, "ServiceName": physical_name},
                    statistic="Average",
                    period=ALARM_PERIOD_SECONDS,
                    evaluation_periods=ALARM_EVALUATION_PERIODS,
                    threshold=threshold,
                    comparison_operator="GreaterThanThreshold",
                    treat_missing_data="notBreaching",
                    alarm_actions=list(actions),
                    ok_actions=list(actions),
                    tags=tags,
                    opts=child,
                )
            )
        return alarms

    @staticmethod
    def _service(
        name: str,
        args: MicroserviceArgs,
        physical_name: str,
        task_definition: ecs.TaskDefinition,
        discovery: servicediscovery.Service,
        alarms: list[cloudwatch.MetricAlarm],
        tags: dict,
        child: pulumi.ResourceOptions,
    ) -> ecs.Service:
        settings, service = args.settings, args.service
        attachment = args.load_balancer
        target_group = (
            attachment.target_group_arn
            if attachment is not None
            else args.target_group_arn or service.target_group_arn
        )
        blue_green = attachment.blue_green if attachment is not None else None
        extra: dict = {}
        if target_group is not None:
            balancer: dict = {
                "target_group_arn": target_group,
                "container_name": service.name,
                "container_port": service.port,
            }
            if blue_green is not None:
                balancer["advanced_configuration"] = {
                    "alternate_target_group_arn": blue_green.alternate_target_group_arn,
                    "production_listener_rule": blue_green.production_listener_rule_arn,
                    "role_arn": blue_green.role_arn,
                }
                # Circuit breaker and deployment alarms stay on: they roll back a green revision
                # that never becomes healthy, before traffic moves.
                extra["deployment_configuration"] = {
                    "strategy": "BLUE_GREEN",
                    "bake_time_in_minutes": str(blue_green.bake_time_minutes),
                }
            extra["load_balancers"] = [balancer]
            extra["health_check_grace_period_seconds"] = settings.health_check_grace_period
        if settings.deployment_alarms:
            extra["alarms"] = {
                "alarm_names": [alarm.name for alarm in alarms],
                "enable": True,
                "rollback": True,
            }
        return ecs.Service(
            f"{name}-service",
            name=physical_name,
            cluster=args.cluster.cluster_arn,
            task_definition=task_definition.arn,
            desired_count=service.desired_count,
            capacity_provider_strategies=capacity_provider_strategy(
                settings.fargate_spot_percentage
            ),
            platform_version="LATEST",
            network_configuration={
                "subnets": args.cluster.network.private_subnet_ids,
                "security_groups": [args.cluster.security_group_id],
                "assign_public_ip": False,
            },
            deployment_circuit_breaker={
                "enable": settings.deployment_circuit_breaker,
                "rollback": settings.deployment_circuit_breaker,
            },
            deployment_minimum_healthy_percent=settings.deployment_minimum_healthy_percent,
            deployment_maximum_percent=settings.deployment_maximum_percent,
            enable_execute_command=settings.execute_command,
            service_registries={"registry_arn": discovery.arn},
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            wait_for_steady_state=False,
            tags=tags,
            opts=pulumi.ResourceOptions.merge(
                child,
                pulumi.ResourceOptions(
                    depends_on=[args.cluster.capacity_providers, args.cluster.execution_policy],
                    # Once autoscaling owns the task count, `pulumi up` must not reset it.
                    ignore_changes=["desired_count"] if settings.auto_scaling_enabled else None,
                ),
            ),
            **extra,
        )

    @staticmethod
    def _autoscaling(
        name: str,
        settings: StackSettings,
        service: ServiceSettings,
        physical_name: str,
        ecs_service: ecs.Service,
        child: pulumi.ResourceOptions,
    ) -> None:
        target = appautoscaling.Target(
            f"{name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{settings.cluster_name}/{physical_name}",
            min_capacity=service.min_capacity,
            max_capacity=service.max_capacity,
            tags=dict(settings.tags),
            opts=pulumi.ResourceOptions.merge(
                child,
                pulumi.ResourceOptions(
                    depends_on=[ecs_service],
                    # Off-hours actions set both bounds to 0 every evening; without this every
                    # night-time `pulumi up` or drift check would "fix" them. The scale-up
                    # action carries the configured bounds instead (applied the next morning).
                    ignore_changes=(
                        ["min_capacity", "max_capacity"] if settings.off_hours else None
                    ),
                ),
            ),
        )
        if settings.off_hours is not None:
            Microservice._off_hours(name, settings, service, physical_name, target)
        for short, metric, value in (
            ("cpu", "ECSServiceAverageCPUUtilization", settings.scaling_cpu_target),
            ("memory", "ECSServiceAverageMemoryUtilization", settings.scaling_memory_target),
        ):
            appautoscaling.Policy(
                f"{name}-{short}-scaling",
                name=f"{physical_name}-{short}-target",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration={
                    "target_value": value,
                    "predefined_metric_specification": {"predefined_metric_type": metric},
                    "scale_in_cooldown": SCALING_COOLDOWN_SECONDS,
                    "scale_out_cooldown": SCALING_COOLDOWN_SECONDS,
                },
                opts=pulumi.ResourceOptions(parent=target),
            )

    @staticmethod
    def _off_hours(
        name: str,
        settings: StackSettings,
        service: ServiceSettings,
        physical_name: str,
        target: appautoscaling.Target,
    ) -> None:
        """Scale to zero at the schedule's stop time and back to the bounds at its start."""
        schedule = settings.off_hours
        assert schedule is not None
        for role, cron, minimum, maximum in (
            ("scale-down", schedule.scale_down_schedule, 0, 0),
            ("scale-up", schedule.scale_up_schedule, service.min_capacity, service.max_capacity),
        ):
            appautoscaling.ScheduledAction(
                f"{name}-{role}",
                name=f"{physical_name}-off-hours-{role}",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                schedule=cron,
                timezone=schedule.timezone,
                scalable_target_action={"min_capacity": minimum, "max_capacity": maximum},
                opts=pulumi.ResourceOptions(parent=target),
            )
