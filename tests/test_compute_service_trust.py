"""Each service trust is `regional_trust` with the service's documented `aws:SourceArn` form
(`components/service_trust.py`), bound to the account, and passes `trust_problems`."""

from __future__ import annotations

import pytest

from accessweaver_components import service_trust as trust

ACCOUNT, REGION = "123456789012", "eu-west-1"


@pytest.mark.parametrize(
    ("document", "principal", "source_arn"),
    [
        (trust.ecs_tasks_trust(ACCOUNT, REGION), "ecs-tasks", "arn:aws:ecs:eu-west-1:{a}:*"),
        (
            trust.state_machine_trust(ACCOUNT, REGION, "restart"),
            "states",
            "arn:aws:states:eu-west-1:{a}:stateMachine:restart",
        ),
        (
            trust.events_rule_trust(ACCOUNT, REGION, "r"),
            "events",
            "arn:aws:events:eu-west-1:{a}:rule/r",
        ),
        (
            trust.scheduler_trust(ACCOUNT, REGION),
            "scheduler",
            "arn:aws:scheduler:eu-west-1:{a}:schedule-group/default",
        ),
        (
            trust.rds_monitoring_trust(ACCOUNT, REGION, "db1"),
            "monitoring.rds",
            "arn:aws:rds:eu-west-1:{a}:db:db1",
        ),
        (
            trust.flow_logs_trust(ACCOUNT, REGION),
            "vpc-flow-logs",
            "arn:aws:ec2:eu-west-1:{a}:vpc-flow-log/*",
        ),
        (trust.fis_trust(ACCOUNT, REGION), "fis", "arn:aws:fis:eu-west-1:{a}:experiment/*"),
    ],
)
def test_each_trust_names_its_service_and_its_documented_source(document, principal, source_arn):
    (statement,) = document["Statement"]
    assert statement["Principal"] == {"Service": f"{principal}.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": source_arn.format(a=ACCOUNT)},
    }
    assert trust.trust_problems(document) == []


def test_the_ecs_service_trust_enforces_the_keys_when_present():
    (statement,) = trust.ecs_service_trust(ACCOUNT, REGION)["Statement"]
    assert set(statement["Condition"]) == {"StringEqualsIfExists", "ArnLikeIfExists"}
