"""The monthly cost estimate of a stack: pure functions, no AWS call.

Inputs: the validated `StackSettings` (services, sizes, task counts, Spot share, architecture,
off-hours schedule, log retention, region) and the resources the stack registers (everything
else: NAT gateways, endpoints, ALB, WAF, RDS, ElastiCache, secrets, log groups, alarms, S3, ECR;
see `inventory.py`). Prices come from `prices.py`, usage figures from `usage.py`.

Fargate is priced from the settings rather than from the ECS resources because the schedule and
the Spot share are settings, and the task counts are the autoscaling minimums: scale-out above
them is not estimated (`fargate_at_max_capacity_usd` gives the ceiling).

The estimate runs in named steps: the services (`lines.service_costs`), then one step per line
of `LINE_ITEMS` (`lines.py`), the levers and the price coverage (below). Fargate's model is in
`fargate_pricing.py`, the month's hours and schedules in `schedule.py`, the result types and the
budget check in `result.py`; this module names them all, as it did when it held them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .fargate_pricing import (
    ephemeral_monthly_usd,
    fargate_monthly_usd,
    service_architecture,
    service_ephemeral_gib,
    service_spot_percentage,
    service_task_split,
    sized_fargate_usd,
    strategy_split,
    task_split,
)
from .inventory import Resource, inventory_from_resources
from .lines import (
    CLOUDWATCH_FREE_ALARM_METRICS,
    FARGATE_MINIMUM_MINUTES,
    NEVER_EXPIRE_DAYS,
    SCHEDULER_FREE_INVOCATIONS,
    SCHEDULER_USD_PER_MILLION,
    SERVERLESS_MIN_GB,
    Pricing,
    TolerantPrices,
    alarms_line,
    cache_line,
    database_line,
    ecr_line,
    endpoints_line,
    fargate_ceiling_usd,
    fargate_line,
    kms_line,
    load_balancer_line,
    logs_line,
    nat_line,
    note_fault_experiments,
    public_ipv4_line,
    s3_line,
    scheduled_tasks_line,
    secrets_line,
    service_costs,
    waf_line,
)
from .prices import PRICES, SUPPORTED_REGIONS, PriceTable
from .result import LINE_ITEMS, CostEstimate, LineItem, ServiceCost, budget_violation
from .schedule import DAYS_PER_MONTH, HOURS_PER_MONTH, running_hours, runs_per_month
from .usage import USAGE_DEFAULTS, UsageAssumptions

if TYPE_CHECKING:
    from ..stack.settings import StackSettings

__all__ = [
    "CLOUDWATCH_FREE_ALARM_METRICS",
    "DAYS_PER_MONTH",
    "FARGATE_MINIMUM_MINUTES",
    "HOURS_PER_MONTH",
    "LINE_ITEMS",
    "NEVER_EXPIRE_DAYS",
    "SCHEDULER_FREE_INVOCATIONS",
    "SCHEDULER_USD_PER_MILLION",
    "SERVERLESS_MIN_GB",
    "CostEstimate",
    "LineItem",
    "ServiceCost",
    "budget_violation",
    "ephemeral_monthly_usd",
    "estimate",
    "fargate_monthly_usd",
    "running_hours",
    "runs_per_month",
    "service_architecture",
    "service_ephemeral_gib",
    "service_spot_percentage",
    "service_task_split",
    "sized_fargate_usd",
    "strategy_split",
    "task_split",
]


def estimate(
    settings: StackSettings,
    resources: Iterable[Resource] = (),
    *,
    usage: UsageAssumptions | None = None,
    prices: PriceTable | None = None,
) -> CostEstimate:
    """The stack's monthly cost. A region without a price table (components/cost/prices.py)
    is still estimated: its lines are $0 and `not_priced` says so, plainly."""
    table = prices if prices is not None else PRICES.get(settings.region, {})
    inventory = inventory_from_resources(resources)
    pricing = Pricing(
        settings=settings,
        usage=usage or USAGE_DEFAULTS[settings.environment],
        inventory=inventory,
        prices=TolerantPrices(table),
        hours=running_hours(settings),
        not_priced=list(inventory.unpriced),
        notes=list(inventory.notes),
    )
    services = service_costs(pricing)
    ceiling = fargate_ceiling_usd(pricing)
    items = (
        fargate_line(pricing, services),
        load_balancer_line(pricing),
        nat_line(pricing),
        public_ipv4_line(pricing, services),
        endpoints_line(pricing),
        database_line(pricing),
        cache_line(pricing),
        secrets_line(pricing),
        waf_line(pricing),
        logs_line(pricing, services),
        alarms_line(pricing),
        s3_line(pricing),
        ecr_line(pricing),
        kms_line(pricing),
        scheduled_tasks_line(pricing),
    )
    note_fault_experiments(pricing)
    _report_price_coverage(pricing, table)
    assert tuple(i.name for i in items) == LINE_ITEMS
    return CostEstimate(
        region=settings.region,
        environment=settings.environment,
        services=services,
        line_items=items,
        usage=pricing.usage,
        levers=_levers(pricing),
        fargate_at_max_capacity_usd=ceiling,
        monthly_budget_usd=settings.monthly_budget_usd,
        not_priced=tuple(pricing.not_priced),
        notes=tuple(pricing.notes),
        unused_assumptions=() if inventory.network_load_balancers else ("nlb_nlcu",),
    )


def _levers(pricing: Pricing) -> dict[str, Any]:
    """The settings that move the estimate most, as the output shows them."""
    settings, off_hours = pricing.settings, pricing.settings.off_hours
    return {
        "cpu_architecture": settings.cpu_architecture,
        "fargate_spot_percentage": settings.fargate_spot_percentage,
        "off_hours_scaling": (
            f"{','.join(off_hours.days)} {off_hours.start}-{off_hours.stop} {off_hours.timezone}"
            if off_hours is not None
            else "off"
        ),
        "running_hours_per_month": round(pricing.hours, 1),
        "nat_gateways": pricing.inventory.nat_gateways,
        "task_public_ips": settings.task_public_ips,
        "database_running_hours": round(pricing.database_hours, 1),
        "interface_endpoints": len(pricing.inventory.interface_endpoints),
        "log_retention_days": settings.log_retention_days,
        "audit_log_retention_days": settings.audit_log_retention_days,
    }


def _report_price_coverage(pricing: Pricing, table: PriceTable) -> None:
    """What the region's table lacked (first when it has no table at all) and which of the
    prices used are derived rather than read."""
    region, prices = pricing.settings.region, pricing.prices
    if not table:
        pricing.not_priced.insert(
            0,
            f"everything region-specific: no price table for {region} (priced: "
            f"{', '.join(SUPPORTED_REGIONS)}); the lines below are $0, add the region's prices "
            "to components/cost/prices.py",
        )
    elif prices.missing:
        pricing.not_priced += [f"no {region} price for {key}" for key in sorted(prices.missing)]
    pricing.notes += [
        f"{key} ({region}) is derived, not read: {table[key].note}"
        for key in sorted(prices.used)
        if table[key].basis == "derived"
    ]
