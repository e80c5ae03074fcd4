"""Turn a validated `StackConfig` into resolved `StackSettings`, checking cross-field rules.

Resolution applies, in order: the environment's defaults (`environments.py` and each domain's
`config.py`), the catalog entry, the stack-wide settings, then `serviceOverrides`. Every rule
that spans fields is checked here and every failure is collected, so the user sees all problems
of a stack file at once.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic.alias_generators import to_camel

from ..compute.arguments import scaling_problem
from ..compute.config import (
    OFF_HOURS_DEFAULTS,
    SPRING_HEALTH_PATH,
    SPRING_LIVENESS_PATH,
    WEEKS_PER_MONTH,
    OffHoursSettings,
    ServiceOverride,
    ServiceSpec,
    ServiceUses,
    TaskSpec,
)
from ..compute.containers import DEFAULT_HEALTH_PATH, MIN_APP_MEMORY_MIB, app_memory_mib
from ..compute.fargate import size_issues as _size_issues
from ..data.database import login_name
from ..edge.config import (
    EdgeSettings,
    resolve_edge,
    resolve_network_load_balancer,
    route_rate_limit,
)
from ..edge.routing import shadows
from ..edge.waf import web_acl_issues
from ..errors import MISSING, SECRET_NAME, ConfigError, ConfigIssue
from ..formats import ENFORCED_ENVIRONMENTS, explicit_keys, tag_problems
from ..identity.config import (
    KEYCLOAK_SERVICE,
    keycloak_catalog_entry,
    keycloak_guards,
    keycloak_size_issues,
)
from ..identity.updates import keycloak_recreate_reason, keycloak_recreate_tag
from ..network.config import ExistingVpc, NewVpcSettings, resolve_network
from ..resilience.config import resolve_fault_injection
from .blocks import resolve_blocks, resolve_file_systems
from .catalog import SEED_SINGLE_TASKS, EntryOrigin
from .connect import Caller, Role, connect_roles, ingress_port
from .default_waivers import default_waivers
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
    check_graph,
    pieces_from,
    service_group,
    service_paths,
    task_group,
    task_paths,
)
from .model import StackConfig
from .platform_settings import PlatformSettings, resolve_platform
from .platform_tasks import (
    PLATFORM_SETUP,
    PLATFORM_TASKS,
    LoginSpec,
    database_logins,
    login_issues,
    setup_spec,
    with_platform_tasks,
)
from .probe import HEALTH_PROBE, probe_spec
from .queues import resolve_queues
from .quotas import quota_issues, rules_per_group
from .release import (
    ReleaseRecord,
    ReleaseState,
    ResolvedImage,
    release_image,
    running_tags,
)
from .runtime import health_path_issue, runtime_environment
from .schedules import DatabaseSchedule, database_schedule
from .settings import ServiceSettings, StackSettings
from .tasks import TaskSettings, explicit_images, resolve_tasks
from .tuning import RolloutSettings, resolve_restart, resolve_rollout, resolve_scaling
from .variables import check_env_vars as _check_env_vars
from .variables import wired_names

_SECRET_NAME = SECRET_NAME


def _catalog(config: StackConfig) -> dict[str, ServiceSpec]:
    """The services the stack runs: the (extended) catalog without the disabled ones."""
    return {name: spec for name, spec in (config.services or {}).items() if spec.enabled}


def _disabled(config: StackConfig) -> set[str]:
    return {name for name, spec in (config.services or {}).items() if not spec.enabled}


_PLATFORM_KEYS = ("database", "cache", "secrets", "keycloak", "documents", "registry", "alarms")


def _check_platform_conflicts(
    config: StackConfig, platform: PlatformSettings, issues: list[ConfigIssue]
) -> None:
    """An existing data store's security group and a created data store exclude each other."""
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


def _check_wired_names(
    name: str,
    base: str,
    spec: ServiceSpec,
    override: ServiceOverride | None,
    config: StackConfig,
    platform: PlatformSettings,
    issues: list[ConfigIssue],
) -> None:
    """Variables the program wires (endpoints, generated secrets) must not be set by hand too."""
    wired = wired_names(spec.uses, spec.calls, platform)
    sources = [
        ("commonEnvironmentVariables", config.common_environment_variables),
        ("commonSecrets", config.common_secrets),
        (f"{base}.environment", spec.environment),
        (f"{base}.secrets", spec.secrets),
    ]
    if override is not None:
        sources += [
            (f"serviceOverrides.{name}.environment", override.environment),
            (f"serviceOverrides.{name}.secrets", override.secrets),
        ]
    for path, values in sources:
        for clash in sorted(wired & set(values)):
            if path.endswith(("environment", "EnvironmentVariables")) and _SECRET_NAME.search(
                clash
            ):
                continue  # already refused as a secret in a plain variable
            issue = ConfigIssue(
                f"{path}.{clash}",
                "<hidden>",
                f"wired by the program into {name} from what it uses and calls"
                if path.startswith("common")
                else "wired by the program from what the service uses and calls",
                f"remove it (the program sets it from {base}.uses and {base}.calls)",
            )
            if not any(i.path == issue.path for i in issues):  # common keys: once
                issues.append(issue)


def _available(
    uses: ServiceUses,
    config: StackConfig,
    platform: PlatformSettings,
    stack_uses: frozenset[str] = frozenset(),
) -> ServiceUses:
    """`uses` without the pieces the stack does not have (for the base catalog's own entries
    only: a key the stack file sets itself, `stack_uses`, is checked instead)."""
    have = {
        "database": platform.database is not None or config.rds_security_group_id is not None,
        "cache": platform.cache is not None or config.redis_security_group_id is not None,
        "documents": platform.documents is not None,
        "jwt_key": platform.secrets is not None and platform.secrets.jwt_secret,
        "keycloak": platform.keycloak is not None,
    }
    off = {
        key: (None if key == "documents" else False)
        for key, on in have.items()
        if not on and to_camel(key) not in stack_uses
    }
    return uses.model_copy(update=off)


def _rollouts_and_connect(
    config: StackConfig,
    catalog: Mapping[str, ServiceSpec],
    names: Sequence[str],
    chosen: Any,
    platform: PlatformSettings,
    origin: Callable[[str], EntryOrigin],
    spec_path: Callable[[str], str],
    issues: list[ConfigIssue],
) -> tuple[dict[str, RolloutSettings], dict[str, Role]]:
    """Each service's rollout, and who joins Service Connect (`connect.py`): a called service
    that shifts traffic, with its callers. Resolved before the services because Service
    Connect's proxy takes memory from a task, and the heap follows the memory left."""
    rollouts: dict[str, RolloutSettings] = {}
    edges: list[Caller] = []
    for name in names:
        spec = catalog[name]
        override = config.service_overrides.get(name)
        base = spec_path(name)
        target_group = (
            override.target_group_arn if override is not None else None
        ) or config.target_group_arns.get(name)
        rollouts[name] = resolve_rollout(
            name,
            [
                (f"serviceOverrides.{name}.deployment", override and override.deployment),
                (f"{base}.deployment", spec.deployment),
            ],
            config.deployment,
            default_strategy=chosen.deployment_strategy,
            default_bake_time_minutes=chosen.bake_time_minutes,
            # Traffic moves between the two target groups of the program's own ALB.
            can_shift=bool(spec.public and config.edge.enabled and not target_group),
            issues=issues,
        )
        uses = (
            _available(spec.uses, config, platform, origin(name).stack_uses)
            if origin(name).from_base
            else spec.uses
        )
        edges += [
            Caller(callee, name, f"{base}.calls[{index}]")
            for index, callee in enumerate(spec.calls)
            if callee in catalog and callee != name
        ]
        if uses.keycloak and name != KEYCLOAK_SERVICE:
            edges.append(Caller(KEYCLOAK_SERVICE, name, f"{base}.uses.keycloak"))
    for task, spec in sorted(config.tasks.items()):
        edges += [
            Caller(callee, task, f"tasks.{task}.calls[{index}]", task=True)
            for index, callee in enumerate(spec.calls)
            if callee in catalog
        ]
        if spec.uses.keycloak:
            edges.append(Caller(KEYCLOAK_SERVICE, task, f"tasks.{task}.uses.keycloak", task=True))
    roles = connect_roles(
        [edge for edge in edges if edge.callee in catalog],
        shifting={name: r.strategy for name, r in rollouts.items() if r.shifts_traffic},
        ports={name: catalog[name].port for name in names},
        enabled=config.service_connect.enabled,
        issues=issues,
    )
    return rollouts, roles


def _keycloak_rollout(
    rollout: RolloutSettings, image: ResolvedImage, record: ReleaseRecord | None
) -> RolloutSettings:
    """Keycloak's rollout for this run: a recreate when the version it deploys (its image's
    tag) differs from one the release record says may be running (identity/updates.py), the
    configured strategy otherwise. Only an image CI builds under Keycloak's version tag is
    known this way; an image given from elsewhere keeps the configured strategy."""
    if not image.built or image.pinned_tag is None:
        return rollout
    running = running_tags(record, KEYCLOAK_SERVICE)
    reason = keycloak_recreate_reason(image.pinned_tag, running)
    if reason is None:
        return rollout
    tag = keycloak_recreate_tag(image.pinned_tag, running)
    return dataclasses.replace(rollout, recreate=reason, recreate_tag=tag)


def _check_worker(spec: ServiceSpec, base: str, issues: list[ConfigIssue]) -> None:
    """A service without a port is a worker: no HTTP health check, nothing to route to."""
    if spec.health_check_command is None:
        issues.append(
            ConfigIssue(
                f"{base}.healthCheckCommand",
                MISSING,
                "a worker (no port) has no HTTP endpoint to probe",
                'a command health check, e.g. [CMD-SHELL, "test -f /tmp/healthy"], or a port',
            )
        )
    for key, value in (
        ("healthCheckPath", spec.health_check_path),
        ("healthCheckPort", spec.health_check_port),
    ):
        if value is not None:
            issues.append(
                ConfigIssue(
                    f"{base}.{key}",
                    value,
                    "has no effect on a worker (no port): it is checked by its command",
                    "remove it, or give the service a port",
                )
            )


def _worker_target_group(
    name: str, base: str, override: ServiceOverride | None, arn: str
) -> ConfigIssue:
    """A target group sends requests to a port: a worker has none (its component refuses it
    too, but only after the config checks: this names the key instead)."""
    key = (
        f"serviceOverrides.{name}.targetGroupArn"
        if override is not None and override.target_group_arn
        else f"targetGroupArns.{name}"
    )
    return ConfigIssue(
        key,
        arn,
        f"{name} is a worker (no port): a load balancer's target group has no port to send "
        "requests to",
        f"remove it, or give the service a port ({base}.port)",
    )


def _covers(earlier: str, later: str) -> bool:
    """Every path `later` matches, `earlier` matches too (ALB patterns: `*` any run, `?` one
    character). Reading `later`'s wildcards as text is exact unless a `?` of `earlier` meets a
    `*` of `later`: that case is left out (never a false alarm)."""
    if earlier == later or ("?" in earlier and "*" in later):
        return False
    return fnmatch.fnmatchcase(later, earlier)


def _check_shadowed_routes(
    edge: EdgeSettings, service_path: Callable[[str], str], issues: list[ConfigIssue]
) -> None:
    """The ALB stops at the first rule that matches: a pattern a lower-priority rule of another
    service matches entirely, on every host the later rule names, never receives traffic
    (identical patterns on the same hosts are reported already)."""
    routes = sorted((r for r in edge.routes if not r.default), key=lambda r: r.priority)
    for index, later in enumerate(routes):
        for pattern in later.path_patterns:
            for earlier in routes[:index]:
                covering = [p for p in earlier.path_patterns if _covers(p, pattern)]
                if (
                    earlier.service == later.service
                    or not covering
                    or not shadows(
                        earlier.host_headers, later.host_headers, paths_covered=bool(covering)
                    )
                ):
                    continue
                issues.append(
                    ConfigIssue(
                        f"{service_path(later.service)}.pathPatterns",
                        pattern,
                        f"never reached: {earlier.service}'s {covering[0]} (priority "
                        f"{earlier.priority}) matches it first (priority {later.priority})",
                        f"a priority below {earlier.priority} for {later.service}, or patterns "
                        f"{earlier.service} does not match",
                    )
                )
                break


def _pick(
    override: ServiceOverride | None, name: str, attr: str, default: Any, default_path: str
) -> tuple[Any, str]:
    """The override's value and its key path when set, else the default and where it came from."""
    value = getattr(override, attr) if override is not None else None
    if value is not None:
        return value, f"serviceOverrides.{name}.{to_camel(attr)}"
    return default, default_path


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
    origins = origins or {}
    record = release.record if release is not None else None

    issues: list[ConfigIssue] = []
    env = config.environment
    defaults: EnvironmentDefaults = ENVIRONMENT_DEFAULTS[env]
    # Stack-wide values the stack file sets replace the environment's defaults (never mutated).
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

    # vpcId and the subnet ids are checked with the network keys (components/network/config.py).

    platform = resolve_platform(
        {key: getattr(config, key) for key in _PLATFORM_KEYS},
        config.protect_stateful_resources,
        env=env,
        project=config.project_name or project,
        region=region,
        container_registry=config.container_registry,
        account_id=account_id,
        issues=issues,
        security_log_retention_days=chosen.security_log_retention_days,
    )
    _check_platform_conflicts(config, platform, issues)
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
    catalog = _catalog(config)
    if platform.keycloak is not None:
        if KEYCLOAK_SERVICE in catalog:
            issues.append(
                ConfigIssue(
                    f"services.{KEYCLOAK_SERVICE}",
                    KEYCLOAK_SERVICE,
                    "the name is taken by the Keycloak service keycloak.enabled adds",
                    "another service name, or keycloak.enabled false",
                )
            )
        catalog[KEYCLOAK_SERVICE] = ServiceSpec.model_validate(
            keycloak_catalog_entry(platform.keycloak, platform.database, env)
        )

    def origin(name: str) -> EntryOrigin:
        return origins.get(name, EntryOrigin(from_base=False, stack_keys=frozenset({"*"})))

    def spec_path(name: str) -> str:
        """Where a catalog entry comes from: the `keycloak` key, the stack file's `services`,
        or the base catalog as it is."""
        if name == KEYCLOAK_SERVICE and platform.keycloak is not None:
            return KEYCLOAK_SERVICE
        return f"services.{name}" if origin(name).stack_keys else f"(default catalog).{name}"

    names = sorted(catalog)
    valid_names = ", ".join(names) or "a service of the catalog (it has none)"
    disabled = _disabled(config)
    if not catalog:
        issues.append(ConfigIssue("services", {}, "the catalog is empty", "at least one service"))
    for key, keyed_by_service in (
        ("serviceOverrides", config.service_overrides),
        ("targetGroupArns", config.target_group_arns),
    ):
        for unknown in sorted(set(keyed_by_service) - set(catalog)):
            if unknown in disabled:
                issues.append(
                    ConfigIssue(
                        f"{key}.{unknown}",
                        unknown,
                        f"the service is disabled (services.{unknown}.enabled: false)",
                        f"remove {key}.{unknown}, or enable the service",
                    )
                )
            else:
                issues.append(
                    ConfigIssue(f"{key}.{unknown}", unknown, "unknown service", valid_names)
                )

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

    if (
        config.min_capacity_override is not None
        and config.max_capacity_override is not None
        and config.min_capacity_override > config.max_capacity_override
    ):
        issues.append(
            ConfigIssue(
                "minCapacityOverride",
                config.min_capacity_override,
                f"greater than maxCapacityOverride ({config.max_capacity_override})",
                f"at most {config.max_capacity_override}",
            )
        )

    _check_env_vars(
        config.common_environment_variables, "commonEnvironmentVariables", "commonSecrets", issues
    )

    rollouts, roles = _rollouts_and_connect(
        config, catalog, names, chosen, platform, origin, spec_path, issues
    )
    services: list[ServiceSettings] = []
    seed_single_tasks: dict[str, str] = {}
    for name in names:
        spec = catalog[name]
        override = config.service_overrides.get(name)
        base = spec_path(name)
        # Keycloak's size keys sit directly under `keycloak`, the catalog's under sizes.<env>.
        if base == KEYCLOAK_SERVICE:
            size_base = base
        elif origin(name).from_base and "sizes" not in origin(name).stack_keys:
            # A base service's sizes change per stack through serviceOverrides, so that is the
            # key a message names (unless the stack file gives the service sizes of its own).
            size_base = f"serviceOverrides.{name}"
        else:
            size_base = f"{base}.sizes.{env}"
        _check_env_vars(spec.environment, f"{base}.environment", f"{base}.secrets", issues)
        if override is not None:
            _check_env_vars(
                override.environment,
                f"serviceOverrides.{name}.environment",
                f"serviceOverrides.{name}.secrets",
                issues,
            )
        size = spec.sizes.get(env)
        if size is None:
            issues.append(
                ConfigIssue(
                    f"{base}.sizes.{env}",
                    None,
                    f"no size for environment {env}",
                    "a {cpu, memory, desiredCount} entry for every environment the catalog runs in",
                )
            )
            continue

        def pick(attr: str, default: Any, default_path: str) -> tuple[Any, str]:
            return _pick(override, name, attr, default, default_path)  # noqa: B023 (called now)

        cpu, cpu_path = pick("cpu", size.cpu, f"{size_base}.cpu")
        memory, memory_path = pick("memory", size.memory, f"{size_base}.memory")
        desired, desired_path = pick(
            "desired_count", size.desired_count, f"{size_base}.desiredCount"
        )
        before = len(issues)
        _size_issues(cpu, memory, cpu_path, memory_path, issues)
        valid_size = len(issues) == before
        default_min = (
            config.min_capacity_override if config.min_capacity_override is not None else desired
        )
        minimum, min_path = pick(
            "min_capacity",
            default_min,
            "minCapacityOverride" if config.min_capacity_override is not None else desired_path,
        )
        maximum, max_path = pick(
            "max_capacity",
            chosen.max_capacity,
            "maxCapacityOverride"
            if config.max_capacity_override is not None
            else f"({env} default)",
        )
        if (
            origin(name).from_base
            and "sizes" not in origin(name).stack_keys
            and desired == minimum == 1
            and desired_path == min_path == f"{size_base}.desiredCount"
            and not (override is not None and override.desired_count is not None)
            and name in SEED_SINGLE_TASKS.get(env, {})
        ):
            seed_single_tasks[name] = SEED_SINGLE_TASKS[env][name]
        stack_wide_bounds = (min_path, max_path) == ("minCapacityOverride", "maxCapacityOverride")
        # The components' rule (compute/arguments.py), worded here at the stack file's keys; a
        # negative count never gets here (the model's bounds refuse it).
        bounds = scaling_problem(desired, minimum, maximum)
        if config.auto_scaling_enabled:
            if bounds == "minimum_above_maximum":
                if stack_wide_bounds:
                    continue  # reported once above, not once per service
                what = "desired count" if min_path == desired_path else "autoscaling minimum"
                issues.append(
                    ConfigIssue(
                        min_path,
                        minimum,
                        f"{name}: {what} is above the autoscaling maximum ({maximum}, {max_path})",
                        f"at most {maximum}",
                    )
                )
            elif bounds == "desired_outside":
                issues.append(
                    ConfigIssue(
                        desired_path,
                        desired,
                        f"{name}: desired count outside autoscaling bounds "
                        f"[{minimum} ({min_path}), {maximum} ({max_path})]",
                        f"{minimum} to {maximum}",
                    )
                )

        environment: dict[str, str] = {}
        if spec.spring_boot:
            environment["SPRING_PROFILES_ACTIVE"] = env
        # The common keys are the application's (JAVA_OPTS, Spring settings): not Keycloak's, a
        # third-party image whose kc.sh replaces its own JVM defaults with any JAVA_OPTS.
        catalog_service = name != KEYCLOAK_SERVICE or platform.keycloak is None
        if catalog_service:
            environment.update(config.common_environment_variables)
        environment.update(spec.environment)
        secrets = {**(config.common_secrets if catalog_service else {}), **spec.secrets}
        target_group = config.target_group_arns.get(name)
        if override is not None:
            environment.update(override.environment)
            secrets.update(override.secrets)
            target_group = override.target_group_arn or target_group
        blocks = resolve_blocks(
            name,
            [(f"serviceOverrides.{name}", override), (base, spec)],
            port=spec.port,
            user=spec.user,
            writable_paths=spec.writable_paths,
            file_systems=config.file_systems,
            issues=issues,
        )
        # The heap follows the application container: the task less its sidecars (runtime.py).
        traced = chosen.xray_tracing and catalog_service
        container_memory = app_memory_mib(
            memory,
            xray=traced,
            service_connect=name in roles,
            own=blocks.own_memory_mib,
        )
        if blocks.own_memory_mib and container_memory < MIN_APP_MEMORY_MIB:
            issues.append(
                ConfigIssue(
                    f"{base}.sidecars" if spec.sidecars else f"serviceOverrides.{name}.sidecars",
                    [s.name for s in blocks.sidecars],
                    f"the sidecars and log router ({blocks.own_memory_mib} MiB) leave the "
                    f"application {container_memory} MiB of the task's {memory} MiB",
                    f"at least {MIN_APP_MEMORY_MIB} MiB left: raise memory or lower theirs",
                )
            )
        if not catalog_service and platform.keycloak is not None and valid_size:
            # Keycloak's own sizing guide for the stack's expected load (identity/sizing.py),
            # once Fargate accepts the size (one problem per key, not two).
            issues.extend(
                keycloak_size_issues(
                    platform.keycloak,
                    cpu=cpu,
                    container_memory=container_memory,
                    tasks=max(desired, 1),
                    cpu_path=cpu_path,
                    memory_path=memory_path,
                )
            )
        env_sources = [
            *([("commonEnvironmentVariables", config.common_environment_variables)]
              if catalog_service else []),
            (f"{base}.environment", spec.environment),
            *([(f"serviceOverrides.{name}.environment", override.environment)]
              if override is not None else []),
        ]  # fmt: skip
        environment.update(
            runtime_environment(
                name,
                env_sources,
                spring_boot=spec.spring_boot,
                keycloak=not catalog_service,
                traced=traced,
                task_mib=memory,
                container_mib=container_memory,
                issues=issues,
            )
        )
        for clash in sorted(set(environment) & set(secrets)):
            if override is not None and clash in override.secrets:
                clash_path = f"serviceOverrides.{name}.secrets.{clash}"
            elif clash in spec.secrets:
                clash_path = f"{base}.secrets.{clash}"
            else:
                clash_path = f"commonSecrets.{clash}"
            issues.append(
                ConfigIssue(
                    clash_path,
                    clash,
                    "set both as a plain variable and as a secret",
                    "one or the other",
                )
            )
        if origin(name).from_base:
            # The base catalog uses each piece when the stack has it: a stack switching
            # Keycloak or the cache off keeps the AccessWeaver catalog valid.
            uses = _available(spec.uses, config, platform, origin(name).stack_uses)
            spec = spec.model_copy(update={"uses": uses})
        if name != KEYCLOAK_SERVICE:
            _check_wired_names(name, base, spec, override, config, platform, issues)
        resolved_image = release_image(
            name,
            registry=str(platform.container_registry),
            explicit=(override.image if override and override.image else None) or spec.image,
            image_tag=config.image_tag,
            record=record,
        )
        health_path = spec.health_check_path
        if spec.port is None:
            _check_worker(spec, base, issues)
            health_path = None
            if target_group:
                issues.append(_worker_target_group(name, base, override, target_group))
                target_group = None  # reported: the rest is checked as the worker it is
        elif health_path is None:
            health_path = SPRING_HEALTH_PATH if spec.spring_boot else DEFAULT_HEALTH_PATH
        elif (
            aggregate := health_path_issue(
                f"{base}.healthCheckPath", health_path, spring_boot=spec.spring_boot
            )
        ) is not None:
            issues.append(aggregate)
        rollout = rollouts[name]
        if name == KEYCLOAK_SERVICE and platform.keycloak is not None:
            rollout = _keycloak_rollout(rollout, resolved_image, record)
        service_scaling = resolve_scaling(
            name,
            [
                (f"serviceOverrides.{name}.scaling", override and override.scaling),
                (f"{base}.scaling", spec.scaling),
            ],
            behind_alb=bool(spec.public and config.edge.enabled and not target_group),
            autoscaling=config.auto_scaling_enabled,
            consumes=spec.uses.consumes,
            container_insights=insights != "disabled",
            issues=issues,
        )
        restart = resolve_restart(
            [
                (f"serviceOverrides.{name}.restartPolicy", override and override.restart_policy),
                (f"{base}.restartPolicy", spec.restart_policy),
            ],
            config.restart_policy,
        )
        services.append(
            ServiceSettings(
                name=name,
                description=spec.description,
                port=spec.port,
                public=spec.public,
                health_check_path=health_path,
                criticality=spec.criticality,
                spring_boot=spec.spring_boot,
                deploy_order=spec.deploy_order,
                image=resolved_image.image,
                image_source=resolved_image.source,
                built_image=resolved_image.built,
                pinned_tag=resolved_image.pinned_tag,
                command=tuple(spec.command) if spec.command else None,
                user=spec.user,
                stop_timeout=spec.stop_timeout,
                cpu=cpu,
                memory=memory,
                desired_count=desired,
                min_capacity=minimum,
                max_capacity=maximum,
                environment=dict(sorted(environment.items())),
                secrets=dict(sorted(secrets.items())),
                target_group_arn=target_group,
                path_patterns=tuple(spec.path_patterns),
                priority=spec.priority,
                default_route=spec.default_route,
                max_request_body_kb=spec.max_request_body_kb,
                max_query_string_kb=spec.max_query_string_kb,
                rate_limit=route_rate_limit(spec.rate_limit),
                host_headers=tuple(spec.host_headers),
                health_check_port=spec.health_check_port,
                liveness_check_path=(
                    SPRING_LIVENESS_PATH if spec.spring_boot and spec.port is not None else None
                ),
                tracing=traced,
                health_check_command=(
                    tuple(spec.health_check_command) if spec.health_check_command else None
                ),
                writable_paths=tuple(spec.writable_paths),
                uses=spec.uses,
                calls=tuple(spec.calls),
                execute_command=chosen.execute_command
                or (
                    name == KEYCLOAK_SERVICE
                    and platform.keycloak is not None
                    and platform.keycloak.admin_port_forward
                ),
                rollout=rollout,
                restart=restart,
                scaling=service_scaling,
                connect=roles.get(name),
                connect_port=(
                    ingress_port(spec.port, {p for p in (spec.health_check_port,) if p is not None})
                    if roles.get(name) == "publish"
                    and spec.port is not None
                    and spec.public
                    and config.edge.enabled
                    else None
                ),
                blocks=blocks,
            )
        )

    if any(s.target_group_arn for s in services) and not config.alb_security_group_ids:
        issues.append(
            ConfigIssue(
                "albSecurityGroupIds",
                [],
                "target groups are set but no ALB security group may reach the services",
                "the ALB's security group id(s)",
            )
        )

    def service_path(service: str) -> str:
        return spec_path(service)

    queues = resolve_queues(
        services,
        config.queues,
        prefix=f"{config.project_name or project}-{env}",
        service_path=service_path,
        issues=issues,
    )

    external_target_groups = [
        (f"targetGroupArns.{name}", arn) for name, arn in sorted(config.target_group_arns.items())
    ] + [
        (f"serviceOverrides.{name}.targetGroupArn", override.target_group_arn)
        for name, override in sorted(config.service_overrides.items())
        if override.target_group_arn
    ]
    edge = resolve_edge(
        config.edge,
        env=env,
        region=region,
        services=services,
        service_path=service_path,
        external_target_groups=external_target_groups,
        issues=issues,
        security_log_retention_days=chosen.security_log_retention_days,
        guards=keycloak_guards() if _keycloak_routed(services, platform) else (),
    )
    if edge is not None:
        _check_shadowed_routes(edge, service_path, issues)
        issues += web_acl_issues(edge, service_path)
        keycloak = platform.keycloak
        domain = edge.domain
        if domain is not None and keycloak is not None and keycloak.hostname:
            host = keycloak.hostname
            if host != domain.name and not host.endswith(f".{domain.name}"):
                issues.append(
                    ConfigIssue(
                        "keycloak.hostname",
                        host,
                        f"outside edge.domain ({domain.name}): the program's certificate and "
                        "alias records would not cover it",
                        f"{domain.name} or a name under it, e.g. sso.{domain.name}",
                    )
                )
    nlb = resolve_network_load_balancer(
        config.network_load_balancer,
        env=env,
        region=region,
        services=services,
        service_path=service_path,
        issues=issues,
    )
    new_vpc = resolve_network(
        config.network,
        env=env,
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
        edge_enabled=any(lb is not None and not lb.internal for lb in (edge, nlb)),
        security_log_retention_days=chosen.security_log_retention_days,
        images=[*(s.image for s in services), *explicit_images(config.tasks)],
        endpoints_needed=[
            *(["xray"] if chosen.xray_tracing else []),
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
    off_hours = resolve_cost_levers(
        config, region=region, spot_percentage=spot_percentage, issues=issues
    )
    database_schedule = _database_schedule(config, platform, off_hours, issues)
    pieces = pieces_from(
        platform,
        edge,
        external_database_group=config.rds_security_group_id,
        external_cache_group=config.redis_security_group_id,
        external_alb_groups=config.alb_security_group_ids,
        nlb=nlb,
    )
    check_graph(services, pieces, service_path, issues, disabled=_disabled(config))
    task_specs = dict(config.tasks)
    probe = probe_spec(
        config.health_probe,
        environment=env,
        services=services,
        namespace=f"{config.project_name or project}-{env}.local",
        service_connect=bool(config.service_connect.enabled),
        issues=issues,
    )
    if probe is not None:
        if HEALTH_PROBE in task_specs:
            issues.append(
                ConfigIssue(
                    f"tasks.{HEALTH_PROBE}",
                    HEALTH_PROBE,
                    "the name is taken by the health probe healthProbe.enabled adds",
                    "another task name, or healthProbe.enabled: false",
                )
            )
        task_specs[HEALTH_PROBE] = probe
    setup = _platform_setup_spec(platform, env, task_specs, issues)
    if setup is not None:
        task_specs[PLATFORM_SETUP] = setup
    tasks, queues = resolve_tasks(
        task_specs,
        env=env,
        prefix=f"{config.project_name or project}-{env}",
        services=services,
        platform=platform,
        pieces=pieces,
        queues=queues,
        container_registry=str(platform.container_registry),
        image_tag=config.image_tag,
        record=record,
        disabled=_disabled(config),
        issues=issues,
    )
    tasks = tuple(
        # seconds of HTTP requests: Fargate's one-minute minimum is what a run bills
        dataclasses.replace(t, health_probe=True, run_minutes=1)
        if probe is not None and t.name == HEALTH_PROBE
        else t
        for t in tasks
    )
    tasks = with_platform_tasks(tasks, rotate=platform.database is not None)
    logins = _database_logins(platform, services, tasks, issues)
    fault_injection = resolve_fault_injection(
        config.fault_injection,
        env=env,
        region=region,
        guarded=platform.alarms is not None
        and (edge is not None or platform.database is not None or platform.cache is not None),
        issues=issues,
    )
    issues += _quota_issues(config, services, pieces, edge, new_vpc, tasks)
    issues += _security_retention_issues(config, env)
    issues += boundary_issues(config)
    if env in ENFORCED_ENVIRONMENTS and not chosen.encrypt_ephemeral_storage:
        issues.append(
            ConfigIssue(
                "encryptEphemeralStorage",
                False,
                "control FARGATE.1 is enforced in staging and prod: the tasks' ephemeral "
                "storage must be encrypted with a customer managed key",
                "true (or unset)",
            )
        )

    for key, problem, allowed in tag_problems(config.additional_tags):
        path = f"additionalTags.{key}" if key else "additionalTags"
        shown = config.additional_tags.get(key) if key else len(config.additional_tags)
        issues.append(ConfigIssue(path, shown, problem, allowed))

    project = config.project_name or project
    file_systems = resolve_file_systems(config.file_systems, issues)
    if issues:
        raise ConfigError(stack_file, namespace, issues)

    tags = {
        "Project": project,
        "Environment": env,
        "ManagedBy": "pulumi",
        **config.additional_tags,
    }
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
        container_insights=insights,
        fargate_spot_percentage=spot_percentage,
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
        tags=tags,
        public_subnet_ids=tuple(config.public_subnet_ids),
        new_vpc=new_vpc,
        edge=edge,
        network_load_balancer=nlb,
        platform=platform,
        off_hours=off_hours,
        monthly_budget_usd=config.monthly_budget_usd,
        permissions_boundary_arn=config.permissions_boundary_arn,
        log_group_template=config.log_group_prefix,
        quotas=config.quotas,
        queues=queues,
        database_schedule=database_schedule,
        release=release,
        tasks=tasks,
        database_logins=logins,
        file_systems=file_systems,
        fault_injection=fault_injection,
        default_waivers=default_waivers(
            env=env,
            prefix=f"{project}-{env}",
            public_task_services=(
                [s.name for s in services]
                if new_vpc is not None and new_vpc.task_public_ips
                else []
            ),
            seed_single_tasks=seed_single_tasks,
            platform=platform,
        ),
    )


def _platform_setup_spec(
    platform: PlatformSettings, env: str, task_specs: Mapping[str, Any], issues: list[ConfigIssue]
) -> TaskSpec | None:
    """The platform setup task, when the stack has a database or generates a secret."""
    secrets = platform.secrets
    generates = secrets is not None and (secrets.jwt_secret or platform.keycloak is not None)
    if platform.database is None and not generates:
        return None
    for name in PLATFORM_TASKS:
        if name in task_specs:
            issues.append(
                ConfigIssue(
                    f"tasks.{name}",
                    name,
                    "the name is taken by the stack's platform tasks (its generated secrets and "
                    "database logins)",
                    "another task name",
                )
            )
    return setup_spec(env, database=platform.database is not None)


def _database_logins(
    platform: PlatformSettings,
    services: Sequence[ServiceSettings],
    tasks: Sequence[TaskSettings],
    issues: list[ConfigIssue],
) -> tuple[LoginSpec, ...]:
    """A login per workload using the stack's database; Keycloak's database is its own."""
    database, keycloak = platform.database, platform.keycloak
    if database is None:
        return ()
    keycloak_db = keycloak.database_name if keycloak is not None else None
    users = [s.name for s in services if s.uses.database and s.name != KEYCLOAK_SERVICE]
    users += [t.name for t in tasks if t.platform is None and t.uses.database]
    if keycloak_db == database.database_name and users:
        issues.append(
            ConfigIssue(
                "keycloak.databaseName",
                keycloak_db,
                f"the services' database ({', '.join(users)} use it): Keycloak's login would "
                "own what they keep",
                f"a database of Keycloak's own (default keycloak), not {database.database_name}",
            )
        )
    logins = database_logins(
        services, tasks, database=database.database_name, keycloak_db=keycloak_db
    )
    paths = {login_name(s.name): f"services.{s.name}" for s in services}
    paths |= {login_name(t.name): f"tasks.{t.name}" for t in tasks}
    issues += login_issues(logins, database.username, paths)
    return logins


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


def _database_schedule(
    config: StackConfig,
    platform: PlatformSettings,
    off_hours: OffHoursSettings | None,
    issues: list[ConfigIssue],
) -> DatabaseSchedule | None:
    """The database's stop/start schedule (`database.stopOffHours`), or None."""
    database = platform.database
    asked = config.database.stop_off_hours if config.database is not None else None
    if database is None:
        return None
    stop = asked if asked is not None else (off_hours is not None and not database.multi_az)
    if not stop:
        return None
    if off_hours is None:
        issues.append(
            ConfigIssue(
                "database.stopOffHours",
                True,
                "the database stops around the services' working hours, and offHoursScaling "
                "is off in this stack",
                "offHoursScaling.enabled: true, or database.stopOffHours: false",
            )
        )
        return None
    return database_schedule(
        start=off_hours.start,
        stop=off_hours.stop,
        days=off_hours.days,
        timezone=off_hours.timezone,
        weeks_per_month=WEEKS_PER_MONTH,
    )


def _keycloak_routed(services: Sequence[ServiceSettings], platform: PlatformSettings) -> bool:
    """Keycloak runs and the stack's ALB routes to it (its guards then stand in front)."""
    return platform.keycloak is not None and any(
        s.name == KEYCLOAK_SERVICE and s.public for s in services
    )


def _security_retention_issues(config: StackConfig, env: str) -> list[ConfigIssue]:
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


def _quota_issues(
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


def resolve_cost_levers(
    config: StackConfig,
    *,
    region: str,
    spot_percentage: int,
    issues: list[ConfigIssue],
) -> OffHoursSettings | None:
    """The off-hours schedule (None = services run around the clock), after checking the
    levers against each other."""
    off_hours = config.off_hours_scaling
    # The dev default follows autoscaling: without a scalable target there is nothing to schedule.
    enabled = (
        off_hours.enabled
        if off_hours.enabled is not None
        else OFF_HOURS_DEFAULTS[config.environment] and config.auto_scaling_enabled
    )
    if not enabled:
        for key in explicit_keys(off_hours, {"enabled"}):
            issues.append(
                ConfigIssue(
                    f"offHoursScaling.{key}",
                    getattr(off_hours, key),  # these keys are the same in camelCase
                    f"has no effect: off-hours scaling is off in this stack ({config.environment})",
                    "remove it, or set offHoursScaling.enabled: true",
                )
            )
        return None
    if config.environment in ENFORCED_ENVIRONMENTS:
        issues.append(
            ConfigIssue(
                "offHoursScaling.enabled",
                True,
                "scales every service to 0 tasks outside working hours (control REL.3: at least "
                f"2 tasks, required in {config.environment})",
                "false (a dev lever)",
            )
        )
    if not config.auto_scaling_enabled:
        issues.append(
            ConfigIssue(
                "offHoursScaling.enabled",
                True,
                "the schedule acts on each service's scalable target, which only exists with "
                "autoScalingEnabled: true",
                "offHoursScaling.enabled: false, or autoScalingEnabled: true",
            )
        )
    if off_hours.start >= off_hours.stop:
        issues.append(
            ConfigIssue(
                "offHoursScaling.stop",
                off_hours.stop,
                f"not after offHoursScaling.start ({off_hours.start}): the services would run "
                "overnight, not during the day",
                f"a time after {off_hours.start} on the same day",
            )
        )
    if len(set(off_hours.days)) != len(off_hours.days):
        issues.append(
            ConfigIssue(
                "offHoursScaling.days",
                list(off_hours.days),
                "a day is listed twice",
                "distinct days among MON, TUE, WED, THU, FRI, SAT, SUN",
            )
        )
    order = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
    return OffHoursSettings(
        timezone=off_hours.timezone,
        start=off_hours.start,
        stop=off_hours.stop,
        days=tuple(sorted(set(off_hours.days), key=order.index)),
    )


PLACEHOLDER_REGION = "xx-invalid-1"
"""The loader resolves against this stand-in when `aws:region` is itself missing or malformed
(already reported); no second region problem is raised for it."""
