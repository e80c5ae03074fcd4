"""A work queue between services, from its own arguments.

Creates: the SQS queue and its dead-letter queue, both encrypted (SSE-SQS: no key policy and no
KMS permission for the services to get wrong) and TLS only; a redrive policy moving a message
that failed `max_receive_count` times to the dead-letter queue, which accepts messages from this
queue only; long polling (fewer empty receives, which are billed); and an alarm when the
dead-letter queue holds anything. No role gets access here: the consumer and each sender get
their actions on this queue through `consumer_binding()` / `sender_binding()`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
from pulumi_aws import sqs

from ..bindings import Binding, allow_statement, queue_variable, statement_id
from ..errors import ConfigIssue, raise_argument_issues
from ..naming import physical_name
from ..secure_queue import (
    HOLD_SECONDS,
    holding_queue,
    messages_waiting_alarm,
    queue_tls_policy,
    tls_only_policy,
)

__all__ = [
    "DEAD_LETTER_RETENTION_SECONDS",
    "QueueAccess",
    "WorkQueue",
    "WorkQueueArgs",
    "queue_binding",
    "queue_tls_policy",
]

DEAD_LETTER_RETENTION_SECONDS = HOLD_SECONDS
"""The maximum: time to look at what failed (components/secure_queue.py)."""
RECEIVE_WAIT_SECONDS = 20
"""Long polling's maximum: a receive waits up to 20 s for a message instead of answering empty."""
CONSUMER_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
)
SENDER_ACTIONS = ("sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl")


def queue_statements(queue_arn: pulumi.Input[str], actions: Sequence[str], sid: str) -> list:
    """`actions` on one queue, in one statement named `sid`."""
    return [allow_statement(sid, actions, queue_arn)]


QueueAccess = Literal["consume", "send", "consumeAndSend"]
"""`consume`: the one service that works through the queue (receive, delete, extend
visibility); `consumeAndSend`: the same, putting work back on it too; `send`: send only."""


def queue_binding(
    logical: str,
    queue_url: pulumi.Input[str],
    queue_arn: pulumi.Input[str],
    access: QueueAccess,
) -> Binding:
    """What a service granted a queue gets: `<LOGICAL>_QUEUE_URL` and, in its task role, the
    actions of `access` on that queue alone (`WorkQueue`'s bindings, or a queue made elsewhere
    whose URL and ARN are known, outputs included)."""
    if access == "send":
        actions, sid = SENDER_ACTIONS, statement_id("QueueSend", logical)
    else:
        extra = ("sqs:SendMessage",) if access == "consumeAndSend" else ()
        actions, sid = (*CONSUMER_ACTIONS, *extra), statement_id("QueueConsume", logical)
    role = "send" if access == "send" else "consume"
    return Binding(
        name=f"queue:{logical}:{role}",
        environment={queue_variable(logical): queue_url},
        permissions=queue_statements(queue_arn, actions, sid),
    )


@dataclass(frozen=True)
class WorkQueueArgs:
    logical: str
    """The queue's name in the service graph: `<LOGICAL>_QUEUE_URL` is its variable."""
    name: str | None = field(default=None, kw_only=True)
    """Physical name of the queue (1-76 letters, digits, '-', '_'); the dead-letter queue is
    `<name>-dlq`. Default `<project>-<stack>-<component name>` (`components/naming.py`)."""
    visibility_timeout_seconds: int = 300
    """How long a received message stays hidden: longer than the consumer's processing."""
    message_retention_seconds: int = 4 * 24 * 3600
    max_receive_count: int = 5
    """Receives before a message goes to the dead-letter queue."""
    alarm_actions: Sequence[pulumi.Input[str]] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


class WorkQueue(pulumi.ComponentResource):
    queue_url: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    queue_name: pulumi.Output[str]
    dead_letter_queue_arn: pulumi.Output[str]

    def __init__(self, name: str, args: WorkQueueArgs, opts: pulumi.ResourceOptions | None = None):
        args = dataclasses.replace(args, name=physical_name(args.name, name, max_length=76))
        issues: list[ConfigIssue] = []
        if not 1 <= len(args.name) <= 76 or not all(c.isalnum() or c in "-_" for c in args.name):
            issues.append(
                ConfigIssue(
                    "name", args.name, "not an SQS queue name", "1-76 letters, digits, '-' or '_'"
                )
            )
        for path, value, low, high in (
            ("visibility_timeout_seconds", args.visibility_timeout_seconds, 0, 43200),
            ("message_retention_seconds", args.message_retention_seconds, 60, 1209600),
            ("max_receive_count", args.max_receive_count, 1, 1000),
        ):
            if not low <= value <= high:
                issues.append(
                    ConfigIssue(path, value, f"{path} must be {low} to {high}", f"{low} to {high}")
                )
        raise_argument_issues("WorkQueue", name, "WorkQueueArgs", issues)
        super().__init__("accessweaver:data:WorkQueue", name, None, opts)
        self._logical = args.logical
        child = pulumi.ResourceOptions(parent=self)
        tags = {**args.tags, "Queue": args.logical}

        dead = holding_queue(f"{name}-dlq", physical=f"{args.name}-dlq", tags=tags, opts=child)
        queue = sqs.Queue(
            f"{name}-queue",
            name=args.name,
            sqs_managed_sse_enabled=True,
            visibility_timeout_seconds=args.visibility_timeout_seconds,
            message_retention_seconds=args.message_retention_seconds,
            receive_wait_time_seconds=RECEIVE_WAIT_SECONDS,
            redrive_policy=pulumi.Output.json_dumps(
                {"deadLetterTargetArn": dead.arn, "maxReceiveCount": args.max_receive_count}
            ),
            tags=tags,
            opts=child,
        )
        sqs.RedriveAllowPolicy(
            f"{name}-dlq-allow",
            queue_url=dead.id,
            redrive_allow_policy=pulumi.Output.json_dumps(
                {"redrivePermission": "byQueue", "sourceQueueArns": [queue.arn]}
            ),
            opts=pulumi.ResourceOptions(parent=dead),
        )
        for target, resource in (("queue", queue), ("dlq", dead)):
            tls_only_policy(f"{name}-{target}-policy", resource)
        messages_waiting_alarm(
            f"{name}-dlq-alarm",
            alarm_name=f"{args.name}-dead-letters",
            description=f"Messages of {args.name} failed {args.max_receive_count} times "
            "and wait in its dead-letter queue",
            queue=dead,
            actions=args.alarm_actions,
            tags=tags,
        )

        self.queue_url = queue.url
        self.queue_arn = queue.arn
        self.queue_name = queue.name
        self.dead_letter_queue_arn = dead.arn
        self.register_outputs(
            {
                "queue_url": self.queue_url,
                "queue_arn": self.queue_arn,
                "queue_name": self.queue_name,
                "dead_letter_queue_arn": self.dead_letter_queue_arn,
            }
        )

    def consumer_binding(self, *, also_sends: bool = False) -> Binding:
        """The one service that works through the queue: receive, delete, extend visibility
        (and send, when it also puts work back on it)."""
        access: QueueAccess = "consumeAndSend" if also_sends else "consume"
        return queue_binding(self._logical, self.queue_url, self.queue_arn, access)

    def sender_binding(self) -> Binding:
        """A service that puts work on the queue: send only."""
        return queue_binding(self._logical, self.queue_url, self.queue_arn, "send")
