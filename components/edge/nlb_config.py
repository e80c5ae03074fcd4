"""The `networkLoadBalancer` stack key: a Network Load Balancer in front of TCP services (one
listener and one target group per service), its models and its resolver, which reports the
component's own rules (`tcp.py`) at the stack file's keys.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Protocol

from pydantic import Field

from ..errors import ConfigIssue
from ..formats import ConfigModel, Environment, Flag, SecurityGroupId
from .elb_config import (
    CertificateArn,
    SslPolicy,
    certificate_region_issues,
    disabled_key_issues,
    ingress_sources,
    resolved_deletion_protection,
)
from .tcp import (
    HealthCheckProtocol,
    TcpListener,
    TcpProtocol,
    ingress_problems,
    listener_problems,
)

KEY = "networkLoadBalancer"
"""The stack file's key of the NLB's settings."""


class NlbListenerConfig(ConfigModel):
    """`networkLoadBalancer.listeners.<service>`: how clients reach one TCP service."""

    listener_port: int | None = Field(
        None, ge=1, le=65535, description="Port clients connect to; unset = the service's port."
    )
    protocol: TcpProtocol = Field(
        "TCP",
        description="TCP passes the bytes through; TLS terminates TLS on the NLB with "
        "networkLoadBalancer.certificateArn and forwards TCP to the tasks.",
    )
    health_check_protocol: HealthCheckProtocol = Field(
        "TCP",
        description="TCP opens a connection to the service's port (or healthCheckPort); HTTP "
        "asks the service's healthCheckPath for 200-399.",
    )


class NetworkLoadBalancerConfig(ConfigModel):
    """`networkLoadBalancer`: a Network Load Balancer in front of TCP services (one listener and
    one target group per service; each service admits the NLB's security group only)."""

    enabled: Flag = Field(False, description="Build the NLB, its listeners and target groups.")
    internal: Flag = Field(
        True,
        description="Private addresses in the private subnets (the default); false = "
        "internet-facing in the public subnets, admitting ingressCidrs only.",
    )
    ingress_cidrs: list[str] = ingress_sources(
        "IPv4 ranges admitted on the listener ports. Internal: private ranges, "
        "unset = the VPC's CIDR block. Internet-facing: required (0.0.0.0/0 written out)."
    )
    ingress_security_group_ids: list[SecurityGroupId] = ingress_sources(
        "Security groups admitted on them."
    )
    cross_zone: Flag = Field(
        True,
        description="Cross-zone load balancing (AWS's NLB default is off: a zone with fewer "
        "healthy tasks would take as much traffic as the others).",
    )
    deletion_protection: Flag | None = Field(
        None, description="NLB deletion protection; unset = per environment (as edge)."
    )
    certificate_arn: CertificateArn | None = Field(
        None, description="ACM certificate of the TLS listeners, in the stack's region."
    )
    ssl_policy: SslPolicy = Field(
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", description="TLS policy of TLS listeners."
    )
    deregistration_delay: int = Field(
        30,
        ge=0,
        le=3600,
        description="Seconds a stopping task keeps its connections; at most its stopTimeout.",
    )
    listeners: dict[Annotated[str, Field(min_length=1, max_length=64)], NlbListenerConfig] = Field(
        default_factory=dict,
        description="Per catalog service (with a port, not public): its listener.",
    )


@dataclass(frozen=True)
class NetworkLoadBalancerSettings:
    """The NLB the program builds (`networkLoadBalancer.enabled: true`)."""

    internal: bool
    listeners: tuple[TcpListener, ...]
    ingress_cidrs: tuple[str, ...] = ()
    ingress_security_group_ids: tuple[str, ...] = ()
    cross_zone: bool = True
    deletion_protection: bool = True
    certificate_arn: str | None = None
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    deregistration_delay: int = 30

    @property
    def routes(self) -> dict[str, tuple[int, ...]]:
        """Service -> ports the NLB reaches (traffic and health check)."""
        return {listener.service: listener.ports for listener in self.listeners}


class TcpService(Protocol):
    """What the NLB needs of a service (the stack layer's resolved services have it)."""

    name: str
    port: int | None
    public: bool
    target_group_arn: str | None
    health_check_path: str | None
    health_check_port: int | None
    stop_timeout: int


def resolve_network_load_balancer(
    config: NetworkLoadBalancerConfig,
    *,
    env: Environment,
    region: str,
    services: Sequence[TcpService],
    service_path: Callable[[str], str],
    issues: list[ConfigIssue],
) -> NetworkLoadBalancerSettings | None:
    """The NLB to build, or None when `networkLoadBalancer.enabled` is false (then no other of
    its keys may be set). Each listener names a catalog service with a port that the ALB does
    not route; the component's own rules (`tcp.py`) are reported at their keys."""
    if not config.enabled:
        issues.extend(disabled_key_issues(KEY, config, {"enabled"}))
        return None
    if not config.listeners:
        issues.append(
            ConfigIssue(
                f"{KEY}.listeners",
                {},
                "no listener: the NLB would route to nothing",
                "a listener per TCP service, e.g. listeners: {broker: {listenerPort: 1883}}",
            )
        )
    listeners = _listeners(config, services, service_path, issues)
    for problem in listener_problems(
        listeners, tls_certificate=config.certificate_arn is not None, ssl_policy=config.ssl_policy
    ):
        issues.append(
            ConfigIssue(
                f"{KEY}.listeners",
                sorted(config.listeners),
                problem,
                "listener ports unique; TLS with networkLoadBalancer.certificateArn; HTTP "
                "health checks on services with a healthCheckPath",
            )
        )
    _check_nlb_ingress(config, issues)
    issues.extend(
        certificate_region_issues(f"{KEY}.certificateArn", config.certificate_arn, region)
    )
    protection = resolved_deletion_protection(
        env, f"{KEY}.deletionProtection", config.deletion_protection, issues
    )
    return NetworkLoadBalancerSettings(
        internal=config.internal,
        listeners=tuple(listeners),
        ingress_cidrs=tuple(config.ingress_cidrs),
        ingress_security_group_ids=tuple(config.ingress_security_group_ids),
        cross_zone=config.cross_zone,
        deletion_protection=protection,
        certificate_arn=config.certificate_arn,
        ssl_policy=config.ssl_policy,
        deregistration_delay=config.deregistration_delay,
    )


def _listeners(
    config: NetworkLoadBalancerConfig,
    services: Sequence[TcpService],
    service_path: Callable[[str], str],
    issues: list[ConfigIssue],
) -> list[TcpListener]:
    """A listener per `listeners.<name>` that names a catalog service with a port; the others
    are reported."""
    by_name = {s.name: s for s in services}
    listeners: list[TcpListener] = []
    for name, spec in sorted(config.listeners.items()):
        path = f"{KEY}.listeners.{name}"
        service = by_name.get(name)
        if service is None or service.port is None:
            issues.append(
                ConfigIssue(
                    path,
                    name,
                    "not a service of the stack" if service is None else "a worker has no port",
                    "a catalog service with a port: "
                    + ", ".join(sorted(s.name for s in services if s.port is not None)),
                )
            )
            continue
        issues.extend(_listener_service_issues(config, path, service, service_path))
        http = spec.health_check_protocol == "HTTP"
        listeners.append(
            TcpListener(
                service=name,
                port=service.port,
                listener_port=spec.listener_port,
                protocol=spec.protocol,
                health_check_protocol=spec.health_check_protocol,
                health_check_path=service.health_check_path if http else None,
                health_check_port=service.health_check_port,
            )
        )
    return listeners


def _listener_service_issues(
    config: NetworkLoadBalancerConfig,
    path: str,
    service: TcpService,
    service_path: Callable[[str], str],
) -> list[ConfigIssue]:
    """The listener's service registers with no ALB, and stops after its connections drain."""
    name = service.name
    issues = [
        ConfigIssue(
            path,
            name,
            f"{name} is behind an ALB already ({service_path(name)}.{conflict}): "
            "a service registers with one load balancer",
            f"remove the listener, or the service's {conflict}",
        )
        for conflict, value in (
            ("public", service.public or None),
            ("targetGroupArn", service.target_group_arn),
        )
        if value
    ]
    if config.deregistration_delay > service.stop_timeout:
        issues.append(
            ConfigIssue(
                f"{KEY}.deregistrationDelay",
                config.deregistration_delay,
                f"longer than {name}'s stopTimeout ({service.stop_timeout} s): open "
                "connections would be cut",
                f"at most {service.stop_timeout}",
            )
        )
    return issues


def _check_nlb_ingress(config: NetworkLoadBalancerConfig, issues: list[ConfigIssue]) -> None:
    cidrs = list(config.ingress_cidrs)
    for problem in ingress_problems(
        internal=config.internal,
        cidrs=cidrs,
        security_group_ids=config.ingress_security_group_ids,
    ):
        issues.append(
            ConfigIssue(
                "networkLoadBalancer.ingressCidrs",
                cidrs,
                problem,
                "internal: private IPv4 blocks (unset = the VPC); internet-facing: the client "
                "ranges, 0.0.0.0/0 written out to open it to the internet",
            )
        )
