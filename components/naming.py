"""Physical names scoped to the stack, as pure helpers (no resources).

A component argument that sets a physical name (an ECS service, its task family, log group and
alarms, a cluster, a queue, an ALB...) defaults to `<project>-<stack>-<component name>`: two
stacks of one program, or two programs, in one account never ask AWS for the same name. An
explicit argument is used as given (AccessWeaver's stack layer passes its own
`<project>-<env>-...` names). Resources nobody refers to by name (roles, security groups) are
left to Pulumi's auto-naming (`<logical name>-<random suffix>`). docs/DESIGN.md, "Physical
names".
"""

from __future__ import annotations

import hashlib
import re

import pulumi
import pulumi_aws as aws


def fit(name: str, max_length: int) -> str:
    """`name` when it fits in `max_length`, else its start and 6 hex digits of its hash: two
    long names stay distinct and the same input always gives the same name."""
    if len(name) <= max_length:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[: max_length - 7].rstrip('-_/.')}-{digest}"


def scoped_name(name: str, *, max_length: int = 255, separator: str = "-") -> str:
    """`<project>-<stack>-<name>` (`separator` between the three), within `max_length`
    characters (`fit`)."""
    scoped = separator.join((pulumi.get_project(), pulumi.get_stack(), name))
    return fit(re.sub(r"-{2,}", "-", scoped), max_length)


def physical_name(explicit: str | None, name: str, *, max_length: int = 255) -> str:
    """`explicit` when given (used as is), else the stack-scoped default of component `name`."""
    return explicit if explicit is not None else scoped_name(name, max_length=max_length)


def dns_safe(name: str) -> str:
    """`name` lower-cased with anything but letters, digits and '-' replaced by '-' (S3
    buckets, ElastiCache ids: a project or stack name may hold '_' or '.')."""
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", name.lower())).strip("-")


def provider_region(explicit: str | None, name: str, args_type: str) -> str:
    """`explicit` when given, else the provider's `aws:region`: the region a component writes
    into ARNs and trust conditions. Raises (before anything is registered) when there is none,
    naming component `name` and the `args_type` field that would set it."""
    region = explicit or aws.config.region
    if not region:
        raise ValueError(f"{name}: no region (set aws:region or {args_type}.region)")
    return region
