"""Stack configuration models: data shaped like the `Pulumi.<stack>.yaml` keys.

Keys are camelCase as Pulumi users write them (`pulumi config set --path
'serviceOverrides.aw-pdp-service.cpu' 2048`); fields are snake_case. These models only check
shapes, types and single-field formats; rules spanning fields and environment defaults live in
`resolve.py`; each section's model lives beside its domain (`components/<domain>/config.py`).
No AWS look-ups happen here.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from ..compute.config import (
    DeploymentConfig,
    HealthProbeConfig,
    OffHoursScalingConfig,
    RegistryConfig,
    RestartPolicyConfig,
    ServiceConnectConfig,
    ServiceOverride,
    ServiceSpec,
    TaskSpec,
)
from ..controls import CONTROLS, canonical_control
from ..data.config import (
    CacheConfig,
    DatabaseConfig,
    DocumentsConfig,
    FileSystemConfig,
    QueueConfig,
)
from ..edge.config import EdgeConfig, NetworkLoadBalancerConfig
from ..formats import (
    DEFAULT_LOG_GROUP_PREFIX,
    ConfigModel,
    Environment,
    EnvName,
    Flag,
    ImageTag,
    LogRetention,
    Percent,
    PolicyArn,
    QueueName,
    Registry,
    SecretRef,
    SecurityGroupId,
    ServiceName,
    SubnetId,
    Tags,
    TargetGroupArn,
    VpcId,
    check_log_group_prefix,
)
from ..identity.config import KeycloakConfig, SecretsConfig
from ..network.config import NetworkConfig
from ..observability.config import AlarmsConfig
from ..resilience.config import FaultInjectionConfig
from .quotas import QuotasConfig

FileSystemName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")]

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


class PolicyWaiver(ConfigModel):
    """One documented exception to a control of the policy pack (shown on every preview)."""

    control: Annotated[str, AfterValidator(_check_control)] = Field(
        description="Control ID from components/controls.py (ECS.2, REL.3, ...)."
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


class StackConfig(ConfigModel):
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
        "edge.enabled (internet-facing) or an internet-facing networkLoadBalancer, and not "
        "network.createVpc.",
    )
    network: NetworkConfig = Field(
        default_factory=NetworkConfig, description="Create the VPC or use an existing one."
    )
    edge: EdgeConfig = Field(
        default_factory=EdgeConfig,
        description="The ALB the program builds (internet-facing, or internal: edge.internal).",
    )
    network_load_balancer: NetworkLoadBalancerConfig = Field(
        default_factory=NetworkLoadBalancerConfig,
        description="A Network Load Balancer in front of TCP services (listeners per service).",
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
    image_tag: ImageTag | None = Field(
        None,
        description="Pins every image built into the stack's repositories to this tag instead "
        "of the release record's digests (seed: image_tag); unset = the release the deploy "
        "recorded. `latest` is refused with the stack's own repositories (immutable tags: CI "
        "pushes each commit's SHA, never `latest`).",
    )
    permissions_boundary_arn: PolicyArn | None = Field(
        None,
        description="Permissions boundary of every IAM role the stack creates (the bootstrap's "
        "output permissions_boundary_arn; its deploy role creates no role without it). "
        "Required unless permissionsBoundaryOptOut says why not.",
    )
    permissions_boundary_opt_out: str | None = Field(
        None,
        min_length=20,
        max_length=500,
        description="Why this stack's roles carry no permissions boundary: only for a program "
        "the bootstrap's deploy role does not deploy (an account of its own, run by an "
        "administrator). A stack the bootstrap deploys sets permissionsBoundaryArn instead.",
    )
    base_catalog: Literal["accessweaver", "none"] | None = Field(
        None,
        description="The catalog `services` extends: accessweaver (the five AccessWeaver "
        "services) or none; unset = the catalog named like the project, if any (accessweaver "
        "for this repository's project, none for another system's).",
    )
    services: dict[ServiceName, ServiceSpec] | None = Field(
        None,
        description="Services added to the base catalog, or changes to one of its services key "
        "by key (enabled: false removes it); adding a service never drops the others.",
    )
    tasks: dict[ServiceName, TaskSpec] = Field(
        default_factory=dict,
        description="Containers that run to completion: on a schedule, before each deploy (a "
        "schema migration) or by hand (`python -m tools.ops run`).",
    )
    health_probe: HealthProbeConfig = Field(
        default_factory=HealthProbeConfig,
        description="The health probe task (`health-probe`): the deploy's gate runs it after "
        "each pulumi up, and on a schedule in staging and prod.",
    )
    file_systems: dict[FileSystemName, FileSystemConfig] = Field(
        default_factory=dict,
        description="EFS file systems the services mount (efsVolumes): created by the stack "
        "(encrypted, backed up, TLS only) or existing (fileSystemId).",
    )
    queues: dict[QueueName, QueueConfig] = Field(
        default_factory=dict,
        description="Tuning of the work queues the services consume (uses.consumes).",
    )
    service_overrides: dict[str, ServiceOverride] = Field(
        default_factory=dict, description="Per-service changes keyed by catalog name."
    )
    auto_scaling_enabled: Flag = Field(True, description="Target-tracking autoscaling.")
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
    container_insights_enabled: Flag | None = Field(
        None, description="Container Insights; unset = per environment."
    )
    enable_fargate_spot: Flag | None = Field(None, description="Fargate Spot; unset = per env.")
    fargate_spot_percentage: Annotated[int, Field(ge=0, le=100)] | None = Field(
        None, description="Share of tasks on Spot when Spot is on; unset = per environment."
    )
    log_retention_days: LogRetention | None = Field(
        None, description="CloudWatch Logs retention of the services; unset = per environment."
    )
    security_log_retention_days: LogRetention | None = Field(
        None,
        description="Days flow logs, WAF logs, S3 access logs and ECS Exec sessions are kept; "
        "unset = per environment (30 / 90 / 365); at least 365 in prod (LOG.1).",
    )
    audit_log_retention_days: LogRetention | None = Field(
        None,
        description="Days Keycloak's log group and PostgreSQL's exported logs are kept (who "
        "signed in, what the database refused); unset = per environment (7 / 90 / 365); at "
        "least 365 in prod (LOG.2).",
    )
    log_group_prefix: Annotated[str, AfterValidator(check_log_group_prefix)] = Field(
        DEFAULT_LOG_GROUP_PREFIX,
        description="Path of the services' log groups (`<prefix>/<service>`); {project} and {env} "
        "are replaced, and both are required so that no two stacks share a log group.",
    )
    enable_xray_tracing: Flag | None = Field(None, description="X-Ray sidecar; unset = per env.")
    target_group_arns: dict[str, TargetGroupArn] = Field(
        default_factory=dict, description="Existing target groups keyed by service name."
    )
    container_health_check: Literal["curl", "thc"] = Field(
        "curl",
        description="Tool the HTTP container checks run in the image: `curl` (CMD-SHELL, needs "
        "/bin/sh and curl) or `thc` (`/workspace/health-check`, Paketo's health checker: "
        "Spring Boot build-image with BP_HEALTH_CHECKER_ENABLED=true; no shell). "
        "docs/IMAGE-CONTRACT.md.",
    )
    health_check_grace_period: int | None = Field(
        None, ge=0, le=2147483647, description="Seconds ECS ignores LB health checks after start."
    )
    deployment_circuit_breaker: Flag = Field(
        True, description="Stop and roll back failing deployments."
    )
    enable_execute_command: Flag | None = Field(None, description="ECS Exec; unset = per env.")
    encrypt_ephemeral_storage: Flag | None = Field(
        None,
        description="Fargate encrypts the tasks' ephemeral storage with a key of the cluster's "
        "own (control FARGATE.1, required in staging and prod); unset = per environment.",
    )
    service_connect: ServiceConnectConfig = Field(
        default_factory=ServiceConnectConfig,
        description="ECS Service Connect between the services (unset: only where a called "
        "service shifts traffic; off: Cloud Map DNS records).",
    )
    deployment: DeploymentConfig = Field(
        default_factory=DeploymentConfig,
        description="How new revisions roll out (ROLLING, BLUE_GREEN, LINEAR, CANARY); per "
        "service in serviceOverrides.<name>.deployment.",
    )
    restart_policy: RestartPolicyConfig = Field(
        default_factory=RestartPolicyConfig,
        description="Restart an exited essential container in place (on by default); per service "
        "in serviceOverrides.<name>.restartPolicy.",
    )
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
    # The platform pieces (platform_settings.py): each switchable per stack, unset = per env.
    database: DatabaseConfig | None = Field(None, description="RDS PostgreSQL.")
    cache: CacheConfig | None = Field(None, description="ElastiCache Redis.")
    secrets: SecretsConfig | None = Field(None, description="Generated secrets.")
    keycloak: KeycloakConfig | None = Field(None, description="Keycloak on ECS.")
    documents: DocumentsConfig | None = Field(None, description="The documents S3 bucket.")
    registry: RegistryConfig | None = Field(None, description="ECR repositories per service.")
    alarms: AlarmsConfig | None = Field(None, description="Alarm topic, alarms, dashboard.")
    fault_injection: FaultInjectionConfig = Field(
        default_factory=FaultInjectionConfig,
        description="AWS FIS experiment templates, run on demand (stop tasks, cut one AZ off, "
        "fail the database and the cache over); on by default in staging and prod.",
    )
    quotas: QuotasConfig = Field(
        default_factory=QuotasConfig,
        description="The account's AWS quotas where raised above the defaults (rules per "
        "security group, security groups per network interface, rules per ALB).",
    )
    protect_stateful_resources: Flag | None = Field(
        None,
        description="protect=True on data stores, buckets, keys, repositories and secrets; "
        "unset = per environment (on in staging and prod).",
    )
