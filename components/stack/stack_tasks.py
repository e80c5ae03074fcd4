"""The stack's tasks as `resolve.py` builds them: the stack file's own, the health probe
`healthProbe.enabled` adds, the platform tasks (generated secrets, database logins) and the
database login of every workload that uses the stack's database."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ..compute.config import TaskSpec
from ..data.config import QueueSettings
from ..data.database import login_name
from ..errors import ConfigIssue
from ..identity.config import KEYCLOAK_SERVICE
from .graph import GraphPieces
from .model import StackConfig
from .platform_settings import PlatformSettings
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
from .release import ReleaseRecord
from .service_entries import disabled_services
from .settings import ServiceSettings
from .tasks import TaskSettings, resolve_tasks


def stack_tasks(
    config: StackConfig,
    *,
    prefix: str,
    services: Sequence[ServiceSettings],
    platform: PlatformSettings,
    pieces: GraphPieces,
    queues: tuple[QueueSettings, ...],
    record: ReleaseRecord | None,
    issues: list[ConfigIssue],
) -> tuple[tuple[TaskSettings, ...], tuple[QueueSettings, ...], tuple[LoginSpec, ...]]:
    """The stack's tasks, its queues with the tasks' own, and the workloads' database logins."""
    env = config.environment
    task_specs = dict(config.tasks)
    probe = probe_spec(
        config.health_probe,
        environment=env,
        services=services,
        namespace=f"{prefix}.local",
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
        prefix=prefix,
        services=services,
        platform=platform,
        pieces=pieces,
        queues=queues,
        container_registry=str(platform.container_registry),
        image_tag=config.image_tag,
        record=record,
        disabled=disabled_services(config),
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
    return tasks, queues, _database_logins(platform, services, tasks, issues)


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
