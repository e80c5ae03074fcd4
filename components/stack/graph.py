"""The service graph: who calls whom and who uses which platform piece, as plain data.

Each catalog service declares `uses` (database, cache, documents, jwtKey, keycloak) and `calls`
(other services); everything else is derived from it here, with no Pulumi resource:

- `check_graph` refuses what cannot be built (a call to a worker, a use of a piece the stack
  does not create, a public worker...), every problem at once;
- `build_order` orders the services so that a callee exists before its callers (their paths are
  opened by the caller's `Microservice`); a cycle's back edges are opened afterwards;
- `network_paths` lists every security-group path the program opens, which the quota check
  counts (`quotas.py`) and the `service_access` output shows;
- `access_matrix` is that output: per service, who may reach it and what it reaches.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import ConfigIssue
from ..identity.config import KEYCLOAK_SERVICE

ALB = "alb"
NLB = "nlb"
POSTGRES = "postgres"
REDIS = "redis"
ENDPOINTS = "endpoints"
JGROUPS_PORTS = (7800, 57800)
"""Keycloak's cluster transport between its own tasks (identity/keycloak.py)."""
POSTGRES_DEFAULT_PORT = 5432
REDIS_DEFAULT_PORT = 6379


def service_group(name: str) -> str:
    return f"service:{name}"


@dataclass(frozen=True)
class Path:
    """Members of `source` may open TCP connections to members of `target` on `port`: an egress
    rule on `source` and an ingress rule on `target` (each only where the program owns the
    group: `source_rule`/`target_rule`)."""

    source: str
    target: str
    port: int
    why: str
    source_rule: bool = True
    target_rule: bool = True


@dataclass(frozen=True)
class GraphPieces:
    """Which platform pieces the stack has, and where their groups listen."""

    database_port: int | None = None
    """The created database's port; None when it is not created."""
    cache_port: int | None = None
    external_database_group: str | None = None
    """`rdsSecurityGroupId`: a database of another program (port 5432)."""
    external_cache_group: str | None = None
    documents: bool = False
    jwt_key: bool = False
    keycloak: bool = False
    alb_routes: Mapping[str, Sequence[int]] = field(default_factory=dict)
    """Service -> ports the program's ALB reaches (traffic and health check)."""
    nlb_routes: Mapping[str, Sequence[int]] = field(default_factory=dict)
    """Service -> ports the program's NLB reaches (traffic and health check)."""
    external_alb_groups: Sequence[str] = ()
    """`albSecurityGroupIds`: ALBs of another program that may reach the public services."""


class GraphService(Protocol):
    """What the graph reads of a resolved service (`ServiceSettings` has it)."""

    name: str
    port: int | None
    public: bool
    calls: tuple[str, ...]
    uses: object
    deploy_order: int
    target_group_arn: str | None

    @property
    def call_port(self) -> int | None:
        """The port its callers reach (its Service Connect proxy's, else its own)."""


def pieces_from(
    platform: Any,
    edge: Any,
    *,
    external_database_group: str | None,
    external_cache_group: str | None,
    external_alb_groups: Sequence[str],
    nlb: Any = None,
) -> GraphPieces:
    """The pieces of a resolved stack (`PlatformSettings`, `EdgeSettings` or None,
    `NetworkLoadBalancerSettings` or None)."""
    return GraphPieces(
        database_port=platform.database.port if platform.database is not None else None,
        cache_port=platform.cache.port if platform.cache is not None else None,
        external_database_group=external_database_group,
        external_cache_group=external_cache_group,
        documents=platform.documents is not None,
        jwt_key=platform.secrets is not None and platform.secrets.jwt_secret,
        keycloak=platform.keycloak is not None,
        alb_routes=(
            {route.service: route.ports for route in edge.routes} if edge is not None else {}
        ),
        external_alb_groups=tuple(external_alb_groups),
        nlb_routes=nlb.routes if nlb is not None else {},
    )


def check_graph(
    services: Sequence[GraphService],
    pieces: GraphPieces,
    service_path: Callable[[str], str],
    issues: list[ConfigIssue],
    disabled: Collection[str] = (),
) -> None:
    """Refuse a graph the program cannot build; append every problem to `issues`.
    `disabled`: services the stack file switched off (`enabled: false`), named as such."""
    by_name = {s.name: s for s in services}
    for service in services:
        base = service_path(service.name)
        if service.port is None and service.public:
            issues.append(
                ConfigIssue(
                    f"{base}.public",
                    True,
                    "a worker (no port) cannot be reached through the ALB",
                    "a port for a public service, or public: false for a worker",
                )
            )
        check_calls(service.name, service.calls, base, by_name, pieces, issues, disabled)
        _check_uses(service, base, pieces, issues)


def check_calls(
    caller: str,
    calls: Sequence[str],
    base: str,
    by_name: Mapping[str, GraphService],
    pieces: GraphPieces,
    issues: list[ConfigIssue],
    disabled: Collection[str] = (),
    *,
    service: bool = True,
) -> None:
    """Each callee once, a catalog service with a port, enabled, not the caller, not Keycloak
    (reached through `uses.keycloak`); `base` is the caller's key path, `service` whether the
    caller is a catalog service (a task's `calls` is its own list)."""
    seen: set[str] = set()
    for index, callee in enumerate(calls):
        path = f"{base}.calls[{index}]"
        if callee in seen:
            issues.append(ConfigIssue(path, callee, "listed twice", "each service once"))
            continue
        seen.add(callee)
        if callee == KEYCLOAK_SERVICE and pieces.keycloak:
            issues.append(
                ConfigIssue(
                    path,
                    callee,
                    "Keycloak is reached through uses.keycloak (KEYCLOAK_URL with /auth)",
                    f"uses: {{keycloak: true}} on {caller}",
                )
            )
        elif callee == caller:
            issues.append(
                ConfigIssue(path, callee, "a service does not call itself", "other services")
            )
        elif callee in disabled:
            issues.append(
                ConfigIssue(
                    path,
                    callee,
                    f"{callee} is disabled (services.{callee}.enabled: false)",
                    (
                        f"services.{caller}.calls without it (a list replaces the base "
                        f"catalog's), or {callee} enabled"
                    )
                    if service
                    else f"{base}.calls without it, or {callee} enabled",
                )
            )
        elif callee not in by_name:
            issues.append(
                ConfigIssue(
                    path,
                    callee,
                    "not a service of the catalog",
                    ", ".join(
                        sorted(
                            n
                            for n in by_name
                            if n != caller and not (n == KEYCLOAK_SERVICE and pieces.keycloak)
                        )
                    )
                    or f"a service of the catalog (it has none besides {caller}), or no call",
                )
            )
        elif by_name[callee].port is None:
            issues.append(
                ConfigIssue(
                    path,
                    callee,
                    f"{callee} is a worker: it has no port to call",
                    "services with a port",
                )
            )


def _check_uses(
    service: GraphService, base: str, pieces: GraphPieces, issues: list[ConfigIssue]
) -> None:
    uses = service.uses
    missing = (
        (
            "database",
            getattr(uses, "database", False),
            pieces.database_port is not None or pieces.external_database_group is not None,
            "database.enabled: true (or rdsSecurityGroupId for a database of another program)",
        ),
        (
            "cache",
            getattr(uses, "cache", False),
            pieces.cache_port is not None or pieces.external_cache_group is not None,
            "cache.enabled: true (or redisSecurityGroupId for a cache of another program)",
        ),
        ("documents", getattr(uses, "documents", None), pieces.documents,
         "documents.enabled: true"),
        ("jwtKey", getattr(uses, "jwt_key", False), pieces.jwt_key, "secrets.jwtSecret: true"),
        ("keycloak", getattr(uses, "keycloak", False), pieces.keycloak, "keycloak.enabled: true"),
    )  # fmt: skip
    for key, wanted, present, fix in missing:
        if wanted and not present:
            issues.append(
                ConfigIssue(
                    f"{base}.uses.{key}",
                    wanted,
                    f"the stack has no {key} for {service.name} to use",
                    f"{fix}, or remove uses.{key}",
                )
            )
    if getattr(uses, "keycloak", False) and service.name == KEYCLOAK_SERVICE:
        issues.append(
            ConfigIssue(f"{base}.uses.keycloak", True, "Keycloak does not use itself", "false")
        )


def build_order(services: Sequence[GraphService]) -> list[str]:
    """Callees before their callers, otherwise by deploy order and name; services on a cycle
    keep that order (the cycle's back edges are opened once both exist)."""
    remaining = sorted(services, key=lambda s: (s.deploy_order, s.name))
    names = {s.name for s in services}
    built: list[str] = []
    while remaining:
        ready = [
            s for s in remaining if all(c in built or c not in names for c in s.calls)
        ] or remaining[:1]
        built.append(ready[0].name)
        remaining = [s for s in remaining if s.name != ready[0].name]
    return built


def service_paths(services: Sequence[GraphService], pieces: GraphPieces) -> list[Path]:
    """Every path the program opens between groups, in a stable order."""
    by_name = {s.name: s for s in services}
    routes = pieces.alb_routes
    paths: list[Path] = []
    for service in sorted(services, key=lambda s: s.name):
        group = service_group(service.name)
        uses = service.uses
        for port in routes.get(service.name, ()):
            paths.append(Path(ALB, group, port, "routed by the ALB"))
        for port in pieces.nlb_routes.get(service.name, ()):
            paths.append(Path(NLB, group, port, "routed by the NLB"))
        if service.public and service.port is not None and service.target_group_arn:
            for external in pieces.external_alb_groups:
                paths.append(
                    Path(
                        f"external:{external}",
                        group,
                        service.port,
                        "ALB of another program",
                        source_rule=False,
                    )
                )
        paths += _outbound_paths(
            group,
            service.calls,
            uses,
            by_name,
            pieces,
            database=getattr(uses, "database", False) or service.name == KEYCLOAK_SERVICE,
            caller=service.name,
        )
        if service.name == KEYCLOAK_SERVICE:
            for port in JGROUPS_PORTS:
                paths.append(Path(group, group, port, "Keycloak cluster (JGroups)"))
    return paths


def _outbound_paths(
    group: str,
    calls: Sequence[str],
    uses: object,
    by_name: Mapping[str, GraphService],
    pieces: GraphPieces,
    *,
    database: bool,
    caller: str,
) -> list[Path]:
    """The paths a workload's group opens to what it calls and uses (egress on `group`,
    ingress on the callee's or the data store's group)."""
    paths: list[Path] = []
    for callee in dict.fromkeys(calls):
        target = by_name.get(callee)
        if target is not None and target.port is not None and callee != caller:
            paths.append(Path(group, service_group(callee), target.call_port, "calls"))
    if database:
        if pieces.database_port is not None:
            paths.append(Path(group, POSTGRES, pieces.database_port, "uses the database"))
        elif pieces.external_database_group is not None:
            external = f"external:{pieces.external_database_group}"
            paths.append(Path(group, external, POSTGRES_DEFAULT_PORT, "uses the database"))
    if getattr(uses, "cache", False):
        if pieces.cache_port is not None:
            paths.append(Path(group, REDIS, pieces.cache_port, "uses the cache"))
        elif pieces.external_cache_group is not None:
            external = f"external:{pieces.external_cache_group}"
            paths.append(Path(group, external, REDIS_DEFAULT_PORT, "uses the cache"))
    if getattr(uses, "keycloak", False) and KEYCLOAK_SERVICE in by_name:
        keycloak = by_name[KEYCLOAK_SERVICE]
        if keycloak.port is not None:
            target = service_group(KEYCLOAK_SERVICE)
            paths.append(Path(group, target, keycloak.call_port, "validates tokens"))
    return paths


def task_group(name: str) -> str:
    return f"task:{name}"


class GraphTask(Protocol):
    """What the graph reads of a resolved task (`TaskSettings` has it)."""

    name: str
    calls: tuple[str, ...]
    uses: object
    run_before_deploy: bool


def check_tasks_graph(
    tasks: Sequence[GraphTask],
    services: Sequence[GraphService],
    pieces: GraphPieces,
    task_path: Callable[[str], str],
    issues: list[ConfigIssue],
    disabled: Collection[str] = (),
) -> None:
    """A task calls services with a port and uses pieces the stack has, like a service; a
    migration (`runBeforeDeploy`) calls nothing and does not use Keycloak: it runs before any
    service of the stack rolls, on a first deploy before they exist."""
    by_name = {s.name: s for s in services}
    for task in tasks:
        base = task_path(task.name)
        check_calls(task.name, task.calls, base, by_name, pieces, issues, disabled, service=False)
        _check_uses(task, base, pieces, issues)
        if not task.run_before_deploy:
            continue
        if task.calls:
            issues.append(
                ConfigIssue(
                    f"{base}.calls",
                    list(task.calls),
                    "a task that runs before the deploy runs before any service of the stack "
                    "rolls (before they exist, on a first deploy): it cannot call one",
                    "no calls (or runBeforeDeploy: false)",
                )
            )
        if getattr(task.uses, "keycloak", False):
            issues.append(
                ConfigIssue(
                    f"{base}.uses.keycloak",
                    True,
                    "Keycloak is a service of the stack: it rolls after the task that runs "
                    "before the deploy",
                    "false (or runBeforeDeploy: false)",
                )
            )


def task_paths(
    tasks: Sequence[GraphTask], services: Sequence[GraphService], pieces: GraphPieces
) -> list[Path]:
    """The paths the tasks open: egress on each task's own group, ingress on its callee's or
    its data store's; never a rule admitting anything into a task's group."""
    by_name = {s.name: s for s in services}
    paths: list[Path] = []
    for task in sorted(tasks, key=lambda t: t.name):
        group = task_group(task.name)
        paths += _outbound_paths(
            group,
            task.calls,
            task.uses,
            by_name,
            pieces,
            database=getattr(task.uses, "database", False),
            caller=task.name,
        )
        if getattr(task, "health_probe", False):
            # The health probe asks each service where it answers its HTTP health check.
            for service in services:
                if service.port is None or getattr(service, "health_check_path", None) is None:
                    continue
                port = getattr(service, "health_check_port", None) or service.port
                paths.append(Path(group, service_group(service.name), port, "checks health"))
    return paths


def access_matrix(
    services: Sequence[GraphService], pieces: GraphPieces
) -> dict[str, dict[str, list[str]]]:
    """Per service: `reachable_from` (who may open connections to it, `<who>:<port>`),
    `reaches` (`<what>:<port>`) and `uses` (the pieces it uses)."""
    paths = service_paths(services, pieces)
    matrix: dict[str, dict[str, list[str]]] = {}
    for service in sorted(services, key=lambda s: s.name):
        group = service_group(service.name)
        uses = service.uses
        used = [
            key
            for key, on in (
                ("database", getattr(uses, "database", False) or service.name == KEYCLOAK_SERVICE),
                ("cache", getattr(uses, "cache", False)),
                (f"documents:{getattr(uses, 'documents', None)}", getattr(uses, "documents", None)),
                ("jwtKey", getattr(uses, "jwt_key", False)),
                ("keycloak", getattr(uses, "keycloak", False)),
            )
            if on
        ]
        matrix[service.name] = {
            "reachable_from": sorted(
                f"{_short(p.source)}:{p.port}" for p in paths if p.target == group
            ),
            "reaches": sorted(f"{_short(p.target)}:{p.port}" for p in paths if p.source == group),
            "uses": used,
        }
    return matrix


def _short(group: str) -> str:
    return group.removeprefix("service:")
