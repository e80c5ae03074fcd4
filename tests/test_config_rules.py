"""Config rules one by one, on the pure loader (no engine): GIVEN a stack mapping, WHEN it is
loaded, THEN it resolves or every problem is reported with file, key path, value and allowed."""

from __future__ import annotations

import pytest

from accessweaver_components.stack import ConfigError
from tests.config_support import MINIMAL_PROD, loader

BASE = MINIMAL_PROD


load, problems = loader(BASE)


def test_minimal_prod_config_resolves_keycloak_then_the_five_default_services():
    settings = load()
    assert [s.name for s in settings.services] == [
        "keycloak",  # keycloak.enabled by default; deploys first, the others authenticate on it
        "aw-tenant-service",
        "aw-pap-service",
        "aw-pdp-service",
        "aw-audit-service",
        "aw-api-gateway",
    ]


def test_cpu_memory_pair_fargate_refuses_names_the_key_and_the_allowed_memory():
    found = problems(serviceOverrides={"aw-pdp-service": {"cpu": 2048, "memory": 1024}})
    text = found["serviceOverrides.aw-pdp-service.memory"]
    assert "= 1024" in text and "4096 to 16384 in steps of 1024" in text


def test_cpu_that_is_not_a_fargate_size_lists_the_sizes():
    found = problems(serviceOverrides={"aw-pdp-service": {"cpu": 300, "memory": 1024}})
    assert "256, 512, 1024, 2048, 4096, 8192, 16384" in found["serviceOverrides.aw-pdp-service.cpu"]


def test_desired_count_above_autoscaling_max_is_refused():
    found = problems(serviceOverrides={"aw-pdp-service": {"desiredCount": 12}})
    text = found["serviceOverrides.aw-pdp-service.desiredCount"]
    assert "desired count is above the autoscaling maximum (10, (prod default))" in text


def test_min_capacity_above_max_is_refused_once():
    found = problems(minCapacityOverride=5, maxCapacityOverride=3)
    assert list(found) == ["minCapacityOverride"]


def test_desired_below_stack_wide_minimum_is_refused():
    found = problems(environment="dev", minCapacityOverride=2, maxCapacityOverride=4)
    assert any(path.endswith(".desiredCount") for path in found)


def test_fewer_than_two_subnets_is_refused():
    found = problems(privateSubnetIds=["subnet-0123456789abcdef0"])
    assert "at least 2 private subnet ids" in found["privateSubnetIds"]


def test_unknown_service_in_overrides_lists_the_valid_ones():
    found = problems(serviceOverrides={"aw-pdp": {"cpu": 512, "memory": 1024}})
    assert "aw-api-gateway, aw-audit-service, aw-pap-service" in found["serviceOverrides.aw-pdp"]


def test_unknown_top_level_and_nested_keys_list_the_allowed_keys():
    found = problems(imagTag="1.0", serviceOverrides={"aw-pdp-service": {"cpus": 512}})
    assert "unknown key" in found["imagTag"] and "imageTag" in found["imagTag"]
    assert "desiredCount" in found["serviceOverrides.aw-pdp-service.cpus"]


@pytest.mark.parametrize(
    "name", ["DB_PASSWORD", "JWT_SECRET", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY"]
)
def test_secret_looking_plain_variables_are_refused(name):
    found = problems(commonEnvironmentVariables={name: "hunter2"})
    text = found[f"commonEnvironmentVariables.{name}"]
    assert f"commonSecrets.{name}" in text
    assert "hunter2" not in text, "the refused value must not be echoed"


def test_aws_access_key_as_a_value_is_refused():
    found = problems(
        serviceOverrides={"aw-pdp-service": {"environment": {"KEY_ID": "AKIAABCDEFGHIJKLMNOP"}}}
    )
    assert "serviceOverrides.aw-pdp-service.environment.KEY_ID" in found


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("vpcId", "vpc-xyz"),
        ("privateSubnetIds", ["subnet-0123456789abcdef0", "subnet-12"]),
        ("rdsSecurityGroupId", "sg_0123"),
        ("targetGroupArns", {"aw-api-gateway": "arn:aws:elasticloadbalancing:eu-west-1:1:tg/x"}),
        ("commonSecrets", {"DB_PASSWORD": "arn:aws:s3:::bucket"}),
        ("imageTag", "has space"),
        ("containerRegistry", "https://registry.example.com/"),
    ],
)
def test_malformed_ids_and_arns_are_refused_with_the_expected_shape(key, value):
    found = problems(**{key: value})
    assert any(path.startswith(key) and "allowed:" in text for path, text in found.items())


def test_target_group_in_another_region_is_refused():
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gw/0123456789abcdef"
    found = problems(targetGroupArns={"aw-api-gateway": arn}, albSecurityGroupIds=["sg-01234567"])
    assert "us-east-1" in found["targetGroupArns.aw-api-gateway"]


def test_every_error_of_a_file_is_reported_together():
    found = problems(
        environment="prod",
        privateSubnetIds=["subnet-1"],
        logRetentionDays=8,
        serviceOverrides={"aw-api-gateway": {"cpu": 1024, "memory": 512}, "nope": {}},
        commonEnvironmentVariables={"API_TOKEN": "x"},
        extra=1,
    )
    assert {
        "privateSubnetIds[0]",
        "logRetentionDays",
        "serviceOverrides.aw-api-gateway.memory",
        "serviceOverrides.nope",
        "commonEnvironmentVariables.API_TOKEN",
        "extra",
    } <= set(found)


def test_missing_region_is_reported():
    with pytest.raises(ConfigError) as caught:
        load(region=None)
    assert "(aws:region)" in str(caught.value)


def test_a_catalog_of_ones_own_replaces_the_base_one_with_base_catalog_none():
    settings = load(
        keycloak={"enabled": False},
        baseCatalog="none",
        services={
            "orders": {
                "port": 9000,
                "public": True,
                "healthCheckPath": "/health",
                "sizes": {"prod": {"cpu": 512, "memory": 1024, "desiredCount": 2}},
            }
        },
    )
    (orders,) = settings.services
    assert (orders.name, orders.port, orders.cpu, orders.desired_count) == ("orders", 9000, 512, 2)
    assert "SPRING_PROFILES_ACTIVE" not in orders.environment


def test_custom_catalog_without_a_size_for_the_environment_is_refused():
    found = problems(
        services={
            "orders": {
                "port": 9000,
                "sizes": {"dev": {"cpu": 256, "memory": 512, "desiredCount": 1}},
            }
        }
    )
    assert "services.orders.sizes.prod" in found


def test_two_services_may_listen_on_the_same_port_each_in_its_own_group():
    # Each service has its own security group and task IPs: a shared port opens nothing shared.
    size = {"prod": {"cpu": 256, "memory": 512, "desiredCount": 2}}
    settings = load(
        baseCatalog="none",
        services={
            "billing": {"port": 9000, "sizes": size},
            "orders": {"port": 9000, "sizes": size},
        },
    )
    assert [s.port for s in settings.services if s.name != "keycloak"] == [9000, 9000]


def test_overrides_merge_environment_in_order_common_then_service_then_override():
    settings = load(
        commonEnvironmentVariables={"LOG": "common", "A": "1"},
        serviceOverrides={"aw-pdp-service": {"environment": {"LOG": "override"}}},
    )
    pdp = settings.service("aw-pdp-service")
    assert pdp.environment["LOG"] == "override" and pdp.environment["A"] == "1"
    assert settings.service("aw-pap-service").environment["LOG"] == "common"


def test_log_groups_default_to_project_and_env_and_follow_log_group_prefix():
    assert load().log_group_prefix == "/ecs/accessweaver-prod"
    assert load(logGroupPrefix="/ecs/{project}/{env}").log_group_prefix == "/ecs/accessweaver/prod"


@pytest.mark.parametrize("prefix", ["/ecs/accessweaver", "/ecs/{project}", "/ecs/{env}"])
def test_a_log_group_prefix_shared_by_two_stacks_is_refused(prefix):
    text = problems(logGroupPrefix=prefix)["logGroupPrefix"]
    assert "would create the same log groups" in text and "/ecs/{project}/{env}" in text


@pytest.mark.parametrize("prefix", ["ecs/{project}/{env}", "/ecs/{project}/{env}/", "/ecs//{env}"])
def test_a_malformed_log_group_prefix_is_refused(prefix):
    assert "not a log group path" in problems(logGroupPrefix=prefix)["logGroupPrefix"]
