"""Policy checks: ECS task definitions, services and clusters (ECS.2-12, non-root)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .base import (
    CLUSTER,
    SERVICE,
    TASK,
    _name,
    _resource,
    container_problems,
    containers,
    get,
    is_true,
    items,
)


@_resource(
    "ecs-service-no-public-ip", ("ECS.2",), "A", (SERVICE,),
    "ECS services run in private subnets without public IPs",
    "set network_configuration.assign_public_ip=False and use private subnets.",
)  # fmt: skip
def ecs_no_public_ip(resource):
    props = resource.props
    network = get(props, "networkConfiguration")
    if network is None:
        yield "the service has no network_configuration (awsvpc tasks need private subnets)"
    elif is_true(get(network, "assignPublicIp")):
        yield "network_configuration.assign_public_ip is true"


@_resource(
    "ecs-task-no-host-pid", ("ECS.3",), "A", (TASK,),
    "task definitions do not share the host's process namespace",
    "remove pid_mode='host' from the task definition.",
)  # fmt: skip
def ecs_no_host_pid(resource):
    props = resource.props
    if get(props, "pidMode") == "host":
        yield "pid_mode is 'host'"


@_resource(
    "ecs-container-not-privileged", ("ECS.4",), "A", (TASK,),
    "no container runs privileged",
    "remove `privileged: true` from the container definitions.",
)  # fmt: skip
def ecs_not_privileged(resource):
    def privileged(container: Mapping[str, Any]) -> Iterator[str]:
        if is_true(container.get("privileged")):
            yield "is privileged"

    # Invalid definitions are reported by the other container checks.
    yield from container_problems(resource.props, privileged, report_invalid=False)


@_resource(
    "ecs-container-readonly-root", ("ECS.5",), "A", (TASK,),
    "every container (sidecars too) has a read-only root filesystem and a writable /tmp volume",
    "set readonlyRootFilesystem: true on every container and mount a task volume on /tmp.",
)  # fmt: skip
def ecs_readonly_root(resource):
    props = resource.props
    defined, error = containers(props)
    if error:
        yield error
        return
    volumes = {get(v, "name") for v in items(get(props, "volumes"))}
    for container in defined:
        if not is_true(container.get("readonlyRootFilesystem")):
            yield f"container {_name(container)} has a writable root filesystem"
            continue
        tmp = [
            m
            for m in items(container.get("mountPoints"))
            if m.get("containerPath") == "/tmp" and not is_true(m.get("readOnly"))
        ]
        if not tmp or tmp[0].get("sourceVolume") not in volumes:
            yield (
                f"container {_name(container)} has no writable /tmp volume (Spring Boot, "
                "Keycloak and most runtimes write there)"
            )


_CREDENTIAL_VARIABLES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA"}


@_resource(
    "ecs-no-credentials-in-environment", ("ECS.8",), "A", (TASK,),
    "no AWS credentials in container environment variables",
    "give the task an IAM task role, and pass secrets as secrets[].valueFrom ARNs.",
)  # fmt: skip
def ecs_no_credentials(resource):
    def credentials(container: Mapping[str, Any]) -> Iterator[str]:
        for variable in items(container.get("environment")):
            if get(variable, "name") in _CREDENTIAL_VARIABLES:
                yield f"sets {variable['name']} in plain text"

    yield from container_problems(resource.props, credentials)


@_resource(
    "ecs-container-logging", ("ECS.9",), "A", (TASK,),
    "every container has a log configuration",
    "set logConfiguration.logDriver (awslogs) on every container.",
)  # fmt: skip
def ecs_logging(resource):
    def unlogged(container: Mapping[str, Any]) -> Iterator[str]:
        if not get(container, "logConfiguration", "logDriver"):
            yield "has no logConfiguration.logDriver"

    yield from container_problems(resource.props, unlogged)


_FARGATE_PLATFORMS = {"LATEST", "1.4.0"}


@_resource(
    "ecs-fargate-platform-version", ("ECS.10",), "A", (SERVICE,),
    "Fargate services run platform version LATEST or 1.4.0",
    "set platform_version='LATEST' (or leave it unset).",
)  # fmt: skip
def ecs_platform_version(resource):
    props = resource.props
    launch = get(props, "launchType")
    strategies = items(get(props, "capacityProviderStrategies"))
    providers = [get(s, "capacityProvider") for s in strategies]
    fargate = launch == "FARGATE" or any(str(p).startswith("FARGATE") for p in providers)
    version = get(props, "platformVersion", default="LATEST")
    if fargate and version not in _FARGATE_PLATFORMS:
        yield f"platform_version is {version!r}"


@_resource(
    "ecs-container-insights", ("ECS.12",), "P", (CLUSTER,),
    "the cluster has Container Insights",
    "set the cluster setting containerInsights to 'enabled' or 'enhanced' "
    "(stack config containerInsightsEnabled: true).",
)  # fmt: skip
def ecs_container_insights(resource):
    props = resource.props
    settings = items(get(props, "settings"))
    values = [get(s, "value") for s in settings if get(s, "name") == "containerInsights"]
    if not values or values[-1] not in ("enabled", "enhanced"):
        yield f"containerInsights is {values[-1] if values else 'not set'}"


@_resource(
    "fargate-ephemeral-storage-encrypted", ("FARGATE.1*",), "P", (CLUSTER,),
    "Fargate encrypts the tasks' ephemeral storage with a customer managed key",
    "set configuration.managed_storage_configuration.fargate_ephemeral_storage_kms_key_id "
    "(stack config encryptEphemeralStorage: true; EcsClusterArgs.encrypt_ephemeral_storage).",
)  # fmt: skip
def fargate_storage_encrypted(resource):
    key = get(resource.props, "configuration", "managedStorageConfiguration",
              "fargateEphemeralStorageKmsKeyId")  # fmt: skip
    if not key:
        yield "ephemeral storage is encrypted with an AWS-owned key only"


_ROOT_USERS = {"0", "root"}


@_resource(
    "ecs-non-root-awsvpc", ("ECS.NonRoot*",), "A", (TASK,),
    "every container runs as a non-root user and the task uses awsvpc networking",
    "set `user` to a non-root uid[:gid] on every container (a FireLens log router excepted) "
    "and network_mode='awsvpc'.",
)  # fmt: skip
def ecs_non_root(resource):
    props = resource.props
    if get(props, "networkMode") != "awsvpc":
        yield f"network_mode is {get(props, 'networkMode')!r}, not 'awsvpc'"
    yield from container_problems(props, _root_user)


def _root_user(container: Mapping[str, Any]) -> Iterator[str]:
    user = container.get("user")
    if container.get("firelensConfiguration") is not None and str(user) in _ROOT_USERS:
        # FireLens needs its log router as root: it creates the socket the other
        # containers' log driver writes to (aws/containers-roadmap#2122). Only the router.
        return
    if not user:
        yield "sets no user (images default to root)"
    elif str(user).split(":")[0] in _ROOT_USERS:
        yield f"runs as root ({user})"
