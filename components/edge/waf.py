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

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..errors import ConfigIssue
from .config import EdgeSettings, Guard, Route, RouteRateLimit
from .rules import MANAGED_RULE_GROUPS, visibility, waf_guard_rule

KIB = 1024
CORE_RULE_SET = "AWSManagedRulesCommonRuleSet"
MANAGED_GROUP_CAPACITY = {
    "AWSManagedRulesCommonRuleSet": 700,
    "AWSManagedRulesKnownBadInputsRuleSet": 200,
    "AWSManagedRulesSQLiRuleSet": 200,
}
"""WCUs of each managed group (WAF developer guide, "AWS Managed Rules rule groups list")."""
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

DEFAULT_CAPACITY_UNITS = 1500
"""WCUs a web ACL uses within its base price; above, WAF charges per 500 WCUs."""
MAX_CAPACITY_UNITS = 5000
MAX_RATE_BASED_RULES = 10
MAX_LOGICAL_DEPTH = 3
"""`and`/`or`/`not` levels the provider's `wafv2.WebAcl` rules take (its `rules` docs)."""
MAX_PATTERN_CHARS = 200
"""Characters of a regex or of a string-match search string (WAF quotas)."""
EVALUATION_WINDOWS = (60, 120, 300, 600)
RESERVED_LABEL_WORDS = frozenset(
    {"aws", "waf", "managed", "rulegroup", "webacl", "regexpatternset", "ipset"}
)

ROUTE_LABEL = "route:{service}"
LARGE_BODY_LABEL = "size:large-body"
LONG_QUERY_LABEL = "size:long-query"
CONTENT_LENGTH = "content-length"
GLOBAL_RATE_RULE = "rate-limit-per-ip"
_NO_TRANSFORMATION = ({"priority": 0, "type": "NONE"},)


# ---------------------------------------------------------------------------------------------
# Statements
# ---------------------------------------------------------------------------------------------


def _transformations() -> list[dict[str, Any]]:
    return [dict(t) for t in _NO_TRANSFORMATION]


def any_of(statements: Sequence[dict[str, Any]]) -> dict[str, Any]:
    if len(statements) == 1:
        return statements[0]
    return {"or_statement": {"statements": list(statements)}}


def all_of(statements: Sequence[dict[str, Any]]) -> dict[str, Any]:
    if len(statements) == 1:
        return statements[0]
    return {"and_statement": {"statements": list(statements)}}


def negate(statement: dict[str, Any]) -> dict[str, Any]:
    return {"not_statement": {"statement": statement}}


def label(key: str) -> dict[str, Any]:
    return {"label_match_statement": {"scope": "LABEL", "key": key}}


def route_label(service: str) -> str:
    return ROUTE_LABEL.format(service=service)


def _byte_match(text: str, constraint: str) -> dict[str, Any]:
    return {
        "byte_match_statement": {
            "search_string": text,
            "positional_constraint": constraint,
            "field_to_match": {"uri_path": {}},
            "text_transformations": _transformations(),
        }
    }


def _wildcard_regex(pattern: str) -> str:
    return "^" + "".join(
        ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern
    ) + "$"  # fmt: skip


def path_statement(pattern: str) -> dict[str, Any]:
    """What matches the paths an ALB path pattern matches (`*`: any run of characters, `?`:
    one; case-sensitive, on the path as sent: no text transformation): a string match where
    the wildcards allow one (2 WCUs), a regex otherwise (3 WCUs)."""
    first = min((i for i, c in enumerate(pattern) if c in "*?"), default=None)
    if first is None:
        return _byte_match(pattern, "EXACTLY")
    head, tail = pattern[:first], pattern[first:]
    if head and set(tail) == {"*"}:
        return _byte_match(head, "STARTS_WITH")
    rest = pattern[1:]
    if pattern.startswith("*") and rest and not set(rest) & {"*", "?"}:
        return _byte_match(rest, "ENDS_WITH")
    return {
        "regex_match_statement": {
            "regex_string": _wildcard_regex(pattern),
            "field_to_match": {"uri_path": {}},
            "text_transformations": _transformations(),
        }
    }


def _literal_head(pattern: str) -> str:
    return re.split(r"[*?]", pattern, maxsplit=1)[0]


def may_overlap(a: str, b: str) -> bool:
    """Whether some path could match both ALB patterns (False only when they provably
    cannot: two different exact paths, or literal starts that diverge)."""
    if not set(a + b) & {"*", "?"}:
        return a == b
    head_a, head_b = _literal_head(a), _literal_head(b)
    return head_a.startswith(head_b) or head_b.startswith(head_a)


def route_statement(route: Route, routes: Sequence[Route]) -> dict[str, Any]:
    """The requests the ALB sends to `route`: its patterns, less those of the rules evaluated
    before it that may take some of them; the default route gets whatever no other route
    matches (guards answer their paths themselves, whatever the web ACL labels)."""
    others = [r for r in routes if r.service != route.service]
    if route.default:
        taken = [p for r in others for p in r.path_patterns]
        if not taken:
            return _byte_match("/", "STARTS_WITH")
        return negate(any_of([path_statement(p) for p in taken]))
    mine = any_of([path_statement(p) for p in route.path_patterns])
    earlier = [
        p
        for r in others
        if not r.default and r.priority < route.priority
        for p in r.path_patterns
        if any(may_overlap(p, q) for q in route.path_patterns)
    ]
    if not earlier:
        return mine
    return all_of([mine, negate(any_of([path_statement(p) for p in earlier]))])


def header_present(name: str) -> dict[str, Any]:
    """The request carries header `name` with a value (a missing header is no match)."""
    return {
        "size_constraint_statement": {
            "comparison_operator": "GT",
            "size": 0,
            "field_to_match": {"single_header": {"name": name.lower()}},
            "text_transformations": _transformations(),
        }
    }


def greater_than_patterns(number: int) -> list[str]:
    """Regexes that together match the decimal integers greater than `number`, leading zeros
    allowed (`0070000` is 70,000 to the ALB): one anchored alternative per digit that can be
    raised and one for longer numbers, no group (WAF's regex dialect supports no capturing
    subexpression), split so that none is longer than WAF takes (200 characters)."""
    if number < 0:
        raise ValueError(f"{number} is negative")
    text = str(number)
    width = len(text)

    def digits(count: int) -> str:
        return "" if count == 0 else r"\d" if count == 1 else rf"\d{{{count}}}"

    alternatives = [rf"^0*[1-9]\d{{{width},}}$"]
    for index, digit in enumerate(text):
        if digit == "9":
            continue
        low = int(digit) + 1
        choice = "9" if low == 9 else f"[{low}-9]"
        alternatives.append(f"^0*{text[:index]}{choice}{digits(width - index - 1)}$")
    patterns = [alternatives[0]]
    for alternative in alternatives[1:]:
        if len(patterns[-1]) + 1 + len(alternative) > MAX_PATTERN_CHARS:
            patterns.append(alternative)
        else:
            patterns[-1] += "|" + alternative
    return patterns


def content_length_above(size: int) -> dict[str, Any]:
    """The request declares a body longer than `size` bytes (`Content-Length`, which the ALB
    frames the body by)."""
    return any_of([
        {
            "regex_match_statement": {
                "regex_string": pattern,
                "field_to_match": {"single_header": {"name": CONTENT_LENGTH}},
                "text_transformations": _transformations(),
            }
        }
        for pattern in greater_than_patterns(size)
    ])  # fmt: skip


def _size_above(field: dict[str, Any], size: int) -> dict[str, Any]:
    return {
        "size_constraint_statement": {
            "comparison_operator": "GT",
            "size": size,
            "field_to_match": field,
            "text_transformations": _transformations(),
        }
    }


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
            {"header": {"name": header.lower(), "text_transformations": _transformations()}}
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
            else _size_above({"body": {"oversize_handling": "MATCH"}}, size)
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
            label(route_label(route.service)), _size_above({"query_string": {}}, kb * KIB),
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
# Capacity (WCUs) and the other limits WAF refuses a web ACL by
# ---------------------------------------------------------------------------------------------


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _fields(value: Any) -> dict[str, Any]:
    """A statement's keys in snake_case: the rules as written here, or as the engine and the
    policy pack record them (camelCase)."""
    return {_snake(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}


_STRING_MATCH = {"EXACTLY": 2, "STARTS_WITH": 2, "ENDS_WITH": 2, "CONTAINS": 10,
                 "CONTAINS_WORD": 10}  # fmt: skip
_LOGICAL = ("and_statement", "or_statement", "not_statement")


def _component_cost(body: dict[str, Any], base: int) -> int:
    """A match statement's WCUs: its base, x2 on the JSON body, +10 on all query arguments,
    +10 per text transformation (NONE is none)."""
    field = _fields(body.get("field_to_match"))
    cost = base * 2 if "json_body" in field else base
    if "all_query_arguments" in field:
        cost += 10
    transformations = body.get("text_transformations") or []
    return cost + 10 * sum(1 for t in transformations if _fields(t).get("type") != "NONE")


def _nested(body: dict[str, Any]) -> list[Any]:
    if "statements" in body:
        return list(body["statements"] or [])
    return [body["statement"]] if body.get("statement") is not None else []


def statement_capacity(statement: Mapping[str, Any]) -> int:
    """WCUs of one statement, as the WAF developer guide prices each type ("Rule statements"):
    an upper bound, as WAF may count a transformation shared by statements once."""
    fields = _fields(statement)
    total = 0
    for kind, raw in fields.items():
        body = _fields(raw)
        if kind in _LOGICAL:
            total += sum(statement_capacity(s) for s in _nested(body))
        elif kind == "byte_match_statement":
            total += _component_cost(body, _STRING_MATCH[body["positional_constraint"]])
        elif kind == "regex_match_statement":
            total += _component_cost(body, 3)
        elif kind == "regex_pattern_set_reference_statement":
            total += _component_cost(body, 25)
        elif kind == "size_constraint_statement":
            total += _component_cost(body, 1)
        elif kind in ("sqli_match_statement", "xss_match_statement"):
            total += _component_cost(body, 20 if kind == "sqli_match_statement" else 40)
        elif kind in ("label_match_statement", "geo_match_statement", "asn_match_statement",
                      "ip_set_reference_statement"):  # fmt: skip
            total += 1
        elif kind == "rate_based_statement":
            keys = body.get("custom_keys") or []
            scope = body.get("scope_down_statement")
            total += 2 + 30 * len(keys) + (statement_capacity(scope) if scope else 0)
        elif kind == "managed_rule_group_statement":
            if body["name"] not in MANAGED_GROUP_CAPACITY:
                raise ValueError(f"no known capacity for the managed group {body['name']}")
            scope = body.get("scope_down_statement")
            total += MANAGED_GROUP_CAPACITY[body["name"]]
            total += statement_capacity(scope) if scope else 0
        else:
            raise ValueError(f"no known capacity for a {kind}")
    return total


def web_acl_capacity(rules: Iterable[Mapping[str, Any]]) -> int:
    return sum(statement_capacity(_fields(rule)["statement"]) for rule in rules)


def logical_depth(statement: Mapping[str, Any]) -> int:
    """Nesting of `and`/`or`/`not` statements (a rate-based or managed statement's scope-down
    counts from its own root)."""
    depth = 0
    for kind, raw in _fields(statement).items():
        body = _fields(raw)
        if kind in _LOGICAL:
            depth = max(depth, 1 + max((logical_depth(s) for s in _nested(body)), default=0))
        elif body.get("scope_down_statement") is not None:
            depth = max(depth, logical_depth(body["scope_down_statement"]))
    return depth


def _strings(statement: Mapping[str, Any]) -> Iterable[str]:
    for kind, raw in _fields(statement).items():
        body = _fields(raw)
        if kind in _LOGICAL:
            for nested in _nested(body):
                yield from _strings(nested)
        elif body.get("scope_down_statement") is not None:
            yield from _strings(body["scope_down_statement"])
        for key in ("regex_string", "search_string"):
            if isinstance(body.get(key), str):
                yield body[key]


def rate_based_rules(rules: Iterable[Mapping[str, Any]]) -> list[str]:
    return [
        str(rule["name"]) for rule in rules if "rate_based_statement" in _fields(rule["statement"])
    ]


def web_acl_problems(
    rules: Sequence[Mapping[str, Any]], max_capacity: int = DEFAULT_CAPACITY_UNITS
) -> list[str]:
    """Why WAF (or the provider) would refuse these rules ([] = it would not)."""
    problems = []
    capacity = web_acl_capacity(rules)
    if capacity > max_capacity:
        problems.append(f"the rules need {capacity} WCUs, more than {max_capacity}")
    rate_based = rate_based_rules(rules)
    if len(rate_based) > MAX_RATE_BASED_RULES:
        problems.append(f"{len(rate_based)} rate-based rules (WAF allows "
                        f"{MAX_RATE_BASED_RULES} per web ACL)")  # fmt: skip
    for rule in rules:
        fields = _fields(rule)
        if logical_depth(fields["statement"]) > MAX_LOGICAL_DEPTH:
            problems.append(f"rule {rule['name']} nests more than {MAX_LOGICAL_DEPTH} levels")
        long = [s for s in _strings(fields["statement"]) if len(s) > MAX_PATTERN_CHARS]
        if long:
            problems.append(f"rule {rule['name']} matches a pattern of {len(long[0])} "
                            f"characters (at most {MAX_PATTERN_CHARS})")  # fmt: skip
        for item in fields.get("rule_labels") or []:
            parts = set(str(_fields(item).get("name", "")).split(":"))
            if parts & RESERVED_LABEL_WORDS:
                problems.append(f"rule {rule['name']} adds a label with a word WAF reserves "
                                f"({', '.join(sorted(parts & RESERVED_LABEL_WORDS))})")  # fmt: skip
    return problems


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
            text = _strings(path_statement(pattern))
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
