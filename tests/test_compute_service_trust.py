"""Each service trust is `regional_trust` with the service's documented `aws:SourceArn` form
(`components/service_trust.py`), bound to the account, and passes `trust_problems`."""

from __future__ import annotations

import pytest

from accessweaver_components import service_trust as trust

A, R = "123456789012", "eu-west-1"
"""The account and Region every trust below is built for."""


@pytest.mark.parametrize(
    ("document", "principal", "service", "resource"),
    [
        (trust.ecs_tasks_trust(A, R), "ecs-tasks", "ecs", "*"),
        (trust.state_machine_trust(A, R, "m"), "states", "states", "stateMachine:m"),
        (trust.events_rule_trust(A, R, "r"), "events", "events", "rule/r"),
        (trust.scheduler_trust(A, R), "scheduler", "scheduler", "schedule-group/default"),
        (trust.rds_monitoring_trust(A, R, "db1"), "monitoring.rds", "rds", "db:db1"),
        (trust.flow_logs_trust(A, R), "vpc-flow-logs", "ec2", "vpc-flow-log/*"),
        (trust.fis_trust(A, R), "fis", "fis", "experiment/*"),
    ],
)
def test_each_trust_names_its_service_and_its_documented_source(
    document, principal, service, resource
):
    (statement,) = document["Statement"]
    assert statement["Principal"] == {"Service": f"{principal}.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": A},
        "ArnLike": {"aws:SourceArn": f"arn:aws:{service}:eu-west-1:123456789012:{resource}"},
    }
    assert trust.trust_problems(document) == []


def test_the_ecs_service_trust_enforces_the_keys_when_present():
    (statement,) = trust.ecs_service_trust(A, R)["Statement"]
    assert set(statement["Condition"]) == {"StringEqualsIfExists", "ArnLikeIfExists"}
