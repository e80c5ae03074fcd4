"""The resolved stack: what `resolve()` returns, and what the stack layer builds the
components' arguments from. Plain data; no Pulumi resources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ..compute.config import OffHoursSettings, ServiceUses
from ..data.config import QueueSettings
from ..edge.config import EdgeSettings, NetworkLoadBalancerSettings, RouteRateLimit
from ..formats import DEFAULT_LOG_GROUP_PREFIX, Environment
from ..identity.config import KEYCLOAK_SERVICE
from ..network.config import NewVpcSettings
from ..resilience.config import FaultInjectionSettings
from .blocks import FileSystemSettings, ServiceBlocks
from .connect import Role
from .default_waivers import DefaultWaiver
from .graph import GraphPieces, pieces_from
from .platform_settings import PlatformSettings
from .platform_tasks import LoginSpec
from .quotas import QuotasConfig
from .release import ImageSource, ReleaseState
from .schedules import DatabaseSchedule
from .tasks import TaskSettings
from .tuning import RestartSettings, RolloutSettings, ServiceScalingSettings


@dataclass(frozen=True)
class ServiceSettings:
    """One service as this stack runs it: catalog entry + environment + overrides."""

    name: str
    description: str
    port: int | None
    """None: a worker."""
    public: bool
    health_check_path: str | None
    """None for a worker (command health check)."""
    criticality: str
    spring_boot: bool
    deploy_order: int
    image: str
    command: tuple[str, ...] | None
    user: str
    stop_timeout: int
    cpu: int
    memory: int
    desired_count: int
    min_capacity: int
    max_capacity: int
    environment: Mapping[str, str]
    secrets: Mapping[str, str]
    target_group_arn: str | None
    path_patterns: tuple[str, ...] = ()
    """ALB path patterns (public services); see `components/edge/routes.py`."""
    priority: int | None = None
    default_route: bool = False
    max_request_body_kb: int | None = None
    """Web ACL body limit on its paths (KiB); None = the managed rules' 8 KiB."""
    max_query_string_kb: int | None = None
    """Web ACL query-string limit on its paths (KiB); None = the managed rules' 2 KiB."""
    rate_limit: RouteRateLimit | None = None
    """Its own web ACL rate limit; None = the stack-wide per-address one."""
    host_headers: tuple[str, ...] = ()
    """ALB host-header condition values (public services), beside or instead of the paths."""
    health_check_port: int | None = None
    """Where the container and ALB health checks go when not `port` (Keycloak: 9000)."""
    liveness_check_path: str | None = None
    """The container check's path when not `health_check_path` (Spring Boot: its liveness
    group; `health_check_path` is then its readiness group, what the ALB and the probe ask)."""
    tracing: bool = False
    """Its traces go to X-Ray through a collector sidecar (`enableXrayTracing`; Keycloak's image
    exports none, so its task runs no collector)."""
    health_check_command: tuple[str, ...] | None = None
    writable_paths: tuple[str, ...] = ()
    """Writable volumes besides /tmp."""
    uses: ServiceUses = field(default_factory=ServiceUses)
    calls: tuple[str, ...] = ()
    """Catalog services it calls (their ports are open to it, their URLs in its config)."""
    execute_command: bool = False
    """ECS Exec on its tasks: the stack's enableExecuteCommand, or Keycloak's adminPortForward."""
    rollout: RolloutSettings = field(default_factory=RolloutSettings)
    """Deployment strategy and timings (`deployment`, per stack and per service)."""
    restart: RestartSettings = field(default_factory=RestartSettings)
    """The essential container's restart policy (`restartPolicy`)."""
    scaling: ServiceScalingSettings = field(default_factory=ServiceScalingSettings)
    """Request-count and predictive scaling (`services.<name>.scaling`)."""
    connect: Role | None = None
    """On Service Connect (`connect.py`): `publish` (callers reach it by its DNS name through
    their proxies), `client` (it calls through its proxy), None (Cloud Map DNS records)."""
    connect_port: int | None = None
    """Where its Service Connect proxy listens when not `port` (a published service behind the
    ALB: the ALB still reaches the application directly); its callers reach this port."""
    blocks: ServiceBlocks = field(default_factory=ServiceBlocks)
    """Sidecars, FireLens, EFS volumes, ephemeral storage, registry credentials, CPU
    architecture and capacity strategy of its own (`blocks.py`)."""
    image_source: ImageSource = "pinned"
    """Where `image` comes from: the release record, `imageTag`, the stack file (`pinned`), or
    nowhere yet (`unreleased`: the service runs no task until a release holds its image)."""

    built_image: bool = False
    """CI builds the image into the stack's own repository and records its digest."""
    pinned_tag: str | None = None
    """The tag CI pushes the image under when not the commit's SHA (Keycloak's version)."""

    @property
    def released(self) -> bool:
        return self.image_source != "unreleased"

    @property
    def traffic_shift(self) -> bool:
        """Deploys BLUE_GREEN, LINEAR or CANARY: the ALB builds it a second target group."""
        return self.rollout.shifts_traffic

    @property
    def worker(self) -> bool:
        return self.port is None

    @property
    def call_port(self) -> int | None:
        """The port its callers reach: its Service Connect proxy's, else its own."""
        return self.connect_port or self.port


@dataclass(frozen=True)
class StackSettings:
    """Everything the components need, resolved and validated. Build with `resolve()`."""

    project: str
    environment: Environment
    region: str
    stack_file: str
    vpc_id: str | None
    """The existing VPC; None when the program creates it (`new_vpc`)."""
    private_subnet_ids: tuple[str, ...]
    alb_security_group_ids: tuple[str, ...]
    rds_security_group_id: str | None
    redis_security_group_id: str | None
    container_registry: str
    image_tag: str | None
    services: tuple[ServiceSettings, ...]
    auto_scaling_enabled: bool
    scaling_cpu_target: int
    scaling_memory_target: int
    container_insights: Literal["disabled", "enabled", "enhanced"]
    fargate_spot_percentage: int
    log_retention_days: int
    """The services' log groups."""
    xray_tracing: bool
    execute_command: bool
    """The stack's enableExecuteCommand: every service; see ServiceSettings.execute_command."""
    health_check_grace_period: int
    deployment_circuit_breaker: bool
    deployment_minimum_healthy_percent: int
    deployment_maximum_percent: int
    deployment_alarms: bool
    cpu_architecture: Literal["X86_64", "ARM64"]
    tags: Mapping[str, str] = field(default_factory=dict)
    security_log_retention_days: int = 365
    """Flow logs, WAF, S3 access logs, ECS Exec sessions (LOG.1)."""
    audit_log_retention_days: int = 365
    """Keycloak's log group and PostgreSQL's exported logs (LOG.2)."""
    service_connect: bool = False
    """Every service is on ECS Service Connect (`serviceConnect.enabled: true`); unset, only
    the services `ServiceSettings.connect` names are."""
    container_health_check: Literal["curl", "thc"] = "curl"
    """The tool HTTP container checks run in the image (docs/IMAGE-CONTRACT.md)."""
    service_connect_access_logs: bool = True
    encrypt_ephemeral_storage: bool = False
    """The tasks' ephemeral storage under a key of the cluster's own (FARGATE.1)."""
    public_subnet_ids: tuple[str, ...] = ()
    """The existing VPC's subnets for the ALB (empty when the VPC is created)."""
    new_vpc: NewVpcSettings | None = None
    """The VPC the program creates; None = use vpc_id and the subnet ids above."""
    edge: EdgeSettings | None = None
    """The ALB the program builds; None = no ALB (or one managed elsewhere)."""
    network_load_balancer: NetworkLoadBalancerSettings | None = None
    """The NLB the program builds for TCP services; None = none."""
    platform: PlatformSettings = field(default_factory=PlatformSettings)
    """Database, cache, secrets, Keycloak, documents, registry, alarms (platform_settings.py)."""
    off_hours: OffHoursSettings | None = None
    """Working-hours schedule of every service; None = they run around the clock."""
    monthly_budget_usd: float | None = None
    permissions_boundary_arn: str | None = None
    """`permissionsBoundaryArn`: the boundary of every role the stack creates."""
    """`monthlyBudgetUsd`: the cost estimate above it is a policy violation (components/cost)."""
    log_group_template: str = DEFAULT_LOG_GROUP_PREFIX
    """`logGroupPrefix` as written, with its `{project}` and `{env}` placeholders."""
    quotas: QuotasConfig = field(default_factory=QuotasConfig)
    """The account's quotas (raised ones declared in `quotas`)."""
    database_schedule: DatabaseSchedule | None = None
    """When the database stops and starts (`database.stopOffHours`); None = always on."""
    queues: tuple[QueueSettings, ...] = ()
    """The work queues the services consume (`uses.consumes`), with their senders."""
    release: ReleaseState | None = None
    """The stack's release record as this run read it (None: not read, e.g. the policy pack)."""
    tasks: tuple[TaskSettings, ...] = ()
    """Containers that run to completion (`tasks`): scheduled, before the deploy, or by hand."""
    file_systems: tuple[FileSystemSettings, ...] = ()
    """EFS file systems the services mount (`fileSystems`)."""
    database_logins: tuple[LoginSpec, ...] = ()
    """A PostgreSQL login per workload using the stack's database (`platform_tasks.py`)."""
    fault_injection: FaultInjectionSettings | None = None
    """The AWS FIS experiments (`faultInjection`); None = none."""
    default_waivers: tuple[DefaultWaiver, ...] = ()
    """The policy pack's controls the defaults in effect depart from, each with its reason."""

    @property
    def task_public_ips(self) -> bool:
        """Dev's tasks run in the public subnets with public IPv4 addresses (no NAT gateway)."""
        return self.new_vpc is not None and self.new_vpc.task_public_ips

    def queue(self, name: str) -> QueueSettings:
        return next(q for q in self.queues if q.name == name)

    @property
    def graph_pieces(self) -> GraphPieces:
        """The platform pieces the service graph can use, and where they listen."""
        return pieces_from(
            self.platform,
            self.edge,
            external_database_group=self.rds_security_group_id,
            external_cache_group=self.redis_security_group_id,
            external_alb_groups=self.alb_security_group_ids,
            nlb=self.network_load_balancer,
        )

    def architecture_of(self, service: ServiceSettings) -> Literal["X86_64", "ARM64"]:
        """The service's CPU architecture: its own, else the stack's."""
        return service.blocks.cpu_architecture or self.cpu_architecture

    @property
    def name_prefix(self) -> str:
        """`<project>-<env>`: the prefix of every physical name (seed convention)."""
        return f"{self.project}-{self.environment}"

    @property
    def log_group_prefix(self) -> str:
        """The services' log groups are `<this>/<service>` (default `/ecs/<project>-<env>`)."""
        return self.log_group_template.format(project=self.project, env=self.environment)

    def log_group_name(self, service: str) -> str:
        """`<logGroupPrefix>/<service>`, by default `/ecs/<project>-<env>/<service>`."""
        return f"{self.log_group_prefix}/{service}"

    def log_retention_for(self, service: str) -> int:
        """Days a service's log group is kept: Keycloak's is authentication evidence
        (`auditLogRetentionDays`), the others application logs (`logRetentionDays`)."""
        if service == KEYCLOAK_SERVICE and self.platform.keycloak is not None:
            return self.audit_log_retention_days
        return self.log_retention_days

    @property
    def namespace(self) -> str:
        """Cloud Map private DNS namespace, `<project>-<env>.local`."""
        return f"{self.name_prefix}.local"

    @property
    def cluster_name(self) -> str:
        return f"{self.name_prefix}-cluster"

    def service(self, name: str) -> ServiceSettings:
        return next(s for s in self.services if s.name == name)

    def task(self, name: str) -> TaskSettings:
        return next(t for t in self.tasks if t.name == name)

    def task_family(self, task: TaskSettings) -> str:
        """Task definition family of a task: `<project>-<env>-<task>`, like a service's."""
        return f"{self.name_prefix}-{task.name}"

    @property
    def platform_setup(self) -> TaskSettings | None:
        """The platform setup task (secrets and logins), run before the migration, if any."""
        return next((t for t in self.tasks if t.platform == "setup"), None)

    def login_of(self, workload: str) -> LoginSpec | None:
        """The database login a service (or a task, by its login's name) reads its password of."""
        return next(
            (
                login
                for login in self.database_logins
                if workload in login.services or login.name == workload
            ),
            None,
        )

    @property
    def migration(self) -> TaskSettings | None:
        """The task the deploy runs before any service rolls (`runBeforeDeploy`), if any."""
        return next((t for t in self.tasks if t.run_before_deploy), None)
