"""What the ALB's (`edge`) and the NLB's (`networkLoadBalancer`) stack config share: the TLS
policies and certificate ARNs they accept, their per-environment defaults (`EDGE_DEFAULTS`), and
the rules both resolvers apply (keys of a balancer that is off, a certificate's region, deletion
protection).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..errors import ConfigIssue
from ..formats import Environment, explicit_keys, snake
from ..network.config import require_control

# ELB.17: only the TLS 1.3 policies pass; the older ELB defaults accept TLS 1.0/1.1.
SslPolicy = Literal[
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06"
]

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


MAX_INGRESS_SOURCES = 20
"""Ranges, and security groups, a load balancer's stack config may admit (each)."""


def ingress_sources(description: str) -> Any:
    """The field of a load balancer's admitted ranges or security groups (`ingressCidrs`,
    `ingressSecurityGroupIds`): none by default, at most `MAX_INGRESS_SOURCES`."""
    return Field(default_factory=list, max_length=MAX_INGRESS_SOURCES, description=description)


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


def disabled_key_issues(section: str, config: BaseModel, ignored: set[str]) -> list[ConfigIssue]:
    """The keys a stack file set under `section` (except `ignored`, snake_case) while
    `<section>.enabled` is false: none of them has an effect."""
    return [
        ConfigIssue(
            f"{section}.{key}",
            getattr(config, snake(key)),
            f"has no effect: {section}.enabled is false",
            f"remove it, or set {section}.enabled: true",
        )
        for key in explicit_keys(config, ignored)
    ]


def certificate_region_issues(
    path: str, certificate_arn: str | None, region: str, why: str = ""
) -> list[ConfigIssue]:
    """A load balancer uses ACM certificates of its own region only (`why` is appended to the
    problem)."""
    if certificate_arn is None:
        return []
    cert_region = certificate_arn.split(":")[3]
    if cert_region == region:
        return []
    return [
        ConfigIssue(
            path,
            certificate_arn,
            f"certificate is in {cert_region}, the stack deploys to {region}{why}",
            f"an ACM certificate ARN in {region}",
        )
    ]


def resolved_deletion_protection(
    env: Environment, path: str, configured: bool | None, issues: list[ConfigIssue]
) -> bool:
    """Deletion protection as configured at `path`, or the environment's default; ELB.6 is
    enforced in staging and prod."""
    protection = configured if configured is not None else EDGE_DEFAULTS[env].deletion_protection
    require_control(env, path, protection, "ELB.6", issues)
    return protection
