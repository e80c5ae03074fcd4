"""Stack-config models of what a workload uses and of the run-to-completion tasks
(`tasks.<name>`, the stack's `healthProbe`). Re-exported by `components/compute/config.py`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..formats import ConfigModel, Environment, EnvName, Flag, Image, QueueName
from .config_containers import Calls, ContainerUser, WorkloadSecrets, WritablePaths
from .config_schedule import TaskScheduleConfig

DocumentsAccess = Literal["read", "readWrite"]


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
    user: ContainerUser
    sizes: dict[Environment, TaskSizeConfig] = Field(description="CPU and memory per environment.")
    uses: TaskUses = Field(
        default_factory=TaskUses,
        description="The platform pieces it needs (database, cache, documents, jwtKey, keycloak, "
        "sendsTo).",
    )
    calls: Calls
    environment: dict[EnvName, str] = Field(
        default_factory=dict, description="Plain environment variables of this task."
    )
    secrets: WorkloadSecrets
    writable_paths: WritablePaths
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
