"""Keycloak on ECS in production mode: what the field report could not finish (its steps 1, 2
and 4) checked on the recorded runs, plus the config rules of the `keycloak` key."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest

from accessweaver_components.identity.config import keycloak_environment
from tests.config_support import existing_vpc_stack, loader
from tests.conftest import ROOT, STACKS, container_definitions
from tests.resource_types import SERVICE, SG_IN, SG_OUT, TASK
from tools.policy_check import run_policies


def keycloak_container(result) -> dict[str, Any]:
    return container_definitions(result.one(TASK, "keycloak-task"))[0]


def environment(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container["environment"]}


def secrets(container: dict[str, Any]) -> dict[str, str]:
    return {s["name"]: s["valueFrom"] for s in container["secrets"]}


@pytest.mark.parametrize("stack", STACKS)
def test_keycloak_starts_in_production_mode_on_the_stacks_postgres(plan, stack):
    result = plan(stack)
    container = keycloak_container(result)
    assert container["command"][0] == "start" and "start-dev" not in container["command"]
    env = environment(container)
    assert env["KC_DB"] == "postgres"
    assert env["KC_DB_URL"].startswith(f"jdbc:postgresql://{result.outputs['database_endpoint']}/")
    # its own login, in its own database: never the master user, never the services' database
    assert env["KC_DB_USERNAME"] == "keycloak"
    assert env["KC_DB_URL"].split("/")[-1].startswith("keycloak?")
    text = json.dumps(container).lower()
    assert "h2" not in re.findall(r"[a-z0-9]+", text) and "dev-file" not in text


@pytest.mark.parametrize("stack", STACKS)
def test_keycloak_credentials_come_only_from_secrets_manager(plan, stack):
    result = plan(stack)
    container = keycloak_container(result)
    env, refs = environment(container), secrets(container)
    assert not [
        name
        for name in env
        if re.search(r"PASSWORD|ADMIN|SECRET", name) and name != "KC_HOSTNAME_ADMIN"
    ]
    arns = result.outputs["secret_arns"]
    admin = arns["keycloak-bootstrap-admin"]
    if stack == "dev":  # Parameter Store: a parameter per value, no JSON keys
        assert admin.endswith(":parameter/accessweaver/dev/keycloak-bootstrap-admin/password")
        username, password = admin.removesuffix("/password") + "/username", admin
    else:
        username, password = f"{admin}:username::", f"{admin}:password::"
    assert refs == {
        "KC_BOOTSTRAP_ADMIN_USERNAME": username,
        "KC_BOOTSTRAP_ADMIN_PASSWORD": password,
        "KC_DB_PASSWORD": (
            arns["database/keycloak"]
            if stack == "dev"
            else f"{arns['database/keycloak']}:password::"
        ),
    }
    assert arns["database-master"] not in json.dumps(container)


def test_keycloak_is_behind_the_alb_under_auth_with_proxy_headers(plan, run_stack):
    result = plan("prod")
    env = environment(keycloak_container(result))
    assert env["KC_HTTP_RELATIVE_PATH"] == "/auth"
    assert env["KC_PROXY_HEADERS"] == "xforwarded"
    assert env["KC_HTTP_ENABLED"] == "true"
    # hostname v2: a full URL, scheme and relative path included
    assert env["KC_HOSTNAME"] == "https://sso.accessweaver.example.com/auth"
    staging = plan("staging")
    assert environment(keycloak_container(staging))["KC_HOSTNAME"] == (
        "https://sso.staging.accessweaver.example.com/auth"
    )
    # without a host name, the ALB's (with a warning naming keycloak.hostname)
    unnamed = run_stack("staging", {"accessweaver:keycloak": {"version": "26.7.0"}})
    assert environment(keycloak_container(unnamed))["KC_HOSTNAME"] == (
        f"https://{unnamed.outputs['alb_dns_name']}/auth"
    )
    rule = result.one("aws:lb/listenerRule:ListenerRule", "accessweaver-prod-keycloak-rule")
    # only the realm and resource paths are public (Keycloak's reverse-proxy guide)
    assert rule.inputs["conditions"] == [
        {"pathPattern": {"values": ["/auth/realms/*", "/auth/resources/*"]}}
    ]
    service = result.one(SERVICE, "keycloak-service").inputs
    assert service["loadBalancers"][0]["containerPort"] == 8180


def test_container_checks_liveness_and_the_alb_readiness_on_port_9000(plan):
    result = plan("prod")
    container = keycloak_container(result)
    probe = " ".join(container["healthCheck"]["command"])
    # /health/live holds no database check: a failover does not restart the tasks
    assert "/dev/tcp/127.0.0.1/9000" in probe and "GET /auth/health/live " in probe
    assert "curl" not in probe  # the Keycloak image has none
    env = environment(container)
    assert (env["KC_HEALTH_ENABLED"], env["KC_HTTP_MANAGEMENT_PORT"]) == ("true", "9000")
    for slot in ("a", "b"):  # blue/green in prod: both target groups
        group = result.one(
            "aws:lb/targetGroup:TargetGroup", f"accessweaver-prod-keycloak-tg-{slot}"
        )
        assert group.inputs["healthCheck"]["port"] == "9000"
        assert group.inputs["healthCheck"]["path"] == "/auth/health/ready"
    from_alb = result.one(SG_IN, "keycloak-from-lb-9000").inputs
    assert (from_alb["fromPort"], from_alb["toPort"]) == (9000, 9000)
    alb = result.one("aws:lb/loadBalancer:LoadBalancer", "accessweaver-prod-alb").inputs
    assert from_alb["referencedSecurityGroupId"] in alb["securityGroups"]


@pytest.mark.parametrize(("stack", "tasks"), [("dev", 1), ("staging", 2), ("prod", 2)])
def test_keycloak_runs_two_tasks_or_more_outside_dev(plan, stack, tasks):
    result = plan(stack)
    assert result.one(SERVICE, "keycloak-service").inputs["desiredCount"] == tasks
    scaling = result.one("aws:appautoscaling/target:Target", "keycloak-scaling").inputs
    assert scaling["minCapacity"] == tasks


def test_keycloak_tasks_form_a_cluster_over_the_jgroups_ports_only_among_themselves(plan):
    result = plan("prod")
    keycloak_group = result.one(SERVICE, "keycloak-service").inputs["networkConfiguration"][
        "securityGroups"
    ][0]
    for port in (7800, 57800):
        for type_, direction in ((SG_IN, "in"), (SG_OUT, "out")):
            rule = result.one(type_, f"accessweaver-prod-identity-jgroups-{direction}-{port}")
            # Keycloak's own group, to itself: no other service joins its cluster
            assert rule.inputs["securityGroupId"] == keycloak_group
            assert rule.inputs["referencedSecurityGroupId"] == keycloak_group
            assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (port, port)
    assert environment(keycloak_container(result))["KC_CACHE_STACK"] == "jdbc-ping"


def test_keycloak_keeps_a_read_only_root_with_writable_data_and_tmp(plan):
    result = plan("prod")
    container = keycloak_container(result)
    assert container["readonlyRootFilesystem"] is True
    assert container["command"] == ["start", "--optimized"]  # never rebuilds into lib/
    mounts = {m["containerPath"]: m["sourceVolume"] for m in container["mountPoints"]}
    # prod runs ECS Exec on Keycloak (port forwarding): its agent's paths are volumes too
    assert mounts == {
        "/tmp": "tmp",
        "/opt/keycloak/data": "opt-keycloak-data",
        "/managed-agents": "exec-app-managed-agents",
        "/var/lib/amazon/ssm": "exec-app-var-lib-amazon-ssm",
        "/var/log/amazon/ssm": "exec-app-var-log-amazon-ssm",
    }
    volumes = {v["name"] for v in result.one(TASK, "keycloak-task").inputs["volumes"]}
    # Keycloak's image exports no traces: its task runs no collector, even in prod
    assert len(container_definitions(result.one(TASK, "keycloak-task"))) == 1
    assert volumes == set(mounts.values())


def test_keycloak_does_not_inherit_the_applications_common_variables(plan):
    env = environment(keycloak_container(plan("prod")))
    # kc.sh replaces its own JVM defaults with JAVA_OPTS; the Spring keys mean nothing to it.
    assert not {"JAVA_OPTS", "SPRING_PROFILES_ACTIVE", "LOGGING_LEVEL_ROOT"} & set(env)
    assert "DATABASE_URL" not in env and "JWT_SECRET" not in env


def test_keycloak_image_is_the_stacks_optimized_build_of_the_configured_version(plan):
    result = plan("prod")
    repository = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/accessweaver-prod/keycloak"
    staging = "222222222222.dkr.ecr.eu-west-1.amazonaws.com/accessweaver-staging/keycloak"
    # CI builds the configured version into the stack's repository under that tag ...
    assert result.outputs["cicd_deployment_config"]["images"]["keycloak"] == {
        "repository": repository,
        "pinned_tag": "26.7.0",
        "promote_from": staging,
    }
    # ... and the task runs the digest the release recorded for that tag.
    assert keycloak_container(result)["image"].startswith(f"{repository}@sha256:")


def test_a_keycloak_version_the_release_does_not_hold_yet_plans_its_tag(run_stack):
    # A pull request bumping the version: its preview (reading prod's release record, which
    # holds 26.7.0) shows the new tag; the deploy then builds it and records its digest.
    from tools.engine import example_release

    result = run_stack(
        "prod",
        {"accessweaver:keycloak": {"version": "26.7.1"}},
        release=example_release(ROOT, "prod"),
    )
    assert keycloak_container(result)["image"].endswith("/accessweaver-prod/keycloak:26.7.1")


def test_the_dockerfile_builds_what_the_task_configures_at_run_time():
    dockerfile = (ROOT / "images" / "keycloak" / "Dockerfile").read_text()
    built = dict(re.findall(r"(KC_[A-Z_]+)=(\S+)", dockerfile))
    settings = load()
    runtime = keycloak_environment(settings.platform.keycloak, settings.platform.database)
    assert built and all(runtime[key] == value for key, value in built.items())
    assert "kc.sh build" in dockerfile and "start-dev" not in dockerfile


def test_a_configured_hostname_wins_over_the_albs_dns_name(run_stack):
    result = run_stack("dev", {"accessweaver:keycloak": {"hostname": "sso.example.org"}})
    env = environment(keycloak_container(result))
    assert env["KC_HOSTNAME"] == "https://sso.example.org/auth"
    # dev runs ECS Exec: the admin console answers on the port-forwarded address only
    assert env["KC_HOSTNAME_ADMIN"] == "http://localhost:8180/auth"


def test_a_stack_without_keycloak_creates_neither_the_service_nor_its_admin_secret(run_stack):
    result = run_stack("dev", {"accessweaver:keycloak": {"enabled": False}})
    assert not result.of_type("accessweaver:keycloak:Keycloak")
    assert "keycloak-bootstrap-admin" not in result.outputs["secret_arns"]
    rules = {r.name for r in result.of_type("aws:lb/listenerRule:ListenerRule")}
    assert not any("keycloak" in name for name in rules)


# -- Config rules (pure) -------------------------------------------------------------------

BASE = existing_vpc_stack("prod")


load, problems = loader(BASE)


def test_keycloak_without_the_database_is_refused():
    text = problems(database={"enabled": False})["keycloak.enabled"]
    assert "H2" in text and "database.enabled true" in text


@pytest.mark.parametrize("version", ["23.0", "26.0", "26.0.7"])
def test_keycloak_without_the_jdbc_ping_stack_is_refused(version):
    message = problems(keycloak={"version": version})["keycloak.version"]
    assert "jdbc-ping stack, which Keycloak has from 26.1" in message
    assert "allowed: 26.1 or later, e.g. 26.7.0" in message


def test_the_default_version_has_the_cluster_stack_the_task_sets():
    keycloak = load().platform.keycloak
    assert keycloak.version == "26.7.0"
    assert keycloak_environment(keycloak, None)["KC_CACHE_STACK"] == "jdbc-ping"
    assert load(keycloak={"version": "26.1"}).platform.keycloak.version == "26.1"


def test_the_dockerfile_builds_the_default_version():
    dockerfile = (ROOT / "images" / "keycloak" / "Dockerfile").read_text()
    (default,) = re.findall(r"^ARG KEYCLOAK_VERSION=(\S+)$", dockerfile, flags=re.M)
    assert default == load().platform.keycloak.version


def test_keycloak_size_errors_name_the_keycloak_keys():
    found = problems(keycloak={"cpu": 1024, "memory": 512})
    assert "2048 to 8192" in found["keycloak.memory"]


def test_a_catalog_service_named_keycloak_is_refused_while_keycloak_runs():
    size = {"prod": {"cpu": 256, "memory": 512, "desiredCount": 1}}
    found = problems(services={"keycloak": {"port": 9100, "sizes": size}})
    assert "keycloak.enabled false" in found["services.keycloak"]


def test_keycloak_priority_places_auth_among_the_catalogs_rules():
    assert load(keycloak={"priority": 40}).service("keycloak").priority == 40


def test_keycloak_priority_taken_by_a_catalog_service_is_refused():
    size = {"prod": {"cpu": 256, "memory": 512, "desiredCount": 2}}
    found = problems(
        publicSubnetIds=["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"],
        edge={
            "enabled": True,
            "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/"
            "75f027a4-27dc-46c5-894e-e6a40b772e67",
        },
        baseCatalog="none",
        services={
            "web": {"port": 9100, "public": True, "defaultRoute": True, "sizes": size},
            "api": {
                "port": 9101,
                "public": True,
                "pathPatterns": ["/api/*"],
                "priority": 40,
                "sizes": size,
            },
        },
        keycloak={"priority": 40},
    )
    assert "priority already used by api" in found["keycloak.priority"]


# --- the admin console stays off the internet (issue 10, item 5) ---------------------------

KC1 = "KC.1*"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"


def kc1_findings(result) -> list[dict[str, str]]:
    return [v for v in run_policies(result).violations if v["control"] == KC1]


def with_keycloak_conditions(result, conditions: list[dict[str, Any]]):
    """The plan with Keycloak's listener rule given other conditions, as a hand edit would."""
    return dataclasses.replace(
        result,
        resources=[
            dataclasses.replace(r, inputs={**r.inputs, "conditions": conditions})
            if r.type == LISTENER_RULE and r.name.endswith("-keycloak-rule")
            else r
            for r in result.resources
        ],
    )


@pytest.mark.parametrize("stack", STACKS)
def test_no_committed_stack_routes_the_admin_console(plan, stack):
    result = plan(stack)
    assert kc1_findings(result) == []
    (rule,) = [r for r in result.of_type(LISTENER_RULE) if r.name.endswith("-keycloak-rule")]
    paths = rule.inputs["conditions"][0]["pathPattern"]["values"]
    assert not [p for p in paths if "admin" in p or p in ("/auth", "/auth/*", "/*")]


@pytest.mark.parametrize(
    "paths", [["/auth", "/auth/*"], ["/auth/realms/*", "/auth/admin/*"], ["/*"]]
)
def test_a_rule_that_forwards_the_admin_console_is_a_violation(plan, paths):
    conditions = [{"pathPattern": {"values": paths}}]
    findings = kc1_findings(with_keycloak_conditions(plan("prod"), conditions))
    assert len(findings) == 1
    assert "forwards /auth/admin/master/console/ to Keycloak" in findings[0]["message"]


def test_a_rule_without_a_path_condition_is_a_violation(plan):
    (finding,) = kc1_findings(with_keycloak_conditions(plan("dev"), []))
    assert "no path condition" in finding["message"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_admin_console_answers_on_its_own_url_reached_by_port_forwarding(plan, stack):
    result = plan(stack)
    env = environment(keycloak_container(result))
    assert env["KC_HOSTNAME_ADMIN"] == "http://localhost:8180/auth"
    assert env["KC_HOSTNAME"].startswith("https://") and env["KC_HOSTNAME"].endswith("/auth")
    command = result.outputs["debugging_information"]["keycloak"]["admin_console"]
    assert "--document-name AWS-StartPortForwardingSession" in command
    assert '{"portNumber": ["8180"], "localPortNumber": ["8180"]}' in command
    assert f"--target ecs:{result.outputs['cluster_name']}_<task-id>_<runtime-id>" in command


def test_prod_runs_ecs_exec_on_keycloak_alone(plan):
    result = plan("prod")
    services = {r.name: r.inputs for r in result.of_type(SERVICE)}
    with_exec = sorted(
        name for name, inputs in services.items() if inputs.get("enableExecuteCommand")
    )
    assert with_exec == ["keycloak-service"]
    debugging = result.outputs["debugging_information"]
    assert "exec" in debugging["keycloak"] and "exec" not in debugging["aw-pdp-service"]


def test_without_port_forwarding_prod_runs_no_ecs_exec_and_keeps_its_own_admin_url(run_stack):
    private = "https://sso-admin.internal.example.org"
    result = run_stack(
        "prod", {"accessweaver:keycloak": {"adminPortForward": False, "adminUrl": private}}
    )
    assert not [r.name for r in result.of_type(SERVICE) if r.inputs.get("enableExecuteCommand")]
    assert environment(keycloak_container(result))["KC_HOSTNAME_ADMIN"] == private
    assert "admin_console" not in result.outputs["debugging_information"]["keycloak"]


def test_no_way_in_for_an_administrator_is_refused_with_the_key():
    found = problems(keycloak={"adminPortForward": False})
    assert "no way in for an administrator" in found["keycloak.adminPortForward"]


def test_an_admin_host_name_of_its_own_is_taken_as_given(run_stack):
    result = run_stack(
        "prod", {"accessweaver:keycloak": {"adminUrl": "https://sso-admin.internal.example.org"}}
    )
    env = environment(keycloak_container(result))
    assert env["KC_HOSTNAME_ADMIN"] == "https://sso-admin.internal.example.org"


def test_an_admin_url_that_is_not_a_url_is_refused():
    assert "keycloak.adminUrl" in problems(keycloak={"adminUrl": "sso-admin"})
