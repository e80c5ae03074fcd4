"""The edge rules of `resolve.py`: the stack's load balancers as `edge/config.py` resolves them
for the resolved services, then the rules that span the routes of several services (the ALB
stops at the first rule that matches) and Keycloak's hostname under the edge's domain."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence

from ..edge.config import (
    EdgeSettings,
    NetworkLoadBalancerSettings,
    resolve_edge,
    resolve_network_load_balancer,
)
from ..edge.routing import shadows
from ..edge.waf import web_acl_issues
from ..errors import ConfigIssue
from ..identity.config import KEYCLOAK_SERVICE, keycloak_guards
from .model import StackConfig
from .platform_settings import PlatformSettings
from .settings import ServiceSettings


def stack_edge(
    config: StackConfig,
    *,
    region: str,
    services: Sequence[ServiceSettings],
    service_path: Callable[[str], str],
    platform: PlatformSettings,
    security_log_retention_days: int,
    issues: list[ConfigIssue],
) -> tuple[EdgeSettings | None, NetworkLoadBalancerSettings | None]:
    """The stack's ALB (`edge`) with its cross-service rules, then its NLB."""
    env = config.environment
    external_target_groups = [
        (f"targetGroupArns.{name}", arn) for name, arn in sorted(config.target_group_arns.items())
    ] + [
        (f"serviceOverrides.{name}.targetGroupArn", override.target_group_arn)
        for name, override in sorted(config.service_overrides.items())
        if override.target_group_arn
    ]
    edge = resolve_edge(
        config.edge,
        env=env,
        region=region,
        services=services,
        service_path=service_path,
        external_target_groups=external_target_groups,
        issues=issues,
        security_log_retention_days=security_log_retention_days,
        guards=keycloak_guards() if _keycloak_routed(services, platform) else (),
    )
    if edge is not None:
        _check_shadowed_routes(edge, service_path, issues)
        issues += web_acl_issues(edge, service_path)
        issues += _keycloak_hostname_issues(edge, platform)
    nlb = resolve_network_load_balancer(
        config.network_load_balancer,
        env=env,
        region=region,
        services=services,
        service_path=service_path,
        issues=issues,
    )
    return edge, nlb


def _keycloak_hostname_issues(edge: EdgeSettings, platform: PlatformSettings) -> list[ConfigIssue]:
    """Keycloak's hostname lies under the edge's domain (its certificate and records)."""
    keycloak = platform.keycloak
    domain = edge.domain
    if domain is not None and keycloak is not None and keycloak.hostname:
        host = keycloak.hostname
        if host != domain.name and not host.endswith(f".{domain.name}"):
            return [
                ConfigIssue(
                    "keycloak.hostname",
                    host,
                    f"outside edge.domain ({domain.name}): the program's certificate and "
                    "alias records would not cover it",
                    f"{domain.name} or a name under it, e.g. sso.{domain.name}",
                )
            ]
    return []


def _covers(earlier: str, later: str) -> bool:
    """Every path `later` matches, `earlier` matches too (ALB patterns: `*` any run, `?` one
    character). Reading `later`'s wildcards as text is exact unless a `?` of `earlier` meets a
    `*` of `later`: that case is left out (never a false alarm)."""
    if earlier == later or ("?" in earlier and "*" in later):
        return False
    return fnmatch.fnmatchcase(later, earlier)


def _check_shadowed_routes(
    edge: EdgeSettings, service_path: Callable[[str], str], issues: list[ConfigIssue]
) -> None:
    """The ALB stops at the first rule that matches: a pattern a lower-priority rule of another
    service matches entirely, on every host the later rule names, never receives traffic
    (identical patterns on the same hosts are reported already)."""
    routes = sorted((r for r in edge.routes if not r.default), key=lambda r: r.priority)
    for index, later in enumerate(routes):
        for pattern in later.path_patterns:
            for earlier in routes[:index]:
                covering = [p for p in earlier.path_patterns if _covers(p, pattern)]
                if (
                    earlier.service == later.service
                    or not covering
                    or not shadows(
                        earlier.host_headers, later.host_headers, paths_covered=bool(covering)
                    )
                ):
                    continue
                issues.append(
                    ConfigIssue(
                        f"{service_path(later.service)}.pathPatterns",
                        pattern,
                        f"never reached: {earlier.service}'s {covering[0]} (priority "
                        f"{earlier.priority}) matches it first (priority {later.priority})",
                        f"a priority below {earlier.priority} for {later.service}, or patterns "
                        f"{earlier.service} does not match",
                    )
                )
                break


def _keycloak_routed(services: Sequence[ServiceSettings], platform: PlatformSettings) -> bool:
    """Keycloak runs and the stack's ALB routes to it (its guards then stand in front)."""
    return platform.keycloak is not None and any(
        s.name == KEYCLOAK_SERVICE and s.public for s in services
    )
