"""Pure data and helpers for `edge.py`: physical names, listener actions and conditions, WAF rules,
the access-log bucket policy, the role ECS uses for blue/green, and the public URLs.

No resources are created here; everything is plain data so the tests check it without an engine.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

import pulumi

from .config import Route

ELB_NAME_MAX = 32
"""ALB and target group names: 32 characters of letters, digits and '-'."""

ECS_LB_INFRASTRUCTURE_POLICY_ARN = (
    "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
)
"""AWS managed policy for the role ECS assumes to switch listener rules during blue/green."""

HEALTH_CHECK = {
    "enabled": True,
    "protocol": "HTTP",
    "port": "traffic-port",
    "matcher": "200",
    "interval": 30,
    "timeout": 5,
    "healthy_threshold": 2,
    "unhealthy_threshold": 3,
}
"""Target group health check (field report: interval 30 s, timeout 5 s)."""

MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)

# Account that writes ALB access logs, per region opened before August 2022 (ELB user guide,
# "Enable access logs"); newer regions use the log-delivery service principal instead.
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-south-1": "718504428378",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-south-1": "635631232127",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------


def elb_name(*parts: str) -> str:
    """`parts` joined by '-', at most 32 characters. Longer names are cut and end with 6 hex
    digits of their hash, so two long names stay distinct and the same input gives the same name.
    Set explicitly because Pulumi's auto-naming adds 8 characters and fails past 32."""
    name = re.sub(r"-{2,}", "-", "-".join(parts)).strip("-")
    if len(name) <= ELB_NAME_MAX:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[: ELB_NAME_MAX - 7].rstrip('-')}-{digest}"


def target_group_name(project: str, environment: str, service: str, port: int, slot: str) -> str:
    """`<env>-<service>-<port>-<slot>-<4 hex digits of the project>`, e.g.
    `prod-api-gateway-8080-a-1f0e`. The slot is `a` or `b` (blue/green swaps their roles, so
    neither is "blue" for good); the port is in the name so that a port change creates the new
    group before the old one goes; the digest tells projects sharing an account apart."""
    tail = f"{port}-{slot}-{_digest(project)}"
    short = service.removeprefix("aw-")
    room = ELB_NAME_MAX - len(environment) - len(tail) - 2
    if len(short) > room:
        # Long service names keep their start and a digest of the whole name.
        short = f"{short[: room - 5].rstrip('-')}-{_digest(short)}"
    return elb_name(environment, short, tail)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:4]


# ---------------------------------------------------------------------------------------------
# Listener actions and conditions
# ---------------------------------------------------------------------------------------------


def forward_action(
    primary_arn: pulumi.Input[str], alternate_arn: pulumi.Input[str] | None = None
) -> dict[str, Any]:
    """Forward to one target group, or (blue/green) to both with weights 100/0: ECS moves the
    weights to the other group during a deployment."""
    if alternate_arn is None:
        return {"type": "forward", "target_group_arn": primary_arn}
    return {
        "type": "forward",
        "forward": {
            "target_groups": [
                {"arn": primary_arn, "weight": 100},
                {"arn": alternate_arn, "weight": 0},
            ],
        },
    }


def path_condition(route: Route) -> dict[str, Any]:
    return {"path_pattern": {"values": list(route.path_patterns)}}


REDIRECT_TO_HTTPS = {
    "type": "redirect",
    "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"},
}

NOT_FOUND = {
    "type": "fixed-response",
    "fixed_response": {
        "content_type": "application/json",
        "message_body": '{"error":"not found"}',
        "status_code": "404",
    },
}
"""Listener default action: every routed path has its own rule (see docs/DESIGN.md)."""


# ---------------------------------------------------------------------------------------------
# WAF
# ---------------------------------------------------------------------------------------------


def visibility(metric_name: str) -> dict[str, Any]:
    return {
        "cloudwatch_metrics_enabled": True,
        "metric_name": metric_name,
        "sampled_requests_enabled": True,
    }


def waf_rules(metric_prefix: str, rate_limit: int) -> list[dict[str, Any]]:
    """Rate limit per client IP first (cheapest way to shed a flood), then AWS's managed groups:
    common exploits (OWASP top 10), known bad inputs (Log4Shell...), SQL injection."""
    rules: list[dict[str, Any]] = [
        {
            "name": "rate-limit-per-ip",
            "priority": 0,
            "action": {"block": {}},
            "statement": {
                "rate_based_statement": {
                    "limit": rate_limit,
                    "aggregate_key_type": "IP",
                    "evaluation_window_sec": 300,
                }
            },
            "visibility_config": visibility(f"{metric_prefix}-rate-limit-per-ip"),
        }
    ]
    for index, group in enumerate(MANAGED_RULE_GROUPS, start=1):
        rules.append(
            {
                "name": group,
                "priority": index * 10,
                "override_action": {"none": {}},
                "statement": {
                    "managed_rule_group_statement": {"vendor_name": "AWS", "name": group}
                },
                "visibility_config": visibility(f"{metric_prefix}-{group}"),
            }
        )
    return rules


# ---------------------------------------------------------------------------------------------
# IAM and bucket policies
# ---------------------------------------------------------------------------------------------


WAF_LOG_PREFIX = "aws-waf-logs-"
"""WAF delivers only to log groups, buckets and streams whose name starts with this."""
WAF_REDACTED_HEADERS = ("authorization", "cookie")
"""Users' bearer tokens and Keycloak's session cookies never reach the WAF logs."""


def waf_log_group_name(alb_name: str) -> str:
    return f"{WAF_LOG_PREFIX}{alb_name}"


def waf_redacted_fields() -> list[dict[str, Any]]:
    """`redacted_fields` of the web ACL's logging configuration (header names are lowercase,
    as WAF matches them)."""
    return [{"single_header": {"name": header}} for header in WAF_REDACTED_HEADERS]


def log_delivery_principal(region: str) -> dict[str, str]:
    account = ELB_LOG_ACCOUNTS.get(region)
    if account is not None:
        return {"AWS": f"arn:aws:iam::{account}:root"}
    return {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}


def elb_log_delivery(bucket_arn: str, account_id: str, region: str, prefix: str) -> dict[str, Any]:
    """ELB may write this account's access-log objects under `prefix` (the rest of the bucket
    policy, TLS only, comes from `components.log_archive`)."""
    return {
        "Sid": "AllowElbLogDelivery",
        "Effect": "Allow",
        "Principal": log_delivery_principal(region),
        "Action": "s3:PutObject",
        "Resource": f"{bucket_arn}/{prefix}/AWSLogs/{account_id}/*",
    }


# ---------------------------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------------------------


def public_urls(dns_name: str, routes: Sequence[Route], https: bool) -> dict[str, list[str]]:
    """`{service: [url per path pattern]}`; a pattern's wildcard tail is dropped (`/api/*` ->
    `https://<alb>/api/`)."""
    scheme = "https" if https else "http"
    return {
        route.service: [
            f"{scheme}://{dns_name}{pattern.split('*', 1)[0].split('?', 1)[0]}"
            for pattern in route.path_patterns
        ]
        for route in routes
    }
