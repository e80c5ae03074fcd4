"""The red team's findings on the boundary and the closed doors (issue 19, parts 2 and 5), each
as a request evaluated against the bootstrap's planned policies (tests/iam_eval.py) or a plan
read: a role of the program given `*` by the deploy role, a pull request's preview, the deploy
role adopting a key, a request through an access point.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from accessweaver_components.bootstrap.boundary import MANAGED_POLICY_STATEMENTS, boundary_policy
from accessweaver_components.bootstrap.data_reads import DATA_READS
from accessweaver_components.service_trust import trust_problems
from tests.conftest import STACKS
from tests.iam_eval import allows, denies, expand, within_boundary
from tests.resource_types import ROLE
from tests.test_bootstrap import STATE_BUCKET, bootstrap, boundary_of, role_policy

WIDE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
"""What the deploy role could write into a role of the program: everything."""
ACCOUNT = "333333333333"
BUCKET = f"arn:aws:s3:::{STATE_BUCKET}"


def _own(project: str = "accessweaver", environment: str = "prod") -> dict[str, str]:
    return {"aws:ResourceTag/Project": project, "aws:ResourceTag/Environment": environment}


def _boundary(stack: str = "prod") -> dict[str, Any]:
    return json.loads(boundary_of(bootstrap(stack)).inputs["policy"])


def _granted(result) -> set[tuple[str, str]]:
    """(action, resource) of every statement of every role policy and attached managed policy
    of a plan."""
    found: set[tuple[str, str]] = set()
    for policy in result.of_type("aws:iam/rolePolicy:RolePolicy"):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            actions = statement["Action"]
            resources = statement["Resource"]
            for action in [actions] if isinstance(actions, str) else actions:
                for resource in [resources] if isinstance(resources, str) else resources:
                    found.add((action, resource))
    for attachment in result.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        for actions, resources in MANAGED_POLICY_STATEMENTS[attachment.inputs["policyArn"]]:
            found |= {(a, r) for a in actions for r in resources}
    return found


def _plans(plan):
    from tests.test_ca_a2a import ca_a2a
    from tests.test_tasks import prod as with_tasks

    for stack in STACKS:
        yield "accessweaver", stack, plan(stack)
    for stack in ("dev", "prod"):
        yield "ca-a2a", stack, ca_a2a(stack)
    # prod with a scheduled task and a migration task (tests/test_tasks.py)
    yield "accessweaver", "prod", with_tasks()


def _list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _context(project: str, stack: str, action: str) -> dict[str, Any]:
    """The request a role of the program makes: on its environment's keys; passing the
    stack's bounded roles to ECS tasks."""
    context: dict[str, Any] = _own(project, stack)
    if action == "iam:PassRole":
        context["iam:PassedToService"] = "ecs-tasks.amazonaws.com"
        context["aws:ResourceTag/PermissionsBoundary"] = f"{project}-{stack}-boundary"
    return context


# -- part 2: a boundary no wider than the deploy role ----------------------------------------


def test_the_boundary_allows_every_action_the_committed_plans_give_their_roles(plan):
    """The union of every role policy and attached managed policy of every committed plan
    (AccessWeaver dev/staging/prod, CA-A2A dev/prod) passes the boundary of its environment."""
    checked = 0
    for project, stack, result in _plans(plan):
        boundary = boundary_policy(
            project=project,
            environment=stack,
            secrets_key_arn=f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/boot",
            state_bucket_arn=BUCKET,
        )
        refused = [
            (action, resource)
            for action, resource in sorted(_granted(result))
            if not allows(boundary, action, resource, _context(project, stack, action))
        ]
        assert refused == [], (project, stack)
        checked += len(_granted(result))
    assert checked > 100


def test_the_boundary_allows_nothing_the_deploy_role_cannot_do():
    for stack in STACKS:
        deploy = role_policy(bootstrap(stack), "deploy")
        boundary = _boundary(stack)
        beyond, checked = [], 0
        for statement in boundary["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            # the statement's own conditions are the request's (StringEquals values)
            context = {
                **_own(environment=stack),
                **(statement.get("Condition") or {}).get("StringEquals", {}),
            }
            for action in expand(_list(statement["Action"])):
                # a merged statement (compact_statements) pairs an action with the resources
                # of its own service only: the test below checks that is what IAM does
                for resource in _own_service(action, _list(statement["Resource"])):
                    if not allows(deploy, action, resource, context):
                        beyond.append((action, resource))
                    checked += 1
        assert beyond == [], stack
        assert checked > 60


def _service(arn_or_action: str) -> str:
    return arn_or_action.split(":")[2 if arn_or_action.startswith("arn:") else 0]


def _own_service(action: str, resources: list[str]) -> list[str]:
    return [r for r in resources if r == "*" or _service(r) == _service(action)]


def test_every_action_the_boundary_merges_is_authorized_on_its_own_services_arns_only():
    """compact_statements merges statements of disjoint services into one: exact only if no
    action of a merged statement is authorized against a resource of the statement that is
    another service's (Service Authorization Reference, parliament's copy: each resource type
    an action names, and its ARN format)."""
    from parliament import iam_definition

    formats = {
        (service["prefix"], resource["resource"]): resource["arn"]
        for service in iam_definition
        for resource in service["resources"]
    }
    boundary = _boundary("prod")
    checked, foreign = 0, []
    for statement in boundary["Statement"]:
        if statement["Effect"] != "Allow" or statement.get("Resource") == "*":
            continue
        for action in expand(_list(statement["Action"])):
            prefix, name = action.split(":")
            kinds = {
                kind["resource_type"].rstrip("*")
                for s in iam_definition
                if s["prefix"] == prefix
                for p in s["privileges"]
                if p["privilege"] == name
                for kind in p["resource_types"]
            }
            for resource in sorted(kinds - {""}):
                arn = formats[(prefix, resource)]
                checked += 1
                service, kind = arn.split(":")[2], arn.split(":", 5)[5].split("$")[0]
                # another service's ARN (ssm:AddTagsToResource tags EC2 instances and ECS
                # tasks): no resource of the statement may be of that service and kind
                foreign += [
                    (action, arn, r)
                    for r in _list(statement["Resource"])
                    if service != prefix
                    and _service(r) == service
                    and r.split(":", 5)[5].startswith(kind)
                ]
        # each resource names a service of the statement's actions
        services = {_service(a) for a in _list(statement["Action"])}
        assert {_service(r) for r in _list(statement["Resource"])} <= services
    assert foreign == [] and checked > 40
    # merging kept every (action, resource) pair of roles_use and added none of one service
    from accessweaver_components.bootstrap.boundary import roles_use

    def pairs(statements) -> set[tuple[str, str]]:
        return {
            (a, r)
            for s in statements
            for a in _list(s["Action"])
            for r in _own_service(a, _list(s["Resource"]))
        }

    separate = [
        {"Action": list(actions), "Resource": list(resources)}
        for _, actions, resources in roles_use("accessweaver", "prod")
    ]
    merged = [s for s in boundary["Statement"] if s["Effect"] == "Allow" and "Condition" not in s]
    assert pairs(merged) == pairs(separate)


def test_a_role_given_everything_still_cannot_leave_the_boundary():
    boundary = _boundary("prod")
    own_key = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
    refused = [
        ("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/Admin", {}),
        ("sts:AssumeRoleWithWebIdentity", "*", {}),
        ("cloudtrail:StopLogging", "*", {}),
        ("cloudtrail:DeleteTrail", "*", {}),
        ("guardduty:DeleteDetector", "*", {}),
        ("config:StopConfigurationRecorder", "*", {}),
        ("securityhub:DisableSecurityHub", "*", {}),
        ("access-analyzer:DeleteAnalyzer", "*", {}),
        ("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/accessweaver/prod/x", {}),
        ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/Admin", {}),
        ("organizations:LeaveOrganization", "*", {}),
        ("lambda:CreateFunction", "*", {}),
        ("ec2:RunInstances", "*", {}),
        # keys of another environment, untagged keys, the bootstrap's own
        ("kms:Decrypt", own_key, _own(environment="staging")),
        ("kms:Decrypt", own_key, {}),
        ("kms:ScheduleKeyDeletion", own_key, _own()),
        # the state, directly and through an access point
        ("s3:GetObject", f"{BUCKET}/.pulumi/stacks/accessweaver/prod.json", {}),
        (
            "s3:GetObject",
            f"arn:aws:s3:eu-west-1:{ACCOUNT}:accesspoint/x/object/.pulumi/stacks/a/prod.json",
            {"s3:DataAccessPointArn": f"arn:aws:s3:eu-west-1:{ACCOUNT}:accesspoint/x"},
        ),
    ]
    for action, resource, context in refused:
        assert not within_boundary(WIDE, boundary, action, resource, context), action
    # what the program's roles do still works
    assert within_boundary(
        WIDE,
        boundary,
        "logs:PutLogEvents",
        "arn:aws:logs:eu-west-1:1:log-group:/ecs/x:log-stream:y",
    )
    assert within_boundary(WIDE, boundary, "kms:Decrypt", own_key, _own())
    # Secrets Manager decrypting the RDS-managed secret with its AWS managed key
    assert within_boundary(
        WIDE,
        boundary,
        "kms:Decrypt",
        f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/aws-managed",
        {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"},
    )


def test_the_deploy_role_creates_edits_and_passes_only_roles_carrying_the_boundary():
    deploy = role_policy(bootstrap("prod"), "deploy")
    boundary = bootstrap("prod").outputs["permissions_boundary_arn"]
    role = f"arn:aws:iam::{ACCOUNT}:role/accessweaver/prod/task-1"
    tags = {"aws:RequestTag/Project": "accessweaver", "aws:RequestTag/Environment": "prod"}
    marker = {"aws:RequestTag/PermissionsBoundary": "accessweaver-prod-boundary"}
    keys = {"aws:TagKeys": ["Project", "Environment", "PermissionsBoundary"]}
    create = {**tags, **marker, **keys, "iam:PermissionsBoundary": boundary}
    assert allows(deploy, "iam:CreateRole", role, create)
    assert allows(deploy, "iam:TagRole", role, {**tags, **marker, **keys}) is False
    for missing in ("iam:PermissionsBoundary", "aws:RequestTag/PermissionsBoundary"):
        assert not allows(
            deploy, "iam:CreateRole", role, {k: v for k, v in create.items() if k != missing}
        )
    other = {**create, "iam:PermissionsBoundary": boundary.replace("prod-boundary", "x")}
    assert not allows(deploy, "iam:CreateRole", role, other)
    # edits that carry the role's boundary: only with the bootstrap's
    for action in ("iam:PutRolePolicy", "iam:DeleteRolePolicy"):
        assert allows(deploy, action, role, {"iam:PermissionsBoundary": boundary})
        assert not allows(deploy, action, role, {})
    # edits and passing that carry no boundary: only roles with the boundary's tag
    bounded = {**_own(), "aws:ResourceTag/PermissionsBoundary": "accessweaver-prod-boundary"}
    passed = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    for action, context in (
        ("iam:UpdateAssumeRolePolicy", {}),
        ("iam:DeleteRole", {}),
        ("iam:PassRole", passed),
    ):
        assert allows(deploy, action, role, {**bounded, **context}), action
        assert not allows(deploy, action, role, {**_own(), **context}), action
    # the tag is never added to nor removed from a role that exists
    for action in ("iam:TagRole", "iam:UntagRole"):
        assert denies(deploy, action, role, {**bounded, "aws:TagKeys": ["PermissionsBoundary"]})
    assert allows(deploy, "iam:TagRole", role, {**bounded, **tags, "aws:TagKeys": ["Project"]})


# -- part 5: closed doors --------------------------------------------------------------------


def test_a_key_the_deploy_role_did_not_create_cannot_be_tagged_into_its_scope():
    for stack in STACKS:
        deploy = role_policy(bootstrap(stack), "deploy")
        request = {
            "aws:RequestTag/Project": "accessweaver",
            "aws:RequestTag/Environment": stack,
            "aws:TagKeys": ["Project", "Environment"],
        }
        foreign = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/7d1e2c3b-4a5f-4e6d-8c7b-9a0f1e2d3c4b"
        for tags in ({}, {"aws:ResourceTag/Environment": "other", "aws:ResourceTag/Project": "x"}):
            assert not allows(deploy, "kms:TagResource", foreign, {**request, **tags}), tags
            assert not allows(deploy, "kms:PutKeyPolicy", foreign, tags)
        # its own keys keep their tags up to date; CreateKey tags the new key
        assert allows(deploy, "kms:TagResource", foreign, {**request, **_own(environment=stack)})
        assert allows(deploy, "kms:CreateKey", "*", request)
        assert allows(deploy, "kms:TagResource", "*", request)


@pytest.mark.parametrize("role", ["deploy", "preview", "drift"])
def test_no_role_reaches_the_state_through_an_access_point(role):
    for stack in STACKS:
        document = role_policy(bootstrap(stack), role)
        point = f"arn:aws:s3:eu-west-1:{ACCOUNT}:accesspoint/state"
        for target in ("prod", "dev", "accessweaver-bootstrap"):
            arn = f"{point}/object/.pulumi/stacks/accessweaver/{target}.json"
            assert denies(document, "s3:GetObject", arn, {"s3:DataAccessPointArn": point})
    (policy,) = [
        p
        for p in bootstrap("prod").of_type("aws:s3/bucketPolicy:BucketPolicy")
        if "state-policy" in p.name
    ]
    bucket_policy = json.loads(policy.inputs["policy"])
    assert denies(bucket_policy, "s3:GetObject", f"{BUCKET}/x", {"s3:DataAccessPointArn": "a"})


def test_the_preview_role_denies_every_data_read_of_the_catalogue():
    # the committed list is the catalogue's (regenerate with `python -m tools.data_reads`)
    from tools.data_reads import TARGET, data_reads, render

    assert TARGET.read_text() == render()
    assert data_reads() == DATA_READS
    known = {
        "rds:DownloadCompleteDBLogFile",
        "rds:DownloadDBLogFilePortion",
        "secretsmanager:GetSecretValue",
        "secretsmanager:BatchGetSecretValue",
        "ssm:GetParameter",
        "logs:GetLogEvents",
        "logs:StartLiveTail",
        "s3:GetObject",
        "sqs:ReceiveMessage",
        "lambda:GetFunction",
        "states:GetExecutionHistory",
        "dynamodb:Scan",
    }
    assert known <= set(DATA_READS)
    for stack in STACKS:
        preview = role_policy(bootstrap(stack), "preview")
        escaped = [
            action
            for action in DATA_READS
            if not denies(preview, action, f"arn:aws:x:eu-west-1:{ACCOUNT}:data/other")
        ]
        assert escaped == [], stack


@pytest.mark.parametrize("role", ["preview", "drift"])
def test_previews_write_no_lock_nor_any_object(role):
    """`pulumi preview` (with or without --refresh) takes no lock on the DIY backend."""
    for stack in STACKS:
        document = role_policy(bootstrap(stack), role)
        lock = f"{BUCKET}/.pulumi/locks/organization/accessweaver/{stack}/1.json"
        for action in ("s3:PutObject", "s3:DeleteObject"):
            assert not allows(document, action, lock), (stack, action)


def test_every_service_trust_of_the_plans_names_its_source_account_and_resource(plan):
    checked = 0
    for _, _, result in _plans(plan):
        for role in result.of_type(ROLE):
            trust = json.loads(role.inputs["assumeRolePolicy"])
            assert trust_problems(trust) == [], role.name
            checked += 1
    assert checked > 20


def test_the_state_key_serves_the_state_bucket_only_in_every_account():
    for stack in STACKS:
        for role in ("deploy", "preview", "drift"):
            document = role_policy(bootstrap(stack), role)
            keys = [s for s in document["Statement"] if s.get("Sid") == "StateKey"]
            if not keys:
                continue  # prod's state key is its own account's (IAM-governed)
            (key,) = keys
            arn = key["Resource"]
            assert allows(
                document, "kms:Decrypt", arn, {"kms:EncryptionContext:aws:s3:arn": BUCKET}
            )
            assert not allows(
                document, "kms:Decrypt", arn, {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::x"}
            )
    (key,) = [
        k
        for k in bootstrap("prod").of_type("aws:kms/key:Key")
        if k.name == "accessweaver-state-key"
    ]
    policy = json.loads(key.inputs["policy"])
    (through_s3,) = [s for s in policy["Statement"] if s["Sid"] == "EnvironmentAccountsThroughS3"]
    context = {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    assert allows(
        policy, "kms:Decrypt", "*", {**context, "kms:EncryptionContext:aws:s3:arn": BUCKET}
    )
    assert not allows(
        {"Statement": [through_s3]},
        "kms:Decrypt",
        "*",
        {**context, "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::other"},
    )


def test_an_access_analyzer_reports_a_role_trusting_another_account_in_every_account():
    for stack in STACKS:
        result = bootstrap(stack)
        (analyzer,) = result.of_type("aws:accessanalyzer/analyzer:Analyzer")
        assert analyzer.inputs["type"] == "ACCOUNT"
        (rule,) = result.of_type("aws:cloudwatch/eventRule:EventRule")
        pattern = json.loads(rule.inputs["eventPattern"])
        assert pattern["source"] == ["aws.access-analyzer"]
        (target,) = result.of_type("aws:cloudwatch/eventTarget:EventTarget")
        assert "security-alarms" in target.inputs["arn"] or target.inputs["arn"]
        assert result.outputs["security_alarm_topic_arn"]
        # and the deploy role may not silence it
        deploy = role_policy(result, "deploy")
        for action, arn in (
            (
                "access-analyzer:DeleteAnalyzer",
                f"arn:aws:access-analyzer:eu-west-1:{ACCOUNT}:analyzer/accessweaver-{stack}-account",
            ),
            (
                "events:DisableRule",
                f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/accessweaver-{stack}-access-findings",
            ),
            (
                "sns:DeleteTopic",
                f"arn:aws:sns:eu-west-1:{ACCOUNT}:accessweaver-{stack}-security-alarms",
            ),
        ):
            assert denies(deploy, action, arn), action


def test_a_stack_with_both_a_boundary_and_an_opt_out_is_refused():
    from accessweaver_components.errors import ConfigError
    from tests.test_accounts import committed, load

    _, allowed = committed("staging")
    with pytest.raises(ConfigError) as caught:
        load("staging", allowed, permissionsBoundaryOptOut="not deployed by the bootstrap here")
    assert [i.path for i in caught.value.issues] == ["permissionsBoundaryOptOut"]
