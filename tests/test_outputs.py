"""Stack outputs: the seed's names, keyed by service, with the content a deploy job reads."""

from __future__ import annotations

import yaml

REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/accessweaver-prod"  # the stack's own
SEED_OUTPUTS = {
    "cluster_name",
    "service_arns",
    "security_group_id",
    "internal_dns_names",
    "alb_integration_config",
    "cicd_deployment_config",
    "debugging_information",
    "health_check_urls",
    "spring_application_config",
}


def test_every_seed_output_is_exported(plan):
    assert set(plan("prod").outputs) >= SEED_OUTPUTS


def test_internal_dns_names_and_health_urls_are_keyed_by_service(plan):
    outputs = plan("prod").outputs
    assert (
        outputs["internal_dns_names"]["aw-pdp-service"] == "aw-pdp-service.accessweaver-prod.local"
    )
    assert outputs["health_check_urls"]["aw-pdp-service"] == (
        "http://aw-pdp-service.accessweaver-prod.local:8081/actuator/health/readiness"
    )


def test_service_arns_point_at_the_seed_service_names(plan):
    arns = plan("prod").outputs["service_arns"]
    assert arns["aw-api-gateway"].endswith(
        ":service/accessweaver-prod-cluster/accessweaver-prod-aw-api-gateway"
    )
    assert plan("prod").outputs["cluster_name"] == "accessweaver-prod-cluster"


STAGING_REGISTRY = "222222222222.dkr.ecr.eu-west-1.amazonaws.com/accessweaver-staging"


def test_dev_builds_its_images_and_promotes_none(plan):
    config = plan("dev").outputs["cicd_deployment_config"]
    assert config["promote_from"] is None
    assert {s["promote_from"] for s in config["services"].values()} == {None}


def test_cicd_config_lists_services_in_the_seed_deploy_order_after_keycloak(plan):
    config = plan("prod").outputs["cicd_deployment_config"]
    assert (
        config["deploy_order"][:6]
        == [
            "keycloak",
            "aw-tenant-service",
            "aw-pap-service",
            "aw-pdp-service",
            "aw-audit-service",
            "aw-api-gateway",
        ][: len(config["deploy_order"][:6])]
    )
    pdp = config["services"]["aw-pdp-service"]
    assert pdp == {
        "service_name": "accessweaver-prod-aw-pdp-service",
        "task_family": "accessweaver-prod-aw-pdp-service",
        "container_name": "aw-pdp-service",
        "image_repository": f"{REGISTRY}/aw-pdp-service",
        "image": plan("prod").outputs["release"]["images"]["aw-pdp-service"],
        # prod copies the commit's images from staging's repositories (staging's account).
        "promote_from": f"{STAGING_REGISTRY}/aw-pdp-service",
        "log_group": "/ecs/accessweaver-prod/aw-pdp-service",
        # where the gate's health probe asks each of its tasks
        "health_check_port": 8081,
        "health_check_path": "/actuator/health/readiness",
    }
    assert config["services"]["keycloak"]["health_check_port"] == 9000
    assert config["images"]["keycloak"]["pinned_tag"] == "26.7.0"
    assert config["images"]["aw-pdp-service"]["pinned_tag"] is None  # the commit's SHA
    assert config["release_parameter"] == "/accessweaver/prod/release/current"
    assert config["promote_from"] == STAGING_REGISTRY
    # The ECR login of the prod deploy job: prod's registry and staging's.
    assert config["registries"].split(",") == [REGISTRY.split(".")[0], "222222222222"]
    assert (config["region"], config["cluster_name"]) == ("eu-west-1", "accessweaver-prod-cluster")


def test_debugging_commands_include_exec_only_where_it_is_enabled(plan):
    dev = plan("dev").outputs["debugging_information"]["aw-pdp-service"]
    prod = plan("prod").outputs["debugging_information"]["aw-pdp-service"]
    assert (
        dev["logs"]
        == "aws logs tail /ecs/accessweaver-dev/aw-pdp-service --follow --region eu-west-1"
    )
    assert "exec" in dev and "exec" not in prod
    assert "--services accessweaver-prod-aw-pdp-service" in prod["events"]


def test_spring_config_uses_boot_3_keys_and_cloud_map_urls(plan):
    document = yaml.safe_load(plan("prod").outputs["spring_application_config"]["aw-api-gateway"])
    assert document["spring"]["application"]["name"] == "aw-api-gateway"
    assert "redis" in document["spring"]["data"] and "redis" not in document["spring"]
    assert document["management"]["cloudwatch"]["metrics"]["export"]["namespace"] == (
        "accessweaver/prod/aw-api-gateway"
    )
    assert "metrics" not in document["management"] or "export" not in document["management"].get(
        "metrics", {}
    )
    assert document["accessweaver"]["services"]["aw-pdp-service"] == (
        "http://aw-pdp-service.accessweaver-prod.local:8081"
    )


def test_alb_integration_config_describes_the_public_services(plan):
    config = plan("prod").outputs["alb_integration_config"]
    assert set(config["services"]) >= {"aw-api-gateway"}
    assert "aw-pdp-service" not in config["services"]
    assert config["services"]["aw-api-gateway"]["port"] == 8080
    gateway = config["services"]["aw-api-gateway"]
    assert (
        gateway["security_group_id"] == plan("prod").outputs["security_group_id"]["aw-api-gateway"]
    )
    assert gateway["security_group_id"].startswith("sg-")
