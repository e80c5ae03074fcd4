"""Generated secrets: made by pulumi-random, kept in Secrets Manager, referenced by ARN only,
never visible as plain values in inputs, task definitions or outputs."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from components.identity.secrets import ROTATION
from tests.conftest import ROOT, STACKS, container_definitions
from tools.engine import SECRET_PLACEHOLDER

PASSWORD = "random:index/randomPassword:RandomPassword"
SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
SECRET_ARN = re.compile(
    r"^arn:aws:secretsmanager:eu-west-1:123456789012:secret:[A-Za-z0-9/_+=.@!-]+"
    r"(:[A-Za-z0-9_.-]+::)?$"
)
PARAMETER_ARN = re.compile(r"^arn:aws:ssm:eu-west-1:123456789012:parameter/[A-Za-z0-9/_.-]+$")
PARAMETER = "aws:ssm/parameter:Parameter"
# What the offline engine returns for a generated value: it must never show up in plain text.
STAND_IN = "offlineNotASecret"


@pytest.mark.parametrize("stack", STACKS)
def test_each_generated_secret_has_a_random_password_a_secret_and_a_version(plan, stack):
    result = plan(stack)
    if stack == "dev":
        return _dev_keeps_generated_values_in_secure_string_parameters(result)
    names = {r.inputs["name"] for r in result.of_type(SECRET)}
    assert names == {
        f"accessweaver/{stack}/jwt-signing-key",
        f"accessweaver/{stack}/redis-auth-token",
        f"accessweaver/{stack}/keycloak-bootstrap-admin",
    }
    # Each generated secret's value; a serverless cache's disabled `default` user has its own
    # password, kept nowhere else (components/data/cache.py).
    stored = [r for r in result.of_type(PASSWORD) if "-secrets-" in r.name]
    assert len(stored) == len(result.of_type(VERSION)) == 3


def _dev_keeps_generated_values_in_secure_string_parameters(result) -> None:
    assert not result.of_type(SECRET)
    parameters = {p.inputs["name"]: p.inputs for p in result.of_type(PARAMETER)}
    assert set(parameters) == {
        "/accessweaver/dev/jwt-signing-key",
        "/accessweaver/dev/redis-auth-token",
        "/accessweaver/dev/keycloak-bootstrap-admin/username",
        "/accessweaver/dev/keycloak-bootstrap-admin/password",
    }
    for parameter in parameters.values():
        assert (parameter["type"], parameter["tier"]) == ("SecureString", "Standard")
        assert parameter["value"] == SECRET_PLACEHOLDER and "keyId" not in parameter  # aws/ssm
    stored = [r for r in result.of_type(PASSWORD) if "-secrets-" in r.name]
    assert len(stored) == 3  # the user name is configuration, kept beside its password


def test_generated_values_are_long_and_stored_only_as_pulumi_secrets(plan):
    result = plan("prod")
    lengths = {
        r.name.split("-secrets-")[1]: r.inputs["length"]
        for r in result.of_type(PASSWORD)
        if "-secrets-" in r.name
    }
    assert lengths == {
        "jwt-signing-key-value": 64,
        "redis-auth-token-value": 64,
        "keycloak-bootstrap-admin-value": 32,
    }
    for version in result.of_type(VERSION):
        assert version.inputs["secretString"] == SECRET_PLACEHOLDER, version.name


@pytest.mark.parametrize("stack", STACKS)
def test_no_generated_value_appears_in_any_input_or_output(plan, stack):
    result = plan(stack)
    recorded = json.dumps([r.inputs for r in result.resources if r.type != PASSWORD])
    assert STAND_IN not in recorded
    assert STAND_IN not in json.dumps(result.outputs)


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
    result = plan("dev")
    policy = json.loads(
        result.one("aws:iam/rolePolicy:RolePolicy", "keycloak-exec-policy").inputs["policy"]
    )
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    prefix = "arn:aws:ssm:eu-west-1:123456789012:parameter/accessweaver/dev/"
    assert by_sid["Parameters"]["Action"] == "ssm:GetParameters"
    assert by_sid["Parameters"]["Resource"] == [
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
    assert everything == set(result.outputs["secret_arns"].values())


def test_outputs_give_secret_arns_never_values(plan):
    arns = plan("prod").outputs["secret_arns"]
    assert set(arns) == {
        "jwt-signing-key",
        "redis-auth-token",
        "keycloak-bootstrap-admin",
        "database-master",
    }
    assert all(SECRET_ARN.match(arn) for arn in arns.values())


def test_every_secret_states_its_rotation(plan):
    for secret in plan("prod").of_type(SECRET):
        role = secret.inputs["name"].rsplit("/", 1)[1]
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
