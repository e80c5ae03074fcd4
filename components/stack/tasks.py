"""The tasks of a stack (`tasks.<name>`), resolved and checked (pure: no Pulumi resources).

A task is a container that runs to completion: on a schedule (EventBridge Scheduler), before
each deploy (`runBeforeDeploy`, a schema migration the deploy waits for), or only by hand
(`python -m tools.ops run`). It declares what it `uses` and `calls` like a service and gets the
same least privilege from the graph (`graph.task_paths`); nothing ever connects to it.

Its image is the image of the service named by `imageOf` (with the task's own `command`), or
resolved exactly as a service's is (`release.release_image`): `image` as written, or its own
repository of the stack's registry (which the registry creates and CI builds) at the digest the
release record holds for it, or at `imageTag`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..compute.config import TaskSizeConfig, TaskSpec, TaskUses
from ..compute.fargate import size_issues
from ..data.config import QueueSettings
from ..errors import MISSING, SECRET_NAME, ConfigIssue
from .graph import GraphPieces, check_tasks_graph
from .release import ImageSource, ReleaseRecord, ResolvedImage, release_image
from .variables import check_env_vars, wired_names

DEFAULT_TIMEOUT_MINUTES = 30
"""How long a deploy waits for its migration task when `timeoutMinutes` is unset."""
NAME_LIMIT = 64
"""EventBridge Scheduler schedule and group names, EventBridge rule names: 1-64 characters."""
FAILURE_SUFFIX = "-failed"
"""The failure rule of a scheduled task is `<family>-failed`: the longest name it gets."""

TaskKind = Literal["scheduled", "migration", "one-off", "setup"]


@dataclass(frozen=True)
class TaskScheduleSettings:
    expression: str
    """`cron(...)`, `rate(...)` or `at(...)`."""
    timezone: str
    retries: int
    maximum_event_age_seconds: int


@dataclass(frozen=True)
class TaskSettings:
    """One task as this stack runs it."""

    name: str
    description: str
    image: str
    own_repository: bool
    """Built into its own repository `<containerRegistry>/<name>`: the registry creates it, CI
    builds and records it like a service's (`ResolvedImage.built`)."""
    cpu: int
    memory: int
    command: tuple[str, ...] | None = None
    user: str = "1000"
    image_of: str | None = None
    uses: TaskUses = field(default_factory=TaskUses)
    calls: tuple[str, ...] = ()
    environment: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    writable_paths: tuple[str, ...] = ()
    spring_boot: bool = False
    """Runs a Spring Boot service's image (`imageOf`): a JDBC `DATABASE_URL`, its profile."""
    schedule: TaskScheduleSettings | None = None
    run_before_deploy: bool = False
    timeout_minutes: int = DEFAULT_TIMEOUT_MINUTES
    run_minutes: float | None = None
    """How long a run is expected to take, for the cost estimate; None = the usage
    assumption (`task_run_minutes`)."""
    health_probe: bool = False
    """The stack's health probe (`healthProbe`, `probe.py`): it also reaches each service's
    health port where that is not its traffic port (Keycloak's management port)."""
    image_source: ImageSource = "pinned"
    """Where the image comes from, as for a service (`release`, `imageTag`, `pinned`,
    `unreleased`); an `imageOf` task's is its service's."""
    pinned_tag: str | None = None
    platform: Literal["setup", "rotate"] | None = None
    """One of the stack's platform tasks (`platform_tasks.py`: the secrets and database logins),
    not one of the stack file's."""

    @property
    def built_image(self) -> bool:
        """CI builds, promotes and records its image (a repository of its own)."""
        return self.own_repository

    @property
    def released(self) -> bool:
        return self.image_source != "unreleased"

    @property
    def kind(self) -> TaskKind:
        if self.schedule is not None:
            return "scheduled"
        if self.platform == "setup":
            return "setup"
        return "migration" if self.run_before_deploy else "one-off"


def explicit_images(specs: Mapping[str, TaskSpec]) -> list[str]:
    """The images tasks name outright (the others come from the stack's registry or a
    service): the network checks that the tasks can pull them."""
    return [spec.image for spec in specs.values() if spec.image]


def resolve_tasks(
    specs: Mapping[str, TaskSpec],
    *,
    env: str,
    prefix: str,
    services: Sequence[Any],
    platform: Any,
    pieces: GraphPieces,
    queues: tuple[QueueSettings, ...],
    container_registry: str,
    image_tag: str | None,
    record: ReleaseRecord | None,
    issues: list[ConfigIssue],
    disabled: Collection[str] = (),
) -> tuple[tuple[TaskSettings, ...], tuple[QueueSettings, ...]]:
    """The tasks, and the queues with the tasks among their senders; every problem appended to
    `issues` (the caller raises them all at once).

    `services` are the resolved services (`ServiceSettings`, Keycloak included), `platform`
    the stack's `PlatformSettings`, `prefix` the stack's `<project>-<env>`, `record` the
    stack's release record, `disabled` the services the stack file switched off."""
    by_name = {s.name: s for s in services}
    resolved: list[TaskSettings] = []
    migrations: list[str] = []
    for name in sorted(specs):
        spec, base = specs[name], f"tasks.{name}"
        if name in by_name:
            issues.append(
                ConfigIssue(
                    base,
                    name,
                    "a service of the catalog has this name: its repository, log group and task "
                    "family would be the task's too",
                    "a name no service has",
                )
            )
        image, spring_boot = _image(
            name, spec, base, by_name, container_registry, image_tag, record, issues
        )
        _check_environment(spec, base, platform, issues)
        schedule = _schedule(spec, base, prefix, name, issues)
        _check_run_before_deploy(name, spec, base, migrations, issues)
        size = spec.sizes.get(env)  # type: ignore[call-overload]
        if size is None:
            issues.append(
                ConfigIssue(
                    f"{base}.sizes.{env}",
                    None,
                    f"no size for environment {env}",
                    "a {cpu, memory} entry for every environment the task runs in",
                )
            )
            continue
        size_issues(
            size.cpu, size.memory, f"{base}.sizes.{env}.cpu", f"{base}.sizes.{env}.memory", issues
        )
        resolved.append(_task_settings(name, spec, env, image, size, spring_boot, schedule))
    check_tasks_graph(resolved, services, pieces, lambda n: f"tasks.{n}", issues, disabled)
    return tuple(resolved), _with_task_senders(resolved, queues, issues)


def _check_run_before_deploy(
    name: str, spec: TaskSpec, base: str, migrations: list[str], issues: list[ConfigIssue]
) -> None:
    """One task at most runs before the deploy (`migrations`: those seen so far, this one
    added); only such a task has a timeout the deploy waits for."""
    if spec.run_before_deploy:
        if migrations:
            issues.append(
                ConfigIssue(
                    f"{base}.runBeforeDeploy",
                    True,
                    f"tasks.{migrations[0]} already runs before the deploy: two would run at "
                    "the same time, in no order",
                    "one task with runBeforeDeploy (run both steps from its command)",
                )
            )
        migrations.append(name)
    elif spec.timeout_minutes is not None:
        issues.append(
            ConfigIssue(
                f"{base}.timeoutMinutes",
                spec.timeout_minutes,
                "has no effect: only the deploy waits for a task (runBeforeDeploy)",
                "remove it, or set runBeforeDeploy: true",
            )
        )


def _task_settings(
    name: str,
    spec: TaskSpec,
    env: str,
    image: ResolvedImage,
    size: TaskSizeConfig,
    spring_boot: bool,
    schedule: TaskScheduleSettings | None,
) -> TaskSettings:
    """The task's settings from its spec, its image and its size in the stack's environment."""
    environment = {"SPRING_PROFILES_ACTIVE": env} if spring_boot else {}
    environment.update(spec.environment)
    return TaskSettings(
        name=name,
        description=spec.description,
        image=image.image,
        own_repository=image.built and spec.image_of is None,
        image_source=image.source,
        pinned_tag=image.pinned_tag,
        cpu=size.cpu,
        memory=size.memory,
        command=tuple(spec.command) if spec.command else None,
        user=spec.user,
        image_of=spec.image_of,
        uses=spec.uses,
        calls=tuple(spec.calls),
        environment=dict(sorted(environment.items())),
        secrets=dict(sorted(spec.secrets.items())),
        writable_paths=tuple(spec.writable_paths),
        spring_boot=spring_boot,
        schedule=schedule,
        run_before_deploy=spec.run_before_deploy,
        timeout_minutes=spec.timeout_minutes or DEFAULT_TIMEOUT_MINUTES,
    )


def _image(
    name: str,
    spec: TaskSpec,
    base: str,
    by_name: Mapping[str, Any],
    container_registry: str,
    image_tag: str | None,
    record: ReleaseRecord | None,
    issues: list[ConfigIssue],
) -> tuple[ResolvedImage, bool]:
    """(image, whether it is a Spring Boot service's)."""

    def own() -> ResolvedImage:
        return release_image(
            name,
            registry=container_registry,
            explicit=spec.image,
            image_tag=image_tag,
            record=record,
        )

    if spec.image_of is None:
        return own(), False
    if spec.image is not None:
        issues.append(
            ConfigIssue(
                f"{base}.imageOf",
                spec.image_of,
                "excludes image: the task runs either its own image or a service's",
                "image or imageOf, not both",
            )
        )
    if spec.command is None:
        issues.append(
            ConfigIssue(
                f"{base}.command",
                MISSING,
                f"with imageOf the task would start {spec.image_of}'s own process, not a task",
                "the command the task runs in that image, e.g. [java, -jar, app.jar, migrate]",
            )
        )
    source = by_name.get(spec.image_of)
    if source is None:
        issues.append(
            ConfigIssue(
                f"{base}.imageOf",
                spec.image_of,
                "not a service of the catalog",
                ", ".join(sorted(by_name)) or "a service of the catalog (it has none)",
            )
        )
        return own(), False
    # The service's image as resolved for it (its release digest, its pinned version).
    return (
        ResolvedImage(
            source.image,
            getattr(source, "image_source", "pinned"),
            built=False,
            pinned_tag=getattr(source, "pinned_tag", None),
        ),
        bool(source.spring_boot),
    )


def _check_environment(spec: TaskSpec, base: str, platform: Any, issues: list[ConfigIssue]) -> None:
    """No secret-looking plain variable, no variable both plain and secret, none the graph
    wires from what the task uses and calls."""
    check_env_vars(spec.environment, f"{base}.environment", f"{base}.secrets", issues)
    for clash in sorted(set(spec.environment) & set(spec.secrets)):
        issues.append(
            ConfigIssue(
                f"{base}.secrets.{clash}",
                clash,
                "set both as a plain variable and as a secret",
                "one or the other",
            )
        )
    wired = wired_names(spec.uses, spec.calls, platform)
    for key, values in (("environment", spec.environment), ("secrets", spec.secrets)):
        for clash in sorted(wired & set(values)):
            if key == "environment" and SECRET_NAME.search(clash):
                continue  # already refused as a secret in a plain variable
            issues.append(
                ConfigIssue(
                    f"{base}.{key}.{clash}",
                    "<hidden>",
                    "wired by the program from what the task uses and calls",
                    f"remove it (the program sets it from {base}.uses and {base}.calls)",
                )
            )


def _schedule(
    spec: TaskSpec, base: str, prefix: str, name: str, issues: list[ConfigIssue]
) -> TaskScheduleSettings | None:
    schedule, family = spec.schedule, f"{prefix}-{name}"
    if schedule is None:
        return None
    if spec.run_before_deploy:
        issues.append(
            ConfigIssue(
                f"{base}.runBeforeDeploy",
                True,
                "a task runs before each deploy or on a schedule, not both (a migration run "
                "at night would change the schema under the running services)",
                "runBeforeDeploy or schedule",
            )
        )
    longest = len(family) + len(FAILURE_SUFFIX)
    if longest > NAME_LIMIT:
        issues.append(
            ConfigIssue(
                f"{base}.schedule",
                family,
                f"its schedule, schedule group and failure rule are named {family}"
                f"{FAILURE_SUFFIX}: {longest} characters, EventBridge takes {NAME_LIMIT}",
                f"a task name of at most {NAME_LIMIT - len(FAILURE_SUFFIX) - len(prefix) - 1} "
                "characters",
            )
        )
    return TaskScheduleSettings(
        expression=schedule.expression,
        timezone=schedule.timezone,
        retries=schedule.retries,
        maximum_event_age_seconds=schedule.maximum_event_age_seconds,
    )


def _with_task_senders(
    tasks: Sequence[TaskSettings],
    queues: tuple[QueueSettings, ...],
    issues: list[ConfigIssue],
) -> tuple[QueueSettings, ...]:
    """Each queue a task sends to must have its consumer (a service); the task joins the
    queue's senders (its task role may send there, nothing else)."""
    consumed = {queue.name for queue in queues}
    senders: dict[str, set[str]] = {}
    for task in tasks:
        seen: set[str] = set()
        for index, queue in enumerate(task.uses.sends_to):
            path = f"tasks.{task.name}.uses.sendsTo[{index}]"
            if queue in seen:
                issues.append(ConfigIssue(path, queue, "listed twice", "each queue once"))
                continue
            seen.add(queue)
            if queue not in consumed:
                issues.append(
                    ConfigIssue(
                        path,
                        queue,
                        "no service consumes this queue: its messages would pile up",
                        "a queue a service declares in uses.consumes"
                        + (f" ({', '.join(sorted(consumed))})" if consumed else ""),
                    )
                )
                continue
            senders.setdefault(queue, set()).add(task.name)
    return tuple(
        dataclasses.replace(q, senders=tuple(sorted({*q.senders, *senders[q.name]})))
        if q.name in senders
        else q
        for q in queues
    )
