"""What the Application and the Network Load Balancer components share: the IPv4 load balancer
itself behind a security group of its own, the target groups of a service's tasks (registered by
IP, named per stack, service, port and slot), and the outputs both publish.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi_aws import ec2, lb

from .rules import elb_name, target_group_name


class BalancerComponent(pulumi.ComponentResource):
    """Base of `LoadBalancer` (ALB) and `NetworkLoadBalancer`: their load balancer's identifiers
    and security group, set by `_publish_balancer`."""

    arn: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def _publish_balancer(
        self, balancer: lb.LoadBalancer, group: ec2.SecurityGroup
    ) -> dict[str, pulumi.Output[str]]:
        """Sets the load balancer's outputs; returns them as the first of `register_outputs`."""
        self.arn = balancer.arn
        self.arn_suffix = balancer.arn_suffix
        self.dns_name = balancer.dns_name
        self.zone_id = balancer.zone_id
        self.security_group_id = group.id
        return {
            "arn": self.arn,
            "arn_suffix": self.arn_suffix,
            "dns_name": self.dns_name,
            "zone_id": self.zone_id,
            "security_group_id": self.security_group_id,
        }


def ipv4_load_balancer(
    resource_name: str,
    *,
    kind: str,
    name: str,
    internal: bool,
    subnet_ids: pulumi.Input[Sequence[str]],
    group: ec2.SecurityGroup,
    deletion_protection: bool,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
    **features: Any,
) -> lb.LoadBalancer:
    """A load balancer of `kind` ("application", "network") named `name` (cut and hashed to 32
    characters), IPv4 only, in `subnet_ids`, behind `group`; `features` are the kind's own
    arguments."""
    return lb.LoadBalancer(
        resource_name,
        name=elb_name(name),
        load_balancer_type=kind,
        internal=internal,
        ip_address_type="ipv4",
        subnets=subnet_ids,
        security_groups=[group.id],
        enable_deletion_protection=deletion_protection,  # ELB.6
        tags={**tags, "Name": name},
        opts=opts,
        **features,
    )


def task_target_group(
    resource_name: str,
    *,
    project: str,
    environment: str,
    service: str,
    port: int,
    slot: str,
    protocol: str,
    vpc_id: pulumi.Input[str],
    deregistration_delay: int,
    health_check: Mapping[str, Any],
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
    **features: Any,
) -> lb.TargetGroup:
    """A target group of `service`'s tasks on `port` (Fargate tasks register by IP), named
    `<env>-<service>-<port>-<slot>-<hash>` (`rules.target_group_name`); `features` are the
    protocol's own arguments."""
    return lb.TargetGroup(
        resource_name,
        name=target_group_name(project, environment, service, port, slot),
        port=port,
        protocol=protocol,
        target_type="ip",
        vpc_id=vpc_id,
        deregistration_delay=deregistration_delay,
        health_check=health_check,
        tags=tags,
        opts=opts,
        **features,
    )
