"""The stack's alarm topic (`alarms.enabled`): every alarm of the program notifies it.

Creates: the SNS topic `<project>-<env>-alarms` and one email subscription per address in
`alarms.emails` (each address must confirm once). It exists before the services so their CPU and
memory alarms can name it; the other alarms and the dashboard live in `monitoring.py`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pulumi
from pulumi_aws import sns

from ..stack.settings import StackSettings


def subscription_name(name: str, email: str) -> str:
    """Keyed by the address, not its position: reordering the list replaces nothing."""
    return f"{name}-email-{hashlib.sha256(email.lower().encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class AlertTopicArgs:
    settings: StackSettings


class AlertTopic(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlertTopicArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("accessweaver:alerts:AlertTopic", name, None, opts)
        settings = args.settings
        alarms = settings.platform.alarms
        if alarms is None:
            raise ValueError("AlertTopic needs settings.platform.alarms (alarms.enabled)")
        # Not encrypted with the aws/sns key: CloudWatch cannot publish to a topic under that
        # key (its policy cannot be changed); alarm messages carry no secret. See DESIGN.md.
        topic = sns.Topic(
            f"{name}-topic",
            name=f"{settings.name_prefix}-alarms",
            display_name=f"{settings.name_prefix} alarms",
            tags=dict(settings.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for email in alarms.emails:
            sns.TopicSubscription(
                subscription_name(name, email),
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=pulumi.ResourceOptions(parent=topic),
            )
        self.topic_arn = topic.arn
        self.register_outputs({"topic_arn": self.topic_arn})
