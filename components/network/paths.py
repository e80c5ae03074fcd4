"""Network paths between security groups: `allow_tcp` (two rules) and the `ServicePath`
component (the same, as one node of the plan).

A connection between two security groups needs an egress rule on the source and the matching
ingress rule on the target; either alone opens nothing. Rules are separate resources (not
inline blocks) so each shows in a plan and inline/standalone rules never fight. `Microservice`
opens the paths to the peers it is given this way; `ServicePath` connects two groups that both
exist already (two services that call each other, or groups of another program).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
    ingress: bool = True,
    egress: bool = True,
) -> list[pulumi.CustomResource]:
    """Let members of `source` open TCP connections to members of `target` on `port`; returns
    the rules created (what must exist before a connection is tried).

    `ingress=False` (or `egress=False`) leaves out the target's (or the source's) rule, for a
    group another program owns and opens itself."""
    common = {"ip_protocol": "tcp", "from_port": port, "to_port": port, "opts": opts}
    rules: list[pulumi.CustomResource] = []
    if egress:
        rules.append(
            vpc.SecurityGroupEgressRule(
                egress_name,
                security_group_id=source,
                referenced_security_group_id=target,
                description=description,
                **common,
            )
        )
    if ingress:
        rules.append(
            vpc.SecurityGroupIngressRule(
                ingress_name,
                security_group_id=target,
                referenced_security_group_id=source,
                description=description,
                **common,
            )
        )
    return rules


@dataclass(frozen=True)
class ServicePathArgs:
    source_security_group_id: pulumi.Input[str]
    """The group whose members open the connections (the caller)."""
    target_security_group_id: pulumi.Input[str]
    """The group whose members accept them (the callee)."""
    ports: Sequence[int]
    description: str = "service to service"


class ServicePath(pulumi.ComponentResource):
    """TCP from one security group to another on some ports: per port, the source's egress rule
    and the target's ingress rule. Children are named `<name>-out-<port>` and `<name>-in-<port>`.
    """

    ports: pulumi.Output[list[int]]

    def __init__(
        self, name: str, args: ServicePathArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("accessweaver:network:ServicePath", name, None, opts)
        if not args.ports:
            raise ValueError(f"{name}: a path needs at least one port")
        for port in args.ports:
            allow_tcp(
                egress_name=f"{name}-out-{port}",
                ingress_name=f"{name}-in-{port}",
                source=args.source_security_group_id,
                target=args.target_security_group_id,
                port=port,
                description=f"{args.description} on {port}",
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.ports = pulumi.Output.from_input(list(args.ports))
        self.register_outputs({"ports": self.ports})
