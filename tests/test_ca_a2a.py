"""CA-A2A, the second system of the field report, deployed by the same components.

GIVEN the `examples/ca-a2a` project (its own `Pulumi.yaml` and stack files, no component code),
WHEN its program runs on the offline engine, THEN each failure the report lived through cannot
happen (target groups without a listener rule, Keycloak on H2 with admin/admin123, names that
collide with an earlier deploy) and what it left undone is done (RDS, the MCP server, HTTPS, WAF,
secrets, alarms, autoscaling, off-hours scaling in dev).
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import pytest

from tests.conftest import ROOT, container_definitions, planned
from tests.resource_types import ALARM, LOG_GROUP, SERVICE, TASK
from tools.checks import (
    LISTENER,
    LISTENER_RULE,
    TARGET_GROUP,
    first_matching_rule,
    forwarded_target_groups,
    listener_routing_problems,
    physical_names,
)
from tools.engine import PlanResult
from tools.plan import main

PROJECT = ROOT / "examples" / "ca-a2a"
STACKS = ("dev", "prod")
REGION = "eu-west-3"
AGENTS = ("orchestrator", "extractor", "validator", "archivist", "mcp-server")
SERVICES = (*AGENTS, "keycloak")
SCALING = "aws:appautoscaling/target:Target"
SCHEDULE = "aws:appautoscaling/scheduledAction:ScheduledAction"


def ca_a2a(stack: str) -> PlanResult:
    return planned(PROJECT, stack)


@functools.cache
def accessweaver(stack: str) -> PlanResult:
    from tests.conftest import _plan

    return _plan(stack)


def environment(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container.get("environment", [])}


def containers(result: PlanResult) -> list[dict[str, Any]]:
    return [c for task in result.of_type(TASK) for c in container_definitions(task)]


# -- the project is configuration only ---------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_ca_a2a_runs_its_catalog_in_its_own_namespace_and_region(stack):
    result = ca_a2a(stack)
    assert result.project == "ca-a2a"
    assert result.config["aws:region"] == REGION
    families = {r.inputs["family"] for r in result.of_type(TASK)}
    # its services, and the health probe every deployed stack gets
    platform = ["health-probe", "platform-setup", "platform-rotate"]
    assert families == {f"ca-a2a-{stack}-{name}" for name in [*SERVICES, *platform]}


def test_the_example_program_is_the_shared_builder_and_nothing_else():
    source = (PROJECT / "__main__.py").read_text()
    assert "build_stack(load_settings())" in source
    # No resource, no component class and no CA-A2A name in the program: only configuration.
    assert not re.search(r"pulumi_aws|ComponentResource|orchestrator|extractor|keycloak", source)


# -- report failure 6: target groups with no listener rule --------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_target_group_is_reached_through_a_listener_rule(stack):
    result = ca_a2a(stack)
    assert len(result.of_type(TARGET_GROUP)) >= 5
    assert listener_routing_problems(result.resources, REGION) == []
    # No listener forwards by default (HTTP redirects, HTTPS answers 404): rules do the routing.
    for listener in result.of_type(LISTENER):
        assert forwarded_target_groups(listener.inputs["defaultActions"]) == []


@pytest.mark.parametrize("stack", STACKS)
def test_listener_rules_keep_the_reports_priorities_and_order(stack):
    result = ca_a2a(stack)
    priority = {
        rule.name.removeprefix(f"ca-a2a-{stack}-").removesuffix("-rule"): int(
            rule.inputs["priority"]
        )
        for rule in result.of_type(LISTENER_RULE)
    }
    assert len(set(priority.values())) == len(priority)
    assert (priority["extractor"], priority["validator"], priority["archivist"]) == (10, 20, 30)
    assert priority["keycloak"] == 40
    assert priority["orchestrator"] > max(v for k, v in priority.items() if k != "orchestrator")


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/extract", "extractor"),
        ("/extract/invoice-42", "extractor"),
        ("/validate/invoice-42", "validator"),
        ("/archive", "archivist"),
        ("/auth/realms/ca-a2a/protocol/openid-connect/token", "keycloak"),
        ("/", "orchestrator"),
        ("/process", "orchestrator"),
    ],
)
@pytest.mark.parametrize("stack", STACKS)
def test_each_path_of_the_report_reaches_its_service(stack, path, service):
    match = first_matching_rule(ca_a2a(stack).resources, REGION, path)
    assert match is not None
    _priority, groups = match
    assert groups and all(g.startswith(f"ca-a2a-{stack}-{service}-tg-") for g in groups)


def test_the_mcp_server_runs_internal_only_reached_through_cloud_map():
    for stack in STACKS:
        result = ca_a2a(stack)
        mcp = result.one(SERVICE, "mcp-server-service")
        assert mcp.inputs["name"] == f"ca-a2a-{stack}-mcp-server"
        assert not mcp.inputs.get("loadBalancers")
        container = container_definitions(result.one(TASK, "mcp-server-task"))[0]
        assert container["portMappings"][0]["containerPort"] == 8004
        discovery = result.one("aws:servicediscovery/service:Service", "mcp-server-discovery")
        assert discovery.inputs["name"] == "mcp-server"
        assert result.outputs["internal_dns_names"]["mcp-server"] == (
            f"mcp-server.ca-a2a-{stack}.local"
        )


# -- Keycloak: never start-dev, never H2, never a default password ------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_keycloak_runs_in_production_mode_on_the_stacks_rds_postgres(stack):
    result = ca_a2a(stack)
    container = container_definitions(result.one(TASK, "keycloak-task"))[0]
    assert container["command"] == ["start", "--optimized"]
    env = environment(container)
    assert env["KC_DB"] == "postgres"
    endpoint = result.outputs["database_endpoint"]
    assert env["KC_DB_URL"].startswith(f"jdbc:postgresql://{endpoint}/keycloak")
    assert env["KC_HTTP_RELATIVE_PATH"] == "/auth" and env["KC_HTTP_PORT"] == "8080"
    task = result.one(TASK, "keycloak-task")
    # the report's 512 CPU units; 2048 MiB, Keycloak's sizing guide's floor (1360 MB limit)
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("512", "2048")
    words = re.findall(r"[a-z0-9-]+", json.dumps(container).lower())
    assert "h2" not in words and "start-dev" not in words and "dev-file" not in words


@pytest.mark.parametrize("stack", STACKS)
def test_no_container_has_a_default_or_plain_password(stack):
    result = ca_a2a(stack)
    for container in containers(result):
        env = environment(container)
        assert not [n for n in env if re.search(r"PASSWORD|PASSWD|SECRET|TOKEN", n)], env
        assert "KEYCLOAK_ADMIN" not in env and "KC_BOOTSTRAP_ADMIN_USERNAME" not in env
        values = " ".join(env.values()).lower()
        for default in ("admin123", "password123", "changemesecure123", "newsecurepassword123"):
            assert default not in values
    keycloak = container_definitions(result.one(TASK, "keycloak-task"))[0]
    refs = {s["name"]: s["valueFrom"] for s in keycloak["secrets"]}
    arns = result.outputs["secret_arns"]
    admin = arns["keycloak-bootstrap-admin"]
    # dev keeps generated values in Parameter Store (one parameter per value), prod in
    # Secrets Manager (one JSON secret, read by key)
    expected = admin if stack == "dev" else f"{admin}:password::"
    assert ":ssm:" in admin if stack == "dev" else ":secretsmanager:" in admin
    assert refs["KC_BOOTSTRAP_ADMIN_PASSWORD"] == expected
    # Keycloak's own login (its database is the instance's, which no service uses)
    login = arns["database/keycloak"]
    assert refs["KC_DB_PASSWORD"] == (login if stack == "dev" else f"{login}:password::")
    setup = container_definitions(result.one(TASK, "platform-setup-task"))[0]
    plan = json.loads({e["name"]: e["value"] for e in setup["environment"]}["PLATFORM_SETUP"])
    assert [(g["length"], g["secret"]["id"]) for g in plan["generated"] if "length" in g]
    assert all(g.get("length", 32) >= 32 for g in plan["generated"])
    assert plan["logins"] == [
        {
            "name": "keycloak",
            "database": "keycloak",
            "schema": None,
            "secret": plan["logins"][0]["secret"],
        }
    ]


@pytest.mark.parametrize(("stack", "tasks", "multi_az"), [("dev", 1, False), ("prod", 2, True)])
def test_the_database_keycloak_needs_is_created_encrypted_with_an_rds_rotated_password(
    stack, tasks, multi_az
):
    result = ca_a2a(stack)
    db = result.one("aws:rds/instance:Instance", f"ca-a2a-{stack}-database-instance").inputs
    assert db["engine"] == "postgres" and db["dbName"] == "keycloak"
    assert db["manageMasterUserPassword"] is True and "password" not in db
    assert db["storageEncrypted"] is True and db["publiclyAccessible"] is False
    assert db["backupRetentionPeriod"] == 7 and db["multiAz"] is multi_az
    assert db["username"] not in ("postgres", "admin", "keycloak")
    assert result.one(SERVICE, "keycloak-service").inputs["desiredCount"] == tasks


# -- report failure 7: names a second deploy or another stack would collide with ----------------


def test_no_physical_name_is_shared_by_ca_a2a_dev_prod_and_accessweaver_dev():
    runs = {
        "ca-a2a dev": ca_a2a("dev"),
        "ca-a2a prod": ca_a2a("prod"),
        "accessweaver dev": accessweaver("dev"),
    }
    names = {
        label: {name for _type, name in physical_names(r.resources)} for label, r in runs.items()
    }
    assert all(len(found) > 40 for found in names.values())
    labels = list(names)
    for i, first in enumerate(labels):
        for second in labels[i + 1 :]:
            assert names[first] & names[second] == set(), (first, second)


@pytest.mark.parametrize("stack", STACKS)
def test_every_physical_name_carries_the_environment_and_the_project(stack):
    for (type_, name), logical in physical_names(ca_a2a(stack).resources).items():
        assert stack in name, (type_, name, logical)
        # Target group names (32 characters at most) carry a digest of the project instead.
        if type_ != TARGET_GROUP:
            assert "ca-a2a" in name, (type_, name, logical)


@pytest.mark.parametrize("stack", STACKS)
def test_service_logs_go_under_ecs_ca_a2a_for_seven_days(stack):
    result = ca_a2a(stack)
    logs = {r.inputs["name"]: r.inputs["retentionInDays"] for r in result.of_type(LOG_GROUP)}
    for service in SERVICES:
        group = f"/ecs/ca-a2a/{stack}/{service}"
        # Keycloak's log is authentication evidence: a year in prod (auditLogRetentionDays).
        assert logs[group] == (365 if (service, stack) == ("keycloak", "prod") else 7)
        # Each service's execution role writes its own log group, nothing else.
        policy = json.loads(
            result.one("aws:iam/rolePolicy:RolePolicy", f"{service}-exec-policy").inputs["policy"]
        )
        logs_statement = next(s for s in policy["Statement"] if s["Sid"] == "Logs")
        assert logs_statement["Resource"] == [
            f"arn:aws:logs:{REGION}:123456789012:log-group:{group}",
            f"arn:aws:logs:{REGION}:123456789012:log-group:{group}:log-stream:*",
        ]


# -- what the report left undone, done by the program -------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_https_with_http_redirected_and_a_waf_in_front(stack):
    result = ca_a2a(stack)
    listeners = {r.inputs["protocol"]: r.inputs for r in result.of_type(LISTENER)}
    assert listeners["HTTPS"]["certificateArn"].startswith(f"arn:aws:acm:{REGION}:")
    assert listeners["HTTP"]["defaultActions"][0]["type"] == "redirect"
    assert result.of_type("aws:wafv2/webAcl:WebAcl")
    assert result.of_type("aws:wafv2/webAclAssociation:WebAclAssociation")


@pytest.mark.parametrize("stack", STACKS)
def test_every_service_scales_and_alarms_on_cpu_and_memory(stack):
    result = ca_a2a(stack)
    targets = {r.name for r in result.of_type(SCALING)}
    assert targets == {f"{service}-scaling" for service in SERVICES}
    alarms = {r.inputs["name"] for r in result.of_type(ALARM)}
    for service in SERVICES:
        for metric in ("cpu", "memory"):
            assert f"ca-a2a-{stack}-{service}-{metric}-high" in alarms
    assert {f"ca-a2a-{stack}-alb-5xx-rate", f"ca-a2a-{stack}-postgres-cpu"} <= alarms


def test_dev_stops_every_service_outside_nine_to_five_on_weekdays_and_prod_never():
    dev = {r.name: r.inputs for r in ca_a2a("dev").of_type(SCHEDULE)}
    assert set(dev) == {f"{s}-scale-{d}" for s in SERVICES for d in ("up", "down")}
    assert dev["extractor-scale-up"]["schedule"] == "cron(0 9 ? * MON,TUE,WED,THU,FRI *)"
    assert dev["extractor-scale-down"]["schedule"] == "cron(0 17 ? * MON,TUE,WED,THU,FRI *)"
    assert dev["extractor-scale-down"]["timezone"] == "Europe/Paris"
    assert ca_a2a("prod").of_type(SCHEDULE) == []


def test_ca_a2a_prod_passes_the_policy_pack_with_its_one_documented_waiver():
    from tools.policy_check import run_policies

    report = run_policies(ca_a2a("prod"))
    assert report.environment == "prod"
    assert report.stack_keys  # its fixes name its stack keys (policy/checks/arguments.py)
    assert report.mandatory == [] and report.violations == []
    assert [(w["control"], w["resource"], w["source"]) for w in report.waivers] == [
        ("SecretsManager.4", "ca-a2a-prod-secrets-keycloak-bootstrap-admin", "program default")
    ]
    assert report.unused_waivers == []
    assert "ca-a2a:policyWaivers" not in ca_a2a("prod").config  # the program's default's


def test_ca_a2a_dev_shows_only_the_dev_waivers_the_readme_documents_for_accessweaver():
    from tests.test_policy_stacks import _documented_dev_advisories
    from tools.policy_check import run_policies

    report = run_policies(ca_a2a("dev"))
    assert report.mandatory == []
    documented = {control for control, _globs in _documented_dev_advisories()}
    assert {v["control"] for v in report.violations} <= documented


# -- the offline plan of another project --------------------------------------------------------


def test_plan_of_the_example_names_its_stack_file_and_namespace(capsys, cached_engine):
    assert main(["prod", "--project", str(PROJECT.relative_to(ROOT))]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Offline plan of stack 'prod' (examples/ca-a2a/Pulumi.prod.yaml)")
    assert "waived (the program's defaults, components/stack/default_waivers.py)" in text
    assert main(["prod", "--project", str(PROJECT.relative_to(ROOT)), "--verbose"]) == 0
    assert "/ecs/ca-a2a/prod/orchestrator" in capsys.readouterr().out


def test_plan_json_of_the_example(capsys, cached_engine):
    assert main(["dev", "--project", str(PROJECT), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["stack"] == "dev"
    assert {"resources", "outputs", "violations", "waivers"} <= set(document)
    assert document["outputs"]["cluster_name"] == "ca-a2a-dev-cluster"


def test_plan_of_an_unknown_stack_of_the_example_lists_its_stacks(capsys):
    assert main(["staging", "--project", str(PROJECT)]) == 2
    assert "stacks here: dev, prod" in capsys.readouterr().err


def test_prod_promotes_the_images_dev_ran_there_being_no_staging():
    config = ca_a2a("prod").outputs["cicd_deployment_config"]
    assert config["promote_from"] == "928902064673.dkr.ecr.eu-west-3.amazonaws.com/ca-a2a-dev"
    assert ca_a2a("dev").outputs["cicd_deployment_config"]["promote_from"] is None
