"""ECS native deployment strategies and container restart policies (issue 11, "Deployments").

BLUE_GREEN, LINEAR and CANARY services behind the ALB get the second target group, the
production rule and the role ECS moves the weights with; lifecycle hooks get a role that may
invoke their functions only; restart policies restart the essential container in place. Checked
on the recorded resources of the committed stacks, against botocore's ECS model, and with the
config rules that refuse what ECS would.
"""

from __future__ import annotations

import json

import pytest

from accessweaver_components.compute.containers import (
    ContainerArgs,
    RestartPolicy,
    container_definitions,
)
from accessweaver_components.compute.deployment import (
    DeploymentArgs,
    LifecycleHook,
    alarms_roll_back,
    deployment_configuration,
    deployment_problems,
    service_settings,
)
from tests.config_support import existing_vpc_stack, loader
from tests.conftest import CA_A2A, STACKS, planned
from tests.conftest import container_definitions as recorded_containers
from tests.resource_types import ROLE, ROLE_POLICY, SERVICE, TASK, TG
from tools.aws_models import create_service_params, validate

ECS_TASK = "accessweaver:ecs:EcsTask::"
HOOK = "arn:aws:lambda:eu-west-3:928902064673:function:ca-a2a-smoke-test"
CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/75f027a4-27dc-46c5-894e-e6a40b772e67"


def services(result) -> dict[str, dict]:
    return {s.name.removesuffix("-service"): s.inputs for s in result.of_type(SERVICE)}


def ca_a2a(stack: str):
    return planned(CA_A2A, stack)


@pytest.fixture(scope="module")
def ca_prod():
    return ca_a2a("prod")


# -- the committed stacks -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "strategy", "bake"), [("staging", "CANARY", "5"), ("prod", "BLUE_GREEN", "10")]
)
def test_public_services_shift_traffic_and_the_others_roll(plan, stack, strategy, bake):
    result = plan(stack)
    groups = {g.name for g in result.of_type(TG)}
    for name, inputs in services(result).items():
        config = inputs.get("deploymentConfiguration")
        if inputs.get("loadBalancers"):
            assert config["strategy"] == strategy and config["bakeTimeInMinutes"] == bake
            assert f"accessweaver-{stack}-{name}-tg-b" in groups
            assert set(inputs["loadBalancers"][0]["advancedConfiguration"]) == {
                "alternateTargetGroupArn", "productionListenerRule", "roleArn",
            }  # fmt: skip
            # ECS documents the circuit breaker and the percentages for rolling updates only:
            # a traffic-shifting deployment is judged by its alarms, which roll back, in every
            # environment (staging's rollback alarms are off for its rolling services)
            assert inputs["deploymentCircuitBreaker"] == {"enable": False, "rollback": False}
            assert "deploymentMinimumHealthyPercent" not in inputs
            assert "deploymentMaximumPercent" not in inputs
            assert inputs["alarms"]["enable"] is True and inputs["alarms"]["rollback"] is True
            assert (
                f"accessweaver-{stack}-{name}-unhealthy-targets" in (inputs["alarms"]["alarmNames"])
            )
        else:
            assert config is None, name  # internal services and workers: ROLLING
            assert inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
            assert (
                inputs["deploymentMinimumHealthyPercent"],
                inputs["deploymentMaximumPercent"],
            ) == (100, 200)
            assert ("alarms" in inputs) is (stack == "prod")
    if strategy == "CANARY":
        canary = services(result)["aw-api-gateway"]["deploymentConfiguration"]
        assert canary["canaryConfiguration"] == {
            "canaryPercent": 5.0,
            "canaryBakeTimeInMinutes": "10",
        }


def test_prod_deployment_alarms_roll_back_blue_green_too(plan):
    inputs = services(plan("prod"))["aw-api-gateway"]
    assert inputs["deploymentConfiguration"]["strategy"] == "BLUE_GREEN"
    assert inputs["alarms"]["rollback"] is True and inputs["alarms"]["alarmNames"]


def test_unhealthy_targets_of_either_group_roll_a_traffic_shifting_deployment_back(plan):
    result = plan("prod")
    alarm = result.one("aws:cloudwatch/metricAlarm:MetricAlarm", "keycloak-unhealthy-targets-alarm")
    queries = {q["id"]: q for q in alarm.inputs["metricQueries"]}
    groups = {q["metric"]["dimensions"]["TargetGroup"] for q in queries.values() if "metric" in q}
    primary = result.one(TG, "accessweaver-prod-keycloak-tg-a").inputs["name"]
    alternate = result.one(TG, "accessweaver-prod-keycloak-tg-b").inputs["name"]
    # both groups: after a switch the live traffic is on the second one
    assert len(groups) == 2 and all("targetgroup/" in g for g in groups)
    assert {primary, alternate} == {g.split("/")[1] for g in groups}
    assert queries["unhealthy"]["expression"] == "FILL(g0, 0) + FILL(g1, 0)"
    assert alarm.inputs["threshold"] == 0 and alarm.inputs["treatMissingData"] == "notBreaching"
    # a rolling service has its circuit breaker instead
    assert not [
        a for a in result.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.name == "aw-pdp-service-unhealthy-targets-alarm"
    ]  # fmt: skip


def test_the_component_sets_what_each_strategy_documents():
    rolling = service_settings(DeploymentArgs(minimum_healthy_percent=50))
    assert rolling == {
        "deployment_circuit_breaker": {"enable": True, "rollback": True},
        "deployment_minimum_healthy_percent": 50,
        "deployment_maximum_percent": 200,
    }
    shifting = DeploymentArgs(strategy="BLUE_GREEN", bake_time_minutes=10)
    assert service_settings(shifting) == {
        "deployment_circuit_breaker": {"enable": False, "rollback": False}
    }
    assert alarms_roll_back(shifting) and not alarms_roll_back(DeploymentArgs())
    # a recreate: every old task stops before a new one starts, whatever the strategy says
    recreate = DeploymentArgs(strategy="BLUE_GREEN", recreate=True, circuit_breaker=False)
    assert service_settings(recreate) == {
        "deployment_circuit_breaker": {"enable": True, "rollback": True},
        "deployment_minimum_healthy_percent": 0,
        "deployment_maximum_percent": 100,
    }
    assert deployment_configuration(recreate) == {"strategy": "ROLLING"}
    assert not alarms_roll_back(recreate)


def test_ca_a2a_prod_deploys_linear_with_a_smoke_test_hook(ca_prod):
    orchestrator = services(ca_prod)["orchestrator"]["deploymentConfiguration"]
    assert orchestrator["strategy"] == "LINEAR"
    assert orchestrator["linearConfiguration"] == {
        "stepPercent": 25.0,
        "stepBakeTimeInMinutes": "3",
    }
    (hook,) = orchestrator["lifecycleHooks"]
    assert hook["hookTargetArn"] == HOOK and hook["lifecycleStages"] == ["POST_SCALE_UP"]
    assert hook["targetType"] == "AWS_LAMBDA"
    role = ca_prod.one(ROLE, "orchestrator-hooks-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "ecs.amazonaws.com"}
    (grant,) = json.loads(ca_prod.one(ROLE_POLICY, "orchestrator-hooks-policy").inputs["policy"])[
        "Statement"
    ]
    assert grant["Action"] == "lambda:InvokeFunction" and grant["Resource"] == [HOOK]
    # the MCP server is internal: ROLLING, no hook, no hook role
    assert "deploymentConfiguration" not in services(ca_prod)["mcp-server"]
    assert not [r for r in ca_prod.of_type(ROLE) if r.name == "mcp-server-hooks-role"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_service_still_validates_against_create_service(plan, stack):
    result = plan(stack)
    for service in result.of_type(SERVICE):
        params = create_service_params(service.inputs, result.outputs["cluster_name"])
        if "lifecycleHooks" in service.inputs.get("deploymentConfiguration", {}):
            params["deploymentConfiguration"]["lifecycleHooks"] = service.inputs[
                "deploymentConfiguration"
            ]["lifecycleHooks"]
        assert validate("ecs", "CreateService", params) == [], service.name


def test_the_model_check_sees_a_strategy_ecs_does_not_know(plan):
    result = plan("prod")
    service = next(s for s in result.of_type(SERVICE) if s.inputs.get("loadBalancers"))
    params = create_service_params(service.inputs, "c")
    params["deploymentConfiguration"].update({"strategy": "RED_BLACK"})
    assert any("RED_BLACK" in p for p in validate("ecs", "CreateService", params))


# -- restart policies ----------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_app_container_restarts_in_place(plan, stack):
    # a service's: a task that runs to completion (the health probe) is not restarted
    services = [t for t in plan(stack).of_type(TASK) if not t.parent.startswith(ECS_TASK)]
    assert len(services) == 6
    for task in services:
        app = recorded_containers(task)[0]
        assert app["essential"] is True
        assert app["restartPolicy"] == {"enabled": True, "restartAttemptPeriod": 300}, task.name


def test_a_service_may_turn_restarts_off_or_ignore_exit_codes(run_stack):
    result = run_stack(
        "dev",
        {
            "accessweaver:restartPolicy": {"ignoredExitCodes": [0], "restartAttemptPeriod": 120},
            "accessweaver:serviceOverrides": {
                "aw-audit-service": {"restartPolicy": {"enabled": False}}
            },
        },
    )
    gateway = recorded_containers(result.one(TASK, "aw-api-gateway-task"))[0]
    assert gateway["restartPolicy"] == {
        "enabled": True,
        "restartAttemptPeriod": 120,
        "ignoredExitCodes": [0],
    }
    audit = recorded_containers(result.one(TASK, "aw-audit-service-task"))[0]
    assert "restartPolicy" not in audit


def test_without_a_restart_policy_the_definition_has_none():
    (app,) = container_definitions(
        "app", ContainerArgs(image="i:1", port=80), region="eu-west-1", log_group="/x",
        environment={}, secrets={},
    )  # fmt: skip
    assert "restartPolicy" not in app
    policy = RestartPolicy(restart_attempt_period=30)
    assert policy.problems() == ["restart_attempt_period 30 is not 60-1800"]


# -- rules of the component and of the config ----------------------------------------------


def test_the_component_refuses_what_ecs_would():
    assert deployment_problems(DeploymentArgs(strategy="CANARY"), traffic_shift=False)
    assert deployment_problems(DeploymentArgs(strategy="CANARY"), traffic_shift=True) == []
    assert deployment_problems(
        DeploymentArgs(strategy="LINEAR", linear_step_percent=2.0), traffic_shift=True
    ) == ["linear_step_percent 2.0 is not a multiple of 0.1 from 3.0 to 100.0"]
    rolling_hook = DeploymentArgs(lifecycle_hooks=(LifecycleHook("arn:f", ["PRE_SCALE_UP"]),))
    assert deployment_problems(rolling_hook, traffic_shift=True) == [
        "lifecycle hooks run with BLUE_GREEN, LINEAR or CANARY, not ROLLING"
    ]
    assert deployment_configuration(DeploymentArgs()) is None


BASE = existing_vpc_stack("prod")
load, problems = loader(BASE)


def test_an_internal_service_asked_for_a_canary_is_refused_naming_its_key():
    found = problems(serviceOverrides={"aw-pdp-service": {"deployment": {"strategy": "CANARY"}}})
    message = found["serviceOverrides.aw-pdp-service.deployment.strategy"]
    assert "aw-pdp-service is not behind it" in message and "allowed: ROLLING" in message


def test_a_stack_wide_strategy_leaves_the_services_without_the_alb_rolling():
    settings = load(
        edge={"enabled": True, "certificateArn": CERTIFICATE},
        publicSubnetIds=["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"],
        deployment={"strategy": "LINEAR"},
    )
    by_name = {s.name: s.rollout.strategy for s in settings.services}
    assert by_name["aw-api-gateway"] == "LINEAR" and by_name["aw-pdp-service"] == "ROLLING"


def test_ecs_limits_are_checked_in_the_stack_file():
    found = problems(
        deployment={
            "strategy": "CANARY",
            "canary": {"percent": 0.05},
            "linear": {"stepPercent": 12.34},
            "bakeTimeMinutes": 2000,
            "lifecycleHooks": [{"lambdaArn": "my-function", "stages": ["BEFORE"]}],
        }
    )
    assert "allowed: 0.1 to 100.0 in steps of 0.1" in found["deployment.canary.percent"]
    assert "allowed: 3.0 to 100.0 in steps of 0.1" in found["deployment.linear.stepPercent"]
    assert "at most 1440" in found["deployment.bakeTimeMinutes"]
    assert "Lambda function ARN" in found["deployment.lifecycleHooks[0].lambdaArn"]
    assert "'PRE_SCALE_UP'" in found["deployment.lifecycleHooks[0].stages[0]"]


def test_the_old_edge_keys_name_the_new_one():
    found = problems(edge={"enabled": True, "deploymentStrategy": "BLUE_GREEN"})
    assert "moved to `deployment.strategy`" in found["edge.deploymentStrategy"]


def test_hooks_on_a_rolling_service_are_refused():
    found = problems(
        serviceOverrides={
            "aw-pdp-service": {
                "deployment": {
                    "lifecycleHooks": [
                        {
                            "lambdaArn": HOOK.replace("eu-west-3", "eu-west-1"),
                            "stages": ["POST_SCALE_UP"],
                        }
                    ]
                }
            }
        }
    )
    assert (
        "ECS runs lifecycle hooks only with"
        in found["serviceOverrides.aw-pdp-service.deployment.lifecycleHooks"]
    )
