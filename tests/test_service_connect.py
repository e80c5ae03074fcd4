"""ECS Service Connect between the services (issue 11, "Service-to-service traffic"): on in the
committed staging stack, off (Cloud Map DNS records, the seed's) in dev and prod."""

from __future__ import annotations

import pytest

from tests.conftest import container_definitions
from tools.aws_models import create_service_params, validate

SERVICE = "aws:ecs/service:Service"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
DISCOVERY = "aws:servicediscovery/service:Service"
NAMESPACE = "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace"


def connect(result) -> dict[str, dict]:
    return {
        s.name.removesuffix("-service"): s.inputs["serviceConnectConfiguration"]
        for s in result.of_type(SERVICE)
    }


def test_every_service_joins_the_stacks_namespace_with_logs_and_access_logs(plan):
    result = plan("staging")
    (namespace,) = result.of_type(NAMESPACE)
    for name, config in connect(result).items():
        assert config["enabled"] is True
        assert config["namespace"].startswith("arn:aws:servicediscovery:")
        assert config["accessLogConfiguration"] == {
            "format": "JSON",
            "includeQueryParameters": "DISABLED",
        }
        options = config["logConfiguration"]["options"]
        assert options["awslogs-group"] == f"/ecs/accessweaver-staging/{name}"
        assert options["awslogs-stream-prefix"] == "service-connect"
    assert namespace.inputs["name"] == "accessweaver-staging.local"
    # ECS registers the services itself: no DNS service of the same name to collide with
    assert result.of_type(DISCOVERY) == []


def test_only_the_services_someone_calls_are_published_under_their_old_names(plan):
    result = plan("staging")
    configs = connect(result)
    published = {name for name, config in configs.items() if config.get("services")}
    # the gateway calls the four others and uses Keycloak; nobody calls the gateway
    assert published == {
        "aw-pdp-service", "aw-pap-service", "aw-tenant-service", "aw-audit-service", "keycloak",
    }  # fmt: skip
    (pdp,) = configs["aw-pdp-service"]["services"]
    assert pdp == {
        "portName": "http",
        "discoveryName": "aw-pdp-service",
        "clientAlias": [{"port": 8081, "dnsName": "aw-pdp-service.accessweaver-staging.local"}],
    }
    # the URL the callers are given does not change
    assert (
        result.outputs["internal_dns_names"]["aw-pdp-service"] == pdp["clientAlias"][0]["dnsName"]
    )
    app = container_definitions(result.one(TASK, "aw-pdp-service-task"))[0]
    assert app["portMappings"][0] | {} == {
        "containerPort": 8081, "hostPort": 8081, "protocol": "tcp",
        "name": "http", "appProtocol": "http",
    }  # fmt: skip


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_without_service_connect_the_services_keep_their_dns_records(plan, stack):
    result = plan(stack)
    assert all("serviceConnectConfiguration" not in s.inputs for s in result.of_type(SERVICE))
    assert result.of_type(DISCOVERY)
    app = container_definitions(result.one(TASK, "aw-pdp-service-task"))[0]
    assert "name" not in app["portMappings"][0]


def test_service_connect_validates_against_create_service(plan):
    result = plan("staging")
    for service in result.of_type(SERVICE):
        params = create_service_params(service.inputs, "c")
        config = service.inputs["serviceConnectConfiguration"]
        params["serviceConnectConfiguration"] = {
            "enabled": config["enabled"],
            "namespace": config["namespace"],
            "logConfiguration": config["logConfiguration"],
            "accessLogConfiguration": config["accessLogConfiguration"],
            **(
                {
                    "services": [
                        {
                            "portName": s["portName"],
                            "discoveryName": s["discoveryName"],
                            "clientAliases": [
                                {"port": int(a["port"]), "dnsName": a["dnsName"]}
                                for a in s["clientAlias"]
                            ],
                        }
                        for s in config["services"]
                    ]
                }
                if "services" in config
                else {}
            ),
        }
        assert validate("ecs", "CreateService", params) == [], service.name


def test_a_worker_cannot_publish_and_a_cluster_without_namespace_cannot_connect():
    from tools.engine import run_function

    def broken() -> None:
        from components.compute.cluster import ClusterRef
        from components.compute.containers import CommandHealthCheck, ContainerArgs
        from components.compute.microservice import (
            Microservice,
            MicroserviceArgs,
            ServiceConnectArgs,
        )

        Microservice(
            "job",
            MicroserviceArgs(
                cluster=ClusterRef("arn:aws:ecs:eu-west-1:123456789012:cluster/c", "c"),
                vpc_id="vpc-0a1b2c3d4e5f60718",
                subnet_ids=["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"],
                container=ContainerArgs(
                    image="r/job:1", health_check=CommandHealthCheck(["CMD-SHELL", "true"])
                ),
                service_connect=ServiceConnectArgs(),
            ),
        )

    with pytest.raises(Exception, match="Service Connect needs a cluster with a namespace"):
        run_function(broken)
