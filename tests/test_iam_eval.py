"""The test evaluator of IAM documents (tests/iam_eval.py) decides as IAM's documented logic
does: explicit deny first, NotAction/NotResource, missing keys, IfExists, set operators."""

from __future__ import annotations

from tests.iam_eval import allows, decide, denies, expand, within_boundary

ROLE = "arn:aws:iam::111111111111:role/shop/qa/task-1"


def _doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_an_explicit_deny_wins_over_an_allow_and_nothing_allowed_is_an_implicit_deny():
    document = _doc(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::state"},
    )
    assert decide(document, "s3:GetObject", "arn:aws:s3:::x/y") == "Allow"
    assert decide(document, "s3:DeleteBucket", "arn:aws:s3:::state") == "Deny"
    assert decide(document, "ec2:RunInstances", "*") == "ImplicitDeny"
    # actions are case-insensitive, resources are not
    assert allows(document, "S3:getobject", "arn:aws:s3:::x/y")
    assert not denies(document, "s3:DeleteBucket", "arn:aws:s3:::STATE")


def test_not_action_and_not_resource_invert_their_match():
    document = _doc(
        {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:GetObject", "NotResource": ["arn:aws:s3:::own/*"]},
    )
    assert allows(document, "ec2:DescribeVpcs")
    assert not allows(document, "iam:CreateRole", ROLE)
    assert allows(document, "s3:GetObject", "arn:aws:s3:::own/a")
    assert denies(document, "s3:GetObject", "arn:aws:s3:::other/a")


def test_a_missing_key_fails_a_positive_operator_and_passes_a_negated_one():
    document = _doc(
        {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/Environment": "qa"}},
        },
        {
            "Effect": "Deny",
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:ResourceTag/Environment": "qa"}},
        },
    )
    assert allows(document, "kms:Decrypt", context={"aws:ResourceTag/Environment": "qa"})
    assert denies(document, "kms:Decrypt", context={"aws:ResourceTag/Environment": "prod"})
    # an untagged key: StringNotEquals on a missing key is true, the deny applies
    assert denies(document, "kms:Decrypt", context={})
    # condition key names are case-insensitive
    assert allows(document, "kms:Decrypt", context={"AWS:resourcetag/Environment": "qa"})


def test_if_exists_null_and_bool():
    document = _doc(
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": "*",
            "Condition": {"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:ecs:eu-west-1:1:*"}},
        },
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"Null": {"s3:DataAccessPointArn": "false"}},
        },
        {
            "Effect": "Deny",
            "Action": "s3:PutObject",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )
    assert allows(document, "sts:AssumeRole")
    assert allows(
        document, "sts:AssumeRole", context={"aws:SourceArn": "arn:aws:ecs:eu-west-1:1:x"}
    )
    assert not allows(
        document, "sts:AssumeRole", context={"aws:SourceArn": "arn:aws:ecs:us-east-1:2:x"}
    )
    ap = "arn:aws:s3:eu-west-1:1:accesspoint/x"
    assert denies(document, "s3:GetObject", context={"s3:DataAccessPointArn": ap})
    assert not denies(document, "s3:GetObject", context={})
    assert denies(document, "s3:PutObject", context={"aws:SecureTransport": "false"})
    assert not denies(document, "s3:PutObject", context={"aws:SecureTransport": "true"})


def test_set_operators_on_multivalued_keys():
    document = _doc(
        {
            "Effect": "Deny",
            "Action": "iam:TagRole",
            "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["BoundedBy"]}},
        },
        {
            "Effect": "Allow",
            "Action": "iam:TagRole",
            "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["Project", "Team"]}},
        },
    )
    assert allows(document, "iam:TagRole", ROLE, {"aws:TagKeys": ["Project"]})
    assert denies(document, "iam:TagRole", ROLE, {"aws:TagKeys": ["Project", "BoundedBy"]})
    assert not allows(document, "iam:TagRole", ROLE, {"aws:TagKeys": ["Project", "Owner"]})


def test_a_boundary_caps_what_the_identity_policy_allows():
    identity = _doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
    boundary = _doc({"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": "*"})
    assert within_boundary(identity, boundary, "logs:PutLogEvents")
    assert not within_boundary(identity, boundary, "cloudtrail:StopLogging")


def test_expand_reads_the_catalogue_of_actions():
    found = expand(["rds:Download*"])
    assert found == {"rds:DownloadCompleteDBLogFile", "rds:DownloadDBLogFilePortion"}
    assert "sts:AssumeRoleWithWebIdentity" in expand(["sts:AssumeRole*"])
