"""Each Microservice component's resources and inputs, from the recorded prod/dev/staging runs."""

from __future__ import annotations

import pytest

from tests.config_support import DEFAULT_SERVICES
from tests.conftest import STACKS, container_definitions
from tests.resource_types import SERVICE, TASK

MICROSERVICE = "accessweaver:ecs:Microservice"


def app_container(plan, stack, service):
    return container_definitions(plan(stack).one(TASK, f"{service}-task"))[0]


@pytest.mark.parametrize("stack", STACKS)
def test_one_component_per_catalog_service_owns_its_resources(plan, stack):
    result = plan(stack)
    components = {r.name: r for r in result.of_type(MICROSERVICE)}
    assert set(components) >= DEFAULT_SERVICES
    for name in DEFAULT_SERVICES:
        # On Service Connect (staging; prod's gateway, a caller of blue/green Keycloak), ECS
        # registers the service itself: no DNS record of its own.
        on_connect = stack == "staging" or (stack == "prod" and name == "aw-api-gateway")
        discovery = set() if on_connect else {"aws:servicediscovery/service:Service"}
        owned = {r.type for r in result.children_of(components[name])}
        assert {
            "aws:cloudwatch/logGroup:LogGroup",
            TASK,
            SERVICE,
            *discovery,
            "aws:cloudwatch/metricAlarm:MetricAlarm",
        } <= owned


def test_prod_pdp_runs_three_tasks_of_2_vcpu_and_4_gb(plan):
    result = plan("prod")
    task = result.one(TASK, "aw-pdp-service-task").inputs
    service = result.one(SERVICE, "aw-pdp-service-service").inputs
    assert (task["cpu"], task["memory"], service["desiredCount"]) == ("2048", "4096", 3)


def test_task_definition_is_fargate_awsvpc_with_the_released_digest(plan):
    task = plan("prod").one(TASK, "aw-pap-service-task").inputs
    assert task["networkMode"] == "awsvpc" and task["requiresCompatibilities"] == ["FARGATE"]
    assert task["family"] == "accessweaver-prod-aw-pap-service"
    image = app_container(plan, "prod", "aw-pap-service")["image"]
    # containerRegistry unset: the stack's own repositories, <project>-<env>/<service>, at
    # the digest its release record holds (the offline stand-in release here)
    recorded = plan("prod").outputs["release"]["images"]["aw-pap-service"]
    assert image == recorded
    assert image.startswith(
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/accessweaver-prod/aw-pap-service@sha256:"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_every_task_of_the_committed_stacks_runs_on_graviton_linux(plan, stack):
    result = plan(stack)
    platforms = {
        (t.inputs["runtimePlatform"]["cpuArchitecture"],
         t.inputs["runtimePlatform"]["operatingSystemFamily"])
        for t in result.of_type(TASK)
    }  # fmt: skip
    assert platforms == {("ARM64", "LINUX")}
    estimate = result.outputs["estimated_monthly_cost"]
    assert {s["architecture"] for s in estimate["per_service"].values()} == {"ARM64"}


def test_the_program_default_architecture_stays_x86(run_stack):
    result = run_stack("dev", {"accessweaver:cpuArchitecture": "X86_64"})
    task = result.one(TASK, "aw-pap-service-task").inputs
    assert task["runtimePlatform"]["cpuArchitecture"] == "X86_64"
    assert result.outputs["cicd_deployment_config"]["image_platform"] == "linux/amd64"


@pytest.mark.parametrize("stack", STACKS)
def test_every_container_is_read_only_non_root_logged_with_writable_tmp(plan, stack):
    for task in plan(stack).of_type(TASK):
        for container in container_definitions(task):
            assert container["readonlyRootFilesystem"] is True, container["name"]
            assert container["user"] and not container["user"].startswith("0"), container["name"]
            assert container["logConfiguration"]["logDriver"] == "awslogs"
            assert {"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False} in container[
                "mountPoints"
            ]
            assert container.get("privileged") is not True
        assert {"name": "tmp"} in task.inputs["volumes"]


def test_app_container_health_check_hits_the_liveness_group_on_its_port(plan):
    check = app_container(plan, "dev", "aw-audit-service")["healthCheck"]
    assert check["command"] == [
        "CMD-SHELL",
        "curl -fsS http://localhost:8084/actuator/health/liveness || exit 1",
    ]
    assert app_container(plan, "dev", "aw-audit-service")["stopTimeout"] == 120


def test_spring_profile_follows_the_environment_unless_the_stack_sets_it(plan):
    def env(stack):
        return {
            e["name"]: e["value"]
            for e in app_container(plan, stack, "aw-pdp-service")["environment"]
        }

    assert env("dev")["SPRING_PROFILES_ACTIVE"] == "dev"
    assert env("prod")["SPRING_PROFILES_ACTIVE"] == "prod"
    assert env("prod")["JAVA_OPTS"] == "-XX:+UseG1GC -XX:+UseStringDeduplication"


def test_configured_secrets_reach_the_container_as_value_from(run_stack):
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:accessweaver/dev/partner-AbCdEf"
    result = run_stack("dev", {"accessweaver:commonSecrets": {"PARTNER_API_KEY": arn}})
    container = container_definitions(result.one(TASK, "aw-pdp-service-task"))[0]
    assert {"name": "PARTNER_API_KEY", "valueFrom": arn} in container["secrets"]
    assert all(e["name"] != "PARTNER_API_KEY" for e in container["environment"])


def test_collector_sidecar_only_where_tracing_is_on(plan):
    prod = [c["name"] for c in container_definitions(plan("prod").one(TASK, "aw-pdp-service-task"))]
    dev = [c["name"] for c in container_definitions(plan("dev").one(TASK, "aw-pdp-service-task"))]
    assert prod == ["aw-pdp-service", "otel-collector"] and dev == ["aw-pdp-service"]


@pytest.mark.parametrize("stack", STACKS)
def test_services_run_in_private_subnets_without_public_ip_with_circuit_breaker(plan, stack):
    for service in plan(stack).of_type(SERVICE):
        inputs = service.inputs
        # dev's tasks have their own public addresses (no NAT gateway, ECS.2 waived there)
        assert inputs["networkConfiguration"]["assignPublicIp"] is (stack == "dev")
        assert len(inputs["networkConfiguration"]["subnets"]) >= 2
        # rolling services: the circuit breaker (traffic-shifting ones: tests/test_deployments.py)
        if "deploymentConfiguration" not in inputs:
            assert inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
        assert inputs["platformVersion"] == "LATEST"
        assert inputs["propagateTags"] == "SERVICE"
        # Service Connect registers the services on it (tests/test_service_connect.py)
        connected = stack != "dev" and service.name in (
            "keycloak-service",
            "aw-api-gateway-service",
        )
        if stack == "staging" or connected:
            assert inputs["serviceConnectConfiguration"]["enabled"] is True
        else:
            assert inputs["serviceRegistries"]["registryArn"].startswith(
                "arn:aws:servicediscovery:"
            )


@pytest.mark.parametrize(
    ("stack", "strategy"),
    [
        ("dev", [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]),
        (
            "staging",
            [
                {"capacityProvider": "FARGATE", "weight": 7, "base": 1},
                {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0},
            ],
        ),
        ("prod", [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]),
    ],
)
def test_capacity_provider_strategy_gives_the_environment_spot_share(plan, stack, strategy):
    service = plan(stack).one(SERVICE, "aw-pdp-service-service").inputs
    assert service["capacityProviderStrategies"] == strategy


@pytest.mark.parametrize(
    ("stack", "exec_on", "min_healthy"),
    [("dev", True, 50), ("staging", True, 100), ("prod", False, 100)],
)
def test_exec_and_deployment_percentages_follow_the_environment(plan, stack, exec_on, min_healthy):
    service = plan(stack).one(SERVICE, "aw-tenant-service-service").inputs
    assert service["enableExecuteCommand"] is exec_on
    assert service["deploymentMinimumHealthyPercent"] == min_healthy
    assert service["deploymentMaximumPercent"] == 200


def test_target_group_attachment_brings_the_grace_period(plan):
    result = plan("prod")
    gateway = result.one(SERVICE, "aw-api-gateway-service").inputs
    (attachment,) = gateway["loadBalancers"]
    assert attachment["containerName"] == "aw-api-gateway" and attachment["containerPort"] == 8080
    assert gateway["healthCheckGracePeriodSeconds"] == 180
    internal = result.one(SERVICE, "aw-pdp-service-service").inputs
    assert "loadBalancers" not in internal and "healthCheckGracePeriodSeconds" not in internal


def test_autoscaling_owns_the_desired_count_once_it_is_on(plan, run_stack):
    assert plan("prod").one(SERVICE, "aw-pdp-service-service").ignore_changes == ("desiredCount",)
    fixed = run_stack("dev", {"accessweaver:autoScalingEnabled": "false"})
    assert fixed.one(SERVICE, "aw-pdp-service-service").ignore_changes == ()
    assert fixed.of_type("aws:appautoscaling/target:Target") == []


def test_prod_scaling_uses_the_stack_bounds_targets_and_300s_cooldowns(plan):
    result = plan("prod")
    target = result.one("aws:appautoscaling/target:Target", "aw-pdp-service-scaling").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (2, 15)
    assert (
        target["resourceId"] == "service/accessweaver-prod-cluster/accessweaver-prod-aw-pdp-service"
    )
    policies = {
        r.name: r.inputs["targetTrackingScalingPolicyConfiguration"]
        for r in result.of_type("aws:appautoscaling/policy:Policy")
        if r.name.startswith("aw-pdp-service-")
        and r.inputs["policyType"] == "TargetTrackingScaling"
    }
    assert policies["aw-pdp-service-cpu-scaling"]["targetValue"] == 60
    assert policies["aw-pdp-service-memory-scaling"]["targetValue"] == 75
    for config in policies.values():
        assert config["scaleInCooldown"] == config["scaleOutCooldown"] == 300


def test_log_group_name_and_retention_follow_the_seed(plan):
    logs = plan("prod").one("aws:cloudwatch/logGroup:LogGroup", "aw-api-gateway-logs").inputs
    assert logs == {**logs, "name": "/ecs/accessweaver-prod/aw-api-gateway", "retentionInDays": 30}


def test_prod_alarms_roll_back_deployments_and_dev_alarms_do_not(plan):
    prod = plan("prod").one(SERVICE, "aw-audit-service-service").inputs["alarms"]
    assert prod == {
        "alarmNames": [
            "accessweaver-prod-aw-audit-service-cpu-high",
            "accessweaver-prod-aw-audit-service-memory-high",
        ],
        "enable": True,
        "rollback": True,
    }
    assert "alarms" not in plan("dev").one(SERVICE, "aw-audit-service-service").inputs


def test_cpu_alarm_watches_the_service_like_the_seed_example(plan):
    alarm = plan("prod").one("aws:cloudwatch/metricAlarm:MetricAlarm", "aw-pdp-service-cpu-alarm")
    inputs = alarm.inputs
    assert inputs["dimensions"] == {
        "ClusterName": "accessweaver-prod-cluster",
        "ServiceName": "accessweaver-prod-aw-pdp-service",
    }
    assert (inputs["threshold"], inputs["period"], inputs["evaluationPeriods"]) == (80, 300, 2)


def test_cloud_map_service_registers_a_records(plan):
    discovery = plan("dev").one("aws:servicediscovery/service:Service", "aw-pdp-service-discovery")
    assert discovery.inputs["name"] == "aw-pdp-service"
    assert discovery.inputs["dnsConfig"]["dnsRecords"] == [{"type": "A", "ttl": 10}]
