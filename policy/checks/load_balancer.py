"""Policy checks: The ALB, its listeners and the WAF (ELB.*, WAF.10/12)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import (
    LISTENERS,
    LOAD_BALANCERS,
    WEB_ACL,
    WEB_ACL_ASSOCIATION,
    _resource,
    _stack,
    companions,
    get,
    is_false,
    is_true,
    items,
    of_type,
)


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


@_resource(
    "elb-drop-invalid-headers", ("ELB.4",), "A", LOAD_BALANCERS,
    "application load balancers drop invalid HTTP header fields",
    "set drop_invalid_header_fields=True.",
)  # fmt: skip
def elb_drop_invalid_headers(resource):
    props = resource.props
    if _application(props) and not is_true(get(props, "dropInvalidHeaderFields")):
        yield "drop_invalid_header_fields is not true"


@_resource(
    "elb-access-logs", ("ELB.5",), "P", LOAD_BALANCERS,
    "load balancers write access logs to S3",
    "set access_logs={'bucket': <bucket>, 'enabled': True} (stack config edge.accessLogs).",
)  # fmt: skip
def elb_access_logs(resource):
    props = resource.props
    logs = get(props, "accessLogs")
    if not logs or not get(logs, "bucket") or is_false(get(logs, "enabled", default=True)):
        yield "access logs are off"


@_resource(
    "elb-deletion-protection", ("ELB.6",), "P", LOAD_BALANCERS,
    "load balancers have deletion protection",
    "set enable_deletion_protection=True (stack config edge.deletionProtection).",
)  # fmt: skip
def elb_deletion_protection(resource):
    props = resource.props
    if not is_true(get(props, "enableDeletionProtection")):
        yield "enable_deletion_protection is not true"


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
