"""The web ACL's rules, as plain data (`wafv2.WebAcl(rules=...)`), and what WAF limits them by.

No resources are created here; the tests and the stack's config check read the same rules the
component registers. Rule order (priority = position):

1. `route-<service>` (COUNT): labels the requests the ALB routes to a service the web ACL treats
   apart (`Route.waf_settings`): `route:<service>`, and `size:large-body` / `size:long-query`
   when the route accepts more than the core rule set does. Later rules match these labels
   instead of repeating the path statements (WAF evaluates the paths once, and no statement
   nests deeper than the provider's three logical levels).
2. Rate-based rules: each rate-limited route by its own key (`rate-<service>`, and with a header
   key `rate-<service>-per-ip`), every other request by client address (`rate-limit-per-ip`).
3. `edge-guards`, then AWS's managed groups. The core rule set's `SizeRestrictions_BODY` and
   `SizeRestrictions_QUERYSTRING` are overridden to COUNT when some route accepts more: they
   still label what they see (`awswaf:managed:aws:core-rule-set:SizeRestrictions_Body`...).
4. `body-size` / `query-string-size` block on those labels everywhere but on the routes that
   accept more, and `body-size-<service>` / `query-string-size-<service>` block above each
   route's own limit.

WAF inspects at most the first 8 KiB of a request body behind an ALB (fixed; the web ACL's
`association_config` raises the limit for CloudFront, API Gateway, Cognito, App Runner and
Verified Access only), so a body limit above 8 KiB is checked on the `Content-Length` the client
declares, and a body over 8 KiB that declares none is refused on those routes (docs/DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..errors import ConfigIssue
from .config import EdgeSettings, Guard, Route, RouteRateLimit
from .rules import MANAGED_RULE_GROUPS, visibility, waf_guard_rule
from .waf_capacity import (
    DEFAULT_CAPACITY_UNITS,
    EVALUATION_WINDOWS,
    MANAGED_GROUP_CAPACITY,
    MAX_CAPACITY_UNITS,
    MAX_LOGICAL_DEPTH,
    MAX_PATTERN_CHARS,
    MAX_RATE_BASED_RULES,
    RESERVED_LABEL_WORDS,
    logical_depth,
    rate_based_rules,
    statement_capacity,
    statement_strings,
    web_acl_capacity,
    web_acl_problems,
)
from .waf_statements import (
    CONTENT_LENGTH,
    ROUTE_LABEL,
    all_of,
    any_of,
    content_length_above,
    greater_than_patterns,
    header_present,
    label,
    may_overlap,
    negate,
    no_transformation,
    path_statement,
    route_label,
    route_statement,
    size_above,
)

__all__ = [
    "ALB_BODY_INSPECTION_BYTES",
    "CONTENT_LENGTH",
    "CORE_RULE_SET",
    "CRS_BODY_BYTES",
    "CRS_BODY_LABEL",
    "CRS_BODY_RULE",
    "CRS_QUERY_BYTES",
    "CRS_QUERY_LABEL",
    "CRS_QUERY_RULE",
    "DEFAULT_CAPACITY_UNITS",
    "EVALUATION_WINDOWS",
    "GLOBAL_RATE_RULE",
    "KIB",
    "LARGE_BODY_LABEL",
    "LONG_QUERY_LABEL",
    "MANAGED_GROUP_CAPACITY",
    "MAX_CAPACITY_UNITS",
    "MAX_LOGICAL_DEPTH",
    "MAX_PATTERN_CHARS",
    "MAX_RATE_BASED_RULES",
    "RESERVED_LABEL_WORDS",
    "ROUTE_LABEL",
    "all_of",
    "any_of",
    "content_length_above",
    "greater_than_patterns",
    "header_present",
    "label",
    "large_body",
    "logical_depth",
    "long_query",
    "managed_rules",
    "may_overlap",
    "negate",
    "path_statement",
    "rate_based_rules",
    "rate_rules",
    "route_label",
    "route_rule",
    "route_statement",
    "service_rules",
    "size_rules",
    "statement_capacity",
    "web_acl_capacity",
    "web_acl_issues",
    "web_acl_problems",
    "web_acl_rules",
]

KIB = 1024
CORE_RULE_SET = "AWSManagedRulesCommonRuleSet"
CRS_BODY_RULE = "SizeRestrictions_BODY"
CRS_BODY_LABEL = "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body"
CRS_BODY_BYTES = 8 * KIB
"""The core rule set labels (and by default blocks) bodies over 8 KiB (8,192 bytes)."""
CRS_QUERY_RULE = "SizeRestrictions_QUERYSTRING"
CRS_QUERY_LABEL = "awswaf:managed:aws:core-rule-set:SizeRestrictions_QueryString"
CRS_QUERY_BYTES = 2 * KIB
"""... and query strings over 2,048 bytes."""
ALB_BODY_INSPECTION_BYTES = 8 * KIB
"""What an ALB forwards to WAF of a body (fixed: `Body.OversizeHandling`, WAF API)."""


LARGE_BODY_LABEL = "size:large-body"
LONG_QUERY_LABEL = "size:long-query"
GLOBAL_RATE_RULE = "rate-limit-per-ip"


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------


def _rule(prefix: str, name: str, statement: dict[str, Any], action: str = "block",
          labels: Sequence[str] = ()) -> dict[str, Any]:  # fmt: skip
    rule: dict[str, Any] = {"name": name, "action": {action: {}}, "statement": statement}
    if labels:
        rule["rule_labels"] = [{"name": text} for text in labels]
    rule["visibility_config"] = visibility(f"{prefix}-{name}")
    return rule


def large_body(route: Route) -> bool:
    return route.max_body_kb is not None and route.max_body_kb * KIB > CRS_BODY_BYTES


def long_query(route: Route) -> bool:
    return (
        route.max_query_string_kb is not None and route.max_query_string_kb * KIB > CRS_QUERY_BYTES
    )


def route_rule(prefix: str, route: Route, routes: Sequence[Route]) -> dict[str, Any]:
    labels = [route_label(route.service)]
    if large_body(route):
        labels.append(LARGE_BODY_LABEL)
    if long_query(route):
        labels.append(LONG_QUERY_LABEL)
    return _rule(prefix, f"route-{route.service}", route_statement(route, routes), "count", labels)


def _rate_statement(
    limit: int,
    window: int,
    scope: dict[str, Any] | None,
    header: str | None = None,
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "limit": limit,
        "evaluation_window_sec": window,
        "aggregate_key_type": "CUSTOM_KEYS" if header else "IP",
    }
    if header:
        statement["custom_keys"] = [
            {"header": {"name": header.lower(), "text_transformations": no_transformation()}}
        ]
    if scope is not None:
        statement["scope_down_statement"] = scope
    return {"rate_based_statement": statement}


def _keyed(route: Route, limit: RouteRateLimit) -> dict[str, Any]:
    """The requests `route`'s own rules count (so the stack-wide rule does not)."""
    here = label(route_label(route.service))
    return all_of([here, header_present(limit.header)]) if limit.header else here


def rate_rules(prefix: str, rate_limit: int, routes: Sequence[Route]) -> list[dict[str, Any]]:
    """Every request is counted by one client key: its route's when the route has a rate
    limit and the request carries the key, else its address (`rate-limit-per-ip`). A
    header-keyed route also caps each address over all the keys it sends."""
    limited = [(r, r.rate_limit) for r in routes if r.rate_limit is not None]
    keyed = [_keyed(route, limit) for route, limit in limited]
    rules = [
        _rule(prefix, GLOBAL_RATE_RULE,
              _rate_statement(rate_limit, 300, negate(any_of(keyed)) if keyed else None))
    ]  # fmt: skip
    for route, limit in limited:
        here = label(route_label(route.service))
        rules.append(
            _rule(
                prefix,
                f"rate-{route.service}",
                _rate_statement(limit.limit, limit.window_seconds, here, limit.header),
            )
        )
        if limit.header and limit.ip_limit is not None:
            rules.append(
                _rule(
                    prefix,
                    f"rate-{route.service}-per-ip",
                    _rate_statement(limit.ip_limit, limit.window_seconds, _keyed(route, limit)),
                )
            )
    return rules


def managed_rules(
    prefix: str, *, count_body: bool = False, count_query: bool = False
) -> list[dict[str, Any]]:
    """AWS's groups; the core rule set's size rules in COUNT where later rules decide."""
    overrides = [
        {"name": name, "action_to_use": {"count": {}}}
        for name, counted in ((CRS_BODY_RULE, count_body), (CRS_QUERY_RULE, count_query))
        if counted
    ]
    rules = []
    for group in MANAGED_RULE_GROUPS:
        statement: dict[str, Any] = {"vendor_name": "AWS", "name": group}
        if group == CORE_RULE_SET and overrides:
            statement["rule_action_overrides"] = overrides
        rules.append(
            {
                "name": group,
                "override_action": {"none": {}},
                "statement": {"managed_rule_group_statement": statement},
                "visibility_config": visibility(f"{prefix}-{group}"),
            }
        )
    return rules


def size_rules(prefix: str, routes: Sequence[Route]) -> list[dict[str, Any]]:
    """What the overridden size rules no longer block, blocked again where it should be: over
    8 KiB of body or 2 KiB of query string everywhere but on the routes that accept more, and
    above each route's own limit."""
    rules: list[dict[str, Any]] = []
    if any(large_body(r) for r in routes):
        # A body over 8 KiB on a large-body route that declares no length cannot be measured.
        rules.append(_rule(prefix, "body-size", all_of([
            label(CRS_BODY_LABEL),
            any_of([negate(label(LARGE_BODY_LABEL)), negate(header_present(CONTENT_LENGTH))]),
        ])))  # fmt: skip
    for route in routes:
        if route.max_body_kb is None or route.max_body_kb * KIB == CRS_BODY_BYTES:
            continue
        size = route.max_body_kb * KIB
        above = (
            content_length_above(size)
            if size >= ALB_BODY_INSPECTION_BYTES
            else size_above({"body": {"oversize_handling": "MATCH"}}, size)
        )
        rules.append(_rule(prefix, f"body-size-{route.service}",
                           all_of([label(route_label(route.service)), above])))  # fmt: skip
    if any(long_query(r) for r in routes):
        rules.append(
            _rule(
                prefix,
                "query-string-size",
                all_of([label(CRS_QUERY_LABEL), negate(label(LONG_QUERY_LABEL))]),
            )
        )
    for route in routes:
        kb = route.max_query_string_kb
        if kb is None or kb * KIB == CRS_QUERY_BYTES:
            continue
        rules.append(_rule(prefix, f"query-string-size-{route.service}", all_of([
            label(route_label(route.service)), size_above({"query_string": {}}, kb * KIB),
        ])))  # fmt: skip
    return rules


def web_acl_rules(
    metric_prefix: str,
    rate_limit: int,
    guards: Sequence[Guard] = (),
    routes: Sequence[Route] = (),
) -> list[dict[str, Any]]:
    """Every rule of the web ACL, in evaluation order (module docstring), with priorities."""
    special = [r for r in routes if r.waf_settings]
    rules = [route_rule(metric_prefix, r, routes) for r in special]
    rules += rate_rules(metric_prefix, rate_limit, special)
    guard_rule = waf_guard_rule(metric_prefix, guards)
    if guard_rule is not None:
        rules.append(guard_rule)
    rules += managed_rules(
        metric_prefix,
        count_body=any(large_body(r) for r in special),
        count_query=any(long_query(r) for r in special),
    )
    rules += size_rules(metric_prefix, special)
    return [{**rule, "priority": index} for index, rule in enumerate(rules)]


def service_rules(rules: Iterable[Mapping[str, Any]], service: str) -> list[Mapping[str, Any]]:
    """The rules `web_acl_rules` adds for one route."""
    names = {f"route-{service}", f"rate-{service}", f"rate-{service}-per-ip",
             f"body-size-{service}", f"query-string-size-{service}"}  # fmt: skip
    return [r for r in rules if r["name"] in names]


# ---------------------------------------------------------------------------------------------
# The stack's config check
# ---------------------------------------------------------------------------------------------


def web_acl_issues(edge: EdgeSettings, service_path: Callable[[str], str]) -> list[ConfigIssue]:
    """What WAF would refuse in the web ACL these settings build, named by the keys that add it:
    its capacity above `edge.waf.maxCapacityUnits`, more than 10 rate-based rules, a path
    pattern whose regex is too long, a label with a word WAF reserves."""
    if not edge.waf:
        return []
    rules = web_acl_rules("check", edge.waf_rate_limit, edge.guards, edge.routes)
    issues = []
    capacity = web_acl_capacity(rules)
    if capacity > edge.waf_max_capacity_units:
        managed = sum(MANAGED_GROUP_CAPACITY.values())
        parts = [f"managed groups {managed}"]
        parts += [
            f"{service_path(r.service)} {web_acl_capacity(service_rules(rules, r.service))}"
            for r in edge.routes
            if r.waf_settings
        ]
        issues.append(
            ConfigIssue(
                "edge.waf.maxCapacityUnits",
                edge.waf_max_capacity_units,
                f"the web ACL's rules would need {capacity} WCUs ({', '.join(parts)}, the rest "
                "for the guards and the stack-wide rules): WAF refuses the web ACL at "
                "`pulumi up`",
                f"rules within {edge.waf_max_capacity_units} WCUs (fewer services with their "
                "own rateLimit, maxRequestBodyKb or maxQueryStringKb, fewer path patterns on "
                f"them), or edge.waf.maxCapacityUnits up to {MAX_CAPACITY_UNITS} (WAF charges "
                f"per 500 WCUs above {DEFAULT_CAPACITY_UNITS})",
            )
        )
    rate_based = rate_based_rules(rules)
    if len(rate_based) > MAX_RATE_BASED_RULES:
        limited = [r for r in edge.routes if r.rate_limit is not None]
        issues.append(
            ConfigIssue(
                f"{service_path(limited[-1].service)}.rateLimit",
                len(rate_based),
                f"{len(rate_based)} rate-based rules ({', '.join(rate_based)}): WAF allows "
                f"{MAX_RATE_BASED_RULES} per web ACL",
                "fewer services with their own rateLimit (one with a header key takes two "
                "rules, the stack-wide rule one)",
            )
        )
    for route in edge.routes:
        if not route.waf_settings:
            continue
        base = service_path(route.service)
        if set(route_label(route.service).split(":")) & RESERVED_LABEL_WORDS:
            issues.append(
                ConfigIssue(
                    base,
                    route.service,
                    f"the web ACL labels this service's requests {route_label(route.service)}, "
                    "and WAF reserves that word in labels",
                    "a service name other than " + ", ".join(sorted(RESERVED_LABEL_WORDS)),
                )
            )
        for pattern in route.path_patterns:
            text = statement_strings(path_statement(pattern))
            long = [t for t in text if len(t) > MAX_PATTERN_CHARS]
            if long:
                issues.append(
                    ConfigIssue(
                        f"{base}.pathPatterns",
                        pattern,
                        f"the web ACL matches it with a pattern of {len(long[0])} characters "
                        f"(WAF takes at most {MAX_PATTERN_CHARS})",
                        "a shorter pattern, or wildcards only at its end",
                    )
                )
    return issues
