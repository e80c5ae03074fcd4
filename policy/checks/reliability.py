"""Policy checks: Reliability rows (REL.1-9): deployments, health checks, protection, alarms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import (
    ALARM,
    BUCKETS,
    CACHE_CLUSTER,
    DB_CLUSTER,
    DB_INSTANCE,
    KMS_KEY,
    REPLICATION_GROUP,
    REPOSITORY,
    SCALING_TARGET,
    SCHEDULED_ACTION,
    SECRET,
    SERVERLESS_CACHE,
    SERVICE,
    TARGET_GROUPS,
    TASK,
    _name,
    _resource,
    _stack,
    containers,
    depends_on,
    get,
    is_false,
    is_true,
    items,
    number,
    of_type,
)

RECREATE_TAG = "Recreate"
"""The tag the program sets on a service whose deployment stops every old task first
(components/stack/tuning.py), with the reason."""


def _external_controller(props: Mapping[str, Any]) -> bool:
    return get(props, "deploymentController", "type", default="ECS") in ("CODE_DEPLOY", "EXTERNAL")


def _strategy(props: Mapping[str, Any]) -> str:
    return str(get(props, "deploymentConfiguration", "strategy", default="ROLLING"))


@_resource(
    "ecs-circuit-breaker-rollback", ("REL.1",), "A", (SERVICE,),
    "ECS deployments stop and roll back when tasks never become healthy: a rolling deployment "
    "with the circuit breaker, a BLUE_GREEN, LINEAR or CANARY one (which ECS gives no circuit "
    "breaker) with deployment alarms that roll back",
    "rolling: set deployment_circuit_breaker={'enable': True, 'rollback': True} (stack config "
    "deploymentCircuitBreaker: true); traffic shifting: alarms={'enable': True, 'rollback': "
    "True, 'alarm_names': [...]}.",
)  # fmt: skip
def rel_circuit_breaker(resource):
    props = resource.props
    if _external_controller(props):
        return
    if _strategy(props) != "ROLLING":
        alarms = get(props, "alarms")
        if (
            not is_true(get(alarms, "enable"))
            or not is_true(get(alarms, "rollback"))
            or not items(get(alarms, "alarmNames"))
        ):
            yield (
                f"deploys {_strategy(props)} without deployment alarms that roll back (its only "
                "failure detection: ECS documents the circuit breaker for rolling updates only)"
            )
        return
    breaker = get(props, "deploymentCircuitBreaker")
    if not is_true(get(breaker, "enable")) or not is_true(get(breaker, "rollback")):
        yield "deployment_circuit_breaker is not {enable: true, rollback: true}"


@_resource(
    "ecs-rolling-capacity", ("REL.2",), "P", (SERVICE,),
    "rolling deployments keep full capacity: minimum healthy 100 %, maximum 200 % (a recreate "
    "the program announces with its Recreate tag excepted)",
    "set deployment_minimum_healthy_percent=100 and deployment_maximum_percent=200.",
)  # fmt: skip
def rel_rolling_capacity(resource):
    props = resource.props
    if _external_controller(props):
        return
    if _strategy(props) != "ROLLING":
        return  # blue/green starts a full green set before traffic moves
    low = number(get(props, "deploymentMinimumHealthyPercent"))
    high = number(get(props, "deploymentMaximumPercent"))
    low = 100 if low is None else low
    high = 200 if high is None else high
    recreate = get(props, "tags", RECREATE_TAG)
    if (low, high) == (0, 100) and isinstance(recreate, str) and recreate:
        # A recreate the program announces: two versions that must never run together (a
        # Keycloak version change its update-compatibility check does not allow to roll).
        return
    if (low, high) != (100, 200):
        yield f"deployments run at {int(low)}-{int(high)} % of the desired count"


@_resource(
    "ecs-two-tasks-two-azs", ("REL.3",), "P", (SERVICE, SCALING_TARGET, SCHEDULED_ACTION),
    "services run at least 2 tasks, never scale below 2 (scheduled actions included), and "
    "spread over at least 2 subnets",
    "set desiredCount (and the autoscaling minimum) to 2 or more, with private subnets in 2+ AZs; "
    "no off-hours scaling to zero (offHoursScaling) where this control applies.",
)  # fmt: skip
def rel_two_tasks(resource):
    props = resource.props
    if resource.resource_type == SCHEDULED_ACTION:
        if get(props, "serviceNamespace") == "ecs":
            low = number(get(props, "scalableTargetAction", "minCapacity"))
            if low is not None and low < 2:
                yield f"a scheduled action sets min_capacity to {int(low)}"
        return
    if get(props, "serviceNamespace") is not None:  # a scalable target
        if get(props, "serviceNamespace") == "ecs":
            low = number(get(props, "minCapacity")) or 0
            if low < 2:
                yield f"autoscaling min_capacity is {int(low)}"
        return
    desired = number(get(props, "desiredCount")) or 0
    if desired < 2:
        yield f"desired_count is {int(desired)}: one task failing takes the service down"
    subnets = items(get(props, "networkConfiguration", "subnets"))
    if get(props, "networkConfiguration") is not None and len(subnets) < 2:
        yield f"{len(subnets)} subnet(s): tasks in a single AZ"


@_resource(
    "ecs-grace-period-with-load-balancer", ("REL.4",), "A", (SERVICE,),
    "services behind a load balancer have a health-check grace period",
    "set health_check_grace_period_seconds (stack config healthCheckGracePeriod).",
)  # fmt: skip
def rel_grace_period(resource):
    props = resource.props
    grace = number(get(props, "healthCheckGracePeriodSeconds"))
    if items(get(props, "loadBalancers")) and grace is None:
        yield "load balancers are set without health_check_grace_period_seconds"


@_stack(
    "ecs-container-health-checks", ("REL.5",), "A",
    "every essential container of a service's task definition has a health check (a task that "
    "runs to completion, run by no service, has none: ECS ignores health outside a service)",
    "add healthCheck.command to every essential container.",
)  # fmt: skip
def rel_health_checks(resources):
    services = of_type(resources, SERVICE)
    for task in of_type(resources, TASK):
        if not any(depends_on(service, task) for service in services):
            # "If a task is run manually, and not as part of a service, the task will continue
            # its lifecycle regardless of its health status" (ECS API reference, HealthCheck).
            continue
        defined, error = containers(task.props)
        if error:
            yield task, error
        for container in defined:
            if is_false(container.get("essential")):
                continue
            if not get(container, "healthCheck", "command"):
                yield task, f"essential container {_name(container)} has no healthCheck"


FARGATE_MAX_STOP_TIMEOUT = 120
FARGATE_DEFAULT_STOP_TIMEOUT = 30
DEFAULT_DEREGISTRATION_DELAY = 300


@_stack(
    "ecs-graceful-stop", ("REL.6",), "A",
    "containers stop within Fargate's 120 s and not before their target group has drained "
    "(stopTimeout >= deregistration_delay)",
    "set stopTimeout (<= 120) at least as long as the target group's deregistration_delay, "
    "or shorten the delay.",
)  # fmt: skip
def rel_graceful_stop(resources):
    for task in of_type(resources, TASK):
        defined, _ = containers(task.props)
        for container in defined:
            timeout = number(container.get("stopTimeout"))
            if timeout is not None and timeout > FARGATE_MAX_STOP_TIMEOUT:
                yield task, f"container {_name(container)} stopTimeout {int(timeout)} > 120"
    for service in of_type(resources, SERVICE):
        attached = items(get(service.props, "loadBalancers"))
        tasks = [t for t in of_type(resources, TASK) if depends_on(service, t)]
        groups = [g for g in of_type(resources, TARGET_GROUPS) if depends_on(service, g)]
        if not attached or not tasks or not groups:
            continue  # target groups managed elsewhere are not visible here
        defined, _ = containers(tasks[0].props)
        names = {get(a, "containerName") for a in attached}
        for container in defined:
            if _name(container) not in names:
                continue
            timeout = number(container.get("stopTimeout")) or FARGATE_DEFAULT_STOP_TIMEOUT
            for group in groups:
                delay = number(get(group.props, "deregistrationDelay"))
                delay = DEFAULT_DEREGISTRATION_DELAY if delay is None else delay
                if timeout < delay:
                    yield (
                        service,
                        (
                            f"container {_name(container)} is killed after {int(timeout)} s while "
                            f"{group.name} drains for {int(delay)} s"
                        ),
                    )


_STATEFUL = (
    DB_INSTANCE, DB_CLUSTER, REPLICATION_GROUP, CACHE_CLUSTER, SERVERLESS_CACHE, *BUCKETS,
    REPOSITORY, KMS_KEY, SECRET,
)  # fmt: skip


@_resource(
    "stateful-resources-protected", ("REL.7",), "P", _STATEFUL,
    "databases, caches, buckets, repositories, keys and secrets cannot be deleted by accident",
    "set ResourceOptions(protect=True) (stack config protectStatefulResources) and keep "
    "skip_final_snapshot=False on databases.",
)  # fmt: skip
def rel_protected(resource):
    props, opts = resource.props, resource.opts
    if not getattr(opts, "protect", False):
        yield "the resource is not protected (protect=True)"
    if is_true(get(props, "skipFinalSnapshot")):
        yield "skip_final_snapshot is true: deleting it loses the data"


@_resource(
    "alarms-notify", ("REL.8",), "P", (ALARM,),
    "every alarm notifies someone",
    "set alarm_actions to the stack's SNS topic (stack config alarms).",
)  # fmt: skip
def rel_alarm_actions(resource):
    props = resource.props
    if not items(get(props, "alarmActions")):
        yield "alarm_actions is empty: the alarm notifies nobody"


@_stack(
    "autoscaled-services-ignore-desired-count", ("REL.9",), "A",
    "services whose task count autoscaling owns ignore changes to desired_count",
    "add ResourceOptions(ignore_changes=['desired_count']) to the ECS service.",
)  # fmt: skip
def rel_ignore_desired(resources):
    targets = [
        t for t in of_type(resources, SCALING_TARGET) if get(t.props, "serviceNamespace") == "ecs"
    ]
    for service in of_type(resources, SERVICE):
        name = get(service.props, "name")
        scaled = any(
            depends_on(t, service)
            or (name and str(get(t.props, "resourceId", default="")).endswith(f"/{name}"))
            for t in targets
        )
        ignored = set(getattr(service.opts, "ignore_changes", None) or [])
        if scaled and not ignored & {"desiredCount", "desired_count"}:
            yield service, "autoscaling owns desired_count but `pulumi up` would reset it"
