"""Policy checks: the stack's estimated monthly cost against its budget (COST.1)."""

from __future__ import annotations

from .base import _stack


@_stack(
    "monthly-budget", ("COST.1",), "P",
    "the stack's estimated monthly cost stays within monthlyBudgetUsd",
    "lower the largest lines named in the message (sizes, NAT strategy, endpoints, Spot, "
    "off-hours scaling: docs/COSTS.md), or raise monthlyBudgetUsd.",
)  # fmt: skip
def monthly_budget(resources):
    from policy.budget import stack_budget_violation

    message = stack_budget_violation(resources)
    if message is not None:
        yield None, message
