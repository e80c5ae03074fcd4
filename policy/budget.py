"""COST.1: a stack's estimated monthly cost stays within its `monthlyBudgetUsd`.

The pack sees the resources but not the program's outputs, so it rebuilds the estimate the
program exports (`estimated_monthly_cost`): the stack's settings, from the same config the pack
reads for its environment and waivers, plus the resources under validation. Values unknown
during a preview are priced as unset (the estimate then lists what it could not price).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


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
    from accessweaver_components.cost import budget_violation, estimate
    from policy.stack_config import stack_settings

    settings = stack_settings(namespace)
    if settings is None or settings.monthly_budget_usd is None:
        return None
    priced = [_Priced(r.resource_type, r.name, _plain(r.props)) for r in resources]
    found = estimate(settings, priced)
    if not found.line_items or not any(i.usd for i in found.line_items):
        # No price table for the region: a budget can be neither met nor exceeded.
        return (
            f"monthlyBudgetUsd ${settings.monthly_budget_usd:,.2f} cannot be checked: no prices "
            f"for {settings.region} (the estimate lists what it could not price)"
        )
    return budget_violation(found, settings.monthly_budget_usd)
