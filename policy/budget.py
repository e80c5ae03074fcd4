"""COST.1: a stack's estimated monthly cost stays within its `monthlyBudgetUsd`.

The pack sees the resources but not the program's outputs, so it rebuilds the estimate the
program exports (`estimated_monthly_cost`): the stack's settings, from the same config the pack
reads for its environment and waivers, plus the resources under validation. Values unknown
during a preview are priced as unset (the estimate then lists what it could not price).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The account only names the default ECR registry; it never changes a price.
_ANY_ACCOUNT = "000000000000"


@dataclass(frozen=True)
class _Priced:
    type: str
    name: str
    inputs: dict[str, Any]


def _plain(value: Any) -> Any:
    """A policy resource's props as plain data, unknown values as None."""
    from pulumi_policy.proxy import UnknownValueError

    if isinstance(value, Mapping):
        out = {}
        for key in value:
            try:
                out[key] = _plain(value[key])
            except UnknownValueError:
                out[key] = None
        return out
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items = []
        for index in range(len(value)):
            try:
                items.append(_plain(value[index]))
            except UnknownValueError:
                items.append(None)
        return items
    return value


def stack_budget_violation(resources: Iterable[Any], namespace: str | None = None) -> str | None:
    """The overrun message when the stack has a budget and its estimate exceeds it."""
    import pulumi

    from components.cost import UnsupportedRegion, budget_violation, estimate
    from components.stack import ConfigError, settings_from_mapping
    from components.stack.loader import _namespace_values

    namespace = namespace or os.environ.get("PULUMI_PROJECT") or "accessweaver"
    raw = _namespace_values(namespace)
    if raw.get("monthlyBudgetUsd") is None:
        return None
    try:
        settings = settings_from_mapping(
            raw,
            namespace=namespace,
            stack_file="(stack config)",
            region=pulumi.Config("aws").get("region"),
            account_id=_ANY_ACCOUNT,
        )
    except ConfigError:
        return None  # the program itself refuses this config before anything is registered
    priced = [_Priced(r.resource_type, r.name, _plain(r.props)) for r in resources]
    try:
        return budget_violation(estimate(settings, priced), settings.monthly_budget_usd)
    except UnsupportedRegion:
        return None  # refused by the config rules too
