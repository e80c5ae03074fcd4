"""Fargate's price model: how a service's tasks split between on-demand and Spot, its
architecture and ephemeral storage, and the monthly USD of tasks of a size."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..compute.cluster import CapacityShare
from ..compute.fargate import INCLUDED_EPHEMERAL_GIB
from .prices import PriceTable


def task_split(tasks: float, spot_percentage: int) -> tuple[float, float]:
    """(on-demand, Spot) tasks under the program's capacity provider strategy.

    Mirrors `cluster.capacity_provider_strategy`: 0 % all FARGATE, 100 % all FARGATE_SPOT,
    otherwise one on-demand base task and the rest split by weight. The split of the rest is
    the expected share (ECS fills weights in whole tasks; over a month of scaling the average
    approaches the ratio).
    """
    if tasks <= 0:
        return 0.0, 0.0
    if spot_percentage <= 0:
        return float(tasks), 0.0
    if spot_percentage >= 100:
        return 0.0, float(tasks)
    rest = tasks - 1
    spot = rest * spot_percentage / 100
    return tasks - spot, spot


def strategy_split(tasks: float, strategy: Sequence[CapacityShare]) -> tuple[float, float]:
    """(on-demand, Spot) tasks under a service's own strategy: each provider's base first, the
    rest by weight (ECS's placement; over a month the average approaches the ratio)."""
    if tasks <= 0:
        return 0.0, 0.0
    placed = {"FARGATE": 0.0, "FARGATE_SPOT": 0.0}
    left = float(tasks)
    for share in strategy:
        taken = min(left, share.base)
        placed[share.capacity_provider] += taken
        left -= taken
    weights = sum(share.weight for share in strategy)
    for share in strategy:
        if weights:
            placed[share.capacity_provider] += left * share.weight / weights
    return placed["FARGATE"], placed["FARGATE_SPOT"]


def service_task_split(settings: Any, service: Any, tasks: float) -> tuple[float, float]:
    """The service's own strategy, else its own Spot share (a program's registered service,
    `registered.py`), else the stack's."""
    blocks = getattr(service, "blocks", None)
    if blocks is not None and blocks.capacity:
        return strategy_split(tasks, blocks.capacity)
    return task_split(tasks, service_spot_percentage(settings, service))


def service_ephemeral_gib(service: Any) -> int | None:
    """The service's ephemeral storage size, when it sets one."""
    return getattr(getattr(service, "blocks", None), "ephemeral_storage_gib", None)


def ephemeral_monthly_usd(
    size_gib: int | None, *, tasks: float, hours: float, prices: PriceTable
) -> float:
    """Ephemeral storage above the 20 GB every Fargate task has, per task-hour."""
    extra = max(0, (size_gib or 0) - INCLUDED_EPHEMERAL_GIB)
    return extra * tasks * hours * prices["fargate.ephemeral_gb_hour"].usd


def fargate_monthly_usd(
    *,
    vcpu: float,
    memory_gb: float,
    on_demand_tasks: float,
    spot_tasks: float,
    hours: float,
    architecture: str,
    prices: PriceTable,
) -> float:
    """vCPU-hours and GB-hours at the architecture's on-demand price, Spot tasks discounted."""
    arch = architecture.lower()
    per_task_hour = (
        vcpu * prices[f"fargate.{arch}.vcpu_hour"].usd
        + memory_gb * prices[f"fargate.{arch}.gb_hour"].usd
    )
    spot_factor = 1 - prices["fargate.spot_discount"].usd
    return per_task_hour * hours * (on_demand_tasks + spot_tasks * spot_factor)


def service_architecture(settings: Any, service: Any) -> str:
    """The service's CPU architecture: its own when it has one (`blocks.cpu_architecture`, or
    a program's registered service, `registered.py`), else the stack's."""
    own = getattr(getattr(service, "blocks", None), "cpu_architecture", None)
    return own or getattr(service, "cpu_architecture", None) or settings.cpu_architecture


def service_spot_percentage(settings: Any, service: Any) -> int:
    """The service's Spot share: its own when it has one, else the stack's."""
    own = getattr(service, "spot_percentage", None)
    return settings.fargate_spot_percentage if own is None else own


def sized_fargate_usd(
    cpu: int,
    memory: int,
    split: tuple[float, float],
    *,
    hours: float,
    architecture: str,
    prices: PriceTable,
) -> float:
    """`fargate_monthly_usd` of tasks sized as ECS sizes them (CPU units, MiB of memory), split
    (on-demand, Spot)."""
    on_demand, spot = split
    return fargate_monthly_usd(
        vcpu=cpu / 1024,
        memory_gb=memory / 1024,
        on_demand_tasks=on_demand,
        spot_tasks=spot,
        hours=hours,
        architecture=architecture,
        prices=prices,
    )


def service_fargate_usd(
    settings: Any, service: Any, *, tasks: float, hours: float, prices: PriceTable
) -> float:
    """A service's Fargate for `tasks` tasks over `hours`: its size and architecture, its split
    between on-demand and Spot, and the ephemeral storage it asks beyond what is included."""
    return sized_fargate_usd(
        service.cpu,
        service.memory,
        service_task_split(settings, service, tasks),
        hours=hours,
        architecture=service_architecture(settings, service),
        prices=prices,
    ) + ephemeral_monthly_usd(
        service_ephemeral_gib(service), tasks=tasks, hours=hours, prices=prices
    )
