"""The monthly cost of any program built on the components, from what it registers alone.

AccessWeaver's stacks export `estimated_monthly_cost`, priced from their validated settings
(`estimate.estimate`). A program of one's own has no such settings: `estimate_registered` reads
the same facts from its registered resources and prices them with the same model, so the offline
plan (`python -m tools.plan --project DIR`) shows a cost for it too:

- a service is each ECS service (`aws:ecs/service:Service`) with the task definition its
  `taskDefinition` input comes from (or the one task definition beside it under the same
  component): CPU, memory and architecture of the task definition, tasks = its desired count
  (at least the minimum of the autoscaling target beside it; the target's maximum is the
  ceiling), its Spot share from its capacity provider strategy's weights (priced like the
  components' strategy: one on-demand base task when mixed);
- its log group is the one beside it (its retention prices the service's logs);
- everything else (load balancers, NAT gateways, databases, ...) as `inventory.py` counts it;
- usage figures: the row of `usage.py` named like the stack, else dev's (the modest one).

Pure: `resources` are anything with `type`, `inputs` and, where known, `name`, `parent` and
`property_dependencies` (the offline engine's `RecordedResource`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..formats import ENVIRONMENTS, Environment
from .estimate import CostEstimate, estimate
from .prices import PriceTable
from .usage import UsageAssumptions

SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SCALING_TARGET = "aws:appautoscaling/target:Target"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
DEFAULT_ARCHITECTURE = "X86_64"
"""ECS's default when a task definition sets no `runtimePlatform`."""


@dataclass(frozen=True)
class RegisteredService:
    """What the estimate needs of one ECS service of the program."""

    name: str
    cpu: int
    memory: int
    desired_count: int
    max_capacity: int
    cpu_architecture: str
    spot_percentage: int
    log_group: str
    log_retention_days: int | None
    public_ip: bool


@dataclass(frozen=True)
class ProgramSettings:
    """The settings `estimate.estimate` reads, derived from a program's resources (no
    off-hours schedule, database schedule or scheduled tasks: those are AccessWeaver's)."""

    region: str
    environment: Environment
    services: tuple[RegisteredService, ...]
    off_hours: None = None
    database_schedule: None = None
    tasks: tuple[()] = ()
    monthly_budget_usd: float | None = None
    audit_log_retention_days: int | None = None

    @property
    def cpu_architecture(self) -> str:
        found = sorted({s.cpu_architecture for s in self.services})
        return "+".join(found) or DEFAULT_ARCHITECTURE

    @property
    def fargate_spot_percentage(self) -> int:
        """Spot tasks among all tasks, as a percentage (the services carry their own)."""
        tasks = sum(s.desired_count for s in self.services)
        spot = sum(s.desired_count * s.spot_percentage for s in self.services)
        return round(spot / tasks) if tasks else 0

    @property
    def task_public_ips(self) -> bool:
        return any(s.public_ip for s in self.services)

    @property
    def log_retention_days(self) -> int | None:
        kept = [s.log_retention_days for s in self.services if s.log_retention_days]
        return max(kept) if kept else None

    def log_group_name(self, service: str) -> str:
        return next((s.log_group for s in self.services if s.name == service), "")

    def log_retention_for(self, service: str) -> int | None:
        return next((s.log_retention_days for s in self.services if s.name == service), None)


def _int(value: Any, default: int) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _spot_percentage(strategies: Any) -> int:
    """FARGATE_SPOT's share of the strategy's weights (0 without a strategy: FARGATE)."""
    if not isinstance(strategies, list):
        return 0
    weights = {
        str(s.get("capacityProvider")): _int(s.get("weight"), 0)
        for s in strategies
        if isinstance(s, Mapping)
    }
    total = sum(weights.values())
    return round(100 * weights.get("FARGATE_SPOT", 0) / total) if total else 0


def _siblings(resources: Sequence[Any], of: Any, type_: str) -> list[Any]:
    parent = getattr(of, "parent", None)
    return [r for r in resources if r.type == type_ and getattr(r, "parent", None) == parent]


def _task_definition(resources: Sequence[Any], service: Any) -> Any | None:
    by_key = {f"{r.type}::{getattr(r, 'name', '')}": r for r in resources}
    linked = (getattr(service, "property_dependencies", None) or {}).get("taskDefinition") or ()
    for key in linked:
        if key in by_key and by_key[key].type == TASK_DEFINITION:
            return by_key[key]
    beside = _siblings(resources, service, TASK_DEFINITION)
    return beside[0] if len(beside) == 1 else None


def registered_services(resources: Iterable[Any]) -> tuple[RegisteredService, ...]:
    """Every ECS service of `resources` whose task definition is known, as the estimate
    prices it (see the module)."""
    resources = list(resources)
    found = []
    for service in (r for r in resources if r.type == SERVICE):
        inputs = service.inputs or {}
        task = _task_definition(resources, service)
        if task is None:
            continue
        task_inputs = task.inputs or {}
        targets = _siblings(resources, service, SCALING_TARGET)
        minimum = max((_int(t.inputs.get("minCapacity"), 0) for t in targets), default=0)
        desired = max(_int(inputs.get("desiredCount"), 1), minimum)
        maximum = max((_int(t.inputs.get("maxCapacity"), 0) for t in targets), default=desired)
        groups = _siblings(resources, service, LOG_GROUP)
        group = groups[0].inputs if groups else {}
        platform = task_inputs.get("runtimePlatform") or {}
        network = inputs.get("networkConfiguration") or {}
        found.append(
            RegisteredService(
                name=str(getattr(service, "name", inputs.get("name") or "service")),
                cpu=_int(task_inputs.get("cpu"), 256),
                memory=_int(task_inputs.get("memory"), 512),
                desired_count=desired,
                max_capacity=max(maximum, desired),
                cpu_architecture=str(platform.get("cpuArchitecture") or DEFAULT_ARCHITECTURE),
                spot_percentage=_spot_percentage(inputs.get("capacityProviderStrategies")),
                log_group=str(group.get("name") or ""),
                log_retention_days=_int(group.get("retentionInDays"), 0) or None,
                public_ip=bool(network.get("assignPublicIp")),
            )
        )
    return tuple(found)


def environment_for(stack: str) -> Environment:
    """The usage row a stack of one's own is priced with: its name's, else dev's."""
    return next((e for e in ENVIRONMENTS if e == stack), "dev")


def estimate_registered(
    resources: Iterable[Any],
    *,
    region: str,
    stack: str,
    usage: UsageAssumptions | None = None,
    prices: PriceTable | None = None,
) -> CostEstimate:
    """The monthly cost of what a program registers (see the module)."""
    resources = list(resources)
    environment = environment_for(stack)
    settings = ProgramSettings(
        region=region, environment=environment, services=registered_services(resources)
    )
    priced = estimate(settings, resources, usage=usage, prices=prices)  # type: ignore[arg-type]
    note = (
        f"priced from the resources the program registers; usage figures of {environment} "
        "(components/cost/usage.py)"
    )
    return replace(priced, notes=(*priced.notes, note))
