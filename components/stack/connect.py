"""Which services reach each other through ECS Service Connect (`serviceConnect`), as plain
data (no Pulumi resources).

ECS's BLUE_GREEN, LINEAR and CANARY deployments move traffic between two revisions of a
service through its load balancer and, since 2025-07, through Service Connect: the callers'
proxies send production traffic to the blue revision until the shift, and test traffic (a
header) to the green one. A Cloud Map DNS record moves nothing: it lists every task of both
revisions, so a caller resolving it reaches the new tasks as soon as they start, before the
bake time, and the rollback alarms judge them on that traffic. So a service that is called and
shifts traffic must be reached through Service Connect by every caller (docs/DESIGN.md,
"Blue/green that covers every caller").

`serviceConnect.enabled`:
- `true`: every service joins (the committed staging stack): a service someone calls publishes
  its port under its DNS name, the others are clients;
- unset: only where needed: each called traffic-shifting service publishes, and its callers
  join; a caller that is itself called publishes too (a service either has a Cloud Map DNS
  record or a Service Connect endpoint, never both), so its own callers join in turn;
- `false`: none, and a called traffic-shifting service is refused with the reason.

A task run outside a service cannot use Service Connect (ECS runs the proxy for services'
tasks only), so a task calling a published service is refused.

A service behind the program's ALB that publishes has the proxy listen on a port of its own
(`ingress_port`): the ALB keeps reaching the application directly (its address is the one
Keycloak trusts for `X-Forwarded-For`), and the callers' proxies reach that port.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from ..errors import ConfigIssue

Role = Literal["publish", "client"]
INGRESS_PORT_OFFSET = 20000
"""The proxy of a published service behind the ALB listens on its port + 20000 (- 20000 when
that passes 65535)."""


@dataclass(frozen=True)
class Caller:
    """Who reaches `callee` (a service, or a task), and through which key."""

    callee: str
    caller: str
    path: str
    """The key that declares the call (`services.<n>.calls[i]`, `tasks.<n>.uses.keycloak`)."""
    task: bool = False


def ingress_port(port: int, taken: Collection[int] = ()) -> int:
    """Where the Service Connect proxy of a published service behind the ALB listens: its port
    moved by INGRESS_PORT_OFFSET, clear of the task's other ports (`taken`)."""
    moved = port + INGRESS_PORT_OFFSET
    candidate = moved if moved <= 65535 else port - INGRESS_PORT_OFFSET
    while candidate in taken:
        candidate += 1
    return candidate


def connect_roles(
    calls: Iterable[Caller],
    *,
    shifting: Mapping[str, str],
    ports: Mapping[str, int | None],
    enabled: bool | None,
    issues: list[ConfigIssue],
) -> dict[str, Role]:
    """Each service on Service Connect and its role. `calls`: every call edge (tasks included);
    `shifting`: service -> its BLUE_GREEN/LINEAR/CANARY strategy; `ports`: every service's port
    (None: a worker); `enabled`: `serviceConnect.enabled` (None: where needed)."""
    edges = list(calls)
    callers: dict[str, list[Caller]] = {}
    for edge in edges:
        callers.setdefault(edge.callee, []).append(edge)
    service_callers = {
        callee: sorted({e.caller for e in found if not e.task}) for callee, found in callers.items()
    }
    needed = sorted(name for name in shifting if service_callers.get(name))
    if enabled is False:
        for name in needed:
            issues.append(
                ConfigIssue(
                    "serviceConnect.enabled",
                    False,
                    f"{name} deploys {shifting[name]} and is called by "
                    f"{', '.join(service_callers[name])}: ECS moves its traffic through the "
                    "ALB and Service Connect, never through Cloud Map DNS records, so these "
                    "callers would reach its new tasks before the bake time and the rollback "
                    "alarms would judge them",
                    f"true, or unset (Service Connect where needed), or deployment.strategy: "
                    f"ROLLING for {name}",
                )
            )
        return {}
    if enabled:
        members = set(ports)
    else:
        members = set()
        pending = list(needed)
        while pending:
            name = pending.pop()
            if name in members:
                continue
            members.add(name)
            # Every caller joins; a member that is called publishes, so its callers join too.
            pending.extend(service_callers.get(name, ()))
    roles: dict[str, Role] = {
        name: "publish" if service_callers.get(name) and ports.get(name) is not None else "client"
        for name in sorted(members)
    }
    for edge in edges:
        if edge.task and roles.get(edge.callee) == "publish":
            issues.append(
                ConfigIssue(
                    edge.path,
                    edge.callee,
                    f"{edge.callee} is reached through Service Connect"
                    + (
                        f" (it deploys {shifting[edge.callee]})"
                        if edge.callee in shifting
                        else " (serviceConnect.enabled)"
                    )
                    + ", and a task run outside a service has no Service Connect proxy to "
                    "reach it with",
                    f"a service calling {edge.callee}, or deployment.strategy: ROLLING for "
                    f"{edge.callee} with serviceConnect.enabled unset",
                )
            )
    return roles
