"""An alarm topic: every alarm of the program notifies it.

Creates: the SNS topic and one email subscription per address (each address must confirm once).
It exists before the services so their alarms can name it; the other alarms and the dashboard
live in `monitoring.py`. Optional (`publishers`): the topic's policy, admitting CloudWatch for
the alarms named with a prefix and EventBridge for named rules of this account (a topic has one
policy document, so it is written here, where the topic is).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_aws import sns

from ..naming import physical_name


def subscription_name(name: str, email: str) -> str:
    """Keyed by the address, not its position: reordering the list replaces nothing."""
    return f"{name}-email-{hashlib.sha256(email.lower().encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class Publishers:
    """Who may publish to the topic besides the account's own principals."""

    alarm_name_prefix: str
    """CloudWatch alarms named `<prefix>-*` of this account and region."""
    event_rule_names: Sequence[str] = ()
    """EventBridge rules of this account and region (default bus) whose target is the topic."""


def topic_policy(
    topic_arn: str, publishers: Publishers, *, account_id: str, region: str
) -> dict[str, Any]:
    """sns:Publish for CloudWatch on behalf of the prefixed alarms, and for EventBridge on behalf
    of the named rules, each for this account only (the confused-deputy conditions SNS's access
    policy examples use: aws:SourceAccount, aws:SourceArn)."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "StackAlarms",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {
                "ArnLike": {
                    "aws:SourceArn": (
                        f"arn:aws:cloudwatch:{region}:{account_id}:alarm:"
                        f"{publishers.alarm_name_prefix}-*"
                    )
                },
                "StringEquals": {"aws:SourceAccount": account_id},
            },
        }
    ]
    if publishers.event_rule_names:
        statements.append(
            {
                "Sid": "StackEvents",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "ArnEquals": {
                        "aws:SourceArn": [
                            f"arn:aws:events:{region}:{account_id}:rule/{rule}"
                            for rule in publishers.event_rule_names
                        ]
                    },
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass(frozen=True)
class AlertTopicArgs:
    topic_name: str | None = None
    """Physical SNS topic name (`<project>-<env>-alarms`); default
    `<project>-<stack>-<component name>` (`components/naming.py`)."""
    emails: Sequence[str] = ()
    """Addresses subscribed to the topic (each confirms once)."""
    publishers: Publishers | None = None
    """Write the topic's policy for these publishers; None = leave the policy to the caller
    (SNS's default admits the account's own principals, CloudWatch alarms included)."""
    region: str | None = None
    """Default: the provider's `aws:region`."""
    tags: Mapping[str, str] = field(default_factory=dict)


class AlertTopic(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]
    policy: sns.TopicPolicy | None
    """The topic's policy when the component writes it: event targets wait for it."""

    def __init__(self, name: str, args: AlertTopicArgs, opts: pulumi.ResourceOptions | None = None):
        # The default name is the stack's own (two stacks never ask for the same one).
        args = dataclasses.replace(
            args, topic_name=physical_name(args.topic_name, name, max_length=256)
        )
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
        self.policy = None
        if args.publishers is not None:
            publishers = args.publishers
            region = args.region or aws.config.region
            account = aws.get_caller_identity_output().account_id
            self.policy = sns.TopicPolicy(
                f"{name}-policy",
                arn=topic.arn,
                policy=pulumi.Output.all(topic.arn, account).apply(
                    lambda v: json.dumps(
                        topic_policy(v[0], publishers, account_id=v[1], region=str(region))
                    )
                ),
                opts=pulumi.ResourceOptions(parent=topic),
            )
        self.topic_arn = topic.arn
        self.register_outputs({"topic_arn": self.topic_arn})
