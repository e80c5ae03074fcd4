"""The red team's findings on secrets and the database (issue 19, parts 1, 5 and 6), each as a
workflow parsed, a request evaluated against the bootstrap's planned policies
(tests/iam_eval.py) or a plan read: a pull request's job reads no generated value and no master
password; no service (ECS Exec or not) holds the master password; Keycloak's database is not
the services'; each login reaches only its own schema (what the stack creates: the server's
side is tests/test_platform_setup.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, STACKS, container_definitions
from tests.iam_eval import allows, denies
from tests.resource_types import ROLE_POLICY, SERVICE, TASK
from tests.test_bootstrap import bootstrap, role_policy

WORKFLOWS = ROOT / ".github" / "workflows"
ACCOUNT = "333333333333"
ROLE_VARIABLE = re.compile(r"\$\{\{\s*vars\.([A-Z_]+)\s*\}\}")


def _triggers(workflow: dict[str, Any]) -> set[str]:
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on:` as True
    return set(on) if isinstance(on, dict) else set(on if isinstance(on, list) else [on])


def pull_request_roles() -> dict[str, set[str]]:
    """Workflow file -> the role variables its pull-request jobs that can mint an OIDC token
    assume (`role-to-assume`)."""
    found: dict[str, set[str]] = {}
    for path in sorted(WORKFLOWS.glob("*.yml")):
        workflow = yaml.safe_load(path.read_text())
        if not _triggers(workflow) & {"pull_request", "pull_request_target"}:
            continue
        for job in workflow["jobs"].values():
            if (job.get("permissions") or {}).get("id-token") != "write":
                continue
            for step in job.get("steps", []):
                role = (step.get("with") or {}).get("role-to-assume")
                if role:
                    found.setdefault(path.name, set()).update(ROLE_VARIABLE.findall(role))
    return found


def generated_values(stack: str) -> list[tuple[str, str]]:
    """(action, ARN) of every read of a generated value or a master password."""
    sm = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret"
    ssm = f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter"
    secrets = [
        f"{sm}:accessweaver/{stack}/jwt-signing-key-AbCdEf",
        f"{sm}:accessweaver/{stack}/keycloak-bootstrap-admin-AbCdEf",
        f"{sm}:accessweaver/{stack}/database/aw_pdp_service-AbCdEf",
        f"{sm}:rds!db-0a1b2c3d-AbCdEf",
    ]
    parameters = [
        f"{ssm}/accessweaver/{stack}/jwt-signing-key",
        f"{ssm}/accessweaver/{stack}/database/keycloak",
    ]
    return [
        *(
            (action, arn)
            for arn in secrets
            for action in ("secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue")
        ),
        *(
            (action, arn)
            for arn in parameters
            for action in ("ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory")
        ),
    ]


# -- part 1: pull requests never see a secret ------------------------------------------------


def test_pull_request_jobs_assume_the_preview_role_and_no_other():
    roles = pull_request_roles()
    assert roles == {"preview.yml": {"AWS_PREVIEW_ROLE_ARN"}}
    # and the bootstrap hands that variable the preview role only, in the preview environments
    for stack in STACKS:
        environments = bootstrap(stack).outputs["github_environments"]
        holders = {env for env, values in environments.items() if "AWS_PREVIEW_ROLE_ARN" in values}
        assert holders == {f"preview-{stack}"}
        assert environments[f"preview-{stack}"]["AWS_PREVIEW_ROLE_ARN"].endswith(
            f"role/accessweaver-{stack}-preview"
        )


@pytest.mark.parametrize("stack", STACKS)
def test_no_role_a_pull_request_assumes_reads_a_generated_value_or_a_master_password(stack):
    preview = role_policy(bootstrap(stack), "preview")
    escaped = [
        (action, arn) for action, arn in generated_values(stack) if not denies(preview, action, arn)
    ]
    assert escaped == []
    # nor does the drift role (main only) any more: the state holds no value to refresh
    drift = role_policy(bootstrap(stack), "drift")
    assert [(a, r) for a, r in generated_values(stack) if not denies(drift, a, r)] == []


@pytest.mark.parametrize("stack", STACKS)
def test_the_preview_role_decrypts_with_the_stacks_secrets_key_only_which_opens_no_secret(
    plan, stack
):
    """Opening a stack decrypts its data key at once (pulumi/pulumi pkg/secrets/cloud/
    manager.go, `NewCloudSecretsManagerFromState` -> `keeper.Decrypt`), so a preview needs
    kms:Decrypt on the stack's secrets key. The key opens nothing: no committed stack file
    holds a `secure:` value and no plan registers or exports a secret (tests/test_secrets.py)."""
    result = bootstrap(stack)
    preview = role_policy(result, "preview")
    key = result.outputs["secrets_key_arn"]
    assert allows(preview, "kms:Decrypt", key)
    assert not allows(preview, "kms:Encrypt", key)
    other = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
    assert not allows(preview, "kms:Decrypt", other)
    # the invariant that makes the key harmless, on this stack's plan
    assert "[secret]" not in json.dumps([r.inputs for r in plan(stack).resources])


def test_the_workflow_headers_say_what_each_role_reads():
    preview = (WORKFLOWS / "preview.yml").read_text().split("\nname:", 1)[0]
    assert "writes only its lock" not in preview  # the header the red team found stale
    assert "kms:Decrypt" in preview and "no secret" in preview.lower()
    drift = (WORKFLOWS / "drift.yml").read_text().split("\nname:", 1)[0]
    assert "secret and parameter values a refresh reads back" not in drift
    assert "no secret" in drift.lower()


# -- parts 5 and 6: the database's master password -----------------------------------------


def _plans(plan):
    from tests.test_ca_a2a import ca_a2a
    from tests.test_tasks import prod as with_tasks

    for stack in STACKS:
        yield f"accessweaver/{stack}", plan(stack)
    for stack in ("dev", "prod"):
        yield f"ca-a2a/{stack}", ca_a2a(stack)
    yield "accessweaver/prod with tasks", with_tasks()


def _service_tasks(result) -> dict[str, Any]:
    """Service name -> its task definition."""
    services = {s.name.removesuffix("-service") for s in result.of_type(SERVICE)}
    return {
        t.name.removesuffix("-task"): t
        for t in result.of_type(TASK)
        if t.name.removesuffix("-task") in services
    }


def _role_policies_naming(result, text: str) -> set[str]:
    return {p.name for p in result.of_type(ROLE_POLICY) if text in p.inputs["policy"]}


def test_no_service_task_definition_references_the_rds_master_secret(plan):
    checked = 0
    for label, result in _plans(plan):
        master = result.outputs["secret_arns"]["database-master"]
        for name, task in _service_tasks(result).items():
            assert master not in json.dumps(container_definitions(task)), (label, name)
            assert ":secret:rds!" not in json.dumps(container_definitions(task)), (label, name)
            checked += 1
        # only the platform tasks' task roles may read it (at run time), no execution role
        assert _role_policies_naming(result, master) == {
            name
            for name in ("platform-setup-task-policy", "platform-rotate-task-policy")
            if any(p.name == name for p in result.of_type(ROLE_POLICY))
        }, label
        assert _role_policies_naming(result, master), label
    assert checked >= 30


def test_no_service_with_ecs_exec_holds_the_master_password_and_the_pack_says_so(plan):
    """Prod runs ECS Exec on Keycloak alone (its admin console's port forward), dev on every
    service: none of them reaches the master secret; EXEC.2* fails a service that would."""
    from policy.checks.audit import master_secret_reads

    for label, result in _plans(plan):
        by_key = {r.key: r for r in result.resources}
        exec_on = [s for s in result.of_type(SERVICE) if s.inputs.get("enableExecuteCommand")]
        for service in exec_on:
            (task_key,) = service.property_dependencies["taskDefinition"]
            task = by_key[task_key]
            assert ":secret:rds!" not in json.dumps(container_definitions(task)), label
        if label == "accessweaver/prod":
            assert {s.name for s in exec_on} == {"keycloak-service"}
    assert master_secret_reads  # the check itself is exercised in tests/test_policies.py


def test_keycloaks_database_is_not_the_services(plan):
    for label, result in _plans(plan):
        keycloak = container_definitions(result.one(TASK, "keycloak-task"))[0]
        env = {e["name"]: e["value"] for e in keycloak["environment"]}
        keycloak_db = env["KC_DB_URL"].rsplit("/", 1)[1].split("?")[0]
        used = {
            {e["name"]: e["value"] for e in c.get("environment", [])}.get("DATABASE_NAME")
            for task in _service_tasks(result).values()
            for c in container_definitions(task)
        } - {None}
        assert keycloak_db not in used, label
        assert env["KC_DB_USERNAME"] == "keycloak", label
        if label.startswith("accessweaver"):
            assert (keycloak_db, used) == ("keycloak", {"accessweaver"}), label


def test_a_stack_giving_keycloak_the_services_database_is_refused():
    from tests.config_support import loader

    _, problems = loader(
        {"environment": "prod", "permissionsBoundaryOptOut": "a test stack, no bootstrap"}
    )
    found = problems(keycloak={"databaseName": "accessweaver"})
    assert "the services' database" in found["keycloak.databaseName"]


def test_each_login_owns_its_own_schema_and_no_two_services_share_one(plan):
    for label, result in _plans(plan):
        setup = container_definitions(result.one(TASK, "platform-setup-task"))[0]
        plan_doc = json.loads(
            {e["name"]: e["value"] for e in setup["environment"]}["PLATFORM_SETUP"]
        )
        logins = {login["name"]: login for login in plan_doc["logins"]}
        schemas = [login["schema"] for login in logins.values() if login["schema"]]
        assert len(schemas) == len(set(schemas)), label
        assert all(login["schema"] in (None, name) for name, login in logins.items()), label
        for name, task in _service_tasks(result).items():
            env = {
                e["name"]: e["value"]
                for c in container_definitions(task)
                for e in c.get("environment", [])
            }
            if "DATABASE_USERNAME" not in env:
                continue
            login = env["DATABASE_USERNAME"]
            assert login == name.replace("-", "_") and env["DATABASE_SCHEMA"] == login, label
            assert logins[login]["database"] == env["DATABASE_NAME"], label
            secrets = {s["name"]: s["valueFrom"] for c in container_definitions(task)
                       for s in c.get("secrets", [])}  # fmt: skip
            assert f"/database/{login}" in secrets["DATABASE_PASSWORD"], label


def test_only_a_services_own_execution_role_reads_its_logins_password(plan):
    result = plan("prod")
    for login in ("aw_pdp_service", "aw_tenant_service", "keycloak"):
        readers = {
            p.name
            for p in result.of_type(ROLE_POLICY)
            if f"accessweaver/prod/database/{login}" in p.inputs["policy"]
        }
        service = "keycloak" if login == "keycloak" else login.replace("_", "-")
        # its execution role, and the platform tasks that create and rotate it
        assert readers == {
            f"{service}-exec-policy",
            "platform-setup-task-policy",
            "platform-rotate-task-policy",
        }, login


def test_the_setup_task_writes_exactly_the_stacks_own_secrets(plan):
    result = plan("prod")
    policy = json.loads(result.one(ROLE_POLICY, "platform-setup-task-policy").inputs["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    written = by_sid["WriteItsSecrets"]["Resource"]
    assert all(":secret:accessweaver/prod/" in arn for arn in written)
    assert len(written) == 7  # the JWT key, Keycloak's admin, five logins
    assert by_sid["ReadTheMasterSecret"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert ":secret:rds!" in by_sid["ReadTheMasterSecret"]["Resource"]
    assert set(by_sid) == {"RandomPasswords", "ReadTheMasterSecret", "WriteItsSecrets"}


def test_the_image_is_built_from_this_repository():
    assert (ROOT / "images" / "platform-setup" / "Dockerfile").exists()
    assert Path(ROOT / "images" / "platform-setup" / "platform_setup.py").exists()
