"""The static thresholds the platform's data stores are watched with, as plain data: which
metric, which statistic, how long and above (or below) what (`Monitoring` turns each into an
alarm on the resource's metrics over 5 minutes). Re-exported by `monitoring.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Thresholds (data). Percentages are of the resource's capacity.
DATABASE_CPU_PERCENT = 80
DATABASE_FREE_STORAGE_PERCENT = 10
DATABASE_CONNECTIONS_PERCENT = 80
CACHE_CPU_PERCENT = 80
CACHE_MEMORY_PERCENT = 80
CACHE_EVICTIONS = 0
"""Any eviction: the cache is full and drops keys the services still expect."""
SERVERLESS_DATA_PERCENT = 80
"""Of the serverless cache's data limit: past it, ElastiCache evicts or refuses writes."""

FALLBACK_MAX_CONNECTIONS = 100

# RDS PostgreSQL default: max_connections = LEAST(DBInstanceClassMemory / 9531392, 5000).
_SIZE_GIB = {
    "micro": 1,
    "small": 2,
    "medium": 4,
    "large": 8,
    "xlarge": 16,
    "2xlarge": 32,
    "4xlarge": 64,
    "8xlarge": 128,
    "12xlarge": 192,
    "16xlarge": 256,
}


def postgres_max_connections(instance_class: str) -> int:
    """RDS's default `max_connections` for an instance class (memory-optimised r* classes have
    twice the memory of the same size); a conservative fallback for unknown classes."""
    _, family, size = instance_class.split(".")
    gib = _SIZE_GIB.get(size)
    if gib is None:
        return FALLBACK_MAX_CONNECTIONS
    if family.startswith(("r", "x", "z")):
        gib *= 2
    return min(gib * 1024**3 // 9531392, 5000)


@dataclass(frozen=True)
class DatabaseWatch:
    """The RDS instance to watch: thresholds follow its class and storage."""

    identifier: str
    instance_class: str
    allocated_storage_gb: int


@dataclass(frozen=True)
class ServerlessCacheWatch:
    """The ElastiCache Serverless cache to watch: the data alarm follows its limit."""

    name: str
    max_data_gb: int


@dataclass(frozen=True)
class ThresholdAlarm:
    """One alarm on a metric of a watched resource: `role` names it (`<prefix>-<role>`)."""

    role: str
    description: str
    metric_name: str
    statistic: Literal["Average", "Minimum", "Maximum", "Sum"]
    evaluation_periods: int
    threshold: float
    comparison_operator: Literal["GreaterThanThreshold", "LessThanThreshold"] = (
        "GreaterThanThreshold"
    )


def database_alarms(db: DatabaseWatch) -> list[ThresholdAlarm]:
    """PostgreSQL: CPU, free storage (a share of the allocation), connections (a share of the
    class's default max_connections)."""
    free_bytes = db.allocated_storage_gb * 1024**3 * DATABASE_FREE_STORAGE_PERCENT // 100
    connections = postgres_max_connections(db.instance_class) * DATABASE_CONNECTIONS_PERCENT // 100
    return [
        ThresholdAlarm(
            "postgres-cpu",
            f"PostgreSQL CPU above {DATABASE_CPU_PERCENT}%",
            "CPUUtilization",
            "Average",
            3,
            DATABASE_CPU_PERCENT,
        ),
        ThresholdAlarm(
            "postgres-free-storage",
            f"PostgreSQL free storage below {DATABASE_FREE_STORAGE_PERCENT}% of the allocation",
            "FreeStorageSpace",
            "Minimum",
            1,
            free_bytes,
            "LessThanThreshold",
        ),
        ThresholdAlarm(
            "postgres-connections",
            f"PostgreSQL connections above {DATABASE_CONNECTIONS_PERCENT}% of max_connections",
            "DatabaseConnections",
            "Maximum",
            2,
            connections,
        ),
    ]


def cache_node_alarms(node: str) -> list[ThresholdAlarm]:
    """One node of a replication group (`<id>-001`): engine CPU, memory, evictions."""
    short = node.rsplit("-", 1)[-1]
    return [
        ThresholdAlarm(
            f"redis-{short}-cpu",
            f"Redis node {node}: engine CPU above {CACHE_CPU_PERCENT}%",
            "EngineCPUUtilization",
            "Average",
            3,
            CACHE_CPU_PERCENT,
        ),
        ThresholdAlarm(
            f"redis-{short}-memory",
            f"Redis node {node}: memory above {CACHE_MEMORY_PERCENT}%",
            "DatabaseMemoryUsagePercentage",
            "Average",
            3,
            CACHE_MEMORY_PERCENT,
        ),
        ThresholdAlarm(
            f"redis-{short}-evictions",
            f"Redis node {node} evicts keys",
            "Evictions",
            "Sum",
            1,
            CACHE_EVICTIONS,
        ),
    ]


def serverless_cache_alarms(cache: ServerlessCacheWatch) -> list[ThresholdAlarm]:
    """A serverless cache: data near its limit, throttled commands, evictions."""
    limit = cache.max_data_gb * 1024**3 * SERVERLESS_DATA_PERCENT // 100
    return [
        ThresholdAlarm(
            "cache-data",
            f"Serverless cache {cache.name}: data above {SERVERLESS_DATA_PERCENT}% of its "
            f"{cache.max_data_gb} GB limit",
            "BytesUsedForCache",
            "Maximum",
            2,
            limit,
        ),
        ThresholdAlarm(
            "cache-throttled",
            f"Serverless cache {cache.name} throttles commands (ECPU limit or scaling)",
            "ThrottledCmds",
            "Sum",
            1,
            0,
        ),
        ThresholdAlarm(
            "cache-evictions",
            f"Serverless cache {cache.name} evicts keys",
            "Evictions",
            "Sum",
            1,
            CACHE_EVICTIONS,
        ),
    ]
