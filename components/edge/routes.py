"""The ALB's routes and guard rules: what the load balancer component builds its target groups
and listener rules from (`Route`, `Guard`, `MANAGEMENT_GUARD`), and `plan_routes`, which turns the
stack's public services into routes with unique priorities (the `edge` key's routing rules,
reported at the services' keys).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from ..compute.config import RateKeyHeader, RateLimitConfig
from ..errors import ConfigIssue
from .routing import rule_problems

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


def check_guarded_routes(
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


def check_routing_keys_on_private_services(
    services: Sequence[RoutedService],
    service_path: Callable[[str], str],
    issues: list[ConfigIssue],
) -> None:
    """Routing keys on a service the ALB does not route (`public: false`) would do nothing."""
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
    _check_one_default_route(public, service_path, issues)
    taken: dict[int, str] = {}
    owners: dict[tuple[tuple[str, ...], str], str] = {}
    for service in sorted(public, key=lambda s: s.name):
        base = service_path(service.name)
        if service.default_route:
            issues.extend(_default_route_issues(service, base))
            continue
        issues.extend(_route_shape_issues(service, base))
        issues.extend(_pattern_owner_issues(service, base, owners))
        issues.extend(_priority_issues(service, base, taken))
    return _assign_routes(public, taken)


def _check_one_default_route(
    public: Sequence[RoutedService],
    service_path: Callable[[str], str],
    issues: list[ConfigIssue],
) -> None:
    """At most one public service takes the catch-all rule."""
    defaults = [s for s in public if s.default_route]
    for service in defaults[1:]:
        issues.append(
            ConfigIssue(
                f"{service_path(service.name)}.defaultRoute",
                True,
                f"{defaults[0].name} is already the default route",
                "defaultRoute: true on one public service at most",
            )
        )


def _default_route_issues(service: RoutedService, base: str) -> list[ConfigIssue]:
    """The default route matches every request: its own matching keys would do nothing."""
    return [
        ConfigIssue(
            f"{base}.{key}",
            value,
            "the default route already receives every request (rule /* "
            "evaluated last, whatever the host)",
            "remove it, or set defaultRoute: false",
        )
        for key, value in (
            ("pathPatterns", list(service.path_patterns)),
            ("hostHeaders", list(service.host_headers)),
            ("priority", service.priority),
        )
        if value
    ]


def _route_shape_issues(service: RoutedService, base: str) -> list[ConfigIssue]:
    """A route matches something, within the ALB's limits on one listener rule's conditions."""
    hosts = tuple(service.host_headers)
    if not service.path_patterns and not hosts:
        return [
            ConfigIssue(
                f"{base}.pathPatterns",
                [],
                "public service without a route: its target group would receive no traffic",
                "path patterns such as ['/api/*'], host headers such as [api.example.com], "
                "or defaultRoute: true",
            )
        ]
    if len(service.path_patterns) > MAX_CONDITION_VALUES:
        return [
            ConfigIssue(
                f"{base}.pathPatterns",
                list(service.path_patterns),
                f"more than {MAX_CONDITION_VALUES} patterns (ALB limit per rule; one rule per "
                "service so that blue/green switches all of its traffic)",
                f"at most {MAX_CONDITION_VALUES} patterns",
            )
        ]
    if hosts and (found := rule_problems(hosts, service.path_patterns)):
        return [
            ConfigIssue(
                f"{base}.hostHeaders",
                list(hosts),
                "; ".join(found),
                "at most 3 host names (letters, digits, - _ . * ?, a '.' and letters "
                "after the last one, 128 characters each); with pathPatterns at most 5 "
                "values and 5 wildcards per rule",
            )
        ]
    return []


def _pattern_owner_issues(
    service: RoutedService, base: str, owners: dict[tuple[tuple[str, ...], str], str]
) -> list[ConfigIssue]:
    """A pattern on the same host names routes to one service (records `service`'s in
    `owners`). The same pattern on different hosts is two routes; on the same hosts, one too
    many."""
    issues = []
    hosts = tuple(service.host_headers)
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
    return issues


def _priority_issues(service: RoutedService, base: str, taken: dict[int, str]) -> list[ConfigIssue]:
    """A service's own priority is above the guards' and unique on the listener (records it in
    `taken`)."""
    if service.priority is None:
        return []
    if service.priority <= GUARD_PRIORITY_MAX:
        return [
            ConfigIssue(
                f"{base}.priority",
                service.priority,
                f"priorities 1 to {GUARD_PRIORITY_MAX} belong to the edge's guard rules "
                "(fixed responses evaluated before every route: /actuator, Keycloak's "
                "master realm)",
                f"{GUARD_PRIORITY_MAX + 1} to 49999",
            )
        ]
    issues = []
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
    return issues


def _assign_routes(public: Sequence[RoutedService], taken: dict[int, str]) -> list[Route]:
    """The routes in priority order: the default one at `DEFAULT_ROUTE_PRIORITY`, the others at
    their own priority or the next free one from `AUTO_PRIORITY_START` (in name order)."""
    routes: list[Route] = []
    next_priority = AUTO_PRIORITY_START
    for service in sorted(public, key=lambda s: s.name):
        if service.default_route:
            routes.append(_route(service, ("/*",), DEFAULT_ROUTE_PRIORITY, default=True))
            continue
        priority = service.priority
        if priority is None:
            while next_priority in taken:
                next_priority += AUTO_PRIORITY_STEP
            priority = next_priority
            taken[priority] = service.name
        routes.append(
            _route(
                service,
                tuple(service.path_patterns),
                priority,
                host_headers=tuple(service.host_headers),
            )
        )
    return sorted(routes, key=lambda r: r.priority)


def _route(
    service: RoutedService, path_patterns: tuple[str, ...], priority: int, **matching: Any
) -> Route:
    """`service`'s route on `path_patterns` at `priority` (`matching`: `default`,
    `host_headers`), with its target group's and the web ACL's settings."""
    return Route(
        service.name,
        service.port,
        service.health_check_path,
        path_patterns,
        priority,
        health_check_port=service.health_check_port,
        traffic_shift=service.traffic_shift,
        max_body_kb=service.max_request_body_kb,
        max_query_string_kb=service.max_query_string_kb,
        rate_limit=service.rate_limit,
        **matching,
    )
