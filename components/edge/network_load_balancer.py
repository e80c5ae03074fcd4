"""A Network Load Balancer for TCP services, from its own arguments.

Creates: the NLB (internal by default, in the given subnets, cross-zone load balancing on) with a
security group of its own (NLBs take one only when created with it), per service (`TcpListener`)
a TCP or TLS listener and a target group of the service's tasks (`target_type="ip"`, TCP, with a
TCP or HTTP health check), and the attachment a `Microservice` registers with
(`attachment(service)`): the service's security group then admits this NLB's group only, on its
ports. Who reaches the NLB: internal, its VPC's CIDR block (or only the given private ranges and
security groups); internet-facing, only the ranges it is given (`0.0.0.0/0` written out).

Optional: deletion protection, TLS termination with an ACM certificate and a TLS 1.3 policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_aws import ec2, lb

from ..compute.attachments import LoadBalancerAttachment
from .balancer import (
    BalancerComponent,
    balancer_security_group,
    ipv4_load_balancer,
    task_target_group,
)
from .ingress import given_callers
from .tcp import TLS_POLICIES, TcpListener, ingress_problems, listener_problems, nlb_health_check


@dataclass(frozen=True)
class NetworkLoadBalancerArgs:
    name: str
    """Physical NLB name (at most 32 characters; longer names are cut and hashed)."""
    vpc_id: pulumi.Input[str]
    """Accepts an Output (a VPC created in the same program)."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """Subnets in at least two AZs: private ones when internal, public ones otherwise."""
    listeners: Sequence[TcpListener]
    """One listener and one target group per service; listener ports unique."""
    project: str
    """With `environment`: the target group names (`<env>-<service>-<port>-n-<hash>`)."""
    environment: str
    internal: bool = True
    """Private addresses only (the default); False = internet-facing, in public subnets."""
    ingress_cidrs: Sequence[str] = ()
    """IPv4 ranges admitted on the listener ports. Internal: private ranges only, () with no
    `ingress_security_group_ids` = the VPC's CIDR block. Internet-facing: required (no default
    opening; `0.0.0.0/0` written out)."""
    ingress_security_group_ids: Sequence[pulumi.Input[str]] = ()
    """Security groups admitted on the listener ports; accepts Outputs."""
    cross_zone: bool = True
    """Cross-zone load balancing (off by default on NLBs: a zone with fewer healthy tasks would
    take as much traffic as the others). Data crossing zones is charged as inter-AZ transfer."""
    certificate_arn: pulumi.Input[str] | None = None
    """ACM certificate for the TLS listeners (required when one is TLS); accepts an Output."""
    ssl_policy: str = TLS_POLICIES[0]
    deletion_protection: bool = True
    deregistration_delay: int = 30
    """Seconds a stopping task keeps its open connections before the NLB drops it (0-3600)."""
    tags: Mapping[str, str] = field(default_factory=dict)

    def problems(self) -> list[str]:
        problems = listener_problems(
            self.listeners,
            tls_certificate=self.certificate_arn is not None,
            ssl_policy=self.ssl_policy,
        )
        problems += ingress_problems(
            internal=self.internal,
            cidrs=self.ingress_cidrs,
            security_group_ids=self.ingress_security_group_ids,
        )
        if not 0 <= self.deregistration_delay <= 3600:
            problems.append(f"deregistration_delay {self.deregistration_delay} (0 to 3600)")
        return problems


class NetworkLoadBalancer(BalancerComponent):
    listener_arns: dict[str, pulumi.Output[str]]
    """Per service."""
    target_group_arns: dict[str, pulumi.Output[str]]
    """Per service."""
    endpoints: pulumi.Output[dict[str, str]]
    """`{service: "<nlb dns name>:<listener port>"}`."""

    def __init__(
        self, name: str, args: NetworkLoadBalancerArgs, opts: pulumi.ResourceOptions | None = None
    ):
        problems = args.problems()
        if problems:
            raise ValueError(f"{name}: " + "; ".join(problems))
        super().__init__("accessweaver:edge:NetworkLoadBalancer", name, None, opts)
        self._name, self._args = name, args
        self._tags = dict(args.tags)
        child = pulumi.ResourceOptions(parent=self)

        group = self._security_group(child)
        nlb = ipv4_load_balancer(
            f"{name}-nlb",
            args,
            kind="network",
            group=group,
            tags=self._tags,
            opts=child,
            enable_cross_zone_load_balancing=args.cross_zone,
        )
        self._attachments: dict[str, LoadBalancerAttachment] = {}
        self.listener_arns = {}
        self.target_group_arns = {}
        for listener in args.listeners:
            self._listener(listener, nlb, group, child)

        balancer = self._publish_balancer(nlb, group)
        fronts = {li.service: li.front_port for li in args.listeners}
        self.endpoints = nlb.dns_name.apply(
            lambda dns: {service: f"{dns}:{port}" for service, port in fronts.items()}
        )
        self.register_outputs(
            {
                **balancer,
                "listener_arns": self.listener_arns,
                "target_group_arns": self.target_group_arns,
                "endpoints": self.endpoints,
            }
        )

    def attachment(self, service: str) -> LoadBalancerAttachment:
        """What `service`'s ECS service registers with, and the path from this NLB's group to
        its ports. Raises for a service the NLB has no listener for."""
        found = self._attachments.get(service)
        if found is None:
            known = ", ".join(sorted(self._attachments)) or "none"
            raise ValueError(f"{self._name}: no listener for service {service!r}; allowed: {known}")
        return found

    def _security_group(self, child: pulumi.ResourceOptions) -> ec2.SecurityGroup:
        args = self._args
        where = "internal NLB" if args.internal else "NLB"
        return balancer_security_group(
            self._name,
            "nlb",
            args,
            description=f"{args.name} {where}: its callers to its listeners, out to its "
            "services only",
            ports=sorted({li.front_port for li in args.listeners}),
            internet_callers=given_callers(args.ingress_cidrs, args.ingress_security_group_ids),
            what="the NLB",
            tags=self._tags,
            opts=child,
        )

    def _listener(
        self,
        listener: TcpListener,
        nlb: lb.LoadBalancer,
        group: ec2.SecurityGroup,
        child: pulumi.ResourceOptions,
    ) -> None:
        args, name, service = self._args, self._name, listener.service
        service_tags = {**self._tags, "Service": service}
        target_group = task_target_group(
            f"{name}-{service}-tg",
            args,
            service=service,
            port=listener.port,
            slot="n",
            protocol="TCP",
            health_check=nlb_health_check(listener),
            tags=service_tags,
            opts=child,
            # The tasks see the NLB's address; its security group is what they admit.
            preserve_client_ip="false",
        )
        tls = (
            {"certificate_arn": args.certificate_arn, "ssl_policy": args.ssl_policy}  # ELB.17
            if listener.protocol == "TLS"
            else {}
        )
        front = lb.Listener(
            f"{name}-{service}-listener",
            load_balancer_arn=nlb.arn,
            port=listener.front_port,
            protocol=listener.protocol,
            default_actions=[{"type": "forward", "target_group_arn": target_group.arn}],
            tags=service_tags,
            opts=child,
            **tls,
        )
        # ECS refuses a target group no load balancer uses yet: the ARN the service gets
        # resolves once the listener exists, so the ECS service waits for it.
        # No target-group suffixes: request-count scaling and the ALB's metrics do not apply.
        self._attachments[service] = LoadBalancerAttachment(
            target_group_arn=pulumi.Output.all(target_group.arn, front.arn).apply(
                lambda arns: arns[0]
            ),
            security_group_ids=(group.id,),
            ports=listener.ports,
        )
        self.listener_arns[service] = front.arn
        self.target_group_arns[service] = target_group.arn
