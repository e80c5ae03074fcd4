"""The Application Load Balancer, internet-facing or internal, from its own arguments.

Creates: the ALB in the given subnets (invalid headers dropped, defensive desync mitigation), its
security group (internet-facing: the internet to 80/443 only; internal: the VPC's CIDR, or only
the given private ranges and security groups; each service it routes to opens the path from this
group to its own port: `attachment()`), an HTTPS listener with the given ACM certificate and a
TLS 1.3 policy, an HTTP listener redirecting to HTTPS, per route a target group and one
listener rule with an explicit priority (matching its path patterns, its host headers, or both),
and per guard (`Guard`) a fixed-response rule evaluated before every route. The ALB appends the
client's address to `X-Forwarded-For` (explicitly `append`: the last entry is the one it saw).
Optional: deletion protection, access logs to an S3 bucket the component creates, a WAFv2 web
ACL (its logs and sampled requests with tokens, codes and e-mail addresses of query strings
substituted), and for each route that deploys BLUE_GREEN, LINEAR or CANARY
(`Route.traffic_shift`) a second target group and the IAM role ECS moves the listener rule's
weights with.

Without a certificate the ALB serves plain HTTP: an internet-facing one logs a warning; an
internal one serves HTTP inside the VPC only, like the services' own calls (docs/DESIGN.md,
"Internal ALB").
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from pulumi_aws import cloudwatch, ec2, iam, lb, s3

from ..compute.arguments import port_issues
from ..compute.attachments import LoadBalancerAttachment, TrafficShift
from ..errors import ArgumentError, ConfigIssue, raise_argument_issues
from ..iam_path import role_settings
from ..log_archive import log_bucket
from ..naming import scoped_name
from ..service_trust import ecs_service_trust
from .config import MANAGEMENT_GUARD, WAF_BY_PATH_ONLY, Guard, Route
from .domain import DomainArgs, alias_records, validated_certificate
from .ingress import Caller, admit_callers, admit_private_callers
from .routing import ingress_cidr_problems, rule_conditions, rule_problems
from .rules import (
    ECS_LB_INFRASTRUCTURE_POLICY_ARN,
    HEALTH_CHECK,
    NOT_FOUND,
    REDIRECT_TO_HTTPS,
    WAF_PROTECTED_KEYS_MAX,
    WAF_PROTECTED_QUERY_ARGUMENTS,
    elb_log_delivery,
    elb_name,
    fixed_response,
    forward_action,
    guard_conditions,
    guard_problems,
    public_urls,
    target_group_name,
    visibility,
    waf_data_protection,
    waf_log_group_name,
    waf_redacted_fields,
)
from .waf import DEFAULT_CAPACITY_UNITS, web_acl_problems, web_acl_rules

ACCESS_LOG_PREFIX = "alb"
INTERNET = ("0.0.0.0/0",)  # IPv4 only: the ALB's ip_address_type is ipv4


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


class LoadBalancer(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    listener_arn: pulumi.Output[str]
    """The listener carrying the rules (HTTPS, or HTTP without a certificate)."""
    target_group_arns: dict[str, pulumi.Output[str]]
    """Primary (initially live) target group per routed service."""
    target_group_arn_suffixes: dict[str, pulumi.Output[str]]
    """For CloudWatch dimensions (`TargetGroup`)."""
    alternate_target_group_arn_suffixes: dict[str, pulumi.Output[str]]
    """Blue/green only: the second group per service; after a deployment it is the live one."""
    public_urls: pulumi.Output[dict[str, list[str]]]
    """`{service: [URL per routed path]}`."""
    web_acl_arn: pulumi.Output[str] | None
    access_log_bucket: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None
    ):
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
        if args.waf is not None and len(args.waf.protected_query_arguments) > (
            WAF_PROTECTED_KEYS_MAX
        ):
            raise ValueError(
                f"{name}: at most {WAF_PROTECTED_KEYS_MAX} protected query arguments (WAF)"
            )
        waf_rules = (
            web_acl_rules(args.name, args.waf.rate_limit, args.guards, routes)
            if args.waf is not None
            else []
        )
        if args.waf is not None and (
            problems := web_acl_problems(waf_rules, args.waf.max_capacity_units)
        ):
            raise ValueError(f"{name}: the web ACL: " + "; ".join(problems))
        region = args.region or aws.config.region
        if not region:
            raise ValueError(f"{name}: no region (set aws:region or LoadBalancerArgs.region)")
        super().__init__("accessweaver:edge:LoadBalancer", name, None, opts)
        self._name, self._args, self._region = name, args, region
        self._tags = dict(args.tags)
        child = pulumi.ResourceOptions(parent=self)

        group = self._security_group(child)
        bucket, log_opts = (
            self._access_log_bucket(args.access_logs, child)
            if args.access_logs is not None
            else (None, child)
        )
        alb = lb.LoadBalancer(
            f"{name}-alb",
            name=elb_name(args.name),
            load_balancer_type="application",
            internal=args.internal,
            ip_address_type="ipv4",
            subnets=args.subnet_ids,
            security_groups=[group.id],
            drop_invalid_header_fields=True,  # ELB.4
            desync_mitigation_mode="defensive",  # ELB.12
            # The ALB adds the address it saw last; Keycloak reads the first entry, so its rule
            # refuses a request that already carries the header (docs/DESIGN.md).
            xff_header_processing_mode="append",
            enable_deletion_protection=args.deletion_protection,  # ELB.6
            access_logs=(
                {"bucket": bucket.bucket, "prefix": ACCESS_LOG_PREFIX, "enabled": True}
                if bucket is not None
                else None
            ),
            tags={**self._tags, "Name": args.name},
            opts=log_opts,
        )
        certificate = args.certificate_arn
        if args.domain is not None:
            certificate = validated_certificate(name, args.domain, self, self._tags)
            alias_records(name, args.domain, alb.dns_name, alb.zone_id, self)
        listener = self._listeners(alb, certificate, child)
        self._alb_suffix = alb.arn_suffix
        role = self._traffic_shift_role(child) if args.shifts_traffic else None
        self._attachments: dict[str, LoadBalancerAttachment] = {}
        self.target_group_arns = {}
        self.target_group_arn_suffixes = {}
        self.alternate_target_group_arns = {}
        self.alternate_target_group_arn_suffixes = {}
        for guard in args.guards:
            self._guard(guard, listener, child)
        for route in routes:
            self._route(route, group, listener, role, child)
        self.web_acl_arn = self._web_acl(alb, waf_rules, child) if args.waf is not None else None

        self.arn = alb.arn
        self.arn_suffix = alb.arn_suffix
        self.dns_name = alb.dns_name
        self.zone_id = alb.zone_id
        self.security_group_id = group.id
        self.listener_arn = listener.arn
        https = args.https
        # With a domain, users reach the services by its name, not the ALB's.
        host = pulumi.Output.from_input(args.domain.name) if args.domain else alb.dns_name
        self.public_urls = host.apply(lambda dns: public_urls(dns, routes, https))
        self.access_log_bucket = bucket.bucket if bucket is not None else None
        self.register_outputs(
            {
                "arn": self.arn,
                "arn_suffix": self.arn_suffix,
                "dns_name": self.dns_name,
                "zone_id": self.zone_id,
                "security_group_id": self.security_group_id,
                "listener_arn": self.listener_arn,
                "target_group_arns": self.target_group_arns,
                "target_group_arn_suffixes": self.target_group_arn_suffixes,
                "alternate_target_group_arns": self.alternate_target_group_arns,
                "alternate_target_group_arn_suffixes": self.alternate_target_group_arn_suffixes,
                "public_urls": self.public_urls,
                "web_acl_arn": self.web_acl_arn,
                "access_log_bucket": self.access_log_bucket,
            }
        )

    def routes_to(self, service: str) -> bool:
        """The ALB has a route to `service`."""
        return service in self._attachments

    def attachment(self, service: str) -> LoadBalancerAttachment:
        """What `service`'s ECS service registers with, and the path from this ALB's group to its
        ports. A service the ALB has no route to is an error naming the routed ones (a typo
        must not leave a service silently outside the load balancer): ask `routes_to` first."""
        found = self._attachments.get(service)
        if found is None:
            raise ArgumentError(
                "LoadBalancer",
                self._name,
                "attachment",
                [
                    ConfigIssue(
                        "service",
                        service,
                        "the load balancer has no route to this service",
                        "one of " + (", ".join(sorted(self._attachments)) or "(no route)"),
                    )
                ],
                before_creation=False,
            )
        return found

    # -- security group --------------------------------------------------------------------

    def _security_group(self, child: pulumi.ResourceOptions) -> ec2.SecurityGroup:
        args, name = self._args, self._name
        group = ec2.SecurityGroup(
            f"{name}-alb-sg",
            vpc_id=args.vpc_id,
            description=(
                f"{args.name} internal ALB: its VPC or given peers to its listeners, out to the "
                "routed services only"
                if args.internal
                else f"{args.name} ALB: internet to 80/443, out to the routed services only"
            ),
            tags={**self._tags, "Name": f"{args.name}-alb"},
            opts=child,
        )
        rule_opts = pulumi.ResourceOptions(parent=group)
        # Port 80 stays open with a certificate too: it only answers with a redirect to 443.
        # The egress side is added by each routed service (it knows its own group).
        ports = (80, 443) if args.https else (80,)
        if args.internal:
            admit_private_callers(
                f"{name}-alb",
                group=group,
                vpc_id=args.vpc_id,
                ports=ports,
                cidrs=args.ingress_cidrs,
                security_group_ids=args.ingress_security_group_ids,
                what="the internal ALB",
                opts=rule_opts,
            )
            return group
        admit_callers(
            f"{name}-alb",
            group=group,
            ports=ports,
            callers=[Caller("internet", {"cidr_ipv4": cidr}, "Internet") for cidr in INTERNET],
            what="the ALB",
            opts=rule_opts,
        )
        return group

    # -- access logs -----------------------------------------------------------------------

    def _access_log_bucket(
        self, logs: AccessLogArgs, child: pulumi.ResourceOptions
    ) -> tuple[s3.Bucket, pulumi.ResourceOptions]:
        """S3 bucket for ELB.5; returns it and the options the ALB needs (ELB checks the bucket
        policy when access logs are switched on, so the ALB waits for it)."""
        region = self._region
        bucket, policy = log_bucket(
            f"{self._name}-alb-logs",
            parent=self,
            retention_days=logs.retention_days,
            delivery=lambda arn, account: [
                elb_log_delivery(arn, account, region, ACCESS_LOG_PREFIX)
            ],
            purpose="alb-access-logs",
            protect=logs.protect,
            tags=self._tags,
        )
        return bucket, pulumi.ResourceOptions(parent=child.parent, depends_on=[policy])

    # -- listeners, target groups, rules ---------------------------------------------------

    def _listeners(
        self,
        alb: lb.LoadBalancer,
        certificate: pulumi.Input[str] | None,
        child: pulumi.ResourceOptions,
    ) -> lb.Listener:
        args, name = self._args, self._name
        if certificate is None and args.internal:
            pulumi.log.info(
                f"the internal ALB {args.name} serves plain HTTP on port 80 inside the VPC "
                '(docs/DESIGN.md, "Internal ALB"); give it a certificate for HTTPS.',
                resource=self,
            )
        elif certificate is None:
            pulumi.log.warn(
                f"the ALB {args.name} has no certificate, so it serves plain HTTP on port 80; "
                "give it an ACM certificate to serve HTTPS and redirect HTTP to it.",
                resource=self,
            )
        if certificate is None:
            return lb.Listener(
                f"{name}-http",
                load_balancer_arn=alb.arn,
                port=80,
                protocol="HTTP",
                default_actions=[NOT_FOUND],
                tags=self._tags,
                opts=child,
            )
        lb.Listener(
            f"{name}-http-redirect",
            load_balancer_arn=alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[REDIRECT_TO_HTTPS],  # ELB.1
            tags=self._tags,
            opts=child,
        )
        return lb.Listener(
            f"{name}-https",
            load_balancer_arn=alb.arn,
            port=443,
            protocol="HTTPS",
            certificate_arn=certificate,
            ssl_policy=args.ssl_policy,  # ELB.17
            default_actions=[NOT_FOUND],
            tags=self._tags,
            opts=child,
        )

    def _guard(self, guard: Guard, listener: lb.Listener, child: pulumi.ResourceOptions) -> None:
        lb.ListenerRule(
            f"{self._name}-guard-{guard.name}",
            listener_arn=listener.arn,
            priority=guard.priority,
            conditions=guard_conditions(guard),
            actions=[fixed_response(guard.status_code)],
            tags={**self._tags, "Purpose": "edge-guard"},
            opts=child,
        )

    def _route(
        self,
        route: Route,
        group: ec2.SecurityGroup,
        listener: lb.Listener,
        role: iam.Role | None,
        child: pulumi.ResourceOptions,
    ) -> None:
        args, name = self._args, self._name
        service_tags = {**self._tags, "Service": route.service}

        def target_group(slot: str) -> lb.TargetGroup:
            return lb.TargetGroup(
                f"{name}-{route.service}-tg-{slot}",
                name=target_group_name(
                    args.project, args.environment, route.service, route.port, slot
                ),
                port=route.port,
                protocol="HTTP",
                target_type="ip",
                vpc_id=args.vpc_id,
                deregistration_delay=args.deregistration_delay,
                health_check={
                    **HEALTH_CHECK,
                    "path": route.health_check_path,
                    "port": str(route.health_check_port or "traffic-port"),
                },
                tags=service_tags,
                opts=child,
            )

        primary = target_group("a")
        alternate = target_group("b") if route.traffic_shift and role is not None else None
        rule = lb.ListenerRule(
            f"{name}-{route.service}-rule",
            listener_arn=listener.arn,
            priority=route.priority,
            conditions=rule_conditions(route.host_headers, route.path_patterns),
            actions=[forward_action(primary.arn, alternate.arn if alternate else None)],
            tags=service_tags,
            opts=pulumi.ResourceOptions.merge(
                child,
                # Blue/green, linear, canary: ECS owns the weights after the first deployment;
                # `pulumi up` must not move traffic back to the group it drained.
                pulumi.ResourceOptions(ignore_changes=["actions"] if alternate else None),
            ),
        )
        shift = None
        if alternate is not None and role is not None:
            shift = TrafficShift(
                alternate_target_group_arn=alternate.arn,
                production_listener_rule_arn=rule.arn,
                role_arn=role.arn,
                alternate_target_group_arn_suffix=alternate.arn_suffix,
            )
        self._attachments[route.service] = LoadBalancerAttachment(
            target_group_arn=primary.arn,
            security_group_ids=(group.id,),
            ports=route.ports,
            target_group_arn_suffix=primary.arn_suffix,
            load_balancer_arn_suffix=self._alb_suffix,
            traffic_shift=shift,
        )
        self.target_group_arns[route.service] = primary.arn
        self.target_group_arn_suffixes[route.service] = primary.arn_suffix
        if alternate is not None:
            self.alternate_target_group_arns[route.service] = alternate.arn
            self.alternate_target_group_arn_suffixes[route.service] = alternate.arn_suffix

    def _traffic_shift_role(self, child: pulumi.ResourceOptions) -> iam.Role:
        name = self._name
        role = iam.Role(
            f"{name}-ecs-lb-role",
            description=f"{self._args.name}: ECS moves listener-rule weights (blue/green, "
            "linear, canary)",
            assume_role_policy=aws.get_caller_identity_output().account_id.apply(
                lambda acct: json.dumps(ecs_service_trust(acct, self._region))
            ),
            **role_settings(self._tags, self._args.permissions_boundary),
            opts=child,
        )
        iam.RolePolicyAttachment(
            f"{name}-ecs-lb-policy",
            role=role.name,
            policy_arn=ECS_LB_INFRASTRUCTURE_POLICY_ARN,
            opts=pulumi.ResourceOptions(parent=role),
        )
        return role

    # -- WAF -------------------------------------------------------------------------------

    def _web_acl(
        self, alb: lb.LoadBalancer, rules: list[dict], child: pulumi.ResourceOptions
    ) -> pulumi.Output[str]:
        # Imported here: stacks without WAF never load the wafv2 SDK module (plan time).
        from pulumi_aws import wafv2

        args, name = self._args, self._name
        assert args.waf is not None
        acl = wafv2.WebAcl(
            f"{name}-waf",
            description=f"{args.name} ALB: rate limits, AWS managed rules, size limits per route",
            scope="REGIONAL",
            default_action={"allow": {}},
            rules=rules,
            # What WAF keeps of a request (logs, samples) carries no token, code or address.
            data_protection_config=waf_data_protection(args.waf.protected_query_arguments),
            visibility_config=visibility(f"{args.name}-web-acl"),
            tags=self._tags,
            opts=child,
        )
        wafv2.WebAclAssociation(
            f"{name}-waf-association",
            resource_arn=alb.arn,
            web_acl_arn=acl.arn,
            opts=pulumi.ResourceOptions(parent=acl),
        )
        if args.waf.log_retention_days is not None:
            # WAF only delivers to destinations named aws-waf-logs-*; it writes the log group's
            # resource policy itself when logging is switched on (docs/DESIGN.md).
            log_group = cloudwatch.LogGroup(
                f"{name}-waf-logs",
                name=waf_log_group_name(args.name),
                retention_in_days=args.waf.log_retention_days,
                tags={**self._tags, "Purpose": "waf-logs"},
                opts=pulumi.ResourceOptions(parent=acl),
            )
            wafv2.WebAclLoggingConfiguration(
                f"{name}-waf-logging",
                resource_arn=acl.arn,
                log_destination_configs=[log_group.arn],
                redacted_fields=waf_redacted_fields(),
                opts=pulumi.ResourceOptions(parent=acl),
            )
        return acl.arn


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
