"""The `network` stack key: create the VPC, or use the one named by `vpcId`/`privateSubnetIds`/
`publicSubnetIds` (the default when they are set; without them the program creates it); its
per-environment defaults and the rules that span its keys.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..errors import MISSING, ConfigIssue
from ..formats import (
    ENFORCED_ENVIRONMENTS,
    ConfigModel,
    Environment,
    Flag,
    RetentionDays,
    explicit_keys,
    snake,
)

NatGateways = Literal["none", "single", "onePerAz"]
InterfaceEndpoint = Literal[
    "ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "xray", "ssmmessages", "kms", "sqs"
]

# Endpoints Fargate needs when the private subnets have no NAT route: image pull (ECR API and
# registry, layers through the S3 gateway endpoint), logs, and the secrets injected at start.
REQUIRED_WITHOUT_NAT: tuple[InterfaceEndpoint, ...] = (
    "ecr.api",
    "ecr.dkr",
    "logs",
    "secretsmanager",
)


def _check_cidr(value: str) -> str:
    allowed = "a private IPv4 CIDR block (10/8, 172.16/12, 192.168/16) from /16 to /22"
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        raise ValueError(f"not an IPv4 CIDR block; allowed: {allowed}") from None
    if not network.is_private or not 16 <= network.prefixlen <= 22:
        raise ValueError(f"unsuitable VPC range; allowed: {allowed}")
    return value


Cidr = Annotated[str, AfterValidator(_check_cidr)]


class NetworkConfig(ConfigModel):
    """`network`: create the VPC, or use the one named by vpcId/privateSubnetIds/publicSubnetIds."""

    create_vpc: Flag | None = Field(
        None,
        description="Create the VPC (true) or use vpcId, privateSubnetIds and publicSubnetIds "
        "(false); unset = create it unless one of those keys names an existing VPC.",
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
        description="Interface VPC endpoints (ecr.api, ecr.dkr, logs, secretsmanager, ssm, "
        "xray, ssmmessages, kms, sqs); unset = per environment. The S3 gateway endpoint is always "
        "created.",
    )
    task_public_ips: Flag | None = Field(
        None,
        description="Run the tasks in the public subnets with a public IPv4 each (their "
        "egress without a NAT gateway; security groups still admit only the graph's paths). "
        "Dev only; unset = on in dev, off in staging and prod.",
    )
    flow_logs: Flag | None = Field(
        None, description="VPC flow logs (all traffic) to CloudWatch Logs; unset = per env."
    )
    flow_log_retention_days: RetentionDays | None = Field(
        None, description="Retention of the flow-log group; unset = securityLogRetentionDays."
    )


class NetworkDefaults(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    availability_zones: int
    nat_gateways: NatGateways
    """dev/staging: one NAT gateway (~1/3 of the cost, egress lost if its AZ fails)."""
    interface_endpoints: tuple[InterfaceEndpoint, ...]
    """prod keeps image pulls, logs and secrets off the NAT gateways."""
    flow_logs: bool
    task_public_ips: bool = False
    """dev: each running task pays $0.005/h for its address instead of a NAT gateway's $0.048/h
    and $0.048/GB; the tasks sit in public subnets (ECS.2 waived in Pulumi.dev.yaml)."""


NETWORK_DEFAULTS: dict[Environment, NetworkDefaults] = {
    "dev": NetworkDefaults(
        availability_zones=2,
        nat_gateways="none",
        interface_endpoints=(),
        flow_logs=True,
        task_public_ips=True,
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


@dataclass(frozen=True)
class NewVpcSettings:
    """The VPC the program creates (`network.createVpc: true`)."""

    cidr_block: str
    availability_zones: int
    nat_gateways: NatGateways
    interface_endpoints: tuple[InterfaceEndpoint, ...]
    flow_logs: bool
    flow_log_retention_days: int
    task_public_ips: bool = False
    """Tasks in the public subnets with public IPv4 addresses (dev only)."""


@dataclass(frozen=True)
class ExistingVpc:
    """The stack-file keys naming an existing VPC and groups of it (all empty: none named)."""

    vpc_id: str | None = None
    private_subnet_ids: Sequence[str] = ()
    public_subnet_ids: Sequence[str] = ()
    security_groups: Mapping[str, Any] = field(default_factory=dict)
    """Key -> value of the keys naming security groups of an existing VPC
    (`albSecurityGroupIds`, `rdsSecurityGroupId`, `redisSecurityGroupId`)."""


def require_control(
    env: Environment, key: str, value: bool, control: str, issues: list[ConfigIssue]
) -> None:
    """A CONTROLS.md "P" switch: an error in staging and prod, the dev waiver otherwise."""
    if env in ENFORCED_ENVIRONMENTS and not value:
        issues.append(
            ConfigIssue(
                key,
                value,
                f"control {control} is enforced in staging and prod (waivable in dev only)",
                "true",
            )
        )


def resolve_network(
    network: NetworkConfig,
    *,
    env: Environment,
    existing: ExistingVpc,
    edge_enabled: bool,
    security_log_retention_days: int,
    images: Iterable[str],
    endpoints_needed: Iterable[InterfaceEndpoint],
    issues: list[ConfigIssue],
) -> NewVpcSettings | None:
    """The VPC to create, or None when the stack names an existing one (checked here).

    `endpoints_needed` are the interface endpoints the tasks need besides the base four when
    there is no NAT gateway (`xray` with tracing; `ssmmessages` and `kms` with ECS Exec, whose
    sessions are encrypted with the cluster's key; `sqs` with work queues)."""
    named = bool(existing.vpc_id or existing.private_subnet_ids or existing.public_subnet_ids)
    if not (network.create_vpc if network.create_vpc is not None else not named):
        _check_existing_vpc(existing, edge_enabled, issues)
        _check_new_vpc_keys_unset(network, issues)
        return None

    _check_no_existing_vpc_named(existing, issues)
    defaults = NETWORK_DEFAULTS[env]
    flow_logs = network.flow_logs if network.flow_logs is not None else defaults.flow_logs
    require_control(env, "network.flowLogs", flow_logs, "EC2.6", issues)
    public_ips, nat = _egress(network, defaults, env, issues)
    endpoints = (
        tuple(dict.fromkeys(network.interface_endpoints))
        if network.interface_endpoints is not None
        else defaults.interface_endpoints
    )
    if nat == "none" and not public_ips:
        _check_without_egress(nat, endpoints, images, endpoints_needed, issues)
    return NewVpcSettings(
        cidr_block=network.cidr_block,
        availability_zones=network.availability_zones or defaults.availability_zones,
        nat_gateways=nat,
        interface_endpoints=endpoints,
        flow_logs=flow_logs,
        flow_log_retention_days=network.flow_log_retention_days or security_log_retention_days,
        task_public_ips=bool(public_ips and env == "dev"),
    )


def _check_new_vpc_keys_unset(network: NetworkConfig, issues: list[ConfigIssue]) -> None:
    """With an existing VPC, every `network` key but createVpc describes nothing: refuse it."""
    for key in explicit_keys(network, {"create_vpc"}):
        issues.append(
            ConfigIssue(
                f"network.{key}",
                getattr(network, snake(key)),
                "only applies to a VPC the program creates (network.createVpc is false)",
                "remove it, or set network.createVpc: true",
            )
        )


def _check_no_existing_vpc_named(existing: ExistingVpc, issues: list[ConfigIssue]) -> None:
    """With a created VPC, the keys naming an existing VPC, its subnets or its security groups
    conflict: security groups can only reference groups of their own VPC (or a peered one)."""
    for key, value in (
        ("vpcId", existing.vpc_id),
        ("privateSubnetIds", list(existing.private_subnet_ids)),
        ("publicSubnetIds", list(existing.public_subnet_ids)),
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
    for key, value in existing.security_groups.items():
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


def _egress(
    network: NetworkConfig, defaults: NetworkDefaults, env: Environment, issues: list[ConfigIssue]
) -> tuple[bool, NatGateways]:
    """How the tasks reach the internet: (public IPv4 addresses of their own, NAT gateways),
    refusing public addresses outside dev and a NAT gateway beside them."""
    public_ips = (
        network.task_public_ips if network.task_public_ips is not None else defaults.task_public_ips
    )
    if public_ips and env != "dev":
        issues.append(
            ConfigIssue(
                "network.taskPublicIps",
                True,
                f"tasks with public IPv4 addresses are a dev-only saving; {env} keeps them in "
                "private subnets (control ECS.2)",
                "false (or unset)",
            )
        )
    nat = network.nat_gateways or ("none" if public_ips else defaults.nat_gateways)
    if public_ips and nat != "none":
        issues.append(
            ConfigIssue(
                "network.natGateways",
                nat,
                "network.taskPublicIps is on: the tasks reach the internet by their own "
                "addresses, and a NAT gateway would be paid for nothing",
                "none, or network.taskPublicIps: false",
            )
        )
    return public_ips, nat


def _check_without_egress(
    nat: NatGateways,
    endpoints: tuple[InterfaceEndpoint, ...],
    images: Iterable[str],
    endpoints_needed: Iterable[InterfaceEndpoint],
    issues: list[ConfigIssue],
) -> None:
    """Tasks without internet egress reach AWS through interface endpoints only, and pull
    images from ECR only."""
    needed = [*REQUIRED_WITHOUT_NAT, *endpoints_needed]
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
    foreign = sorted({image for image in images if ".dkr.ecr." not in image})
    if foreign:
        issues.append(
            ConfigIssue(
                "network.natGateways",
                nat,
                f"images outside ECR need internet egress: {', '.join(foreign)}",
                "single or onePerAz, or push the images to ECR",
            )
        )


def _check_existing_vpc(existing: ExistingVpc, edge_enabled: bool, issues: list[ConfigIssue]):
    private, public = list(existing.private_subnet_ids), list(existing.public_subnet_ids)
    subnet_keys = [
        ("privateSubnetIds", private, "private", True),
        ("publicSubnetIds", public, "public", edge_enabled),
    ]
    if existing.vpc_id is None:
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
                    ids if ids else MISSING,
                    f"fewer than 2 subnets: the {'ALB' if kind == 'public' else 'tasks'} would "
                    "run in a single Availability Zone",
                    f"at least 2 {kind} subnet ids in different AZs",
                )
            )
        elif len(set(ids)) != len(ids):
            issues.append(
                ConfigIssue(key, ids, "the same subnet is listed twice", "distinct subnet ids")
            )
    overlap = sorted(set(private) & set(public))
    if overlap:
        issues.append(
            ConfigIssue(
                "publicSubnetIds",
                overlap,
                "also listed in privateSubnetIds",
                "public subnets (route to an internet gateway) distinct from the private ones",
            )
        )
