"""The least-privilege policies (LP.1-LP.4) pass on every committed stack and catch a path, a
permission, a secret or a variable added by hand, which the service graph does not give."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import CA_A2A, STACKS, planned
from tests.resource_types import ROLE_POLICY, SERVICE, SG, SG_IN, SG_OUT, TASK
from tools.engine import PlanResult, RecordedResource
from tools.policy_check import run_policies

LP = ("LP.1*", "LP.2*", "LP.3*", "LP.4*")


def lp_findings(result: PlanResult) -> list[dict[str, str]]:
    return [v for v in run_policies(result).violations if v["control"] in LP]


def service_group(result: PlanResult, service: str) -> RecordedResource:
    deps = result.one(SERVICE, f"{service}-service").property_dependencies["networkConfiguration"]
    (group,) = [r for r in result.resources if r.key in deps and r.type == SG]
    return group


def with_resources(result: PlanResult, *extra: RecordedResource) -> PlanResult:
    return dataclasses.replace(result, resources=[*result.resources, *extra])


def replaced(result: PlanResult, key: str, **inputs) -> PlanResult:
    return dataclasses.replace(
        result,
        resources=[
            dataclasses.replace(r, inputs={**r.inputs, **inputs}) if r.key == key else r
            for r in result.resources
        ],
    )


def rule(type_: str, name: str, group: RecordedResource, peer: RecordedResource, port: int):
    return RecordedResource(
        type=type_,
        name=name,
        parent=None,
        custom=True,
        inputs={
            "securityGroupId": group.inputs.get("id", f"sg-{name}"),
            "referencedSecurityGroupId": f"sg-of-{peer.name}",
            "ipProtocol": "tcp",
            "fromPort": port,
            "toPort": port,
        },
        property_dependencies={
            "securityGroupId": (group.key,),
            "referencedSecurityGroupId": (peer.key,),
        },
    )


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stacks_hold_nothing_the_graph_does_not_give(plan, stack):
    assert lp_findings(plan(stack)) == []


def test_the_policies_find_the_groups_and_roles_they_check(plan):
    # Guard against a silent pass: the pack links every service to its group and roles.
    result = plan("prod")
    for task in result.of_type(TASK):
        deps = task.property_dependencies
        assert deps["taskRoleArn"] and deps["executionRoleArn"], task.name
    assert service_group(result, "aw-pdp-service").type == SG


def test_a_path_added_by_hand_between_two_services_is_a_violation(plan):
    result = plan("prod")
    tenant, audit = (
        service_group(result, "aw-tenant-service"),
        service_group(result, "aw-audit-service"),
    )
    forged = with_resources(result, rule(SG_IN, "forged-in", audit, tenant, 8084))
    (finding,) = lp_findings(forged)
    assert finding["resource"] == "forged-in" and finding["control"] == "LP.1*"
    assert (
        "service:aw-audit-service accepts service:aw-tenant-service on 8084" in (finding["message"])
    )


def test_an_egress_added_by_hand_to_another_services_port_is_a_violation(plan):
    result = plan("prod")
    pdp, pap = service_group(result, "aw-pdp-service"), service_group(result, "aw-pap-service")
    (finding,) = lp_findings(with_resources(result, rule(SG_OUT, "forged-out", pdp, pap, 8082)))
    assert "service:aw-pdp-service may open service:aw-pap-service on 8082" in finding["message"]


def test_two_services_in_one_group_are_a_violation(plan):
    result = plan("dev")
    pdp_service = result.one(SERVICE, "aw-pdp-service-service")
    gateway_group = service_group(result, "aw-api-gateway")
    deps = {**pdp_service.property_dependencies, "networkConfiguration": (gateway_group.key,)}
    shared = dataclasses.replace(
        result,
        resources=[
            dataclasses.replace(r, property_dependencies=deps) if r.key == pdp_service.key else r
            for r in result.resources
        ],
    )
    messages = [f["message"] for f in lp_findings(shared)]
    assert any("is shared by aw-api-gateway-service, aw-pdp-service-service" in m for m in messages)


def findings_with_edited_policy(
    result: PlanResult, policy_name: str, edit: Callable[[list[dict[str, Any]]], None]
) -> list[dict[str, str]]:
    """The LP findings on `result` once `edit` has changed, in place, the statements of the
    role policy `policy_name` (everything else as recorded)."""
    policy = result.one(ROLE_POLICY, policy_name)
    document = json.loads(policy.inputs["policy"])
    edit(document["Statement"])
    return lp_findings(replaced(result, policy.key, policy=json.dumps(document)))


def statement(statements: list[dict[str, Any]], sid: str) -> dict[str, Any]:
    """The one statement with this Sid."""
    (found,) = [s for s in statements if s.get("Sid") == sid]
    return found


@pytest.mark.parametrize(
    ("granted", "expected"),
    [
        (
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::docs/*"},
            "s3:GetObject: aw-pdp-service does not use the documents bucket",
        ),
        (
            {"Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"},
            "logs:DescribeLogGroups: ECS Exec is off for aw-pdp-service",
        ),
    ],
    ids=["a bucket it does not use", "session logs without ECS Exec"],
)
def test_a_permission_added_to_a_service_that_does_not_need_it_is_a_violation(
    plan, granted, expected
):
    (finding,) = findings_with_edited_policy(
        plan("prod"), "aw-pdp-service-task-policy", lambda statements: statements.append(granted)
    )
    assert finding["control"] == "LP.2*"
    assert expected in finding["message"]


def test_publishing_metrics_into_another_services_namespace_is_a_violation(plan):
    def into_pap(statements: list[dict[str, Any]]) -> None:
        metrics = statement(statements, "Metrics")
        metrics["Condition"]["StringEquals"]["cloudwatch:namespace"] = (
            "accessweaver/prod/aw-pap-service"
        )

    (finding,) = findings_with_edited_policy(plan("prod"), "aw-pdp-service-task-policy", into_pap)
    assert "scoped to their own namespace (accessweaver/prod/aw-pdp-service)" in finding["message"]


def test_exec_log_writes_outside_the_session_log_group_are_a_violation(plan):
    def elsewhere(statements: list[dict[str, Any]]) -> None:
        statement(statements, "EcsExecSessionLogs")["Resource"] = (
            "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/accessweaver-prod/x:*"
        )

    (finding,) = findings_with_edited_policy(plan("prod"), "keycloak-task-policy", elsewhere)
    assert "only on the cluster's ECS Exec log group" in finding["message"]


def test_a_write_permission_for_a_read_only_user_of_the_bucket_is_a_violation():
    result = planned(CA_A2A, "dev")
    assert lp_findings(result) == []
    (finding,) = findings_with_edited_policy(
        result,
        "extractor-task-policy",
        lambda statements: statements[1]["Action"].append("s3:PutObject"),
    )
    assert "s3:PutObject: extractor uses the documents bucket read-only" in finding["message"]


def test_an_execution_role_reading_another_services_secret_is_a_violation(plan):
    result = plan("prod")
    jwt = result.outputs["secret_arns"]["jwt-signing-key"]
    (finding,) = findings_with_edited_policy(
        result,
        "aw-pdp-service-exec-policy",
        lambda statements: statement(statements, "Secrets")["Resource"].append(jwt),
    )
    assert finding["control"] == "LP.3*" and f"grants {jwt}" in finding["message"]


def test_a_variable_of_a_piece_the_service_does_not_use_is_a_violation(plan):
    result = plan("prod")
    task = result.one(TASK, "aw-api-gateway-task")
    definitions = json.loads(task.inputs["containerDefinitions"])
    definitions[0]["environment"].append({"name": "DATABASE_URL", "value": "jdbc:postgresql://x"})
    changed = replaced(result, task.key, containerDefinitions=json.dumps(definitions))
    (finding,) = lp_findings(changed)
    assert finding["control"] == "LP.4*"
    assert "aw-api-gateway receives DATABASE_URL" in finding["message"]
