"""Keycloak and the services as they really run (issue 20, part 7): Keycloak sized to its own
guide in every committed stack, a way in for an administrator wherever it runs, one issuer for
the tokens the services validate (keys fetched over the private network, well-known routes
served), and the variables Spring binds itself given to every Spring container.

Each new check is shown failing on the input it exists for (a size below the guide, no way in,
the master realm as the services' realm)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from accessweaver_components.identity.sizing import KeycloakLoad, keycloak_floor, memory_limit_mib
from tests.config_support import loader
from tests.conftest import container_definitions
from tests.resource_types import SERVICE, TASK
from tests.support_stacks import IDS, STACKS, committed_plan
from tests.test_keycloak import BASE
from tools import ops
from tools.checks import first_matching_rule

load, problems = loader(BASE)


@pytest.fixture
def stack_plan(plan):
    def get(project: str, stack: str):
        return committed_plan(plan, project, stack)

    return get


def containers(result, task: str) -> list[dict[str, Any]]:
    return container_definitions(result.one(TASK, task))


def env_of(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container["environment"]}


# ------------------------------------------------------------------------------------------
# 1. Sized to the guide
# ------------------------------------------------------------------------------------------


def test_the_guides_numbers_give_its_own_worked_example():
    # the guide's example: 45 logins, 360 grants, 360 refreshes over 3 pods -> 3 vCPU requested
    # and 7.5 vCPU limit per pod; 1360 MB memory limit
    example = KeycloakLoad(45, 360, 360)
    assert example.cluster_vcpu() == pytest.approx(9)
    floor = keycloak_floor(example, 3)
    assert floor.needed_vcpu == pytest.approx(7.5)
    assert floor.cpu_units == 8192  # the next Fargate size above 7.5 vCPU
    assert memory_limit_mib() == 1360


@pytest.mark.parametrize(("project", "stack", "region"), STACKS, ids=IDS)
def test_every_committed_keycloak_meets_its_sizing_guide(stack_plan, project, stack, region):
    result = stack_plan(project, stack)
    task = result.one(TASK, "keycloak-task").inputs
    (keycloak,) = [c for c in containers(result, "keycloak-task") if c["name"] == "keycloak"]
    # the container's own limit (the task less its sidecars) is above the guide's 1360 MB
    limit = keycloak.get("memory") or int(task["memory"])
    assert int(limit) >= memory_limit_mib()
    service = result.one(SERVICE, "keycloak-service").inputs
    assert int(task["cpu"]) >= 512 and int(service["desiredCount"]) >= 1


def test_a_keycloak_below_the_memory_floor_is_refused_with_its_key():
    found = problems(keycloak={"cpu": 512, "memory": 1024})
    assert "1360 MiB" in found["keycloak.memory"]


def test_a_keycloak_too_small_for_its_expected_load_is_refused_with_its_key():
    # 30 logins a second = 2 vCPU, plus prod's default 24 grants and 24 refreshes = 0.4:
    # 6 vCPU with head-room, over prod's 2 tasks: 3 vCPU each
    found = problems(keycloak={"expectedLoad": {"loginsPerSecond": 30}})
    assert "keycloak.cpu" in found and "3.00 vCPU per task" in found["keycloak.cpu"]
    assert "4096 or more" in found["keycloak.cpu"]
    # the same load fits once the tasks are large enough
    load(keycloak={"expectedLoad": {"loginsPerSecond": 30}, "cpu": 4096, "memory": 8192})


def test_an_override_of_keycloaks_size_is_checked_under_its_own_key():
    found = problems(serviceOverrides={"keycloak": {"cpu": 256, "memory": 512}})
    assert "1360 MiB" in found["serviceOverrides.keycloak.memory"]


# ------------------------------------------------------------------------------------------
# 2. A way in for an administrator
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("project", "stack", "region"), STACKS, ids=IDS)
def test_every_stack_running_keycloak_has_an_administrators_way_in(
    stack_plan, project, stack, region
):
    result = stack_plan(project, stack)
    service = result.one(SERVICE, "keycloak-service").inputs
    assert service["enableExecuteCommand"] is True
    env = env_of(containers(result, "keycloak-task")[0])
    assert env["KC_HOSTNAME_ADMIN"].startswith("http://localhost:")
    assert (
        "AWS-StartPortForwardingSession"
        in (result.outputs["debugging_information"]["keycloak"]["admin_console"])
    )
    # the master realm stays off the public listener
    answer = first_matching_rule(result.resources, region, "/auth/realms/master/")
    assert answer is not None and answer[1] == []


class FakeEcs:
    def __init__(self, exec_on: bool = True, running: bool = True):
        self.exec_on, self.running = exec_on, running

    def list_tasks(self, **kwargs):
        assert kwargs["serviceName"] == "accessweaver-prod-keycloak"
        return {"taskArns": ["arn:aws:ecs:eu-west-1:1:task/c/abc123"] if self.running else []}

    def describe_tasks(self, **kwargs):
        return {
            "tasks": [
                {
                    "taskArn": "arn:aws:ecs:eu-west-1:1:task/c/abc123",
                    "taskDefinitionArn": "arn:td/keycloak:7",
                    "lastStatus": "RUNNING",
                    "enableExecuteCommand": self.exec_on,
                    "containers": [{"name": "keycloak", "runtimeId": "abc123-999"}],
                }
            ]
        }

    def describe_task_definition(self, **kwargs):
        return {
            "taskDefinition": {
                "containerDefinitions": [
                    {"name": "keycloak", "portMappings": [{"containerPort": 8180}]}
                ]
            }
        }


def run_console(tmp_path, ecs: FakeEcs, *extra: str) -> tuple[int, list[list[str]], str]:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        '{"cicd_deployment_config": {"cluster_name": "c", "region": "eu-west-1", '
        '"services": {"keycloak": {"service_name": "accessweaver-prod-keycloak"}}}}'
    )
    ran: list[list[str]] = []
    out, err = io.StringIO(), io.StringIO()
    runtime = ops.Runtime(
        make_client=lambda *a: ecs,
        run_command=lambda argv: ran.append(argv) or 0,
        out=out,
        err=err,
    )
    code = ops.main(["admin-console", "--outputs-file", str(outputs), *extra], runtime)
    return code, ran, out.getvalue() + err.getvalue()


def test_ops_admin_console_forwards_a_port_to_a_running_keycloak_task(tmp_path):
    code, ran, text = run_console(tmp_path, FakeEcs(), "--local-port", "9180")
    assert code == 0
    (argv,) = ran
    assert argv[:5] == ["aws", "ssm", "start-session", "--target", "ecs:c_abc123_abc123-999"]
    assert argv[argv.index("--document-name") + 1] == "AWS-StartPortForwardingSession"
    assert '"portNumber": ["8180"], "localPortNumber": ["9180"]' in " ".join(argv)
    assert "http://localhost:9180/auth/admin/" in text


@pytest.mark.parametrize(
    ("ecs", "said"),
    [(FakeEcs(exec_on=False), "adminPortForward"), (FakeEcs(running=False), "runs no task")],
)
def test_ops_admin_console_says_why_it_cannot_get_in(tmp_path, ecs, said):
    code, ran, text = run_console(tmp_path, ecs)
    assert code == ops.EXIT_FAILED and not ran and said in text


# ------------------------------------------------------------------------------------------
# 3. One issuer, keys over the private network, well-known routes served
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_services_check_the_public_issuer_and_fetch_keys_inside(plan, stack):
    result = plan(stack)
    keycloak = env_of(containers(result, "keycloak-task")[0])
    public = keycloak["KC_HOSTNAME"]
    assert public.startswith("https://") and keycloak["KC_HOSTNAME_BACKCHANNEL_DYNAMIC"] == "true"
    gateway = env_of(containers(result, "aw-api-gateway-task")[0])
    issuer = gateway["SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_ISSUERURI"]
    keys = gateway["SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_JWKSETURI"]
    assert issuer == f"{public}/realms/accessweaver" == gateway["KEYCLOAK_ISSUER_URI"]
    # the keys come from Keycloak's private name, never through the ALB, NAT and WAF
    assert keys.startswith(f"{gateway['KEYCLOAK_URL']}/realms/accessweaver/")
    assert keys.endswith("/protocol/openid-connect/certs") and ".local:" in keys


def test_the_master_realm_cannot_be_the_services_realm():
    assert "keycloak.realm" in problems(keycloak={"realm": "master"})


@pytest.mark.parametrize(("project", "stack", "region"), STACKS, ids=IDS)
@pytest.mark.parametrize(
    "path",
    [
        "/auth/realms/{realm}/.well-known/openid-configuration",
        "/auth/realms/{realm}/.well-known/uma2-configuration",
        "/auth/realms/{realm}/protocol/openid-connect/certs",
    ],
)
def test_well_known_routes_reach_keycloak_at_the_edge(stack_plan, project, stack, region, path):
    result = stack_plan(project, stack)
    answer = first_matching_rule(result.resources, region, path.format(realm=project))
    assert answer is not None
    _, groups = answer
    assert groups and all("keycloak" in g for g in groups)


# ------------------------------------------------------------------------------------------
# 5. Variables Spring binds itself
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "cluster"), [("dev", True), ("staging", False), ("prod", False)])
def test_spring_containers_get_the_names_spring_binds(plan, stack, cluster):
    result = plan(stack)
    gateway = env_of(containers(result, "aw-api-gateway-task")[0])
    assert gateway["SPRING_DATA_REDIS_SSL_ENABLED"] == "true"
    assert gateway["SPRING_DATA_REDIS_USERNAME"] == gateway["REDIS_USERNAME"]
    if cluster:  # dev's serverless cache speaks the cluster protocol
        assert gateway["SPRING_DATA_REDIS_CLUSTER_NODES"] == (
            f"{gateway['REDIS_HOST']}:{gateway['REDIS_PORT']}"
        )
        assert "SPRING_DATA_REDIS_HOST" not in gateway
    else:
        assert gateway["SPRING_DATA_REDIS_HOST"] == gateway["REDIS_HOST"]
        assert "SPRING_DATA_REDIS_CLUSTER_NODES" not in gateway
    (tenant,) = containers(result, "aw-tenant-service-task")[:1]
    env = env_of(tenant)
    assert env["SPRING_DATASOURCE_URL"] == env["DATABASE_URL"]
    assert env["SPRING_DATASOURCE_URL"].startswith("jdbc:postgresql://")
    assert env["SPRING_DATASOURCE_USERNAME"] == env["DATABASE_USERNAME"]
    refs = {s["name"]: s["valueFrom"] for s in tenant["secrets"]}
    assert refs["SPRING_DATASOURCE_PASSWORD"] == refs["DATABASE_PASSWORD"]


def test_a_stack_may_not_set_a_name_the_program_wires():
    found = problems(
        serviceOverrides={"aw-tenant-service": {"environment": {"SPRING_DATASOURCE_URL": "x"}}}
    )
    assert any("SPRING_DATASOURCE_URL" in path for path in found)
