"""Stack-config models of what runs on the cluster: a catalog service (`services.<name>`), its
per-stack changes (`serviceOverrides.<name>`), the image repositories (`registry`) and the
working-hours schedule (`offHoursScaling`).

These models only check shapes, types and single-field formats; the rules spanning keys live
in `components/stack/resolve.py`.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from ..formats import (
    AccountId,
    ConfigModel,
    EcrPath,
    Environment,
    EnvName,
    Flag,
    HealthPath,
    Image,
    LambdaArn,
    PathPattern,
    QueueName,
    SecretRef,
    TargetGroupArn,
)
from .arguments import PORT_MAX, PORT_MIN
from .deployment import HOOK_STAGES, Strategy

HookStage = Literal[HOOK_STAGES]  # type: ignore[valid-type]


def _percent(low: float) -> AfterValidator:
    """ECS takes traffic shares as multiples of 0.1 between `low` and 100.0."""

    def check(value: float) -> float:
        if not low <= value <= 100.0 or abs(value * 10 - round(value * 10)) > 1e-9:
            raise ValueError(
                f"not a share ECS takes; allowed: {low} to 100.0 in steps of 0.1 (e.g. 10, 12.5)"
            )
        return value

    return AfterValidator(check)


LinearPercent = Annotated[float, _percent(3.0)]
CanaryPercent = Annotated[float, _percent(0.1)]
BakeMinutes = Annotated[int, Field(ge=0, le=1440)]


class LinearConfig(ConfigModel):
    """`deployment.linear`: traffic moves in equal steps."""

    step_percent: LinearPercent = Field(
        10.0, description="Share of traffic moved per step (3.0 to 100.0, multiples of 0.1)."
    )
    step_bake_time_minutes: BakeMinutes = Field(6, description="Minutes between two steps.")


class CanaryConfig(ConfigModel):
    """`deployment.canary`: a share first, then the rest."""

    percent: CanaryPercent = Field(
        5.0, description="Share of traffic the new revision gets first (0.1 to 100.0)."
    )
    bake_time_minutes: BakeMinutes = Field(
        10, description="Minutes at that share before the rest moves."
    )


class LifecycleHookConfig(ConfigModel):
    """A Lambda function ECS invokes at the given stages of every deployment."""

    lambda_arn: LambdaArn = Field(description="The function (it answers SUCCEEDED or FAILED).")
    stages: list[HookStage] = Field(
        min_length=1, description=f"Stages it runs at: {', '.join(HOOK_STAGES)}."
    )


class DeploymentConfig(ConfigModel):
    """`deployment` (per stack) and `services.<name>.deployment` / `serviceOverrides.<name>.
    deployment` (per service): how new revisions roll out. Unset keys fall back service ->
    stack -> environment."""

    strategy: Strategy | None = Field(
        None,
        description="ROLLING, BLUE_GREEN, LINEAR or CANARY (ECS native); the last three for "
        "services behind the program's ALB; unset = per environment (ROLLING / CANARY / "
        "BLUE_GREEN).",
    )
    bake_time_minutes: BakeMinutes | None = Field(
        None,
        description="Minutes both revisions keep running after all traffic moved (instant "
        "rollback); unset = per environment (0 / 5 / 10).",
    )
    linear: LinearConfig | None = Field(None, description="Steps of LINEAR.")
    canary: CanaryConfig | None = Field(None, description="Share and wait of CANARY.")
    lifecycle_hooks: list[LifecycleHookConfig] | None = Field(
        None, max_length=10, description="Lambda hooks at deployment stages (not for ROLLING)."
    )


class RestartPolicyConfig(ConfigModel):
    """`restartPolicy` (per stack) and per service: ECS restarts an exited essential container
    in place instead of replacing the task."""

    enabled: Flag | None = Field(None, description="Restart exited containers; unset = on.")
    ignored_exit_codes: list[Annotated[int, Field(ge=0, le=255)]] | None = Field(
        None, max_length=50, description="Exit codes that are not restarted (at most 50)."
    )
    restart_attempt_period: int | None = Field(
        None,
        ge=60,
        le=1800,
        description="Seconds a container must run before it may be restarted again (60-1800; "
        "unset = 300).",
    )


class PredictiveConfig(ConfigModel):
    """`scaling.predictive`: scale ahead of the forecast daily CPU pattern."""

    mode: Literal["ForecastOnly", "ForecastAndScale"] = Field(
        "ForecastAndScale",
        description="ForecastOnly shows the forecast without acting (start there on a new "
        "service).",
    )
    scheduling_buffer_seconds: int = Field(
        300, ge=0, le=3600, description="How early tasks start before the forecast load."
    )


class ServiceScalingConfig(ConfigModel):
    """`scaling` of one service, beside the stack's CPU and memory target tracking."""

    requests_per_target: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="Requests per task per minute to keep (target tracking on the ALB's "
        "RequestCountPerTarget); services behind the program's ALB.",
    )
    predictive: PredictiveConfig | None = Field(
        None, description="Predictive scaling on CPU (needs 24 hours of history to forecast)."
    )
    backlog_per_task: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="Messages of the queue it consumes per running task to keep (target "
        "tracking on the backlog per task; needs Container Insights).",
    )


class ServiceConnectConfig(ConfigModel):
    """`serviceConnect`: ECS Service Connect beside (instead of) Cloud Map DNS records."""

    enabled: Flag | None = Field(
        None,
        description="true: every service reaches the others through Service Connect's proxy "
        "(same names and ports as the DNS records it replaces); unset: only the services that "
        "are called and deploy BLUE_GREEN, LINEAR or CANARY, with their callers (ECS shifts "
        "their traffic through Service Connect, not through DNS records); false: none, and such "
        "a service is refused.",
    )
    access_logs: Flag = Field(
        True,
        description="The proxy's access logs (JSON, no query strings) in each service's log group.",
    )


ContainerName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")]
DependencyCondition = Literal["START", "COMPLETE", "SUCCESS", "HEALTHY"]
SecretsManagerArn = Annotated[
    str,
    Field(
        pattern=r"^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$"
    ),
]
KmsKeyArn = Annotated[
    str, Field(pattern=r"^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key/[A-Za-z0-9-]+$")
]
ContainerPath = Annotated[str, Field(pattern=r"^/[A-Za-z0-9/_.-]+$")]


class RepositoryCredentialsConfig(ConfigModel):
    """`repositoryCredentials`: pull the image from a private registry (ghcr.io, Docker Hub)."""

    secret_arn: SecretsManagerArn = Field(
        description='Secrets Manager secret holding {"username", "password"} (a token); '
        "the execution role may read this secret only."
    )
    kms_key_arn: KmsKeyArn | None = Field(
        None, description="The secret's customer managed key (kms:Decrypt on it); unset = AWS's."
    )


class SidecarConfig(ConfigModel):
    """One entry of `sidecars`: a container of one's own beside the application."""

    name: ContainerName = Field(description="Container name, unique in the task.")
    image: Image = Field(description="Full image reference with a tag or digest.")
    memory: int = Field(
        ge=6, le=122880, description="Hard limit in MiB, taken from the task's memory."
    )
    cpu: int = Field(0, ge=0, le=16384, description="CPU units reserved (0 = shared).")
    port: int | None = Field(None, ge=1, le=65535, description="Port it listens on (localhost).")
    environment: dict[EnvName, str] = Field(default_factory=dict, description="Plain variables.")
    secrets: dict[EnvName, SecretRef] = Field(
        default_factory=dict, description="Variables read from Secrets Manager/SSM (name -> ARN)."
    )
    essential: Flag = Field(
        True, description="The task stops when it stops; false for an init step."
    )
    health_check: list[str] | None = Field(
        None,
        min_length=2,
        description="Health check command (CMD or CMD-SHELL form); needed to wait for it HEALTHY.",
    )
    command: list[str] | None = Field(None, description="Container command, if not the image's.")
    user: str = Field(
        "1000",
        pattern=r"^[A-Za-z0-9_-]+(:[A-Za-z0-9_-]+)?$",
        description="Non-root user (uid[:gid]).",
    )
    depends_on: dict[ContainerName, DependencyCondition] = Field(
        default_factory=dict,
        description="Other sidecars it waits for -> START, COMPLETE, SUCCESS or HEALTHY.",
    )
    app_waits_for: DependencyCondition | None = Field(
        None, description="The application starts once this sidecar reaches this condition."
    )
    repository_credentials: SecretsManagerArn | None = Field(
        None, description="Secrets Manager ARN of its private registry's credentials."
    )


class FireLensConfig(ConfigModel):
    """`firelens`: route the application's logs through a Fluent Bit log router."""

    output: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")], str] = Field(
        default_factory=dict,
        description="Fluent Bit output options (Name, Host, ...); unset = CloudWatch Logs, the "
        "service's own log group.",
    )
    secret_options: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")], SecretRef] = (
        Field(default_factory=dict, description="Output option -> secret ARN (an API key).")
    )
    image: Image | None = Field(
        None, description="The router's image; unset = AWS for Fluent Bit at the pinned release."
    )
    memory: int = Field(128, ge=6, le=4096, description="The router's hard limit in MiB.")


class EfsVolumeConfig(ConfigModel):
    """One entry of `efsVolumes`: a file system of `fileSystems` mounted in the application."""

    name: ContainerName = Field(description="Task volume name.")
    file_system: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")] = Field(
        description="A key of the stack's `fileSystems`."
    )
    container_path: ContainerPath = Field(description="Where the application sees it.")
    read_only: Flag = Field(False, description="Mount read-only (no ClientWrite).")
    root_directory: Annotated[str, Field(pattern=r"^/[A-Za-z0-9/_.-]{0,99}$")] | None = Field(
        None,
        description="The access point's root directory; unset = /<ECS service name> (e.g. "
        "/accessweaver-dev-orders), never the file system's root.",
    )
    uid: int | None = Field(
        None, ge=1, le=4294967295, description="POSIX uid; unset = the container's."
    )
    gid: int | None = Field(
        None, ge=0, le=4294967295, description="POSIX gid; unset = the container's."
    )
    permissions: Annotated[str, Field(pattern=r"^[0-7]{3,4}$")] = Field(
        "750", description="Mode the root directory is created with."
    )


class CapacityShareConfig(ConfigModel):
    """One entry of `capacityProviderStrategy`."""

    capacity_provider: Literal["FARGATE", "FARGATE_SPOT"] = Field(description="The provider.")
    weight: int = Field(ge=0, le=1000, description="Relative share beyond the bases.")
    base: int = Field(0, ge=0, le=100000, description="Tasks placed here first (one provider).")


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


DocumentsAccess = Literal["read", "readWrite"]
SPRING_HEALTH_PATH = "/actuator/health/readiness"
"""A Spring Boot service's load balancer and health probe ask its readiness group (the
application's own state, no external system: docs/DESIGN.md, "Health that means the right
thing")."""
SPRING_LIVENESS_PATH = "/actuator/health/liveness"
"""Its container check asks the liveness group: a failing one restarts the task."""


class TaskUses(ConfigModel):
    """`tasks.<name>.uses`: the platform pieces a task needs, as a service declares them (a task
    consumes no queue: a queue has one consumer, a service)."""

    database: Flag = Field(
        False,
        description="PostgreSQL: DATABASE_URL (JDBC for Spring Boot, a libpq URI otherwise), "
        "DATABASE_HOST/PORT/NAME/USERNAME/SCHEMA of its own login (created by the platform setup "
        "task), DATABASE_PASSWORD as a secret, the path to its port.",
    )
    cache: Flag = Field(
        False,
        description="Redis: REDIS_HOST, REDIS_PORT, IAM authentication (REDIS_AUTH_MODE, "
        "REDIS_USERNAME, REDIS_CACHE_NAME, REDIS_REGION, elasticache:Connect), the path to "
        "its port.",
    )
    documents: DocumentsAccess | None = Field(
        None,
        description="The documents bucket: DOCUMENTS_BUCKET and read (or readWrite) on its "
        "objects and key in the task role.",
    )
    jwt_key: Flag = Field(False, description="The generated JWT signing key as JWT_SECRET.")
    keycloak: Flag = Field(
        False,
        description="Keycloak: KEYCLOAK_URL (internal, with /auth) and the path to its port, "
        "for services that validate tokens.",
    )
    sends_to: list[QueueName] = Field(
        default_factory=list,
        description="Work queues it puts messages on: <QUEUE>_QUEUE_URL, send only.",
    )


class ServiceUses(TaskUses):
    """`services.<name>.uses`: the platform pieces a service needs. Each brings its environment
    variables, its secrets (by ARN), its network path and its IAM permissions; a service gets
    nothing it does not list. Its own named secrets are its `secrets` key."""

    consumes: QueueName | None = Field(
        None,
        description="The work queue this service consumes (it is the queue's one consumer): "
        "<QUEUE>_QUEUE_URL, receive/delete on it; the program creates the queue and its "
        "dead-letter queue.",
    )


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
    calls: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list,
        description="Catalog services it calls: their URLs in its configuration and the paths "
        "to their ports, nothing else.",
    )
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
    writable_paths: list[Annotated[str, Field(pattern=r"^/[A-Za-z0-9/_.-]+$")]] = Field(
        default_factory=list,
        description="Writable volumes besides /tmp (the root filesystem is read-only).",
    )


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


Weekday = Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
WEEKDAYS: tuple[Weekday, ...] = ("MON", "TUE", "WED", "THU", "FRI")
HOURS_PER_MONTH = 730.0
"""AWS's billing month: 8760 h / 12, the figure every AWS price calculator uses."""
WEEKS_PER_MONTH = HOURS_PER_MONTH / (24 * 7)

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_ZONE_SHAPE = re.compile(r"^(UTC|[A-Za-z_]+(/[A-Za-z0-9_+-]+){1,2}|Etc/GMT[+-]\d{1,2})$")


def _check_clock(value: str) -> str:
    if not _CLOCK.match(value):
        raise ValueError("not a time of day; allowed: HH:MM on a 24-hour clock, e.g. 08:00")
    return value


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _check_zone(value: str) -> str:
    # Application Auto Scaling takes IANA names (Joda-Time's list). The tz database ships with
    # Python's `tzdata`/the OS; without it only the shape can be checked.
    zones = _zones()
    if (zones and value not in zones) or not _ZONE_SHAPE.match(value):
        raise ValueError("not an IANA time zone; allowed: e.g. Europe/Paris, UTC, America/New_York")
    return value


ClockTime = Annotated[str, AfterValidator(_check_clock)]
TimeZone = Annotated[str, AfterValidator(_check_zone)]


class OffHoursScalingConfig(ConfigModel):
    """`offHoursScaling`: run the services only during working hours (the report's "arrêt
    automatique hors heures de travail")."""

    enabled: Flag | None = Field(
        None,
        description="Scale every service to zero at `stop` and back to its minimum at `start` on "
        "`days`; unset = per environment (on in dev when autoScalingEnabled, off in staging and "
        "prod).",
    )
    timezone: TimeZone = Field(
        "Europe/Paris", description="IANA time zone `start` and `stop` are read in."
    )
    start: ClockTime = Field(
        "08:30", description="Time (HH:MM) services scale back to their autoscaling minimum."
    )
    stop: ClockTime = Field("19:00", description="Time (HH:MM) services scale to zero.")
    days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS),
        min_length=1,
        description="Days the services run (MON..SUN); on the others they stay at zero.",
    )


OFF_HOURS_DEFAULTS: dict[Environment, bool] = {"dev": True, "staging": False, "prod": False}
"""Only dev stops at night: staging hosts release tests at any hour, prod serves users."""


@dataclass(frozen=True)
class OffHoursSettings:
    """The working-hours schedule of every service (`offHoursScaling.enabled`)."""

    timezone: str
    start: str
    stop: str
    days: tuple[Weekday, ...]

    @staticmethod
    def _cron(clock: str, days: tuple[Weekday, ...]) -> str:
        hour, minute = (int(part) for part in clock.split(":"))
        # Application Auto Scaling cron: minutes hours day-of-month month day-of-week year.
        return f"cron({minute} {hour} ? * {','.join(days)} *)"

    @property
    def scale_up_schedule(self) -> str:
        return self._cron(self.start, self.days)

    @property
    def scale_down_schedule(self) -> str:
        return self._cron(self.stop, self.days)

    @property
    def hours_per_day(self) -> float:
        def minutes(clock: str) -> int:
            hour, minute = clock.split(":")
            return int(hour) * 60 + int(minute)

        return (minutes(self.stop) - minutes(self.start)) / 60

    @property
    def hours_per_month(self) -> float:
        """Running hours in a 730-hour month: hours per day x days per week x 730/168."""
        return self.hours_per_day * len(self.days) * WEEKS_PER_MONTH

    def quiet_windows(self, grace_minutes: int) -> list[tuple[str, str]]:
        """When the services are scaled to zero, as (5-field cron of the start, ISO 8601
        duration) pairs for CloudWatch alarm mute rules read in `timezone`: from `stop` on each
        working day to `grace_minutes` after `start` of the next one (Friday's lasts the weekend),
        one pair per length."""
        week = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
        ordered = sorted(self.days, key=week.index)
        start_h, start_m = (int(part) for part in self.start.split(":"))
        stop_h, stop_m = (int(part) for part in self.stop.split(":"))
        lengths: dict[int, list[str]] = {}
        for index, day in enumerate(ordered):
            after = ordered[(index + 1) % len(ordered)]
            days_ahead = (week.index(after) - week.index(day)) % 7 or 7
            minutes = (
                days_ahead * 24 * 60
                - (stop_h * 60 + stop_m)
                + (start_h * 60 + start_m)
                + grace_minutes
            )
            lengths.setdefault(minutes, []).append(day)
        return [
            (f"cron({stop_m} {stop_h} * * {','.join(days)})", _iso_duration(minutes))
            for minutes, days in sorted(lengths.items())
        ]


def _iso_duration(minutes: int) -> str:
    """`P2DT16H10M` (ISO 8601, what CloudWatch takes as a mute rule's duration)."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    time = (f"{hours}H" if hours else "") + (f"{mins}M" if mins else "")
    return "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")


# ---------------------------------------------------------------------------------------------
# Tasks (`tasks.<name>`): run to completion, on a schedule, before a deploy or by hand
# ---------------------------------------------------------------------------------------------

_CRON_FIELDS = 6
_RATE = re.compile(r"^rate\((?P<value>[1-9][0-9]{0,8}) (?P<unit>minutes?|hours?|days?)\)$")
_AT = re.compile(
    r"^at\(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\)$"
)


def _check_schedule_expression(value: str) -> str:
    """The three forms EventBridge Scheduler takes ("Schedule types on EventBridge Scheduler"):
    `at(yyyy-mm-ddThh:mm:ss)`, `rate(value unit)` (singular unit for 1, plural otherwise) and
    `cron(minutes hours day-of-month month day-of-week year)` with `?` in one of the two day
    fields."""
    allowed = (
        "cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 3 * * ? *); "
        "rate(value unit), e.g. rate(1 hour) or rate(15 minutes); at(yyyy-mm-ddThh:mm:ss)"
    )
    if value.startswith("rate("):
        match = _RATE.match(value)
        if match is None:
            raise ValueError(
                f"not a rate expression EventBridge Scheduler takes; allowed: {allowed}"
            )
        plural = match["unit"].endswith("s")
        if plural != (int(match["value"]) != 1):
            raise ValueError(
                "the unit of rate(1 ...) is singular and of any other value plural; allowed: "
                "e.g. rate(1 day), rate(2 days)"
            )
        return value
    if value.startswith("at("):
        if _AT.match(value) is None:
            raise ValueError(f"not a one-time expression; allowed: {allowed}")
        return value
    if value.startswith("cron(") and value.endswith(")"):
        fields = value[5:-1].split()
        if len(fields) != _CRON_FIELDS:
            raise ValueError(
                f"a cron expression has 6 fields, this one {len(fields)}; allowed: {allowed}"
            )
        if (fields[2] == "?") == (fields[4] == "?"):
            raise ValueError(
                "exactly one of day-of-month (3rd field) and day-of-week (5th) must be '?'; "
                "allowed: e.g. cron(0 3 * * ? *) or cron(0 3 ? * MON-FRI *)"
            )
        return value
    raise ValueError(f"not a schedule expression; allowed: {allowed}")


ScheduleExpression = Annotated[
    str, Field(max_length=256), AfterValidator(_check_schedule_expression)
]


class TaskScheduleConfig(ConfigModel):
    """`tasks.<name>.schedule`: EventBridge Scheduler runs the task (ECS RunTask)."""

    expression: ScheduleExpression = Field(
        description="cron(...), rate(...) or at(...) as EventBridge Scheduler takes them."
    )
    timezone: TimeZone = Field(
        "UTC", description="IANA time zone the cron or at expression is read in."
    )
    retries: int = Field(
        3,
        ge=0,
        le=185,
        description="Retries of a RunTask call that failed (throttled, no capacity), 0-185; a "
        "task that started and failed is not retried.",
    )
    maximum_event_age_seconds: int = Field(
        3600,
        ge=60,
        le=86400,
        description="Seconds after its time a run may still start (60-86400); past it, the "
        "invocation goes to the dead-letter queue.",
    )


class HealthProbeConfig(ConfigModel):
    """`healthProbe`: the stack's health probe, a task (`health-probe`, built from
    images/health-probe) that asks every internal health URL from inside the VPC. The
    promotion gate runs it after each deploy (`python -m tools.gate`); on a schedule, its
    failure alarm says a service stopped answering between deploys."""

    enabled: Flag = Field(
        True, description="Declare the probe (the deploy's promotion gate needs it)."
    )
    scheduled: Flag | None = Field(
        None,
        description="Also run it on `schedule`; unset = per environment: on in staging and prod, "
        "off in dev (its services stop outside working hours).",
    )
    schedule: TaskScheduleConfig = Field(
        default_factory=lambda: TaskScheduleConfig(expression="rate(15 minutes)"),
        description="When it runs on its own (default every 15 minutes).",
    )


HEALTH_PROBE_SCHEDULED: dict[Environment, bool] = {"dev": False, "staging": True, "prod": True}


class TaskSizeConfig(ConfigModel):
    """Size of one task in one environment."""

    cpu: int = Field(description="Fargate CPU units (256 = 0.25 vCPU).")
    memory: int = Field(description="Task memory in MiB; must pair with cpu (Fargate table).")


class TaskSpec(ConfigModel):
    """`tasks.<name>`: a container that runs to completion (a schema migration, a nightly job, a
    maintenance command), with least privilege from the same graph as the services."""

    description: str = Field("", max_length=200, description="Free text shown in outputs.")
    image: Image | None = Field(
        None,
        description="Full image reference; default: the task's own repository of the stack's "
        "registry, <containerRegistry>/<name>:<imageTag>.",
    )
    image_of: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="A catalog service whose image the task runs with its own command (e.g. the "
        "service's migration entry point); excludes image.",
    )
    command: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None, min_length=1, description="Container command; required with imageOf."
    )
    user: str = Field(
        "1000",
        pattern=r"^[A-Za-z0-9_-]+(:[A-Za-z0-9_-]+)?$",
        description="Non-root user (uid[:gid]) the container runs as.",
    )
    sizes: dict[Environment, TaskSizeConfig] = Field(description="CPU and memory per environment.")
    uses: TaskUses = Field(
        default_factory=TaskUses,
        description="The platform pieces it needs (database, cache, documents, jwtKey, keycloak, "
        "sendsTo).",
    )
    calls: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list,
        description="Catalog services it calls: their URLs in its configuration and the paths "
        "to their ports, nothing else.",
    )
    environment: dict[EnvName, str] = Field(
        default_factory=dict, description="Plain environment variables of this task."
    )
    secrets: dict[EnvName, SecretRef] = Field(
        default_factory=dict,
        description="Environment variables read from Secrets Manager/SSM (name -> ARN).",
    )
    writable_paths: list[Annotated[str, Field(pattern=r"^/[A-Za-z0-9/_.-]+$")]] = Field(
        default_factory=list,
        description="Writable volumes besides /tmp (the root filesystem is read-only).",
    )
    schedule: TaskScheduleConfig | None = Field(
        None, description="Run on a schedule (EventBridge Scheduler); unset = not scheduled."
    )
    run_before_deploy: Flag = Field(
        False,
        description="The deploy runs it and waits for exit code 0 before any service of the "
        "stack rolls (a schema migration); a failure stops the deploy. Not with schedule.",
    )
    timeout_minutes: int | None = Field(
        None,
        ge=1,
        le=720,
        description="With runBeforeDeploy: minutes the deploy waits for it (1-720) before it "
        "stops the task and fails; unset = 30.",
    )
