"""The `edge` stack key: the ALB the program builds (`edge.enabled: true`), internet-facing or
internal (`edge.internal`): HTTPS listener, path and host-header rules per public service, WAF,
access logs and blue/green deployments of the public services; and the `networkLoadBalancer`
key: an NLB in front of TCP services. Their per-environment defaults and the rules that span
their keys.

This module holds the `edge` models and `resolve_edge`; the routes and their planning are in
`routes.py`, what both load balancers share (TLS policies, certificate ARNs, `EDGE_DEFAULTS`)
in `elb_config.py`, the `networkLoadBalancer` key in `nlb_config.py`. Every name stays
importable from here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from ..errors import ConfigIssue
from ..formats import ConfigModel, Environment, Flag, Hostname, SecurityGroupId
from ..network.config import require_control
from .elb_config import (
    EDGE_DEFAULTS,
    CertificateArn,
    EdgeDefaults,
    SslPolicy,
    certificate_region_issues,
    disabled_key_issues,
    ingress_sources,
    resolved_deletion_protection,
)
from .nlb_config import (
    NetworkLoadBalancerConfig,
    NetworkLoadBalancerSettings,
    NlbListenerConfig,
    TcpService,
    resolve_network_load_balancer,
)
from .routes import (
    AUTO_PRIORITY_START,
    AUTO_PRIORITY_STEP,
    DEFAULT_ROUTE_PRIORITY,
    GUARD_PRIORITY_MAX,
    MANAGEMENT_GUARD,
    MAX_CONDITION_VALUES,
    WAF_BY_PATH_ONLY,
    Guard,
    Route,
    RoutedService,
    RouteRateLimit,
    check_guarded_routes,
    check_routing_keys_on_private_services,
    plan_routes,
    route_rate_limit,
)
from .routing import ingress_cidr_problems

__all__ = [
    "AUTO_PRIORITY_START",
    "AUTO_PRIORITY_STEP",
    "DEFAULT_ROUTE_PRIORITY",
    "EDGE_DEFAULTS",
    "GUARD_PRIORITY_MAX",
    "MANAGEMENT_GUARD",
    "MAX_CONDITION_VALUES",
    "WAF_BY_PATH_ONLY",
    "CertificateArn",
    "DomainConfig",
    "DomainSettings",
    "EdgeConfig",
    "EdgeDefaults",
    "EdgeSettings",
    "Guard",
    "NetworkLoadBalancerConfig",
    "NetworkLoadBalancerSettings",
    "NlbListenerConfig",
    "QueryArgument",
    "Route",
    "RouteRateLimit",
    "RoutedService",
    "SslPolicy",
    "TcpService",
    "WafConfig",
    "plan_routes",
    "resolve_edge",
    "resolve_network_load_balancer",
    "route_rate_limit",
]

QueryArgument = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.~-]+$")]
"""A query argument's name, as WAF's data protection takes it (1-64 characters)."""


class WafConfig(ConfigModel):
    """`edge.waf`: the WAFv2 web ACL in front of the ALB."""

    enabled: Flag | None = Field(
        None,
        description="Attach a web ACL; unset = per environment for an internet-facing ALB, "
        "off for an internal one (edge.internal).",
    )
    rate_limit: int = Field(
        2000,
        ge=10,
        le=2_000_000_000,
        description="Requests per client IP per 5 minutes before the rate rule blocks, for "
        "every request no service's own rateLimit counts.",
    )
    max_capacity_units: int = Field(
        1500,
        ge=1,
        le=5000,
        description="The most web ACL capacity units (WCUs) the rules may use; the config "
        "check computes what the rules need (managed groups 1,100, plus each route's rules) "
        "and refuses more. 1,500 is within WAF's base price; up to 5,000 WAF charges per "
        "500 WCUs above it.",
    )
    protected_query_arguments: list[QueryArgument] = Field(
        default_factory=list,
        max_length=50,
        description="Query arguments the web ACL substitutes (REDACTED) in its logs and sampled "
        "requests, besides the default tokens, codes and e-mail addresses (code, state, "
        "id_token_hint, login_hint, SAMLRequest...: components/edge/rules.py).",
    )


class DomainConfig(ConfigModel):
    """`edge.domain`: the name users reach the ALB by, in a Route 53 public hosted zone."""

    name: Hostname = Field(description="The name (e.g. accessweaver.example.com).")
    hosted_zone_id: Annotated[str, Field(pattern=r"^Z[A-Z0-9]{1,32}$")] = Field(
        description="The Route 53 public hosted zone of that name (Z...)."
    )


class EdgeConfig(ConfigModel):
    """`edge`: the Application Load Balancer the program builds (internet-facing by default)."""

    enabled: Flag = Field(
        False, description="Build the ALB, its listeners, target groups and rules."
    )
    internal: Flag = Field(
        False,
        description="An internal ALB in the private subnets, reachable from the VPC (or only "
        "from ingressCidrs / ingressSecurityGroupIds), never from the internet; WAF off unless "
        "edge.waf.enabled, plain HTTP allowed without a certificate (docs/DESIGN.md, "
        '"Internal ALB").',
    )
    ingress_cidrs: list[str] = ingress_sources(
        "Internal ALB only: private IPv4 ranges admitted on its listener ports "
        "(a peered VPC, a VPN); unset with no ingressSecurityGroupIds = the VPC's CIDR block."
    )
    ingress_security_group_ids: list[SecurityGroupId] = ingress_sources(
        "Internal ALB only: security groups admitted on its listener ports."
    )
    certificate_arn: CertificateArn | None = Field(
        None,
        description="ACM certificate of the HTTPS listener, in the stack's region. Without it "
        "the ALB serves plain HTTP (refused in prod).",
    )
    domain: DomainConfig | None = Field(
        None,
        description="A Route 53 hosted zone and a name: the program creates the ACM certificate "
        "(DNS validation) and the alias records, instead of certificateArn.",
    )
    ssl_policy: SslPolicy = Field(
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", description="TLS policy of the HTTPS listener."
    )
    deletion_protection: Flag | None = Field(
        None, description="ALB deletion protection; unset = per environment."
    )
    access_logs: Flag | None = Field(
        None, description="ALB access logs to an S3 bucket the program creates; unset = per env."
    )
    access_log_retention_days: int | None = Field(
        None,
        ge=1,
        le=3650,
        description="Days access-log objects are kept; unset = per environment (30 / 90 / 90): "
        "they hold every request line as the client sent it, tokens and e-mail addresses in "
        "query strings included, which nothing can redact (the year of evidence is the WAF's "
        "log, with those fields substituted); at least 90 in prod (LOG.1).",
    )
    deregistration_delay: int = Field(
        30,
        ge=0,
        le=120,
        description="Seconds the ALB drains a stopping task; at most each public service's "
        "stopTimeout.",
    )
    deployment_strategy: str | None = Field(
        None, description="Moved: `deployment.strategy` (per stack and per service)."
    )
    bake_time_minutes: int | None = Field(
        None,
        description="Moved: `deployment.bakeTimeMinutes` (per stack and per service).",
    )
    waf: WafConfig = Field(default_factory=WafConfig, description="WAFv2 web ACL settings.")


@dataclass(frozen=True)
class DomainSettings:
    name: str
    hosted_zone_id: str


@dataclass(frozen=True)
class EdgeSettings:
    """The ALB the program builds (`edge.enabled: true`)."""

    certificate_arn: str | None
    domain: DomainSettings | None
    ssl_policy: str
    deletion_protection: bool
    access_logs: bool
    access_log_retention_days: int
    deregistration_delay: int
    waf: bool
    waf_rate_limit: int
    routes: tuple[Route, ...]
    guards: tuple[Guard, ...] = (MANAGEMENT_GUARD,)
    """Fixed-response rules evaluated before every route (priorities 1-9)."""
    waf_protected_query_arguments: tuple[str, ...] = ()
    """`edge.waf.protectedQueryArguments`: substituted in WAF records besides the defaults."""
    waf_log_retention_days: int = 90
    """The web ACL's log group (`aws-waf-logs-<alb>`), kept as the stack's security logs."""
    waf_max_capacity_units: int = 1500
    """`edge.waf.maxCapacityUnits`: the WCUs the web ACL's rules may use."""
    internal: bool = False
    """`edge.internal`: private subnets, no ingress from the internet."""
    ingress_cidrs: tuple[str, ...] = ()
    ingress_security_group_ids: tuple[str, ...] = ()

    @property
    def blue_green(self) -> bool:
        """Some route deploys BLUE_GREEN, LINEAR or CANARY (two target groups, ECS's role)."""
        return any(route.traffic_shift for route in self.routes)

    @property
    def https(self) -> bool:
        return self.certificate_arn is not None or self.domain is not None


def resolve_edge(
    edge: EdgeConfig,
    *,
    env: Environment,
    region: str,
    services: Sequence[RoutedService],
    service_path: Callable[[str], str],
    external_target_groups: Sequence[tuple[str, Any]],
    issues: list[ConfigIssue],
    security_log_retention_days: int = 90,
    guards: Sequence[Guard] = (),
) -> EdgeSettings | None:
    """The ALB to build, or None when `edge.enabled` is false (then no other edge key may be set).

    `service_path(name)` is where a service's catalog entry lives in the stack file, for
    messages; `external_target_groups` are the (key, value) pairs naming target groups of an ALB
    managed elsewhere, which exclude the program's own; `guards` are fixed-response rules the
    caller adds to `MANAGEMENT_GUARD` (Keycloak's, `components/identity/config.py`).
    """
    check_routing_keys_on_private_services(services, service_path, issues)
    _check_moved_keys(edge, issues)
    if not edge.enabled:
        ignored = {"enabled", "deployment_strategy", "bake_time_minutes"}
        issues.extend(disabled_key_issues("edge", edge, ignored))
        return None

    defaults = EDGE_DEFAULTS[env]
    _check_external_target_groups(external_target_groups, issues)
    _check_certificate(edge, env, region, issues)
    public = _public_services(edge, services, service_path, issues)
    routes = plan_routes(public, service_path, issues)
    all_guards = (MANAGEMENT_GUARD, *guards)
    check_guarded_routes(routes, all_guards, service_path, issues)
    _check_waf_by_path(routes, service_path, issues)
    deletion_protection = resolved_deletion_protection(
        env, "edge.deletionProtection", edge.deletion_protection, issues
    )
    access_logs = edge.access_logs if edge.access_logs is not None else defaults.access_logs
    require_control(env, "edge.accessLogs", access_logs, "ELB.5", issues)
    # ELB.16 asks a web ACL of internet-facing ALBs: an internal one gets it when asked.
    waf_default = defaults.waf and not edge.internal
    waf = edge.waf.enabled if edge.waf.enabled is not None else waf_default
    if not edge.internal:
        require_control(env, "edge.waf.enabled", waf, "ELB.16 (WAF)", issues)
    _check_ingress(edge, issues)
    return EdgeSettings(
        certificate_arn=edge.certificate_arn,
        domain=(
            DomainSettings(name=edge.domain.name, hosted_zone_id=edge.domain.hosted_zone_id)
            if edge.domain is not None
            else None
        ),
        ssl_policy=edge.ssl_policy,
        deletion_protection=deletion_protection,
        access_logs=access_logs,
        access_log_retention_days=(
            edge.access_log_retention_days or defaults.access_log_retention_days
        ),
        waf_log_retention_days=security_log_retention_days,
        deregistration_delay=edge.deregistration_delay,
        waf=waf,
        waf_rate_limit=edge.waf.rate_limit,
        waf_max_capacity_units=edge.waf.max_capacity_units,
        waf_protected_query_arguments=tuple(edge.waf.protected_query_arguments),
        routes=tuple(routes),
        guards=tuple(sorted(all_guards, key=lambda g: g.priority)),
        internal=edge.internal,
        ingress_cidrs=tuple(edge.ingress_cidrs),
        ingress_security_group_ids=tuple(edge.ingress_security_group_ids),
    )


def _check_moved_keys(edge: EdgeConfig, issues: list[ConfigIssue]) -> None:
    """`edge.deploymentStrategy` and `edge.bakeTimeMinutes` moved to `deployment`."""
    for moved, value, key in (
        ("edge.deploymentStrategy", edge.deployment_strategy, "deployment.strategy"),
        ("edge.bakeTimeMinutes", edge.bake_time_minutes, "deployment.bakeTimeMinutes"),
    ):
        if value is not None:
            issues.append(
                ConfigIssue(
                    moved,
                    value,
                    f"moved to `{key}`, which applies per stack and per service "
                    "(serviceOverrides.<name>.deployment)",
                    f"{key}: {value}",
                )
            )


def _check_external_target_groups(
    external_target_groups: Sequence[tuple[str, Any]], issues: list[ConfigIssue]
) -> None:
    """The program's ALB builds the target groups: none may name an existing ALB's."""
    for key, configured in external_target_groups:
        issues.append(
            ConfigIssue(
                key,
                configured,
                "conflicts with edge.enabled: true (the program builds the target groups)",
                "remove it, or set edge.enabled: false to use an existing ALB",
            )
        )


def _check_certificate(
    edge: EdgeConfig, env: Environment, region: str, issues: list[ConfigIssue]
) -> None:
    """One certificate, of the stack's region; prod's internet-facing ALB serves HTTPS."""
    if edge.certificate_arn is not None:
        issues.extend(
            certificate_region_issues(
                "edge.certificateArn",
                edge.certificate_arn,
                region,
                " (an ALB only uses certificates of its own region)",
            )
        )
        if edge.domain is not None:
            issues.append(
                ConfigIssue(
                    "edge.domain",
                    edge.domain.name,
                    "edge.certificateArn is set too: the program would create a second "
                    "certificate for the same listener",
                    "edge.domain (the program's certificate) or edge.certificateArn, not both",
                )
            )
    elif env == "prod" and edge.domain is None and not edge.internal:
        issues.append(
            ConfigIssue(
                "edge.certificateArn",
                None,
                "prod would serve plain HTTP (tokens and credentials in clear text)",
                f"an ACM certificate ARN in {region}, or edge.domain",
            )
        )


def _public_services(
    edge: EdgeConfig,
    services: Sequence[RoutedService],
    service_path: Callable[[str], str],
    issues: list[ConfigIssue],
) -> list[RoutedService]:
    """The services the ALB routes to: at least one, each draining within its stopTimeout."""
    public = [s for s in services if s.public]
    if not public:
        issues.append(
            ConfigIssue(
                "edge.enabled",
                True,
                "no service is public: the ALB would route to nothing",
                "set public: true on the services the ALB serves, or edge.enabled: false",
            )
        )
    for service in public:
        if edge.deregistration_delay > service.stop_timeout:
            issues.append(
                ConfigIssue(
                    "edge.deregistrationDelay",
                    edge.deregistration_delay,
                    f"longer than {service.name}'s stopTimeout ({service.stop_timeout} s, "
                    f"{service_path(service.name)}.stopTimeout): requests still draining "
                    "would be cut",
                    f"at most {service.stop_timeout}",
                )
            )
    return public


def _check_waf_by_path(
    routes: Sequence[Route], service_path: Callable[[str], str], issues: list[ConfigIssue]
) -> None:
    """The web ACL's per-route settings and host headers do not go together."""
    for route in routes:
        if route.host_headers and route.waf_settings:
            issues.append(
                ConfigIssue(
                    f"{service_path(route.service)}.hostHeaders",
                    list(route.host_headers),
                    WAF_BY_PATH_ONLY,
                    "hostHeaders, or maxRequestBodyKb / maxQueryStringKb / rateLimit: not both",
                )
            )


def _check_ingress(edge: EdgeConfig, issues: list[ConfigIssue]) -> None:
    """`ingressCidrs` / `ingressSecurityGroupIds` narrow an internal ALB's callers only."""
    for key, values in (
        ("ingressCidrs", edge.ingress_cidrs),
        ("ingressSecurityGroupIds", edge.ingress_security_group_ids),
    ):
        if values and not edge.internal:
            issues.append(
                ConfigIssue(
                    f"edge.{key}",
                    list(values),
                    "an internet-facing ALB admits the internet on 80/443: the key narrows an "
                    "internal ALB's callers only",
                    "remove it, or set edge.internal: true",
                )
            )
    if edge.internal:
        for cidr in edge.ingress_cidrs:
            for problem in ingress_cidr_problems(cidr):
                issues.append(
                    ConfigIssue(
                        "edge.ingressCidrs", cidr, problem, "a private IPv4 block (10.20.0.0/16)"
                    )
                )
