"""Pure data and helpers for `network.py`: subnet sizing, endpoint names, flow-log IAM documents,
the subnet transform, and `NetworkRefs`, the ids every other component takes its network from.

No resources are created here, and pulumi_awsx is not imported (stacks on an existing VPC never
load it).
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

NAT_STRATEGY = {"none": "None", "single": "Single", "onePerAz": "OnePerAz"}
"""Our config values -> awsx `NatGatewayStrategy`."""


@dataclass(frozen=True)
class NetworkRefs:
    """Where the services and the ALB run: ids known from config, or outputs of the created VPC."""

    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[Sequence[str]]
    public_subnet_ids: pulumi.Input[Sequence[str]]


def subnet_masks(cidr_block: str, availability_zones: int) -> tuple[int, int]:
    """(private, public) netmasks: each AZ gets an equal power-of-two share of the VPC; the
    private subnet takes half of it (tasks use one IP each), the public one an eighth (ALB and
    NAT gateway only). /16 over 3 AZs: private /19 (8190 IPs), public /21."""
    prefix = ipaddress.IPv4Network(cidr_block).prefixlen
    per_az = prefix + math.ceil(math.log2(availability_zones))
    return per_az + 1, per_az + 3


def endpoint_service_name(region: str, endpoint: str) -> str:
    return f"com.amazonaws.{region}.{endpoint}"


def flow_log_policy(log_group_arn: str) -> dict[str, Any]:
    """Write to the flow-log group only.

    The AWS docs' flow-log role also lists logs:DescribeLogGroups; that action only accepts
    Resource "*" (IAM would ignore it scoped to the group), and delivery into a group that
    already exists does not need it, so it is left out rather than granted on every group.
    """
    group = log_group_arn.removesuffix(":*")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
                "Resource": [group, f"{group}:*"],
            }
        ],
    }


def no_public_ip_on_launch(
    args: pulumi.ResourceTransformArgs,
) -> pulumi.ResourceTransformResult | None:
    """EC2.15: awsx sets `mapPublicIpOnLaunch` on its public subnets; nothing we run there needs
    it (the ALB and NAT gateways get their own addresses), so every subnet is created without."""
    if args.type_ != "aws:ec2/subnet:Subnet":
        return None
    return pulumi.ResourceTransformResult(
        props={**args.props, "mapPublicIpOnLaunch": False}, opts=args.opts
    )
