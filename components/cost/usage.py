"""Usage assumptions of the cost estimate: what the program cannot know from its config.

Every figure is a named parameter with its default written here, per environment (data, not
code). A stack's estimate uses its environment's row; tests and `estimate(...)` callers pass
their own `UsageAssumptions`. The defaults are deliberately modest: AccessWeaver's internal
traffic (policy decisions between services) stays inside the VPC and costs nothing here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..formats import Environment


@dataclass(frozen=True)
class UsageAssumptions:
    nat_gb_per_month: float
    """GB through the NAT gateways per month, all gateways together (image pulls without
    endpoints, calls to outside APIs). The seed's report: ~$2-5 of data, i.e. 50-100 GB."""
    endpoint_gb_per_month: float
    """GB through each interface endpoint per month (image layers, logs, secrets)."""
    alb_lcu: float
    """Average Load Balancer Capacity Units billed per hour while the services run (with
    off-hours scaling, the hours outside its schedule carry no traffic and no LCU). One LCU =
    25 new connections/s, or 3,000 active connections, or 1 GB/h of traffic, or 1,000 rule
    evaluations/s. The seed's report: ~$8/month, i.e. ~1.4 LCU."""
    waf_million_requests: float
    """Requests per month inspected by each web ACL, in millions."""
    log_gb_per_task_day: float
    """Application log volume per running task and day (Spring Boot at INFO)."""
    other_log_gb_per_group_day: float
    """Per day into every other log group (VPC flow logs, database logs, ...)."""
    s3_gb_per_bucket: float
    """Average GB stored per S3 bucket (documents, ALB access logs)."""
    ecr_gb_per_repository: float
    """GB stored per ECR repository: the images its lifecycle policy keeps, layers shared."""
    rds_backup_gb_beyond_free: float
    """Backup GB above the free allowance (100% of the provisioned storage); 0 while retention
    is short and the data changes little."""
    cache_gb_stored: float = 0.1
    """Average GB a serverless cache holds (billed: at least 0.1 GB for Valkey). Node-based
    caches are billed per node whatever they hold."""
    cache_million_ecpu_per_month: float = 5
    """Millions of ElastiCache Processing Units a serverless cache serves per month: one per
    simple GET/SET of up to 1 KB (sessions and policy decisions)."""
    tool_image_gb: float = 0.1
    """GB stored per repository of the platform's own tool images (`images/health-probe`,
    `images/platform-setup`: a slim Python base and a script, the base's layers shared by every
    version the lifecycle policy keeps)."""
    task_run_minutes: float = 10
    """Minutes one run of a scheduled task lasts (Fargate bills at least one minute a run)."""
    nlb_nlcu: float = 0.1
    """Average Network Load Balancer Capacity Units billed per hour while the services run, per
    NLB (stacks with one only). One NLCU = 800 new TCP flows/s (80 TLS), or 100,000 active TCP
    flows, or 1 GB/h: a broker or a database proxy of a few clients stays far below one."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_COLUMNS: tuple[Environment, ...] = ("dev", "staging", "prod")
"""The columns of `_PER_ENVIRONMENT`."""

_PER_ENVIRONMENT: dict[str, tuple[float, float, float]] = {
    # figure: (dev, staging, prod); a figure not listed keeps its default above
    "nat_gb_per_month": (50, 100, 200),
    "endpoint_gb_per_month": (5, 10, 50),
    "alb_lcu": (0.5, 1, 3),
    "waf_million_requests": (1, 2, 20),
    "log_gb_per_task_day": (0.03, 0.03, 0.05),
    "other_log_gb_per_group_day": (0.02, 0.05, 0.2),
    "s3_gb_per_bucket": (1, 5, 20),
    "ecr_gb_per_repository": (1, 2, 5),
    "rds_backup_gb_beyond_free": (0, 0, 0),
    "cache_gb_stored": (0.1, 0.5, 2),
    "cache_million_ecpu_per_month": (5, 30, 500),
    "nlb_nlcu": (0.1, 0.2, 0.5),
}
"""The usage figures of each environment, side by side."""

USAGE_DEFAULTS: dict[Environment, UsageAssumptions] = {
    environment: UsageAssumptions(
        **{figure: row[column] for figure, row in _PER_ENVIRONMENT.items()}
    )
    for column, environment in enumerate(_COLUMNS)
}
