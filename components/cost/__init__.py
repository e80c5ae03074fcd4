"""Monthly cost estimate per stack (pure functions, no AWS call) and the budget check.

`estimate(settings, resources)` prices the validated settings (Fargate, schedule, logs) and the
resources the stack registers (everything else); `budget_violation(estimate, budget)` says when
it exceeds `monthlyBudgetUsd`; `estimate_registered(resources, region=..., stack=...)` prices a
program of one's own from its resources alone. `recorder.ResourceRecorder` (the only module here
importing pulumi) observes the registered resources at program time.
"""

from .estimate import (
    LINE_ITEMS,
    CostEstimate,
    LineItem,
    ServiceCost,
    budget_violation,
    estimate,
    fargate_monthly_usd,
    running_hours,
    task_split,
)
from .inventory import Inventory, inventory_from_resources
from .prices import PRICES, SUPPORTED_REGIONS, Price, UnsupportedRegion, price_table
from .registered import estimate_registered, registered_services
from .usage import USAGE_DEFAULTS, UsageAssumptions

__all__ = [
    "LINE_ITEMS",
    "PRICES",
    "SUPPORTED_REGIONS",
    "USAGE_DEFAULTS",
    "CostEstimate",
    "Inventory",
    "LineItem",
    "Price",
    "ServiceCost",
    "UnsupportedRegion",
    "UsageAssumptions",
    "budget_violation",
    "estimate",
    "estimate_registered",
    "fargate_monthly_usd",
    "inventory_from_resources",
    "price_table",
    "registered_services",
    "running_hours",
    "task_split",
]
