"""Pure data and rules of the Network Load Balancer (`network_load_balancer.py`): one TCP or TLS
listener per service, its target group's health check, and the arguments the component refuses.

No resources here. Sources (docs/DESIGN.md, "Network Load Balancer"): the NLB user guide's
"Health checks for Network Load Balancer target groups" (TCP or HTTP checks, thresholds 2-10,
interval 5-300 s, timeout 2-120 s), "Security groups" (supported since August 2023, only when the
NLB is created with one) and "Cross-zone load balancing" (off by default on an NLB).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .routing import ingress_cidr_problems, is_ipv4_block

TcpProtocol = Literal["TCP", "TLS"]
HealthCheckProtocol = Literal["TCP", "HTTP"]
TLS_POLICIES = ("ELBSecurityPolicy-TLS13-1-2-Res-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06")
"""ELB.17: the TLS 1.3 policies, as on the ALB."""


@dataclass(frozen=True)
class TcpListener:
    """One service behind the NLB: a listener on `listener_port` forwarding to a target group of
    the service's tasks (`target_type="ip"`, as Fargate's awsvpc tasks need) on `port`."""

    service: str
    port: int
    """The container port the tasks listen on (the target group's port)."""
    listener_port: int | None = None
    """The port clients connect to; None = `port`."""
    protocol: TcpProtocol = "TCP"
    """TCP passes the bytes through; TLS terminates TLS on the NLB with `certificate_arn` and
    forwards plain TCP to the tasks."""
    health_check_protocol: HealthCheckProtocol = "TCP"
    """TCP: the check opens a connection; HTTP: it asks `health_check_path` for 200-399."""
    health_check_path: str | None = None
    """HTTP checks only: the path asked."""
    health_check_port: int | None = None
    """When the check goes to another port than the traffic (a management port)."""

    @property
    def front_port(self) -> int:
        return self.listener_port or self.port

    @property
    def ports(self) -> tuple[int, ...]:
        """Ports the NLB reaches on the tasks (traffic and health check)."""
        extra = self.health_check_port
        return (self.port,) if extra in (None, self.port) else (self.port, extra)


HEALTHY_THRESHOLD = 3
UNHEALTHY_THRESHOLD = 3
INTERVAL_SECONDS = 30
TIMEOUT_SECONDS = 10


def nlb_health_check(listener: TcpListener) -> dict[str, Any]:
    """The target group's `health_check`: 3 checks of 30 s either way (90 s to turn unhealthy,
    as ECS's default grace for a new task allows), a 10 s timeout."""
    check: dict[str, Any] = {
        "enabled": True,
        "protocol": listener.health_check_protocol,
        "port": str(listener.health_check_port or "traffic-port"),
        "interval": INTERVAL_SECONDS,
        "timeout": TIMEOUT_SECONDS,
        "healthy_threshold": HEALTHY_THRESHOLD,
        "unhealthy_threshold": UNHEALTHY_THRESHOLD,
    }
    if listener.health_check_protocol == "HTTP":
        check["path"] = listener.health_check_path
        check["matcher"] = "200-399"
    return check


def _port_problems(label: str, port: int | None) -> list[str]:
    if port is not None and not 1 <= port <= 65535:
        return [f"{label} {port} (1 to 65535)"]
    return []


def listener_problems(
    listeners: Sequence[TcpListener], *, tls_certificate: bool, ssl_policy: str
) -> list[str]:
    """Why these listeners cannot share one NLB ([] = they can), all of them."""
    problems = []
    if not listeners:
        problems.append("no listener: the NLB would route to nothing")
    services: set[str] = set()
    fronts: dict[int, str] = {}
    for listener in listeners:
        who = f"listener {listener.service}"
        if listener.service in services:
            problems.append(f"{who}: the service has two listeners (one per service)")
        services.add(listener.service)
        problems += _port_problems(f"{who}: port", listener.port)
        problems += _port_problems(f"{who}: listener_port", listener.listener_port)
        problems += _port_problems(f"{who}: health_check_port", listener.health_check_port)
        front = listener.front_port
        if front in fronts:
            problems.append(f"{who}: listener port {front} is already {fronts[front]}'s")
        fronts.setdefault(front, listener.service)
        if listener.protocol == "TLS" and not tls_certificate:
            problems.append(f"{who}: a TLS listener needs certificate_arn")
        if listener.health_check_protocol == "HTTP":
            path = listener.health_check_path
            if not path or not path.startswith("/") or len(path) > 1024:
                problems.append(
                    f"{who}: an HTTP health check needs health_check_path (/..., at most 1024 "
                    "characters)"
                )
        elif listener.health_check_path is not None:
            problems.append(
                f"{who}: health_check_path is only asked by an HTTP health check "
                "(health_check_protocol='HTTP')"
            )
    if any(li.protocol == "TLS" for li in listeners) and ssl_policy not in TLS_POLICIES:
        problems.append(f"ssl_policy {ssl_policy!r}: one of {', '.join(TLS_POLICIES)}")
    return problems


def ingress_problems(
    *, internal: bool, cidrs: Sequence[str], security_group_ids: Sequence[object]
) -> list[str]:
    """Who may connect: an internal NLB admits private ranges only (the VPC by default); an
    internet-facing one admits only the ranges it is given, `0.0.0.0/0` written out."""
    problems = []
    if internal:
        for cidr in cidrs:
            problems += [f"ingress_cidrs {cidr!r}: {p}" for p in ingress_cidr_problems(cidr)]
        return problems
    if not cidrs and not security_group_ids:
        problems.append(
            "an internet-facing NLB admits no one by default: give ingress_cidrs (write "
            "0.0.0.0/0 to open it to the internet) or internal=True"
        )
    for cidr in cidrs:
        if not is_ipv4_block(cidr):
            problems.append(f"ingress_cidrs {cidr!r}: not an IPv4 CIDR block")
    return problems
