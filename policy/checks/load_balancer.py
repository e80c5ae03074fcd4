"""Policy checks: The ALB, its listeners and the WAF (ELB.*, WAF.10/12, EDGE.2*), and what its
rules let through from the internet (EDGE.1*).

`forwarders(resources, path)` answers "which rule or listener sends a request for `path` to a
target group": each listener's rules in priority order, as the ALB evaluates them. A rule whose
only condition is its path decides; a rule with more conditions (a header, a host) matches
only some requests, so it decides nothing when it answers itself and counts when it forwards.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .base import (
    LISTENER_RULES,
    LISTENERS,
    LOAD_BALANCERS,
    TARGET_GROUPS,
    WEB_ACL,
    WEB_ACL_ASSOCIATION,
    _resource,
    _stack,
    companions,
    depends_on,
    get,
    is_false,
    is_true,
    items,
    linked,
    number,
    of_type,
    urn_of,
)
from .flags import Flag, flag_policy

LAYER4_PROTOCOLS = ("TCP", "TLS", "UDP", "TCP_UDP")
"""An NLB's listener protocols: they forward a port, whatever the bytes."""


def _application(props: Mapping[str, Any]) -> bool:
    return get(props, "loadBalancerType", default="application") == "application"


@_stack(
    "elb-http-redirects-to-https", ("ELB.1",), "A",
    "where a load balancer has an HTTPS listener, its HTTP listeners redirect to HTTPS",
    "make the port-80 listener's default action a redirect to HTTPS:443 (HTTP_301).",
)  # fmt: skip
def elb_redirect(resources):
    for balancer in of_type(resources, LOAD_BALANCERS):
        listeners = companions(resources, balancer, LISTENERS)
        if not any(get(li.props, "protocol") in ("HTTPS", "TLS") for li in listeners):
            continue  # no certificate configured: the control does not apply
        for listener in listeners:
            if get(listener.props, "protocol") != "HTTP":
                continue
            actions = items(get(listener.props, "defaultActions"))
            redirect = get(actions, 0, "redirect") if actions else None
            if (
                not actions
                or get(actions, 0, "type") != "redirect"
                or get(redirect, "protocol") != "HTTPS"
                or str(get(redirect, "port", default="443")) != "443"
            ):
                yield listener, "the HTTP listener does not redirect to HTTPS:443"


flag_policy(
    "elb-drop-invalid-headers", ("ELB.4",), "A", LOAD_BALANCERS,
    "application load balancers drop invalid HTTP header fields",
    "set drop_invalid_header_fields=True.",
    Flag("dropInvalidHeaderFields", "drop_invalid_header_fields"),
    applies=_application,
)  # fmt: skip


@_resource(
    "elb-access-logs", ("ELB.5",), "P", LOAD_BALANCERS,
    "application load balancers write access logs to S3",
    "set access_logs={'bucket': <bucket>, 'enabled': True} (stack config edge.accessLogs).",
)  # fmt: skip
def elb_access_logs(resource):
    props = resource.props
    if not _application(props):
        return  # ELB.5 covers ALBs (and CLBs); an NLB logs its TLS listeners only
    logs = get(props, "accessLogs")
    if not logs or not get(logs, "bucket") or is_false(get(logs, "enabled", default=True)):
        yield "access logs are off"


flag_policy(
    "elb-deletion-protection", ("ELB.6",), "P", LOAD_BALANCERS,
    "load balancers have deletion protection",
    "set enable_deletion_protection=True (stack config edge.deletionProtection).",
    Flag("enableDeletionProtection", "enable_deletion_protection"),
)  # fmt: skip


@_resource(
    "elb-desync-mitigation", ("ELB.12",), "A", LOAD_BALANCERS,
    "application load balancers use defensive or strictest desync mitigation",
    "set desync_mitigation_mode to 'defensive' (the AWS default) or 'strictest'.",
)  # fmt: skip
def elb_desync(resource):
    props = resource.props
    mode = get(props, "desyncMitigationMode", default="defensive")
    if _application(props) and mode not in ("defensive", "strictest"):
        yield f"desync_mitigation_mode is {mode!r}"


@_resource(
    "elb-multi-az", ("ELB.13",), "A", LOAD_BALANCERS,
    "load balancers span at least two Availability Zones",
    "give the load balancer subnets in at least two AZs.",
)  # fmt: skip
def elb_multi_az(resource):
    props = resource.props
    subnets = items(get(props, "subnets")) or items(get(props, "subnetMappings"))
    if len(subnets) < 2:
        yield f"{len(subnets)} subnet(s): a single AZ"


_TLS13_POLICIES = ("ELBSecurityPolicy-TLS13-1-2-Res-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06")


@_resource(
    "elb-modern-tls", ("ELB.17",), "A", LISTENERS,
    "HTTPS and TLS listeners use a TLS 1.3 security policy",
    f"set ssl_policy to {_TLS13_POLICIES[0]} or {_TLS13_POLICIES[1]}.",
)  # fmt: skip
def elb_modern_tls(resource):
    props = resource.props
    if get(props, "protocol") in ("HTTPS", "TLS"):
        policy = get(props, "sslPolicy")
        if policy not in _TLS13_POLICIES:
            yield f"ssl_policy is {policy or 'the AWS default (ELBSecurityPolicy-2016-08)'}"


@_stack(
    "elb-waf-attached", ("ELB.16*",), "P",
    "internet-facing application load balancers have a WAF web ACL",
    "associate a wafv2.WebAcl with the ALB (wafv2.WebAclAssociation; stack config edge.waf).",
)  # fmt: skip
def elb_waf(resources):
    for balancer in of_type(resources, LOAD_BALANCERS):
        if is_true(get(balancer.props, "internal")) or not _application(balancer.props):
            continue
        if not companions(resources, balancer, WEB_ACL_ASSOCIATION):
            yield balancer, "no web ACL is associated with this internet-facing ALB"


@_resource(
    "waf-rules-with-metrics", ("WAF.10", "WAF.12"), "P", (WEB_ACL,),
    "web ACLs have at least one rule and every rule publishes CloudWatch metrics",
    "add rules (managed rule groups, rate limit) with visibility_config."
    "cloudwatch_metrics_enabled=True on each.",
)  # fmt: skip
def waf_rules(resource):
    props = resource.props
    rules = items(get(props, "rules"))
    if not rules and not get(props, "ruleJson"):
        yield "the web ACL has no rule (WAF.10)"
    for rule in rules:
        if not is_true(get(rule, "visibilityConfig", "cloudwatchMetricsEnabled")):
            yield f"rule {get(rule, 'name')} publishes no CloudWatch metrics (WAF.12)"


FIXED_BODY_INSPECTION_BYTES = 8192
"""What an ALB (and AppSync) forwards to WAF of a body: fixed, whatever the web ACL's
`association_config` says (WAF API reference, `Body.OversizeHandling`)."""
DEFAULT_BODY_INSPECTION_BYTES = 16384
"""CloudFront, API Gateway, Cognito, App Runner, Verified Access: 16 KiB unless raised."""
_INSPECTION_LIMITS = {"KB_16": 16384, "KB_32": 32768, "KB_48": 49152, "KB_64": 65536}
_LOGICAL = ("andStatement", "orStatement", "notStatement")


def _body_statements(statement: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(kind, body) of every statement below `statement` that inspects the request body."""
    if not isinstance(statement, Mapping):
        return
    for kind, body in statement.items():
        if not isinstance(body, Mapping):
            continue
        if kind in _LOGICAL:
            for nested in items(get(body, "statements")) + items(get(body, "statement")):
                yield from _body_statements(nested)
            continue
        scope = get(body, "scopeDownStatement")
        if scope is not None:
            yield from _body_statements(scope)
        field = get(body, "fieldToMatch")
        if isinstance(field, Mapping) and ("body" in field or "jsonBody" in field):
            yield kind, body


def _inspected_bytes(resources: Sequence[Any], acl: Any) -> int:
    """The most of a body WAF inspects for this web ACL: 8 KiB when it is (or, regional and
    not yet associated, may be) in front of an ALB; else its `association_config` or 16 KiB."""
    associations = companions(resources, acl, WEB_ACL_ASSOCIATION)
    balancers = of_type(resources, LOAD_BALANCERS)
    behind_alb = any(depends_on(a, b) for a in associations for b in balancers)
    if behind_alb or (get(acl.props, "scope") == "REGIONAL" and not associations):
        return FIXED_BODY_INSPECTION_BYTES
    # `association_config.request_bodies`: [{api_gateway: {default_size_inspection_limit}}...]
    configured = [
        _INSPECTION_LIMITS.get(str(get(limit, "defaultSizeInspectionLimit")), 0)
        for body in items(get(acl.props, "associationConfig", "requestBodies"))
        if isinstance(body, Mapping)
        for limit in body.values()
    ]
    return max([DEFAULT_BODY_INSPECTION_BYTES, *configured])


@_stack(
    "waf-body-checks-within-inspection", ("EDGE.2*",), "A",
    "web ACL rules compare a request body only within what WAF inspects (8 KiB behind an ALB) "
    "and each says what a larger body does (oversize handling)",
    "compare a larger body limit on the Content-Length header (regex match), not on the body; "
    "set oversize_handling (MATCH to refuse what WAF cannot see, NO_MATCH to let it pass) on "
    "every body field.",
)  # fmt: skip
def waf_body_inspection(resources):
    for acl in of_type(resources, WEB_ACL):
        inspected = _inspected_bytes(resources, acl)
        for rule in items(get(acl.props, "rules")):
            for problem in _body_problems(rule, inspected):
                yield acl, problem


def _body_problems(rule: Mapping[str, Any], inspected: int) -> Iterator[str]:
    name = get(rule, "name")
    for kind, body in _body_statements(get(rule, "statement")):
        field = get(body, "fieldToMatch")
        component = "body" if "body" in field else "jsonBody"
        handling = get(field, component, "oversizeHandling")
        if handling is None:
            yield (
                f"rule {name} inspects the {component} without oversize handling: a body "
                f"over {inspected} bytes is judged on its first {inspected} (CONTINUE)"
            )
        size = number(get(body, "size"))
        if kind != "sizeConstraintStatement" or size is None:
            continue
        # `GT inspected` with MATCH is exact: WAF sees all of a body up to `inspected` bytes
        # and treats every longer one as oversize; any larger size WAF cannot measure.
        if size > inspected or (size == inspected and handling != "MATCH"):
            outcome = (
                f"blocks every body over {inspected} bytes"
                if handling == "MATCH"
                else "never matches"
            )
            yield (
                f"rule {name} compares the {component} with {int(size)} bytes, but WAF sees "
                f"at most {inspected} of it: the rule {outcome}"
            )


# -- what the rules let through -----------------------------------------------------------------


def path_patterns(rule: Any) -> list[str] | None:
    """The rule's path patterns; None when it has no path condition (it matches every path)."""
    found: list[str] = []
    for condition in items(get(rule.props, "conditions")):
        found += [str(v) for v in items(get(condition, "pathPattern", "values"))]
    return found or None


def _path_only(rule: Any) -> bool:
    """The rule's conditions look at the path and nothing else (so it decides every request
    for a path it matches)."""
    return all(
        not any(get(condition, key) for key in condition if key != "pathPattern")
        for condition in items(get(rule.props, "conditions"))
        if isinstance(condition, Mapping)
    )


def _forwards(resource: Any, prop: str) -> bool:
    return any(get(action, "type") == "forward" for action in items(get(resource.props, prop)))


def forwarded_groups(resource: Any, prop: str) -> list[Any]:
    """Target groups a rule's `actions` (or a listener's `defaultActions`) forward to."""
    return [d for d in linked(resource, prop) if d.resource_type in TARGET_GROUPS]


def _rules_of(resources: Sequence[Any], listener: Any) -> list[Any]:
    mine = [r for r in of_type(resources, LISTENER_RULES)
            if urn_of(listener) in {urn_of(d) for d in linked(r, "listenerArn")}]  # fmt: skip
    return sorted(mine, key=lambda r: number(get(r.props, "priority")) or 50000)


def forwarders(resources: Sequence[Any], path: str) -> Iterator[tuple[Any, list[Any]]]:
    """Every rule (or listener default action) that forwards a request for `path` to a target
    group, with the groups: per listener, its rules in priority order until one decides."""
    for listener in of_type(resources, LISTENERS):
        if get(listener.props, "protocol") in LAYER4_PROTOCOLS:
            continue  # an NLB's TCP/TLS listener forwards a port, not paths (LP.1 covers it)
        decided = False
        for rule in _rules_of(resources, listener):
            patterns = path_patterns(rule)
            if patterns is not None and not any(fnmatch.fnmatchcase(path, p) for p in patterns):
                continue
            if _forwards(rule, "actions"):
                yield rule, forwarded_groups(rule, "actions")
            if _path_only(rule):
                decided = True
                break
        if not decided and _forwards(listener, "defaultActions"):
            yield listener, forwarded_groups(listener, "defaultActions")


def _forwarded_prefixes(resources: Sequence[Any]) -> set[str]:
    """Where each forwarding rule's patterns start (`/api/*` -> `/api/`), and the root."""
    found = {"/"}
    for rule in of_type(resources, LISTENER_RULES):
        if _forwards(rule, "actions"):
            for pattern in path_patterns(rule) or ["/*"]:
                head = pattern.split("*", 1)[0].split("?", 1)[0]
                found.add(head if head.endswith("/") else f"{head}/")
    return found


MANAGEMENT_PATHS = ("actuator", "actuator/env", "actuator/heapdump")
"""Spring Boot's management endpoints, probed at the root and under every routed prefix."""
KEYCLOAK_MANAGEMENT_PATHS = ("/auth/health/ready", "/auth/metrics", "/health", "/metrics")
"""Keycloak's health and metrics, under its /auth relative path or at the root."""


def keycloak_groups(resources: Sequence[Any]) -> set[str]:
    """URNs of Keycloak's target groups (tagged with its service name, or named after it)."""
    return {
        urn_of(g)
        for g in of_type(resources, TARGET_GROUPS)
        if get(g.props, "tags", "Service") == "keycloak" or "keycloak" in g.name
    }


def _names(groups: Sequence[Any]) -> str:
    return ", ".join(sorted(g.name for g in groups)) or "a target group"


@_stack(
    "edge-management-endpoints-not-public", ("EDGE.1*",), "A",
    "no listener rule forwards a service's management endpoints (/actuator/*, at the root or "
    "under a routed prefix) or Keycloak's /health and /metrics to a target",
    "keep the edge's guard rule in front of every route (MANAGEMENT_GUARD, priority 1: "
    "/actuator* and /*/actuator* answer 404), and route Keycloak's /realms/ and /resources/ only.",
)  # fmt: skip
def management_endpoints_not_public(resources) -> Iterator[tuple[Any, str]]:
    reported: set[str] = set()
    probes = sorted(f"{prefix}{path}" for prefix in _forwarded_prefixes(resources)
                    for path in MANAGEMENT_PATHS)  # fmt: skip
    keycloak = keycloak_groups(resources)
    for probe in probes:
        for forwarder, groups in forwarders(resources, probe):
            if urn_of(forwarder) not in reported:
                reported.add(urn_of(forwarder))
                yield forwarder, f"forwards {probe} to {_names(groups)} from the internet"
    for probe in KEYCLOAK_MANAGEMENT_PATHS:
        for forwarder, groups in forwarders(resources, probe):
            hit = [g for g in groups if urn_of(g) in keycloak]
            if hit and urn_of(forwarder) not in reported:
                reported.add(urn_of(forwarder))
                yield forwarder, f"forwards {probe} to Keycloak ({_names(hit)})"
