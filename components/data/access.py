"""How services reach a data store inside the VPC: its own security group."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
from pulumi_aws import ec2


def store_security_group(
    name: str,
    *,
    vpc_id: pulumi.Input[str],
    identifier: str,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> ec2.SecurityGroup:
    """The security group of data store `identifier` (component `name`), created with no rule:
    each service that uses the store opens its own path to it (the `Peer` of its binding), so
    nothing else reaches it."""
    return ec2.SecurityGroup(
        f"{name}-sg",
        vpc_id=vpc_id,
        description=f"{identifier}: from the services that use it only",
        tags={**tags, "Name": identifier},
        opts=opts,
    )
