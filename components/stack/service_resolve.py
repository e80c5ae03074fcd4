"""One service's `ServiceSettings` as `resolve.py` resolves it from its catalog entry and its
`serviceOverrides`: variables and secrets, building blocks and the memory they leave the
application, image, health check, rollout, scaling and restart, each a named step whose
`ConfigIssue`s follow the order the stack file's user reads them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..compute.config import (
    SPRING_HEALTH_PATH,
    SPRING_LIVENESS_PATH,
    ServiceOverride,
    ServiceSpec,
)
from ..compute.containers import DEFAULT_HEALTH_PATH, MIN_APP_MEMORY_MIB, app_memory_mib
from ..compute.sidecars import SIDECAR_CPU_ALLOWED, sidecar_cpu_problem
from ..edge.config import route_rate_limit
from ..errors import MISSING, ConfigIssue
from ..identity.config import KEYCLOAK_SERVICE, keycloak_size_issues
from .blocks import ServiceBlocks, resolve_blocks
from .connect import Role, ingress_port
from .model import StackConfig
from .platform_settings import PlatformSettings
from .release import ReleaseRecord, ResolvedImage, release_image
from .runtime import health_path_issue, runtime_environment
from .service_entries import ServiceCatalog
from .service_rollouts import available_uses, keycloak_rollout
from .service_sizes import ServiceSize
from .service_variables import (
    check_secret_clashes,
    check_wired_names,
    environment_sources,
    service_variables,
)
from .settings import ServiceSettings
from .stack_rules import StackDefaults
from .tuning import (
    RestartSettings,
    RolloutSettings,
    ServiceScalingSettings,
    resolve_restart,
    resolve_scaling,
)
from .variables import check_env_vars


@dataclass(frozen=True)
class ServiceContext:
    """What every service of the stack is resolved against."""

    config: StackConfig
    catalog: ServiceCatalog
    stack: StackDefaults
    platform: PlatformSettings
    rollouts: Mapping[str, RolloutSettings]
    roles: Mapping[str, Role]
    record: ReleaseRecord | None


@dataclass(frozen=True)
class _Resolved:
    """What resolution adds to a service's catalog entry."""

    size: ServiceSize
    environment: dict[str, str]
    secrets: dict[str, str]
    target_group: str | None
    health_path: str | None
    image: ResolvedImage
    traced: bool
    blocks: ServiceBlocks
    rollout: RolloutSettings
    restart: RestartSettings
    scaling: ServiceScalingSettings


def check_service_variables(name: str, context: ServiceContext, issues: list[ConfigIssue]) -> None:
    """The service's own variables and its override's, under the variables' rules."""
    spec = context.catalog.specs[name]
    base = context.catalog.spec_path(name)
    override = context.config.service_overrides.get(name)
    check_env_vars(spec.environment, f"{base}.environment", f"{base}.secrets", issues)
    if override is not None:
        check_env_vars(
            override.environment,
            f"serviceOverrides.{name}.environment",
            f"serviceOverrides.{name}.secrets",
            issues,
        )


def resolve_service(
    name: str, size: ServiceSize, context: ServiceContext, issues: list[ConfigIssue]
) -> ServiceSettings:
    """The service's settings, its sizes resolved (`service_sizes.py`)."""
    config, platform = context.config, context.platform
    spec = context.catalog.specs[name]
    override = config.service_overrides.get(name)
    base = context.catalog.spec_path(name)
    # The common keys are the application's (JAVA_OPTS, Spring settings): not Keycloak's, a
    # third-party image whose kc.sh replaces its own JVM defaults with any JAVA_OPTS.
    catalog_service = name != KEYCLOAK_SERVICE or platform.keycloak is None
    environment, secrets, target_group = service_variables(
        name, spec, override, config, catalog_service
    )
    blocks = resolve_blocks(
        name,
        [(f"serviceOverrides.{name}", override), (base, spec)],
        port=spec.port,
        writable_paths=spec.writable_paths,
        file_systems=config.file_systems,
        issues=issues,
    )
    # The heap follows the application container: the task less its sidecars (runtime.py).
    traced = context.stack.chosen.xray_tracing and catalog_service
    container_memory = _application_memory(
        name, spec, size, blocks, context, traced=traced, issues=issues
    )
    environment.update(
        runtime_environment(
            name,
            environment_sources(name, base, spec, override, config, catalog_service),
            spring_boot=spec.spring_boot,
            keycloak=not catalog_service,
            traced=traced,
            task_mib=size.memory,
            container_mib=container_memory,
            issues=issues,
        )
    )
    check_secret_clashes(name, base, spec, override, environment, secrets, issues)
    if context.catalog.origin(name).from_base:
        # The base catalog uses each piece when the stack has it: a stack switching
        # Keycloak or the cache off keeps the AccessWeaver catalog valid.
        uses = available_uses(spec.uses, config, platform, context.catalog.origin(name).stack_uses)
        spec = spec.model_copy(update={"uses": uses})
    if name != KEYCLOAK_SERVICE:
        check_wired_names(name, base, spec, override, config, platform, issues)
    image = release_image(
        name,
        registry=str(platform.container_registry),
        explicit=(override.image if override and override.image else None) or spec.image,
        image_tag=config.image_tag,
        record=context.record,
    )
    health_path, target_group = _health_check(name, base, spec, override, target_group, issues)
    rollout = context.rollouts[name]
    if name == KEYCLOAK_SERVICE and platform.keycloak is not None:
        rollout = keycloak_rollout(rollout, image, context.record)
    scaling = resolve_scaling(
        name,
        [
            (f"serviceOverrides.{name}.scaling", override and override.scaling),
            (f"{base}.scaling", spec.scaling),
        ],
        behind_alb=bool(spec.public and config.edge.enabled and not target_group),
        autoscaling=config.auto_scaling_enabled,
        consumes=spec.uses.consumes,
        container_insights=context.stack.container_insights != "disabled",
        issues=issues,
    )
    restart = resolve_restart(
        [
            (f"serviceOverrides.{name}.restartPolicy", override and override.restart_policy),
            (f"{base}.restartPolicy", spec.restart_policy),
        ],
        config.restart_policy,
    )
    resolved = _Resolved(
        size=size,
        environment=environment,
        secrets=secrets,
        target_group=target_group,
        health_path=health_path,
        image=image,
        traced=traced,
        blocks=blocks,
        rollout=rollout,
        restart=restart,
        scaling=scaling,
    )
    return _service_settings(name, spec, resolved, context)


def _application_memory(
    name: str,
    spec: ServiceSpec,
    size: ServiceSize,
    blocks: ServiceBlocks,
    context: ServiceContext,
    *,
    traced: bool,
    issues: list[ConfigIssue],
) -> int:
    """The memory the sidecars leave the application container, at least its minimum, and
    within Keycloak's sizing guide for Keycloak."""
    platform = context.platform
    container_memory = app_memory_mib(
        size.memory,
        xray=traced,
        service_connect=name in context.roles,
        own=blocks.own_memory_mib,
    )
    if blocks.own_memory_mib and container_memory < MIN_APP_MEMORY_MIB:
        issues.append(
            ConfigIssue(
                _sidecars_path(name, spec, context),
                [s.name for s in blocks.sidecars],
                f"the sidecars and log router ({blocks.own_memory_mib} MiB) leave the "
                f"application {container_memory} MiB of the task's {size.memory} MiB",
                f"at least {MIN_APP_MEMORY_MIB} MiB left: raise memory or lower theirs",
            )
        )
    cpu_problem = sidecar_cpu_problem(blocks.sidecars, size.cpu) if size.valid else None
    if cpu_problem is not None:
        # The component's rule, here before any resource is registered (a stack refused
        # half-way would keep what was created before the component).
        issues.append(
            ConfigIssue(
                _sidecars_path(name, spec, context),
                [s.name for s in blocks.sidecars],
                cpu_problem,
                SIDECAR_CPU_ALLOWED,
            )
        )
    if name == KEYCLOAK_SERVICE and platform.keycloak is not None and size.valid:
        # Keycloak's own sizing guide for the stack's expected load (identity/sizing.py),
        # once Fargate accepts the size (one problem per key, not two).
        issues.extend(
            keycloak_size_issues(
                platform.keycloak,
                cpu=size.cpu,
                container_memory=container_memory,
                tasks=max(size.desired, 1),
                cpu_path=size.cpu_path,
                memory_path=size.memory_path,
            )
        )
    return container_memory


def _sidecars_path(name: str, spec: ServiceSpec, context: ServiceContext) -> str:
    """Where the service's sidecars are declared: its catalog entry, else its override."""
    if spec.sidecars:
        return f"{context.catalog.spec_path(name)}.sidecars"
    return f"serviceOverrides.{name}.sidecars"


def _health_check(
    name: str,
    base: str,
    spec: ServiceSpec,
    override: ServiceOverride | None,
    target_group: str | None,
    issues: list[ConfigIssue],
) -> tuple[str | None, str | None]:
    """The HTTP path the service is probed at (None for a worker, checked by its command), and
    its external target group (None for a worker, reported)."""
    health_path = spec.health_check_path
    if spec.port is None:
        _check_worker(spec, base, issues)
        if target_group:
            issues.append(_worker_target_group(name, base, override, target_group))
            target_group = None  # reported: the rest is checked as the worker it is
        return None, target_group
    if health_path is None:
        return (SPRING_HEALTH_PATH if spec.spring_boot else DEFAULT_HEALTH_PATH), target_group
    aggregate = health_path_issue(
        f"{base}.healthCheckPath", health_path, spring_boot=spec.spring_boot
    )
    if aggregate is not None:
        issues.append(aggregate)
    return health_path, target_group


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


def _service_settings(
    name: str, spec: ServiceSpec, resolved: _Resolved, context: ServiceContext
) -> ServiceSettings:
    """The service's settings: its catalog entry (`uses` as the stack has them) with what
    resolution added."""
    config, platform, size = context.config, context.platform, resolved.size
    role = context.roles.get(name)
    return ServiceSettings(
        name=name,
        description=spec.description,
        port=spec.port,
        public=spec.public,
        health_check_path=resolved.health_path,
        criticality=spec.criticality,
        spring_boot=spec.spring_boot,
        deploy_order=spec.deploy_order,
        image=resolved.image.image,
        image_source=resolved.image.source,
        built_image=resolved.image.built,
        pinned_tag=resolved.image.pinned_tag,
        command=tuple(spec.command) if spec.command else None,
        user=spec.user,
        stop_timeout=spec.stop_timeout,
        cpu=size.cpu,
        memory=size.memory,
        desired_count=size.desired,
        min_capacity=size.minimum,
        max_capacity=size.maximum,
        environment=dict(sorted(resolved.environment.items())),
        secrets=dict(sorted(resolved.secrets.items())),
        target_group_arn=resolved.target_group,
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
        tracing=resolved.traced,
        health_check_command=(
            tuple(spec.health_check_command) if spec.health_check_command else None
        ),
        writable_paths=tuple(spec.writable_paths),
        uses=spec.uses,
        calls=tuple(spec.calls),
        execute_command=context.stack.chosen.execute_command
        or (
            name == KEYCLOAK_SERVICE
            and platform.keycloak is not None
            and platform.keycloak.admin_port_forward
        ),
        rollout=resolved.rollout,
        restart=resolved.restart,
        scaling=resolved.scaling,
        connect=role,
        connect_port=(
            ingress_port(spec.port, {p for p in (spec.health_check_port,) if p is not None})
            if role == "publish" and spec.port is not None and spec.public and config.edge.enabled
            else None
        ),
        blocks=resolved.blocks,
    )
