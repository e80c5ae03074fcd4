"""The plan diff (tools/plan_diff.py) on hand-made plans and a hand-written `pulumi stack export`,
and the provider replacement rules it reads (tools/force_new.json) against the pinned SDKs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.resource_types import DB, QUEUE, SG
from tools import plan_diff
from tools.plan_diff import Previous, Resource, compare, load_previous, load_rules
from tools.provider_inputs import _alternatives, _fields, _resource_class

STACK = "urn:pulumi:dev::app::"
PASSWORD = "random:index/randomPassword:RandomPassword"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


def urn(type_: str, name: str, parents: str = "") -> str:
    return f"{STACK}{parents + '$' if parents else ''}{type_}::{name}"


def res(type_: str, name: str, inputs: dict[str, Any] | None = None, **kwargs) -> Resource:
    parents = kwargs.pop("parents", "")
    return Resource(urn(type_, name, parents), type_, inputs=inputs or {}, **kwargs)


def previous(*resources: Resource) -> Previous:
    return Previous("plan", "dev", "app", resources)


def ops(diff: plan_diff.Diff) -> dict[str, str]:
    return {c.name: c.op for c in diff.changes}


def change(diff: plan_diff.Diff, name: str) -> plan_diff.Change:
    (found,) = [c for c in diff.changes if c.name == name]
    return found


# -------------------------------------------------------------------------------------------
# Replacement follows the provider's rules
# -------------------------------------------------------------------------------------------


def test_a_new_queue_name_replaces_the_queue_and_is_destructive():
    diff = compare(
        previous(res(QUEUE, "jobs", {"name": "jobs-a", "delaySeconds": 0})),
        [res(QUEUE, "jobs", {"name": "jobs-b", "delaySeconds": 0})],
    )
    jobs = change(diff, "jobs")
    assert (jobs.op, jobs.replace_reasons, jobs.destructive) == ("replace", ("name",), True)


def test_an_in_place_change_of_a_queue_is_an_update():
    diff = compare(
        previous(res(QUEUE, "jobs", {"name": "jobs", "delaySeconds": 0})),
        [res(QUEUE, "jobs", {"name": "jobs", "delaySeconds": 5})],
    )
    assert change(diff, "jobs").op == "update" and not diff.destructive


def test_a_migration_runs_new_module_path_is_no_update_but_a_new_task_definition_is():
    # the serialized provider names its module: the import rename changed it, nothing else
    run = "pulumi-python:dynamic/accessweaver:MigrationRun"
    before = {"__provider": "old-module", "task_definition": "app:1"}
    moved = compare(previous(res(run, "setup", before)),
                    [res(run, "setup", {**before, "__provider": "new-module"})])  # fmt: skip
    assert change(moved, "setup").op == "same"
    rerun = compare(previous(res(run, "setup", before)),
                    [res(run, "setup", {**before, "task_definition": "app:2"})])  # fmt: skip
    assert change(rerun, "setup").op == "update"


def test_the_database_is_replaced_by_a_new_db_name_not_by_a_new_identifier():
    """The provider renames an instance in place (ModifyDBInstance NewDBInstanceIdentifier) and
    moves it to another subnet group in place; a new database name needs a new instance."""
    old = {"identifier": "app-db", "dbName": "app", "dbSubnetGroupName": "a"}
    renamed = compare(
        previous(res(DB, "db", old)),
        [res(DB, "db", {**old, "identifier": "app-db2", "dbSubnetGroupName": "b"})],
    )
    assert change(renamed, "db").op == "update" and not renamed.destructive
    rebuilt = compare(previous(res(DB, "db", old)), [res(DB, "db", {**old, "dbName": "other"})])
    assert change(rebuilt, "db").replace_reasons == ("dbName",)
    assert [c.name for c in rebuilt.destructive] == ["db"]


def test_a_nested_replacing_path_only_replaces_when_its_own_value_changes():
    service = "aws:servicediscovery/service:Service"
    old = {"name": "api", "dnsConfig": {"dnsRecords": [{"ttl": 10, "type": "A"}]}}
    ttl = {"name": "api", "dnsConfig": {"dnsRecords": [{"ttl": 60, "type": "A"}]}}
    kind = {"name": "api", "dnsConfig": {"dnsRecords": [{"ttl": 10, "type": "SRV"}]}}
    before = previous(res(service, "api", old))
    assert change(compare(before, [res(service, "api", ttl)]), "api").op == "update"
    replaced = change(compare(before, [res(service, "api", kind)]), "api")
    assert replaced.replace_reasons == ("dnsConfig.dnsRecords.type",)


@pytest.mark.parametrize(
    ("type_", "before", "after", "op"),
    [
        # customizeDiffEngineVersionForceNewOnDowngrade
        ("aws:elasticache/replicationGroup:ReplicationGroup", {"engineVersion": "7.1"},
         {"engineVersion": "7.0"}, "replace"),
        ("aws:elasticache/replicationGroup:ReplicationGroup", {"engineVersion": "7.0"},
         {"engineVersion": "7.1"}, "update"),
        # customdiff.ForceNewIfChange on tier: Advanced -> Standard only
        ("aws:ssm/parameter:Parameter", {"name": "/p", "tier": "Advanced"},
         {"name": "/p", "tier": "Standard"}, "replace"),
        ("aws:ssm/parameter:Parameter", {"name": "/p", "tier": "Standard"},
         {"name": "/p", "tier": "Advanced"}, "update"),
        # RequiresReplaceIf on engine: redis <-> valkey is in place
        ("aws:elasticache/serverlessCache:ServerlessCache", {"engine": "redis"},
         {"engine": "valkey"}, "update"),
        ("aws:elasticache/serverlessCache:ServerlessCache", {"engine": "valkey",
         "majorEngineVersion": "8"}, {"engine": "valkey", "majorEngineVersion": "7"}, "replace"),
        # A rule moving to another kind of peer is replaced, a new CIDR is not.
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", {"cidrIpv4": "10.0.0.0/8"},
         {"cidrIpv4": "10.1.0.0/16"}, "update"),
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", {"cidrIpv4": "10.0.0.0/8"},
         {"prefixListId": "pl-0123"}, "replace"),
    ],
)  # fmt: skip
def test_value_dependent_replacements(type_, before, after, op):
    diff = compare(previous(res(type_, "r", before)), [res(type_, "r", after)])
    assert change(diff, "r").op == op


def test_a_type_without_rules_counts_as_replaced_when_it_is_guarded():
    table = "aws:dynamodb/table:Table"  # guarded, not in force_new.json
    diff = compare(previous(res(table, "t", {"a": 1})), [res(table, "t", {"a": 2})], rules={})
    assert change(diff, "t").op == "replace" and "force_new.json" in change(diff, "t").note


# -------------------------------------------------------------------------------------------
# What is not a change
# -------------------------------------------------------------------------------------------


def test_ignore_changes_are_not_compared():
    service = "aws:ecs/service:Service"
    diff = compare(
        previous(res(service, "api", {"name": "api", "desiredCount": 3})),
        [res(service, "api", {"name": "api", "desiredCount": 1}, ignore_changes=("desiredCount",))],
    )
    assert change(diff, "api").op == "same"


def test_provider_defaults_and_masked_secrets_are_no_changes():
    old = {
        "name": "jobs",
        "delaySeconds": 0,
        "tags": {"Env": "dev", "__defaults": []},
        "tagsAll": {"Env": "dev", "Team": "platform"},
        "policy": {**SECRET_SIG, "ciphertext": "AAAA"},
        "__defaults": ["delaySeconds"],
    }
    diff = compare(
        load_previous({"version": 3, "deployment": {"resources": [
            {"urn": urn(QUEUE, "jobs"), "type": QUEUE, "custom": True, "inputs": old}]}}),
        [res(QUEUE, "jobs", {"name": "jobs", "tags": {"Env": "dev"}, "policy": "[secret]"})],
    )  # fmt: skip
    assert change(diff, "jobs").op == "same"


def test_a_value_secret_on_one_side_only_is_not_compared():
    """Offline, a secret's value is not readable: whether it changed along with its secrecy is
    not something the plan can tell, so it shows no change (a real preview does)."""
    diff = compare(
        previous(res(QUEUE, "jobs", {"name": "jobs", "policy": '{"Version": "2012-10-17"}'})),
        [res(QUEUE, "jobs", {"name": "jobs", "policy": "[secret]"})],
    )
    assert change(diff, "jobs").op == "same"


def test_the_secret_signature_is_the_sdks():
    from pulumi.runtime import rpc

    assert {rpc._special_sig_key: rpc._special_secret_sig} == SECRET_SIG
    assert {plan_diff._SECRET_SIG_KEY: plan_diff._SECRET_SIG} == SECRET_SIG


def test_a_default_the_program_now_sets_to_another_value_is_a_change():
    old = {"name": "jobs", "delaySeconds": 0, "__defaults": ["delaySeconds"]}
    now = {**old, "delaySeconds": 9}
    diff = compare(previous(res(QUEUE, "jobs", old)), [res(QUEUE, "jobs", now)])
    assert change(diff, "jobs").keys == ("delaySeconds",)


# -------------------------------------------------------------------------------------------
# Inputs made of other resources' outputs
# -------------------------------------------------------------------------------------------


def _secret_pair(length: int, secret_id: str) -> list[Resource]:
    password = res(PASSWORD, "pw", {"length": length, "special": False})
    secret = res(SECRET, "s", {"name": "app/s"})
    version = res(
        VERSION,
        "v",
        {"secretString": "[secret]", "secretId": secret_id},
        dependencies={"secretString": (password.urn,), "secretId": (secret.urn,)},
    )
    return [password, secret, version]


def test_dependency_derived_inputs_compare_through_their_dependencies():
    """A real ARN in the state, a mock ARN offline: the same resource, so no change."""
    real = _secret_pair(64, "arn:aws:secretsmanager:eu-west-1:111111111111:secret:app/s-Xy12Ab")
    mock = _secret_pair(64, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/s-b3069c")
    diff = compare(previous(*real), mock)
    assert set(ops(diff).values()) == {"same"}


def test_a_regenerated_password_replaces_the_secret_version_that_holds_it():
    diff = compare(previous(*_secret_pair(48, "arn")), _secret_pair(64, "arn"))
    assert change(diff, "pw").replace_reasons == ("length",)
    version = change(diff, "v")
    # Its value is unknown until the new password exists; secretString forces a new version.
    assert (version.op, version.unknown, version.replace_reasons) == (
        "replace",
        ("secretString",),
        ("secretString",),
    )
    assert {c.name for c in diff.destructive} == {"pw", "v"}


def test_an_input_pointing_at_another_resource_changes():
    a, b = res(QUEUE, "a", {"name": "a"}), res(QUEUE, "b", {"name": "b"})
    policy = "aws:sqs/queuePolicy:QueuePolicy"
    before = res(policy, "p", {"queueUrl": "https://a"}, dependencies={"queueUrl": (a.urn,)})
    after = res(policy, "p", {"queueUrl": "https://b"}, dependencies={"queueUrl": (b.urn,)})
    diff = compare(previous(a, b, before), [a, b, after])
    assert change(diff, "p").replace_reasons == ("queueUrl",)


# -------------------------------------------------------------------------------------------
# Matching by URN and aliases
# -------------------------------------------------------------------------------------------


def test_a_rename_that_carries_an_alias_is_the_same_resource():
    old_queue = res(QUEUE, "old-jobs", {"name": "jobs"})
    policy = "aws:sqs/queuePolicy:QueuePolicy"
    old_policy = res(policy, "p", {"queueUrl": "u"}, dependencies={"queueUrl": (old_queue.urn,)})
    queue = res(QUEUE, "jobs", {"name": "jobs"}, aliases=(old_queue.urn,))
    new_policy = res(policy, "p", {"queueUrl": "u"}, dependencies={"queueUrl": (queue.urn,)})
    diff = compare(previous(old_queue, old_policy), [queue, new_policy])
    assert ops(diff) == {"jobs": "same", "p": "same"}
    assert change(diff, "jobs").previous_urn == old_queue.urn
    # Without the alias the queue is deleted and another one created.
    bare = compare(previous(old_queue, old_policy), [res(QUEUE, "jobs", {"name": "jobs"})])
    assert ops(bare) == {"jobs": "create", "old-jobs": "delete", "p": "delete"}
    assert [c.name for c in bare.destructive] == ["old-jobs"]


# -------------------------------------------------------------------------------------------
# A hand-written `pulumi stack export`
# -------------------------------------------------------------------------------------------

VPC = "awsx:ec2:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
LOG = "aws:cloudwatch/logGroup:LogGroup"
PROVIDER = "urn:pulumi:dev::app::pulumi:providers:aws::default_7_51_1"
REAL_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:app/jwt-AbCdEf"

EXPORT: dict[str, Any] = {
    "version": 3,
    "deployment": {
        "manifest": {"time": "2026-01-05T10:00:00Z", "magic": "x", "version": "v3.272.0"},
        "secrets_providers": {"type": "service", "state": {"url": "https://api.pulumi.com"}},
        "resources": [
            {"urn": "urn:pulumi:dev::app::pulumi:pulumi:Stack::app-dev", "custom": False,
             "type": "pulumi:pulumi:Stack", "outputs": {}},
            {"urn": PROVIDER, "custom": True, "id": "5e2c1a44-7b0e-4a8f-9c1d-0f3e2b1a6d55",
             "type": "pulumi:providers:aws", "inputs": {"region": "eu-west-1"}},
            {"urn": "urn:pulumi:dev::app::pulumi:providers:random::default_4_21_4",
             "custom": True, "id": "0b7e5a66-1c2d-4e3f-8a9b-7c6d5e4f3a21",
             "type": "pulumi:providers:random"},
            {"urn": urn(VPC, "net"), "custom": False, "type": VPC,
             "outputs": {"vpcId": "vpc-0a1b2c3d4e5f60718"}},
            # awsx's own children: invisible to the offline engine.
            {"urn": urn(SUBNET, "net-private-1", VPC), "custom": True, "type": SUBNET,
             "id": "subnet-0f1e2d3c4b5a69788", "parent": urn(VPC, "net"),
             "inputs": {"cidrBlock": "10.0.0.0/19", "vpcId": "vpc-0a1b2c3d4e5f60718"}},
            {"urn": urn(SG, "db-sg"), "custom": True, "type": SG, "id": "sg-07a6b5c4d3e2f1a09",
             "provider": f"{PROVIDER}::5e2c1a44-7b0e-4a8f-9c1d-0f3e2b1a6d55",
             "inputs": {"__defaults": ["name", "revokeRulesOnDelete"],
                        "name": "db-sg-5d1c0b2", "revokeRulesOnDelete": False,
                        "description": "database", "vpcId": "vpc-0a1b2c3d4e5f60718",
                        "tags": {"__defaults": [], "Env": "dev"},
                        "tagsAll": {"__defaults": [], "Env": "dev", "ManagedBy": "pulumi"}},
             "propertyDependencies": {"description": [], "vpcId": [urn(VPC, "net")],
                                      "tags": []}},
            {"urn": urn(DB, "db"), "custom": True, "type": DB, "protect": True,
             "id": "db-ABCDEFGHIJKLMNOPQRSTUVWXY1",
             "inputs": {"__defaults": ["applyImmediately", "finalSnapshotIdentifier"],
                        "applyImmediately": False, "finalSnapshotIdentifier": "db-final",
                        "identifier": "app-dev-postgres", "dbName": "app", "engine": "postgres",
                        "vpcSecurityGroupIds": ["sg-07a6b5c4d3e2f1a09"]},
             "outputs": {"endpoint": "app-dev-postgres.c9x8y7z6.eu-west-1.rds.amazonaws.com:5433"},
             "propertyDependencies": {"vpcSecurityGroupIds": [urn(SG, "db-sg")]},
             "dependencies": [urn(SG, "db-sg")]},
            {"urn": urn(PASSWORD, "jwt"), "custom": True, "type": PASSWORD, "id": "none",
             "inputs": {"__defaults": ["lower", "minSpecial", "number", "numeric", "upper"],
                        "length": 64, "special": False, "lower": True, "minSpecial": 0,
                        "number": True, "numeric": True, "upper": True},
             "outputs": {"result": {**SECRET_SIG, "ciphertext": "v1:Zm9vYmFy"}}},
            {"urn": urn(SECRET, "jwt-secret"), "custom": True, "type": SECRET,
             "id": REAL_SECRET_ARN,
             "inputs": {"__defaults": ["forceOverwriteReplicaSecret"], "name": "app/jwt",
                        "forceOverwriteReplicaSecret": False}},
            {"urn": urn(VERSION, "jwt-version"), "custom": True, "type": VERSION,
             "id": f"{REAL_SECRET_ARN}|v-1",
             "inputs": {"secretId": REAL_SECRET_ARN,
                        "secretString": {**SECRET_SIG, "ciphertext": "v1:YmFyYmF6"}},
             "propertyDependencies": {"secretString": [urn(PASSWORD, "jwt")],
                                      "secretId": [urn(SECRET, "jwt-secret")]}},
            # Once named "app-logs": the program now calls it "logs" with an alias.
            {"urn": urn(LOG, "app-logs"), "custom": True, "type": LOG, "id": "/app/dev",
             "inputs": {"name": "/app/dev", "retentionInDays": 30, "__defaults": []}},
            {"urn": urn(QUEUE, "retired"), "custom": True, "type": QUEUE,
             "id": "https://sqs.eu-west-1.amazonaws.com/111111111111/retired-7c1d2e3",
             "inputs": {"__defaults": ["name"], "name": "retired-7c1d2e3"}},
            {"urn": urn(QUEUE, "pending"), "custom": True, "type": QUEUE, "delete": True,
             "id": "https://sqs.eu-west-1.amazonaws.com/111111111111/pending", "inputs": {}},
        ],
    },
}  # fmt: skip


def _offline() -> list[Resource]:
    """The same stack as the offline engine records it: mock ids, masked secrets, no defaults."""
    vpc = Resource(urn(VPC, "net"), VPC, custom=False, remote=True)
    sg = res(SG, "db-sg", {"description": "database", "vpcId": "vpc-12345678",
                           "tags": {"Env": "dev"}}, dependencies={"vpcId": (vpc.urn,)})  # fmt: skip
    db = res(DB, "db", {"identifier": "app-dev-postgres", "dbName": "app", "engine": "postgres",
                        "vpcSecurityGroupIds": ["sg-12345678"]},
             dependencies={"vpcSecurityGroupIds": (sg.urn,)})  # fmt: skip
    password = res(PASSWORD, "jwt", {"length": 64, "special": False})
    secret = res(SECRET, "jwt-secret", {"name": "app/jwt"})
    version = res(
        VERSION,
        "jwt-version",
        {"secretId": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/jwt-0a1b2c",
         "secretString": "[secret]"},
        dependencies={"secretString": (password.urn,), "secretId": (secret.urn,)},
    )  # fmt: skip
    renamed_from = (urn(LOG, "app-logs"),)
    logs = res(LOG, "logs", {"name": "/app/dev", "retentionInDays": 30}, aliases=renamed_from)
    new_queue = res(QUEUE, "orders", {"name": "orders"})
    return [vpc, sg, db, password, secret, version, logs, new_queue]


def test_a_stack_export_classifies_as_a_real_preview_would():
    diff = compare(load_previous(json.loads(json.dumps(EXPORT))), _offline())
    assert ops(diff) == {
        "net": "same",
        "db-sg": "same",  # auto-name and revokeRulesOnDelete are defaults; tagsAll the provider's
        "db": "same",  # real vs mock security group id: one dependency, unchanged
        "jwt": "same",  # the provider's defaults filled in
        "jwt-secret": "same",
        "jwt-version": "same",  # secret masked on both sides
        "logs": "same",  # renamed with an alias
        "orders": "create",
        "retired": "delete",
    }
    assert change(diff, "logs").previous_urn == urn(LOG, "app-logs")
    assert [(c.name, c.destructive) for c in diff.destructive] == [("retired", True)]
    assert diff.skipped == {
        "the stack": 1,
        "providers": 2,
        "resources pending deletion": 1,
        "children of multi-language components (awsx:ec2:Vpc)": 1,
    }
    text = plan_diff.render(diff)
    assert "DESTRUCTIVE: 1" in text and "delete queue: aws:sqs/queue:Queue  retired" in text
    assert "1 children of multi-language components (awsx:ec2:Vpc)" in text


def test_a_replaced_security_group_makes_the_database_input_unknown_but_keeps_the_database():
    resources = _offline()
    resources[1] = res(SG, "db-sg", {**resources[1].inputs, "description": "db"},
                       dependencies=resources[1].dependencies)  # fmt: skip
    diff = compare(load_previous(json.loads(json.dumps(EXPORT))), resources)
    assert change(diff, "db-sg").replace_reasons == ("description",)
    db = change(diff, "db")
    assert (db.op, db.unknown) == ("update", ("vpcSecurityGroupIds",))


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "not a JSON object"),
        ({"version": 2, "deployment": {}}, "only version 3"),
        ({"stack": "dev", "resources": [{"type": QUEUE, "name": "q", "inputs": {}}]},
         "make it again"),
        ({"outputs": {}}, "neither a plan"),
    ],
)  # fmt: skip
def test_an_unreadable_previous_document_is_refused(document, message):
    with pytest.raises(plan_diff.PreviousPlanError, match=message):
        load_previous(document)


# -------------------------------------------------------------------------------------------
# tools/force_new.json against the pinned SDKs
# -------------------------------------------------------------------------------------------


def _arg_classes(annotation: Any) -> list[type]:
    found = []
    for alternative in _alternatives(annotation):
        if isinstance(alternative, tuple):
            for argument in alternative[1]:
                found += _arg_classes(argument)
        elif isinstance(alternative, type) and alternative.__name__.endswith("Args"):
            found.append(alternative)
    return found


def _sdk_has(type_: str, path: str) -> bool:
    """The dotted camelCase path is an input of the type in the pinned SDK (through lists)."""
    classes = [_resource_class(type_)[1]]
    for part in path.split("."):
        fields = [_fields(c)[part][0] for c in classes if part in _fields(c)]
        if not fields:
            return False
        classes = [c for annotation in fields for c in _arg_classes(annotation)]
    return True


def test_every_replacing_path_is_an_input_of_the_pinned_sdk():
    missing = [
        (type_, path)
        for type_, rules in load_rules().items()
        if not rules.component and not type_.startswith("pulumi-python:dynamic/")
        for path in (*rules.force_new, *(p for c in rules.conditions for p in c.paths))
        if not _sdk_has(type_, path)
    ]
    assert missing == []


def test_the_path_check_catches_a_misspelled_or_missing_path():
    assert _sdk_has(DB, "s3Import.bucketName")
    assert not _sdk_has(DB, "s3Import.bucket")
    assert not _sdk_has(DB, "name")  # TF's `name` left the provider in v5


def test_every_aws_type_replaces_on_a_new_region_and_cites_its_source():
    data = json.loads(plan_diff.FORCE_NEW_FILE.read_text())["types"]
    for type_, entry in data.items():
        if entry.get("component"):
            continue
        if entry.get("dynamic"):  # this program's own provider, in Python
            assert (ROOT / entry["file"]).exists() and entry["forceNew"] == [], type_
            continue
        assert entry["repository"] and entry["file"].endswith(".go"), type_
        assert "commit" in entry or "indexId" in entry, type_
        region = "region" in _fields(_resource_class(type_)[1])
        assert ("region" in entry["forceNew"]) == region, type_
