"""The `edge` stack key: the ALB the program builds (`edge.enabled: true`), internet-facing or
internal (`edge.internal`): HTTPS listener, path and host-header rules per public service, WAF,
access logs and blue/green deployments of the public services; and the `networkLoadBalancer`
key: an NLB in front of TCP services. Their per-environment defaults and the rules that span
their keys.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..compute.config import RateKeyHeader, RateLimitConfig
from ..errors import ConfigIssue
from ..formats import (
    ConfigModel,
    Environment,
    Flag,
    Hostname,
    SecurityGroupId,
    explicit_keys,
    snake,
)
from ..network.config import require_control
from .routing import ingress_cidr_problems, rule_problems
from .tcp import (
    HealthCheckProtocol,
    TcpListener,
    TcpProtocol,
    ingress_problems,
    listener_problems,
)

# ELB.17: only the TLS 1.3 policies pass; the older ELB defaults accept TLS 1.0/1.1.
SslPolicy = Literal[
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06"
]

DEFAULT_ROUTE_PRIORITY = 50000
"""The default service's catch-all rule is evaluated last (ALB priorities are 1 to 50000)."""
GUARD_PRIORITY_MAX = 9
"""Priorities 1 to 9 belong to the edge's guard rules (`Guard`), evaluated before any route."""
AUTO_PRIORITY_START = 1000
AUTO_PRIORITY_STEP = 10
WAF_BY_PATH_ONLY = (
    "the web ACL's per-route limits match a route by its paths only (components/edge/waf.py): "
    "with host headers they would hold on every host"
)
MAX_CONDITION_VALUES = 5
"""ALB limit: condition values per listener rule."""


_CERTIFICATE_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:acm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:certificate/"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)


def _check_certificate(value: str) -> str:
    if not _CERTIFICATE_ARN.match(value):
        raise ValueError(
            "malformed certificate ARN; allowed: "
            "arn:aws:acm:<region>:<account>:certificate/<uuid> (an ACM certificate)"
        )
    return value


CertificateArn = Annotated[str, AfterValidator(_check_certificate)]


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
    ingress_cidrs: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Internal ALB only: private IPv4 ranges admitted on its listener ports "
        "(a peered VPC, a VPN); unset with no ingressSecurityGroupIds = the VPC's CIDR block.",
    )
    ingress_security_group_ids: list[SecurityGroupId] = Field(
        default_factory=list,
        max_length=20,
        description="Internal ALB only: security groups admitted on its listener ports.",
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


class EdgeDefaults(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    deletion_protection: bool
    """ELB.6 (P): prod and staging."""
    access_logs: bool
    """ELB.5 (P): prod and staging; dev waived (cost, no audit need)."""
    waf: bool
    """ELB.16 (P): prod and staging; dev waived (WAF has a monthly fee per ACL and rule)."""
    access_log_retention_days: int
    """ALB access logs: raw request lines (personal data in query strings), kept for the
    operational window only; the WAF's protected log is the year of evidence (LOG.1, LOG.2)."""


EDGE_DEFAULTS: dict[Environment, EdgeDefaults] = {
    "dev": EdgeDefaults(
        deletion_protection=False,
        access_logs=False,
        waf=False,
        access_log_retention_days=30,
    ),
    "staging": EdgeDefaults(
        deletion_protection=True,
        access_logs=True,
        waf=True,
        access_log_retention_days=90,
    ),
    "prod": EdgeDefaults(
        deletion_protection=True,
        access_logs=True,
        waf=True,
        access_log_retention_days=90,
    ),
}


@dataclass(frozen=True)
class RouteRateLimit:
    """A route's own rate-based rules (`services.<name>.rateLimit`): its requests are counted
    per client key, not by the stack-wide per-address rule (`edge.waf.rateLimit`)."""

    limit: int
    """Requests per key per window before the key is blocked on this route."""
    window_seconds: int = 300
    """WAF's evaluation window: 60, 120, 300 or 600 seconds."""
    header: str | None = None
    """Count per value of this request header (a client's credential or id); None = per
    client address. Requests without the header are counted by address, by the stack-wide
    rule."""
    ip_limit: int | None = None
    """With `header`: requests per client address per window on this route, whatever the
    header says (a NAT of several clients, made-up header values)."""


@dataclass(frozen=True)
class Route:
    """One public service behind the ALB: one target group (two with blue/green), one rule."""

    service: str
    port: int
    health_check_path: str
    path_patterns: tuple[str, ...]
    """`("/*",)` for the default service; () for a route matching its `host_headers` only."""
    priority: int
    default: bool = False
    """The catch-all route: gets every request no other rule matches."""
    health_check_port: int | None = None
    """When health checks go to another port than the traffic (Keycloak: 9000)."""
    traffic_shift: bool = False
    """A second target group, for a service that deploys BLUE_GREEN, LINEAR or CANARY."""
    max_body_kb: int | None = None
    """The largest request body (KiB) the web ACL lets through on this route; None = the
    managed core rule set's 8 KiB."""
    max_query_string_kb: int | None = None
    """The largest query string (KiB) the web ACL lets through on this route; None = the
    managed core rule set's 2 KiB."""
    rate_limit: RouteRateLimit | None = None
    """The route's own rate limit; None = the stack-wide per-address rule counts it."""
    host_headers: tuple[str, ...] = ()
    """Host names the rule matches (`api.example.com`, `*.example.com`), with the paths when
    both are given (the request must match both); () = every host."""

    @property
    def waf_settings(self) -> bool:
        """The web ACL treats this route apart from the others."""
        return any(
            v is not None for v in (self.max_body_kb, self.max_query_string_kb, self.rate_limit)
        )

    @property
    def ports(self) -> tuple[int, ...]:
        """Ports the ALB must reach on the service's tasks."""
        extra = self.health_check_port
        return (self.port,) if extra in (None, self.port) else (self.port, extra)


@dataclass(frozen=True)
class Guard:
    """A listener rule that answers the request itself, evaluated before every route: paths no
    service may receive from the internet (docs/DESIGN.md, "Platform")."""

    name: str
    """Its role: the rule is `<alb>-guard-<name>`."""
    priority: int
    """1 to `GUARD_PRIORITY_MAX`, unique among the guards."""
    path_patterns: tuple[str, ...]
    """ALB path patterns (at most 3: match evaluations per condition)."""
    status_code: int = 404
    header: tuple[str, str] | None = None
    """`(name, value pattern)`: only requests carrying that header; None = every request."""
    waf_paths: tuple[tuple[str, str], ...] = ()
    """`(search string, positional constraint)` the web ACL also blocks on the URL-decoded,
    normalized path (`%6D`, `//` and `..` spellings the listener's patterns do not see)."""

    def covers(self, pattern: str) -> bool:
        """Every request `pattern` routes would be answered by this guard first (text match of
        the pattern against the guard's, as the routes' own shadowing check does)."""
        return self.header is None and any(
            pattern == mine or ("?" not in mine and fnmatch.fnmatchcase(pattern, mine))
            for mine in self.path_patterns
        )


MANAGEMENT_GUARD = Guard(
    name="management",
    priority=1,
    # `*` matches any run of characters, `/` included: the root and every routed prefix.
    path_patterns=("/actuator*", "/*/actuator*"),
    waf_paths=(("/actuator", "CONTAINS"),),
)
"""Spring Boot's management endpoints (`/actuator/*`), at the root or under a routed prefix,
never reach a service from the internet (control EDGE.1*); the health checks of the target
groups and of the probe go to the tasks directly."""


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


class RoutedService(Protocol):
    """What routing needs of a service (the stack layer's resolved services have it)."""

    name: str
    port: int | None
    public: bool
    health_check_path: str
    health_check_port: int | None
    path_patterns: tuple[str, ...]
    priority: int | None
    default_route: bool
    stop_timeout: int
    traffic_shift: bool
    max_request_body_kb: int | None
    max_query_string_kb: int | None
    rate_limit: RouteRateLimit | None
    host_headers: tuple[str, ...]


def route_rate_limit(config: RateLimitConfig | None) -> RouteRateLimit | None:
    """`services.<name>.rateLimit` as the web ACL's rules take it (ipLimit defaults to twice
    the limit: two clients at their limit behind one address, or one across a token refresh)."""
    if config is None:
        return None
    header = config.key.header if isinstance(config.key, RateKeyHeader) else None
    return RouteRateLimit(
        limit=config.limit,
        window_seconds=config.window_seconds,
        header=header,
        ip_limit=(config.ip_limit or 2 * config.limit) if header else None,
    )


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
    _check_routing_keys_on_private_services(services, service_path, issues)
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
    if not edge.enabled:
        for key in explicit_keys(edge, {"enabled", "deployment_strategy", "bake_time_minutes"}):
            issues.append(
                ConfigIssue(
                    f"edge.{key}",
                    getattr(edge, snake(key)),
                    "has no effect: edge.enabled is false",
                    "remove it, or set edge.enabled: true",
                )
            )
        return None

    defaults = EDGE_DEFAULTS[env]
    for key, configured in external_target_groups:
        issues.append(
            ConfigIssue(
                key,
                configured,
                "conflicts with edge.enabled: true (the program builds the target groups)",
                "remove it, or set edge.enabled: false to use an existing ALB",
            )
        )
    if edge.certificate_arn is not None:
        cert_region = edge.certificate_arn.split(":")[3]
        if cert_region != region:
            issues.append(
                ConfigIssue(
                    "edge.certificateArn",
                    edge.certificate_arn,
                    f"certificate is in {cert_region}, the stack deploys to {region} "
                    "(an ALB only uses certificates of its own region)",
                    f"an ACM certificate ARN in {region}",
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
    routes = plan_routes(public, service_path, issues)
    all_guards = (MANAGEMENT_GUARD, *guards)
    _check_guarded_routes(routes, all_guards, service_path, issues)
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
    deletion_protection = (
        edge.deletion_protection
        if edge.deletion_protection is not None
        else defaults.deletion_protection
    )
    access_logs = edge.access_logs if edge.access_logs is not None else defaults.access_logs
    # ELB.16 asks a web ACL of internet-facing ALBs: an internal one gets it when asked.
    waf_default = defaults.waf and not edge.internal
    waf = edge.waf.enabled if edge.waf.enabled is not None else waf_default
    controls = [
        ("edge.deletionProtection", deletion_protection, "ELB.6"),
        ("edge.accessLogs", access_logs, "ELB.5"),
    ]
    if not edge.internal:
        controls.append(("edge.waf.enabled", waf, "ELB.16 (WAF)"))
    for key, value, control in controls:
        require_control(env, key, value, control, issues)
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


def _check_guarded_routes(
    routes: Sequence[Route],
    guards: Sequence[Guard],
    service_path: Callable[[str], str],
    issues: list[ConfigIssue],
) -> None:
    """A route pattern a guard answers first would never reach its service."""
    for route in routes:
        for pattern in route.path_patterns:
            guard = next((g for g in guards if g.covers(pattern)), None)
            if guard is not None:
                issues.append(
                    ConfigIssue(
                        f"{service_path(route.service)}.pathPatterns",
                        pattern,
                        f"never reached: the edge answers {', '.join(guard.path_patterns)} "
                        f"itself ({guard.status_code}, guard rule {guard.name!r}, priority "
                        f"{guard.priority}); see docs/DESIGN.md",
                        "a path outside the guarded ones",
                    )
                )


def _check_routing_keys_on_private_services(
    services: Sequence[RoutedService],
    service_path: Callable[[str], str],
    issues: list[ConfigIssue],
) -> None:
    for service in services:
        if service.public:
            continue
        for key, value in (
            ("pathPatterns", list(service.path_patterns)),
            ("hostHeaders", list(service.host_headers)),
            ("priority", service.priority),
            ("defaultRoute", service.default_route or None),
            ("maxRequestBodyKb", service.max_request_body_kb),
            ("maxQueryStringKb", service.max_query_string_kb),
            (
                "rateLimit",
                service.rate_limit
                and {k: v for k, v in asdict(service.rate_limit).items() if v is not None},
            ),
        ):
            if value:
                issues.append(
                    ConfigIssue(
                        f"{service_path(service.name)}.{key}",
                        value,
                        "only public services are routed by the ALB",
                        "remove it, or set public: true",
                    )
                )


def plan_routes(
    public: Sequence[RoutedService],
    service_path: Callable[[str], str],
    issues: list[ConfigIssue],
) -> list[Route]:
    """One rule per public service with a unique priority; the default service's rule is `/*`
    at priority 50000. Services without a priority get 1000, 1010, ... in name order."""
    defaults = [s for s in public if s.default_route]
    if len(defaults) > 1:
        for service in defaults[1:]:
            issues.append(
                ConfigIssue(
                    f"{service_path(service.name)}.defaultRoute",
                    True,
                    f"{defaults[0].name} is already the default route",
                    "defaultRoute: true on one public service at most",
                )
            )
    taken: dict[int, str] = {}
    owners: dict[tuple[tuple[str, ...], str], str] = {}
    for service in sorted(public, key=lambda s: s.name):
        base = service_path(service.name)
        hosts = tuple(service.host_headers)
        if service.default_route:
            for key, value in (
                ("pathPatterns", list(service.path_patterns)),
                ("hostHeaders", list(hosts)),
                ("priority", service.priority),
            ):
                if value:
                    issues.append(
                        ConfigIssue(
                            f"{base}.{key}",
                            value,
                            "the default route already receives every request (rule /* "
                            "evaluated last, whatever the host)",
                            "remove it, or set defaultRoute: false",
                        )
                    )
            continue
        if not service.path_patterns and not hosts:
            issues.append(
                ConfigIssue(
                    f"{base}.pathPatterns",
                    [],
                    "public service without a route: its target group would receive no traffic",
                    "path patterns such as ['/api/*'], host headers such as [api.example.com], "
                    "or defaultRoute: true",
                )
            )
        elif len(service.path_patterns) > MAX_CONDITION_VALUES:
            issues.append(
                ConfigIssue(
                    f"{base}.pathPatterns",
                    list(service.path_patterns),
                    f"more than {MAX_CONDITION_VALUES} patterns (ALB limit per rule; one rule per "
                    "service so that blue/green switches all of its traffic)",
                    f"at most {MAX_CONDITION_VALUES} patterns",
                )
            )
        elif hosts and (found := rule_problems(hosts, service.path_patterns)):
            issues.append(
                ConfigIssue(
                    f"{base}.hostHeaders",
                    list(hosts),
                    "; ".join(found),
                    "at most 3 host names (letters, digits, - _ . * ?, a '.' and letters "
                    "after the last one, 128 characters each); with pathPatterns at most 5 "
                    "values and 5 wildcards per rule",
                )
            )
        # The same pattern on different hosts is two routes; on the same hosts, one too many.
        host_key = tuple(sorted(h.lower() for h in hosts))
        for pattern in service.path_patterns or ("",):
            owner = owners.get((host_key, pattern))
            if owner is not None and owner != service.name:
                key, shown = ("pathPatterns", pattern) if pattern else ("hostHeaders", list(hosts))
                issues.append(
                    ConfigIssue(
                        f"{base}.{key}",
                        shown,
                        f"already routed to {owner}",
                        "a pattern routed to one service only"
                        + (" on the same host names" if hosts else ""),
                    )
                )
            owners.setdefault((host_key, pattern), service.name)
        if service.priority is not None and service.priority <= GUARD_PRIORITY_MAX:
            issues.append(
                ConfigIssue(
                    f"{base}.priority",
                    service.priority,
                    f"priorities 1 to {GUARD_PRIORITY_MAX} belong to the edge's guard rules "
                    "(fixed responses evaluated before every route: /actuator, Keycloak's "
                    "master realm)",
                    f"{GUARD_PRIORITY_MAX + 1} to 49999",
                )
            )
        elif service.priority is not None:
            if service.priority in taken:
                issues.append(
                    ConfigIssue(
                        f"{base}.priority",
                        service.priority,
                        f"priority already used by {taken[service.priority]}",
                        f"a priority unique on the listener, {GUARD_PRIORITY_MAX + 1} to 49999",
                    )
                )
            taken.setdefault(service.priority, service.name)

    routes: list[Route] = []
    next_priority = AUTO_PRIORITY_START
    for service in sorted(public, key=lambda s: s.name):
        if service.default_route:
            routes.append(
                Route(
                    service.name,
                    service.port,
                    service.health_check_path,
                    ("/*",),
                    DEFAULT_ROUTE_PRIORITY,
                    default=True,
                    health_check_port=service.health_check_port,
                    traffic_shift=service.traffic_shift,
                    **_waf_fields(service),
                )
            )
            continue
        priority = service.priority
        if priority is None:
            while next_priority in taken:
                next_priority += AUTO_PRIORITY_STEP
            priority = next_priority
            taken[priority] = service.name
        routes.append(
            Route(
                service.name,
                service.port,
                service.health_check_path,
                tuple(service.path_patterns),
                priority,
                health_check_port=service.health_check_port,
                traffic_shift=service.traffic_shift,
                **_waf_fields(service),
                host_headers=tuple(service.host_headers),
            )
        )
    return sorted(routes, key=lambda r: r.priority)


def _waf_fields(service: RoutedService) -> dict[str, Any]:
    return {
        "max_body_kb": service.max_request_body_kb,
        "max_query_string_kb": service.max_query_string_kb,
        "rate_limit": service.rate_limit,
    }


# -- the Network Load Balancer ---------------------------------------------------------------


class NlbListenerConfig(ConfigModel):
    """`networkLoadBalancer.listeners.<service>`: how clients reach one TCP service."""

    listener_port: int | None = Field(
        None, ge=1, le=65535, description="Port clients connect to; unset = the service's port."
    )
    protocol: TcpProtocol = Field(
        "TCP",
        description="TCP passes the bytes through; TLS terminates TLS on the NLB with "
        "networkLoadBalancer.certificateArn and forwards TCP to the tasks.",
    )
    health_check_protocol: HealthCheckProtocol = Field(
        "TCP",
        description="TCP opens a connection to the service's port (or healthCheckPort); HTTP "
        "asks the service's healthCheckPath for 200-399.",
    )


class NetworkLoadBalancerConfig(ConfigModel):
    """`networkLoadBalancer`: a Network Load Balancer in front of TCP services (one listener and
    one target group per service; each service admits the NLB's security group only)."""

    enabled: Flag = Field(False, description="Build the NLB, its listeners and target groups.")
    internal: Flag = Field(
        True,
        description="Private addresses in the private subnets (the default); false = "
        "internet-facing in the public subnets, admitting ingressCidrs only.",
    )
    ingress_cidrs: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="IPv4 ranges admitted on the listener ports. Internal: private ranges, "
        "unset = the VPC's CIDR block. Internet-facing: required (0.0.0.0/0 written out).",
    )
    ingress_security_group_ids: list[SecurityGroupId] = Field(
        default_factory=list, max_length=20, description="Security groups admitted on them."
    )
    cross_zone: Flag = Field(
        True,
        description="Cross-zone load balancing (AWS's NLB default is off: a zone with fewer "
        "healthy tasks would take as much traffic as the others).",
    )
    deletion_protection: Flag | None = Field(
        None, description="NLB deletion protection; unset = per environment (as edge)."
    )
    certificate_arn: CertificateArn | None = Field(
        None, description="ACM certificate of the TLS listeners, in the stack's region."
    )
    ssl_policy: SslPolicy = Field(
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", description="TLS policy of TLS listeners."
    )
    deregistration_delay: int = Field(
        30,
        ge=0,
        le=3600,
        description="Seconds a stopping task keeps its connections; at most its stopTimeout.",
    )
    listeners: dict[Annotated[str, Field(min_length=1, max_length=64)], NlbListenerConfig] = Field(
        default_factory=dict,
        description="Per catalog service (with a port, not public): its listener.",
    )


@dataclass(frozen=True)
class NetworkLoadBalancerSettings:
    """The NLB the program builds (`networkLoadBalancer.enabled: true`)."""

    internal: bool
    listeners: tuple[TcpListener, ...]
    ingress_cidrs: tuple[str, ...] = ()
    ingress_security_group_ids: tuple[str, ...] = ()
    cross_zone: bool = True
    deletion_protection: bool = True
    certificate_arn: str | None = None
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    deregistration_delay: int = 30

    @property
    def routes(self) -> dict[str, tuple[int, ...]]:
        """Service -> ports the NLB reaches (traffic and health check)."""
        return {listener.service: listener.ports for listener in self.listeners}


class TcpService(Protocol):
    """What the NLB needs of a service (the stack layer's resolved services have it)."""

    name: str
    port: int | None
    public: bool
    target_group_arn: str | None
    health_check_path: str | None
    health_check_port: int | None
    stop_timeout: int


def resolve_network_load_balancer(
    config: NetworkLoadBalancerConfig,
    *,
    env: Environment,
    region: str,
    services: Sequence[TcpService],
    service_path: Callable[[str], str],
    issues: list[ConfigIssue],
) -> NetworkLoadBalancerSettings | None:
    """The NLB to build, or None when `networkLoadBalancer.enabled` is false (then no other of
    its keys may be set). Each listener names a catalog service with a port that the ALB does
    not route; the component's own rules (`tcp.py`) are reported at their keys."""
    key = "networkLoadBalancer"
    if not config.enabled:
        for name in explicit_keys(config, {"enabled"}):
            issues.append(
                ConfigIssue(
                    f"{key}.{name}",
                    getattr(config, snake(name)),
                    f"has no effect: {key}.enabled is false",
                    f"remove it, or set {key}.enabled: true",
                )
            )
        return None
    by_name = {s.name: s for s in services}
    if not config.listeners:
        issues.append(
            ConfigIssue(
                f"{key}.listeners",
                {},
                "no listener: the NLB would route to nothing",
                "a listener per TCP service, e.g. listeners: {broker: {listenerPort: 1883}}",
            )
        )
    listeners: list[TcpListener] = []
    for name, spec in sorted(config.listeners.items()):
        path = f"{key}.listeners.{name}"
        service = by_name.get(name)
        if service is None or service.port is None:
            issues.append(
                ConfigIssue(
                    path,
                    name,
                    "not a service of the stack" if service is None else "a worker has no port",
                    "a catalog service with a port: "
                    + ", ".join(sorted(s.name for s in services if s.port is not None)),
                )
            )
            continue
        for conflict, value in (
            ("public", service.public or None),
            ("targetGroupArn", service.target_group_arn),
        ):
            if value:
                issues.append(
                    ConfigIssue(
                        path,
                        name,
                        f"{name} is behind an ALB already ({service_path(name)}.{conflict}): "
                        "a service registers with one load balancer",
                        f"remove the listener, or the service's {conflict}",
                    )
                )
        if config.deregistration_delay > service.stop_timeout:
            issues.append(
                ConfigIssue(
                    f"{key}.deregistrationDelay",
                    config.deregistration_delay,
                    f"longer than {name}'s stopTimeout ({service.stop_timeout} s): open "
                    "connections would be cut",
                    f"at most {service.stop_timeout}",
                )
            )
        http = spec.health_check_protocol == "HTTP"
        listener = TcpListener(
            service=name,
            port=service.port,
            listener_port=spec.listener_port,
            protocol=spec.protocol,
            health_check_protocol=spec.health_check_protocol,
            health_check_path=service.health_check_path if http else None,
            health_check_port=service.health_check_port,
        )
        listeners.append(listener)
    for problem in listener_problems(
        listeners, tls_certificate=config.certificate_arn is not None, ssl_policy=config.ssl_policy
    ):
        issues.append(
            ConfigIssue(
                f"{key}.listeners",
                sorted(config.listeners),
                problem,
                "listener ports unique; TLS with networkLoadBalancer.certificateArn; HTTP "
                "health checks on services with a healthCheckPath",
            )
        )
    _check_nlb_ingress(config, issues)
    if config.certificate_arn is not None:
        cert_region = config.certificate_arn.split(":")[3]
        if cert_region != region:
            issues.append(
                ConfigIssue(
                    f"{key}.certificateArn",
                    config.certificate_arn,
                    f"certificate is in {cert_region}, the stack deploys to {region}",
                    f"an ACM certificate ARN in {region}",
                )
            )
    defaults = EDGE_DEFAULTS[env]
    protection = (
        config.deletion_protection
        if config.deletion_protection is not None
        else defaults.deletion_protection
    )
    require_control(env, f"{key}.deletionProtection", protection, "ELB.6", issues)
    return NetworkLoadBalancerSettings(
        internal=config.internal,
        listeners=tuple(listeners),
        ingress_cidrs=tuple(config.ingress_cidrs),
        ingress_security_group_ids=tuple(config.ingress_security_group_ids),
        cross_zone=config.cross_zone,
        deletion_protection=protection,
        certificate_arn=config.certificate_arn,
        ssl_policy=config.ssl_policy,
        deregistration_delay=config.deregistration_delay,
    )


def _check_nlb_ingress(config: NetworkLoadBalancerConfig, issues: list[ConfigIssue]) -> None:
    cidrs = list(config.ingress_cidrs)
    for problem in ingress_problems(
        internal=config.internal,
        cidrs=cidrs,
        security_group_ids=config.ingress_security_group_ids,
    ):
        issues.append(
            ConfigIssue(
                "networkLoadBalancer.ingressCidrs",
                cidrs,
                problem,
                "internal: private IPv4 blocks (unset = the VPC); internet-facing: the client "
                "ranges, 0.0.0.0/0 written out to open it to the internet",
            )
        )
