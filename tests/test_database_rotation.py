"""A database password rotation restarts the services that read it, with nobody awake (issue 10,
item 2).

RDS rotates its managed master secret every 7 days; ECS reads secrets only when a task starts.
The stack reacts to Secrets Manager's native `Secret Label Updated` event (AWSCURRENT moved) with
a Step Functions state machine that forces a new deployment of every reader. Checked here: the
event pattern against the event AWS documents, the state machine against the Amazon States
Language (asl-validator) and ECS's UpdateService model (botocore), the roles against what each
one does, and the readers against the service graph.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import botocore.session
import pytest

from accessweaver_components.compute.rotation_restart import (
    UPDATE_SERVICE,
    restart_definition,
    rotation_event_pattern,
)
from tests.conftest import ROOT, STACKS
from tests.resource_types import ALARM, ROLE_POLICY, SERVICE

RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
MACHINE = "aws:sfn/stateMachine:StateMachine"


def _restart(result, type_: str) -> list:
    """The rotation restart's resources of `type_` (a scheduled task has a rule of its own)."""
    return [r for r in result.of_type(type_) if "-db-rotation-" in r.name]


ASL_VALIDATOR = ROOT / "tools" / "asl" / "node_modules" / ".bin" / "asl-validator"

# The example AWS gives (Secrets Manager user guide, "Secret Label Updated event").
DOCUMENTED_EVENT = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "Secret Label Updated",
    "source": "aws.secretsmanager",
    "account": "012345678901",
    "time": "2024-02-06T16:43:48Z",
    "region": "us-west-2",
    "resources": ["arn:aws:secretsmanager:us-west-2:012345678901:secret:mySecret-a1b2c3"],
    "detail": {
        "name": "mySecret",
        "labelUpdated": "AWSCURRENT",
        "versionId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
    },
}


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """EventBridge's matching for the pattern forms used here: every key of the pattern must be
    in the event; a list of values matches a scalar equal to one of them, or a list of which
    one element is one of them; a nested object matches recursively."""
    for key, wanted in pattern.items():
        if key not in event:
            return False
        value = event[key]
        if isinstance(wanted, dict):
            if not isinstance(value, dict) or not matches(wanted, value):
                return False
        elif isinstance(value, list):
            if not set(value) & set(wanted):
                return False
        elif value not in wanted:
            return False
    return True


# -- the pure pieces ---------------------------------------------------------------------------


def test_the_pattern_matches_the_event_aws_documents_for_that_secret_only():
    secret = DOCUMENTED_EVENT["resources"][0]
    assert matches(rotation_event_pattern(secret), DOCUMENTED_EVENT)
    other = {**DOCUMENTED_EVENT, "resources": [secret.replace("mySecret", "other")]}
    assert not matches(rotation_event_pattern(secret), other)
    custom = {**DOCUMENTED_EVENT, "detail": {**DOCUMENTED_EVENT["detail"], "labelUpdated": "X"}}
    assert not matches(rotation_event_pattern(secret), custom)


def test_the_matcher_is_not_vacuous():
    assert not matches({"source": ["aws.ec2"]}, DOCUMENTED_EVENT)
    assert not matches({"detail": {"missing": ["x"]}}, DOCUMENTED_EVENT)


def asl_problems(definition: dict[str, Any]) -> str:
    """asl-validator's complaints ('' = valid). Installed by ./scripts/test (tools/asl)."""
    if not ASL_VALIDATOR.exists():
        pytest.fail(
            "asl-validator is missing: run ./scripts/test (it installs tools/asl with npm), "
            "or `npm ci --prefix tools/asl`"
        )
    node = shutil.which("node")
    assert node, "node is needed to run asl-validator"
    run = subprocess.run(
        [str(ASL_VALIDATOR), "--json-definition", json.dumps(definition)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return "" if run.returncode == 0 else (run.stdout + run.stderr)


def test_the_state_machine_is_valid_amazon_states_language():
    assert asl_problems(restart_definition("restart")) == ""


def test_the_validator_refuses_a_broken_definition():
    broken = restart_definition("restart")
    broken["States"]["RestartServices"]["Type"] = "Mapp"
    assert "SCHEMA_VALIDATION_FAILED" in asl_problems(broken)


def test_the_task_calls_update_service_with_fields_ecs_knows():
    task = restart_definition("x")["States"]["RestartServices"]["ItemProcessor"]["States"][
        "ForceNewDeployment"
    ]
    assert task["Resource"] == UPDATE_SERVICE
    shape = (
        botocore.session.get_session()
        .get_service_model("ecs")
        .operation_model("UpdateService")
        .input_shape
    )
    members = {name.lower(): name for name in shape.members}
    for key in task["Parameters"]:
        field = key.removesuffix(".$")
        # SDK integrations take the API's members in PascalCase
        assert field[0].isupper() and field[0].lower() + field[1:] == members[field.lower()]
    assert shape.members["forceNewDeployment"].type_name == "boolean"
    assert set(shape.required_members) <= {k.removesuffix(".$").lower() for k in task[
        "Parameters"]}  # fmt: skip


# -- the committed stacks ------------------------------------------------------------------


def readers(result) -> dict[str, set[str]]:
    """Secret (or parameter) ARN -> the services whose containers get DATABASE_PASSWORD or
    KC_DB_PASSWORD from it."""
    from tests.conftest import container_definitions

    services = {s.name.removesuffix("-service") for s in result.of_type(SERVICE)}
    found: dict[str, set[str]] = {}
    for task in result.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        if task.name.removesuffix("-task") not in services:
            continue  # a task, not a service's: it reads its secrets at each run
        for container in container_definitions(task):
            for secret in container.get("secrets", []):
                if secret["name"] in ("DATABASE_PASSWORD", "KC_DB_PASSWORD"):
                    arn = secret["valueFrom"].removesuffix(":password::")
                    found.setdefault(arn, set()).add(task.name.removesuffix("-task"))
    return found


def routes(result) -> dict[str, set[str]]:
    """Secret ARN -> the services the planned state machine restarts for it."""
    (machine,) = result.of_type(MACHINE)
    states = json.loads(machine.inputs["definition"])["States"]
    physical = {s.inputs["name"]: s.name.removesuffix("-service") for s in result.of_type(SERVICE)}
    return {
        choice["StringEquals"]: {
            physical[arn.rsplit("/", 1)[-1]] for arn in states[choice["Next"]]["Result"]["services"]
        }
        for choice in states["WhichSecret"]["Choices"]
    }


@pytest.mark.parametrize("stack", STACKS)
def test_each_login_rotation_restarts_the_services_reading_it_and_nothing_else(plan, stack):
    result = plan(stack)
    expected = readers(result)
    assert len(expected) == 5 and all(len(names) == 1 for names in expected.values())
    assert routes(result) == expected
    (target,) = _restart(result, TARGET)
    assert "input" not in target.inputs  # the event itself: its resource picks the route
    restarted = {name for names in expected.values() for name in names}
    assert "keycloak" in restarted and "aw-api-gateway" not in restarted
    assert set(result.outputs["database_rotation"]["restarts"]) == restarted
    (machine,) = result.of_type(MACHINE)
    for state in json.loads(machine.inputs["definition"])["States"].values():
        if state["Type"] == "Pass":
            assert state["Result"]["cluster"].endswith(f":cluster/accessweaver-{stack}-cluster")


@pytest.mark.parametrize(
    ("stack", "source", "detail"),
    [
        ("prod", "aws.secretsmanager", {"labelUpdated": ["AWSCURRENT"]}),
        ("dev", "aws.ssm", {"operation": ["Update"]}),
    ],
)
def test_the_rule_listens_for_the_logins_secrets_and_no_other(plan, stack, source, detail):
    result = plan(stack)
    (rule,) = _restart(result, RULE)
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["source"] == [source] and pattern["detail"] == detail
    assert set(pattern["resources"]) == set(readers(result))
    master = result.outputs["secret_arns"]["database-master"]
    assert master not in pattern["resources"]
    secret = result.outputs["database_rotation"]
    (target,) = _restart(result, TARGET)
    (machine,) = result.of_type(MACHINE)
    assert target.property_dependencies["arn"] == (machine.key,)
    assert secret["rule_name"] == rule.inputs["name"] == f"accessweaver-{stack}-db-rotation-restart"
    retry = target.inputs["retryPolicy"]
    rules = (
        botocore.session.get_session().get_service_model("events").shape_for("RetryPolicy").members
    )
    assert rules["MaximumRetryAttempts"].metadata["min"] <= retry["maximumRetryAttempts"]
    assert retry["maximumRetryAttempts"] <= rules["MaximumRetryAttempts"].metadata["max"]
    age = rules["MaximumEventAgeInSeconds"].metadata
    assert age["min"] <= retry["maximumEventAgeInSeconds"] <= age["max"]


def test_the_routed_machine_matches_the_documented_event_of_one_of_its_secrets():
    secret = DOCUMENTED_EVENT["resources"][0]
    definition = restart_definition("x", [(secret, ["arn:svc/a"]), ("other", ["arn:svc/b"])], "c")
    assert asl_problems(definition) == ""
    first, _ = definition["States"]["WhichSecret"]["Choices"]
    assert first["Variable"] == "$.resources[0]" and first["StringEquals"] == secret
    assert definition["States"][first["Next"]]["Result"] == {
        "cluster": "c",
        "services": ["arn:svc/a"],
    }
    assert definition["States"]["WhichSecret"]["Default"] == "NotWatched"


def test_the_planned_definition_is_valid_too(plan):
    (machine,) = plan("prod").of_type(MACHINE)
    assert machine.inputs["type"] == "STANDARD"
    assert asl_problems(json.loads(machine.inputs["definition"])) == ""


def test_each_role_can_do_its_one_thing_only(plan):
    result = plan("prod")
    policies = {p.name: json.loads(p.inputs["policy"]) for p in result.of_type(ROLE_POLICY)}
    (machine,) = policies["accessweaver-prod-db-rotation-machine-policy"]["Statement"]
    assert machine["Action"] == "ecs:UpdateService"
    reading = {name for names in readers(result).values() for name in names}
    service_arns = {
        f"arn:aws:ecs:eu-west-1:123456789012:service/accessweaver-prod-cluster/{s.inputs['name']}"
        for s in result.of_type(SERVICE)
        if s.name.removesuffix("-service") in reading
    }
    assert set(machine["Resource"]) == service_arns
    (events,) = policies["accessweaver-prod-db-rotation-events-policy"]["Statement"]
    assert events["Action"] == "states:StartExecution"
    assert events["Resource"].startswith("arn:aws:states:eu-west-1:123456789012:stateMachine:")


def test_a_failed_restart_pages_someone(plan):
    result = plan("prod")
    alarms = {a.inputs["name"]: a.inputs for a in result.of_type(ALARM)}
    failed = alarms["accessweaver-prod-db-rotation-restart-restart-failed"]
    assert (failed["namespace"], failed["metricName"]) == ("AWS/States", "ExecutionsFailed")
    assert failed["alarmActions"] == [result.outputs["alarm_topic_arn"]]
    started = alarms["accessweaver-prod-db-rotation-restart-not-started"]
    assert (started["namespace"], started["metricName"]) == ("AWS/Events", "FailedInvocations")


def test_a_stack_without_the_database_restarts_nothing(run_stack):
    result = run_stack(
        "dev",
        {
            "accessweaver:database": {"enabled": False},
            "accessweaver:keycloak": {"enabled": False},
        },
    )
    assert not result.of_type(MACHINE) and not _restart(result, RULE)
    assert result.outputs["database_rotation"] is None
