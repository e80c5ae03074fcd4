"""AWS quotas a real deployment hits, checked before anything is registered.

The mocks accept any number of rules, target groups or listener rules; AWS does not, and
`pulumi up` would stop half-way. The program counts what it will create from the same service
graph it builds from (`graph.network_paths`) and refuses a stack that exceeds a quota, naming
it. An account whose quota was raised says so in the stack file (`quotas`).

Defaults (Amazon VPC quotas; Elastic Load Balancing quotas for Application Load Balancers):
inbound rules per security group 60 and outbound rules 60 (IPv4 and IPv6 counted apart; one
adjustable quota for both, whose product with the security groups per network interface may
not exceed 1,000), security groups per network interface 5 (adjustable up to 16), rules per ALB
100 not counting the default rules (adjustable), target groups per ALB 100 (not adjustable).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import Field, model_validator

from ..errors import ConfigIssue
from ..formats import ConfigModel
from .graph import ALB, ENDPOINTS, Path

RULES_PER_GROUP = 60
GROUPS_PER_INTERFACE = 5
RULES_PER_ALB = 100
TARGET_GROUPS_PER_ALB = 100
"""Not adjustable."""
RULES_TIMES_GROUPS_MAX = 1000


class QuotasConfig(ConfigModel):
    """`quotas`: the account's quotas where they differ from AWS's defaults (raised)."""

    rules_per_security_group: int = Field(
        RULES_PER_GROUP,
        ge=1,
        le=1000,
        description="VPC quota 'Inbound or outbound rules per security group' (L-0EA8095F).",
    )
    security_groups_per_network_interface: int = Field(
        GROUPS_PER_INTERFACE,
        ge=1,
        le=16,
        description="VPC quota 'Security groups per network interface' (L-2AFB9258).",
    )
    rules_per_load_balancer: int = Field(
        RULES_PER_ALB,
        ge=1,
        le=10000,
        description="ELB quota 'Rules per Application Load Balancer' (L-7EED9B64), default "
        "rules not counted.",
    )

    @model_validator(mode="after")
    def _product(self) -> QuotasConfig:
        product = self.rules_per_security_group * self.security_groups_per_network_interface
        if product > RULES_TIMES_GROUPS_MAX:
            raise ValueError(
                f"rulesPerSecurityGroup x securityGroupsPerNetworkInterface = {product}, "
                f"which AWS does not grant; allowed: a product of at most {RULES_TIMES_GROUPS_MAX}"
            )
        return self


@dataclass(frozen=True)
class GroupRules:
    inbound: int
    outbound: int


def rules_per_group(
    paths: Iterable[Path], *, alb_internet_ports: int, endpoint_groups: bool
) -> dict[str, GroupRules]:
    """Inbound and outbound rules the program puts on each group it owns.

    Beyond the paths: every service's and task's egress to the AWS APIs on 443, the ALB's
    ingress from the internet (80, and 443 with a certificate) and the endpoints group's
    ingress from the VPC."""
    inbound: Counter[str] = Counter()
    outbound: Counter[str] = Counter()
    services: set[str] = set()
    for path in paths:
        for group in (path.source, path.target):
            if group.startswith(("service:", "task:")):
                services.add(group)
        if path.source_rule:
            outbound[path.source] += 1
        if path.target_rule:
            inbound[path.target] += 1
    for group in services:
        outbound[group] += 1  # 443 to the AWS APIs
    if alb_internet_ports:
        inbound[ALB] += alb_internet_ports
    if endpoint_groups:
        inbound[ENDPOINTS] += 1
    groups = sorted(set(inbound) | set(outbound))
    return {g: GroupRules(inbound[g], outbound[g]) for g in groups if not g.startswith("external:")}


def _fewer(group: str, direction: str) -> str:
    """What makes a group's rules fewer."""
    if group == ALB:
        return "fewer public services (one rule per routed port)"
    if group == "task:health-probe":
        return "fewer services for the health probe to ask, or healthProbe.enabled: false"
    if group.startswith("task:"):
        return f"fewer calls and uses by the task {group.removeprefix('task:')}"
    if group.startswith("service:"):
        name = group.removeprefix("service:")
        return (
            f"fewer calls and uses by {name}"
            if direction == "outbound"
            else (f"fewer callers of {name}")
        )
    return f"fewer services using {group}"


def quota_issues(
    quotas: QuotasConfig,
    rules: dict[str, GroupRules],
    *,
    external_rules: dict[str, int],
    target_groups: int,
    listener_rules: int,
    groups_per_interface: int,
    where: Sequence[tuple[str, str]] = (),
) -> list[ConfigIssue]:
    """One issue per quota exceeded, naming it, the group and what to change.

    `external_rules` counts the rules the program adds to groups of another program (their own
    rules come on top); `where` names, per group, the stack key that makes it grow."""
    issues: list[ConfigIssue] = []
    limit = quotas.rules_per_security_group
    hint = dict(where)
    for group, count in sorted(rules.items()):
        for direction, number in (("inbound", count.inbound), ("outbound", count.outbound)):
            if number > limit:
                issues.append(
                    ConfigIssue(
                        hint.get(group, "services"),
                        f"{number} {direction} rules on {group}",
                        f"more than the {limit} {direction} rules per security group of the "
                        "VPC quota 'Inbound or outbound rules per security group'",
                        f"at most {limit}: {_fewer(group, direction)}, or "
                        "quotas.rulesPerSecurityGroup once the account's quota is raised",
                    )
                )
    for group, number in sorted(external_rules.items()):
        if number > limit:
            issues.append(
                ConfigIssue(
                    hint.get(group, "services"),
                    f"{number} inbound rules added to {group}",
                    f"more than the {limit} rules per security group (the group's own rules "
                    "come on top)",
                    f"at most {limit}, or quotas.rulesPerSecurityGroup once raised",
                )
            )
    if target_groups > TARGET_GROUPS_PER_ALB:
        issues.append(
            ConfigIssue(
                "edge",
                f"{target_groups} target groups",
                f"more than the {TARGET_GROUPS_PER_ALB} target groups per Application Load "
                "Balancer AWS allows (not adjustable); blue/green counts two per service",
                f"at most {TARGET_GROUPS_PER_ALB}: fewer public services, or ROLLING instead of "
                "BLUE_GREEN",
            )
        )
    if listener_rules > quotas.rules_per_load_balancer:
        issues.append(
            ConfigIssue(
                "edge",
                f"{listener_rules} listener rules",
                f"more than the {quotas.rules_per_load_balancer} rules per Application Load "
                "Balancer of the ELB quota 'Rules per Application Load Balancer'",
                f"at most {quotas.rules_per_load_balancer}: fewer public services, or "
                "quotas.rulesPerLoadBalancer once the account's quota is raised",
            )
        )
    if groups_per_interface > quotas.security_groups_per_network_interface:
        issues.append(
            ConfigIssue(
                "quotas.securityGroupsPerNetworkInterface",
                groups_per_interface,
                "a task's network interface would carry more security groups than the VPC "
                "quota 'Security groups per network interface'",
                f"at least {groups_per_interface}",
            )
        )
    return issues
