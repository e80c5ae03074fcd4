"""The package's EcsCluster: a cluster for services of any language.

No `from __future__ import annotations`: the package schema is read from the annotations at run
time (see `package.py`).
"""

import enum
from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi

from ..compute.cluster import EcsCluster as PyEcsCluster
from ..compute.cluster import EcsClusterArgs, ExecLoggingArgs
from .wrapping import component_type, optional_int, publish, same_named


class ContainerInsights(enum.StrEnum):
    """CloudWatch Container Insights on the cluster."""

    DISABLED = "disabled"
    ENABLED = "enabled"
    ENHANCED = "enhanced"


class EcsClusterArgs_(TypedDict):
    cluster_name: NotRequired[str]
    """The cluster's name; default `<project>-<stack>-<resource name>`."""
    vpc_id: NotRequired[pulumi.Input[str]]
    """The VPC of the Cloud Map namespace (with `namespace_name`)."""
    namespace_name: NotRequired[str]
    """A private DNS namespace the services register in (`<service>.<namespace>`)."""
    container_insights: NotRequired[ContainerInsights]
    """Container Insights; default enabled."""
    spot_percentage: NotRequired[int]
    """Default share of Fargate Spot for services (0-100); default 0."""
    exec_log_retention_days: NotRequired[int]
    """Days ECS Exec session logs are kept (KMS-encrypted); unset = no exec logging."""
    region: NotRequired[str]
    """AWS region; default the provider's."""
    tags: NotRequired[Mapping[str, str]]
    """Tags on every resource."""


class EcsCluster(pulumi.ComponentResource):
    """An ECS cluster: Fargate and Spot capacity, a Cloud Map namespace, ECS Exec logging."""

    cluster_name: pulumi.Output[str]
    """The cluster's name."""
    cluster_arn: pulumi.Output[str]
    """The cluster's ARN (a Microservice's `clusterArn`)."""
    namespace_id: pulumi.Output[str | None]
    """The Cloud Map namespace's id, when there is one."""

    def __init__(
        self, name: str, args: EcsClusterArgs_, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(component_type(EcsCluster), name, None, opts)
        retention = args.get("exec_log_retention_days")
        insights = args.get("container_insights") or ContainerInsights.ENABLED
        cluster = PyEcsCluster(
            name,
            EcsClusterArgs(
                cluster_name=args.get("cluster_name"),
                vpc_id=args.get("vpc_id"),
                namespace_name=args.get("namespace_name"),
                container_insights=ContainerInsights(insights).value,  # type: ignore[arg-type]
                spot_percentage=optional_int(args.get("spot_percentage"), 0) or 0,
                exec_logging=(
                    None if retention is None else ExecLoggingArgs(retention_days=int(retention))
                ),
                region=args.get("region"),
                tags=dict(args.get("tags") or {}),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        publish(
            self,
            {
                **same_named(cluster, "cluster_name", "cluster_arn"),
                "namespace_id": pulumi.Output.from_input(cluster.namespace_id),
            },
        )
