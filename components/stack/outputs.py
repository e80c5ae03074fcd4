"""Stack outputs derived from the settings alone (names, URLs, commands), as plain data.

Outputs that need a resource's computed value (ARNs, ids) are assembled in `program.py`; what
can be known before deployment is computed here so tests and the offline plan show it exactly.
Maps are keyed by service name, as the seed's deploy.sh reads them with `jq`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ..formats import split_image
from ..identity.config import KEYCLOAK_SERVICE
from .graph import access_matrix
from .probe import health_port, health_urls
from .release import release_parameter
from .settings import ServiceSettings, StackSettings
from .spring import application_yaml, internal_url, metrics_namespace

__all__ = ["internal_url", "metrics_namespace"]


def service_name(settings: StackSettings, service: ServiceSettings) -> str:
    """ECS service name and task family: `<project>-<env>-<service>` (seed convention)."""
    return f"{settings.name_prefix}-{service.name}"


def log_group_name(settings: StackSettings, service: ServiceSettings) -> str:
    """`<logGroupPrefix>/<service>`, by default `/ecs/<project>-<env>/<service>`."""
    return settings.log_group_name(service.name)


def internal_dns_name(settings: StackSettings, service: ServiceSettings) -> str:
    return f"{service.name}.{settings.namespace}"


def _listening(settings: StackSettings) -> list[ServiceSettings]:
    """Services with a port (workers have no DNS name and no health URL)."""
    return [s for s in settings.services if s.port is not None]


def image_repository(service: ServiceSettings) -> str:
    """The image without its tag or digest: what CI pushes new tags to."""
    return split_image(service.image)[0]


def internal_dns_names(settings: StackSettings) -> dict[str, str]:
    return {s.name: internal_dns_name(settings, s) for s in _listening(settings)}


def health_check_urls(settings: StackSettings) -> dict[str, str]:
    """The HTTP health URL per service, on its health port (Keycloak's management port): what
    the health probe asks. Workers are checked by their container command: none."""
    return health_urls(settings.services, settings.namespace)


def spring_application_config(settings: StackSettings) -> dict[str, str]:
    return {s.name: application_yaml(settings, s) for s in settings.services if s.spring_boot}


IMAGE_PLATFORMS = {"X86_64": "linux/amd64", "ARM64": "linux/arm64"}


def cicd_deployment_config(settings: StackSettings) -> dict[str, Any]:
    """Everything a deploy job needs, in deploy order. `promote_from` (staging, prod): the
    repositories the job copies the commit's images from, per service, and the accounts of the
    registries it logs in to (`registries`: its own and the source's)."""
    registry = settings.platform.registry
    source = registry.promote_from if registry is not None else None
    own = f"{settings.container_registry}/"

    def promoted(s: ServiceSettings) -> str | None:
        if source is None or not image_repository(s).startswith(own):
            return None
        return f"{source}/{s.name}"

    accounts = [
        registry_path.split(".", 1)[0]
        for registry_path in (settings.container_registry, source)
        if registry_path and re.match(r"^\d{12}\.dkr\.ecr\.", registry_path)
    ]
    return {
        "region": settings.region,
        "cluster_name": settings.cluster_name,
        # Set only when the stack file pins every image to a tag: CI then does not deploy it.
        "image_tag": settings.image_tag,
        # What CI builds the images for (docker buildx --platform): the tasks' architecture.
        "image_platform": IMAGE_PLATFORMS[settings.cpu_architecture],
        "deploy_order": [s.name for s in settings.services],
        # Where the deploy job records the release it deploys (tools/release.py record).
        "release_parameter": release_parameter(settings.project, settings.environment),
        "release_tags": {"Project": settings.project, "Environment": settings.environment},
        # The images CI builds (dev) or promotes (staging, prod) into the stack's repositories
        # and records, each under the commit's SHA or its pinned tag (Keycloak's version).
        "images": {
            s.name: {
                "repository": image_repository(s),
                "pinned_tag": s.pinned_tag,
                "promote_from": promoted(s),
            }
            # A task built into a repository of its own is built, promoted and recorded too.
            for s in (*settings.services, *settings.tasks)
            if s.built_image
        },
        "services": {
            s.name: {
                "service_name": service_name(settings, s),
                "task_family": service_name(settings, s),
                "container_name": s.name,
                "image_repository": image_repository(s),
                "image": s.image,
                "promote_from": promoted(s),
                "log_group": log_group_name(settings, s),
                # Where the gate's probe asks each task (None for a worker).
                "health_check_port": health_port(s) if s.health_check_path else None,
                "health_check_path": s.health_check_path,
            }
            for s in settings.services
        },
        # The tasks: scheduled, run before the deploy, or one-off (`images` holds those built
        # into a repository of their own; an `imageOf` task runs its service's image).
        "tasks": {
            t.name: {
                "task_family": settings.task_family(t),
                "container_name": t.name,
                "kind": t.kind,
                "image_repository": image_repository(t),
                "image": t.image,
                "builds_own_image": t.built_image,
                "log_group": settings.log_group_name(t.name),
            }
            for t in settings.tasks
        },
        "promote_from": source,
        "registries": ",".join(dict.fromkeys(accounts)),
    }


def release(settings: StackSettings) -> dict[str, Any]:
    """The release this run planned: the record's commit (None: none recorded, or images
    pinned by `imageTag`), each service's image, the services that run no task yet, and those
    whose deployment recreates (with the reason)."""
    state = settings.release
    pinned = settings.image_tag is not None
    return {
        "parameter": release_parameter(settings.project, settings.environment),
        "commit": None if pinned or state is None else state.commit,
        "pinned_image_tag": settings.image_tag,
        "images": {
            **{s.name: s.image for s in settings.services},
            **{t.name: t.image for t in settings.tasks if t.built_image},
        },
        "unreleased": [
            w.name
            for w in (*settings.services, *settings.tasks)
            if not w.released and getattr(w, "built_image", True)
        ],
        # Services whose deployment stops every old task first, and why (a Keycloak version
        # change its update-compatibility check does not allow to roll).
        "recreates": {s.name: s.rollout.recreate for s in settings.services if s.rollout.recreate},
    }


def tasks_output(settings: StackSettings, components: Mapping[str, Any]) -> dict[str, Any]:
    """The `tasks` stack output: per task, what `python -m tools.ops run` needs to run it
    once (family, task definition, cluster, network, container, logs) and when it runs on its
    own (schedule, or before each deploy)."""
    return {
        t.name: {
            "family": settings.task_family(t),
            "task_definition_arn": components[t.name].task_definition_arn,
            "cluster": settings.cluster_name,
            "region": settings.region,
            "subnets": components[t.name].subnet_ids,
            "security_group": components[t.name].security_group_id,
            "assign_public_ip": components[t.name].assign_public_ip,
            "container_name": t.name,
            "log_group": components[t.name].log_group_name,
            "log_stream_prefix": components[t.name].log_stream_prefix,
            "schedule": (
                {
                    "expression": t.schedule.expression,
                    "timezone": t.schedule.timezone,
                    "arn": components[t.name].schedule_arn,
                }
                if t.schedule is not None
                else None
            ),
            "run_before_deploy": t.run_before_deploy,
            "timeout_minutes": t.timeout_minutes if t.run_before_deploy else None,
        }
        for t in settings.tasks
        if t.name in components
    }


def admin_console_command(settings: StackSettings, port: int) -> str:
    """Port forwarding to Keycloak's admin console through ECS Exec's SSM channel: the console
    is never routed by the public listener. The target is `ecs:<cluster>_<task id>_<runtime id>`
    (`aws ecs describe-tasks --cluster <cluster> --tasks <task-id> --query
    'tasks[0].containers[?name==`keycloak`].runtimeId'`); then open
    http://localhost:<port>/auth/admin/."""
    parameters = json.dumps({"portNumber": [str(port)], "localPortNumber": [str(port)]})
    return (
        f"aws ssm start-session --target ecs:{settings.cluster_name}_<task-id>_<runtime-id> "
        f"--document-name AWS-StartPortForwardingSession --parameters '{parameters}' "
        f"--region {settings.region}"
    )


def debugging_information(settings: StackSettings) -> dict[str, dict[str, str]]:
    """AWS CLI commands an operator runs first, per service (seed "Troubleshooting")."""
    region = f"--region {settings.region}"
    commands: dict[str, dict[str, str]] = {}
    for s in settings.services:
        name = service_name(settings, s)
        entry = {
            "logs": f"aws logs tail {log_group_name(settings, s)} --follow {region}",
            "events": (
                f"aws ecs describe-services --cluster {settings.cluster_name} --services {name} "
                f"--query 'services[0].events[0:10]' {region}"
            ),
            "task_definition": (
                f"aws ecs describe-task-definition --task-definition {name} {region}"
            ),
            "stopped_tasks": (
                f"aws ecs list-tasks --cluster {settings.cluster_name} --service-name {name} "
                f"--desired-status STOPPED {region}"
            ),
        }
        if s.execute_command:
            entry["exec"] = (
                f"aws ecs execute-command --cluster {settings.cluster_name} --task <task-id> "
                f"--container {s.name} --interactive --command /bin/sh {region}"
            )
        keycloak = settings.platform.keycloak
        if s.name == KEYCLOAK_SERVICE and keycloak is not None and keycloak.admin_port_forward:
            entry["admin_console"] = admin_console_command(settings, keycloak.port)
        commands[s.name] = entry
    return commands


def alb_integration_config(
    settings: StackSettings,
    security_group_ids: Mapping[str, Any],
    *,
    vpc_id: Any = None,
    target_group_arns: Mapping[str, Any] | None = None,
    alternate_target_group_arns: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What an ALB module needs to route to the public services (seed output of that name):
    per service its port, health path, target group (and the second one of a service that
    shifts traffic) and its own security group.

    `vpc_id` and `target_group_arns` are the program's own (created VPC, built ALB) when it has
    them; otherwise the configured ones."""
    built = target_group_arns or {}
    alternates = alternate_target_group_arns or {}
    return {
        "vpc_id": vpc_id if vpc_id is not None else settings.vpc_id,
        "health_check_grace_period": settings.health_check_grace_period,
        "services": {
            s.name: {
                "port": s.port,
                "health_check_path": s.health_check_path,
                "target_type": "ip",
                "target_group_arn": built.get(s.name, s.target_group_arn),
                **(
                    {"alternate_target_group_arn": alternates[s.name]}
                    if s.name in alternates
                    else {}
                ),
                "security_group_id": security_group_ids.get(s.name),
            }
            for s in settings.services
            if s.public
        },
    }


def service_access(settings: StackSettings, components: Mapping[str, Any]) -> dict[str, Any]:
    """The access matrix a reviewer reads with `pulumi stack output service_access`: per service
    its security group and roles (outputs of its component), who may reach it, what it reaches
    and what it uses (the graph)."""
    matrix = access_matrix(settings.services, settings.graph_pieces)
    return {
        name: {
            "security_group_id": components[name].security_group_id,
            "task_role_arn": _microservice(components[name]).task_role_arn,
            "execution_role_arn": _microservice(components[name]).execution_role_arn,
            **entry,
        }
        for name, entry in matrix.items()
        if name in components
    }


def _microservice(component: Any) -> Any:
    return getattr(component, "microservice", component)


def fault_injection(settings: StackSettings, faults: Any | None) -> dict[str, Any] | None:
    """The fault experiments `tools/faults.py` runs: each template's id by experiment, the
    guard alarm that stops them and the AZ they disrupt; None without them."""
    plan = settings.fault_injection
    if plan is None or faults is None:
        return None
    return {
        "templates": dict(faults.template_ids),
        "guard_alarm": faults.guard_alarm_name,
        "availability_zone": plan.availability_zone,
        "role_arn": faults.role_arn,
    }
