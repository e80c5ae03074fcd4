"""Per-service least privilege from the declared graph: each service's own security group, roles,
environment and secrets are exactly what its `uses` and `calls` give it."""

from __future__ import annotations

import pytest

from accessweaver_components.stack.catalog import ACCESSWEAVER_CATALOG
from tests.conftest import STACKS
from tests.graph_support import (
    between_groups,
    container,
    environment,
    expected_paths,
    group_owners,
    opened,
    policy,
    secrets,
    statements,
)
from tests.resource_types import SERVICE, TASK

SIZES = {"dev": {"cpu": 256, "memory": 512, "desiredCount": 1}}
SERVICES_KEY = "accessweaver:services"
OWN_CATALOG = {"accessweaver:baseCatalog": "none"}  # a catalog of its own, not AccessWeaver's


def catalog(**services):
    return {name: {"sizes": SIZES, **spec} for name, spec in services.items()}


# -- the committed stacks ------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_service_has_its_own_security_group_task_role_and_execution_role(plan, stack):
    result = plan(stack)
    services = result.of_type(SERVICE)
    groups = [tuple(s.inputs["networkConfiguration"]["securityGroups"]) for s in services]
    assert all(len(g) == 1 for g in groups) and len(set(groups)) == len(services) == 6
    # (and the health probe's and the platform tasks' task definitions, their roles their own)
    tasks = result.of_type(TASK)
    assert len(tasks) == 9
    for role in ("taskRoleArn", "executionRoleArn"):
        arns = [t.inputs[role] for t in tasks]
        assert len(set(arns)) == len(arns) == 9, role


@pytest.mark.parametrize("stack", STACKS)
def test_the_rules_open_exactly_the_paths_of_the_accessweaver_graph(plan, stack):
    # GIVEN the default catalog's graph (computed here from the catalog data); where Keycloak
    # is on Service Connect (staging, and prod: blue/green and called), the gateway reaches its
    # proxy, which listens apart from the port the ALB reaches
    expected = expected_paths(
        ACCESSWEAVER_CATALOG, keycloak_call_port=None if stack == "dev" else 28180
    )
    # WHEN the stack is planned, THEN every path has both rules and no other path exists
    ingress, egress = opened(plan(stack))
    assert between_groups(ingress) == expected
    assert between_groups(egress) == expected


def test_only_the_gateway_and_keycloak_accept_the_alb(plan):
    ingress, _ = opened(plan("prod"))
    from_alb = {(target, port) for source, target, port in ingress if source == "alb"}
    assert from_alb == {("aw-api-gateway", 8080), ("keycloak", 8180), ("keycloak", 9000)}


def test_internal_services_are_reached_by_the_gateway_only(plan):
    ingress, _ = opened(plan("staging"))
    for service in ("aw-pdp-service", "aw-pap-service", "aw-tenant-service", "aw-audit-service"):
        callers = {source for source, target, _ in ingress if target == service}
        # and the health probe, on the health port only
        assert callers == {"aw-api-gateway", "task:health-probe"}, service


def test_data_stores_admit_only_the_services_that_use_them(plan):
    ingress, _ = opened(plan("prod"))
    database = {source for source, target, _ in ingress if target == "postgres"}
    cache = {source for source, target, _ in ingress if target == "redis"}
    assert database == {
        "aw-pdp-service",
        "aw-pap-service",
        "aw-tenant-service",
        "aw-audit-service",
        "keycloak",
        "task:platform-setup",
        "task:platform-rotate",
    }
    assert cache == {"aw-api-gateway", "aw-pdp-service", "aw-pap-service"}


# -- roles -----------------------------------------------------------------------------------


def test_execution_role_reads_its_own_image_log_group_and_secrets_only(plan):
    result = plan("prod")
    for service in ("aw-api-gateway", "aw-pdp-service", "aw-tenant-service"):
        granted = statements(result, f"{service}-exec-policy")
        assert granted["EcrPull"]["Resource"] == (
            f"arn:aws:ecr:eu-west-1:123456789012:repository/accessweaver-prod/{service}"
        )
        group = f"arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/accessweaver-prod/{service}"
        assert granted["Logs"]["Resource"] == [group, f"{group}:log-stream:*"]
        referenced = sorted(
            {":".join(arn.split(":")[:7]) for arn in secrets(result, service).values()}
        )
        assert granted["Secrets"]["Resource"] == referenced


def test_a_secret_of_one_service_is_readable_by_that_service_only(run_stack):
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:accessweaver/dev/psp-AbCdEf"
    services = {
        name: {k: v for k, v in spec.items()} for name, spec in ACCESSWEAVER_CATALOG.items()
    }
    services["aw-tenant-service"]["secrets"] = {"PAYMENT_PROVIDER_KEY": arn}
    result = run_stack("dev", {**OWN_CATALOG, SERVICES_KEY: services})
    readers = [
        p.name for p in result.of_type("aws:iam/rolePolicy:RolePolicy") if arn in p.inputs["policy"]
    ]
    assert readers == ["aw-tenant-service-exec-policy"]


def test_task_roles_hold_only_what_each_service_uses(plan):
    result = plan("prod")
    audit = statements(result, "aw-audit-service-task-policy")
    assert "s3:PutObject" in audit["DocumentsReadWrite"]["Action"]
    assert audit["DocumentsKey"]["Resource"].startswith("arn:aws:kms:eu-west-1:")
    for service in ("aw-api-gateway", "aw-pdp-service", "aw-pap-service", "aw-tenant-service"):
        document = str(policy(result, f"{service}-task-policy"))
        assert "s3:" not in document and "kms:" not in document, service
    keycloak = str(policy(result, "keycloak-task-policy"))
    assert "s3:" not in keycloak and "cloudwatch:PutMetricData" not in keycloak


EXEC_SIDS = {"EcsExec", "EcsExecFindLogGroup", "EcsExecSessionLogs", "EcsExecSessionKey"}


@pytest.mark.parametrize(("stack", "extra"), [("dev", EXEC_SIDS), ("prod", {"Traces"})])
def test_spring_services_publish_metrics_to_their_namespace_only(plan, stack, extra):
    granted = statements(plan(stack), "aw-pdp-service-task-policy")
    # (and it uses the cache: elasticache:Connect as the cache's IAM user)
    assert set(granted) == {"Metrics", "ConnectToTheCache", *extra}
    assert granted["Metrics"]["Action"] == "cloudwatch:PutMetricData"
    assert granted["Metrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": f"accessweaver/{stack}/aw-pdp-service"}
    }
    config = plan(stack).outputs["spring_application_config"]["aw-pdp-service"]
    assert f"namespace: accessweaver/{stack}/aw-pdp-service" in config


def test_roles_trust_only_ecs_tasks_of_this_account(plan):
    import json

    role = plan("prod").one("aws:iam/role:Role", "aw-pdp-service-exec-role")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}


# -- environment ------------------------------------------------------------------------------


def test_each_service_receives_only_the_variables_of_what_it_uses_and_calls(plan):
    result = plan("prod")
    gateway_env, gateway_secrets = (
        environment(result, "aw-api-gateway"),
        secrets(result, "aw-api-gateway"),
    )
    assert gateway_env["AW_PDP_SERVICE_URL"] == "http://aw-pdp-service.accessweaver-prod.local:8081"
    assert gateway_env["KEYCLOAK_URL"] == "http://keycloak.accessweaver-prod.local:8180/auth"
    assert {"JWT_SECRET"} == set(gateway_secrets)  # the cache: IAM, no token
    assert not any(name.startswith("DATABASE_") for name in gateway_env)
    tenant_env, tenant_secrets = (
        environment(result, "aw-tenant-service"),
        secrets(result, "aw-tenant-service"),
    )
    # the login's password, also under the name Spring binds
    assert set(tenant_secrets) == {"DATABASE_PASSWORD", "SPRING_DATASOURCE_PASSWORD"}
    assert not {"REDIS_HOST", "DOCUMENTS_BUCKET", "KEYCLOAK_URL"} & set(tenant_env)
    assert not any(name.endswith("_SERVICE_URL") for name in tenant_env)
    assert environment(result, "aw-audit-service")["DOCUMENTS_BUCKET"].startswith(
        "accessweaver-prod-documents-"
    )


def test_spring_configuration_lists_only_the_called_services(plan):
    configs = plan("dev").outputs["spring_application_config"]
    assert (
        "aw-pdp-service: http://aw-pdp-service.accessweaver-dev.local:8081"
        in (configs["aw-api-gateway"])
    )
    assert "http://" not in configs["aw-tenant-service"]
    assert "datasource" not in configs["aw-api-gateway"]
    assert "redis" not in configs["aw-tenant-service"]


def test_a_node_service_gets_a_libpq_uri_and_a_spring_service_a_jdbc_url(run_stack):
    services = catalog(
        orders={"port": 3000, "uses": {"database": True}},
        billing={"port": 8081, "springBoot": True, "uses": {"database": True}},
    )
    result = run_stack(
        "dev", {**OWN_CATALOG, SERVICES_KEY: services, "accessweaver:edge": {"enabled": False}}
    )
    orders, billing = environment(result, "orders"), environment(result, "billing")
    assert orders["DATABASE_URL"].startswith("postgresql://orders@accessweaver-dev-postgres.")
    assert orders["DATABASE_URL"].endswith(":5433/accessweaver?sslmode=require")
    assert billing["DATABASE_URL"].startswith("jdbc:postgresql://")
    assert orders["DATABASE_HOST"] == billing["DATABASE_HOST"]
    # health checks follow what the service is, not Spring's path for everyone
    assert "/health " in container(result, "orders")["healthCheck"]["command"][1]
    assert "/actuator/health/liveness " in container(result, "billing")["healthCheck"]["command"][1]


# -- custom graphs --------------------------------------------------------------------------


def test_a_catalog_without_calls_opens_no_path_between_services(run_stack):
    services = catalog(
        front={"port": 8080, "public": True, "defaultRoute": True},
        back={"port": 8081},
        other={"port": 8082},
    )
    result = run_stack("dev", {**OWN_CATALOG, SERVICES_KEY: services})
    ingress, egress = opened(result)
    names = {"front", "back", "other"}
    assert not {(s, t) for s, t, _ in ingress | egress if s in names and t in names}


def test_a_worker_without_a_port_has_no_route_no_name_and_no_inbound_rule(run_stack):
    services = catalog(
        front={"port": 8080, "public": True, "defaultRoute": True},
        indexer={
            "healthCheckCommand": ["CMD-SHELL", "test -f /tmp/alive"],
            "uses": {"documents": "read"},
        },
    )
    result = run_stack("dev", {**OWN_CATALOG, SERVICES_KEY: services})
    worker = result.one(SERVICE, "indexer-service").inputs
    assert "serviceRegistries" not in worker and "loadBalancers" not in worker
    assert not [r for r in result.of_type("aws:servicediscovery/service:Service")
                if r.name == "indexer-discovery"]  # fmt: skip
    ingress, _ = opened(result)
    assert not [p for p in ingress if p[1] == "indexer"]
    definition = container(result, "indexer")
    assert definition["portMappings"] == []
    assert definition["healthCheck"]["command"] == ["CMD-SHELL", "test -f /tmp/alive"]
    assert "indexer" not in result.outputs["internal_dns_names"]
    assert "indexer" not in result.outputs["health_check_urls"]
    assert not [g for g in result.of_type("aws:lb/targetGroup:TargetGroup") if "indexer" in g.name]


def test_services_calling_each_other_both_get_their_path(run_stack):
    services = catalog(
        front={"port": 8080, "public": True, "defaultRoute": True, "calls": ["back"]},
        back={"port": 8081, "calls": ["front"]},
    )
    result = run_stack("dev", {**OWN_CATALOG, SERVICES_KEY: services})
    ingress, egress = opened(result)
    for path in (("front", "back", 8081), ("back", "front", 8080)):
        assert path in ingress and path in egress
    assert environment(result, "front")["BACK_URL"] == "http://back.accessweaver-dev.local:8081"
    assert environment(result, "back")["FRONT_URL"] == "http://front.accessweaver-dev.local:8080"


def test_the_access_matrix_output_says_who_reaches_whom(plan):
    access = plan("prod").outputs["service_access"]
    assert access["aw-pdp-service"]["reachable_from"] == ["aw-api-gateway:8081"]
    assert access["aw-pdp-service"]["reaches"] == ["postgres:5433", "redis:6379"]
    assert access["aw-pdp-service"]["uses"] == ["database", "cache"]
    assert access["aw-api-gateway"]["reachable_from"] == ["alb:8080"]
    owners = group_owners(plan("prod"))
    assert owners[access["aw-pdp-service"]["security_group_id"]] == "aw-pdp-service"
    # under the stack's IAM path, which the bootstrap's deploy role is limited to
    assert ":role/accessweaver/prod/keycloak-task-role-" in access["keycloak"]["task_role_arn"]


def test_default_catalog_drops_the_uses_of_pieces_a_stack_switches_off(run_stack):
    result = run_stack(
        "dev",
        {"accessweaver:keycloak": {"enabled": False}, "accessweaver:cache": {"enabled": False}},
    )
    gateway = environment(result, "aw-api-gateway")
    assert "KEYCLOAK_URL" not in gateway and "REDIS_HOST" not in gateway
    assert "JWT_SECRET" in secrets(result, "aw-api-gateway")
