"""Stack-config models of what runs on the cluster: a catalog service (`services.<name>`), its
per-stack changes (`serviceOverrides.<name>`), the image repositories (`registry`) and the
working-hours schedule (`offHoursScaling`).

These models only check shapes, types and single-field formats; the rules spanning keys live
in `components/stack/resolve.py` and the modules its steps live in (`service_*.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, model_validator

from ..formats import (
    AccountId,
    ConfigModel,
    EcrPath,
    Environment,
    EnvName,
    Flag,
    HealthPath,
    Image,
    PathPattern,
    SecretRef,
    TargetGroupArn,
)
from .arguments import PORT_MAX, PORT_MIN
from .config_containers import (
    Calls,
    CapacityShareConfig,
    ContainerName,
    ContainerPath,
    ContainerUser,
    DependencyCondition,
    EfsVolumeConfig,
    FireLensConfig,
    KmsKeyArn,
    RepositoryCredentialsConfig,
    SecretsManagerArn,
    SidecarConfig,
    WorkloadSecrets,
    WritablePaths,
)
from .config_rollout import (
    BakeMinutes,
    CanaryConfig,
    CanaryPercent,
    DeploymentConfig,
    HookStage,
    LifecycleHookConfig,
    LinearConfig,
    LinearPercent,
    PredictiveConfig,
    RestartPolicyConfig,
    ServiceConnectConfig,
    ServiceScalingConfig,
)
from .config_schedule import (
    HOURS_PER_MONTH,
    OFF_HOURS_DEFAULTS,
    WEEKDAYS,
    WEEKS_PER_MONTH,
    ClockTime,
    OffHoursScalingConfig,
    OffHoursSettings,
    ScheduleExpression,
    TaskScheduleConfig,
    TimeZone,
    Weekday,
)
from .config_tasks import (
    HEALTH_PROBE_SCHEDULED,
    DocumentsAccess,
    HealthProbeConfig,
    ServiceUses,
    TaskSizeConfig,
    TaskSpec,
    TaskUses,
)

__all__ = [
    "HEALTH_PROBE_SCHEDULED",
    "HOURS_PER_MONTH",
    "MAX_QUERY_STRING_KB",
    "MAX_REQUEST_BODY_KB",
    "OFF_HOURS_DEFAULTS",
    "SPRING_HEALTH_PATH",
    "SPRING_LIVENESS_PATH",
    "WEEKDAYS",
    "WEEKS_PER_MONTH",
    "BakeMinutes",
    "CanaryConfig",
    "CanaryPercent",
    "CapacityShareConfig",
    "ClockTime",
    "ContainerName",
    "ContainerPath",
    "DependencyCondition",
    "DeploymentConfig",
    "DocumentsAccess",
    "EfsVolumeConfig",
    "FireLensConfig",
    "HeaderName",
    "HealthProbeConfig",
    "HookStage",
    "KmsKeyArn",
    "LifecycleHookConfig",
    "LinearConfig",
    "LinearPercent",
    "OffHoursScalingConfig",
    "OffHoursSettings",
    "PredictiveConfig",
    "RateKeyHeader",
    "RateLimitConfig",
    "RegistryConfig",
    "RegistrySettings",
    "RepositoryCredentialsConfig",
    "RestartPolicyConfig",
    "ScheduleExpression",
    "SecretsManagerArn",
    "ServiceConnectConfig",
    "ServiceOverride",
    "ServiceScalingConfig",
    "ServiceSpec",
    "ServiceTuning",
    "ServiceUses",
    "SidecarConfig",
    "TaskScheduleConfig",
    "TaskSize",
    "TaskSizeConfig",
    "TaskSpec",
    "TaskUses",
    "TimeZone",
    "Weekday",
]


class ServiceTuning(ConfigModel):
    """What a catalog entry and a stack's override may both set for one service."""

    cpu_architecture: Literal["X86_64", "ARM64"] | None = Field(
        None,
        description="This service's CPU architecture (every image of its task must have it); "
        "unset = the stack's cpuArchitecture.",
    )
    capacity_provider_strategy: list[CapacityShareConfig] | None = Field(
        None,
        min_length=1,
        max_length=2,
        description="This service's FARGATE/FARGATE_SPOT weights and base; unset = the "
        "stack's Spot share.",
    )
    ephemeral_storage_gib: int | None = Field(
        None,
        ge=21,
        le=200,
        description="Task ephemeral storage in GiB (21-200, priced above the 20 included); "
        "unset = 20.",
    )
    repository_credentials: RepositoryCredentialsConfig | None = Field(
        None, description="Credentials of the private registry its image is pulled from."
    )
    sidecars: list[SidecarConfig] | None = Field(
        None, max_length=8, description="Containers of one's own beside the application."
    )
    firelens: FireLensConfig | None = Field(
        None, description="Route its logs through a Fluent Bit log router (FireLens)."
    )
    efs_volumes: list[EfsVolumeConfig] | None = Field(
        None, max_length=8, description="EFS file systems mounted in the application container."
    )

    deployment: DeploymentConfig | None = Field(
        None, description="This service's rollout; unset keys follow the stack's `deployment`."
    )
    restart_policy: RestartPolicyConfig | None = Field(
        None, description="This service's container restarts; unset keys follow the stack's."
    )
    scaling: ServiceScalingConfig | None = Field(
        None, description="Request-count and predictive scaling of this service."
    )


class TaskSize(ConfigModel):
    """Size and count of one service in one environment."""

    cpu: int = Field(description="Fargate CPU units (256 = 0.25 vCPU).")
    memory: int = Field(description="Task memory in MiB; must pair with cpu (Fargate table).")
    desired_count: int = Field(ge=0, le=1000, description="Tasks to run (autoscaling minimum).")


SPRING_HEALTH_PATH = "/actuator/health/readiness"
"""A Spring Boot service's load balancer and health probe ask its readiness group (the
application's own state, no external system: docs/DESIGN.md, "Health that means the right
thing")."""
SPRING_LIVENESS_PATH = "/actuator/health/liveness"
"""Its container check asks the liveness group: a failing one restarts the task."""

HeaderName = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
]
"""An HTTP header name (RFC 9110 token), at most 64 characters (WAF's custom key)."""
MAX_REQUEST_BODY_KB = 1024 * 1024
"""1 GiB: the web ACL compares Content-Length with a regex of at most 200 characters."""
MAX_QUERY_STRING_KB = 16
"""The ALB refuses request lines over 16 KiB (ELB quotas, "HTTP headers")."""


class RateKeyHeader(ConfigModel):
    """`rateLimit.key: {header: Name}`: count per value of a request header."""

    header: HeaderName = Field(
        description="The header whose value identifies a client (e.g. Authorization: one "
        "count per bearer token, or X-Client-Id); header names are matched case-insensitively."
    )


class RateLimitConfig(ConfigModel):
    """`services.<name>.rateLimit`: the web ACL counts this route's requests per client key,
    apart from the stack-wide per-address limit (`edge.waf.rateLimit`)."""

    limit: int = Field(
        ge=10,
        le=2_000_000_000,
        description="Requests one key may send on this service's paths per window before WAF "
        "blocks that key there (WAF: at least 10).",
    )
    window_seconds: Literal[60, 120, 300, 600] = Field(
        300, description="WAF's evaluation window in seconds: 60, 120, 300 or 600."
    )
    key: Literal["ip"] | RateKeyHeader = Field(
        "ip",
        description="What identifies a client: `ip` (its address, as the ALB sees it) or "
        "`{header: Name}` (one count per header value; a request without the header is counted "
        "by address under edge.waf.rateLimit).",
    )
    ip_limit: int | None = Field(
        None,
        ge=10,
        le=2_000_000_000,
        description="With a header key: requests one address may send on these paths per window "
        "whatever the header says (several clients behind one NAT, or made-up header values); "
        "unset = 2 x limit. At least `limit`.",
    )

    @model_validator(mode="after")
    def _ip_limit(self) -> RateLimitConfig:
        if self.ip_limit is not None and self.key == "ip":
            raise ValueError(
                "ipLimit applies to a header key only (with key: ip, limit is already per "
                "address); allowed: remove ipLimit, or key: {header: Name}"
            )
        if self.ip_limit is not None and self.ip_limit < self.limit:
            raise ValueError(
                f"ipLimit {self.ip_limit} is below limit {self.limit}: one client alone behind "
                f"an address would be blocked before its own limit; allowed: at least {self.limit}"
            )
        return self


class ServiceSpec(ServiceTuning):
    """One microservice of the system: what it is, not how big it runs in a given stack."""

    enabled: Flag = Field(
        True,
        description="false removes the service from the stack (a service of the base catalog "
        "included); nothing else about it is built.",
    )
    description: str = Field("", max_length=200, description="Free text shown in outputs.")
    port: int | None = Field(
        None,
        ge=PORT_MIN,
        le=PORT_MAX,
        description="Container port the service listens on; unset = a worker (no load "
        "balancer, no Cloud Map name, no inbound rule; health checked by its command).",
    )
    public: Flag = Field(False, description="Reached through the ALB (true) or internal only.")
    uses: ServiceUses = Field(
        default_factory=ServiceUses,
        description="The platform pieces it needs (database, cache, documents, jwtKey, "
        "keycloak); nothing else reaches it.",
    )
    calls: Calls
    health_check_path: HealthPath | None = Field(
        None,
        description="HTTP path the load balancer and the health probe ask (answering 200 when "
        "the service can take traffic); unset = /actuator/health/readiness for Spring Boot "
        "(whose container check asks /actuator/health/liveness; the aggregate /actuator/health "
        "is refused), /health otherwise (a worker has no HTTP check: healthCheckCommand).",
    )
    criticality: Literal["critical", "important", "moderate"] = Field(
        "important", description="Operational priority, tagged on every resource."
    )
    spring_boot: Flag = Field(
        False,
        description="Spring Boot service: sets SPRING_PROFILES_ACTIVE and gets an application.yml.",
    )
    deploy_order: int = Field(100, ge=0, le=10000, description="Lower deploys first.")
    image: Image | None = Field(
        None, description="Full image reference; default <containerRegistry>/<name>:<imageTag>."
    )
    command: list[str] | None = Field(None, description="Container command, if not the image's.")
    user: ContainerUser
    stop_timeout: int = Field(
        120, ge=2, le=120, description="Seconds between SIGTERM and SIGKILL (Fargate max 120)."
    )
    environment: dict[EnvName, str] = Field(
        default_factory=dict, description="Plain environment variables of this service."
    )
    secrets: WorkloadSecrets
    sizes: dict[Environment, TaskSize] = Field(
        description="CPU, memory and task count per environment."
    )
    path_patterns: list[PathPattern] = Field(
        default_factory=list,
        description="ALB path patterns routed to this public service (e.g. /api/*); max 5.",
    )
    # Bounds are checked with the rule's other limits (`components/edge/routing.py`), so one
    # message names them all and a refused name never reads as "no route".
    host_headers: list[str] = Field(
        default_factory=list,
        description="Host names the ALB routes to this public service (api.example.com, "
        "*.example.com), beside or instead of pathPatterns: a request must match both when both "
        "are given; at most 3, and with pathPatterns at most 5 values and 5 wildcards per rule.",
    )
    priority: int | None = Field(
        None,
        ge=1,
        le=49999,
        description="Listener-rule priority (lower is evaluated first), 10 to 49999 (1-9 are "
        "the edge's guard rules); unset = 1000, 1010, ... in name order.",
    )
    default_route: Flag = Field(
        False,
        description="Receives every request no path pattern matches (one public service at most).",
    )
    max_request_body_kb: int | None = Field(
        None,
        ge=1,
        le=MAX_REQUEST_BODY_KB,
        description="The largest request body (KiB) the service accepts: the web ACL lets bodies "
        "up to it through on this service's paths only and blocks above it (by the declared "
        "Content-Length above 8 KiB, the most WAF inspects behind an ALB); unset = the AWS core "
        "rule set's 8 KiB. Public services; applies where the stack has a WAF.",
    )
    max_query_string_kb: int | None = Field(
        None,
        ge=1,
        le=MAX_QUERY_STRING_KB,
        description="The longest query string (KiB) the service accepts on its paths, as "
        "maxRequestBodyKb; unset = the core rule set's 2 KiB.",
    )
    rate_limit: RateLimitConfig | None = Field(
        None,
        description="The web ACL's rate limit on this service's paths, per client key; unset = "
        "the stack-wide edge.waf.rateLimit per address.",
    )
    health_check_port: int | None = Field(
        None,
        ge=PORT_MIN,
        le=PORT_MAX,
        description="Port answering health checks (container and ALB) when not `port` "
        "(Keycloak: its management port 9000).",
    )
    health_check_command: list[str] | None = Field(
        None,
        min_length=2,
        description="Container health check command (CMD/CMD-SHELL form); default curl on the "
        "health path, for images without curl.",
    )
    writable_paths: WritablePaths


class ServiceOverride(ServiceTuning):
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


class RegistryConfig(ConfigModel):
    """One ECR repository per service (`registry:` key)."""

    enabled: Flag | None = Field(
        None, description="Create the repositories; unset = per environment."
    )
    repository_prefix: str | None = Field(
        None,
        pattern=r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$",
        description="Repository names are <prefix>/<service>; default <project>-<env>.",
    )
    keep_images: int | None = Field(
        None, ge=1, le=1000, description="Tagged images kept per repository."
    )
    pull_account_ids: list[AccountId] = Field(
        default_factory=list,
        description="Accounts whose roles may pull the repositories' images (the next "
        "environment's, which promotes them): a repository policy on each repository.",
    )
    promote_from: EcrPath | None = Field(
        None,
        description="The ECR repositories (<account>.dkr.ecr.<region>.amazonaws.com/<prefix>) "
        "the deploy job copies each commit's images from before `pulumi up`; unset = the "
        "previous stack's in this account (staging <- dev, prod <- staging), none for dev.",
    )


@dataclass(frozen=True)
class RegistrySettings:
    repository_prefix: str
    keep_images: int
    pull_account_ids: tuple[str, ...] = ()
    promote_from: str | None = None
    """Registry path the images are promoted from (None: they are built for this stack)."""
