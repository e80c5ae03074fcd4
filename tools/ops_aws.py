"""The AWS calls of `python -m tools.ops`: each a small function taking a boto3 client, so
the commands can be tested against moto and the waiter, the health check and the clock swapped."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    WaiterError,
)

from .ops_stack import EXIT_USAGE, OpsError, ServiceInfo

STATUS_EVENTS = 5
DESCRIBE_SERVICES_BATCH = 10  # DescribeServices accepts at most 10 services per call
DESCRIBE_TASKS_BATCH = 100  # DescribeTasks accepts at most 100 tasks per call

# Error codes meaning "these credentials are missing, invalid, expired or not allowed".
AUTH_ERROR_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthFailure",
        "ExpiredToken",
        "ExpiredTokenException",
        "IncompleteSignature",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "MissingAuthenticationToken",
        "RequestExpired",
        "SignatureDoesNotMatch",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
    }
)
# Error codes meaning "the names in the stack outputs do not exist in this account/region".
NOT_FOUND_ERROR_CODES = frozenset(
    {"ClusterNotFoundException", "ServiceNotFoundException", "ResourceNotFoundException"}
)


def make_boto3_client(service: str, region: str, profile: str | None) -> Any:
    session = boto3.session.Session(profile_name=profile, region_name=region)
    return session.client(service, config=Config(retries={"mode": "standard"}))


def describe_services(ecs: Any, cluster: str, names: Sequence[str]) -> dict[str, dict | None]:
    """Map each ECS service name to its description, or ``None`` if missing/inactive."""
    found: dict[str, dict | None] = dict.fromkeys(names)
    for start in range(0, len(names), DESCRIBE_SERVICES_BATCH):
        batch = list(names[start : start + DESCRIBE_SERVICES_BATCH])
        resp = ecs.describe_services(cluster=cluster, services=batch)
        for svc in resp.get("services", []):
            if svc.get("status") != "INACTIVE":
                found[svc["serviceName"]] = svc
    return found


def describe_service(ecs: Any, cluster: str, name: str) -> dict:
    svc = describe_services(ecs, cluster, [name])[name]
    if svc is None:
        raise OpsError(f"service {name} not found in cluster {cluster}", EXIT_USAGE)
    return svc


def force_new_deployment(ecs: Any, cluster: str, name: str) -> dict:
    return ecs.update_service(cluster=cluster, service=name, forceNewDeployment=True)["service"]


def set_desired_count(ecs: Any, cluster: str, name: str, count: int) -> dict:
    return ecs.update_service(cluster=cluster, service=name, desiredCount=count)["service"]


def set_task_definition(ecs: Any, cluster: str, name: str, task_definition: str) -> dict:
    return ecs.update_service(cluster=cluster, service=name, taskDefinition=task_definition)[
        "service"
    ]


def wait_service_stable(ecs: Any, cluster: str, name: str, timeout: float, delay: int) -> None:
    """Block until ECS reports the service stable; ``OpsError`` after ``timeout`` seconds."""
    attempts = max(1, math.ceil(timeout / delay)) if delay > 0 else 1
    waiter = ecs.get_waiter("services_stable")
    try:
        waiter.wait(
            cluster=cluster,
            services=[name],
            WaiterConfig={"Delay": delay, "MaxAttempts": attempts},
        )
    except WaiterError as exc:
        raise OpsError(
            f"{name} did not become stable within {timeout:g}s: {exc.kwargs.get('reason', exc)}"
        ) from exc


@dataclass(frozen=True)
class HealthReport:
    healthy: bool
    detail: str


def check_service_health(ecs: Any, cluster: str, name: str) -> HealthReport:
    """Healthy when the service has running tasks and each reports ``healthStatus: HEALTHY``.

    ``healthStatus`` aggregates the containers' health checks from the task definition; it
    stays ``UNKNOWN`` when no essential container defines a health check.
    """
    arns: list[str] = []
    for page in ecs.get_paginator("list_tasks").paginate(
        cluster=cluster, serviceName=name, desiredStatus="RUNNING"
    ):
        arns.extend(page.get("taskArns", []))
    tasks: list[dict] = []
    for start in range(0, len(arns), DESCRIBE_TASKS_BATCH):
        resp = ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + DESCRIBE_TASKS_BATCH])
        tasks.extend(resp.get("tasks", []))
    running = [t for t in tasks if t.get("lastStatus") == "RUNNING"]
    if not running:
        return HealthReport(False, "no running tasks")
    bad = [t for t in running if t.get("healthStatus") != "HEALTHY"]
    if not bad:
        return HealthReport(True, f"{len(running)}/{len(running)} running tasks HEALTHY")
    listed = ", ".join(
        f"{t['taskArn'].rsplit('/', 1)[-1]}={t.get('healthStatus', 'UNKNOWN')}" for t in bad
    )
    hint = ""
    if any(t.get("healthStatus", "UNKNOWN") == "UNKNOWN" for t in bad):
        hint = " (UNKNOWN: health check not passed yet, or no container health check defined)"
    return HealthReport(
        False, f"{len(bad)}/{len(running)} running tasks not HEALTHY: {listed}{hint}"
    )


def list_family_revisions(ecs: Any, family: str) -> list[tuple[int, str]]:
    """ACTIVE revisions of ``family`` as ``(revision, arn)``, newest first."""
    revisions: list[tuple[int, str]] = []
    for page in ecs.get_paginator("list_task_definitions").paginate(
        familyPrefix=family, status="ACTIVE", sort="DESC"
    ):
        for arn in page.get("taskDefinitionArns", []):
            fam, rev = split_task_definition(arn)
            if fam == family:  # familyPrefix is a prefix on some API versions: be exact
                revisions.append((rev, arn))
    # Sort ourselves rather than trust the API's ordering.
    return sorted(revisions, reverse=True)


def split_task_definition(arn_or_name: str) -> tuple[str, int]:
    """``arn:...:task-definition/family:7`` or ``family:7`` -> ``("family", 7)``."""
    family, _, rev = arn_or_name.rsplit("/", 1)[-1].rpartition(":")
    if not family or not rev.isdigit():
        raise OpsError(f"unexpected task definition reference: {arn_or_name}")
    return family, int(rev)


def find_rollback_target(ecs: Any, service: dict) -> tuple[str, str]:
    """Return ``(task_definition_arn, how_it_was_found)`` for rolling ``service`` back.

    Mid-deployment the service still has the previous deployment (status ``ACTIVE``), so use
    its task definition. Otherwise, take the newest ACTIVE revision of the same family that is
    older than the current one.
    """
    current = service["taskDefinition"]
    for dep in service.get("deployments", [])[1:]:
        if dep.get("taskDefinition") and dep["taskDefinition"] != current:
            return dep["taskDefinition"], f"previous deployment {dep.get('id', '?')}"
    family, current_rev = split_task_definition(current)
    for rev, arn in list_family_revisions(ecs, family):
        if rev < current_rev:
            return arn, "previous ACTIVE revision of the family"
    raise OpsError(
        f"no previous ACTIVE revision of task family {family} before revision {current_rev}; "
        "nothing to roll back to"
    )


def fetch_log_events(
    logs: Any, log_group: str, start_ms: int, end_ms: int | None = None
) -> list[dict]:
    """All events of ``log_group`` from ``start_ms`` (inclusive), oldest first."""
    kwargs: dict[str, Any] = {"logGroupName": log_group, "startTime": start_ms}
    if end_ms is not None:
        kwargs["endTime"] = end_ms
    events: list[dict] = []
    while True:
        resp = logs.filter_log_events(**kwargs)
        events.extend(resp.get("events", []))
        token = resp.get("nextToken")
        if not token or token == kwargs.get("nextToken"):
            break
        kwargs["nextToken"] = token
    return sorted(events, key=lambda e: (e.get("timestamp", 0), e.get("eventId", "")))


PORT_FORWARD_DOCUMENT = "AWS-StartPortForwardingSession"


@dataclass(frozen=True)
class ConsoleTarget:
    """Where the admin console's port forward lands: one running Keycloak task's container."""

    target: str
    """`ecs:<cluster>_<task id>_<runtime id>`, the SSM target of an ECS Exec container."""
    port: int
    task_id: str


def find_console_target(ecs: Any, cluster: str, service: ServiceInfo) -> ConsoleTarget:
    """A running Keycloak task with ECS Exec on, its container's runtime id and port."""
    arns = ecs.list_tasks(
        cluster=cluster, serviceName=service.service_name, desiredStatus="RUNNING"
    ).get("taskArns", [])
    if not arns:
        raise OpsError(f"{service.service_name} runs no task (off hours, or scaled to 0?)")
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns[:DESCRIBE_TASKS_BATCH]).get("tasks", [])
    running = [t for t in tasks if t.get("lastStatus") == "RUNNING"]
    usable = [t for t in running if t.get("enableExecuteCommand")]
    if not usable:
        raise OpsError(
            f"no running task of {service.service_name} has ECS Exec on: set "
            "keycloak.adminPortForward true (the default) and run `pulumi up`"
        )
    task = usable[0]
    container = next((c for c in task.get("containers", []) if c.get("name") == service.key), None)
    if container is None or not container.get("runtimeId"):
        raise OpsError(f"task {task['taskArn']} has no running {service.key} container yet")
    definition = ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])
    ports = [
        m["containerPort"]
        for c in definition["taskDefinition"]["containerDefinitions"]
        if c["name"] == service.key
        for m in c.get("portMappings", [])
    ]
    if not ports:
        raise OpsError(f"the task definition of {service.key} maps no port")
    task_id = task["taskArn"].rsplit("/", 1)[-1]
    return ConsoleTarget(
        target=f"ecs:{cluster}_{task_id}_{container['runtimeId']}", port=ports[0], task_id=task_id
    )
