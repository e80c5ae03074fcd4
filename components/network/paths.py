"""Security-group rules between two groups, as one call.

A connection between two security groups needs an egress rule on the source and the matching
ingress rule on the target; either alone opens nothing. Rules are separate resources (not
inline blocks) so each shows in a plan and inline/standalone rules never fight.
"""

from __future__ import annotations

import pulumi
from pulumi_aws import vpc


def allow_tcp(
    *,
    egress_name: str,
    ingress_name: str,
    source: pulumi.Input[str],
    target: pulumi.Input[str],
    port: int,
    description: str,
    opts: pulumi.ResourceOptions,
) -> None:
    """Let members of `source` open TCP connections to members of `target` on `port`."""
    common = {"ip_protocol": "tcp", "from_port": port, "to_port": port, "opts": opts}
    vpc.SecurityGroupEgressRule(
        egress_name,
        security_group_id=source,
        referenced_security_group_id=target,
        description=description,
        **common,
    )
    vpc.SecurityGroupIngressRule(
        ingress_name,
        security_group_id=target,
        referenced_security_group_id=source,
        description=description,
        **common,
    )
