"""policy/checks/flags.py: the data-driven check behind the one-boolean policies, without the
engine (the policies' own cases are in test_policies.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from policy.checks import specs
from policy.checks.flags import Flag, flag_check, flag_problems


@pytest.mark.parametrize(
    ("requirement", "value", "expected"),
    [
        ("true", True, None),
        ("true", "true", None),
        ("true", False, "x_on is not true"),
        ("true", None, "x_on is not true"),
        ("not true", True, "x_on is true"),
        ("not true", "True", "x_on is true"),
        ("not true", False, None),
        ("not true", None, None),
        ("not false", False, "x_on is false"),
        ("not false", "false", "x_on is false"),
        ("not false", None, None),
        ("not false", True, None),
    ],
)
def test_a_flag_reports_only_the_value_its_requirement_refuses(requirement, value, expected):
    props = {} if value is None else {"xOn": value}
    assert Flag("xOn", "x_on", requirement).problem(props) == expected


def test_a_nested_flag_reads_its_dotted_path_and_appends_its_consequence():
    scan = Flag("imageScanningConfiguration.scanOnPush", "scan_on_push", consequence="unscanned")
    assert scan.problem({"imageScanningConfiguration": {"scanOnPush": True}}) is None
    assert scan.problem({"imageScanningConfiguration": {}}) == "scan_on_push is not true: unscanned"
    assert scan.problem({"scanOnPush": True}) == "scan_on_push is not true: unscanned"


def test_flag_problems_reports_every_wrong_flag_in_order():
    flags = (Flag("a", "a"), Flag("b", "b", "not true"), Flag("c", "c"))
    assert list(flag_problems({"a": False, "b": True, "c": True}, flags)) == [
        "a is not true",
        "b is true",
    ]


def test_flag_check_skips_resources_its_condition_refuses():
    check = flag_check(Flag("on", "on"), applies=lambda props: props.get("kind") == "app")
    assert list(check(SimpleNamespace(props={"kind": "app"}))) == ["on is not true"]
    assert list(check(SimpleNamespace(props={"kind": "network"}))) == []
    assert list(flag_check(Flag("on", "on"))(SimpleNamespace(props={"on": True}))) == []


def test_flag_policies_register_with_their_metadata():
    by_name = {spec.name: spec for spec in specs()}
    encrypted = by_name["rds-encrypted"]
    assert encrypted.controls == ("RDS.3", "RDS.4")
    assert encrypted.check_resource is not None
    assert list(encrypted.check_resource(SimpleNamespace(props={}))) == [
        "storage_encrypted is not true: data and snapshots are unencrypted"
    ]
    # An RSA key is not rotated by AWS: the KMS policy's condition leaves it alone.
    rotation = by_name["kms-key-rotation"]
    assert list(rotation.check_resource(SimpleNamespace(props={"keySpec": "RSA_2048"}))) == []
    assert list(rotation.check_resource(SimpleNamespace(props={}))) == [
        "enable_key_rotation is not true: the key material never changes"
    ]


def test_container_problems_names_each_container_after_the_definitions_own_error():
    from policy.checks.base import container_problems

    def unlogged(container):
        if not container.get("logConfiguration"):
            yield "has no log configuration"

    task = {"containerDefinitions": '[{"name": "app"}, {"logConfiguration": {"x": 1}}, {}]'}
    assert list(container_problems(task, unlogged)) == [
        "container app has no log configuration",
        "container (unnamed) has no log configuration",
    ]
    broken = {"containerDefinitions": "not json"}
    assert list(container_problems(broken, unlogged)) == ["containerDefinitions is not valid JSON"]
    assert list(container_problems(broken, unlogged, report_invalid=False)) == []
