"""Who may open connections to an internal load balancer: its VPC's CIDR block (looked up from the
VPC id), or only the private ranges and security groups its caller names. Shared by the
internal ALB (`load_balancer.py`) and the Network Load Balancer (`network_load_balancer.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pulumi_aws import ec2, vpc


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
    rules: list[vpc.SecurityGroupIngressRule] = []
    sources: list[tuple[str, dict[str, pulumi.Input[str]], str]] = []
    if not cidrs and not security_group_ids:
        block = ec2.get_vpc_output(id=vpc_id, opts=pulumi.InvokeOutputOptions(parent=group))
        sources.append(("vpc", {"cidr_ipv4": block.cidr_block}, "the VPC"))
    sources += [(f"cidr-{index}", {"cidr_ipv4": cidr}, cidr) for index, cidr in enumerate(cidrs)]
    sources += [
        (f"peer-{index}", {"referenced_security_group_id": peer}, "a peer security group")
        for index, peer in enumerate(security_group_ids)
    ]
    for port in ports:
        for key, source, label in sources:
            rules.append(
                vpc.SecurityGroupIngressRule(
                    f"{prefix}-from-{key}-{port}",
                    security_group_id=group.id,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    description=f"{label} to {what} on {port}",
                    opts=opts,
                    **source,
                )
            )
    return rules
