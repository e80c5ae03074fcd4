"""Generated secrets: created empty in AWS and filled by the platform setup task, never by
Pulumi; referenced by ARN only; no value, and nothing marked secret, in any plan's inputs or
outputs: the key that opens a stack's state opens nothing secret (docs/DESIGN.md, "Pull
requests never see a secret")."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from accessweaver_components.identity.secrets import ROTATED_BY, ROTATION
from tests.conftest import ROOT, STACKS, container_definitions
from tests.resource_types import TASK
from tools.engine import SECRET_PLACEHOLDER

PASSWORD = "random:index/randomPassword:RandomPassword"
SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
SECRET_ARN = re.compile(
    r"^arn:aws:secretsmanager:eu-west-1:123456789012:secret:[A-Za-z0-9/_+=.@!-]+"
    r"(:[A-Za-z0-9_.-]+::)?$"
)
PARAMETER_ARN = re.compile(r"^arn:aws:ssm:eu-west-1:123456789012:parameter/[A-Za-z0-9/_.-]+$")
PARAMETER = "aws:ssm/parameter:Parameter"
# What the offline engine returns for a generated value: it must never show up in plain text.
STAND_IN = "offlineNotASecret"
LOGINS = {"aw_api_gateway", "aw_audit_service", "aw_pap_service", "aw_pdp_service"}
LOGINS = (LOGINS - {"aw_api_gateway"}) | {"aw_tenant_service", "keycloak"}


@pytest.mark.parametrize("stack", STACKS)
def test_generated_secrets_are_created_without_a_value_and_pulumi_generates_nothing(plan, stack):
    result = plan(stack)
    assert not result.of_type(PASSWORD) and not result.of_type(VERSION)
    if stack == "dev":
        # Parameter Store: the setup task creates the parameters; Pulumi manages none (a
        # refresh would read a managed parameter's value back into the state).
        assert not result.of_type(SECRET) and not result.of_type(PARAMETER)
        return
    names = {r.inputs["name"] for r in result.of_type(SECRET)}
    assert names == {
        f"accessweaver/{stack}/jwt-signing-key",
        f"accessweaver/{stack}/keycloak-bootstrap-admin",
        *(f"accessweaver/{stack}/database/{login}" for login in LOGINS),
    }
    for secret in result.of_type(SECRET):
        assert not {"secretString", "secretBinary"} & set(secret.inputs), secret.name


@pytest.mark.parametrize("stack", STACKS)
def test_nothing_a_plan_registers_or_exports_is_marked_secret(plan, stack):
    """The offline engine masks a secret-marked value as `[secret]`: no input of any resource
    (the migration runs' serialized provider included) and no output carries one."""
    for project, result in (("accessweaver", plan(stack)),):
        masked = [r.name for r in result.resources if SECRET_PLACEHOLDER in json.dumps(r.inputs)]
        assert masked == [], (project, stack)
        assert SECRET_PLACEHOLDER not in json.dumps(result.outputs)


def test_ca_a2as_plans_hold_no_secret_either():
    from tests.test_ca_a2a import ca_a2a

    for stack in ("dev", "prod"):
        result = ca_a2a(stack)
        assert SECRET_PLACEHOLDER not in json.dumps([r.inputs for r in result.resources])
        assert SECRET_PLACEHOLDER not in json.dumps(result.outputs)


def test_no_committed_stack_file_holds_a_secure_value():
    """`pulumi config set --secret` writes `secure: <ciphertext>`; none may be committed."""
    files = [
        *ROOT.glob("Pulumi.*.yaml"),
        *ROOT.glob("examples/*/Pulumi.*.yaml"),
        *ROOT.glob("bootstrap/Pulumi.*.yaml"),
    ]
    assert len(files) >= 8
    for stack_file in files:
        assert not re.search(r"\bsecure\s*:", stack_file.read_text()), stack_file


def test_the_setup_task_is_told_what_to_fill_by_name_never_a_value(plan):
    result = plan("prod")
    (container,) = container_definitions(result.one(TASK, "platform-setup-task"))
    env = {e["name"]: e["value"] for e in container["environment"]}
    setup = json.loads(env["PLATFORM_SETUP"])
    assert {login["name"] for login in setup["logins"]} == LOGINS
    assert {g["secret"]["id"].rsplit(":", 1)[-1].rsplit("-", 1)[0] for g in setup["generated"]} == {
        "accessweaver/prod/jwt-signing-key",
        "accessweaver/prod/keycloak-bootstrap-admin",
    }
    assert not re.search(r"password\W+:\W+[A-Za-z0-9]", env["PLATFORM_SETUP"])
    assert not container.get("secrets")  # it reads the master secret itself, at run time


def test_dev_names_its_parameters_which_the_setup_task_creates(plan):
    result = plan("dev")
    (container,) = container_definitions(result.one(TASK, "platform-setup-task"))
    env = {e["name"]: e["value"] for e in container["environment"]}
    setup = json.loads(env["PLATFORM_SETUP"])
    assert {g["secret"]["id"] for g in setup["generated"]} == {
        "/accessweaver/dev/jwt-signing-key",
        "/accessweaver/dev/keycloak-bootstrap-admin/username",
        "/accessweaver/dev/keycloak-bootstrap-admin/password",
    }
    assert {login["secret"]["store"] for login in setup["logins"]} == {"parameterStore"}


@pytest.mark.parametrize("stack", STACKS)
def test_every_task_secret_is_a_secret_or_parameter_arn_and_no_credential_is_plain(plan, stack):
    for task in plan(stack).of_type(TASK):
        for container in container_definitions(task):
            for secret in container.get("secrets", []):
                value_from = secret["valueFrom"]
                assert SECRET_ARN.match(value_from) or PARAMETER_ARN.match(value_from), secret
            for variable in container.get("environment", []):
                assert not re.search(r"PASSWORD|SECRET|TOKEN", variable["name"]), variable
                assert STAND_IN not in variable["value"]


def test_dev_execution_roles_read_exactly_their_parameters_under_the_default_key(plan):
    """Keycloak's execution role reads its admin's two parameters and its login's password."""
    result = plan("dev")
    policy = json.loads(
        result.one("aws:iam/rolePolicy:RolePolicy", "keycloak-exec-policy").inputs["policy"]
    )
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    prefix = "arn:aws:ssm:eu-west-1:123456789012:parameter/accessweaver/dev/"
    assert by_sid["Parameters"]["Action"] == "ssm:GetParameters"
    assert by_sid["Parameters"]["Resource"] == [
        f"{prefix}database/keycloak",
        f"{prefix}keycloak-bootstrap-admin/password",
        f"{prefix}keycloak-bootstrap-admin/username",
    ]
    # SecureString under aws/ssm: ECS needs no kms:Decrypt of its own
    assert "kms:" not in json.dumps(policy)


def test_execution_role_reads_exactly_the_secrets_the_tasks_reference(plan):
    result = plan("prod")
    everything = set()
    for task in result.of_type(TASK):
        referenced = {
            ":".join(secret["valueFrom"].split(":")[:7])
            for container in container_definitions(task)
            for secret in container.get("secrets", [])
        }
        service = task.name.removesuffix("-task")
        policy = json.loads(
            result.one("aws:iam/rolePolicy:RolePolicy", f"{service}-exec-policy").inputs["policy"]
        )
        granted = [s["Resource"] for s in policy["Statement"] if s["Sid"] == "Secrets"]
        # each execution role reads exactly its own task's secrets (none: no statement)
        assert set(granted[0] if granted else []) == referenced, service
        everything |= referenced
    # every secret but the master's is read by some service; the master's by no service
    outputs = result.outputs["secret_arns"]
    assert everything == {v for k, v in outputs.items() if k != "database-master"}


def test_outputs_give_secret_arns_never_values(plan):
    arns = plan("prod").outputs["secret_arns"]
    assert set(arns) == {
        "jwt-signing-key",
        "keycloak-bootstrap-admin",
        "database-master",
        *(f"database/{login}" for login in LOGINS),
    }
    assert all(SECRET_ARN.match(arn) for arn in arns.values())


def test_every_secret_states_its_rotation(plan):
    for secret in plan("prod").of_type(SECRET):
        role = secret.inputs["name"].split("/", 2)[2]
        if role.startswith("database/"):
            assert secret.inputs["tags"][ROTATED_BY] == "accessweaver-prod-platform-rotate"
            continue
        assert secret.inputs["tags"]["Rotation"] in {"manual", "none"}
        assert f"Rotation: {ROTATION[role]}" in secret.inputs["description"]


@pytest.mark.parametrize(
    ("stack", "protected", "window"), [("dev", False, 7), ("staging", True, 30), ("prod", True, 30)]
)
def test_secrets_are_protected_and_recoverable_where_state_must_survive(
    plan, stack, protected, window
):
    for secret in plan(stack).of_type(SECRET):
        assert secret.protect is protected
        assert secret.inputs["recoveryWindowInDays"] == window


def test_without_the_jwt_switch_no_key_is_generated_and_a_configured_one_is_accepted(run_stack):
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/jwt-AbCdEf"
    result = run_stack(
        "dev",
        {
            "accessweaver:secrets": {"jwtSecret": False},
            "accessweaver:commonSecrets": {"JWT_SECRET": arn},
        },
    )
    assert "accessweaver/dev/jwt-signing-key" not in {
        r.inputs["name"] for r in result.of_type(SECRET)
    }
    container = container_definitions(result.one(TASK, "aw-pdp-service-task"))[0]
    assert {"name": "JWT_SECRET", "valueFrom": arn} in container["secrets"]


# Arguments that would carry a credential if the program ever set one itself.
_CREDENTIAL_ARGUMENTS = {"password", "master_password", "auth_token", "secret_string"}


def test_the_program_never_passes_a_literal_credential():
    sources = [ROOT / "__main__.py", *Path(ROOT / "components").rglob("*.py")]
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.keyword) and node.arg in _CREDENTIAL_ARGUMENTS:
                assert not isinstance(node.value, ast.Constant), (source.name, node.arg)


def test_no_stack_file_holds_a_password():
    for stack_file in [*ROOT.glob("Pulumi*.yaml"), *ROOT.glob("examples/*/Pulumi*.yaml")]:
        text = stack_file.read_text().lower()
        # Keys such as `jwtSecret: false` are switches; a credential would be a string value.
        assert not re.search(r"(password|passwd|auth_?token)\w*\s*:", text), stack_file.name
        # `secretsprovider: awskms://...` names the KMS key of the stack's secrets: no secret.
        assert not re.search(r"secret\w*[ \t]*:[ \t]*(?!true|false|arn:|awskms://)[^\s{]", text), (
            stack_file.name
        )
