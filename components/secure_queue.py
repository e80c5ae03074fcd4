"""SQS queues that hold what failed, hardened once: a work queue's dead-letter queue, a
schedule's dead-letter queue, the stopped-task events of a failed job.

Each is encrypted with SSE-SQS (AWS owns the key: no key policy or KMS permission to get wrong;
EventBridge and EventBridge Scheduler deliver to it without one), keeps messages the 14 days SQS
allows, refuses every request without TLS, and alarms as soon as it holds a message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_aws import cloudwatch, sqs

HOLD_SECONDS = 14 * 24 * 3600
"""The maximum: time to look at what failed."""


def queue_tls_policy(queue_arn: str, allow: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """Refuse every request to the queue that does not use TLS; then the `allow` statements
    (a service principal's delivery, conditioned on its source)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": queue_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            *allow,
        ],
    }


def holding_queue(
    name: str, *, physical: str, tags: Mapping[str, str], opts: pulumi.ResourceOptions
) -> sqs.Queue:
    """An encrypted queue keeping its messages 14 days, named `physical`."""
    return sqs.Queue(
        name,
        name=physical,
        sqs_managed_sse_enabled=True,
        message_retention_seconds=HOLD_SECONDS,
        tags=dict(tags),
        opts=opts,
    )


def tls_only_policy(
    name: str,
    queue: sqs.Queue,
    *,
    allow: pulumi.Input[Sequence[Mapping[str, Any]]] | None = None,
) -> sqs.QueuePolicy:
    """The queue's policy: TLS only, plus `allow` (statements whose values may be outputs),
    a child of the queue."""
    if allow is None:
        document = queue.arn.apply(lambda arn: json.dumps(queue_tls_policy(arn)))
    else:
        document = pulumi.Output.all(queue.arn, allow).apply(
            lambda values: json.dumps(queue_tls_policy(values[0], values[1]))
        )
    return sqs.QueuePolicy(
        name,
        queue_url=queue.id,
        policy=document,
        opts=pulumi.ResourceOptions(parent=queue),
    )


@dataclass(frozen=True)
class CountMetric:
    """A CloudWatch metric that counts what went wrong, and the statistic to read it with."""

    namespace: str
    metric_name: str
    statistic: str


MESSAGES_VISIBLE = CountMetric("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum")
"""Messages a queue holds."""


def messages_waiting_alarm(
    name: str,
    *,
    alarm_name: str,
    description: str,
    queue: sqs.Queue,
    actions: Sequence[pulumi.Input[str]],
    tags: Mapping[str, str],
) -> cloudwatch.MetricAlarm:
    """Alarm (and OK) to `actions` while the queue holds at least one message; a child of it."""
    return at_least_one_alarm(
        name,
        MESSAGES_VISIBLE,
        {"QueueName": queue.name},
        alarm_name=alarm_name,
        description=description,
        actions=actions,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=queue),
    )


def at_least_one_alarm(
    name: str,
    metric: CountMetric,
    dimensions: Mapping[str, pulumi.Input[str]],
    *,
    alarm_name: str,
    description: str,
    actions: Sequence[pulumi.Input[str]],
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> cloudwatch.MetricAlarm:
    """Alarm (and OK) to `actions` as soon as a 5-minute `metric` of `dimensions` reaches 1 (a
    message waiting, a failed run, a failed execution); no data is no failure."""
    return cloudwatch.MetricAlarm(
        name,
        name=alarm_name,
        alarm_description=description,
        namespace=metric.namespace,
        metric_name=metric.metric_name,
        dimensions=dict(dimensions),
        statistic=metric.statistic,
        period=300,
        evaluation_periods=1,
        threshold=1,
        comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=list(actions),
        ok_actions=list(actions),
        tags=dict(tags),
        opts=opts,
    )
