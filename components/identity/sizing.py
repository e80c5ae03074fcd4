"""Keycloak's own sizing guide as plain data (no Pulumi resources).

Keycloak's "Concepts for sizing CPU and memory resources" (high-availability guide, single
cluster; keycloak/keycloak `docs/guides/high-availability/partials/concepts/
perf_recommendations.adoc` and `perf_single_cluster_calculation.adoc`):

- a task's base memory, realm caches and 10,000 cached sessions included, is 1250 MB; Keycloak
  gives 70 % of its container's limit to the heap and uses about 300 MB outside it, so the
  *limit* is (1250 - 300) / 0.7 = 1360 MB (the guide's own worked example);
- 1 vCPU for the cluster per 15 password logins a second, per 120 client-credential grants a
  second and per 120 refresh-token requests a second;
- 150 % head-room on top of that CPU (spikes, start-up, failover): a task's CPU *limit* is 2.5
  times its share of the requested CPU. On Fargate the task's CPU is both its request and its
  hard limit, so the task gets the limit.

Since 26 sessions are persisted in the database and only a bounded number is cached in memory,
so the memory floor does not grow with active sessions (the 24.0 guide's 500 MB per 100,000
in-memory sessions described the older, memory-only sessions). `keycloak_floor` turns an
expected load into the smallest task that meets the guide; the stack layer refuses a smaller
one with its keys (`components/stack/service_resolve.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..compute.fargate import FARGATE_SIZES

BASE_MEMORY_MB = 1250
"""Base memory of a task, realm caches and 10,000 cached sessions included."""
NON_HEAP_MB = 300
"""Keycloak's memory outside the heap."""
HEAP_SHARE = 0.70
"""Keycloak's container default: 70 % of the limit is heap (`kc.sh`, MaxRAMPercentage=70)."""
LOGINS_PER_VCPU = 15
CLIENT_CREDENTIALS_PER_VCPU = 120
REFRESHES_PER_VCPU = 120
CPU_HEADROOM = 2.5
"""The requested CPU plus the guide's 150 % head-room."""
FARGATE_CPU_UNITS = tuple(sorted(FARGATE_SIZES))


def memory_limit_mib() -> int:
    """The container memory limit the guide derives from its base: (1250 - 300) / 0.7, rounded
    up to the next 10 (its example says 1360). Read as MiB, the stricter unit."""
    return int(math.ceil((BASE_MEMORY_MB - NON_HEAP_MB) / HEAP_SHARE / 10) * 10)


@dataclass(frozen=True)
class KeycloakLoad:
    """The peak a stack's Keycloak is sized for (`keycloak.expectedLoad`)."""

    logins_per_second: float
    client_credentials_per_second: float
    refreshes_per_second: float

    def cluster_vcpu(self) -> float:
        """vCPU the cluster uses for this load (before head-room), per the guide's ratios."""
        return (
            self.logins_per_second / LOGINS_PER_VCPU
            + self.client_credentials_per_second / CLIENT_CREDENTIALS_PER_VCPU
            + self.refreshes_per_second / REFRESHES_PER_VCPU
        )


@dataclass(frozen=True)
class KeycloakFloor:
    """The smallest task the guide allows for a load spread over `tasks` tasks."""

    cpu_units: int
    """Fargate CPU units of each task: 2.5 x its share of the load's vCPU, at least 256."""
    container_memory_mib: int
    """Memory limit of the Keycloak container itself (the task's memory less its sidecars)."""
    needed_vcpu: float
    """The exact per-task figure before rounding to a Fargate size."""


def keycloak_floor(load: KeycloakLoad, tasks: int) -> KeycloakFloor:
    per_task = CPU_HEADROOM * load.cluster_vcpu() / max(tasks, 1)
    units = next(
        (u for u in FARGATE_CPU_UNITS if u >= per_task * 1024 - 1e-9), FARGATE_CPU_UNITS[-1]
    )
    return KeycloakFloor(
        cpu_units=units, container_memory_mib=memory_limit_mib(), needed_vcpu=per_task
    )
