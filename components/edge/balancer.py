"""What the Application and the Network Load Balancer components share: the IPv4 load balancer
itself behind a security group of its own (its callers admitted on the listener ports), the
target groups of a service's tasks (registered by IP, named per stack, service, port and slot),
and the outputs both publish. The builders read what both components' arguments have in common
(`BalancerArgs`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import pulumi
from pulumi_aws import ec2, lb

from .ingress import Caller, admit_callers, admit_private_callers
from .rules import elb_name, target_group_name


class BalancerArgs(Protocol):
    """The arguments `LoadBalancerArgs` and `NetworkLoadBalancerArgs` both have."""

    name: str | None
    """Physical name (the ALB's is filled in before anything is built)."""
    project: str | None
    environment: str | None
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[str]]
    internal: bool
    deletion_protection: bool
    deregistration_delay: int
    ingress_cidrs: Sequence[str]
    ingress_security_group_ids: Sequence[pulumi.Input[str]]


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


def balancer_security_group(
    component: str,
    kind: str,
    args: BalancerArgs,
    *,
    description: str,
    ports: Sequence[int],
    internet_callers: Sequence[Caller],
    what: str,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> ec2.SecurityGroup:
    """`<component>-<kind>-sg`, the load balancer's own group (tag Name `<name>-<kind>`), and its
    ingress rules `<component>-<kind>-from-<caller>-<port>` on each of `ports`: internal, the
    given ranges and groups (or its VPC's block); internet-facing, `internet_callers`. The
    egress side is added by each service it reaches (it knows its own group)."""
    prefix = f"{component}-{kind}"
    group = ec2.SecurityGroup(
        f"{prefix}-sg",
        vpc_id=args.vpc_id,
        description=description,
        tags={**tags, "Name": f"{args.name}-{kind}"},
        opts=opts,
    )
    rule_opts = pulumi.ResourceOptions(parent=group)
    if args.internal:
        admit_private_callers(
            prefix,
            group=group,
            vpc_id=args.vpc_id,
            ports=ports,
            cidrs=args.ingress_cidrs,
            security_group_ids=args.ingress_security_group_ids,
            what=what,
            opts=rule_opts,
        )
    else:
        admit_callers(
            prefix, group=group, ports=ports, callers=internet_callers, what=what, opts=rule_opts
        )
    return group


def ipv4_load_balancer(
    resource_name: str,
    args: BalancerArgs,
    *,
    kind: str,
    group: ec2.SecurityGroup,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
    **features: Any,
) -> lb.LoadBalancer:
    """A load balancer of `kind` ("application", "network") named `args.name` (cut and hashed
    to 32 characters), IPv4 only, in `args.subnet_ids`, behind `group`; `features` are the
    kind's own arguments."""
    return lb.LoadBalancer(
        resource_name,
        name=elb_name(args.name),
        load_balancer_type=kind,
        internal=args.internal,
        ip_address_type="ipv4",
        subnets=args.subnet_ids,
        security_groups=[group.id],
        enable_deletion_protection=args.deletion_protection,  # ELB.6
        tags={**tags, "Name": args.name},
        opts=opts,
        **features,
    )


def task_target_group(
    resource_name: str,
    args: BalancerArgs,
    *,
    service: str,
    port: int,
    slot: str,
    protocol: str,
    health_check: Mapping[str, Any],
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
    **features: Any,
) -> lb.TargetGroup:
    """A target group of `service`'s tasks on `port` in `args.vpc_id` (Fargate tasks register
    by IP), named `<env>-<service>-<port>-<slot>-<hash>` (`rules.target_group_name`), draining
    for `args.deregistration_delay`; `features` are the protocol's own arguments."""
    return lb.TargetGroup(
        resource_name,
        name=target_group_name(args.project, args.environment, service, port, slot),
        port=port,
        protocol=protocol,
        target_type="ip",
        vpc_id=args.vpc_id,
        deregistration_delay=args.deregistration_delay,
        health_check=health_check,
        tags=tags,
        opts=opts,
        **features,
    )
