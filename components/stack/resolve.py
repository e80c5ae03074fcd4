"""Turn a validated `StackConfig` into resolved `StackSettings`, checking cross-field rules.

Resolution applies, in order: the environment's defaults (`environments.py` and each domain's
`config.py`), the catalog entry, the stack-wide settings, then `serviceOverrides`. Every rule
that spans fields is checked and every failure is collected, so the user sees all problems of a
stack file at once. `resolve` runs the steps in the order their problems are reported; each
step lives in a module named for what it resolves: `stack_rules.py` (stack-wide values and
rules), `service_entries.py` (the catalog as the stack runs it), `service_rollouts.py`,
`service_sizes.py`, `service_variables.py` and `service_resolve.py` (each service),
`edge_rules.py` (load balancers and routes), `cost_levers.py` (off-hours schedules),
`stack_tasks.py` (tasks and database logins).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..compute.config import OffHoursSettings
from ..data.config import QueueSettings
from ..edge.config import EdgeSettings, NetworkLoadBalancerSettings
from ..errors import ConfigError, ConfigIssue
from ..network.config import ExistingVpc, NewVpcSettings, resolve_network
from ..resilience.config import FaultInjectionSettings, resolve_fault_injection
from .blocks import FileSystemSettings, resolve_file_systems
from .catalog import EntryOrigin
from .cost_levers import database_schedule_settings, resolve_cost_levers
from .default_waivers import default_waivers
from .edge_rules import stack_edge
from .graph import check_graph, pieces_from
from .model import StackConfig
from .platform_settings import PlatformSettings, resolve_platform
from .platform_tasks import LoginSpec
from .queues import resolve_queues
from .release import ReleaseRecord, ReleaseState
from .schedules import DatabaseSchedule
from .service_entries import ServiceCatalog, disabled_services, service_catalog, service_key_issues
from .service_resolve import ServiceContext, check_service_variables, resolve_service
from .service_rollouts import rollouts_and_connect
from .service_sizes import service_size
from .settings import ServiceSettings, StackSettings
from .stack_rules import (
    StackDefaults,
    additional_tag_issues,
    alb_group_issues,
    boundary_issues,
    capacity_override_issues,
    ephemeral_storage_issues,
    platform_conflicts,
    security_retention_issues,
    stack_defaults,
    stack_quota_issues,
    target_group_region_issues,
)
from .stack_tasks import stack_tasks
from .tasks import TaskSettings, explicit_images
from .variables import check_env_vars, wired_names

__all__ = [
    "PLACEHOLDER_REGION",
    "boundary_issues",
    "resolve",
    "resolve_cost_levers",
    "wired_names",
]

_PLATFORM_KEYS = ("database", "cache", "secrets", "keycloak", "documents", "registry", "alarms")


def resolve(
    config: StackConfig,
    *,
    project: str,
    region: str,
    stack_file: str,
    namespace: str,
    account_id: str | Callable[[], str] | None = None,
    origins: Mapping[str, EntryOrigin] | None = None,
    release: ReleaseState | None = None,
) -> StackSettings:
    """Apply defaults and overrides; raise `ConfigError` listing every cross-field problem.

    `account_id` (or a look-up, called only if needed) gives the default `containerRegistry`
    when the stack creates its ECR repositories; `origins` says which catalog entries come
    from the base catalog (`extend_catalog`; unset: every entry is the stack file's own);
    `release` is the stack's release record as the loader read it (images, `release.py`)."""
    project = config.project_name or project
    issues: list[ConfigIssue] = []
    stack = stack_defaults(config, issues)
    # vpcId and the subnet ids are checked with the network keys (components/network/config.py).
    platform = resolve_platform(
        {key: getattr(config, key) for key in _PLATFORM_KEYS},
        config.protect_stateful_resources,
        env=config.environment,
        project=project,
        region=region,
        container_registry=config.container_registry,
        account_id=account_id,
        issues=issues,
        security_log_retention_days=stack.chosen.security_log_retention_days,
    )
    issues += platform_conflicts(config, platform)
    catalog = service_catalog(config, platform, origins or {}, issues)
    issues += service_key_issues(config, catalog)
    issues += target_group_region_issues(config, region)
    issues += capacity_override_issues(config)
    check_env_vars(
        config.common_environment_variables, "commonEnvironmentVariables", "commonSecrets", issues
    )
    record = release.record if release is not None else None
    workloads = _workloads(
        config,
        catalog,
        stack,
        platform,
        prefix=f"{project}-{config.environment}",
        region=region,
        record=record,
        issues=issues,
    )
    issues += security_retention_issues(config, config.environment)
    issues += boundary_issues(config)
    issues += ephemeral_storage_issues(config, stack.chosen)
    issues += additional_tag_issues(config)
    file_systems = resolve_file_systems(config.file_systems, issues)
    if issues:
        raise ConfigError(stack_file, namespace, issues)
    return _stack_settings(
        config,
        stack,
        platform,
        workloads,
        project=project,
        region=region,
        stack_file=stack_file,
        release=release,
        file_systems=file_systems,
    )


@dataclass(frozen=True)
class _Workloads:
    """What the stack runs and what carries their traffic, resolved."""

    services: list[ServiceSettings]
    seed_single_tasks: dict[str, str]
    queues: tuple[QueueSettings, ...]
    edge: EdgeSettings | None
    nlb: NetworkLoadBalancerSettings | None
    new_vpc: NewVpcSettings | None
    off_hours: OffHoursSettings | None
    database_schedule: DatabaseSchedule | None
    tasks: tuple[TaskSettings, ...]
    logins: tuple[LoginSpec, ...]
    fault_injection: FaultInjectionSettings | None


def _workloads(
    config: StackConfig,
    catalog: ServiceCatalog,
    stack: StackDefaults,
    platform: PlatformSettings,
    *,
    prefix: str,
    region: str,
    record: ReleaseRecord | None,
    issues: list[ConfigIssue],
) -> _Workloads:
    """The services, then what depends on them: queues, load balancers, network, schedules,
    the service graph, tasks, experiments and the quotas they all count against."""
    services, seed_single_tasks = _services(config, catalog, stack, platform, record, issues)
    issues += alb_group_issues(config, services)
    service_path = catalog.spec_path
    queues = resolve_queues(
        services, config.queues, prefix=prefix, service_path=service_path, issues=issues
    )
    edge, nlb = stack_edge(
        config,
        region=region,
        services=services,
        service_path=service_path,
        platform=platform,
        security_log_retention_days=stack.chosen.security_log_retention_days,
        issues=issues,
    )
    new_vpc = _network(config, stack, platform, services, (edge, nlb), bool(queues), issues)
    off_hours = resolve_cost_levers(
        config, region=region, spot_percentage=stack.spot_percentage, issues=issues
    )
    database_schedule = database_schedule_settings(config, platform, off_hours, issues)
    pieces = pieces_from(
        platform,
        edge,
        external_database_group=config.rds_security_group_id,
        external_cache_group=config.redis_security_group_id,
        external_alb_groups=config.alb_security_group_ids,
        nlb=nlb,
    )
    check_graph(services, pieces, service_path, issues, disabled=disabled_services(config))
    tasks, queues, logins = stack_tasks(
        config,
        prefix=prefix,
        services=services,
        platform=platform,
        pieces=pieces,
        queues=queues,
        record=record,
        issues=issues,
    )
    fault_injection = resolve_fault_injection(
        config.fault_injection,
        env=config.environment,
        region=region,
        guarded=platform.alarms is not None
        and (edge is not None or platform.database is not None or platform.cache is not None),
        issues=issues,
    )
    issues += stack_quota_issues(config, services, pieces, edge, new_vpc, tasks)
    return _Workloads(
        services=services,
        seed_single_tasks=seed_single_tasks,
        queues=queues,
        edge=edge,
        nlb=nlb,
        new_vpc=new_vpc,
        off_hours=off_hours,
        database_schedule=database_schedule,
        tasks=tasks,
        logins=logins,
        fault_injection=fault_injection,
    )


def _stack_settings(
    config: StackConfig,
    stack: StackDefaults,
    platform: PlatformSettings,
    workloads: _Workloads,
    *,
    project: str,
    region: str,
    stack_file: str,
    release: ReleaseState | None,
    file_systems: tuple[FileSystemSettings, ...],
) -> StackSettings:
    """The resolved settings, every rule passed."""
    env, chosen, services = config.environment, stack.chosen, workloads.services
    new_vpc = workloads.new_vpc
    return StackSettings(
        project=project,
        environment=env,
        region=region,
        stack_file=stack_file,
        vpc_id=config.vpc_id,
        private_subnet_ids=tuple(config.private_subnet_ids),
        alb_security_group_ids=tuple(config.alb_security_group_ids),
        rds_security_group_id=config.rds_security_group_id,
        redis_security_group_id=config.redis_security_group_id,
        container_registry=str(platform.container_registry),
        image_tag=config.image_tag,
        services=tuple(sorted(services, key=lambda s: (s.deploy_order, s.name))),
        auto_scaling_enabled=config.auto_scaling_enabled,
        scaling_cpu_target=chosen.scaling_cpu_target,
        scaling_memory_target=chosen.scaling_memory_target,
        container_insights=stack.container_insights,
        fargate_spot_percentage=stack.spot_percentage,
        log_retention_days=chosen.log_retention_days,
        security_log_retention_days=chosen.security_log_retention_days,
        audit_log_retention_days=chosen.audit_log_retention_days,
        xray_tracing=chosen.xray_tracing,
        execute_command=chosen.execute_command,
        encrypt_ephemeral_storage=chosen.encrypt_ephemeral_storage,
        service_connect=bool(config.service_connect.enabled),
        service_connect_access_logs=config.service_connect.access_logs,
        health_check_grace_period=chosen.health_check_grace_period,
        container_health_check=config.container_health_check,
        deployment_circuit_breaker=config.deployment_circuit_breaker,
        deployment_minimum_healthy_percent=chosen.deployment_minimum_healthy_percent,
        deployment_maximum_percent=chosen.deployment_maximum_percent,
        deployment_alarms=chosen.deployment_alarms,
        cpu_architecture=config.cpu_architecture,
        tags={
            "Project": project,
            "Environment": env,
            "ManagedBy": "pulumi",
            **config.additional_tags,
        },
        public_subnet_ids=tuple(config.public_subnet_ids),
        new_vpc=new_vpc,
        edge=workloads.edge,
        network_load_balancer=workloads.nlb,
        platform=platform,
        off_hours=workloads.off_hours,
        monthly_budget_usd=config.monthly_budget_usd,
        permissions_boundary_arn=config.permissions_boundary_arn,
        log_group_template=config.log_group_prefix,
        quotas=config.quotas,
        queues=workloads.queues,
        database_schedule=workloads.database_schedule,
        release=release,
        tasks=workloads.tasks,
        database_logins=workloads.logins,
        file_systems=file_systems,
        fault_injection=workloads.fault_injection,
        default_waivers=default_waivers(
            env=env,
            prefix=f"{project}-{env}",
            public_task_services=(
                [s.name for s in services]
                if new_vpc is not None and new_vpc.task_public_ips
                else []
            ),
            seed_single_tasks=workloads.seed_single_tasks,
            platform=platform,
        ),
    )


def _services(
    config: StackConfig,
    catalog: ServiceCatalog,
    stack: StackDefaults,
    platform: PlatformSettings,
    record: ReleaseRecord | None,
    issues: list[ConfigIssue],
) -> tuple[list[ServiceSettings], dict[str, str]]:
    """Every service the stack runs that has a size (the others are reported), and the base
    catalog's services that run a single task by the seed's choice (a default waiver each)."""
    rollouts, roles = rollouts_and_connect(config, catalog, stack.chosen, platform, issues)
    context = ServiceContext(
        config=config,
        catalog=catalog,
        stack=stack,
        platform=platform,
        rollouts=rollouts,
        roles=roles,
        record=record,
    )
    services: list[ServiceSettings] = []
    seed_single_tasks: dict[str, str] = {}
    for name in catalog.names:
        check_service_variables(name, context, issues)
        size = service_size(name, config, catalog, stack.chosen, issues)
        if size is None:
            continue
        if size.seed_single_task is not None:
            seed_single_tasks[name] = size.seed_single_task
        services.append(resolve_service(name, size, context, issues))
    return services, seed_single_tasks


def _network(
    config: StackConfig,
    stack: StackDefaults,
    platform: PlatformSettings,
    services: Sequence[ServiceSettings],
    load_balancers: tuple[EdgeSettings | None, NetworkLoadBalancerSettings | None],
    queues: bool,
    issues: list[ConfigIssue],
) -> NewVpcSettings | None:
    """The VPC the stack creates (None: the existing one its keys name, checked), with the
    interface endpoints its tasks need besides the base four."""
    return resolve_network(
        config.network,
        env=config.environment,
        existing=ExistingVpc(
            vpc_id=config.vpc_id,
            private_subnet_ids=config.private_subnet_ids,
            public_subnet_ids=config.public_subnet_ids,
            security_groups={
                "albSecurityGroupIds": config.alb_security_group_ids,
                "rdsSecurityGroupId": config.rds_security_group_id,
                "redisSecurityGroupId": config.redis_security_group_id,
            },
        ),
        # The public subnets: an internet-facing ALB or NLB runs in them.
        edge_enabled=any(lb is not None and not lb.internal for lb in load_balancers),
        security_log_retention_days=stack.chosen.security_log_retention_days,
        images=[*(s.image for s in services), *explicit_images(config.tasks)],
        endpoints_needed=[
            *(["xray"] if stack.chosen.xray_tracing else []),
            *(["ssmmessages", "kms"] if any(s.execute_command for s in services) else []),
            *(["sqs"] if queues else []),
            # SecureString parameters are read from SSM at task start.
            *(
                ["ssm"]
                if platform.secrets is not None and platform.secrets.store == "parameterStore"
                else []
            ),
        ],
        issues=issues,
    )


PLACEHOLDER_REGION = "xx-invalid-1"
"""The loader resolves against this stand-in when `aws:region` is itself missing or malformed
(already reported); no second region problem is raised for it."""
