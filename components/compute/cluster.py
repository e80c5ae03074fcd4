"""The ECS cluster the services run on.

Creates: the ECS cluster (Container Insights as asked) with the FARGATE and FARGATE_SPOT capacity
providers and a default strategy for a Spot share, and, when given a namespace name, the Cloud
Map private DNS namespace services register in. With `exec_logging`, ECS Exec sessions are
encrypted with a key of the cluster's own and logged to a log group encrypted with it
(`execute_command_configuration` OVERRIDE, control EXEC.1). With `encrypt_ephemeral_storage`,
Fargate encrypts the tasks' ephemeral storage with a key of its own. Security groups and IAM
roles are not here: every `Microservice` owns its own (least privilege per service).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from math import gcd
from typing import Literal

import pulumi
import pulumi_aws as aws
from pulumi_aws import cloudwatch, ecs, kms, servicediscovery

from ..errors import ConfigIssue, raise_argument_issues
from ..naming import physical_name
from .arguments import percentage_issue
from .iam import exec_key_policy, fargate_storage_key_policy

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
class CapacityShare:
    """One capacity provider of a service's own strategy (ECS `capacityProviderStrategy`)."""

    capacity_provider: Literal["FARGATE", "FARGATE_SPOT"]
    weight: int
    """Relative share of the tasks beyond the bases (0-1000)."""
    base: int = 0
    """Tasks placed on this provider first (0-100000; one provider of the strategy at most)."""


def capacity_problems(strategy: Sequence[CapacityShare], where: str) -> list[str]:
    """What ECS refuses in a capacity provider strategy."""
    problems = []
    providers = [share.capacity_provider for share in strategy]
    if not strategy:
        problems.append(f"{where} is empty; give FARGATE and/or FARGATE_SPOT")
    for share in strategy:
        key = f"{where}[{share.capacity_provider}]"
        if share.capacity_provider not in ("FARGATE", "FARGATE_SPOT"):
            problems.append(f"{key}: not FARGATE or FARGATE_SPOT")
        if providers.count(share.capacity_provider) > 1:
            problems.append(f"{key} is given twice")
        if not 0 <= share.weight <= 1000:
            problems.append(f"{key}.weight {share.weight} is not 0-1000")
        if not 0 <= share.base <= 100000:
            problems.append(f"{key}.base {share.base} is not 0-100000")
    if strategy and all(share.weight == 0 for share in strategy):
        problems.append(f"{where}: every weight is 0; at least one must be above 0")
    if sum(1 for share in strategy if share.base > 0) > 1:
        problems.append(f"{where}: more than one provider has a base (ECS allows one)")
    return problems


def strategy_inputs(strategy: Sequence[CapacityShare]) -> list[dict[str, int | str]]:
    """The service's `capacity_provider_strategies` (pulumi_aws names)."""
    return [
        {"capacity_provider": share.capacity_provider, "weight": share.weight, "base": share.base}
        for share in strategy
    ]


@dataclass(frozen=True)
class ExecLoggingArgs:
    """Log every ECS Exec session of the cluster (EXEC.1)."""

    retention_days: int = 365
    log_group_name: str | None = None
    """Default `/aws/ecs/<cluster name>/execute-command`."""
    protect: bool = False
    """`protect=True` on the key and the log group: deleting the key loses the sessions' trail."""


@dataclass(frozen=True)
class ExecLogging:
    """Where a cluster logs ECS Exec sessions: tasks with exec on may write there."""

    log_group_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    """Encrypts the sessions and the log group; tasks decrypt with it."""


@dataclass(frozen=True)
class ClusterRef:
    """What a `Microservice` needs of its cluster (`EcsCluster.ref`, or an existing cluster)."""

    cluster_arn: pulumi.Input[str]
    """An Output accepted (an existing cluster's ARN from config, or `EcsCluster.cluster_arn`)."""
    cluster_name: pulumi.Input[str]
    """The autoscaling resource id and the alarm dimensions are built from it; an Output is
    accepted (a cluster of the same program, or one read from another stack)."""
    namespace_id: pulumi.Input[str] | None = None
    """Cloud Map namespace services register in; None = no service discovery."""
    namespace_name: str | None = None
    """Plain: the services' DNS names (`<discovery_name>.<namespace>`) are built from it."""
    namespace_arn: pulumi.Input[str] | None = None
    """Service Connect takes the namespace by ARN (any Cloud Map namespace type works)."""
    depends_on: Sequence[pulumi.Resource] = ()
    """Resources a service must wait for (the capacity providers it places tasks with)."""
    exec_logging: ExecLogging | None = None
    """Set when the cluster logs ECS Exec sessions; None = exec output is not kept."""
    container_insights: bool = False
    """The cluster publishes Container Insights (`ECS/ContainerInsights`: RunningTaskCount and
    DesiredTaskCount per service); without it AWS/ECS has no task count."""


@dataclass(frozen=True)
class EcsClusterArgs:
    cluster_name: str | None = None
    """Physical name of the ECS cluster; default `<project>-<stack>-<name>`
    (`components/naming.py`). Plain: it feeds the service ids and dimensions of its services."""
    vpc_id: pulumi.Input[str] | None = None
    """VPC of the Cloud Map namespace (required with `namespace_name`)."""
    namespace_name: str | None = None
    """Private DNS namespace for service discovery (`<project>-<env>.local`); None = none."""
    container_insights: ContainerInsights = "enabled"
    spot_percentage: int = 0
    """Share of tasks on FARGATE_SPOT in the cluster's default strategy (0-100)."""
    exec_logging: ExecLoggingArgs | None = None
    """Log ECS Exec sessions to an encrypted log group; None = not configured."""
    encrypt_ephemeral_storage: bool = False
    """Fargate encrypts the tasks' ephemeral storage with a key of the cluster's own (otherwise
    with an AWS-owned key)."""
    protect: bool = False
    """`protect=True` on the storage key."""
    region: str | None = None
    """Default: the provider's `aws:region` (the key policy names CloudWatch Logs' principal)."""
    tags: Mapping[str, str] = field(default_factory=dict)


class EcsCluster(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    namespace_id: pulumi.Output[str] | None
    namespace_name: pulumi.Output[str] | None

    def __init__(self, name: str, args: EcsClusterArgs, opts: pulumi.ResourceOptions | None = None):
        # The default name is the stack's own: two stacks never ask for the same cluster.
        args = dataclasses.replace(args, cluster_name=physical_name(args.cluster_name, name))
        region = args.region or aws.config.region
        issues: list[ConfigIssue] = []
        if args.namespace_name is not None and args.vpc_id is None:
            issues.append(
                ConfigIssue(
                    "vpc_id",
                    None,
                    "a Cloud Map namespace needs the VPC it resolves in",
                    "the VPC id, with namespace_name",
                )
            )
        issues += percentage_issue("spot_percentage", args.spot_percentage)
        if args.exec_logging is not None:
            if not region:
                issues.append(
                    ConfigIssue("region", None, "no region", "aws:region set, or a region here")
                )
            if args.exec_logging.retention_days < 1:
                issues.append(
                    ConfigIssue(
                        "exec_logging.retention_days",
                        args.exec_logging.retention_days,
                        "exec_logging.retention_days must be at least 1",
                        "at least 1",
                    )
                )
        raise_argument_issues("EcsCluster", name, "EcsClusterArgs", issues)
        super().__init__("accessweaver:ecs:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        exec_logging, configuration = None, {}
        if args.exec_logging is not None:
            exec_logging, configuration = self._exec_logging(
                name, args, args.exec_logging, str(region), tags
            )
        if args.encrypt_ephemeral_storage:
            configuration["managed_storage_configuration"] = {
                # Fargate takes the key's ARN, not an alias.
                "fargate_ephemeral_storage_kms_key_id": self._storage_key(name, args, tags).arn
            }
        cluster = ecs.Cluster(
            f"{name}-cluster",
            name=args.cluster_name,
            settings=[{"name": "containerInsights", "value": args.container_insights}],
            configuration=configuration or None,
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
            namespace_arn=namespace.arn if namespace is not None else None,
            depends_on=(self.capacity_providers,),
            exec_logging=exec_logging,
            container_insights=args.container_insights != "disabled",
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

    def _storage_key(self, name: str, args: EcsClusterArgs, tags: Mapping[str, str]) -> kms.Key:
        account = aws.get_caller_identity_output().account_id
        cluster_name = args.cluster_name
        return kms.Key(
            f"{name}-storage-key",
            description=f"{cluster_name}: Fargate ephemeral storage of its tasks",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=account.apply(
                lambda acct: json.dumps(fargate_storage_key_policy(acct, cluster_name))
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

    def _exec_logging(
        self,
        name: str,
        args: EcsClusterArgs,
        logging: ExecLoggingArgs,
        region: str,
        tags: Mapping[str, str],
    ) -> tuple[ExecLogging, dict]:
        group_name = logging.log_group_name or f"/aws/ecs/{args.cluster_name}/execute-command"
        account = aws.get_caller_identity_output().account_id
        key = kms.Key(
            f"{name}-exec-key",
            description=f"{args.cluster_name}: ECS Exec sessions and their log group",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=account.apply(
                lambda acct: json.dumps(exec_key_policy(acct, region, group_name))
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=logging.protect),
        )
        log_group = cloudwatch.LogGroup(
            f"{name}-exec-logs",
            name=group_name,
            retention_in_days=logging.retention_days,
            kms_key_id=key.arn,
            tags={**tags, "Purpose": "ecs-exec-sessions"},
            opts=pulumi.ResourceOptions(parent=self, protect=logging.protect),
        )
        configuration = {
            "execute_command_configuration": {
                "kms_key_id": key.arn,
                "logging": "OVERRIDE",
                "log_configuration": {
                    "cloud_watch_encryption_enabled": True,
                    "cloud_watch_log_group_name": log_group.name,
                },
            }
        }
        return ExecLogging(log_group_arn=log_group.arn, kms_key_arn=key.arn), configuration
