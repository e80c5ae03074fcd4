"""An IAM Access Analyzer of the account (zone of trust: this account) whose findings reach an
alarm topic of the bootstrap.

No condition of the deploy role's policy can see a trust policy's principals (CreateRole and
UpdateAssumeRolePolicy carry no condition key for them), so a role of the program trusting
another account cannot be refused there; the analyzer reports it instead: it reads every
role's trust policy and every supported resource policy (S3 buckets, KMS keys, SQS queues,
Secrets Manager secrets, SNS topics, ...) and opens an `ACTIVE` finding for each principal
outside the zone of trust (IAM user guide, "Using AWS IAM Access Analyzer", "Resource types
for external access"). EventBridge receives each finding as an `Access Analyzer Finding` event
from `aws.access-analyzer` (IAM user guide, "Monitoring AWS IAM Access Analyzer with Amazon
EventBridge"); a rule sends the active ones to the topic. The names are fixed
(`policies.security_alarm_names`): the deploy role may not touch them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from pulumi_aws import accessanalyzer, cloudwatch, sns

from ..observability.alerts import AlertTopic, AlertTopicArgs
from .policies import security_alarm_names

FINDING_PATTERN = {
    "source": ["aws.access-analyzer"],
    "detail-type": ["Access Analyzer Finding"],
    "detail": {"status": ["ACTIVE"]},
}


def topic_policy(topic_arn: str, rule_arn: str, account_id: str) -> dict:
    """EventBridge may publish to the topic for this rule of this account only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccessFindings",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": rule_arn},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            }
        ],
    }


@dataclass(frozen=True)
class AccessAlarmsArgs:
    project: str
    environment: str
    emails: Sequence[str] = ()
    """Addresses the topic notifies (each confirms its subscription once)."""
    tags: Mapping[str, str] = field(default_factory=dict)


class AccessAlarms(pulumi.ComponentResource):
    analyzer_arn: pulumi.Output[str]
    topic_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: AccessAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("accessweaver:bootstrap:AccessAlarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        names = security_alarm_names(args.project, args.environment)
        tags = dict(args.tags)
        analyzer = accessanalyzer.Analyzer(
            f"{name}-analyzer",
            analyzer_name=names["analyzer"],
            type="ACCOUNT",
            tags=tags,
            opts=child,
        )
        topic = AlertTopic(
            f"{name}-alarms",
            AlertTopicArgs(topic_name=names["topic"], emails=args.emails, tags=tags),
            opts=child,
        )
        rule = cloudwatch.EventRule(
            f"{name}-findings",
            name=names["rule"],
            description="IAM Access Analyzer: a resource of the account is reachable from outside",
            event_pattern=json.dumps(FINDING_PATTERN),
            tags=tags,
            opts=child,
        )
        account = aws.get_caller_identity_output().account_id
        allowed = sns.TopicPolicy(
            f"{name}-alarms-policy",
            arn=topic.topic_arn,
            policy=pulumi.Output.all(topic.topic_arn, rule.arn, account).apply(
                lambda v: json.dumps(topic_policy(v[0], v[1], v[2]))
            ),
            opts=child,
        )
        cloudwatch.EventTarget(
            f"{name}-findings-target",
            rule=rule.name,
            arn=topic.topic_arn,
            opts=pulumi.ResourceOptions(parent=rule, depends_on=[allowed]),
        )
        self.analyzer_arn = analyzer.arn
        self.topic_arn = topic.topic_arn
        self.register_outputs({"analyzer_arn": self.analyzer_arn, "topic_arn": self.topic_arn})
