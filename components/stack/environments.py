"""Per-environment defaults of the services and the cluster, as data.

Every figure comes from the Terraform module this program replaces (its README is the spec:
"Allocation des Ressources par Environnement", the three architecture drawings, "Stratégies
d'Économies" and the auto-scaling policy). Stack config overrides these values; nothing here is
mutated (see `resolve.py`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..formats import ENVIRONMENTS, Environment


class EnvironmentDefaults(BaseModel):
    """What an environment decides when the stack config leaves a setting unset."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    max_capacity: int
    """Autoscaling maximum per service (seed: "max 2", "max 4", "max 10")."""
    fargate_spot: bool
    """Seed "Stratégies d'Économies": `enable_fargate_spot = var.environment != "prod"`."""
    fargate_spot_percentage: int
    """Share of tasks on FARGATE_SPOT when Spot is on (staging drawing: "Spot 30%")."""
    container_insights: Literal["disabled", "enabled", "enhanced"]
    """Seed: OFF in dev, ON in staging, "Container Insights Enhanced" in prod."""
    xray_tracing: bool
    log_retention_days: int
    """Application logs (the services' log groups): the seed's retention."""
    security_log_retention_days: int
    """Flow logs, WAF, S3 access logs, ECS Exec sessions (LOG.1: a year in prod)."""
    audit_log_retention_days: int
    """Keycloak's and PostgreSQL's logs: who signed in, what the database refused (LOG.2: a
    year in prod, the evidence of an intrusion found months later)."""
    execute_command: bool
    """ECS Exec: on for debugging outside prod, off in prod ("Sécurité")."""
    scaling_cpu_target: int
    """Seed policy: "70% CPU en prod, 80% en dev"."""
    scaling_memory_target: int
    deployment_minimum_healthy_percent: int
    deployment_maximum_percent: int
    deployment_alarms: bool
    """Roll back a deployment when the service's CPU/memory alarms fire."""
    health_check_grace_period: int
    """Seconds; the seed's production example uses 180 for Spring Boot."""
    encrypt_ephemeral_storage: bool = True
    """FARGATE.1 (P): a customer managed key for the tasks' ephemeral storage; dev waives it
    (a key is $1 a month, and dev holds no production data)."""
    deployment_strategy: str = "ROLLING"
    """Services behind the ALB: staging rehearses canaries, prod keeps blue/green (instant
    rollback while both revisions run); the others deploy ROLLING."""
    bake_time_minutes: int = 0


# One row per setting, its value in (dev, staging, prod): an environment's difference is read
# on one line.
_BY_ENVIRONMENT: dict[str, tuple[Any, Any, Any]] = {
    "encrypt_ephemeral_storage": (False, True, True),
    "max_capacity": (2, 4, 10),
    "fargate_spot": (True, True, False),
    "fargate_spot_percentage": (100, 30, 0),
    "container_insights": ("disabled", "enabled", "enhanced"),
    "xray_tracing": (False, False, True),
    "log_retention_days": (7, 7, 30),
    "security_log_retention_days": (30, 90, 365),
    "audit_log_retention_days": (7, 90, 365),
    "execute_command": (True, True, False),
    "scaling_cpu_target": (80, 70, 70),
    "scaling_memory_target": (80, 80, 80),
    "deployment_minimum_healthy_percent": (50, 100, 100),
    "deployment_maximum_percent": (200, 200, 200),
    "deployment_alarms": (False, False, True),
    "health_check_grace_period": (180, 180, 180),
    "deployment_strategy": ("ROLLING", "CANARY", "BLUE_GREEN"),
    "bake_time_minutes": (0, 5, 10),
}

ENVIRONMENT_DEFAULTS: dict[Environment, EnvironmentDefaults] = {
    env: EnvironmentDefaults(**{key: values[i] for key, values in _BY_ENVIRONMENT.items()})
    for i, env in enumerate(ENVIRONMENTS)
}

SECURITY_LOG_MIN_DAYS_PROD = 365
"""Control LOG.1: prod keeps its security logs a year (CONTROLS.md, "Logs and audit")."""
ACCESS_LOG_MIN_DAYS_PROD = 90
"""Control LOG.1: prod keeps the ALB's raw request lines at least a quarter (docs/DESIGN.md)."""
AUDIT_LOG_MIN_DAYS_PROD = 365
"""Control LOG.2: prod keeps Keycloak's and PostgreSQL's logs a year."""

# Alarm thresholds for the per-service CPU/memory alarms (seed: "put-metric-alarm ... --threshold 80
# --period 300 --evaluation-periods 2"; memory per its "Seuil Recommandé" table, < 80 %).
ALARM_CPU_THRESHOLD = 80
ALARM_MEMORY_THRESHOLD = 80
ALARM_PERIOD_SECONDS = 300
ALARM_EVALUATION_PERIODS = 2
SCALING_COOLDOWN_SECONDS = 300
