"""Pure rules for what a listener rule matches: path patterns, host headers or both, within the
limits Application Load Balancers enforce; and the ingress an internal load balancer admits.

No resources here: the component (`load_balancer.py`) and the stack layer
(`components/edge/config.py`, `routes.py`) both call these, so a rule AWS would refuse is
refused before any resource is registered, with one message wherever it is checked.

Sources (docs/DESIGN.md, "Host-header rules"): the ELB API's `HostHeaderConditionConfig` (at most
128 characters, `*` and `?` wildcards, at least one `.`, only letters after the last one), the
ALB user guide's "Condition types for listener rules" (at most three match evaluations per
condition) and "Quotas for your Application Load Balancers" (5 condition values, 5 condition
wildcards and 5 match evaluations per rule, none adjustable).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Any

CONDITION_VALUE_MAX_LENGTH = 128
"""A host header or path pattern value: at most 128 characters."""
VALUES_PER_RULE = 5
"""Condition values per rule (quota, not adjustable): host headers and paths together."""
WILDCARDS_PER_RULE = 5
"""`*` and `?` in a rule's condition values together (quota, not adjustable)."""
HOST_VALUES_PER_CONDITION = 3
"""Match evaluations per condition: a host-header condition takes at most three names."""

_HOST = re.compile(r"^[A-Za-z0-9*?_.-]+$")
_LAST_LABEL = re.compile(r"\.[A-Za-z]+$")


def host_header_problems(host: str) -> list[str]:
    """Why ALB refuses `host` as a host-header condition value ([] = it accepts it)."""
    problems = []
    if not host:
        return ["an empty host name"]
    if len(host) > CONDITION_VALUE_MAX_LENGTH:
        problems.append(f"{len(host)} characters (at most {CONDITION_VALUE_MAX_LENGTH})")
    if not _HOST.match(host):
        problems.append("characters other than letters, digits, '-', '_', '.', '*' and '?'")
    if "." not in host:
        problems.append("no '.' (a host-header value needs at least one)")
    elif not _LAST_LABEL.search(host):
        problems.append("only letters may follow the last '.' (no wildcard, digit or port)")
    return problems


def wildcards(values: Sequence[str]) -> int:
    return sum(value.count("*") + value.count("?") for value in values)


def rule_problems(host_headers: Sequence[str], path_patterns: Sequence[str]) -> list[str]:
    """Why one listener rule with these host headers and path patterns cannot exist ([] = it
    can). Every value is checked; the per-rule quotas count hosts and paths together."""
    problems = []
    if not host_headers and not path_patterns:
        problems.append("no host header and no path pattern: the rule would match nothing")
    for host in host_headers:
        problems += [f"host header {host!r}: {p}" for p in host_header_problems(host)]
    if len(set(h.lower() for h in host_headers)) != len(host_headers):
        problems.append("a host header is listed twice (names compare case-insensitively)")
    if len(host_headers) > HOST_VALUES_PER_CONDITION:
        problems.append(
            f"{len(host_headers)} host headers (at most {HOST_VALUES_PER_CONDITION} per condition)"
        )
    for pattern in path_patterns:
        if len(pattern) > CONDITION_VALUE_MAX_LENGTH:
            problems.append(
                f"path pattern {pattern[:40]!r}...: {len(pattern)} characters "
                f"(at most {CONDITION_VALUE_MAX_LENGTH})"
            )
    values = len(host_headers) + len(path_patterns)
    if values > VALUES_PER_RULE:
        problems.append(
            f"{values} condition values (host headers and path patterns together: at most "
            f"{VALUES_PER_RULE} per rule)"
        )
    stars = wildcards([*host_headers, *path_patterns])
    if stars > WILDCARDS_PER_RULE:
        problems.append(
            f"{stars} wildcards (* and ?) across host headers and path patterns (at most "
            f"{WILDCARDS_PER_RULE} per rule)"
        )
    return problems


def rule_conditions(host_headers: Sequence[str], path_patterns: Sequence[str]) -> list[dict]:
    """The listener rule's `conditions`: the host-header condition first when there is one,
    then the path condition; a request must match both (ALB ANDs a rule's conditions)."""
    conditions: list[dict[str, Any]] = []
    if host_headers:
        conditions.append({"host_header": {"values": list(host_headers)}})
    if path_patterns:
        conditions.append({"path_pattern": {"values": list(path_patterns)}})
    return conditions


def shadows(
    earlier_hosts: Sequence[str], later_hosts: Sequence[str], *, paths_covered: bool
) -> bool:
    """Whether a rule evaluated earlier takes every request of a later one: its paths cover the
    later rule's (`paths_covered`) and its hosts do too (no host condition matches every host;
    otherwise the later rule's hosts must all be among the earlier one's, by text)."""
    if not paths_covered:
        return False
    if not earlier_hosts:
        return True
    mine = {h.lower() for h in earlier_hosts}
    return bool(later_hosts) and all(h.lower() in mine for h in later_hosts)


# -- who may reach an internal load balancer -------------------------------------------------

_WORLD = ("0.0.0.0/0", "::/0")
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")
"""Shared address space (RFC 6598): carrier-grade NAT, some VPNs and peered networks."""


def is_ipv4_block(text: str) -> bool:
    """`text` is an IPv4 CIDR block with its host bits zero."""
    try:
        ipaddress.IPv4Network(text, strict=True)
    except ValueError:
        return False
    return True


def ingress_cidr_problems(cidr: str) -> list[str]:
    """Why `cidr` cannot be an internal load balancer's ingress range ([] = it can): an IPv4
    block in private or shared address space (RFC 1918, RFC 6598), never the internet."""
    if not is_ipv4_block(cidr):
        return ["not an IPv4 CIDR block with its host bits zero (e.g. 10.20.0.0/16)"]
    network = ipaddress.IPv4Network(cidr)
    if cidr in _WORLD or not (network.is_private or network.subnet_of(_SHARED)):
        return ["not a private range: an internal load balancer admits private networks only"]
    return []
