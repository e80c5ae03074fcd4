"""Network and edge stack config: the `network` and `edge` keys, their per-environment defaults
and the rules that span them.

`network` chooses between the VPC named by `vpcId`/`privateSubnetIds`/`publicSubnetIds` (the
default: nothing is created) and a VPC the program creates (`network.createVpc: true`).
`edge` switches on the internet-facing ALB (`edge.enabled: true`): HTTPS listener, path rules per
public service, WAF, access logs and blue/green deployments of the public services.

This module is imported by `model.py`, so it only imports `defaults` and `errors` at load time.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from .defaults import Environment
from .errors import MISSING, ConfigIssue

if TYPE_CHECKING:
    from .model import StackConfig
    from .resolve import ServiceSettings

NatGateways = Literal["none", "single", "onePerAz"]
InterfaceEndpoint = Literal["ecr.api", "ecr.dkr", "logs", "secretsmanager", "xray", "ssmmessages"]
DeploymentStrategy = Literal["ROLLING", "BLUE_GREEN"]
# ELB.17: only the TLS 1.3 policies pass; the older ELB defaults accept TLS 1.0/1.1.
SslPolicy = Literal[
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06"
]

# Endpoints Fargate needs when the private subnets have no NAT route: image pull (ECR API and
# registry, layers through the S3 gateway endpoint), logs, and the secrets injected at start.
REQUIRED_WITHOUT_NAT: tuple[InterfaceEndpoint, ...] = (
    "ecr.api",
    "ecr.dkr",
    "logs",
    "secretsmanager",
)
DEFAULT_ROUTE_PRIORITY = 50000
"""The default service's catch-all rule is evaluated last (ALB priorities are 1 to 50000)."""
AUTO_PRIORITY_START = 1000
AUTO_PRIORITY_STEP = 10
MAX_CONDITION_VALUES = 5
"""ALB limit: condition values per listener rule."""


def _check_cidr(value: str) -> str:
    allowed = "a private IPv4 CIDR block (10/8, 172.16/12, 192.168/16) from /16 to /22"
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        raise ValueError(f"not an IPv4 CIDR block; allowed: {allowed}") from None
    if not network.is_private or not 16 <= network.prefixlen <= 22:
        raise ValueError(f"unsuitable VPC range; allowed: {allowed}")
    return value


def _check_retention(days: int) -> int:
    from .model import _check_retention as check  # model imports this module at load time

    return check(days)


_CERTIFICATE_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:acm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:certificate/"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)


def _check_certificate(value: str) -> str:
    if not _CERTIFICATE_ARN.match(value):
        raise ValueError(
            "malformed certificate ARN; allowed: "
            "arn:aws:acm:<region>:<account>:certificate/<uuid> (an ACM certificate)"
        )
    return value


# ALB path-pattern condition: 1-128 characters of A-Z a-z 0-9 _ - . $ / ~ " ' @ : + & * ?
_PATH_PATTERN = re.compile(r"""^/[A-Za-z0-9_\-.$/~"'@:+&*?]{0,127}$""")


def _check_path_pattern(value: str) -> str:
    if not _PATH_PATTERN.match(value):
        raise ValueError(
            "not an ALB path pattern; allowed: up to 128 characters starting with '/', letters, "
            "digits and _ - . $ / ~ \" ' @ : + & with * and ? as wildcards (e.g. /api/*)"
        )
    return value


Cidr = Annotated[str, AfterValidator(_check_cidr)]
CertificateArn = Annotated[str, AfterValidator(_check_certificate)]
PathPattern = Annotated[str, AfterValidator(_check_path_pattern)]
RetentionDays = Annotated[int, AfterValidator(_check_retention)]


class _Model(BaseModel):
    # Same settings as model._Model; repeated because model.py imports this module.
    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=False
    )


# ---------------------------------------------------------------------------------------------
# Stack-file models
# ---------------------------------------------------------------------------------------------


class NetworkConfig(_Model):
    """`network`: create the VPC, or use the one named by vpcId/privateSubnetIds/publicSubnetIds."""

    create_vpc: bool = Field(
        False,
        description="Create the VPC (true) or use vpcId, privateSubnetIds and publicSubnetIds.",
    )
    cidr_block: Cidr = Field("10.0.0.0/16", description="IPv4 range of the created VPC.")
    availability_zones: int | None = Field(
        None, ge=2, le=6, description="AZs the created VPC spans; unset = per environment."
    )
    nat_gateways: NatGateways | None = Field(
        None,
        description="Outbound internet for private subnets: none, single or onePerAz; "
        "unset = per environment.",
    )
    interface_endpoints: list[InterfaceEndpoint] | None = Field(
        None,
        description="Interface VPC endpoints (ecr.api, ecr.dkr, logs, secretsmanager, xray, "
        "ssmmessages); unset = per environment. The S3 gateway endpoint is always created.",
    )
    flow_logs: bool | None = Field(
        None, description="VPC flow logs (all traffic) to CloudWatch Logs; unset = per env."
    )
    flow_log_retention_days: RetentionDays | None = Field(
        None, description="Retention of the flow-log group; unset = logRetentionDays."
    )


class WafConfig(_Model):
    """`edge.waf`: the WAFv2 web ACL in front of the ALB."""

    enabled: bool | None = Field(None, description="Attach a web ACL; unset = per environment.")
    rate_limit: int = Field(
        2000,
        ge=10,
        le=2_000_000_000,
        description="Requests per client IP per 5 minutes before the rate rule blocks.",
    )


class EdgeConfig(_Model):
    """`edge`: the internet-facing Application Load Balancer the program builds."""

    enabled: bool = Field(
        False, description="Build the ALB, its listeners, target groups and rules."
    )
    certificate_arn: CertificateArn | None = Field(
        None,
        description="ACM certificate of the HTTPS listener, in the stack's region. Without it "
        "the ALB serves plain HTTP (refused in prod).",
    )
    ssl_policy: SslPolicy = Field(
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", description="TLS policy of the HTTPS listener."
    )
    deletion_protection: bool | None = Field(
        None, description="ALB deletion protection; unset = per environment."
    )
    access_logs: bool | None = Field(
        None, description="ALB access logs to an S3 bucket the program creates; unset = per env."
    )
    access_log_retention_days: int = Field(
        90, ge=1, le=3650, description="Days access-log objects are kept."
    )
    deregistration_delay: int = Field(
        30,
        ge=0,
        le=120,
        description="Seconds the ALB drains a stopping task; at most each public service's "
        "stopTimeout.",
    )
    deployment_strategy: DeploymentStrategy | None = Field(
        None,
        description="ROLLING or BLUE_GREEN (ECS native) for the public services; unset = per env.",
    )
    bake_time_minutes: int | None = Field(
        None,
        ge=0,
        le=1440,
        description="Blue/green: minutes both revisions run after the switch; unset = per env.",
    )
    waf: WafConfig = Field(default_factory=WafConfig, description="WAFv2 web ACL settings.")


# ---------------------------------------------------------------------------------------------
# Per-environment defaults (data)
# ---------------------------------------------------------------------------------------------


class NetworkDefaults(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    availability_zones: int
    nat_gateways: NatGateways
    """dev/staging: one NAT gateway (~1/3 of the cost, egress lost if its AZ fails)."""
    interface_endpoints: tuple[InterfaceEndpoint, ...]
    """prod keeps image pulls, logs and secrets off the NAT gateways."""
    flow_logs: bool


class EdgeDefaults(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    deletion_protection: bool
    """ELB.6 (P): prod and staging."""
    access_logs: bool
    """ELB.5 (P): prod and staging; dev waived (cost, no audit need)."""
    waf: bool
    """ELB.16 (P): prod and staging; dev waived (WAF has a monthly fee per ACL and rule)."""
    deployment_strategy: DeploymentStrategy
    bake_time_minutes: int


NETWORK_DEFAULTS: dict[Environment, NetworkDefaults] = {
    "dev": NetworkDefaults(
        availability_zones=2, nat_gateways="single", interface_endpoints=(), flow_logs=True
    ),
    "staging": NetworkDefaults(
        availability_zones=2, nat_gateways="single", interface_endpoints=(), flow_logs=True
    ),
    "prod": NetworkDefaults(
        availability_zones=3,
        nat_gateways="onePerAz",
        interface_endpoints=REQUIRED_WITHOUT_NAT,
        flow_logs=True,
    ),
}

EDGE_DEFAULTS: dict[Environment, EdgeDefaults] = {
    "dev": EdgeDefaults(
        deletion_protection=False,
        access_logs=False,
        waf=False,
        deployment_strategy="ROLLING",
        bake_time_minutes=0,
    ),
    "staging": EdgeDefaults(
        deletion_protection=True,
        access_logs=True,
        waf=True,
        deployment_strategy="ROLLING",
        bake_time_minutes=0,
    ),
    "prod": EdgeDefaults(
        deletion_protection=True,
        access_logs=True,
        waf=True,
        deployment_strategy="BLUE_GREEN",
        bake_time_minutes=10,
    ),
}


# ---------------------------------------------------------------------------------------------
# Resolved settings
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewVpcSettings:
    """The VPC the program creates (`network.createVpc: true`)."""

    cidr_block: str
    availability_zones: int
    nat_gateways: NatGateways
    interface_endpoints: tuple[InterfaceEndpoint, ...]
    flow_logs: bool
    flow_log_retention_days: int


@dataclass(frozen=True)
class Route:
    """One public service behind the ALB: one target group (two with blue/green), one rule."""

    service: str
    port: int
    health_check_path: str
    path_patterns: tuple[str, ...]
    """`("/*",)` for the default service."""
    priority: int
    default: bool = False
    """The catch-all route: gets every request no other rule matches."""
    health_check_port: int | None = None
    """When health checks go to another port than the traffic (Keycloak: 9000)."""

    @property
    def ports(self) -> tuple[int, ...]:
        """Ports the ALB must reach on the service's tasks."""
        extra = self.health_check_port
        return (self.port,) if extra in (None, self.port) else (self.port, extra)


@dataclass(frozen=True)
class EdgeSettings:
    """The ALB the program builds (`edge.enabled: true`)."""

    certificate_arn: str | None
    ssl_policy: str
    deletion_protection: bool
    access_logs: bool
    access_log_retention_days: int
    deregistration_delay: int
    deployment_strategy: DeploymentStrategy
    bake_time_minutes: int
    waf: bool
    waf_rate_limit: int
    routes: tuple[Route, ...]

    @property
    def blue_green(self) -> bool:
        return self.deployment_strategy == "BLUE_GREEN"

    @property
    def https(self) -> bool:
        return self.certificate_arn is not None


# ---------------------------------------------------------------------------------------------
# Resolution
# ---------------------------------------------------------------------------------------------


ENFORCED_ENVIRONMENTS = ("staging", "prod")
"""CONTROLS.md "P": enforced in staging and prod, defaulted (waivable) in dev."""


def _require_control(
    env: Environment, key: str, value: bool, control: str, issues: list[ConfigIssue]
) -> None:
    if env in ENFORCED_ENVIRONMENTS and not value:
        issues.append(
            ConfigIssue(
                key,
                value,
                f"control {control} is enforced in staging and prod (waivable in dev only)",
                "true",
            )
        )


def _explicit(model: BaseModel, exclude: set[str]) -> list[str]:
    """camelCase names of the keys a stack file set on `model`, except `exclude`."""
    return sorted(to_camel(name) for name in model.model_fields_set - exclude)


def resolve_network(
    config: StackConfig,
    *,
    edge_enabled: bool,
    log_retention_days: int,
    services: Sequence[ServiceSettings],
    xray: bool,
    execute_command: bool,
    issues: list[ConfigIssue],
) -> NewVpcSettings | None:
    """The VPC to create, or None when the stack names an existing one (checked here)."""
    network = config.network
    if not network.create_vpc:
        _check_existing_vpc(config, edge_enabled, issues)
        for key in _explicit(network, {"create_vpc"}):
            issues.append(
                ConfigIssue(
                    f"network.{key}",
                    getattr(network, _snake(key)),
                    "only applies to a VPC the program creates (network.createVpc is false)",
                    "remove it, or set network.createVpc: true",
                )
            )
        return None

    for key, value in (
        ("vpcId", config.vpc_id),
        ("privateSubnetIds", config.private_subnet_ids),
        ("publicSubnetIds", config.public_subnet_ids),
    ):
        if value:
            issues.append(
                ConfigIssue(
                    key,
                    value,
                    "conflicts with network.createVpc: true (the program creates the VPC)",
                    f"remove {key}, or set network.createVpc: false to use an existing VPC",
                )
            )
    # Security groups can only reference groups of their own VPC (or a peered one).
    for key, value in (
        ("albSecurityGroupIds", config.alb_security_group_ids),
        ("rdsSecurityGroupId", config.rds_security_group_id),
        ("redisSecurityGroupId", config.redis_security_group_id),
    ):
        if value:
            issues.append(
                ConfigIssue(
                    key,
                    value,
                    "a security group of an existing VPC; the services run in the VPC the "
                    "program creates (network.createVpc: true) and cannot reference it",
                    f"remove {key} (edge, database and cache build theirs in the new VPC), or "
                    "set network.createVpc: false",
                )
            )
    defaults = NETWORK_DEFAULTS[config.environment]
    flow_logs = network.flow_logs if network.flow_logs is not None else defaults.flow_logs
    _require_control(config.environment, "network.flowLogs", flow_logs, "EC2.6", issues)
    nat = network.nat_gateways or defaults.nat_gateways
    endpoints = (
        tuple(dict.fromkeys(network.interface_endpoints))
        if network.interface_endpoints is not None
        else defaults.interface_endpoints
    )
    if nat == "none":
        needed = list(REQUIRED_WITHOUT_NAT)
        needed += ["xray"] if xray else []
        needed += ["ssmmessages"] if execute_command else []
        missing = [name for name in needed if name not in endpoints]
        if missing:
            issues.append(
                ConfigIssue(
                    "network.interfaceEndpoints",
                    list(endpoints),
                    f"network.natGateways is none and tasks could not reach {', '.join(missing)}",
                    f"include {', '.join(needed)}, or choose natGateways single or onePerAz",
                )
            )
        foreign = sorted({s.image for s in services if ".dkr.ecr." not in s.image})
        if foreign:
            issues.append(
                ConfigIssue(
                    "network.natGateways",
                    nat,
                    f"images outside ECR need internet egress: {', '.join(foreign)}",
                    "single or onePerAz, or push the images to ECR",
                )
            )
    return NewVpcSettings(
        cidr_block=network.cidr_block,
        availability_zones=network.availability_zones or defaults.availability_zones,
        nat_gateways=nat,
        interface_endpoints=endpoints,
        flow_logs=flow_logs,
        flow_log_retention_days=network.flow_log_retention_days or log_retention_days,
    )


def _snake(camel: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), camel)


def _check_existing_vpc(config: StackConfig, edge_enabled: bool, issues: list[ConfigIssue]) -> None:
    subnet_keys = [("privateSubnetIds", config.private_subnet_ids, "private", True)]
    subnet_keys.append(("publicSubnetIds", config.public_subnet_ids, "public", edge_enabled))
    if config.vpc_id is None:
        issues.append(
            ConfigIssue(
                "vpcId",
                MISSING,
                "required when network.createVpc is false",
                "the id of the VPC the services run in (vpc-...), or network.createVpc: true",
            )
        )
    for key, ids, kind, needed in subnet_keys:
        if not needed:
            continue
        if len(ids) < 2:
            issues.append(
                ConfigIssue(
                    key,
                    list(ids) if ids else MISSING,
                    f"fewer than 2 subnets: the {'ALB' if kind == 'public' else 'tasks'} would "
                    "run in a single Availability Zone",
                    f"at least 2 {kind} subnet ids in different AZs",
                )
            )
        elif len(set(ids)) != len(ids):
            issues.append(
                ConfigIssue(
                    key, list(ids), "the same subnet is listed twice", "distinct subnet ids"
                )
            )
    overlap = sorted(set(config.private_subnet_ids) & set(config.public_subnet_ids))
    if overlap:
        issues.append(
            ConfigIssue(
                "publicSubnetIds",
                overlap,
                "also listed in privateSubnetIds",
                "public subnets (route to an internet gateway) distinct from the private ones",
            )
        )


def resolve_edge(
    config: StackConfig,
    *,
    region: str,
    services: Sequence[ServiceSettings],
    service_path: Callable[[str], str],
    issues: list[ConfigIssue],
) -> EdgeSettings | None:
    """The ALB to build, or None when `edge.enabled` is false (then no other edge key may be set).

    `service_path(name)` is where a service's catalog entry lives in the stack file, for messages.
    """
    edge = config.edge
    _check_routing_keys_on_private_services(services, service_path, issues)
    if not edge.enabled:
        for key in _explicit(edge, {"enabled"}):
            issues.append(
                ConfigIssue(
                    f"edge.{key}",
                    getattr(edge, _snake(key)),
                    "has no effect: edge.enabled is false",
                    "remove it, or set edge.enabled: true",
                )
            )
        return None

    env = config.environment
    defaults = EDGE_DEFAULTS[env]
    for key, configured in _external_target_groups(config):
        issues.append(
            ConfigIssue(
                key,
                configured,
                "conflicts with edge.enabled: true (the program builds the target groups)",
                "remove it, or set edge.enabled: false to use an existing ALB",
            )
        )
    if edge.certificate_arn is not None:
        cert_region = edge.certificate_arn.split(":")[3]
        if cert_region != region:
            issues.append(
                ConfigIssue(
                    "edge.certificateArn",
                    edge.certificate_arn,
                    f"certificate is in {cert_region}, the stack deploys to {region} "
                    "(an ALB only uses certificates of its own region)",
                    f"an ACM certificate ARN in {region}",
                )
            )
    elif env == "prod":
        issues.append(
            ConfigIssue(
                "edge.certificateArn",
                None,
                "prod would serve plain HTTP (tokens and credentials in clear text)",
                f"an ACM certificate ARN in {region}",
            )
        )
    strategy = edge.deployment_strategy or defaults.deployment_strategy
    public = [s for s in services if s.public]
    if not public:
        issues.append(
            ConfigIssue(
                "edge.enabled",
                True,
                "no service is public: the ALB would route to nothing",
                "set public: true on the services the ALB serves, or edge.enabled: false",
            )
        )
    for service in public:
        if edge.deregistration_delay > service.stop_timeout:
            issues.append(
                ConfigIssue(
                    "edge.deregistrationDelay",
                    edge.deregistration_delay,
                    f"longer than {service.name}'s stopTimeout ({service.stop_timeout} s, "
                    f"{service_path(service.name)}.stopTimeout): requests still draining "
                    "would be cut",
                    f"at most {service.stop_timeout}",
                )
            )
    routes = plan_routes(public, service_path, issues)
    deletion_protection = (
        edge.deletion_protection
        if edge.deletion_protection is not None
        else defaults.deletion_protection
    )
    access_logs = edge.access_logs if edge.access_logs is not None else defaults.access_logs
    waf = edge.waf.enabled if edge.waf.enabled is not None else defaults.waf
    for key, value, control in (
        ("edge.deletionProtection", deletion_protection, "ELB.6"),
        ("edge.accessLogs", access_logs, "ELB.5"),
        ("edge.waf.enabled", waf, "ELB.16 (WAF)"),
    ):
        _require_control(env, key, value, control, issues)
    return EdgeSettings(
        certificate_arn=edge.certificate_arn,
        ssl_policy=edge.ssl_policy,
        deletion_protection=deletion_protection,
        access_logs=access_logs,
        access_log_retention_days=edge.access_log_retention_days,
        deregistration_delay=edge.deregistration_delay,
        deployment_strategy=strategy,
        bake_time_minutes=(
            edge.bake_time_minutes
            if edge.bake_time_minutes is not None
            else defaults.bake_time_minutes
        ),
        waf=waf,
        waf_rate_limit=edge.waf.rate_limit,
        routes=tuple(routes),
    )


def _external_target_groups(config: StackConfig) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = [
        (f"targetGroupArns.{name}", arn) for name, arn in sorted(config.target_group_arns.items())
    ]
    found += [
        (f"serviceOverrides.{name}.targetGroupArn", override.target_group_arn)
        for name, override in sorted(config.service_overrides.items())
        if override.target_group_arn
    ]
    return found


def _check_routing_keys_on_private_services(
    services: Sequence[ServiceSettings],
    service_path: Callable[[str], str],
    issues: list[ConfigIssue],
) -> None:
    for service in services:
        if service.public:
            continue
        for key, value in (
            ("pathPatterns", list(service.path_patterns)),
            ("priority", service.priority),
            ("defaultRoute", service.default_route or None),
        ):
            if value:
                issues.append(
                    ConfigIssue(
                        f"{service_path(service.name)}.{key}",
                        value,
                        "only public services are routed by the ALB",
                        "remove it, or set public: true",
                    )
                )


def plan_routes(
    public: Sequence[ServiceSettings],
    service_path: Callable[[str], str],
    issues: list[ConfigIssue],
) -> list[Route]:
    """One rule per public service with a unique priority; the default service's rule is `/*`
    at priority 50000. Services without a priority get 1000, 1010, ... in name order."""
    defaults = [s for s in public if s.default_route]
    if len(defaults) > 1:
        for service in defaults[1:]:
            issues.append(
                ConfigIssue(
                    f"{service_path(service.name)}.defaultRoute",
                    True,
                    f"{defaults[0].name} is already the default route",
                    "defaultRoute: true on one public service at most",
                )
            )
    taken: dict[int, str] = {}
    owners: dict[str, str] = {}
    for service in sorted(public, key=lambda s: s.name):
        base = service_path(service.name)
        if service.default_route:
            if service.path_patterns or service.priority is not None:
                issues.append(
                    ConfigIssue(
                        f"{base}.{'pathPatterns' if service.path_patterns else 'priority'}",
                        list(service.path_patterns) or service.priority,
                        "the default route already receives every path (rule /* evaluated last)",
                        "remove it, or set defaultRoute: false",
                    )
                )
            continue
        if not service.path_patterns:
            issues.append(
                ConfigIssue(
                    f"{base}.pathPatterns",
                    [],
                    "public service without a route: its target group would receive no traffic",
                    "path patterns such as ['/api/*'], or defaultRoute: true",
                )
            )
        elif len(service.path_patterns) > MAX_CONDITION_VALUES:
            issues.append(
                ConfigIssue(
                    f"{base}.pathPatterns",
                    list(service.path_patterns),
                    f"more than {MAX_CONDITION_VALUES} patterns (ALB limit per rule; one rule per "
                    "service so that blue/green switches all of its traffic)",
                    f"at most {MAX_CONDITION_VALUES} patterns",
                )
            )
        for pattern in service.path_patterns:
            if pattern in owners and owners[pattern] != service.name:
                issues.append(
                    ConfigIssue(
                        f"{base}.pathPatterns",
                        pattern,
                        f"already routed to {owners[pattern]}",
                        "a pattern routed to one service only",
                    )
                )
            owners.setdefault(pattern, service.name)
        if service.priority is not None:
            if service.priority in taken:
                issues.append(
                    ConfigIssue(
                        f"{base}.priority",
                        service.priority,
                        f"priority already used by {taken[service.priority]}",
                        "a priority unique on the listener, 1 to 49999",
                    )
                )
            taken.setdefault(service.priority, service.name)

    routes: list[Route] = []
    next_priority = AUTO_PRIORITY_START
    for service in sorted(public, key=lambda s: s.name):
        if service.default_route:
            routes.append(
                Route(
                    service.name,
                    service.port,
                    service.health_check_path,
                    ("/*",),
                    DEFAULT_ROUTE_PRIORITY,
                    default=True,
                    health_check_port=service.health_check_port,
                )
            )
            continue
        priority = service.priority
        if priority is None:
            while next_priority in taken:
                next_priority += AUTO_PRIORITY_STEP
            priority = next_priority
            taken[priority] = service.name
        routes.append(
            Route(
                service.name,
                service.port,
                service.health_check_path,
                tuple(service.path_patterns),
                priority,
                health_check_port=service.health_check_port,
            )
        )
    return sorted(routes, key=lambda r: r.priority)
