"""The shared layer every microservice runs on.

Creates: the ECS cluster (Container Insights per environment) with FARGATE and FARGATE_SPOT
capacity providers, the Cloud Map private DNS namespace `<project>-<env>.local`, the services'
security group and its rules, the task execution role and the task role. Rules toward the
database and Redis are only created when their security groups are known.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from pulumi_aws import ec2, ecs, iam, servicediscovery, vpc

from ..network.layout import NetworkRefs
from ..network.paths import allow_tcp
from ..stack.settings import StackSettings
from .iam import assume_role_policy, execution_policy, task_policy

POSTGRES_PORT = 5432
REDIS_PORT = 6379


def capacity_provider_strategy(spot_percentage: int) -> list[dict[str, int | str]]:
    """FARGATE/FARGATE_SPOT weights for a Spot share; one on-demand task is kept as base."""
    if spot_percentage <= 0:
        return [{"capacity_provider": "FARGATE", "weight": 1, "base": 0}]
    if spot_percentage >= 100:
        return [{"capacity_provider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    from math import gcd

    divisor = gcd(spot_percentage, 100 - spot_percentage)
    return [
        {"capacity_provider": "FARGATE", "weight": (100 - spot_percentage) // divisor, "base": 1},
        {"capacity_provider": "FARGATE_SPOT", "weight": spot_percentage // divisor, "base": 0},
    ]


@dataclass(frozen=True)
class DataStorePeer:
    """A data store the program creates; the services reach its security group on its port."""

    role: str
    security_group_id: pulumi.Input[str]
    port: int


@dataclass(frozen=True)
class ClusterArgs:
    settings: StackSettings
    extra_secret_arns: list[pulumi.Input[str]] = field(default_factory=list)
    """Secrets the program creates itself (their ARNs are unknown until deployed)."""
    data_stores: Sequence[DataStorePeer] = ()
    """Database and cache the program creates (their groups and ports replace the configured
    `rdsSecurityGroupId`/`redisSecurityGroupId` and the default ports)."""
    network: NetworkRefs | None = None
    """The VPC the program creates; None = the existing VPC named in the stack config."""


class EcsCluster(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    namespace_id: pulumi.Output[str]
    namespace_name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    task_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("accessweaver:ecs:Cluster", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(settings.tags)
        self.network = args.network or NetworkRefs.existing(settings)
        """Where the services run (private subnets) and the groups live (VPC)."""

        cluster = ecs.Cluster(
            f"{name}-cluster",
            name=settings.cluster_name,
            settings=[{"name": "containerInsights", "value": settings.container_insights}],
            tags=tags,
            opts=child,
        )
        self.capacity_providers = ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategies=capacity_provider_strategy(
                settings.fargate_spot_percentage
            ),
            opts=child,
        )
        namespace = servicediscovery.PrivateDnsNamespace(
            f"{name}-namespace",
            name=settings.namespace,
            vpc=self.network.vpc_id,
            description=f"Service discovery for {settings.name_prefix}",
            tags=tags,
            opts=child,
        )

        account = aws.get_caller_identity_output().account_id
        trust = account.apply(lambda acct: json.dumps(assume_role_policy(acct, settings.region)))
        self._security_group = self._build_security_group(
            name, settings, self.network.vpc_id, tags, child, args.data_stores
        )
        self._execution_role, self.execution_policy = self._build_execution_role(
            name, settings, args, account, trust, tags, child
        )
        task_role = self._build_task_role(name, settings, trust, tags, child)

        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.namespace_id = namespace.id
        self.namespace_name = namespace.name
        self.security_group_id = self._security_group.id
        self.execution_role_arn = self._execution_role.arn
        self.task_role_arn = task_role.arn
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "namespace_id": self.namespace_id,
                "namespace_name": self.namespace_name,
                "security_group_id": self.security_group_id,
                "execution_role_arn": self.execution_role_arn,
                "task_role_arn": self.task_role_arn,
            }
        )

    @staticmethod
    def _build_security_group(
        name: str,
        settings: StackSettings,
        vpc_id: pulumi.Input[str],
        tags: dict,
        child: pulumi.ResourceOptions,
        data_stores: Sequence[DataStorePeer] = (),
    ) -> ec2.SecurityGroup:
        group = ec2.SecurityGroup(
            f"{name}-services-sg",
            vpc_id=vpc_id,
            description=f"{settings.name_prefix} ECS services",
            tags={**tags, "Name": f"{settings.name_prefix}-services"},
            opts=child,
        )
        rule_opts = pulumi.ResourceOptions(parent=group)
        public_ports = sorted({s.port for s in settings.services if s.public})
        all_ports = sorted({s.port for s in settings.services})
        # ALBs managed elsewhere; the ALB this program builds adds its own rules (edge.py).
        for alb_group in settings.alb_security_group_ids:
            for port in public_ports:
                vpc.SecurityGroupIngressRule(
                    f"{name}-from-alb-{alb_group}-{port}",
                    security_group_id=group.id,
                    referenced_security_group_id=alb_group,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    description=f"ALB to public service port {port}",
                    opts=rule_opts,
                )
        for port in all_ports:
            allow_tcp(
                egress_name=f"{name}-to-services-{port}",
                ingress_name=f"{name}-from-services-{port}",
                source=group.id,
                target=group.id,
                port=port,
                description=f"Service to service on {port}",
                opts=rule_opts,
            )
        peers = [
            (role, peer, port)
            for role, peer, port in (
                ("postgres", settings.rds_security_group_id, POSTGRES_PORT),
                ("redis", settings.redis_security_group_id, REDIS_PORT),
            )
            if peer is not None
        ] + [(store.role, store.security_group_id, store.port) for store in data_stores]
        for role, peer, port in peers:
            allow_tcp(
                egress_name=f"{name}-to-{role}",
                ingress_name=f"{name}-{role}-from-services",
                source=group.id,
                target=peer,
                port=port,
                description=f"{settings.name_prefix} ECS services to {role}",
                opts=rule_opts,
            )
        # Image pulls, logs, Secrets Manager and X-Ray are HTTPS APIs (via NAT or endpoints).
        vpc.SecurityGroupEgressRule(
            f"{name}-to-aws-apis",
            security_group_id=group.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to AWS APIs and registries",
            opts=rule_opts,
        )
        return group

    @staticmethod
    def _build_execution_role(
        name: str,
        settings: StackSettings,
        args: ClusterArgs,
        account: pulumi.Output[str],
        trust: pulumi.Output[str],
        tags: dict,
        child: pulumi.ResourceOptions,
    ) -> tuple[iam.Role, iam.RolePolicy]:
        role = iam.Role(
            f"{name}-exec-role",
            description=f"{settings.name_prefix}: ECS pulls images, writes logs, reads secrets",
            assume_role_policy=trust,
            tags=tags,
            opts=child,
        )
        configured = [ref for s in settings.services for ref in s.secrets.values()]
        document = pulumi.Output.all(account, *args.extra_secret_arns).apply(
            lambda values: json.dumps(
                execution_policy(
                    account_id=values[0],
                    region=settings.region,
                    log_group_prefix=settings.log_group_prefix,
                    images=[s.image for s in settings.services],
                    secret_refs=[*configured, *values[1:]],
                )
            )
        )
        policy = iam.RolePolicy(
            f"{name}-exec-policy",
            role=role.id,
            policy=document,
            opts=pulumi.ResourceOptions(parent=role),
        )
        return role, policy

    @staticmethod
    def _build_task_role(
        name: str,
        settings: StackSettings,
        trust: pulumi.Output[str],
        tags: dict,
        child: pulumi.ResourceOptions,
    ) -> iam.Role:
        role = iam.Role(
            f"{name}-task-role",
            description=f"{settings.name_prefix}: what the service containers may call",
            assume_role_policy=trust,
            tags=tags,
            opts=child,
        )
        document = task_policy(xray=settings.xray_tracing, execute_command=settings.execute_command)
        if document is not None:
            iam.RolePolicy(
                f"{name}-task-policy",
                role=role.id,
                policy=json.dumps(document),
                opts=pulumi.ResourceOptions(parent=role),
            )
        return role
