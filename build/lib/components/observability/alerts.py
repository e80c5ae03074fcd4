"""An alarm topic: every alarm of the program notifies it.

Creates: the SNS topic and one email subscription per address (each address must confirm once).
It exists before the services so their CPU and memory alarms can name it; the other alarms and
the dashboard live in `monitoring.py`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_aws import sns


def subscription_name(name: str, email: str) -> str:
    """Keyed by the address, not its position: reordering the list replaces nothing."""
    return f"{name}-email-{hashlib.sha256(email.lower().encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class AlertTopicArgs:
    topic_name: str
    """Physical SNS topic name (`<project>-<env>-alarms`)."""
    emails: Sequence[str] = ()
    """Addresses subscribed to the topic (each confirms once)."""
    tags: Mapping[str, str] = field(default_factory=dict)


class AlertTopic(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlertTopicArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("accessweaver:alerts:AlertTopic", name, None, opts)
        # Not encrypted with the aws/sns key: CloudWatch cannot publish to a topic under that
        # key (its policy cannot be changed); alarm messages carry no secret. See DESIGN.md.
        topic = sns.Topic(
            f"{name}-topic",
            name=args.topic_name,
            display_name=args.topic_name.replace("-alarms", " alarms"),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for email in args.emails:
            sns.TopicSubscription(
                subscription_name(name, email),
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=pulumi.ResourceOptions(parent=topic),
            )
        self.topic_arn = topic.arn
        self.register_outputs({"topic_arn": self.topic_arn})
