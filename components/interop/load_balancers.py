"""The package's load balancers: the Application Load Balancer of HTTP services and the Network
Load Balancer of TCP ones.

No `from __future__ import annotations`: the package schema is read from the annotations at run
time (see `package.py`).
"""

import enum
from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi

from ..edge.config import Route
from ..edge.load_balancer import AccessLogArgs, LoadBalancerArgs, WafArgs
from ..edge.load_balancer import LoadBalancer as PyLoadBalancer
from ..edge.network_load_balancer import NetworkLoadBalancer as PyNetworkLoadBalancer
from ..edge.network_load_balancer import NetworkLoadBalancerArgs
from ..edge.tcp import TcpListener
from .wrapping import component_type, optional_int, publish, same_named

ROUTE_PRIORITY_START = 100
ROUTE_PRIORITY_STEP = 10


class LoadBalancerRoute(TypedDict):
    """A service the load balancer routes to: its target group and its listener rule."""

    service: str
    """The service's name: the key of its target group in `target_group_arns` and `urls`."""
    port: int
    """The container port the target group sends requests to."""
    path_patterns: NotRequired[Sequence[str]]
    """ALB path patterns of the rule; default ["/*"], none when `host_headers` are given."""
    host_headers: NotRequired[Sequence[str]]
    """Host names the rule matches (`*.example.com` too); with path patterns, both must match."""
    priority: NotRequired[int]
    """The rule's priority (10-50000, unique); default 100 + 10 x its position in `routes`."""
    health_check_path: NotRequired[str]
    """The path the target group checks; default /health."""


class LoadBalancerArgs_(TypedDict):
    name: NotRequired[str]
    """The ALB's name (32 characters at most: longer ones are cut and hashed); default scoped."""
    vpc_id: pulumi.Input[str]
    """The VPC of the ALB and its target groups."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """Subnets in two AZs or more: public ones, or private ones for an internal ALB."""
    internal: NotRequired[bool]
    """Private addresses only (its VPC, or the ingress ranges and groups); default false."""
    ingress_cidrs: NotRequired[Sequence[str]]
    """Internal only: private IPv4 ranges admitted on the listeners (a peered VPC, a VPN)."""
    ingress_security_group_ids: NotRequired[Sequence[pulumi.Input[str]]]
    """Internal only: security groups admitted on the listeners (the callers' own)."""
    routes: Sequence[LoadBalancerRoute]
    """The services it routes to: one target group and one listener rule each."""
    certificate_arn: NotRequired[pulumi.Input[str]]
    """ACM certificate: HTTPS on 443 (TLS 1.3 policy), HTTP redirected; unset = HTTP on 80."""
    deletion_protection: NotRequired[bool]
    """ELB deletion protection; default true."""
    waf: NotRequired[bool]
    """A WAFv2 web ACL (managed rules, rate limit, logs); default true unless internal."""
    waf_rate_limit: NotRequired[int]
    """Requests per client IP per 5 minutes before the rate rule blocks; default 2000."""
    access_log_retention_days: NotRequired[int]
    """Access logs to an S3 bucket of its own, kept this many days; default 90; 0 = none."""
    region: NotRequired[str]
    """AWS region; default the provider's."""
    tags: NotRequired[Mapping[str, str]]
    """Tags on every resource."""


class LoadBalancer(pulumi.ComponentResource):
    """An Application Load Balancer: HTTPS with a TLS 1.3 policy, invalid headers dropped, a
    rule and target group per service, Spring's /actuator paths refused, WAF and access logs."""

    arn: pulumi.Output[str]
    """The ALB's ARN."""
    dns_name: pulumi.Output[str]
    """The ALB's DNS name."""
    zone_id: pulumi.Output[str]
    """The ALB's hosted zone (for a Route 53 alias record)."""
    security_group_id: pulumi.Output[str]
    """The ALB's security group (a Microservice's `loadBalancerSecurityGroupIds`)."""
    listener_arn: pulumi.Output[str]
    """The listener carrying the rules (HTTPS, or HTTP without a certificate)."""
    target_group_arns: pulumi.Output[Mapping[str, str]]
    """Target group per routed service (a Microservice's `targetGroupArn`)."""
    urls: pulumi.Output[Mapping[str, Sequence[str]]]
    """URLs per routed service, one per path pattern."""

    def __init__(
        self, name: str, args: LoadBalancerArgs_, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(component_type(LoadBalancer), name, None, opts)
        retention = optional_int(args.get("access_log_retention_days"), 90)
        internal = bool(args.get("internal"))
        waf = bool(args.get("waf", not internal))
        balancer = PyLoadBalancer(
            name,
            LoadBalancerArgs(
                name=args.get("name"),
                vpc_id=args["vpc_id"],
                subnet_ids=args["subnet_ids"],
                routes=[_route(route, index) for index, route in enumerate(args["routes"])],
                internal=internal,
                ingress_cidrs=tuple(args.get("ingress_cidrs") or ()),
                ingress_security_group_ids=tuple(args.get("ingress_security_group_ids") or ()),
                certificate_arn=args.get("certificate_arn"),  # type: ignore[arg-type]
                deletion_protection=bool(args.get("deletion_protection", True)),
                access_logs=AccessLogArgs(retention_days=retention) if retention else None,
                waf=(
                    WafArgs(rate_limit=optional_int(args.get("waf_rate_limit"), 2000) or 2000)
                    if waf
                    else None
                ),
                region=args.get("region"),
                tags=dict(args.get("tags") or {}),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        publish(
            self,
            {
                **same_named(
                    balancer, "arn", "dns_name", "zone_id", "security_group_id", "listener_arn"
                ),
                "target_group_arns": pulumi.Output.all(**balancer.target_group_arns),
                "urls": balancer.public_urls,
            },
        )


def _route(route: LoadBalancerRoute, index: int) -> Route:
    priority = optional_int(
        route.get("priority"), ROUTE_PRIORITY_START + ROUTE_PRIORITY_STEP * index
    )
    hosts = tuple(route.get("host_headers") or ())
    return Route(
        service=route["service"],
        port=int(route["port"]),
        health_check_path=route.get("health_check_path") or "/health",
        path_patterns=tuple(route.get("path_patterns") or (() if hosts else ("/*",))),
        host_headers=hosts,
        priority=priority or ROUTE_PRIORITY_START,
    )


# -- NetworkLoadBalancer ------------------------------------------------------------------------


class TcpProtocol(enum.StrEnum):
    """What a TCP listener does with the connection."""

    TCP = "TCP"
    """Passes the bytes through."""
    TLS = "TLS"
    """Terminates TLS with `certificate_arn` and forwards plain TCP to the tasks."""


class NetworkLoadBalancerListener(TypedDict):
    """A TCP service behind the NLB: a listener and a target group of its tasks."""

    service: str
    """The service's name: its key in `target_group_arns` and `endpoints`."""
    port: int
    """The container port the tasks listen on."""
    listener_port: NotRequired[int]
    """The port clients connect to; default `port`."""
    protocol: NotRequired[TcpProtocol]
    """TCP (default) or TLS."""
    health_check_path: NotRequired[str]
    """An HTTP path the target group checks; default a TCP connection check."""


class NetworkLoadBalancerArgs_(TypedDict):
    name: str
    """The NLB's name (at most 32 characters, longer ones are cut and end with a hash)."""
    vpc_id: pulumi.Input[str]
    """The VPC of the NLB and its target groups."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """Subnets in two AZs or more: private ones when internal, public ones otherwise."""
    listeners: Sequence[NetworkLoadBalancerListener]
    """One listener and one target group per TCP service; listener ports unique."""
    internal: NotRequired[bool]
    """Private addresses only; default true."""
    ingress_cidrs: NotRequired[Sequence[str]]
    """IPv4 ranges admitted on the listeners; default the VPC's (internal); required otherwise."""
    ingress_security_group_ids: NotRequired[Sequence[pulumi.Input[str]]]
    """Security groups admitted on the listener ports."""
    certificate_arn: NotRequired[pulumi.Input[str]]
    """ACM certificate of the TLS listeners."""
    deletion_protection: NotRequired[bool]
    """ELB deletion protection; default true."""
    tags: NotRequired[Mapping[str, str]]
    """Tags on every resource."""


class NetworkLoadBalancer(pulumi.ComponentResource):
    """A Network Load Balancer for TCP services: internal by default, a security group of its
    own, cross-zone, a TCP or TLS listener and an ip target group per service."""

    arn: pulumi.Output[str]
    """The NLB's ARN."""
    dns_name: pulumi.Output[str]
    """The NLB's DNS name."""
    zone_id: pulumi.Output[str]
    """The NLB's hosted zone (for a Route 53 alias record)."""
    security_group_id: pulumi.Output[str]
    """The NLB's security group (a Microservice's `loadBalancerSecurityGroupIds`)."""
    target_group_arns: pulumi.Output[Mapping[str, str]]
    """Target group per service (a Microservice's `targetGroupArn`)."""
    endpoints: pulumi.Output[Mapping[str, str]]
    """`<dns name>:<listener port>` per service."""

    def __init__(
        self,
        name: str,
        args: NetworkLoadBalancerArgs_,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(component_type(NetworkLoadBalancer), name, None, opts)
        balancer = PyNetworkLoadBalancer(
            name,
            NetworkLoadBalancerArgs(
                name=args["name"],
                vpc_id=args["vpc_id"],
                subnet_ids=args["subnet_ids"],
                listeners=[_listener(listener) for listener in args["listeners"]],
                project=pulumi.get_project(),
                environment=pulumi.get_stack(),
                internal=bool(args.get("internal", True)),
                ingress_cidrs=tuple(args.get("ingress_cidrs") or ()),
                ingress_security_group_ids=tuple(args.get("ingress_security_group_ids") or ()),
                certificate_arn=args.get("certificate_arn"),
                deletion_protection=bool(args.get("deletion_protection", True)),
                tags=dict(args.get("tags") or {}),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        publish(
            self,
            {
                **same_named(balancer, "arn", "dns_name", "zone_id", "security_group_id"),
                "target_group_arns": pulumi.Output.all(**balancer.target_group_arns),
                "endpoints": balancer.endpoints,
            },
        )


def _listener(listener: NetworkLoadBalancerListener) -> TcpListener:
    path = listener.get("health_check_path")
    return TcpListener(
        service=listener["service"],
        port=int(listener["port"]),
        listener_port=optional_int(listener.get("listener_port")),
        protocol=TcpProtocol(listener.get("protocol") or "TCP").value,  # type: ignore[arg-type]
        health_check_protocol="HTTP" if path else "TCP",
        health_check_path=path,
    )
