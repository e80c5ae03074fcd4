"""What an ECS service needs from a load balancer, as plain data (no Pulumi resources).

`edge.LoadBalancer.attachment(service)` returns one for each service it routes to; a program
with an ALB of its own builds one from its target group ARN and the ALB's security group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class TrafficShift:
    """What ECS native blue/green, linear and canary deployments shift traffic with: the group
    ECS fills with the new revision, the listener rule whose weights it moves, and the role it
    moves them with. The strategy and its timings are the service's (`DeploymentArgs`)."""

    alternate_target_group_arn: pulumi.Input[str]
    production_listener_rule_arn: pulumi.Input[str]
    role_arn: pulumi.Input[str]
    alternate_target_group_arn_suffix: pulumi.Input[str] | None = None
    """For CloudWatch (`targetgroup/<name>/<id>`): request-count scaling counts both groups."""


@dataclass(frozen=True)
class LoadBalancerAttachment:
    """The target group a service registers its tasks with, and who may reach them."""

    target_group_arn: pulumi.Input[str]
    security_group_ids: Sequence[pulumi.Input[str]]
    """The load balancer's groups: the service's group admits them on `ports`."""
    ports: Sequence[int] = ()
    """Ports the load balancer reaches on the tasks (traffic and health check); empty = the
    container port."""
    manage_egress: bool = True
    """Also add the load balancer groups' egress rules toward the service (False for an ALB
    managed elsewhere, whose owner opens its side)."""
    target_group_arn_suffix: pulumi.Input[str] | None = None
    """`targetgroup/<name>/<id>` (CloudWatch's TargetGroup dimension); None = unknown."""
    load_balancer_arn_suffix: pulumi.Input[str] | None = None
    """`app/<name>/<id>`; with the group's suffix, the resource label of request-count scaling."""
    traffic_shift: TrafficShift | None = None
    """Set when the load balancer built a second target group for the service: it may then
    deploy BLUE_GREEN, LINEAR or CANARY."""
