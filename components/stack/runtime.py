"""What the stack gives each service's runtime, and refuses of it: the JVM heap, the tracing
variables, the health endpoints (pure: no Pulumi resources).

- **Heap**: a Spring Boot service gets `JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=<p>`, read by
  every JVM whatever starts it (a buildpack's launcher, `java -jar`, a script), `p` leaving the
  JVM's non-heap reserve of its container (`compute/jvm.py`); Keycloak gets
  `JAVA_OPTS_KC_HEAP`, its own start script's heap variable, at its 70/50 % defaults unless the
  container is too small for them. The container is the task's memory less its sidecars'. A
  heap maximum of the stack file's (`-Xmx`, `-XX:MaxHeapSize`, `-XX:MaxRAMPercentage`, in any
  variable a JVM or its script reads) that does not leave that reserve is refused, naming the
  key it comes from.
- **Tracing**: the `OTEL_*` variables are the program's when the service is traced.
- **Health**: a Spring Boot service's container check asks its liveness group, its load
  balancer and the health probe its readiness group; the aggregate `/actuator/health` includes
  the database and Redis and is refused (docs/DESIGN.md, "Health that means the right thing").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..compute.config import SPRING_HEALTH_PATH
from ..compute.jvm import (
    keycloak_heap_options,
    max_heap_mib,
    non_heap_reserve_mib,
    oversized_heaps,
    sets_heap,
    spring_heap_options,
)
from ..compute.telemetry import application_environment
from ..errors import ConfigIssue

SPRING_AGGREGATE_PATHS = ("/actuator/health", "/actuator/health/")
TRACING_VARIABLES = frozenset(application_environment("x", {}))

Source = tuple[str, Mapping[str, str]]
"""(key path of an `environment` map, the map), least specific first."""


def effective_sources(sources: Sequence[Source]) -> dict[str, str]:
    """Variable -> the key path of the map whose value the service gets (the last that sets
    it)."""
    return {name: path for path, values in sources for name in values}


def jvm_environment(
    environment: Mapping[str, str], *, spring_boot: bool, keycloak: bool, container_mib: int
) -> dict[str, str]:
    """The heap variable to set, unless the service's own options already size the heap."""
    if keycloak:
        if "JAVA_OPTS_KC_HEAP" in environment:
            return {}
        return {"JAVA_OPTS_KC_HEAP": keycloak_heap_options(container_mib)}
    if spring_boot:
        own = environment.get("JAVA_TOOL_OPTIONS", "")
        if sets_heap(own):
            return {}
        return {"JAVA_TOOL_OPTIONS": f"{spring_heap_options(container_mib)} {own}".strip()}
    return {}


def heap_issues(
    service: str,
    sources: Sequence[Source],
    *,
    task_mib: int,
    container_mib: int,
) -> list[ConfigIssue]:
    """Every heap maximum the service gets that leaves its container less than the JVM's
    non-heap reserve, at the key it comes from."""
    environment = {k: v for _, values in sources for k, v in values.items()}
    where = effective_sources(sources)
    limit = max_heap_mib(container_mib)
    sidecars = task_mib - container_mib
    within = f"its {container_mib} MiB container" + (
        f" (the task's {task_mib} MiB less {sidecars} MiB of sidecars)" if sidecars else ""
    )
    return [
        ConfigIssue(
            f"{where[setting.variable]}.{setting.variable}",
            setting.flag,
            f"{service}: a {setting.heap_mib:.0f} MiB heap in {within} "
            + (
                f"leaves {container_mib - setting.heap_mib:.0f} MiB"
                if setting.heap_mib < container_mib
                else "leaves nothing"
            )
            + " for metaspace, thread stacks, code cache and direct buffers; the JVM needs "
            f"{non_heap_reserve_mib(container_mib)} MiB there or the task is killed (exit 137) "
            "under load",
            f"-Xmx{limit}m or less, or no heap option: the heap then follows the task "
            f"({spring_heap_options(container_mib)})",
        )
        for setting in oversized_heaps(environment, container_mib)
    ]


def tracing_issues(service: str, sources: Sequence[Source]) -> list[ConfigIssue]:
    """The OTEL_* variables the program sets on a traced service, set by hand too."""
    return [
        ConfigIssue(
            f"{path}.{name}",
            values[name],
            f"{service}: set by the program when the service is traced (enableXrayTracing): "
            "the collector sidecar's endpoint, the service's name and resource attributes",
            "remove it (or enableXrayTracing: false to trace elsewhere)",
        )
        for path, values in sources
        for name in sorted(TRACING_VARIABLES & set(values))
    ]


def health_path_issue(path: str, value: str | None, *, spring_boot: bool) -> ConfigIssue | None:
    """A Spring Boot service's load balancer must not ask the aggregate health endpoint."""
    if not spring_boot or value not in SPRING_AGGREGATE_PATHS:
        return None
    return ConfigIssue(
        path,
        value,
        "the aggregate health endpoint includes the database and Redis: their failover marks "
        "every task unhealthy at once and ECS replaces the whole fleet",
        f"unset ({SPRING_HEALTH_PATH}, the readiness group: the application's own state) "
        "or a health group of your own that holds no external system",
    )


def runtime_environment(
    service: str,
    sources: Sequence[Source],
    *,
    spring_boot: bool,
    keycloak: bool,
    traced: bool,
    task_mib: int,
    container_mib: int,
    issues: list[ConfigIssue],
) -> dict[str, str]:
    """The heap variable a service gets from its container's memory (or none, when its own
    options size the heap); its problems (a heap that does not fit, tracing variables set by
    hand) go to `issues`, each once."""
    for issue in [
        *heap_issues(service, sources, task_mib=task_mib, container_mib=container_mib),
        *(tracing_issues(service, sources) if traced else []),
    ]:
        if not any(i.path == issue.path and i.problem == issue.problem for i in issues):
            issues.append(issue)
    environment = {k: v for _, values in sources for k, v in values.items()}
    return jvm_environment(
        environment, spring_boot=spring_boot, keycloak=keycloak, container_mib=container_mib
    )
