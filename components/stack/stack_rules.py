"""The stack-wide rules of `resolve.py`: the environment's defaults as the stack file changes
them, and the cross-field rules on stack-wide keys (no service's own), each a named step that
returns or appends its `ConfigIssue`s in the order the stack file's user reads them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..edge.config import EdgeSettings
from ..errors import MISSING, ConfigIssue
from ..formats import ENFORCED_ENVIRONMENTS, tag_problems
from ..network.config import NewVpcSettings
from .environments import (
    ACCESS_LOG_MIN_DAYS_PROD,
    AUDIT_LOG_MIN_DAYS_PROD,
    ENVIRONMENT_DEFAULTS,
    SECURITY_LOG_MIN_DAYS_PROD,
    EnvironmentDefaults,
)
from .graph import (
    ALB,
    POSTGRES,
    REDIS,
    GraphPieces,
    service_group,
    service_paths,
    task_group,
    task_paths,
)
from .model import StackConfig
from .platform_settings import PlatformSettings
from .quotas import quota_issues, rules_per_group
from .settings import ServiceSettings
from .tasks import TaskSettings


@dataclass(frozen=True)
class StackDefaults:
    """The stack-wide values: the environment's defaults with what the stack file sets."""

    chosen: EnvironmentDefaults
    """The environment's defaults, replaced where the stack file sets the key."""
    container_insights: str
    spot_percentage: int
    """The share of tasks on Fargate Spot (0 without enableFargateSpot)."""


def stack_defaults(config: StackConfig, issues: list[ConfigIssue]) -> StackDefaults:
    """The environment's defaults with the stack-wide values the stack file sets (the defaults
    themselves are never mutated); Spot switched on must place some task on it."""
    defaults: EnvironmentDefaults = ENVIRONMENT_DEFAULTS[config.environment]
    chosen = defaults.model_copy(
        update={
            key: value
            for key, value in {
                "max_capacity": config.max_capacity_override,
                "fargate_spot": config.enable_fargate_spot,
                "fargate_spot_percentage": config.fargate_spot_percentage,
                "xray_tracing": config.enable_xray_tracing,
                "log_retention_days": config.log_retention_days,
                "security_log_retention_days": config.security_log_retention_days,
                "audit_log_retention_days": config.audit_log_retention_days,
                "execute_command": config.enable_execute_command,
                "encrypt_ephemeral_storage": config.encrypt_ephemeral_storage,
                "scaling_cpu_target": config.scaling_cpu_target,
                "scaling_memory_target": config.scaling_memory_target,
                "health_check_grace_period": config.health_check_grace_period,
            }.items()
            if value is not None
        }
    )
    insights = defaults.container_insights
    if config.container_insights_enabled is not None:
        insights = (
            ("enhanced" if insights == "enhanced" else "enabled")
            if config.container_insights_enabled
            else "disabled"
        )
    spot_percentage = chosen.fargate_spot_percentage if chosen.fargate_spot else 0
    if chosen.fargate_spot and spot_percentage == 0:
        issues.append(
            ConfigIssue(
                "fargateSpotPercentage",
                config.fargate_spot_percentage,
                "enableFargateSpot is true but no task would run on Spot",
                "1 to 100 when enableFargateSpot is true",
            )
        )
    return StackDefaults(chosen, insights, spot_percentage)


def platform_conflicts(config: StackConfig, platform: PlatformSettings) -> list[ConfigIssue]:
    """An existing data store's security group and a created data store exclude each other;
    the stack's own repositories never hold `latest`."""
    issues: list[ConfigIssue] = []
    for key, value, created, switch in (
        ("rdsSecurityGroupId", config.rds_security_group_id, platform.database, "database"),
        ("redisSecurityGroupId", config.redis_security_group_id, platform.cache, "cache"),
    ):
        if value is not None and created is not None:
            issues.append(
                ConfigIssue(
                    key,
                    value,
                    f"names an existing data store while {switch}.enabled creates one",
                    f"remove {key}, or set {switch}.enabled false to keep the existing one",
                )
            )
    if config.image_tag == "latest" and platform.registry is not None:
        issues.append(
            ConfigIssue(
                "imageTag",
                config.image_tag,
                "the stack's repositories keep immutable tags and CI pushes each commit's SHA, "
                "never `latest`: the tasks could never pull it",
                "unset (the release the deploy recorded), or a tag CI pushed (a commit SHA)",
            )
        )
    return issues


def target_group_region_issues(config: StackConfig, region: str) -> list[ConfigIssue]:
    """An existing target group serves only in its own region."""
    issues: list[ConfigIssue] = []
    for name, arn in config.target_group_arns.items():
        arn_region = arn.split(":")[3]
        if arn_region != region:
            issues.append(
                ConfigIssue(
                    f"targetGroupArns.{name}",
                    arn,
                    f"target group is in {arn_region}, the stack deploys to {region}",
                    f"a target group in {region}",
                )
            )
    return issues


def capacity_override_issues(config: StackConfig) -> list[ConfigIssue]:
    """The stack-wide autoscaling bounds in order (reported once, not once per service)."""
    if (
        config.min_capacity_override is not None
        and config.max_capacity_override is not None
        and config.min_capacity_override > config.max_capacity_override
    ):
        return [
            ConfigIssue(
                "minCapacityOverride",
                config.min_capacity_override,
                f"greater than maxCapacityOverride ({config.max_capacity_override})",
                f"at most {config.max_capacity_override}",
            )
        ]
    return []


def alb_group_issues(config: StackConfig, services: Sequence[ServiceSettings]) -> list[ConfigIssue]:
    """An existing target group is reached through the ALB's security groups."""
    if any(s.target_group_arn for s in services) and not config.alb_security_group_ids:
        return [
            ConfigIssue(
                "albSecurityGroupIds",
                [],
                "target groups are set but no ALB security group may reach the services",
                "the ALB's security group id(s)",
            )
        ]
    return []


def boundary_issues(config: StackConfig) -> list[ConfigIssue]:
    """Every environment sets the bootstrap's permissions boundary, or says why it does not
    (a program outside the bootstrap): the deploy role creates, changes and passes only roles
    that carry it, so a stack without it fails mid-deploy, after half its resources."""
    arn, opt_out = config.permissions_boundary_arn, config.permissions_boundary_opt_out
    if arn is None and opt_out is None:
        return [
            ConfigIssue(
                "permissionsBoundaryArn",
                MISSING,
                "the bootstrap's deploy role creates no role without its permissions boundary",
                "the bootstrap stack's output permissions_boundary_arn, or "
                "permissionsBoundaryOptOut: <why> for a program the bootstrap does not deploy",
            )
        ]
    if arn is not None and opt_out is not None:
        return [
            ConfigIssue(
                "permissionsBoundaryOptOut",
                opt_out,
                "set together with permissionsBoundaryArn",
                "one of them: remove the opt-out when the stack has a boundary",
            )
        ]
    return []


def security_retention_issues(config: StackConfig, env: str) -> list[ConfigIssue]:
    """Controls LOG.1 and LOG.2: prod keeps its security, authentication and database logs a
    year and the ALB's raw request lines a quarter, whichever key shortens them."""
    if env != "prod":
        return []
    keys = (
        ("securityLogRetentionDays", config.security_log_retention_days,
         SECURITY_LOG_MIN_DAYS_PROD, "LOG.1 keeps prod's security logs (flow logs, WAF logs, "
         "ECS Exec sessions, S3 access logs)"),
        ("network.flowLogRetentionDays", config.network.flow_log_retention_days,
         SECURITY_LOG_MIN_DAYS_PROD, "LOG.1 keeps prod's flow logs"),
        ("edge.accessLogRetentionDays", config.edge.access_log_retention_days,
         ACCESS_LOG_MIN_DAYS_PROD, "LOG.1 keeps prod's ALB access logs (the WAF's log, with "
         "personal query arguments substituted, keeps the year)"),
        ("auditLogRetentionDays", config.audit_log_retention_days, AUDIT_LOG_MIN_DAYS_PROD,
         "LOG.2 keeps prod's authentication and database logs (Keycloak, PostgreSQL)"),
    )  # fmt: skip
    return [
        ConfigIssue(
            key,
            days,
            f"control {what} at least {minimum} days; application logs follow logRetentionDays",
            f"{minimum} or more, or unset",
        )
        for key, days, minimum, what in keys
        if days is not None and days < minimum
    ]


def ephemeral_storage_issues(config: StackConfig, chosen: EnvironmentDefaults) -> list[ConfigIssue]:
    """Control FARGATE.1: staging and prod encrypt their tasks' ephemeral storage."""
    if config.environment in ENFORCED_ENVIRONMENTS and not chosen.encrypt_ephemeral_storage:
        return [
            ConfigIssue(
                "encryptEphemeralStorage",
                False,
                "control FARGATE.1 is enforced in staging and prod: the tasks' ephemeral "
                "storage must be encrypted with a customer managed key",
                "true (or unset)",
            )
        ]
    return []


def additional_tag_issues(config: StackConfig) -> list[ConfigIssue]:
    """The stack's own tags, under AWS's rules for tags (`formats.tag_problems`)."""
    issues: list[ConfigIssue] = []
    for key, problem, allowed in tag_problems(config.additional_tags):
        path = f"additionalTags.{key}" if key else "additionalTags"
        shown = config.additional_tags.get(key) if key else len(config.additional_tags)
        issues.append(ConfigIssue(path, shown, problem, allowed))
    return issues


def stack_quota_issues(
    config: StackConfig,
    services: Sequence[ServiceSettings],
    pieces: GraphPieces,
    edge: EdgeSettings | None,
    new_vpc: NewVpcSettings | None,
    tasks: Sequence[TaskSettings] = (),
) -> list[ConfigIssue]:
    """The AWS quotas the planned groups, target groups and rules would exceed."""
    paths = service_paths(services, pieces) + task_paths(tasks, services, pieces)
    rules = rules_per_group(
        paths,
        alb_internet_ports=(2 if edge.https else 1) if edge is not None else 0,
        endpoint_groups=new_vpc is not None and bool(new_vpc.interface_endpoints),
    )
    external: dict[str, int] = {}
    for path in paths:
        if path.target.startswith("external:") and path.target_rule:
            external[path.target] = external.get(path.target, 0) + 1
    where = [(service_group(s.name), f"services.{s.name}") for s in services]
    where += [(task_group(t.name), f"tasks.{t.name}") for t in tasks]
    where += [
        (ALB, "edge"),
        (POSTGRES, "database"),
        (REDIS, "cache"),
        (f"external:{config.rds_security_group_id}", "rdsSecurityGroupId"),
        (f"external:{config.redis_security_group_id}", "redisSecurityGroupId"),
    ]
    routes = edge.routes if edge is not None else ()
    return quota_issues(
        config.quotas,
        rules,
        external_rules=external,
        target_groups=sum(2 if route.traffic_shift else 1 for route in routes),
        # One rule per route and per guard (the fixed responses in front of them).
        listener_rules=len(routes) + (len(edge.guards) if edge is not None else 0),
        groups_per_interface=1,
        where=where,
    )
