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

from .config import Guard, Route

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
    # 5 x 30 s: a target turns unhealthy after 150 s, longer than an RDS Multi-AZ failover
    # (60-120 s), so ECS does not replace Keycloak's tasks (whose readiness holds its database
    # connection check) while the database is away.
    "unhealthy_threshold": 5,
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


REDIRECT_TO_HTTPS = {
    "type": "redirect",
    "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"},
}


def fixed_response(status_code: int) -> dict[str, Any]:
    """An action answering `status_code` with a one-line JSON body, from the ALB itself."""
    reason = {400: "bad request", 403: "forbidden", 404: "not found"}.get(status_code, "refused")
    return {
        "type": "fixed-response",
        "fixed_response": {
            "content_type": "application/json",
            "message_body": f'{{"error":"{reason}"}}',
            "status_code": str(status_code),
        },
    }


NOT_FOUND = fixed_response(404)
"""Listener default action: every routed path has its own rule (see docs/DESIGN.md)."""

MAX_GUARD_VALUES = 3
"""ALB: at most three match evaluations per condition (five per rule)."""


def guard_conditions(guard: Guard) -> list[dict[str, Any]]:
    """The guard's path condition, and its header condition when it has one."""
    conditions: list[dict[str, Any]] = [{"path_pattern": {"values": list(guard.path_patterns)}}]
    if guard.header is not None:
        name, value = guard.header
        conditions.append({"http_header": {"http_header_name": name, "values": [value]}})
    return conditions


def guard_problems(guards: Sequence[Guard], routes: Sequence[Route]) -> list[str]:
    """Why these guards cannot stand in front of these routes ([] = they can)."""
    problems = []
    first_route = min((r.priority for r in routes), default=None)
    seen: dict[int, str] = {}
    for guard in guards:
        if guard.priority in seen:
            problems.append(f"guard {guard.name} shares priority {guard.priority} with "
                            f"{seen[guard.priority]}")  # fmt: skip
        seen.setdefault(guard.priority, guard.name)
        if first_route is not None and guard.priority >= first_route:
            problems.append(
                f"guard {guard.name} (priority {guard.priority}) would be evaluated after a "
                f"route (priority {first_route})"
            )
        if not 1 <= len(guard.path_patterns) <= MAX_GUARD_VALUES:
            problems.append(f"guard {guard.name} has {len(guard.path_patterns)} path patterns "
                            f"(1 to {MAX_GUARD_VALUES})")  # fmt: skip
    return problems


# ---------------------------------------------------------------------------------------------
# WAF
# ---------------------------------------------------------------------------------------------


def visibility(metric_name: str) -> dict[str, Any]:
    return {
        "cloudwatch_metrics_enabled": True,
        "metric_name": metric_name,
        "sampled_requests_enabled": True,
    }


GUARD_RULE_PRIORITY = 5
"""Its priority when the web ACL holds nothing else (`waf.web_acl_rules` numbers them all)."""
GUARD_TEXT_TRANSFORMATIONS = ("URL_DECODE", "NORMALIZE_PATH")
"""`%6Daster` is `master`, `/a/../actuator` is `/actuator`: the spellings a listener's path
patterns (compared to the path as sent) do not see, but the service behind it decodes."""


def waf_guard_rule(metric_prefix: str, guards: Sequence[Guard]) -> dict[str, Any] | None:
    """Block what the guards' listener rules answer, whatever the spelling of the path; None
    when no guard names a path for the WAF."""
    statements = [
        {
            "byte_match_statement": {
                "search_string": text,
                "positional_constraint": constraint,
                "field_to_match": {"uri_path": {}},
                "text_transformations": [
                    {"priority": index, "type": kind}
                    for index, kind in enumerate(GUARD_TEXT_TRANSFORMATIONS)
                ],
            }
        }
        for guard in guards
        for text, constraint in guard.waf_paths
    ]
    if not statements:
        return None
    return {
        "name": "edge-guards",
        "priority": GUARD_RULE_PRIORITY,
        "action": {"block": {}},
        "statement": statements[0] if len(statements) == 1 else {"or_statement": {
            "statements": statements}},
        "visibility_config": visibility(f"{metric_prefix}-edge-guards"),
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------
# IAM and bucket policies
# ---------------------------------------------------------------------------------------------


WAF_LOG_PREFIX = "aws-waf-logs-"
"""WAF delivers only to log groups, buckets and streams whose name starts with this."""
WAF_REDACTED_HEADERS = ("authorization", "cookie")
"""Users' bearer tokens and Keycloak's session cookies never reach the WAF logs."""


def waf_log_group_name(alb_name: str) -> str:
    return f"{WAF_LOG_PREFIX}{alb_name}"


WAF_PROTECTED_QUERY_ARGUMENTS = (
    # OAuth 2.0 / OpenID Connect: codes and tokens, and the hints naming the user (RP-initiated
    # logout's id_token_hint is a whole ID token; login_hint is often an e-mail address).
    "code",
    "state",
    "session_state",
    "id_token_hint",
    "login_hint",
    "id_token",
    "access_token",
    "refresh_token",
    "client_secret",
    "user_code",
    # Keycloak: the action token of e-mail links (a JWT naming the user and the address), the
    # encoded client data of its login pages, user names and addresses some flows carry.
    "key",
    "client_data",
    "username",
    "email",
    # SAML 2.0 HTTP-Redirect binding: the (deflated) messages and the relay state.
    "SAMLRequest",
    "SAMLResponse",
    "RelayState",
)
"""Query arguments whose values WAF substitutes (`REDACTED`) before anything stores the request:
its logs, its sampled requests, Security Lake. The rest of the query string stays evidence."""
WAF_PROTECTED_HEADERS = (*WAF_REDACTED_HEADERS, "referer")
"""Headers substituted wherever WAF keeps a request: the credentials, and `Referer`, which
repeats the previous page's whole URL (a login page's `login_hint`, a callback's `code`)."""
WAF_PROTECTED_KEYS_MAX = 100
"""WAF: at most 100 keys per protected field (`FieldToProtectKeys`)."""


def protected_query_arguments(extra: Sequence[str] = ()) -> tuple[str, ...]:
    """The defaults, then a stack's own names (`edge.waf.protectedQueryArguments`) not among
    them, in order."""
    return (*WAF_PROTECTED_QUERY_ARGUMENTS,
            *dict.fromkeys(n for n in extra if n not in WAF_PROTECTED_QUERY_ARGUMENTS))  # fmt: skip


def waf_redacted_fields() -> list[dict[str, Any]]:
    """`redacted_fields` of the web ACL's logging configuration (header names are lowercase,
    as WAF matches them)."""
    return [{"single_header": {"name": header}} for header in WAF_REDACTED_HEADERS]


def waf_data_protection(query_arguments: Sequence[str]) -> dict[str, Any]:
    """The web ACL's `data_protection_config`: the listed query arguments, the credential
    headers and `Referer` substituted in every record WAF keeps, rule match and rate-based
    details included
    (`exclude_*` false). `redacted_fields` of the logging configuration can only take a whole
    query string (UriPath, QueryString, SingleHeader, Method: WAF API, `LoggingConfiguration`),
    which would drop the evidence with the personal data."""

    def protect(field_type: str, keys: Sequence[str]) -> dict[str, Any]:
        return {
            "action": "SUBSTITUTION",
            "field": {"field_type": field_type, "field_keys": list(keys)},
            "exclude_rule_match_details": False,
            "exclude_rate_based_details": False,
        }

    return {
        "data_protections": [
            protect("SINGLE_QUERY_ARGUMENT", query_arguments),
            protect("SINGLE_HEADER", WAF_PROTECTED_HEADERS),
        ]
    }


def log_delivery_principal(region: str) -> dict[str, str]:
    account = ELB_LOG_ACCOUNTS.get(region)
    if account is not None:
        return {"AWS": f"arn:aws:iam::{account}:root"}
    return {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}


def elb_log_delivery(bucket_arn: str, account_id: str, region: str, prefix: str) -> dict[str, Any]:
    """ELB may write this account's access-log objects under `prefix` (the rest of the bucket
    policy, TLS only, comes from `accessweaver_components.log_archive`)."""
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
    `https://<alb>/api/`). A route with host headers is reached by its first name without a
    wildcard (the ALB's name otherwise); a host-only route by that name's root."""
    scheme = "https" if https else "http"

    def host(route: Route) -> str:
        return next((h for h in route.host_headers if "*" not in h and "?" not in h), dns_name)

    return {
        route.service: [
            f"{scheme}://{host(route)}{pattern.split('*', 1)[0].split('?', 1)[0]}"
            for pattern in route.path_patterns or ("/",)
        ]
        for route in routes
    }
