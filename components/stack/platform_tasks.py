"""The stack's platform tasks and database logins (pure: no Pulumi resources).

`platform-setup` (image `images/platform-setup`, released by digest like every image of the
stack's registry) runs before every deploy: it fills the generated secrets the program created
empty and creates one PostgreSQL login per workload that uses the database, each owning its
schema, and Keycloak's login owning Keycloak's own database. `platform-rotate` runs the same
image weekly with the command `rotate`: a new password per login. They alone read the RDS
master secret (at run time, through their task role): no service's task definition names it.

A login per workload: each service with `uses.database` (`aw-pdp-service` -> `aw_pdp_service`,
schema of the same name), Keycloak (`keycloak`, its own database), and each task that uses the
database: the login of the service whose image it runs (`imageOf`: a migration of that
service's schema), else a login of its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..compute.config import TaskSpec
from ..data.database import login_name
from ..errors import ConfigIssue
from ..identity.config import KEYCLOAK_SERVICE
from .tasks import TaskScheduleSettings, TaskSettings

PLATFORM_SETUP = "platform-setup"
PLATFORM_ROTATE = "platform-rotate"
PLATFORM_TASKS = (PLATFORM_SETUP, PLATFORM_ROTATE)
ROTATION_SCHEDULE = "rate(7 days)"
"""Weekly, like RDS's default rotation of the master secret."""
RESERVED_LOGINS = ("postgres", "public", "rdsadmin", "rdsrepladmin", "rds_superuser")


@dataclass(frozen=True)
class LoginSpec:
    """One PostgreSQL login: who uses it, and what it owns."""

    name: str
    database: str
    schema: str | None
    """The schema it owns in the services' database; None: it owns `database` (Keycloak)."""
    services: tuple[str, ...]
    """The ECS services reading its password (restarted when it rotates)."""


def database_logins(
    services: Sequence[Any],
    tasks: Sequence[TaskSettings],
    *,
    database: str,
    keycloak_db: str | None,
) -> tuple[LoginSpec, ...]:
    """The logins of the stack, in name order (`services` include Keycloak)."""
    found: dict[str, LoginSpec] = {}
    for service in services:
        if service.name == KEYCLOAK_SERVICE and keycloak_db is not None:
            found["keycloak"] = LoginSpec("keycloak", keycloak_db, None, (service.name,))
        elif service.uses.database:
            name = login_name(service.name)
            found[name] = LoginSpec(name, database, name, (service.name,))
    for task in tasks:
        if task.platform is not None or not task.uses.database:
            continue
        name = login_name(task.image_of or task.name)
        if name not in found:
            found[name] = LoginSpec(name, database, name, ())
    return tuple(found[name] for name in sorted(found))


def task_login(task: TaskSettings) -> str:
    return login_name(task.image_of or task.name)


def login_issues(
    logins: Sequence[LoginSpec], master_username: str, path_of: dict[str, str]
) -> list[ConfigIssue]:
    """Names PostgreSQL refuses (`pg_*` is reserved) or that are someone else's."""
    issues = []
    for login in logins:
        problem = None
        if login.name.startswith("pg_"):
            problem = "PostgreSQL reserves role names starting with pg_"
        elif login.name in (*RESERVED_LOGINS, master_username):
            problem = "the name of a role PostgreSQL, RDS or the master user already has"
        elif len(login.name) > 63:
            problem = "longer than PostgreSQL's 63-byte names"
        if problem:
            issues.append(
                ConfigIssue(
                    path_of.get(login.name, "services"),
                    login.name,
                    f"its database login would be {login.name}: {problem}",
                    "another service or task name",
                )
            )
    return issues


def setup_spec(environment: str, *, database: bool) -> TaskSpec:
    """The setup task as a stack file would declare it."""
    return TaskSpec.model_validate(
        {
            "description": "Fills the generated secrets and creates the database logins",
            "command": ["setup"],
            "uses": {"database": database},
            "sizes": {environment: {"cpu": 256, "memory": 512}},
        }
    )


def with_platform_tasks(
    tasks: Sequence[TaskSettings], *, rotate: bool, timeout_minutes: int = 15
) -> tuple[TaskSettings, ...]:
    """The resolved tasks with the setup marked, and its weekly rotation beside it (the same
    image, `rotate`) when the stack has logins. A stack never released schedules it too (the
    policy pack, which reads no release record, sees the same tasks): its runs fail, and alarm,
    until the first release, when no service runs yet either."""
    found: list[TaskSettings] = []
    for task in tasks:
        if task.name != PLATFORM_SETUP:
            found.append(task)
            continue
        setup = dataclasses.replace(
            task, platform="setup", run_minutes=1, timeout_minutes=timeout_minutes
        )
        found.append(setup)
        if rotate:
            found.append(
                dataclasses.replace(
                    setup,
                    name=PLATFORM_ROTATE,
                    description="A new password for every database login, weekly",
                    command=("rotate",),
                    own_repository=False,  # the setup's image: built and released once
                    platform="rotate",
                    schedule=TaskScheduleSettings(
                        expression=ROTATION_SCHEDULE,
                        timezone="UTC",
                        retries=3,
                        maximum_event_age_seconds=3600,
                    ),
                )
            )
    return tuple(sorted(found, key=lambda t: t.name))
