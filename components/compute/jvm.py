"""How big a JVM's heap may be in a container, as plain data (no Pulumi resources).

A JVM uses memory outside its heap: metaspace (the classes), the code cache (JIT-compiled code,
240 MiB reserved by default with tiered compilation), one stack per thread (1 MiB reserved each,
a servlet container starts up to 200), direct buffers (NIO, Netty; by default as large as the
heap), the garbage collector's own structures, and in an ECS Exec task the SSM agent. A heap as
large as the container therefore gets the task killed (exit 137) before the JVM throws
OutOfMemoryError. The container's memory is split in two: the heap, and a reserve for the rest
of `NON_HEAP_SHARE` of the container with a floor of `NON_HEAP_FLOOR_MIB` (docs/DESIGN.md, "A
heap that fits its container", gives the sources).

Where a JVM reads its options: every HotSpot JVM reads `JAVA_TOOL_OPTIONS` (before the command
line) and the `java` launcher `JDK_JAVA_OPTIONS`; `JAVA_OPTS` is read only by scripts that pass
it on (`java $JAVA_OPTS -jar`, Keycloak's `kc.sh`, which also reads `JAVA_OPTS_KC_HEAP` and
`JAVA_OPTS_APPEND`). An explicit maximum (`-Xmx`, `-XX:MaxHeapSize`) wins over a percentage
wherever it comes from, so every maximum found in any of them must fit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

JVM_OPTION_VARIABLES = (
    "JAVA_TOOL_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "JAVA_OPTS",
    "JAVA_OPTS_APPEND",
    "JAVA_OPTS_KC_HEAP",
)
"""The variables a JVM, the `java` launcher or a start script (Keycloak's kc.sh, the usual
`java $JAVA_OPTS -jar`) reads its options from."""

NON_HEAP_SHARE = 0.25
"""Share of the container kept for what is not heap (at least `NON_HEAP_FLOOR_MIB`)."""
NON_HEAP_FLOOR_MIB = 256
"""Metaspace of a Spring Boot service (~100 MiB), the code cache it fills (~50 MiB), thread
stacks and GC structures: what a small container needs outside the heap whatever its size."""
KEYCLOAK_MAX_RAM_PERCENTAGE = 70
"""Keycloak's own container default (`kc.sh`: MaxRAMPercentage=70, InitialRAMPercentage=50)."""
KEYCLOAK_INITIAL_RAM_PERCENTAGE = 50

_SIZE = r"(\d+)([kKmMgGtT]?)"
_MAX_HEAP = re.compile(rf"^(?:-Xmx|-XX:MaxHeapSize=){_SIZE}$")
_PERCENTAGE = re.compile(r"^-XX:MaxRAMPercentage=(\d+(?:\.\d+)?)$")
_UNITS = {"": 1 / 1024**2, "k": 1 / 1024, "m": 1, "g": 1024, "t": 1024**2}


@dataclass(frozen=True)
class HeapSetting:
    """One heap maximum found in a variable: `-Xmx1536m`, or `-XX:MaxRAMPercentage=80`."""

    variable: str
    flag: str
    heap_mib: float
    """The heap it gives in a container of the memory it was read against."""


def non_heap_reserve_mib(container_mib: int) -> int:
    """What a container of `container_mib` keeps for the JVM's non-heap memory."""
    return max(NON_HEAP_FLOOR_MIB, math.ceil(container_mib * NON_HEAP_SHARE))


def max_heap_mib(container_mib: int) -> int:
    """The largest heap that leaves the reserve (0 when the container is below the floor)."""
    return max(container_mib - non_heap_reserve_mib(container_mib), 0)


def heap_percentage(container_mib: int) -> int:
    """`-XX:MaxRAMPercentage` for a heap of `max_heap_mib` (whole percent, rounded down)."""
    return math.floor(100 * max_heap_mib(container_mib) / container_mib) if container_mib else 0


def heap_settings(environment: Mapping[str, object], container_mib: int) -> Iterator[HeapSetting]:
    """Every heap maximum the JVM option variables of `environment` hold, as the heap it gives
    in a container of `container_mib` (values that are not plain text are skipped)."""
    for variable in JVM_OPTION_VARIABLES:
        value = environment.get(variable)
        if not isinstance(value, str):
            continue
        for flag in value.split():
            size = _MAX_HEAP.match(flag)
            if size is not None:
                yield HeapSetting(variable, flag, int(size[1]) * _UNITS[size[2].lower()])
                continue
            share = _PERCENTAGE.match(flag)
            if share is not None:
                yield HeapSetting(variable, flag, float(share[1]) * container_mib / 100)


def sets_heap(value: str) -> bool:
    """Whether JVM options already fix the heap's maximum (explicitly or as a percentage)."""
    return any(_MAX_HEAP.match(f) or _PERCENTAGE.match(f) for f in value.split())


def oversized_heaps(environment: Mapping[str, object], container_mib: int) -> list[HeapSetting]:
    """The heap maximums that leave less than the non-heap reserve of the container."""
    limit = max_heap_mib(container_mib)
    return [s for s in heap_settings(environment, container_mib) if s.heap_mib > limit]


def heap_ceiling_mib(environment: Mapping[str, object], container_mib: int) -> float | None:
    """The heap the JVM grows to at most: an explicit maximum wins over a percentage (the JVM
    ignores MaxRAMPercentage once MaxHeapSize is set); None when nothing sets it."""
    found = list(heap_settings(environment, container_mib))
    explicit = [s.heap_mib for s in found if not s.flag.startswith("-XX:MaxRAMPercentage")]
    if explicit:
        return explicit[-1]
    return found[-1].heap_mib if found else None


def spring_heap_options(container_mib: int) -> str:
    """`JAVA_TOOL_OPTIONS` value sizing a JVM's heap from its container's memory."""
    return f"-XX:MaxRAMPercentage={heap_percentage(container_mib)}"


def keycloak_heap_options(container_mib: int) -> str:
    """`JAVA_OPTS_KC_HEAP` for Keycloak: its own 70/50 % defaults, lowered when the container is
    too small to keep the reserve beside 70 %."""
    top = min(KEYCLOAK_MAX_RAM_PERCENTAGE, heap_percentage(container_mib))
    initial = min(KEYCLOAK_INITIAL_RAM_PERCENTAGE, top)
    return (
        f"-XX:MaxRAMPercentage={top} -XX:MinRAMPercentage={top} -XX:InitialRAMPercentage={initial}"
    )
