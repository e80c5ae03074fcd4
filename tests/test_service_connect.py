"""ECS Service Connect between the services (issue 11, "Service-to-service traffic"; issue 20,
part 4, "Blue/green that covers every caller"): every service on it in the committed staging
stack (`serviceConnect.enabled: true`); unset (dev, prod, CA-A2A), only the services that are
called and deploy BLUE_GREEN, LINEAR or CANARY, with their callers; Cloud Map DNS records for
the rest."""

from __future__ import annotations

import json

import pytest

from tests.config_support import EDGE_WITH_CERTIFICATE, PUBLIC_SUBNETS, existing_vpc_stack, loader
from tests.conftest import ROOT, container_definitions
from tests.resource_types import SERVICE, SG_IN, TASK
from tests.support_programs import microservice_program, refusal
from tools.aws_models import create_service_params, validate
from tools.engine import run_program

DISCOVERY = "aws:servicediscovery/service:Service"
NAMESPACE = "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace"
SHIFTING = {"BLUE_GREEN", "LINEAR", "CANARY"}
CA_A2A = ROOT / "examples" / "ca-a2a"


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


def test_dev_rolls_every_service_and_keeps_every_dns_record(plan):
    result = plan("dev")
    assert all("serviceConnectConfiguration" not in s.inputs for s in result.of_type(SERVICE))
    assert len(result.of_type(DISCOVERY)) == 6
    app = container_definitions(result.one(TASK, "aw-pdp-service-task"))[0]
    assert "name" not in app["portMappings"][0]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_service_connect_validates_against_create_service(plan, stack):
    result = plan(stack)
    for service in result.of_type(SERVICE):
        params = create_service_params(service.inputs, "c")
        assert validate("ecs", "CreateService", params) == [], service.name


def test_the_model_check_sees_a_test_traffic_rule_without_a_header_name(plan):
    result = plan("prod")
    keycloak = next(s for s in result.of_type(SERVICE) if s.name == "keycloak-service")
    params = create_service_params(keycloak.inputs, "c")
    alias = params["serviceConnectConfiguration"]["services"][0]["clientAliases"][0]
    del alias["testTrafficRules"]["header"]["name"]
    assert validate("ecs", "CreateService", params)


# -- issue 20, part 4: blue/green that covers every caller -----------------------------------


def callers_of(result, callee: str) -> set[str]:
    """Who reaches `callee`, read from the plan's access matrix (`<who>:<port>`), the load
    balancer, the service itself and tasks left out."""
    sources = result.outputs["service_access"][callee]["reachable_from"]
    names = {entry.rsplit(":", 1)[0] for entry in sources}
    return {n for n in names if n not in ("alb", callee) and not n.startswith("task:")}


def url_hosts(result, caller: str) -> set[str]:
    """The hosts of the URLs a caller's container is given (`<CALLEE>_URL`, `KEYCLOAK_URL`)."""
    app = container_definitions(result.one(TASK, f"{caller}-task"))[0]
    return {
        e["value"].split("//", 1)[1].split("/", 1)[0].split(":", 1)[0]
        for e in app["environment"]
        if e["name"].endswith("_URL") and e["value"].startswith("http://")
    }


def called_blue_green(result) -> dict[str, set[str]]:
    """Every service that shifts traffic and is called, with its callers (from the plan)."""
    found = {}
    for service in result.of_type(SERVICE):
        name = service.name.removesuffix("-service")
        strategy = (service.inputs.get("deploymentConfiguration") or {}).get("strategy")
        if strategy in SHIFTING and callers_of(result, name):
            found[name] = callers_of(result, name)
    return found


def assert_callers_reach_it_through_service_connect(result) -> dict[str, set[str]]:
    services = {s.name.removesuffix("-service"): s.inputs for s in result.of_type(SERVICE)}
    records = {d.inputs["name"] for d in result.of_type(DISCOVERY)}
    found = called_blue_green(result)
    for callee, callers in found.items():
        config = services[callee]["serviceConnectConfiguration"]
        (published,) = config["services"]
        (alias,) = published["clientAlias"]
        # it answers under its DNS name through the proxies, with a test-traffic header rule
        assert alias["dnsName"] == result.outputs["internal_dns_names"][callee]
        assert alias["testTrafficRules"] == [
            {"header": {"name": "x-amzn-ecs-blue-green-test", "value": {"exact": "true"}}}
        ]
        # ... and has no Cloud Map DNS record any caller could resolve around the shift
        assert callee not in records and "serviceRegistries" not in services[callee]
        for caller in callers:
            caller_config = services[caller]["serviceConnectConfiguration"]
            assert caller_config["enabled"] is True
            assert caller_config["namespace"] == config["namespace"]
            # the name its URL holds is the alias its proxy intercepts
            assert alias["dnsName"] in url_hosts(result, caller)
    return found


def test_in_prod_every_called_blue_green_service_is_reached_through_service_connect(plan):
    result = plan("prod")
    found = assert_callers_reach_it_through_service_connect(result)
    # Keycloak (blue/green, called by the gateway for tokens); nobody calls the gateway
    assert found == {"keycloak": {"aw-api-gateway"}}
    services = {s.name.removesuffix("-service"): s.inputs for s in result.of_type(SERVICE)}
    # the gateway is a client only; the internal services keep their DNS records
    assert "services" not in services["aw-api-gateway"]["serviceConnectConfiguration"]
    records = {d.inputs["name"] for d in result.of_type(DISCOVERY)}
    assert records == {"aw-pdp-service", "aw-pap-service", "aw-tenant-service", "aw-audit-service"}


def test_in_ca_a2a_prod_the_linear_agents_and_keycloak_are_reached_through_service_connect():
    result = run_program(CA_A2A, "prod", CA_A2A / "Pulumi.prod.yaml")
    found = assert_callers_reach_it_through_service_connect(result)
    assert found == {
        name: {"orchestrator"} for name in ("extractor", "validator", "archivist", "keycloak")
    }
    # the MCP server rolls (internal): its DNS record stays, and the agents resolve it there
    records = {d.inputs["name"] for d in result.of_type(DISCOVERY)}
    assert records == {"mcp-server"}


def test_the_alb_reaches_the_application_and_callers_reach_its_proxy_apart(plan):
    result = plan("prod")
    keycloak = next(s for s in result.of_type(SERVICE) if s.name == "keycloak-service").inputs
    (published,) = keycloak["serviceConnectConfiguration"]["services"]
    assert published["ingressPortOverride"] == 28180
    ingress = {
        r.name: (r.inputs["fromPort"], r.inputs["toPort"])
        for r in result.of_type(SG_IN)
        if r.inputs["securityGroupId"] == keycloak["networkConfiguration"]["securityGroups"][0]
    }
    # the ALB on the application's port (its address is the one Keycloak trusts for
    # X-Forwarded-For), the gateway's proxy on the Service Connect proxy's only
    assert ingress["keycloak-from-lb-8180"] == (8180, 8180)
    ports = sorted(v for k, v in ingress.items() if "from-lb" not in k)
    assert (28180, 28180) in ports and (8180, 8180) not in ports


def test_the_scheduled_probe_asks_only_the_dns_records_that_exist(plan):
    result = plan("prod")
    probe = container_definitions(result.one(TASK, "health-probe-task"))[0]
    urls = json.loads(
        next(e["value"] for e in probe["environment"] if e["name"] == "HEALTH_CHECK_URLS")
    )
    # Keycloak and the gateway are on Service Connect (no record): their target groups and
    # unhealthy-targets alarms watch them; the probe asks the four others by name
    assert set(urls) == {
        "aw-pdp-service",
        "aw-pap-service",
        "aw-tenant-service",
        "aw-audit-service",
    }
    assert result.outputs["tasks"]["health-probe"]["schedule"] is not None


BASE = existing_vpc_stack("prod", publicSubnetIds=PUBLIC_SUBNETS, edge=EDGE_WITH_CERTIFICATE)
load, problems = loader(BASE)


def test_service_connect_switched_off_refuses_a_called_blue_green_service_with_the_reason():
    message = problems(serviceConnect={"enabled": False})["serviceConnect.enabled"]
    assert "keycloak deploys BLUE_GREEN and is called by aw-api-gateway" in message
    assert "never through Cloud Map DNS records" in message
    assert "allowed: true, or unset" in message and "ROLLING for keycloak" in message
    # Keycloak rolling, nothing is left to refuse (nor to put on Service Connect)
    settings = load(
        serviceConnect={"enabled": False},
        serviceOverrides={"keycloak": {"deployment": {"strategy": "ROLLING"}}},
    )
    assert all(s.connect is None for s in settings.services)


def test_a_caller_that_is_itself_called_publishes_and_brings_its_callers():
    # the gateway calls Keycloak and a new edge service calls the gateway: the gateway then
    # publishes (it cannot keep a DNS record beside Service Connect), so the edge joins too
    settings = load(
        services={
            "aw-api-gateway": {"defaultRoute": False, "pathPatterns": ["/api/*"]},
            "edge": {
                "port": 9100,
                "public": True,
                "defaultRoute": True,
                "calls": ["aw-api-gateway"],
                "sizes": {"prod": {"cpu": 256, "memory": 512, "desiredCount": 2}},
            },
        },
        serviceOverrides={"aw-api-gateway": {"deployment": {"strategy": "ROLLING"}}},
    )
    roles = {s.name: s.connect for s in settings.services}
    assert roles["keycloak"] == "publish" and roles["aw-api-gateway"] == "publish"
    assert roles["edge"] == "client" and roles["aw-pdp-service"] is None


def test_a_task_calling_a_service_on_service_connect_is_refused():
    found = problems(
        tasks={
            "report": {
                "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/report:1.0",
                "uses": {"keycloak": True},
                "sizes": {"prod": {"cpu": 256, "memory": 512}},
            }
        }
    )
    message = found["tasks.report.uses.keycloak"]
    assert "reached through Service Connect (it deploys BLUE_GREEN)" in message
    assert "a task run outside a service has no Service Connect proxy" in message


def test_a_worker_cannot_publish_and_a_cluster_without_namespace_cannot_connect():
    from accessweaver_components.compute.microservice import ServiceConnectArgs

    broken = microservice_program(
        "job",
        image="r/job:1",
        command_check=["CMD-SHELL", "true"],
        service_connect=ServiceConnectArgs(),
    )
    assert "Service Connect needs a cluster with a namespace" in refusal(broken)
