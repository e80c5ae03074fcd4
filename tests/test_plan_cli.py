"""The offline plan (the main job without credentials) and bad input through the whole program."""

from __future__ import annotations

import json

import pytest

from accessweaver_components.stack import ConfigError
from tests.conftest import ROOT
from tests.support_cli import refused_offline_plan
from tools.engine import run_program
from tools.plan import main

# tools.plan on the session's recorded runs of the committed stack files (`cached_engine`): what
# these tests check is the CLI; any other stack file runs the engine.
pytestmark = pytest.mark.usefixtures("cached_engine")


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_plan_fits_one_screen_with_components_outputs_cost_and_policies(capsys, stack):
    assert main([stack]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) <= 80 and max(len(line) for line in lines) <= 160
    text = captured.out
    assert f"Offline plan of stack '{stack}'" in text and "Components (" in text
    assert "Estimated monthly cost: $" in text and "Policy pack accessweaver-controls" in text
    assert "internal_dns_names" in text and "--verbose" in text
    assert captured.err == ""  # the committed stacks trigger no warning


def test_plan_shows_each_service_size_and_scaling_in_one_line(capsys):
    assert main(["prod"]) == 0
    text = capsys.readouterr().out
    (line,) = [line for line in text.splitlines() if "Microservice aw-pdp-service" in line]
    assert "2048 CPU / 4096 MiB ARM64" in line and "scales min 2 / max 15" in line


def test_verbose_lists_every_resource_and_outputs_in_full(capsys):
    assert main(["prod", "--verbose"]) == 0
    text = capsys.readouterr().out
    assert "accessweaver:ecs:Microservice  aw-pdp-service" in text
    assert "2048 CPU / 4096 MiB" in text and "min 2 / max 15" in text
    assert "Outputs:" in text and '"aw-pdp-service": "aw-pdp-service.accessweaver-prod' in text
    assert main(["prod", "--outputs"]) == 0
    outputs = capsys.readouterr().out
    assert outputs.startswith("Outputs:\n") and "Components (" not in outputs


def test_plan_json_has_stack_resources_and_outputs(capsys):
    assert main(["staging", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["stack"] == "staging"
    first = document["resources"][0]
    assert set(first) == {
        "type", "name", "parent", "urn", "aliases", "custom", "inputs", "propertyDependencies"
    }  # fmt: skip
    assert "cicd_deployment_config" in document["outputs"]


def test_plan_json_gives_engine_urns_with_the_whole_parent_chain(capsys):
    assert main(["dev", "--json"]) == 0
    resources = json.loads(capsys.readouterr().out)["resources"]
    by_key = {f"{r['type']}::{r['name']}": r for r in resources}
    policy = by_key["aws:iam/rolePolicy:RolePolicy::aw-pdp-service-exec-policy"]
    # Stack-level types are left out; every ancestor's type is in the chain, as in a state file.
    assert policy["urn"] == (
        "urn:pulumi:dev::accessweaver::accessweaver:ecs:Microservice$aws:iam/role:Role"
        "$aws:iam/rolePolicy:RolePolicy::aw-pdp-service-exec-policy"
    )
    assert all(r["urn"].startswith("urn:pulumi:dev::accessweaver::") for r in resources)
    assert len({r["urn"] for r in resources}) == len(resources)
    # Inputs made of other resources' outputs name them by URN, as a stack export does.
    role = by_key["aws:iam/role:Role::aw-pdp-service-exec-role"]
    assert policy["propertyDependencies"]["role"] == [role["urn"]]


BAD = """config:
  aws:region: eu-west-1
  accessweaver:environment: prod
  accessweaver:vpcId: vpc-0123456789abcdef0
  accessweaver:privateSubnetIds: [subnet-0123456789abcdef0]
  accessweaver:containerRegistry: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/aw
  accessweaver:serviceOverrides:
    aw-pdp-service: {cpu: 2048, memory: 1024}
  accessweaver:commonEnvironmentVariables: {DB_PASSWORD: hunter2}
"""


def test_bad_config_exits_2_with_only_the_messages(tmp_path):
    stack_file = tmp_path / "Pulumi.broken.yaml"
    stack_file.write_text(BAD)
    messages = refused_offline_plan(stack_file)
    assert "accessweaver:privateSubnetIds" in messages
    assert "accessweaver:serviceOverrides.aw-pdp-service.memory = 1024" in messages
    assert "accessweaver:commonEnvironmentVariables.DB_PASSWORD" in messages
    assert "hunter2" not in messages


def test_bad_config_registers_no_resource(tmp_path):
    from pulumi.runtime import mocks

    registered = []
    original = mocks.MockMonitor.RegisterResource

    def spy(self, request):
        registered.append(request.type)
        return original(self, request)

    stack_file = tmp_path / "Pulumi.broken.yaml"
    stack_file.write_text(BAD)
    mocks.MockMonitor.RegisterResource = spy
    try:
        try:
            run_program(ROOT, "prod", stack_file)
        except ConfigError as error:
            assert len(error.issues) >= 3
        else:
            raise AssertionError("bad config was accepted")
    finally:
        mocks.MockMonitor.RegisterResource = original
    assert [t for t in registered if t != "pulumi:pulumi:Stack"] == []


def test_config_error_is_a_run_error_so_pulumi_prints_no_traceback():
    import pulumi

    assert issubclass(ConfigError, pulumi.RunError)


def test_unknown_stack_exits_2_and_lists_the_stacks(capsys):
    assert main(["qa"]) == 2
    assert "dev, prod, staging" in capsys.readouterr().err
