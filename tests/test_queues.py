"""Work queues between services (issue 11, "Workers that scale on queue depth"), on CA-A2A.

The orchestrator sends every document to the `extraction` queue, the extractor consumes it; the
program creates the queue encrypted with its dead-letter queue and redrive policy, gives the
consumer and the sender exactly their actions on it, and in prod scales the extractor on the
backlog per task.
"""

from __future__ import annotations

import json

import pytest

from tests.config_support import existing_vpc_stack, loader
from tests.conftest import CA_A2A, planned
from tests.resource_types import QUEUE, ROLE_POLICY
from tools.aws_models import put_scaling_policy_params, validate

POLICY = "aws:appautoscaling/policy:Policy"


@pytest.fixture(scope="module", params=["dev", "prod"])
def ca(request):
    return request.param, planned(CA_A2A, request.param)


def task_policy(result, service: str) -> dict[str, dict]:
    document = json.loads(result.one(ROLE_POLICY, f"{service}-task-policy").inputs["policy"])
    return {s["Sid"]: s for s in document["Statement"]}


def env(result, service: str) -> dict[str, str]:
    from tests.conftest import container_definitions

    task = result.one("aws:ecs/taskDefinition:TaskDefinition", f"{service}-task")
    return {e["name"]: e["value"] for e in container_definitions(task)[0]["environment"]}


def test_the_queue_is_encrypted_long_polled_and_redriven_to_its_dead_letter_queue(ca):
    stack, result = ca
    queues = {q.inputs["name"]: q for q in result.of_type(QUEUE)}
    main, dead = queues[f"ca-a2a-{stack}-extraction"], queues[f"ca-a2a-{stack}-extraction-dlq"]
    for queue in (main, dead):
        assert queue.inputs["sqsManagedSseEnabled"] is True
    assert main.inputs["receiveWaitTimeSeconds"] == 20
    redrive = json.loads(main.inputs["redrivePolicy"])
    assert redrive == {
        "deadLetterTargetArn": f"arn:aws:sqs:eu-west-3:123456789012:ca-a2a-{stack}-extraction-dlq",
        "maxReceiveCount": 5,
    }
    (allow,) = result.of_type("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy")
    assert json.loads(allow.inputs["redriveAllowPolicy"]) == {
        "redrivePermission": "byQueue",
        "sourceQueueArns": [f"arn:aws:sqs:eu-west-3:123456789012:ca-a2a-{stack}-extraction"],
    }
    # the work queue's two (the scheduled health probe's queues have policies of their own)
    policies = [p for p in result.of_type("aws:sqs/queuePolicy:QueuePolicy") if "queue-" in p.name]
    assert len(policies) == 2
    for policy in policies:
        (deny,) = json.loads(policy.inputs["policy"])["Statement"]
        assert deny["Effect"] == "Deny" and deny["Condition"]["Bool"] == {
            "aws:SecureTransport": "false"
        }
    alarm = result.one(
        "aws:cloudwatch/metricAlarm:MetricAlarm", f"ca-a2a-{stack}-queue-extraction-dlq-alarm"
    )
    assert alarm.inputs["metricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm.inputs["alarmActions"] == [result.outputs["alarm_topic_arn"]]


def test_the_consumer_and_the_sender_get_their_actions_on_that_queue_only(ca):
    stack, result = ca
    arn = f"arn:aws:sqs:eu-west-3:123456789012:ca-a2a-{stack}-extraction"
    consume = task_policy(result, "extractor")["QueueConsumeExtraction"]
    assert consume["Resource"] == arn
    assert "sqs:ReceiveMessage" in consume["Action"] and "sqs:SendMessage" not in consume["Action"]
    send = task_policy(result, "orchestrator")["QueueSendExtraction"]
    assert send["Resource"] == arn and send["Action"] == [
        "sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
    ]  # fmt: skip
    url = f"https://sqs.eu-west-3.amazonaws.com/123456789012/ca-a2a-{stack}-extraction"
    assert env(result, "extractor")["EXTRACTION_QUEUE_URL"] == url
    assert env(result, "orchestrator")["EXTRACTION_QUEUE_URL"] == url
    for other in ("validator", "archivist", "mcp-server"):
        assert "EXTRACTION_QUEUE_URL" not in env(result, other)
        assert not [s for s in task_policy(result, other) if s.startswith("Queue")]
    assert result.outputs["queues"]["extraction"]["url"] == url


def test_prod_scales_the_extractor_on_the_backlog_per_task(ca):
    stack, result = ca
    backlog = [p for p in result.of_type(POLICY) if p.name == "extractor-backlog-scaling"]
    if stack == "dev":
        assert backlog == []  # no Container Insights in dev: no backlog per task to divide
        return
    (policy,) = backlog
    tracking = policy.inputs["targetTrackingScalingPolicyConfiguration"]
    assert tracking["targetValue"] == 10
    queries = {q["id"]: q for q in tracking["customizedMetricSpecification"]["metrics"]}
    visible = queries["visible"]["metricStat"]["metric"]
    assert visible["dimensions"] == [{"name": "QueueName", "value": "ca-a2a-prod-extraction"}]
    tasks = queries["tasks"]["metricStat"]["metric"]
    assert tasks["namespace"] == "ECS/ContainerInsights"
    assert {d["name"]: d["value"] for d in tasks["dimensions"]} == {
        "ClusterName": "ca-a2a-prod-cluster",
        "ServiceName": "ca-a2a-prod-extractor",
    }
    assert validate("application-autoscaling", "PutScalingPolicy",
                    put_scaling_policy_params(policy.inputs)) == []  # fmt: skip


BASE = {
    "baseCatalog": "none",
    **existing_vpc_stack("dev"),
    "services": {
        "api": {
            "port": 8080,
            "uses": {"sendsTo": ["jobs"]},
            "sizes": {"dev": {"cpu": 256, "memory": 512, "desiredCount": 1}},
        },
        "worker": {
            "healthCheckCommand": ["CMD-SHELL", "true"],
            "uses": {"consumes": "jobs"},
            "sizes": {"dev": {"cpu": 256, "memory": 512, "desiredCount": 1}},
        },
    },
}
load, problems = loader(BASE)


def test_a_graph_of_queues_resolves_with_its_consumer_and_senders():
    (queue,) = load().queues
    assert (queue.name, queue.physical, queue.consumer, queue.senders) == (
        "jobs", "accessweaver-dev-jobs", "worker", ("api",),
    )  # fmt: skip


def test_two_consumers_a_queue_nobody_consumes_and_stray_tuning_are_refused():
    services = {
        **BASE["services"],
        "api": {**BASE["services"]["api"], "uses": {"sendsTo": ["nowhere", "jobs", "jobs"]}},
        "second": {**BASE["services"]["worker"]},
    }
    found = problems(services=services, queues={"unused": {"maxReceiveCount": 3}})
    assert "second already consumes jobs" in found["services.worker.uses.consumes"]
    assert "no service consumes this queue" in found["services.api.uses.sendsTo[0]"]
    assert "listed twice" in found["services.api.uses.sendsTo[2]"]
    assert "allowed: a queue named in some service's uses.consumes: jobs" in found["queues.unused"]


def test_backlog_scaling_needs_a_consumed_queue_and_container_insights():
    services = {
        **BASE["services"],
        "api": {**BASE["services"]["api"], "scaling": {"backlogPerTask": 5}},
        "worker": {**BASE["services"]["worker"], "scaling": {"backlogPerTask": 5}},
    }
    found = problems(services=services)
    assert "api consumes no queue" in found["services.api.scaling.backlogPerTask"]
    assert "Container Insights is off" in found["services.worker.scaling.backlogPerTask"]
    settings = load(
        services=services | {"api": BASE["services"]["api"]}, containerInsightsEnabled=True
    )
    assert settings.service("worker").scaling.backlog_per_task == 5


def test_without_a_nat_gateway_queues_need_the_sqs_endpoint():
    found = problems(
        vpcId=None,
        privateSubnetIds=[],
        network={
            "createVpc": True,
            "natGateways": "none",
            "taskPublicIps": False,
            "interfaceEndpoints": [
                "ecr.api",
                "ecr.dkr",
                "logs",
                "secretsmanager",
                "ssmmessages",
                "kms",
            ],
        },
    )
    assert "sqs" in found["network.interfaceEndpoints"]
