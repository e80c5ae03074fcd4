"""The Application Load Balancer's arguments (`LoadBalancerArgs`, `AccessLogArgs`, `WafArgs`)
and every check the component runs on them before any resource is registered
(`checked_load_balancer`): the component is in `load_balancer.py`, which re-exports these.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from ..compute.arguments import port_issues
from ..errors import ConfigIssue, raise_argument_issues
from ..naming import scoped_name
from .config import MANAGEMENT_GUARD, WAF_BY_PATH_ONLY, Guard, Route
from .domain import DomainArgs
from .routing import ingress_cidr_problems, rule_problems
from .rules import (
    WAF_PROTECTED_KEYS_MAX,
    WAF_PROTECTED_QUERY_ARGUMENTS,
    elb_name,
    guard_problems,
)
from .waf import DEFAULT_CAPACITY_UNITS, web_acl_problems, web_acl_rules


@dataclass(frozen=True)
class AccessLogArgs:
    retention_days: int = 90
    """Days access-log objects are kept."""
    protect: bool = False
    """`protect=True` on the bucket (stateful: the audit trail)."""


@dataclass(frozen=True)
class WafArgs:
    rate_limit: int = 2000
    """Requests per client IP per 5 minutes before the rate rule blocks, for every request no
    route's own rate limit (`Route.rate_limit`) counts."""
    max_capacity_units: int = DEFAULT_CAPACITY_UNITS
    """The most WCUs the web ACL may use (1,500 within WAF's base price, 5,000 at most): rules
    that need more are refused before any resource is registered."""
    log_retention_days: int | None = 90
    """Log every request the web ACL sees to the log group `aws-waf-logs-<name>` (WAF.11),
    `authorization` and `cookie` headers redacted, kept this many days; None = no logging."""
    protected_query_arguments: Sequence[str] = WAF_PROTECTED_QUERY_ARGUMENTS
    """Query arguments WAF substitutes in its logs and sampled requests (at most 100)."""


@dataclass(frozen=True)
class LoadBalancerArgs:
    vpc_id: pulumi.Input[str]
    """Accepts an Output (a VPC created in the same program)."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """Subnets in at least two AZs: public ones, or private ones for `internal=True`."""
    routes: Sequence[Route]
    """One target group and one listener rule per route; priorities must be unique. A route
    matches its `path_patterns`, its `host_headers`, or both (at most 5 values and 5 wildcards
    per rule, 3 host names, 128 characters each: `routing.rule_problems`)."""
    name: str | None = field(default=None, kw_only=True)
    """Physical ALB name (at most 32 characters); also the prefix of its other names. Default
    `<project>-<stack>-<component name>`, cut to 32 characters with a digest
    (`components/naming.py`)."""
    project: str | None = field(default=None, kw_only=True)
    """With `environment`: the target group names (`<env>-<service>-<port>-<slot>-<hash>`,
    32 characters at most); default: the Pulumi project."""
    environment: str | None = field(default=None, kw_only=True)
    """Default: the Pulumi stack (target groups of two stacks never share a name)."""
    guards: Sequence[Guard] = (MANAGEMENT_GUARD,)
    """Fixed-response rules evaluated before every route (lower priorities than all routes);
    the web ACL also blocks their `waf_paths` in every spelling."""
    certificate_arn: pulumi.Input[str] | None = None
    """ACM certificate in the ALB's region (an Output accepted: a certificate of the same
    program); None = plain HTTP (a warning is logged), unless `domain` is given."""
    domain: DomainArgs | None = None
    """A Route 53 zone and names: the component creates and validates the certificate and the
    alias records (instead of `certificate_arn`)."""
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    deletion_protection: bool = True
    access_logs: AccessLogArgs | None = None
    deregistration_delay: int = 30
    waf: WafArgs | None = None
    region: str | None = None
    """Default: the provider's `aws:region` (access-log delivery principal)."""
    permissions_boundary: pulumi.Input[str] | None = None
    """The managed policy every role of the component is created with as its permissions
    boundary (the bootstrap's `<project>-<env>-boundary`); None = no boundary."""
    tags: Mapping[str, str] = field(default_factory=dict)
    internal: bool = False
    """An internal ALB (private addresses only, in private `subnet_ids`): reachable from the
    VPC, or only from `ingress_cidrs` / `ingress_security_group_ids` when given; no ingress
    from the internet. HTTP without a certificate is allowed (docs/DESIGN.md)."""
    ingress_cidrs: Sequence[str] = ()
    """Internal only: private IPv4 ranges admitted on the listener ports (a peered VPC, a VPN);
    () with no `ingress_security_group_ids` = the VPC's own CIDR block (looked up)."""
    ingress_security_group_ids: Sequence[pulumi.Input[str]] = ()
    """Internal only: security groups admitted on the listener ports (callers of one's own);
    accepts Outputs."""

    @property
    def https(self) -> bool:
        return self.certificate_arn is not None or self.domain is not None

    def problems(self) -> list[str]:
        """Conflicting or impossible arguments ([] = none), all of them."""
        problems = []
        if self.certificate_arn is not None and self.domain is not None:
            problems.append("give certificate_arn or domain, not both")
        if not self.internal and (self.ingress_cidrs or self.ingress_security_group_ids):
            problems.append(
                "ingress_cidrs and ingress_security_group_ids apply to an internal ALB only "
                "(internal=True); an internet-facing one admits the internet on 80/443"
            )
        for cidr in self.ingress_cidrs:
            problems += [f"ingress_cidrs {cidr!r}: {p}" for p in ingress_cidr_problems(cidr)]
        for route in self.routes:
            if route.default and route.host_headers:
                problems.append(
                    f"route {route.service}: the default route takes every host (no host_headers)"
                )
            problems += [
                f"route {route.service}: {p}"
                for p in rule_problems(route.host_headers, route.path_patterns)
            ]
            if route.host_headers and route.waf_settings:
                problems.append(f"route {route.service}: {WAF_BY_PATH_ONLY}")
        return problems

    @property
    def shifts_traffic(self) -> bool:
        """Some route deploys BLUE_GREEN, LINEAR or CANARY (the role ECS uses is then built)."""
        return any(route.traffic_shift for route in self.routes)


@dataclass(frozen=True)
class CheckedLoadBalancer:
    """What the component builds from, once its arguments passed every check."""

    args: LoadBalancerArgs
    """The arguments with their defaults filled in (`name`, `project`, `environment`)."""
    routes: list[Route]
    """In priority order."""
    waf_rules: list[dict[str, Any]]
    """The web ACL's rules ([] without `waf`)."""
    region: str


def checked_load_balancer(name: str, args: LoadBalancerArgs) -> CheckedLoadBalancer:
    """`args` with the stack's defaults, checked before any resource is registered: raises
    `ArgumentError` for bad ports or a certificate given twice, `ValueError` for clashing
    routes, guards, ingress or a web ACL WAF would refuse."""
    # Names default to the stack's own: two stacks never ask for the same ALB or group.
    args = dataclasses.replace(
        args,
        name=args.name if args.name is not None else elb_name(scoped_name(name)),
        project=args.project if args.project is not None else pulumi.get_project(),
        environment=args.environment if args.environment is not None else pulumi.get_stack(),
    )
    issues = [
        issue
        for index, route in enumerate(args.routes)
        for issue in port_issues(f"routes[{index}].ports", route.ports)
    ]
    if args.certificate_arn is not None and args.domain is not None:
        issues.append(
            ConfigIssue(
                "domain",
                args.domain.name,
                "give certificate_arn or domain, not both (certificate_arn is set)",
                "certificate_arn=None with a domain (its certificate is created)",
            )
        )
    raise_argument_issues("LoadBalancer", name, "LoadBalancerArgs", issues)
    routes = _checked_routes(args.routes)
    problems = guard_problems(args.guards, routes) + args.problems()
    if problems:
        raise ValueError(f"{name}: " + "; ".join(problems))
    waf_rules = _checked_waf_rules(name, args, routes)
    region = args.region or aws.config.region
    if not region:
        raise ValueError(f"{name}: no region (set aws:region or LoadBalancerArgs.region)")
    return CheckedLoadBalancer(args, routes, waf_rules, region)


def _checked_waf_rules(
    name: str, args: LoadBalancerArgs, routes: Sequence[Route]
) -> list[dict[str, Any]]:
    """The web ACL's rules, within what WAF accepts ([] without `waf`)."""
    if args.waf is None:
        return []
    if len(args.waf.protected_query_arguments) > WAF_PROTECTED_KEYS_MAX:
        raise ValueError(
            f"{name}: at most {WAF_PROTECTED_KEYS_MAX} protected query arguments (WAF)"
        )
    waf_rules = web_acl_rules(args.name, args.waf.rate_limit, args.guards, routes)
    if problems := web_acl_problems(waf_rules, args.waf.max_capacity_units):
        raise ValueError(f"{name}: the web ACL: " + "; ".join(problems))
    return waf_rules


def _checked_routes(routes: Sequence[Route]) -> list[Route]:
    """Catalog routes are checked with the stack config; routes the program adds are checked
    again here, together, before any resource exists."""
    problems = []
    by_priority: dict[int, str] = {}
    by_service: set[str] = set()
    for route in routes:
        if route.priority in by_priority:
            owner = by_priority[route.priority]
            problems.append(f"priority {route.priority} of {route.service} is already {owner}'s")
        by_priority.setdefault(route.priority, route.service)
        if route.service in by_service:
            problems.append(f"{route.service} is routed twice")
        by_service.add(route.service)
    if problems:
        raise ValueError("ALB routes clash: " + "; ".join(problems))
    return sorted(routes, key=lambda r: r.priority)
