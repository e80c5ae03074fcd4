"""The ECS cluster the services run on.

Creates: the ECS cluster (Container Insights as asked) with the FARGATE and FARGATE_SPOT capacity
providers and a default strategy for a Spot share, and, when given a namespace name, the Cloud
Map private DNS namespace services register in. Security groups and IAM roles are not here:
every `Microservice` owns its own (least privilege per service).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from math import gcd
from typing import Literal

import pulumi
from pulumi_aws import ecs, servicediscovery

ContainerInsights = Literal["disabled", "enabled", "enhanced"]


def capacity_provider_strategy(spot_percentage: int) -> list[dict[str, int | str]]:
    """FARGATE/FARGATE_SPOT weights for a Spot share; one on-demand task is kept as base."""
    if spot_percentage <= 0:
        return [{"capacity_provider": "FARGATE", "weight": 1, "base": 0}]
    if spot_percentage >= 100:
        return [{"capacity_provider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    divisor = gcd(spot_percentage, 100 - spot_percentage)
    return [
        {"capacity_provider": "FARGATE", "weight": (100 - spot_percentage) // divisor, "base": 1},
        {"capacity_provider": "FARGATE_SPOT", "weight": spot_percentage // divisor, "base": 0},
    ]


@dataclass(frozen=True)
class ClusterRef:
    """What a `Microservice` needs of its cluster (`EcsCluster.ref`, or an existing cluster)."""

    cluster_arn: pulumi.Input[str]
    cluster_name: str
    """Plain: autoscaling resource ids and alarm dimensions are built from it."""
    namespace_id: pulumi.Input[str] | None = None
    """Cloud Map namespace services register in; None = no service discovery."""
    namespace_name: str | None = None
    depends_on: Sequence[pulumi.Resource] = ()
    """Resources a service must wait for (the capacity providers it places tasks with)."""


@dataclass(frozen=True)
class EcsClusterArgs:
    cluster_name: str
    """Physical name of the ECS cluster."""
    vpc_id: pulumi.Input[str] | None = None
    """VPC of the Cloud Map namespace (required with `namespace_name`)."""
    namespace_name: str | None = None
    """Private DNS namespace for service discovery (`<project>-<env>.local`); None = none."""
    container_insights: ContainerInsights = "enabled"
    spot_percentage: int = 0
    """Share of tasks on FARGATE_SPOT in the cluster's default strategy (0-100)."""
    tags: Mapping[str, str] = field(default_factory=dict)


class EcsCluster(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    namespace_id: pulumi.Output[str] | None
    namespace_name: pulumi.Output[str] | None

    def __init__(self, name: str, args: EcsClusterArgs, opts: pulumi.ResourceOptions | None = None):
        if args.namespace_name is not None and args.vpc_id is None:
            raise ValueError(f"{name}: a Cloud Map namespace needs the VPC it resolves in")
        if not 0 <= args.spot_percentage <= 100:
            raise ValueError(f"{name}: spot_percentage must be 0 to 100")
        super().__init__("accessweaver:ecs:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        cluster = ecs.Cluster(
            f"{name}-cluster",
            name=args.cluster_name,
            settings=[{"name": "containerInsights", "value": args.container_insights}],
            tags=tags,
            opts=child,
        )
        self.capacity_providers = ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategies=capacity_provider_strategy(args.spot_percentage),
            opts=child,
        )
        namespace = None
        if args.namespace_name is not None:
            namespace = servicediscovery.PrivateDnsNamespace(
                f"{name}-namespace",
                name=args.namespace_name,
                vpc=args.vpc_id,
                description=f"Service discovery for {args.cluster_name}",
                tags=tags,
                opts=child,
            )

        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.namespace_id = namespace.id if namespace is not None else None
        self.namespace_name = namespace.name if namespace is not None else None
        self.ref = ClusterRef(
            cluster_arn=cluster.arn,
            cluster_name=args.cluster_name,
            namespace_id=self.namespace_id,
            namespace_name=args.namespace_name,
            depends_on=(self.capacity_providers,),
        )
        """Hand this to each `MicroserviceArgs.cluster`."""
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "namespace_id": self.namespace_id,
                "namespace_name": self.namespace_name,
            }
        )
