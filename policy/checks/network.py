"""Policy checks: VPCs, subnets and security groups (EC2.2/6/15/18/19, NET.1*)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .base import (
    DEFAULT_SECURITY_GROUP,
    FLOW_LOG,
    INGRESS_RULE,
    LISTENERS,
    LOAD_BALANCERS,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    SERVICE,
    SUBNET,
    _resource,
    _stack,
    companions,
    get,
    is_true,
    items,
    linked,
    number,
    of_type,
    urn_of,
)
from .flags import Flag, flag_policy


def _vpcs(resources: Sequence[Any]) -> list[Any]:
    """The VPCs the stack creates: aws VPCs, and awsx VPCs whose children are not visible."""
    found = of_type(resources, "aws:ec2/vpc:Vpc")
    built = {urn_of(getattr(v, "parent", None)) for v in found if getattr(v, "parent", None)}
    found += [v for v in of_type(resources, "awsx:ec2:Vpc") if urn_of(v) not in built]
    return found


@_stack(
    "ec2-default-security-group-closed", ("EC2.2",), "A",
    "the default security group of every VPC the stack creates has no rule",
    "adopt it with ec2.DefaultSecurityGroup(vpc_id=...) and no ingress or egress blocks.",
)  # fmt: skip
def ec2_default_sg(resources):
    for group in of_type(resources, DEFAULT_SECURITY_GROUP):
        if items(get(group.props, "ingress")) or items(get(group.props, "egress")):
            yield group, "the default security group has rules"
    for vpc in _vpcs(resources):
        if not companions(resources, vpc, DEFAULT_SECURITY_GROUP):
            yield vpc, "the VPC's default security group keeps AWS's allow-all rules"


@_stack(
    "ec2-vpc-flow-logs", ("EC2.6",), "P",
    "every VPC the stack creates has flow logs of all traffic",
    "add ec2.FlowLog(vpc_id=..., traffic_type='ALL') (stack config network.flowLogs).",
)  # fmt: skip
def ec2_flow_logs(resources):
    for log in of_type(resources, FLOW_LOG):
        if get(log.props, "trafficType") != "ALL":
            yield log, f"traffic_type is {get(log.props, 'trafficType')!r}, not 'ALL'"
    for vpc in _vpcs(resources):
        if not companions(resources, vpc, FLOW_LOG):
            yield vpc, "the VPC has no flow log"


flag_policy(
    "ec2-subnet-no-public-ip", ("EC2.15",), "A", (SUBNET,),
    "subnets do not auto-assign public IPv4 addresses",
    "set map_public_ip_on_launch=False (the ALB gets its addresses without it).",
    Flag("mapPublicIpOnLaunch", "map_public_ip_on_launch", "not true"),
)  # fmt: skip


_WORLD = ("0.0.0.0/0", "::/0")
# FSBP EC2.19's high-risk ports, plus Redis (6379) per docs/CONTROLS.md.
HIGH_RISK_PORTS = (
    20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432,
    5500, 5601, 6379, 8080, 8088, 8888, 9200, 9300,
)  # fmt: skip


@dataclass(frozen=True)
class OpenRule:
    """An ingress rule open to the whole internet."""

    protocol: str
    from_port: int
    to_port: int

    @property
    def all_ports(self) -> bool:
        every = self.protocol in ("-1", "all")
        return every or (self.from_port, self.to_port) in ((0, 0), (-1, -1))

    def covers(self, port: int) -> bool:
        return self.all_ports or self.from_port <= port <= self.to_port

    def describe(self) -> str:
        span = f"{self.protocol} {self.from_port}-{self.to_port}"
        ports = "all ports" if self.all_ports else span
        return f"{ports} open to the internet"


def _cidrs(entry: Mapping[str, Any]) -> list[Any]:
    return items(get(entry, "cidrBlocks")) + items(get(entry, "ipv6CidrBlocks"))


def open_rules(resource_type: str, props: Mapping[str, Any]) -> list[OpenRule]:
    def rule(entry: Mapping[str, Any], protocol_key: str) -> OpenRule:
        return OpenRule(
            str(get(entry, protocol_key, default="-1")).lower(),
            int(number(get(entry, "fromPort")) or 0),
            int(number(get(entry, "toPort")) or 0),
        )

    if resource_type == INGRESS_RULE:
        if get(props, "cidrIpv4") in _WORLD or get(props, "cidrIpv6") in _WORLD:
            return [rule(props, "ipProtocol")]
    elif resource_type == SECURITY_GROUP_RULE:
        if get(props, "type") == "ingress" and any(c in _WORLD for c in _cidrs(props)):
            return [rule(props, "protocol")]
    elif resource_type == SECURITY_GROUP:
        return [
            rule(entry, "protocol")
            for entry in items(get(props, "ingress"))
            if any(c in _WORLD for c in _cidrs(entry))
        ]
    return []


_RULE_TYPES = (INGRESS_RULE, SECURITY_GROUP_RULE, SECURITY_GROUP)


def _nlb_listener_ports(resources: Sequence[Any]) -> dict[str, set[int]]:
    """Security group URN of each Network Load Balancer -> the ports its listeners take."""
    found: dict[str, set[int]] = {}
    for balancer in of_type(resources, LOAD_BALANCERS):
        if get(balancer.props, "loadBalancerType") != "network":
            continue
        ports = {
            int(number(get(listener.props, "port")) or 0)
            for listener in companions(resources, balancer, LISTENERS)
        }
        for dep in getattr(balancer, "dependencies", []) or []:
            if dep.resource_type == SECURITY_GROUP:
                found.setdefault(urn_of(dep), set()).update(ports)
    return found


@_stack(
    "ec2-internet-ingress-alb-only", ("EC2.18",), "A",
    "ingress from 0.0.0.0/0 or ::/0 is only allowed to a load balancer's security group, on "
    "TCP 80 and 443 (an internet-facing NLB's: on its listener ports)",
    "remove the open rule, or restrict it to tcp 80/443 on the ALB's security group; reach "
    "services through the ALB or ECS Exec.",
)  # fmt: skip
def ec2_internet_ingress(resources):
    balancer_groups = {
        urn_of(dep)
        for balancer in of_type(resources, LOAD_BALANCERS)
        for dep in getattr(balancer, "dependencies", []) or []
        if dep.resource_type == SECURITY_GROUP
    }
    nlb_ports = _nlb_listener_ports(resources)
    for resource in of_type(resources, _RULE_TYPES):
        for rule in open_rules(resource.resource_type, resource.props):
            single_tcp = (
                rule.protocol in ("tcp", "6")
                and not rule.all_ports
                and rule.from_port == rule.to_port
            )
            if single_tcp and rule.from_port not in (80, 443):
                # An NLB in front of a TCP service listens where that service does.
                groups = _groups_of(resource)
                if any(rule.from_port in nlb_ports.get(urn_of(g), set()) for g in groups):
                    continue
            if not single_tcp or rule.from_port not in (80, 443):
                yield resource, f"{rule.describe()}: only tcp 80 and 443 may be"
                continue
            groups = _groups_of(resource)
            if not groups or not any(urn_of(g) in balancer_groups for g in groups):
                yield resource, f"{rule.describe()} on a group no load balancer of the stack uses"


def _groups_of(resource: Any) -> list[Any]:
    """The security group a rule belongs to (or the group itself)."""
    if resource.resource_type == SECURITY_GROUP:
        return [resource]
    return [d for d in getattr(resource, "dependencies", []) or []
            if d.resource_type == SECURITY_GROUP]  # fmt: skip


@_resource(
    "ec2-no-open-high-risk-ports", ("EC2.19",), "A", _RULE_TYPES,
    "high-risk ports (SSH 22, RDP 3389, PostgreSQL 5432, Redis 6379, ...) are never open to "
    "the internet",
    "remove the rule; administer through ECS Exec or SSM, reach data stores from the services' "
    "security group only.",
)  # fmt: skip
def ec2_high_risk_ports(resource):
    props = resource.props
    for rule in open_rules(resource.resource_type, props):
        exposed = [p for p in HIGH_RISK_PORTS if rule.covers(p)]
        if exposed:
            shown = ", ".join(map(str, exposed[:6])) + (", ..." if len(exposed) > 6 else "")
            yield f"{rule.describe()} exposes {shown}"


def _ingress_sources(resource: Any) -> list[str]:
    """Where each ingress rule of this resource admits traffic from, other than a security
    group: CIDR blocks and prefix lists (an ingress rule naming a group yields nothing)."""
    props = resource.props
    if resource.resource_type == INGRESS_RULE:
        entries = [props]
        keys = ("cidrIpv4", "cidrIpv6", "prefixListId")
    elif resource.resource_type == SECURITY_GROUP_RULE:
        entries = [props] if get(props, "type") == "ingress" else []
        keys = ("cidrBlocks", "ipv6CidrBlocks", "prefixListIds")
    else:
        entries = items(get(props, "ingress"))
        keys = ("cidrBlocks", "ipv6CidrBlocks", "prefixListIds")
    return [str(v) for entry in entries for key in keys for v in items(get(entry, key))]


@_stack(
    "ecs-public-tasks-reached-by-groups-only", ("NET.1*",), "A",
    "a service whose tasks have a public IPv4 address (dev's network.taskPublicIps) admits "
    "inbound traffic from security groups only: the ALB's and its callers', never an address "
    "range or prefix list",
    "remove the rule admitting an address range, or run the tasks in private subnets "
    "(network.taskPublicIps: false).",
)  # fmt: skip
def ecs_public_tasks_groups_only(resources):
    public = [
        s for s in of_type(resources, SERVICE)
        if is_true(get(s.props, "networkConfiguration", "assignPublicIp"))
    ]  # fmt: skip
    if not public:
        return
    rules = of_type(resources, _RULE_TYPES)
    for service in public:
        groups = [
            d for d in linked(service, "networkConfiguration")
            if d.resource_type == SECURITY_GROUP
        ]  # fmt: skip
        if not groups:
            yield (
                service,
                (
                    "its tasks have public addresses and its security groups are not the stack's "
                    "own: what they admit cannot be checked"
                ),
            )
            continue
        owned = {urn_of(g) for g in groups}
        for rule in rules:
            on = [rule] if rule.resource_type == SECURITY_GROUP else linked(rule, "securityGroupId")
            if not any(urn_of(g) in owned for g in on):
                continue
            for source in _ingress_sources(rule):
                yield rule, f"{rule.name} admits {source} to tasks with public addresses"
