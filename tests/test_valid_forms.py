"""Valid stack files the program used to refuse, planned through the whole program.

GIVEN one small stack file holding every form AWS accepts and the checks refused
- an image pinned by tag and digest (`repo:1.27@sha256:...`: Docker and ECS pull the digest),
- an SSM parameter given by its path in the stack's region (ECS API reference,
  `Secret.valueFrom`: "If the SSM Parameter Store parameter exists in the same Region as the
  task you're launching, then you can use either the full ARN or name of the parameter"; a
  name without `/` stays refused: it cannot be told from a secret's value pasted there),
- an AWS managed policy as the permissions boundary (`arn:aws:iam::aws:policy/...`),
- an encrypted value nested in an object (`pulumi config set --path --secret`), offline,
WHEN it runs on the offline engine, THEN it plans, and what each form feeds is right: the
execution role pulls from the image's repository and reads the parameter by its ARN, the roles
carry the managed boundary, and the policy pack finds nothing to refuse in them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from accessweaver_components.formats import ENCRYPTED
from accessweaver_components.stack import settings_from_mapping
from tests.config_support import services_only_stack_file
from tests.conftest import ROOT
from tools.engine import PlanResult, run_program

ACCOUNT, REGION = "123456789012", "eu-west-1"
DIGEST = "sha256:" + "5e" * 32
REPOSITORY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/shop/orders"
IMAGE = f"{REPOSITORY}:1.27@{DIGEST}"
BOUNDARY = "arn:aws:iam::aws:policy/PowerUserAccess"
CONFIG = services_only_stack_file(
    BOUNDARY,
    f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/shop",
    {
        "accessweaver:alarms": {"emails": [{"secure": "v1:AAAABBBBCCCC"}]},
        "accessweaver:services": {
            "orders": {
                "port": 8080,
                "image": IMAGE,
                "secrets": {"API_TOKEN": "/shop/dev/api-token", "MAIL_TOKEN": "/mail-token"},
                "sizes": {"dev": {"cpu": 256, "memory": 512, "desiredCount": 1}},
            }
        },
    },
)


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> PlanResult:
    path = tmp_path_factory.mktemp("valid") / "Pulumi.valid.yaml"
    path.write_text(yaml.safe_dump({"config": CONFIG}, sort_keys=False))
    return run_program(ROOT, "valid", path)


def _policy(planned: PlanResult, name: str) -> dict:
    (found,) = [r for r in planned.resources if r.name == name]
    return json.loads(found.inputs["policy"])


def _container(planned: PlanResult, name: str) -> list[dict]:
    """The container `name` of the plan's task definitions (the platform tasks have theirs)."""
    return [
        c
        for task in planned.of_type("aws:ecs/taskDefinition:TaskDefinition")
        for c in json.loads(task.inputs["containerDefinitions"])
        if c["name"] == name
    ]


def _statement(document: dict, sid: str) -> dict:
    return next(s for s in document["Statement"] if s["Sid"] == sid)


def test_an_image_pinned_by_tag_and_digest_runs_as_written_and_is_pulled_from_its_repository(
    planned,
):
    (app,) = _container(planned, "orders")
    assert app["image"] == IMAGE
    pull = _statement(_policy(planned, "orders-exec-policy"), "EcrPull")
    assert pull["Resource"] == f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/shop/orders"


def test_a_parameter_named_in_the_stack_region_is_read_by_its_arn(planned):
    (app,) = _container(planned, "orders")
    assert {s["name"]: s["valueFrom"] for s in app["secrets"]} == {
        "API_TOKEN": "/shop/dev/api-token",
        "MAIL_TOKEN": "/mail-token",
    }
    read = _statement(_policy(planned, "orders-exec-policy"), "Parameters")
    assert sorted(read["Resource"]) == [
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/mail-token",
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/shop/dev/api-token",
    ]


def test_an_aws_managed_boundary_bounds_every_role_and_names_its_tag(planned):
    roles = planned.of_type("aws:iam/role:Role")
    assert roles
    assert {r.inputs.get("permissionsBoundary") for r in roles} == {BOUNDARY}
    assert {r.inputs["tags"]["PermissionsBoundary"] for r in roles} == {"PowerUserAccess"}


def test_a_nested_encrypted_value_plans_offline_with_a_stand_in_its_field_accepts(planned):
    (subscription,) = planned.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert subscription.inputs["endpoint"] == "encrypted@example.com"


def test_the_policy_pack_finds_nothing_mandatory_in_these_forms(planned):
    from tools.policy_check import run_policies

    report = run_policies(planned)
    assert [(v["control"], v["message"]) for v in report.mandatory] == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("keycloak", {"image": f"quay.io/keycloak/keycloak:26.7.0@{DIGEST}"}),
        ("commonSecrets", {"SHARED_TOKEN": "/shop/dev/shared"}),
        ("permissionsBoundaryArn", "arn:aws:iam::aws:policy/service-role/AWSLambdaRole"),
    ],
)
def test_the_loader_accepts_the_same_forms_under_other_keys(key, value):
    raw = {k.removeprefix("accessweaver:"): v for k, v in CONFIG.items() if k != "aws:region"}
    raw = {**raw, "alarms": {"emails": [ENCRYPTED]}, key: value}
    if key == "keycloak":
        raw["database"] = {"enabled": True}
    settings = settings_from_mapping(
        raw, namespace="accessweaver", stack_file="Pulumi.valid.yaml", region=REGION
    )
    assert settings.services


def test_the_stand_in_is_only_for_the_engine_a_real_value_is_checked(tmp_path: Path):
    """Under `pulumi`, the CLI decrypts: a decrypted value that is no address is refused."""
    from accessweaver_components.stack import ConfigError

    raw = {k.removeprefix("accessweaver:"): v for k, v in CONFIG.items() if k != "aws:region"}
    raw["alarms"] = {"emails": ["not an address"]}
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(raw, namespace="accessweaver", stack_file="x.yaml", region=REGION)
    assert "alarms.emails[0]" in str(caught.value)
