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


def public_subnet_cidrs(cidr_block: str, availability_zones: int) -> tuple[str, ...]:
    """The public subnets' blocks of the VPC `Network` creates, in AZ order, as awsx lays them
    out (`SubnetAllocationStrategy.AUTO`: pulumi-awsx `awsx/ec2/subnetDistributorNew.ts`,
    `getSubnetSpecs`): the VPC split into equal per-AZ blocks, each starting with the private
    subnet, the public one in the next block of its size. 10.30.0.0/16 over 3 AZs:
    10.30.32.0/21, 10.30.96.0/21, 10.30.160.0/21."""
    vpc = ipaddress.IPv4Network(cidr_block)
    private_mask, public_mask = subnet_masks(cidr_block, availability_zones)
    per_az = vpc.prefixlen + math.ceil(math.log2(availability_zones))
    blocks = list(vpc.subnets(new_prefix=per_az))[:availability_zones]
    found = []
    for block in blocks:
        private = ipaddress.IPv4Network((block.network_address, private_mask))
        # awsx's nextNetmask: the block of the new size holding the previous one's last
        # address, then the block after it.
        holder = ipaddress.IPv4Network((private.broadcast_address, public_mask), strict=False)
        found.append(str(ipaddress.IPv4Network((holder.broadcast_address + 1, public_mask))))
    return tuple(found)


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
