"""Stack configuration models: data shaped like the `Pulumi.<stack>.yaml` keys.

Keys are camelCase as Pulumi users write them (`pulumi config set --path
'serviceOverrides.aw-pdp-service.cpu' 2048`); fields are snake_case. These models only check
shapes, types and single-field formats; rules spanning fields and environment defaults live in
`resolve.py`. No AWS look-ups happen here.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from policy.controls_catalog import CONTROLS, canonical_control

from .cost_levers import OffHoursScalingConfig
from .defaults import Environment
from .network_edge import EdgeConfig, NetworkConfig, PathPattern
from .platform_data import (
    AlarmsConfig,
    CacheConfig,
    DatabaseConfig,
    DocumentsConfig,
    KeycloakConfig,
    RegistryConfig,
    SecretsConfig,
)

# ---------------------------------------------------------------------------------------------
# Formats. Each validator raises ValueError with "allowed: ..." so the error names what is valid.
# ---------------------------------------------------------------------------------------------

_PATTERNS = {
    "vpc": (re.compile(r"^vpc-([0-9a-f]{8}|[0-9a-f]{17})$"), "vpc- followed by 8 or 17 hex digits"),
    "subnet": (
        re.compile(r"^subnet-([0-9a-f]{8}|[0-9a-f]{17})$"),
        "subnet- followed by 8 or 17 hex digits",
    ),
    "sg": (re.compile(r"^sg-([0-9a-f]{8}|[0-9a-f]{17})$"), "sg- followed by 8 or 17 hex digits"),
    "target_group_arn": (
        re.compile(
            r"^arn:aws(-[a-z]+)*:elasticloadbalancing:[a-z]{2}(-[a-z]+)+-\d:\d{12}:"
            r"targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$"
        ),
        "arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<16 hex digits>",
    ),
    "secret_ref": (
        re.compile(
            r"^arn:aws(-[a-z]+)*:(secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]+"
            r"(:[A-Za-z0-9_.-]*:[A-Za-z0-9_-]*:[A-Za-z0-9_-]*)?"
            r"|ssm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:parameter/[A-Za-z0-9/_.-]+)$"
        ),
        "a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>"
        "[:<json-key>:<stage>:<version>]) or an SSM parameter ARN",
    ),
    "image_tag": (
        re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"),
        "1 to 128 characters: letters, digits, '_', '.', '-', not starting with '.' or '-'",
    ),
    "registry": (
        re.compile(r"^[a-z0-9]+([.-][a-z0-9]+)*(:\d+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$"),
        "a registry host with an optional path, lower case, no scheme and no trailing '/' "
        "(e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/accessweaver)",
    ),
    "image": (
        re.compile(
            r"^[a-z0-9]+([.-][a-z0-9]+)*(:\d+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
            r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$"
        ),
        "a full image reference with a tag or digest (e.g. quay.io/keycloak/keycloak:26.0)",
    ),
    "env_name": (
        re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$"),
        "letters, digits and '_', not starting with a digit",
    ),
    "health_path": (
        re.compile(r"^/[A-Za-z0-9/_.~%-]*$"),
        "an absolute URL path such as /actuator/health",
    ),
    "region": (re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$"), "an AWS region such as eu-west-1"),
}


def _format(kind: str):
    pattern, allowed = _PATTERNS[kind]

    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"malformed {kind.replace('_', ' ')}; allowed: {allowed}")
        return value

    return AfterValidator(check)


VpcId = Annotated[str, _format("vpc")]
SubnetId = Annotated[str, _format("subnet")]
SecurityGroupId = Annotated[str, _format("sg")]
TargetGroupArn = Annotated[str, _format("target_group_arn")]
SecretRef = Annotated[str, _format("secret_ref")]
ImageTag = Annotated[str, _format("image_tag")]
Registry = Annotated[str, _format("registry")]
Image = Annotated[str, _format("image")]
EnvName = Annotated[str, _format("env_name")]
HealthPath = Annotated[str, _format("health_path")]
Region = Annotated[str, _format("region")]
ServiceName = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$",
        description="2-32 lower-case letters, digits and '-'",
    ),
]

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip


def _check_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(
            "not a retention CloudWatch Logs accepts; "
            f"allowed: {', '.join(map(str, LOG_RETENTION_DAYS))}"
        )
    return days


def _check_tags(tags: dict[str, str]) -> dict[str, str]:
    problems = [
        f"{key!r}"
        for key, value in tags.items()
        if not key or len(key) > 128 or key.lower().startswith("aws:") or len(value) > 256
    ]
    if problems:
        raise ValueError(
            f"bad tag(s) {', '.join(problems)}; allowed: keys of 1-128 characters not starting "
            "with 'aws:', values up to 256 characters"
        )
    return tags


LogRetention = Annotated[int, AfterValidator(_check_retention)]
Tags = Annotated[dict[str, str], AfterValidator(_check_tags)]
Percent = Annotated[int, Field(ge=1, le=100)]


DEFAULT_LOG_GROUP_PREFIX = "/ecs/{project}-{env}"
"""Log groups are `<prefix>/<service>`; `{project}` and `{env}` are replaced per stack."""
_LOG_GROUP_PREFIX = re.compile(r"^(/([A-Za-z0-9._#-]|\{project\}|\{env\})+)+$")


def _check_log_group_prefix(value: str) -> str:
    if not _LOG_GROUP_PREFIX.match(value) or len(value) > 200:
        raise ValueError(
            "not a log group path; allowed: up to 200 characters starting with '/', segments of "
            "letters, digits, '.', '_', '-', '#' and the placeholders {project} and {env}, "
            "no trailing '/' (e.g. /ecs/{project}/{env})"
        )
    missing = [p for p in ("{project}", "{env}") if p not in value]
    if missing:
        # A fixed prefix names the same log groups in every stack and every project that copies
        # it: the second `pulumi up` in the account fails on groups that already exist.
        raise ValueError(
            f"without {' and '.join(missing)} two stacks (dev and prod, or another project) "
            "would create the same log groups; allowed: a path holding both {project} and {env}, "
            "e.g. /ecs/{project}/{env}"
        )
    return value


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=False,
        strict=False,
    )


# ---------------------------------------------------------------------------------------------
# Service catalog
# ---------------------------------------------------------------------------------------------


class TaskSize(_Model):
    """Size and count of one service in one environment."""

    cpu: int = Field(description="Fargate CPU units (256 = 0.25 vCPU).")
    memory: int = Field(description="Task memory in MiB; must pair with cpu (Fargate table).")
    desired_count: int = Field(ge=0, le=1000, description="Tasks to run (autoscaling minimum).")


class ServiceSpec(_Model):
    """One microservice of the system: what it is, not how big it runs in a given stack."""

    description: str = Field("", max_length=200, description="Free text shown in outputs.")
    port: int = Field(ge=1, le=65535, description="Container port the service listens on.")
    public: bool = Field(False, description="Reached through the ALB (true) or internal only.")
    health_check_path: HealthPath = Field(
        "/actuator/health", description="HTTP path answering 200 when the service is healthy."
    )
    criticality: Literal["critical", "important", "moderate"] = Field(
        "important", description="Operational priority, tagged on every resource."
    )
    spring_boot: bool = Field(
        False,
        description="Spring Boot service: sets SPRING_PROFILES_ACTIVE and gets an application.yml.",
    )
    deploy_order: int = Field(100, ge=0, le=10000, description="Lower deploys first.")
    image: Image | None = Field(
        None, description="Full image reference; default <containerRegistry>/<name>:<imageTag>."
    )
    command: list[str] | None = Field(None, description="Container command, if not the image's.")
    user: str = Field(
        "1000",
        pattern=r"^[A-Za-z0-9_-]+(:[A-Za-z0-9_-]+)?$",
        description="Non-root user (uid[:gid]) the container runs as.",
    )
    stop_timeout: int = Field(
        120, ge=2, le=120, description="Seconds between SIGTERM and SIGKILL (Fargate max 120)."
    )
    environment: dict[EnvName, str] = Field(
        default_factory=dict, description="Plain environment variables of this service."
    )
    secrets: dict[EnvName, SecretRef] = Field(
        default_factory=dict,
        description="Environment variables read from Secrets Manager/SSM (name -> ARN).",
    )
    sizes: dict[Environment, TaskSize] = Field(
        description="CPU, memory and task count per environment."
    )
    path_patterns: list[PathPattern] = Field(
        default_factory=list,
        description="ALB path patterns routed to this public service (e.g. /api/*); max 5.",
    )
    priority: int | None = Field(
        None,
        ge=1,
        le=49999,
        description="Listener-rule priority (lower is evaluated first); unset = 1000, 1010, ... "
        "in name order.",
    )
    default_route: bool = Field(
        False,
        description="Receives every request no path pattern matches (one public service at most).",
    )
    health_check_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port answering health checks (container and ALB) when not `port` "
        "(Keycloak: its management port 9000).",
    )
    health_check_command: list[str] | None = Field(
        None,
        min_length=2,
        description="Container health check command (CMD/CMD-SHELL form); default curl on the "
        "health path, for images without curl.",
    )
    writable_paths: list[Annotated[str, Field(pattern=r"^/[A-Za-z0-9/_.-]+$")]] = Field(
        default_factory=list,
        description="Writable volumes besides /tmp (the root filesystem is read-only).",
    )


class ServiceOverride(_Model):
    """Per-stack changes to one catalog service (seed: `service_overrides`)."""

    cpu: int | None = Field(None, description="Fargate CPU units.")
    memory: int | None = Field(None, description="Memory in MiB.")
    desired_count: int | None = Field(None, ge=0, le=1000, description="Task count.")
    min_capacity: int | None = Field(None, ge=0, le=1000, description="Autoscaling minimum.")
    max_capacity: int | None = Field(None, ge=1, le=1000, description="Autoscaling maximum.")
    image: Image | None = Field(None, description="Full image reference for this service.")
    environment: dict[EnvName, str] = Field(
        default_factory=dict, description="Extra plain environment variables."
    )
    secrets: dict[EnvName, SecretRef] = Field(
        default_factory=dict, description="Extra secrets (name -> ARN)."
    )
    target_group_arn: TargetGroupArn | None = Field(
        None, description="Existing ALB target group to register tasks with."
    )


# ---------------------------------------------------------------------------------------------
# Policy waivers (policy/accessweaver_policies.py reads them at preview time)
# ---------------------------------------------------------------------------------------------


def _check_control(value: str) -> str:
    control = canonical_control(value)
    if control is None:
        raise ValueError(f"unknown control; allowed: {', '.join(CONTROLS)}")
    return control


def _check_waivers(waivers: list[PolicyWaiver]) -> list[PolicyWaiver]:
    seen = [(w.control, w.resource) for w in waivers]
    twice = sorted({f"{c} on {r}" for c, r in seen if seen.count((c, r)) > 1})
    if twice:
        raise ValueError(
            f"waived twice: {', '.join(twice)}; allowed: one waiver per control and resource"
        )
    return waivers


def _check_resource_pattern(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.:/*?\[\]-]{1,200}", value):
        raise ValueError(
            "not a resource name or glob; allowed: the resource's logical name as the offline "
            "plan shows it, '*' and '?' as wildcards (e.g. aw-pap-service-*)"
        )
    return value


def _check_reason(value: str) -> str:
    if not 10 <= len(value.strip()) <= 500:
        raise ValueError(
            "a waiver needs its reason; allowed: a sentence of 10 to 500 characters saying why"
        )
    return value.strip()


class PolicyWaiver(_Model):
    """One documented exception to a control of the policy pack (shown on every preview)."""

    control: Annotated[str, AfterValidator(_check_control)] = Field(
        description="Control ID from policy/controls_catalog.py (ECS.2, REL.3, ...)."
    )
    resource: Annotated[str, AfterValidator(_check_resource_pattern)] = Field(
        description="Logical name of the resource, or a glob over names (aw-pap-service-*)."
    )
    reason: Annotated[str, AfterValidator(_check_reason)] = Field(
        description="Why the control is waived, and until when or what would lift it."
    )


# ---------------------------------------------------------------------------------------------
# The whole stack
# ---------------------------------------------------------------------------------------------


class StackConfig(_Model):
    """Everything a stack file may set under the project's namespace."""

    project_name: str | None = Field(
        None,
        pattern=r"^[a-z][a-z0-9-]{1,23}$",
        description="Prefix of every name; defaults to the Pulumi project name.",
    )
    environment: Environment = Field(description="dev, staging or prod: selects the defaults.")
    vpc_id: VpcId | None = Field(
        None, description="Existing VPC the services run in; required unless network.createVpc."
    )
    private_subnet_ids: list[SubnetId] = Field(
        default_factory=list,
        description="Existing private subnets for the tasks (at least 2, in different AZs); "
        "required unless network.createVpc.",
    )
    public_subnet_ids: list[SubnetId] = Field(
        default_factory=list,
        description="Existing public subnets for the ALB (at least 2 AZs); required when "
        "edge.enabled and not network.createVpc.",
    )
    network: NetworkConfig = Field(
        default_factory=NetworkConfig, description="Create the VPC or use an existing one."
    )
    edge: EdgeConfig = Field(
        default_factory=EdgeConfig, description="The internet-facing ALB the program builds."
    )
    alb_security_group_ids: list[SecurityGroupId] = Field(
        default_factory=list, description="Security groups of the ALB allowed to reach services."
    )
    rds_security_group_id: SecurityGroupId | None = Field(
        None, description="Security group of the PostgreSQL database (port 5432)."
    )
    redis_security_group_id: SecurityGroupId | None = Field(
        None, description="Security group of the Redis cluster (port 6379)."
    )
    container_registry: Registry | None = Field(
        None,
        description="Registry and path prefix of the images; default: the repositories the "
        "stack creates (registry.enabled).",
    )
    image_tag: ImageTag = Field("latest", description="Image tag deployed for every service.")
    services: dict[ServiceName, ServiceSpec] | None = Field(
        None, description="The service catalog; default: the AccessWeaver services."
    )
    service_overrides: dict[str, ServiceOverride] = Field(
        default_factory=dict, description="Per-service changes keyed by catalog name."
    )
    auto_scaling_enabled: bool = Field(True, description="Target-tracking autoscaling.")
    scaling_cpu_target: Percent | None = Field(None, description="CPU % autoscaling aims for.")
    scaling_memory_target: Percent | None = Field(None, description="Memory % target.")
    min_capacity_override: int | None = Field(
        None, ge=0, le=1000, description="Autoscaling minimum for every service."
    )
    max_capacity_override: int | None = Field(
        None, ge=1, le=1000, description="Autoscaling maximum for every service."
    )
    common_environment_variables: dict[EnvName, str] = Field(
        default_factory=dict, description="Plain environment variables of every service."
    )
    common_secrets: dict[EnvName, SecretRef] = Field(
        default_factory=dict, description="Secrets (name -> ARN) injected into every service."
    )
    container_insights_enabled: bool | None = Field(
        None, description="Container Insights; unset = per environment."
    )
    enable_fargate_spot: bool | None = Field(None, description="Fargate Spot; unset = per env.")
    fargate_spot_percentage: Annotated[int, Field(ge=0, le=100)] | None = Field(
        None, description="Share of tasks on Spot when Spot is on; unset = per environment."
    )
    log_retention_days: LogRetention | None = Field(
        None, description="CloudWatch Logs retention; unset = per environment."
    )
    log_group_prefix: Annotated[str, AfterValidator(_check_log_group_prefix)] = Field(
        DEFAULT_LOG_GROUP_PREFIX,
        description="Path of the services' log groups (`<prefix>/<service>`); {project} and {env} "
        "are replaced, and both are required so that no two stacks share a log group.",
    )
    enable_xray_tracing: bool | None = Field(None, description="X-Ray sidecar; unset = per env.")
    target_group_arns: dict[str, TargetGroupArn] = Field(
        default_factory=dict, description="Existing target groups keyed by service name."
    )
    health_check_grace_period: int | None = Field(
        None, ge=0, le=2147483647, description="Seconds ECS ignores LB health checks after start."
    )
    deployment_circuit_breaker: bool = Field(
        True, description="Stop and roll back failing deployments."
    )
    enable_execute_command: bool | None = Field(None, description="ECS Exec; unset = per env.")
    cpu_architecture: Literal["X86_64", "ARM64"] = Field(
        "X86_64", description="Task CPU architecture (ARM64 = Graviton)."
    )
    # Cost levers and budget (cost_levers.py, components/cost).
    off_hours_scaling: OffHoursScalingConfig = Field(
        default_factory=OffHoursScalingConfig,
        description="Scale the services to zero outside working hours; on by default in dev.",
    )
    monthly_budget_usd: float | None = Field(
        None,
        gt=0,
        le=10_000_000,
        description="Monthly budget in USD; an estimated_monthly_cost above it is a policy "
        "violation. Unset = no budget check.",
    )
    additional_tags: Tags = Field(default_factory=dict, description="Tags on every resource.")
    policy_waivers: Annotated[list[PolicyWaiver], AfterValidator(_check_waivers)] = Field(
        default_factory=list,
        description="Documented exceptions to the policy pack's controls: control, resource "
        "(name or glob), reason; each is reported on every preview.",
    )
    # The platform pieces (platform_data.py): each switchable per stack, unset = per environment.
    database: DatabaseConfig | None = Field(None, description="RDS PostgreSQL.")
    cache: CacheConfig | None = Field(None, description="ElastiCache Redis.")
    secrets: SecretsConfig | None = Field(None, description="Generated secrets.")
    keycloak: KeycloakConfig | None = Field(None, description="Keycloak on ECS.")
    documents: DocumentsConfig | None = Field(None, description="The documents S3 bucket.")
    registry: RegistryConfig | None = Field(None, description="ECR repositories per service.")
    alarms: AlarmsConfig | None = Field(None, description="Alarm topic, alarms, dashboard.")
    protect_stateful_resources: bool | None = Field(
        None,
        description="protect=True on data stores, buckets, keys, repositories and secrets; "
        "unset = per environment (on in staging and prod).",
    )
