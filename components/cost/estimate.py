"""The monthly cost estimate of a stack: pure functions, no AWS call.

Inputs: the validated `StackSettings` (services, sizes, task counts, Spot share, architecture,
off-hours schedule, log retention, region) and the resources the stack registers (everything
else: NAT gateways, endpoints, ALB, WAF, RDS, ElastiCache, secrets, log groups, alarms, S3, ECR;
see `inventory.py`). Prices come from `prices.py`, usage figures from `usage.py`.

Fargate is priced from the settings rather than from the ECS resources because the schedule and
the Spot share are settings, and the task counts are the autoscaling minimums: scale-out above
them is not estimated (`fargate_at_max_capacity_usd` gives the ceiling).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..compute.cluster import CapacityShare
from ..compute.fargate import INCLUDED_EPHEMERAL_GIB
from .inventory import Inventory, Resource, inventory_from_resources
from .prices import AS_OF, PRICES, SUPPORTED_REGIONS, Price, PriceTable
from .usage import USAGE_DEFAULTS, UsageAssumptions

if TYPE_CHECKING:
    from ..stack.settings import ServiceSettings, StackSettings

HOURS_PER_MONTH = 730.0
SERVERLESS_MIN_GB = 0.1
"""ElastiCache Serverless for Valkey bills at least 100 MB of data per hour."""
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
NEVER_EXPIRE_DAYS = 365
"""Log groups without retention grow forever; the estimate counts one year of storage."""

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
SCHEDULER_FREE_INVOCATIONS = 14_000_000
"""EventBridge Scheduler's free tier: invocations per month (aws.amazon.com/eventbridge/pricing);
then USD 1.00 per million."""
SCHEDULER_USD_PER_MILLION = 1.00
CLOUDWATCH_FREE_ALARM_METRICS = 10
"""CloudWatch's free tier: 10 standard-resolution alarm metrics a month
(aws.amazon.com/cloudwatch/pricing, "Free tier"); like Scheduler's, shared by the accounts of
one consolidated bill."""
FARGATE_MINIMUM_MINUTES = 1.0
"""Fargate bills per second with a one-minute minimum per task."""


# ---------------------------------------------------------------------------------------------
# Fargate
# ---------------------------------------------------------------------------------------------


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


_CRON_NAMES = {
    name: index
    for names in (
        ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"),
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
    )
    for index, name in enumerate(names, start=1)
}


def _cron_values(field: str, low: int, high: int) -> int:
    """How many values of `low..high` a cron field selects (`*`, `?`, lists, ranges, steps,
    day and month names; `L`, `W` and `#` count as one value)."""
    if field in ("*", "?"):
        return high - low + 1
    for name, number in _CRON_NAMES.items():
        field = field.replace(name, str(number))
    count = 0
    for part in field.split(","):
        base, _, step = part.partition("/")
        if base in ("*", ""):
            start, end = low, high
        elif "-" in base and base.replace("-", "").isdigit():
            start, end = (int(x) for x in base.split("-", 1))
        elif base.isdigit():
            start = int(base)
            end = high if step else start
        else:
            count += 1  # a name (MON, JAN), L, W, 3#2: one value
            continue
        count += len(range(start, end + 1, int(step) if step.isdigit() and int(step) else 1))
    return max(count, 1)


def runs_per_month(expression: str) -> float:
    """Runs a month of an EventBridge Scheduler expression: `rate(...)` exactly, `cron(...)`
    from its fields (minutes x hours x days, 30.4 days or 4.35 weeks a month, the share of
    months selected), `at(...)` once."""
    if expression.startswith("at("):
        return 1.0
    if expression.startswith("rate("):
        value, unit = expression[5:-1].split()
        minutes = {"minute": 1, "hour": 60, "day": 1440}[unit.rstrip("s")]
        return HOURS_PER_MONTH * 60 / (int(value) * minutes)
    fields = expression[5:-1].split()
    minutes, hours, day_of_month, month, day_of_week = fields[:5]
    if day_of_month == "?":
        days = _cron_values(day_of_week, 1, 7) * DAYS_PER_MONTH / 7
    else:
        days = _cron_values(day_of_month, 1, 31) * DAYS_PER_MONTH / 31
    months = _cron_values(month, 1, 12) / 12
    return _cron_values(minutes, 0, 59) * _cron_values(hours, 0, 23) * days * months


def service_architecture(settings: Any, service: Any) -> str:
    """The service's CPU architecture: its own when it has one (`blocks.cpu_architecture`, or
    a program's registered service, `registered.py`), else the stack's."""
    own = getattr(getattr(service, "blocks", None), "cpu_architecture", None)
    return own or getattr(service, "cpu_architecture", None) or settings.cpu_architecture


def service_spot_percentage(settings: Any, service: Any) -> int:
    """The service's Spot share: its own when it has one, else the stack's."""
    own = getattr(service, "spot_percentage", None)
    return settings.fargate_spot_percentage if own is None else own


def running_hours(settings: StackSettings) -> float:
    """Hours a service runs per month: 730, or the off-hours schedule's working hours."""
    off_hours = settings.off_hours
    return off_hours.hours_per_month if off_hours is not None else HOURS_PER_MONTH


# ---------------------------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# The estimate
# ---------------------------------------------------------------------------------------------


def _service_cost(
    settings: StackSettings,
    service: ServiceSettings,
    hours: float,
    usage: UsageAssumptions,
    prices: PriceTable,
) -> ServiceCost:
    vcpu, memory_gb = service.cpu / 1024, service.memory / 1024
    on_demand, spot = service_task_split(settings, service, service.desired_count)
    architecture = service_architecture(settings, service)
    fargate = fargate_monthly_usd(
        vcpu=vcpu,
        memory_gb=memory_gb,
        on_demand_tasks=on_demand,
        spot_tasks=spot,
        hours=hours,
        architecture=architecture,
        prices=prices,
    ) + ephemeral_monthly_usd(
        service_ephemeral_gib(service),
        tasks=service.desired_count,
        hours=hours,
        prices=prices,
    )
    logs = _log_usd(
        ingest_gb=usage.log_gb_per_task_day * service.desired_count * hours / 24,
        # Keycloak's log is authentication evidence (auditLogRetentionDays), the rest the seed's.
        retention_days=settings.log_retention_for(service.name),
        prices=prices,
    )
    return ServiceCost(
        name=service.name,
        tasks=service.desired_count,
        vcpu=vcpu,
        memory_gb=memory_gb,
        hours=hours,
        on_demand_tasks=on_demand,
        spot_tasks=spot,
        architecture=architecture,
        fargate_usd=fargate,
        logs_usd=logs,
    )


def _log_usd(*, ingest_gb: float, retention_days: int | None, prices: PriceTable) -> float:
    """Ingestion of a month's logs plus the steady-state archive the retention keeps."""
    stored_gb = ingest_gb / DAYS_PER_MONTH * (retention_days or NEVER_EXPIRE_DAYS)
    return (
        ingest_gb * prices["logs.ingest_gb"].usd + stored_gb * prices["logs.storage_gb_month"].usd
    )


def _writer_hours(
    group: str | None,
    task_hours: float,
    database_hours: float,
    job_hours: Mapping[str, float] | None = None,
) -> float:
    """Hours a month something writes to a log group: an RDS instance's logs while it runs
    (`database.stopOffHours`), ECS Exec sessions while there are tasks to open them on
    (off-hours scaling), a task's while it runs (`job_hours`: its scheduled runs; 0 for a
    migration or a one-off task), everything else (flow logs, WAF, state machines) all month."""
    name = group or ""
    if job_hours is not None and name in job_hours:
        return job_hours[name]
    if name.startswith("/aws/rds/instance/"):
        return database_hours
    if name.endswith("/execute-command"):
        return task_hours
    return HOURS_PER_MONTH


def _hourly(prices: PriceTable, key: str, not_priced: list[str], what: str) -> float:
    price = prices.get(key)
    if price is None:
        not_priced.append(f"{what}: no price for {key.split('.', 1)[1].rsplit('.', 1)[0]}")
        return 0.0
    return price.usd


class _Tolerant(Mapping[str, Price]):
    """A price table that answers $0 for a price it lacks and remembers which it was asked."""

    def __init__(self, table: PriceTable):
        self._table = table
        self.missing: set[str] = set()
        self.used: set[str] = set()

    def __getitem__(self, key: str) -> Price:
        price = self._table.get(key)
        if price is None:
            self.missing.add(key)
            return Price(0.0, "not priced", "no price for this region")
        self.used.add(key)
        return price

    def get(self, key: str, default: Any = None) -> Any:
        return self._table.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)


class _Usd:
    def __init__(self, prices: _Tolerant):
        self._prices = prices

    def __getitem__(self, key: str) -> float:
        return self._prices[key].usd


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
    tolerant = _Tolerant(table)
    prices = tolerant
    usage = usage or USAGE_DEFAULTS[settings.environment]
    inventory: Inventory = inventory_from_resources(resources)
    not_priced = list(inventory.unpriced)
    notes = list(inventory.notes)
    hours = running_hours(settings)
    p = _Usd(tolerant)

    services = tuple(_service_cost(settings, s, hours, usage, prices) for s in settings.services)
    ceiling = sum(
        fargate_monthly_usd(
            vcpu=s.cpu / 1024,
            memory_gb=s.memory / 1024,
            on_demand_tasks=service_task_split(settings, s, s.max_capacity)[0],
            spot_tasks=service_task_split(settings, s, s.max_capacity)[1],
            hours=HOURS_PER_MONTH,
            architecture=service_architecture(settings, s),
            prices=prices,
        )
        + ephemeral_monthly_usd(
            service_ephemeral_gib(s),
            tasks=s.max_capacity,
            hours=HOURS_PER_MONTH,
            prices=prices,
        )
        for s in settings.services
    )
    on_demand = sum(s.on_demand_tasks for s in services)
    spot = sum(s.spot_tasks for s in services)
    vcpu_hours = sum(s.vcpu * s.tasks for s in services) * hours
    gb_hours = sum(s.memory_gb * s.tasks for s in services) * hours
    fargate = LineItem(
        "fargate",
        sum(s.fargate_usd for s in services),
        f"{vcpu_hours:,.0f} vCPU-h + {gb_hours:,.0f} GB-h ({settings.cpu_architecture}, "
        f"{hours:.0f} h/month), {on_demand:g} on-demand + {spot:g} Spot tasks",
    )

    # LCUs measure traffic (connections, bytes, rule evaluations; health checks are free), and
    # traffic comes while the services run: outside off-hours scaling's hours there is none.
    alb_each = HOURS_PER_MONTH * p["alb.hour"] + hours * usage.alb_lcu * p["alb.lcu_hour"]
    nlbs = len(inventory.network_load_balancers)
    nlb_each = (
        HOURS_PER_MONTH * p["nlb.hour"] + hours * usage.nlb_nlcu * p["nlb.nlcu_hour"]
        if nlbs
        else 0.0
    )
    load_balancer = LineItem(
        "load_balancer",
        alb_each * len(inventory.load_balancers) + nlb_each * nlbs,
        f"{len(inventory.load_balancers)} ALB x 730 h + {usage.alb_lcu:g} LCU average x "
        f"{hours:.0f} h of traffic"
        + (
            f"; {nlbs} NLB x 730 h + {usage.nlb_nlcu:g} NLCU average x {hours:.0f} h"
            if nlbs
            else ""
        ),
    )

    nat_count = inventory.nat_gateways
    nat = LineItem(
        "nat_gateways",
        nat_count * HOURS_PER_MONTH * p["nat.hour"]
        + (usage.nat_gb_per_month * p["nat.gb"] if nat_count else 0.0),
        f"{nat_count} NAT gateway(s) x 730 h"
        + (f" + {usage.nat_gb_per_month:g} GB processed" if nat_count else ""),
    )

    nlb_ips = sum(n for _, n in inventory.network_load_balancers)
    public_ips = (
        nat_count + inventory.elastic_ips + sum(n for _, n in inventory.load_balancers) + nlb_ips
    )
    # Tasks with their own address (dev's taskPublicIps) pay for it while they run.
    task_addresses = sum(s.tasks for s in services) if settings.task_public_ips else 0
    public_ipv4 = LineItem(
        "public_ipv4",
        (public_ips * HOURS_PER_MONTH + task_addresses * hours) * p["public_ipv4.hour"],
        f"{public_ips} public IPv4 address(es) of NAT gateways and internet-facing "
        + ("ALB and NLB nodes" if nlb_ips else "ALB nodes")
        + (f" + {task_addresses:g} task address(es) x {hours:.0f} h" if task_addresses else ""),
    )

    endpoint_azs = sum(azs for _, azs in inventory.interface_endpoints)
    endpoints = LineItem(
        "interface_endpoints",
        endpoint_azs * HOURS_PER_MONTH * p["endpoint.az_hour"]
        + len(inventory.interface_endpoints) * usage.endpoint_gb_per_month * p["endpoint.gb"],
        f"{len(inventory.interface_endpoints)} endpoint(s) in {endpoint_azs} AZ-slots x 730 h",
    )

    db_usd, db_parts = 0.0, []
    # A stopped instance pays for its storage only (database.stopOffHours).
    schedule = settings.database_schedule
    db_hours = schedule.hours_per_month if schedule is not None else HOURS_PER_MONTH
    for db in inventory.databases:
        copies = 2 if db.multi_az else 1
        hourly = _hourly(prices, f"rds.{db.instance_class}.hour", not_priced, db.name)
        db_usd += (
            copies * (hourly * db_hours + db.storage_gb * p["rds.storage.gb_month"])
            + usage.rds_backup_gb_beyond_free * p["rds.backup.gb_month"]
        )
        db_parts.append(
            f"{db.instance_class}{' Multi-AZ' if db.multi_az else ''} x {db_hours:.0f} h + "
            f"{db.storage_gb:g} GB"
        )
    database = LineItem("database", db_usd, ", ".join(db_parts) or "none")

    cache_usd, cache_parts = 0.0, []
    for group in inventory.caches:
        hourly = _hourly(prices, f"elasticache.{group.node_type}.hour", not_priced, group.name)
        if group.engine == "valkey":
            hourly *= 1 - p["elasticache.valkey.node_discount"]
        cache_usd += group.nodes * hourly * HOURS_PER_MONTH
        cache_parts.append(f"{group.nodes} x {group.node_type} ({group.engine})")
    for serverless in inventory.serverless_caches:
        if serverless.engine != "valkey":
            not_priced.append(f"{serverless.name}: ElastiCache Serverless for {serverless.engine}")
            continue
        stored = max(SERVERLESS_MIN_GB, usage.cache_gb_stored)
        if serverless.max_data_gb is not None:
            stored = min(stored, max(SERVERLESS_MIN_GB, serverless.max_data_gb))
        cache_usd += stored * p["elasticache.serverless.valkey.gb_hour"] * HOURS_PER_MONTH
        cache_usd += (
            usage.cache_million_ecpu_per_month * p["elasticache.serverless.valkey.million_ecpu"]
        )
        cache_parts.append(
            f"serverless valkey {stored:g} GB + {usage.cache_million_ecpu_per_month:g}M ECPU"
        )
    cache = LineItem("cache", cache_usd, ", ".join(cache_parts) or "none")

    secret_count = inventory.secrets + sum(1 for db in inventory.databases if db.managed_password)
    secrets = LineItem(
        "secrets_manager",
        secret_count * p["secretsmanager.secret_month"],
        f"{secret_count} secret(s), RDS-managed master passwords included",
    )

    waf_usd = 0.0 + sum(
        p["waf.web_acl_month"]
        + rules * p["waf.rule_month"]
        + usage.waf_million_requests * p["waf.million_requests"]
        for _, rules in inventory.web_acls
    )
    waf = LineItem(
        "waf",
        waf_usd,
        ", ".join(f"1 web ACL + {rules} rules" for _, rules in inventory.web_acls) or "none",
    )

    service_log_names = {_log_group_name(settings, s) for s in settings.services}
    job_hours = {
        settings.log_group_name(t.name): (
            runs_per_month(t.schedule.expression) * _run_minutes(t, usage) / 60
            if t.schedule
            else 0.0
        )
        for t in settings.tasks
    }
    other_groups = [g for g in inventory.log_groups if g.name not in service_log_names]
    if any(g.retention_days is None for g in other_groups):
        notes.append(f"log groups without retention: {NEVER_EXPIRE_DAYS} days of storage counted")
    other_logs = sum(
        _log_usd(
            ingest_gb=usage.other_log_gb_per_group_day
            * DAYS_PER_MONTH
            * _writer_hours(g.name, hours, db_hours, job_hours)
            / HOURS_PER_MONTH,
            retention_days=g.retention_days,
            prices=prices,
        )
        for g in other_groups
    )
    logs = LineItem(
        "cloudwatch_logs",
        sum(s.logs_usd for s in services) + other_logs,
        f"{len(services)} service log group(s) at {usage.log_gb_per_task_day:g} GB/task-day, "
        f"{len(other_groups)} other(s) at {usage.other_log_gb_per_group_day:g} GB/day while "
        "their writer runs; "
        f"retention {settings.log_retention_days} days"
        + (
            f", Keycloak's and PostgreSQL's {settings.audit_log_retention_days}"
            if settings.audit_log_retention_days is not None
            else ""
        ),
    )

    billable_alarm_metrics = max(0, inventory.alarm_metrics - CLOUDWATCH_FREE_ALARM_METRICS)
    alarms = LineItem(
        "cloudwatch_alarms",
        billable_alarm_metrics * p["cloudwatch.alarm_month"]
        + inventory.composite_alarms * p["cloudwatch.composite_alarm_month"],
        f"{inventory.alarm_metrics} alarm metric(s), {CLOUDWATCH_FREE_ALARM_METRICS} a month free"
        + (
            f", {inventory.composite_alarms} composite alarm(s)"
            if inventory.composite_alarms
            else ""
        ),
    )
    if inventory.experiment_actions:
        actions = sum(n for _, n in inventory.experiment_actions)
        notes.append(
            f"{len(inventory.experiment_actions)} fault experiment template(s), {actions} "
            f"action(s): free until run, then ${p['fis.action_minute']:.2f} per action-minute "
            '(docs/COSTS.md, "Fault experiments")'
        )
    s3 = LineItem(
        "s3",
        inventory.buckets * usage.s3_gb_per_bucket * p["s3.standard_gb_month"],
        f"{inventory.buckets} bucket(s) x {usage.s3_gb_per_bucket:g} GB",
    )
    tools = {
        t.name
        for t in settings.tasks
        if t.own_repository and (t.health_probe or getattr(t, "platform", None))
    }
    tool_repositories = sum(1 for n in inventory.repository_names if n.rsplit("/", 1)[-1] in tools)
    app_repositories = inventory.repositories - tool_repositories
    ecr = LineItem(
        "ecr",
        (app_repositories * usage.ecr_gb_per_repository + tool_repositories * usage.tool_image_gb)
        * p["ecr.gb_month"],
        f"{app_repositories} repository(ies) x {usage.ecr_gb_per_repository:g} GB"
        + (
            f", {tool_repositories} of the platform's tool images x {usage.tool_image_gb:g} GB"
            if tool_repositories
            else ""
        ),
    )

    kms = LineItem(
        "kms_keys",
        inventory.kms_keys * p["kms.key_month"],
        f"{inventory.kms_keys} customer managed key(s)",
    )

    scheduled = _scheduled_tasks(settings, usage, prices)

    off_hours = settings.off_hours
    levers = {
        "cpu_architecture": settings.cpu_architecture,
        "fargate_spot_percentage": settings.fargate_spot_percentage,
        "off_hours_scaling": (
            f"{','.join(off_hours.days)} {off_hours.start}-{off_hours.stop} {off_hours.timezone}"
            if off_hours is not None
            else "off"
        ),
        "running_hours_per_month": round(hours, 1),
        "nat_gateways": nat_count,
        "task_public_ips": settings.task_public_ips,
        "database_running_hours": round(db_hours, 1),
        "interface_endpoints": len(inventory.interface_endpoints),
        "log_retention_days": settings.log_retention_days,
        "audit_log_retention_days": settings.audit_log_retention_days,
    }
    items = (fargate, load_balancer, nat, public_ipv4, endpoints, database, cache, secrets, waf)
    items += (logs, alarms, s3, ecr, kms, scheduled)
    if not table:
        not_priced.insert(
            0,
            f"everything region-specific: no price table for {settings.region} (priced: "
            f"{', '.join(SUPPORTED_REGIONS)}); the lines below are $0, add the region's prices "
            "to components/cost/prices.py",
        )
    elif tolerant.missing:
        not_priced += [f"no {settings.region} price for {key}" for key in sorted(tolerant.missing)]
    notes += [
        f"{key} ({settings.region}) is derived, not read: {table[key].note}"
        for key in sorted(tolerant.used)
        if table[key].basis == "derived"
    ]
    assert tuple(i.name for i in items) == LINE_ITEMS
    return CostEstimate(
        region=settings.region,
        environment=settings.environment,
        services=services,
        line_items=items,
        usage=usage,
        levers=levers,
        fargate_at_max_capacity_usd=ceiling,
        monthly_budget_usd=settings.monthly_budget_usd,
        not_priced=tuple(not_priced),
        notes=tuple(notes),
        unused_assumptions=() if nlbs else ("nlb_nlcu",),
    )


def _run_minutes(task: Any, usage: UsageAssumptions) -> float:
    """Billed minutes of one run: the task's own expectation, else the usage assumption; at
    least Fargate's one-minute minimum."""
    expected = task.run_minutes if task.run_minutes is not None else usage.task_run_minutes
    return max(expected, FARGATE_MINIMUM_MINUTES)


def _scheduled_tasks(
    settings: StackSettings, usage: UsageAssumptions, prices: PriceTable
) -> LineItem:
    """Each scheduled task's runs a month x its minutes (`_run_minutes`) at on-demand Fargate prices
    (schedules run on FARGATE, not Spot), plus EventBridge Scheduler's invocations beyond its
    free tier. A migration's run at each deploy and one-off runs are not counted."""
    usd, parts, invocations = 0.0, [], 0.0
    for task in settings.tasks:
        if task.schedule is None:
            continue
        runs = runs_per_month(task.schedule.expression)
        minutes = _run_minutes(task, usage)
        invocations += runs
        usd += fargate_monthly_usd(
            vcpu=task.cpu / 1024,
            memory_gb=task.memory / 1024,
            on_demand_tasks=1,
            spot_tasks=0,
            hours=runs * minutes / 60,
            architecture=settings.cpu_architecture,
            prices=prices,
        )
        parts.append(f"{task.name} {runs:,.1f} runs x {minutes:g} min")
    billable = max(0.0, invocations - SCHEDULER_FREE_INVOCATIONS)
    usd += billable / 1e6 * SCHEDULER_USD_PER_MILLION
    detail = (
        f"{', '.join(parts)} a month on Fargate; EventBridge Scheduler: "
        f"{invocations:,.0f} invocations ({SCHEDULER_FREE_INVOCATIONS:,} a month free)"
        if parts
        else "none"
    )
    return LineItem("scheduled_tasks", usd, detail)


def _log_group_name(settings: StackSettings, service: ServiceSettings) -> str:
    return settings.log_group_name(service.name)


# ---------------------------------------------------------------------------------------------
# Budget
# ---------------------------------------------------------------------------------------------


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
