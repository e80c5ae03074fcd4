"""The services' rollouts and Service Connect roles as `resolve.py` resolves them before the
services (Service Connect's proxy takes memory from a task), Keycloak's recreate on a version
change, and the pieces a base catalog entry uses when the stack has them."""

from __future__ import annotations

import dataclasses

from pydantic.alias_generators import to_camel

from ..compute.config import ServiceUses
from ..errors import ConfigIssue
from ..identity.config import KEYCLOAK_SERVICE
from ..identity.updates import keycloak_recreate_reason, keycloak_recreate_tag
from .connect import Caller, Role, connect_roles
from .environments import EnvironmentDefaults
from .model import StackConfig
from .platform_settings import PlatformSettings
from .release import ReleaseRecord, ResolvedImage, running_tags
from .service_entries import ServiceCatalog
from .service_variables import external_target_group
from .tuning import RolloutSettings, resolve_rollout


def available_uses(
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


def rollouts_and_connect(
    config: StackConfig,
    catalog: ServiceCatalog,
    chosen: EnvironmentDefaults,
    platform: PlatformSettings,
    issues: list[ConfigIssue],
) -> tuple[dict[str, RolloutSettings], dict[str, Role]]:
    """Each service's rollout, and who joins Service Connect (`connect.py`): a called service
    that shifts traffic, with its callers. Resolved before the services because Service
    Connect's proxy takes memory from a task, and the heap follows the memory left."""
    rollouts: dict[str, RolloutSettings] = {}
    edges: list[Caller] = []
    specs = catalog.specs
    for name in catalog.names:
        spec = specs[name]
        override = config.service_overrides.get(name)
        base = catalog.spec_path(name)
        target_group = external_target_group(config, name, override)
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
        origin = catalog.origin(name)
        uses = (
            available_uses(spec.uses, config, platform, origin.stack_uses)
            if origin.from_base
            else spec.uses
        )
        edges += [
            Caller(callee, name, f"{base}.calls[{index}]")
            for index, callee in enumerate(spec.calls)
            if callee in specs and callee != name
        ]
        if uses.keycloak and name != KEYCLOAK_SERVICE:
            edges.append(Caller(KEYCLOAK_SERVICE, name, f"{base}.uses.keycloak"))
    for task, task_spec in sorted(config.tasks.items()):
        edges += [
            Caller(callee, task, f"tasks.{task}.calls[{index}]", task=True)
            for index, callee in enumerate(task_spec.calls)
            if callee in specs
        ]
        if task_spec.uses.keycloak:
            edges.append(Caller(KEYCLOAK_SERVICE, task, f"tasks.{task}.uses.keycloak", task=True))
    roles = connect_roles(
        [edge for edge in edges if edge.callee in specs],
        shifting={name: r.strategy for name, r in rollouts.items() if r.shifts_traffic},
        ports={name: specs[name].port for name in catalog.names},
        enabled=config.service_connect.enabled,
        issues=issues,
    )
    return rollouts, roles


def keycloak_rollout(
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
