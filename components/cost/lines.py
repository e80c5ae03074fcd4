"""The estimate's lines, one step each: what a stack's services, load balancers, NAT gateways,
addresses, endpoints, databases, caches, secrets, WAF, logs, alarms, buckets, repositories, keys
and scheduled tasks cost a month.

Each step reads a `Pricing` (the settings, usage figures, inventory and prices of one estimate)
and gives its `LineItem`; what it cannot price it adds to `Pricing.not_priced`, what the reader
should know to `Pricing.notes`. `estimate.estimate` runs them in the order of `LINE_ITEMS`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .fargate_pricing import (
    service_architecture,
    service_fargate_usd,
    service_task_split,
    sized_fargate_usd,
)
from .inventory import Inventory
from .prices import Price, PriceTable
from .result import LineItem, ServiceCost
from .schedule import DAYS_PER_MONTH, HOURS_PER_MONTH, runs_per_month
from .usage import UsageAssumptions

if TYPE_CHECKING:
    from ..stack.settings import ServiceSettings, StackSettings

SERVERLESS_MIN_GB = 0.1
"""ElastiCache Serverless for Valkey bills at least 100 MB of data per hour."""
NEVER_EXPIRE_DAYS = 365
"""Log groups without retention grow forever; the estimate counts one year of storage."""
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


class TolerantPrices(Mapping[str, Price]):
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


class UsdOf:
    """`usd[key]`: the USD of a price of a `TolerantPrices` ($0 when it lacks it)."""

    def __init__(self, prices: TolerantPrices):
        self._prices = prices

    def __getitem__(self, key: str) -> float:
        return self._prices[key].usd


@dataclass
class Pricing:
    """What every line of one estimate is priced from, and what the lines report back."""

    settings: StackSettings
    usage: UsageAssumptions
    inventory: Inventory
    prices: TolerantPrices
    hours: float
    """Hours a month the services run (`schedule.running_hours`)."""
    not_priced: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def usd(self) -> UsdOf:
        return UsdOf(self.prices)

    @property
    def database_hours(self) -> float:
        """Hours a month the databases run: a stopped instance pays for its storage only
        (database.stopOffHours)."""
        schedule = self.settings.database_schedule
        return schedule.hours_per_month if schedule is not None else HOURS_PER_MONTH


# -- Fargate ------------------------------------------------------------------------------------


def service_costs(pricing: Pricing) -> tuple[ServiceCost, ...]:
    """Each service's Fargate and logs at its desired count, over the running hours."""
    settings, hours, usage, prices = (
        pricing.settings,
        pricing.hours,
        pricing.usage,
        pricing.prices,
    )
    return tuple(_service_cost(settings, s, hours, usage, prices) for s in settings.services)


def _service_cost(
    settings: StackSettings,
    service: ServiceSettings,
    hours: float,
    usage: UsageAssumptions,
    prices: PriceTable,
) -> ServiceCost:
    on_demand, spot = service_task_split(settings, service, service.desired_count)
    fargate = service_fargate_usd(
        settings, service, tasks=service.desired_count, hours=hours, prices=prices
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
        vcpu=service.cpu / 1024,
        memory_gb=service.memory / 1024,
        hours=hours,
        on_demand_tasks=on_demand,
        spot_tasks=spot,
        architecture=service_architecture(settings, service),
        fargate_usd=fargate,
        logs_usd=logs,
    )


def fargate_ceiling_usd(pricing: Pricing) -> float:
    """Fargate with every service at its maximum capacity all month."""
    settings = pricing.settings
    return sum(
        service_fargate_usd(
            settings, s, tasks=s.max_capacity, hours=HOURS_PER_MONTH, prices=pricing.prices
        )
        for s in settings.services
    )


def fargate_line(pricing: Pricing, services: tuple[ServiceCost, ...]) -> LineItem:
    hours = pricing.hours
    on_demand = sum(s.on_demand_tasks for s in services)
    spot = sum(s.spot_tasks for s in services)
    vcpu_hours = sum(s.vcpu * s.tasks for s in services) * hours
    gb_hours = sum(s.memory_gb * s.tasks for s in services) * hours
    return LineItem(
        "fargate",
        sum(s.fargate_usd for s in services),
        f"{vcpu_hours:,.0f} vCPU-h + {gb_hours:,.0f} GB-h ({pricing.settings.cpu_architecture}, "
        f"{hours:.0f} h/month), {on_demand:g} on-demand + {spot:g} Spot tasks",
    )


# -- Network ------------------------------------------------------------------------------------


def load_balancer_line(pricing: Pricing) -> LineItem:
    """LCUs measure traffic (connections, bytes, rule evaluations; health checks are free), and
    traffic comes while the services run: outside off-hours scaling's hours there is none."""
    p, usage, hours, inventory = pricing.usd, pricing.usage, pricing.hours, pricing.inventory
    alb_each = HOURS_PER_MONTH * p["alb.hour"] + hours * usage.alb_lcu * p["alb.lcu_hour"]
    nlbs = len(inventory.network_load_balancers)
    nlb_each = (
        HOURS_PER_MONTH * p["nlb.hour"] + hours * usage.nlb_nlcu * p["nlb.nlcu_hour"]
        if nlbs
        else 0.0
    )
    return LineItem(
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


def nat_line(pricing: Pricing) -> LineItem:
    p, usage, nat_count = pricing.usd, pricing.usage, pricing.inventory.nat_gateways
    return LineItem(
        "nat_gateways",
        nat_count * HOURS_PER_MONTH * p["nat.hour"]
        + (usage.nat_gb_per_month * p["nat.gb"] if nat_count else 0.0),
        f"{nat_count} NAT gateway(s) x 730 h"
        + (f" + {usage.nat_gb_per_month:g} GB processed" if nat_count else ""),
    )


def public_ipv4_line(pricing: Pricing, services: tuple[ServiceCost, ...]) -> LineItem:
    inventory, hours = pricing.inventory, pricing.hours
    nlb_ips = sum(n for _, n in inventory.network_load_balancers)
    public_ips = (
        inventory.nat_gateways
        + inventory.elastic_ips
        + sum(n for _, n in inventory.load_balancers)
        + nlb_ips
    )
    # Tasks with their own address (dev's taskPublicIps) pay for it while they run.
    task_addresses = sum(s.tasks for s in services) if pricing.settings.task_public_ips else 0
    return LineItem(
        "public_ipv4",
        (public_ips * HOURS_PER_MONTH + task_addresses * hours) * pricing.usd["public_ipv4.hour"],
        f"{public_ips} public IPv4 address(es) of NAT gateways and internet-facing "
        + ("ALB and NLB nodes" if nlb_ips else "ALB nodes")
        + (f" + {task_addresses:g} task address(es) x {hours:.0f} h" if task_addresses else ""),
    )


def endpoints_line(pricing: Pricing) -> LineItem:
    p, endpoints = pricing.usd, pricing.inventory.interface_endpoints
    endpoint_azs = sum(azs for _, azs in endpoints)
    return LineItem(
        "interface_endpoints",
        endpoint_azs * HOURS_PER_MONTH * p["endpoint.az_hour"]
        + len(endpoints) * pricing.usage.endpoint_gb_per_month * p["endpoint.gb"],
        f"{len(endpoints)} endpoint(s) in {endpoint_azs} AZ-slots x 730 h",
    )


# -- Data ---------------------------------------------------------------------------------------


def _hourly(prices: PriceTable, key: str, not_priced: list[str], what: str) -> float:
    price = prices.get(key)
    if price is None:
        not_priced.append(f"{what}: no price for {key.split('.', 1)[1].rsplit('.', 1)[0]}")
        return 0.0
    return price.usd


def database_line(pricing: Pricing) -> LineItem:
    p, usage, db_hours = pricing.usd, pricing.usage, pricing.database_hours
    db_usd, db_parts = 0.0, []
    for db in pricing.inventory.databases:
        copies = 2 if db.multi_az else 1
        hourly = _hourly(
            pricing.prices, f"rds.{db.instance_class}.hour", pricing.not_priced, db.name
        )
        db_usd += (
            copies * (hourly * db_hours + db.storage_gb * p["rds.storage.gb_month"])
            + usage.rds_backup_gb_beyond_free * p["rds.backup.gb_month"]
        )
        db_parts.append(
            f"{db.instance_class}{' Multi-AZ' if db.multi_az else ''} x {db_hours:.0f} h + "
            f"{db.storage_gb:g} GB"
        )
    return LineItem("database", db_usd, ", ".join(db_parts) or "none")


def cache_line(pricing: Pricing) -> LineItem:
    p, usage, inventory = pricing.usd, pricing.usage, pricing.inventory
    cache_usd, cache_parts = 0.0, []
    for group in inventory.caches:
        hourly = _hourly(
            pricing.prices, f"elasticache.{group.node_type}.hour", pricing.not_priced, group.name
        )
        if group.engine == "valkey":
            hourly *= 1 - p["elasticache.valkey.node_discount"]
        cache_usd += group.nodes * hourly * HOURS_PER_MONTH
        cache_parts.append(f"{group.nodes} x {group.node_type} ({group.engine})")
    for serverless in inventory.serverless_caches:
        if serverless.engine != "valkey":
            pricing.not_priced.append(
                f"{serverless.name}: ElastiCache Serverless for {serverless.engine}"
            )
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
    return LineItem("cache", cache_usd, ", ".join(cache_parts) or "none")


def secrets_line(pricing: Pricing) -> LineItem:
    inventory = pricing.inventory
    secret_count = inventory.secrets + sum(1 for db in inventory.databases if db.managed_password)
    return LineItem(
        "secrets_manager",
        secret_count * pricing.usd["secretsmanager.secret_month"],
        f"{secret_count} secret(s), RDS-managed master passwords included",
    )


def waf_line(pricing: Pricing) -> LineItem:
    p, web_acls = pricing.usd, pricing.inventory.web_acls
    waf_usd = 0.0 + sum(
        p["waf.web_acl_month"]
        + rules * p["waf.rule_month"]
        + pricing.usage.waf_million_requests * p["waf.million_requests"]
        for _, rules in web_acls
    )
    return LineItem(
        "waf",
        waf_usd,
        ", ".join(f"1 web ACL + {rules} rules" for _, rules in web_acls) or "none",
    )


# -- Logs and alarms ----------------------------------------------------------------------------


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


def logs_line(pricing: Pricing, services: tuple[ServiceCost, ...]) -> LineItem:
    """The services' logs (priced with each service) and every other log group's, written
    while its writer runs (`_writer_hours`)."""
    settings, usage = pricing.settings, pricing.usage
    service_log_names = {settings.log_group_name(s.name) for s in settings.services}
    job_hours = {
        settings.log_group_name(t.name): (
            runs_per_month(t.schedule.expression) * _run_minutes(t, usage) / 60
            if t.schedule
            else 0.0
        )
        for t in settings.tasks
    }
    other_groups = [g for g in pricing.inventory.log_groups if g.name not in service_log_names]
    if any(g.retention_days is None for g in other_groups):
        pricing.notes.append(
            f"log groups without retention: {NEVER_EXPIRE_DAYS} days of storage counted"
        )
    other_logs = sum(
        _log_usd(
            ingest_gb=usage.other_log_gb_per_group_day
            * DAYS_PER_MONTH
            * _writer_hours(g.name, pricing.hours, pricing.database_hours, job_hours)
            / HOURS_PER_MONTH,
            retention_days=g.retention_days,
            prices=pricing.prices,
        )
        for g in other_groups
    )
    return LineItem(
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


def alarms_line(pricing: Pricing) -> LineItem:
    p, inventory = pricing.usd, pricing.inventory
    billable_alarm_metrics = max(0, inventory.alarm_metrics - CLOUDWATCH_FREE_ALARM_METRICS)
    return LineItem(
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


def note_fault_experiments(pricing: Pricing) -> None:
    """Fault experiment templates cost nothing until run: a note, not a line."""
    experiments = pricing.inventory.experiment_actions
    if experiments:
        actions = sum(n for _, n in experiments)
        pricing.notes.append(
            f"{len(experiments)} fault experiment template(s), {actions} "
            f"action(s): free until run, then ${pricing.usd['fis.action_minute']:.2f} per "
            'action-minute (docs/COSTS.md, "Fault experiments")'
        )


# -- Storage, keys and scheduled tasks ----------------------------------------------------------


def s3_line(pricing: Pricing) -> LineItem:
    buckets, per_bucket = pricing.inventory.buckets, pricing.usage.s3_gb_per_bucket
    return LineItem(
        "s3",
        buckets * per_bucket * pricing.usd["s3.standard_gb_month"],
        f"{buckets} bucket(s) x {per_bucket:g} GB",
    )


def ecr_line(pricing: Pricing) -> LineItem:
    """Application images at `ecr_gb_per_repository`, the platform's tool images (a task with
    its own repository: the health probe, platform tasks) at `tool_image_gb`."""
    usage, inventory = pricing.usage, pricing.inventory
    tools = {
        t.name
        for t in pricing.settings.tasks
        if t.own_repository and (t.health_probe or getattr(t, "platform", None))
    }
    tool_repositories = sum(1 for n in inventory.repository_names if n.rsplit("/", 1)[-1] in tools)
    app_repositories = inventory.repositories - tool_repositories
    return LineItem(
        "ecr",
        (app_repositories * usage.ecr_gb_per_repository + tool_repositories * usage.tool_image_gb)
        * pricing.usd["ecr.gb_month"],
        f"{app_repositories} repository(ies) x {usage.ecr_gb_per_repository:g} GB"
        + (
            f", {tool_repositories} of the platform's tool images x {usage.tool_image_gb:g} GB"
            if tool_repositories
            else ""
        ),
    )


def kms_line(pricing: Pricing) -> LineItem:
    keys = pricing.inventory.kms_keys
    return LineItem(
        "kms_keys", keys * pricing.usd["kms.key_month"], f"{keys} customer managed key(s)"
    )


def _run_minutes(task: Any, usage: UsageAssumptions) -> float:
    """Billed minutes of one run: the task's own expectation, else the usage assumption; at
    least Fargate's one-minute minimum."""
    expected = task.run_minutes if task.run_minutes is not None else usage.task_run_minutes
    return max(expected, FARGATE_MINIMUM_MINUTES)


def scheduled_tasks_line(pricing: Pricing) -> LineItem:
    """Each scheduled task's runs a month x its minutes (`_run_minutes`) at on-demand Fargate
    prices (schedules run on FARGATE, not Spot), plus EventBridge Scheduler's invocations beyond
    its free tier. A migration's run at each deploy and one-off runs are not counted."""
    settings = pricing.settings
    usd, parts, invocations = 0.0, [], 0.0
    for task in settings.tasks:
        if task.schedule is None:
            continue
        runs = runs_per_month(task.schedule.expression)
        minutes = _run_minutes(task, pricing.usage)
        invocations += runs
        usd += sized_fargate_usd(
            task.cpu,
            task.memory,
            (1, 0),
            hours=runs * minutes / 60,
            architecture=settings.cpu_architecture,
            prices=pricing.prices,
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
