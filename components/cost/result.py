"""The estimate's result: per-service costs, the line items, the `estimated_monthly_cost`
output they become, and the budget check on it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .prices import AS_OF
from .usage import UsageAssumptions

LINE_ITEMS = (
    "fargate",
    "load_balancer",
    "nat_gateways",
    "public_ipv4",
    "interface_endpoints",
    "database",
    "cache",
    "secrets_manager",
    "waf",
    "cloudwatch_logs",
    "cloudwatch_alarms",
    "s3",
    "ecr",
    "kms_keys",
    "scheduled_tasks",
)
"""Every estimate has these lines, in this order (0 when the stack has none of it)."""


@dataclass(frozen=True)
class ServiceCost:
    name: str
    tasks: int
    vcpu: float
    """Per task."""
    memory_gb: float
    """Per task."""
    hours: float
    on_demand_tasks: float
    spot_tasks: float
    architecture: str
    fargate_usd: float
    logs_usd: float

    @property
    def total_usd(self) -> float:
        return self.fargate_usd + self.logs_usd


@dataclass(frozen=True)
class LineItem:
    name: str
    usd: float
    detail: str


@dataclass(frozen=True)
class CostEstimate:
    region: str
    environment: str
    services: tuple[ServiceCost, ...]
    line_items: tuple[LineItem, ...]
    usage: UsageAssumptions
    levers: Mapping[str, Any]
    fargate_at_max_capacity_usd: float
    monthly_budget_usd: float | None = None
    not_priced: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    unused_assumptions: tuple[str, ...] = ()
    """Usage figures nothing of the stack is priced with (`nlb_nlcu` without an NLB): left
    out of the output."""

    @property
    def total_usd(self) -> float:
        return sum(item.usd for item in self.line_items)

    def line(self, name: str) -> float:
        return next(item.usd for item in self.line_items if item.name == name)

    @property
    def capacity(self) -> dict[str, float]:
        return {
            "tasks": sum(s.tasks for s in self.services),
            "vcpu": sum(s.vcpu * s.tasks for s in self.services),
            "memory_gb": sum(s.memory_gb * s.tasks for s in self.services),
        }

    def to_output(self) -> dict[str, Any]:
        """The `estimated_monthly_cost` stack output: plain data, USD rounded to cents."""
        capacity = self.capacity
        return {
            "total_usd": round(self.total_usd, 2),
            "currency": "USD",
            "region": self.region,
            "line_items_usd": {i.name: round(i.usd, 2) for i in self.line_items},
            "line_item_details": {i.name: i.detail for i in self.line_items},
            "per_service": {
                s.name: {
                    "tasks": s.tasks,
                    "vcpu_per_task": s.vcpu,
                    "memory_gb_per_task": s.memory_gb,
                    "hours_per_month": round(s.hours, 1),
                    "on_demand_tasks": round(s.on_demand_tasks, 2),
                    "spot_tasks": round(s.spot_tasks, 2),
                    "architecture": s.architecture,
                    "fargate_usd": round(s.fargate_usd, 2),
                    "logs_usd": round(s.logs_usd, 2),
                    "total_usd": round(s.total_usd, 2),
                }
                for s in self.services
            },
            "capacity": {
                "tasks": capacity["tasks"],
                "vcpu": round(capacity["vcpu"], 3),
                "memory_gb": round(capacity["memory_gb"], 3),
            },
            "fargate_at_max_capacity_usd": round(self.fargate_at_max_capacity_usd, 2),
            "levers": dict(self.levers),
            "monthly_budget_usd": self.monthly_budget_usd,
            "assumptions": {
                key: value
                for key, value in self.usage.as_dict().items()
                if key not in self.unused_assumptions
            },
            "prices": f"AWS on-demand list prices as known {AS_OF}, not re-checked online "
            "(components/cost/prices.py)",
            "not_priced": list(self.not_priced),
            "complete": not self.not_priced,
            "notes": list(self.notes),
        }


def budget_violation(
    estimate: CostEstimate | Mapping[str, Any], budget: float | None
) -> str | None:
    """A message when the estimate exceeds `budget` (USD per month), else None.

    `estimate` is a `CostEstimate` or the `estimated_monthly_cost` stack output (a mapping).
    No budget (None) is never a violation.
    """
    if budget is None:
        return None
    if isinstance(estimate, CostEstimate):
        total = estimate.total_usd
        lines = {i.name: i.usd for i in estimate.line_items}
    else:
        total = float(estimate["total_usd"])
        lines = {k: float(v) for k, v in (estimate.get("line_items_usd") or {}).items()}
    if round(total, 2) <= budget:
        return None
    largest = sorted(lines.items(), key=lambda kv: -kv[1])[:3]
    return (
        f"estimated monthly cost ${total:,.2f} exceeds monthlyBudgetUsd ${budget:,.2f} by "
        f"${total - budget:,.2f} ({(total - budget) / budget:.0%}); largest lines: "
        + ", ".join(f"{name} ${usd:,.2f}" for name, usd in largest if usd > 0)
    )
