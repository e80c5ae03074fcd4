"""`python -m tools.plan STACK --against FILE` end to end: the committed stacks against earlier
plans of themselves (a config change, an edited plan, an extra service) and a stack export.

The plan under test is the cached run of the committed stack (the CLI's engine call is pointed at
the cache); only a "previous" plan that needs other config runs the engine again."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, _plan
from tests.resource_types import SERVICE
from tests.test_bootstrap import bootstrap
from tests.test_ca_a2a import PROJECT as CA_A2A
from tests.test_ca_a2a import ca_a2a
from tests.test_standalone_example import planned as standalone
from tools import engine, plan_diff
from tools.plan import main
from tools.urns import committed_stacks

PASSWORD = "random:index/randomPassword:RandomPassword"
SUBNET = "aws:ec2/subnet:Subnet"
RUN = engine.run_program


@pytest.fixture
def cli(monkeypatch, capsys):
    """`cli(args) -> (exit code, stdout)`, the committed stacks' runs taken from the cache."""

    def cached(project, stack, stack_file=None, **kwargs):
        project = Path(project).resolve()
        committed = (stack_file is None or Path(stack_file).resolve() == (
            project / f"Pulumi.{stack}.yaml"
        )) and kwargs in ({}, {"release": engine.EXAMPLE_RELEASE})  # fmt: skip
        if committed and project == ROOT:
            return _plan(stack)
        if committed and project == CA_A2A.resolve():
            return ca_a2a(stack)
        return RUN(project, stack, stack_file, **kwargs)

    monkeypatch.setattr(engine, "run_program", cached)

    def run(*args: str) -> tuple[int, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        run.err = captured.err
        return code, captured.out

    run.err = ""
    return run


def _write(tmp_path: Path, document: dict[str, Any], name: str = "previous.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


def _steps(output: str) -> dict[str, dict[str, Any]]:
    """`--json --against` steps by resource name."""
    return {s["urn"].rsplit("::", 1)[1]: s for s in json.loads(output)["changes"]["steps"]}


PLANNERS = {
    ".": _plan, "examples/ca-a2a": ca_a2a, "examples/standalone": standalone,
    "bootstrap": bootstrap,
}  # fmt: skip
"""Each committed project's cached runs (the caches the other tests fill)."""


@pytest.mark.parametrize("stack", committed_stacks(ROOT), ids=lambda s: s.label)
def test_every_type_a_committed_plan_registers_has_replacement_rules(stack):
    rules = plan_diff.load_rules()
    result = PLANNERS[stack.directory](stack.name)
    # Explicit providers (the bootstrap's GitHub provider) are skipped by the comparison.
    resources = [r for r in result.resources if not r.type.startswith("pulumi:providers:")]
    assert {r.type for r in resources} - set(rules) == set()
    # Components are marked as such, provider resources are not.
    assert all(rules[r.type].component is not r.custom for r in resources)


def test_a_plan_against_its_own_json_changes_nothing(cli, tmp_path):
    code, own = cli("prod", "--json")
    assert code == 0
    code, text = cli("prod", "--against", _write(tmp_path, json.loads(own)))
    assert code == 0
    assert "0 to create, 0 to update, 0 to replace, 0 to delete" in text
    assert "DESTRUCTIVE" not in text


def test_upgrading_a_stack_that_held_its_generated_values_deletes_them_and_says_so(cli, tmp_path):
    """A stack deployed before the platform setup task held each generated value as a
    RandomPassword and a SecretVersion: the upgrade deletes both from the state (the version's
    AWSCURRENT value stays in Secrets Manager: CHANGELOG.md), and the guard stops on it."""
    previous = copy.deepcopy(_plan("prod").to_json())
    (secret,) = [
        r for r in previous["resources"] if r["name"] == "accessweaver-prod-secrets-jwt-signing-key"
    ]
    stem = secret["urn"].rsplit("::", 1)[0]
    previous["resources"] += [
        {
            **secret,
            "type": PASSWORD,
            "name": "accessweaver-prod-secrets-jwt-signing-key-value",
            "urn": f"{stem.rsplit('$', 1)[0]}$random:index/randomPassword:RandomPassword::"
            "accessweaver-prod-secrets-jwt-signing-key-value",
            "inputs": {"length": 64, "special": False},
            "propertyDependencies": {},
        },
        {
            **secret,
            "type": "aws:secretsmanager/secretVersion:SecretVersion",
            "name": "accessweaver-prod-secrets-jwt-signing-key-version",
            "urn": f"{stem}$aws:secretsmanager/secretVersion:SecretVersion::"
            "accessweaver-prod-secrets-jwt-signing-key-version",
            "inputs": {"secretId": "x", "secretString": "[secret]"},
            "propertyDependencies": {},
        },
    ]
    code, output = cli("prod", "--json", "--against", _write(tmp_path, previous))
    assert code == plan_diff.EXIT_DESTRUCTIVE == 4
    steps = _steps(output)
    password = steps["accessweaver-prod-secrets-jwt-signing-key-value"]
    assert (password["op"], password["destructive"]) == ("delete", "generated password")
    assert steps["accessweaver-prod-secrets-jwt-signing-key-version"]["op"] == "delete"
    # the secret itself stays: the same URN, no replacement
    assert "accessweaver-prod-secrets-jwt-signing-key" not in steps


def test_a_new_database_name_replaces_the_database(cli, run_stack, tmp_path):
    database = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    older = run_stack("dev", {"accessweaver:database": {
        **database["accessweaver:database"], "databaseName": "legacy"}})  # fmt: skip
    code, text = cli("dev", "--against", _write(tmp_path, older.to_json()))
    assert code == 4
    assert (
        "replace database: aws:rds/instance:Instance  accessweaver-dev-database-instance  "
        "[replaced by dbName]"
    ) in text


def test_a_new_identifier_or_subnet_group_updates_the_database_in_place(cli, tmp_path):
    """What the provider really forces: RDS renames an instance and moves it to another subnet
    group with ModifyDBInstance; only the subnet group itself is replaced (a new name)."""
    previous = copy.deepcopy(_plan("dev").to_json())
    for resource in previous["resources"]:
        if resource["type"] == "aws:rds/instance:Instance":
            resource["inputs"]["identifier"] = "accessweaver-dev-db-legacy"
        if resource["type"] == "aws:rds/subnetGroup:SubnetGroup":
            resource["inputs"]["name"] = "accessweaver-dev-legacy-subnets"
    code, output = cli("dev", "--json", "--against", _write(tmp_path, previous))
    assert code == 0
    steps = _steps(output)
    subnets = next(s for s in steps.values() if s["type"] == "aws:rds/subnetGroup:SubnetGroup")
    assert subnets["op"] == "replace"
    db = steps["accessweaver-dev-database-instance"]
    assert db["op"] == "update" and set(db["keys"]) == {"identifier", "dbSubnetGroupName"}
    assert db["unknown"] == ["dbSubnetGroupName"]


def test_a_service_the_catalog_no_longer_has_is_destructive(cli, tmp_path):
    """The previous deployment ran one agent more than the committed catalog (the stack file
    with an extra service: the same difference whether `services` replaces or extends the
    default catalog)."""
    stack = yaml.safe_load((CA_A2A / "Pulumi.dev.yaml").read_text())
    services = stack["config"]["ca-a2a:services"]
    services["reviewer"] = {
        **services["validator"],
        "description": "Reviewer agent",
        "port": 8009,
        "pathPatterns": ["/review*"],
        "priority": 25,
        "healthCheckCommand": ["CMD", "python", "-c", "print('ok')"],
    }
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(yaml.safe_dump(stack))
    older = RUN(CA_A2A, "dev", stack_file)
    against = _write(tmp_path, older.to_json())
    code, text = cli("dev", "--project", str(CA_A2A), "--against", against)
    assert code == 4
    destructive = text.split("DESTRUCTIVE")[1].split("\n\n")[0]
    assert f"delete ECS service: {SERVICE}  reviewer-service" in destructive
    assert "orchestrator-service" not in destructive


def test_a_rename_that_carries_an_alias_is_not_destructive(cli, tmp_path):
    """A stack deployed before the bucket's type moved from BucketV2 to Bucket: its state holds
    the bucket and its settings under the old URNs, which the program lists as aliases."""
    current = _plan("dev")
    bucket = current.one("aws:s3/bucket:Bucket", "accessweaver-dev-documents-bucket")
    old_urns = {bucket.urn: bucket.aliases[0]}
    for child in current.children_of(bucket):
        old = child.urn.replace("$aws:s3/bucket:Bucket$", "$aws:s3/bucketV2:BucketV2$")
        assert old in child.aliases
        old_urns[child.urn] = old
    text = json.dumps(current.to_json())
    for new, old in old_urns.items():
        text = text.replace(json.dumps(new), json.dumps(old))
    code, output = cli("dev", "--json", "--against", _write(tmp_path, json.loads(text)))
    assert code == 0
    changes = json.loads(output)["changes"]
    assert changes["summary"] == {"create": 0, "update": 0, "replace": 0, "delete": 0,
                                  "same": len(current.resources)}  # fmt: skip
    # The same history without the program's aliases: the bucket is deleted and created again.
    bare = [plan_diff.Resource(**{**vars(r), "aliases": ()}) for r in plan_diff.from_recorded(
        current.resources)]  # fmt: skip
    lost = plan_diff.compare(plan_diff.load_previous(json.loads(text)), bare).destructive
    assert [c.urn for c in lost] == [bucket.aliases[0]]


def _as_stack_export(document: dict[str, Any]) -> dict[str, Any]:
    """A plan as a deployed stack's export would hold it: real ids in every input made from
    other resources, state-encoded secrets, provider defaults, the stack, the provider, and
    awsx's children of the VPC."""
    resources: list[dict[str, Any]] = [
        {"urn": "urn:pulumi:dev::accessweaver::pulumi:pulumi:Stack::accessweaver-dev",
         "custom": False, "type": "pulumi:pulumi:Stack"},
        {"urn": "urn:pulumi:dev::accessweaver::pulumi:providers:aws::default_7_51_1",
         "custom": True, "type": "pulumi:providers:aws",
         "id": "9c1d0f3e-2b1a-4d55-8e7f-5e2c1a447b0e"},
    ]  # fmt: skip
    sig = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
    for item in document["resources"]:
        inputs = {
            key: {**sig, "ciphertext": "v1:AAAA"}
            if value == "[secret]"
            else (f"real-{key}-0f1e2d3c" if key in item["propertyDependencies"] else value)
            for key, value in item["inputs"].items()
        }
        if item["custom"]:
            inputs = {**inputs, "__defaults": ["skipDestroy"], "skipDestroy": False}
        resources.append({"urn": item["urn"], "type": item["type"], "custom": item["custom"],
                          "id": f"real-{item['name']}", "inputs": inputs,
                          "propertyDependencies": item["propertyDependencies"]})  # fmt: skip
        if item["type"] == "awsx:ec2:Vpc":
            for n in range(4):
                name = f"{item['name']}-private-{n}"
                subnet = engine.make_urn("dev", "accessweaver", item["urn"], SUBNET, name)
                resources.append({"urn": subnet, "type": SUBNET, "custom": True,
                                  "id": f"subnet-0a1b2c3d4e5f6078{n}", "inputs": {}})  # fmt: skip
    deployment = {"manifest": {"version": "v3.272.0"}, "resources": resources}
    return {"version": 3, "deployment": deployment}


def test_a_stack_export_of_the_deployed_stack_shows_no_change(cli, tmp_path):
    export = _as_stack_export(_plan("dev").to_json())
    code, output = cli("dev", "--json", "--against", _write(tmp_path, export))
    assert code == 0
    changes = json.loads(output)["changes"]
    assert changes["against"] == "stack export of stack dev"
    assert changes["summary"]["same"] == len(_plan("dev").resources)
    assert changes["steps"] == []
    assert changes["skipped"] == {
        "the stack": 1,
        "providers": 1,
        "children of multi-language components (awsx:ec2:Vpc)": 4,
    }


def test_a_plan_of_another_stack_or_an_unreadable_file_is_refused(cli, tmp_path):
    code, _ = cli("dev", "--against", _write(tmp_path, _plan("prod").to_json()))
    assert code == 2
    assert "stack 'prod' of project 'accessweaver'; this plan is stack 'dev'" in cli.err
    (tmp_path / "broken.json").write_text("{")
    assert cli("dev", "--against", str(tmp_path / "broken.json"))[0] == 2
    assert cli("dev", "--against", str(tmp_path / "missing.json"))[0] == 2
