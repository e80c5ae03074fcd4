"""Who may open connections to a load balancer: one TCP ingress rule per listener port and caller
on its security group. An internal load balancer admits its VPC's CIDR block (looked up from the
VPC id), or only the private ranges and security groups its caller names; an internet-facing
one the callers its component gives (the internet for the ALB, the given ranges for the NLB).
Shared by the ALB (`load_balancer.py`) and the Network Load Balancer
(`network_load_balancer.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_aws import ec2, vpc


@dataclass(frozen=True)
class Caller:
    """One source a load balancer's security group admits on each listener port."""

    key: str
    """In the rule's resource name: `<prefix>-from-<key>-<port>`."""
    source: Mapping[str, pulumi.Input[str]]
    """The rule's source argument: `cidr_ipv4` or `referenced_security_group_id`."""
    label: str
    """In the rule's description: `<label> to <what> on <port>`."""


def given_callers(
    cidrs: Sequence[str], security_group_ids: Sequence[pulumi.Input[str]]
) -> list[Caller]:
    """The ranges (`cidr-<index>`) and security groups (`peer-<index>`) a caller names, in that
    order."""
    callers = [
        Caller(f"cidr-{index}", {"cidr_ipv4": cidr}, cidr) for index, cidr in enumerate(cidrs)
    ]
    callers += [
        Caller(f"peer-{index}", {"referenced_security_group_id": peer}, "a peer security group")
        for index, peer in enumerate(security_group_ids)
    ]
    return callers


def admit_callers(
    prefix: str,
    *,
    group: ec2.SecurityGroup,
    ports: Sequence[int],
    callers: Sequence[Caller],
    what: str,
    opts: pulumi.ResourceOptions,
) -> list[vpc.SecurityGroupIngressRule]:
    """One TCP ingress rule on `group` per port (outer) and caller (inner)."""
    return [
        vpc.SecurityGroupIngressRule(
            f"{prefix}-from-{caller.key}-{port}",
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"{caller.label} to {what} on {port}",
            opts=opts,
            **caller.source,
        )
        for port in ports
        for caller in callers
    ]


def admit_private_callers(
    prefix: str,
    *,
    group: ec2.SecurityGroup,
    vpc_id: pulumi.Input[str],
    ports: Sequence[int],
    cidrs: Sequence[str],
    security_group_ids: Sequence[pulumi.Input[str]],
    what: str,
    opts: pulumi.ResourceOptions,
) -> list[vpc.SecurityGroupIngressRule]:
    """One TCP ingress rule per port and caller on `group`: each of `cidrs` and
    `security_group_ids`, or, when both are empty, the VPC's own CIDR block."""
    callers = given_callers(cidrs, security_group_ids)
    if not callers:
        block = ec2.get_vpc_output(id=vpc_id, opts=pulumi.InvokeOutputOptions(parent=group))
        callers = [Caller("vpc", {"cidr_ipv4": block.cidr_block}, "the VPC")]
    return admit_callers(prefix, group=group, ports=ports, callers=callers, what=what, opts=opts)
