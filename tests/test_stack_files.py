"""Stack files read as the Pulumi CLI reads them, `pulumi config set --path` values accepted as
the CLI writes them, and messages that name keys a user can set and never print a secret."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from accessweaver_components.stack import ConfigError
from tests.config_support import existing_vpc_stack, loader
from tests.conftest import ROOT
from tools.engine import read_stack_config, run_program
from tools.stack_file import SECURE_PLACEHOLDER, load

BASE = existing_vpc_stack("prod")
load_settings, problems = loader(BASE)
SIZE = {"cpu": 256, "memory": 512, "desiredCount": 2}


def config_set_path(values: dict[str, str], namespace: str, path: str, text: str) -> None:
    """`pulumi config set --path <path> <text>` on `values` (what a program receives): the CLI
    stores `true`/`false` and integers without a leading zero typed, anything else as text."""
    top, *rest = path.split(".")
    key = f"{namespace}:{top}"
    value: object = text
    if text in ("true", "false"):
        value = text == "true"
    elif re.fullmatch(r"-?(0|[1-9][0-9]*)", text):
        value = int(text)
    if not rest:
        values[key] = text
        return
    tree = json.loads(values.get(key, "{}"))
    node = tree
    for part in rest[:-1]:
        node = node.setdefault(part, {})
    node[rest[-1]] = value
    values[key] = json.dumps(tree)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "Pulumi.case.yaml"
    path.write_text(text)
    return path


# -- YAML the way the CLI reads it ------------------------------------------------------------


def test_times_no_and_dates_stay_text_as_yaml_v3_keeps_them():
    values = load("stop: 19:00\ntag: NO\nturn: on\nday: 2026-12-01\nport: 8080\nflag: false\n")
    assert values == {
        "stop": "19:00",
        "tag": "NO",
        "turn": "on",
        "day": "2026-12-01",
        "port": 8080,
        "flag": False,
    }


def test_a_stack_file_with_a_clock_time_and_a_no_tag_plans_with_those_values(tmp_path):
    dev = (ROOT / "Pulumi.dev.yaml").read_text()
    assert "    Owner: Platform Team\n" in dev
    path = write(
        tmp_path,
        dev.replace("    Owner: Platform Team\n", "    Owner: Platform Team\n    Backup: NO\n")
        + "  accessweaver:offHoursScaling:\n    stop: 19:00\n    start: 07:30\n",
    )
    values = read_stack_config(ROOT, "dev", path).values
    assert json.loads(values["accessweaver:offHoursScaling"]) == {"stop": "19:00", "start": "07:30"}
    result = run_program(ROOT, "dev", path)
    actions = {
        r.name: r.inputs
        for r in result.of_type("aws:appautoscaling/scheduledAction:ScheduledAction")
    }
    assert (
        actions["aw-pdp-service-scale-down"]["schedule"] == "cron(0 19 ? * MON,TUE,WED,THU,FRI *)"
    )
    cluster = result.one("aws:ecs/cluster:Cluster", "accessweaver-dev-cluster")
    assert cluster.inputs["tags"]["Backup"] == "NO"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- a\n- b\n", "the file is a list, not a mapping with a `config:` key"),
        ("accessweaver:environment: dev\n", "the file has no `config:` key"),
        ("config: [a, b]\n", "`config:` holds no mapping of keys to values"),
    ],
)
def test_a_file_that_is_not_a_stack_file_says_so(tmp_path, text, problem):
    with pytest.raises(ConfigError) as caught:
        read_stack_config(ROOT, "case", write(tmp_path, text))
    assert problem in str(caught.value)
    assert str(caught.value).startswith(f"{tmp_path / 'Pulumi.case.yaml'}: invalid stack")


def test_nested_secure_values_are_stand_ins_and_make_the_key_secret(tmp_path):
    path = write(
        tmp_path,
        "config:\n  accessweaver:environment: dev\n  accessweaver:services:\n"
        "    orders:\n      environment:\n        MODE: fast\n"
        "      token:\n        secure: v1:AAAABBBB\n",
    )
    read = read_stack_config(ROOT, "case", path)
    assert json.loads(read.values["accessweaver:services"])["orders"]["token"] == (
        SECURE_PLACEHOLDER
    )
    assert read.secret_keys == ["accessweaver:services"]


# -- values as `pulumi config set --path` writes them -----------------------------------------


def test_a_version_written_as_a_number_is_accepted_as_text():
    settings = load_settings(database={"engineVersion": 16}, keycloak={"version": 26.4})
    assert settings.platform.database.engine_version == "16"
    assert settings.platform.keycloak.version == "26.4"


@pytest.mark.parametrize("word", ["yes", "on", "1", "Y"])
def test_yes_and_on_are_refused_for_booleans_as_pulumi_get_bool_refuses_them(word):
    found = problems(network={"createVpc": True, "flowLogs": word}, vpcId=None, privateSubnetIds=[])
    assert "not a boolean; allowed: true or false" in found["network.flowLogs"]


@pytest.mark.parametrize("word", ["true", "True", "false", "False"])
def test_the_words_pulumi_get_bool_takes_are_accepted(word):
    settings = load_settings(autoScalingEnabled=word)
    assert settings.auto_scaling_enabled is (word.lower() == "true")


def test_the_readmes_config_set_examples_plan_as_written():
    from tests.test_readme import README as readme

    commands = re.findall(r"^pulumi config set --path '([^']+)' (\S+)", readme, flags=re.M)
    assert commands, "the README shows `pulumi config set --path` examples"
    values = dict(read_stack_config(ROOT, "dev").values)
    for path, text in commands:
        config_set_path(values, "accessweaver", path, text)
    result = run_program(ROOT, "dev", config_override=values)
    task = result.one("aws:ecs/taskDefinition:TaskDefinition", "aw-pdp-service-task").inputs
    assert (task["cpu"], task["memory"]) == ("1024", "2048")


def test_a_size_of_the_default_catalog_is_named_by_the_key_that_changes_it():
    # prod's decision point has 4096 MiB, which 256 CPU units cannot have
    found = problems(serviceOverrides={"aw-pdp-service": {"cpu": 256}})
    assert "(default catalog)" not in " ".join(found)
    message = found["serviceOverrides.aw-pdp-service.memory"]
    assert "allowed: with cpu 256: 512, 1024, 2048 MiB" in message


# -- keys nobody reads --------------------------------------------------------------------


def test_a_misspelled_namespace_and_aws_key_are_refused_with_the_closest_key(tmp_path):
    path = write(
        tmp_path,
        (ROOT / "Pulumi.dev.yaml").read_text()
        + "  accessweavr:logRetentionDays: 14\n  aws:regoin: eu-west-3\n",
    )
    with pytest.raises(ConfigError) as caught:
        run_program(ROOT, "dev", path)
    message = str(caught.value)
    assert "(accessweavr:logRetentionDays) = '<ignored>': namespace 'accessweavr'" in message
    assert "allowed: accessweaver:logRetentionDays" in message
    assert "(aws:regoin) = '<ignored>': not a setting of the AWS provider" in message
    assert "allowed: aws:region" in message


def test_a_misspelled_key_of_the_project_names_the_closest_key():
    found = problems(logRetentionDay=14)
    assert "allowed: logRetentionDays (the closest); all:" in found["logRetentionDay"]


# -- messages: secrets never shown, every problem at once ---------------------------------------


def test_a_password_where_a_secret_arn_goes_is_never_printed():
    with pytest.raises(ConfigError) as caught:
        load_settings(
            serviceOverrides={"aw-pdp-service": {"secrets": {"DB_PASSWORD": "hunter2-hunter2"}}},
            commonSecrets={"PSP_KEY": "sk_live_4eC39HqLyjWDarjtT1zdp7dc"},
        )
    message = str(caught.value)
    assert "hunter2" not in message and "sk_live" not in message
    assert "serviceOverrides.aw-pdp-service.secrets.DB_PASSWORD = '<hidden>'" in message
    assert "commonSecrets.PSP_KEY = '<hidden>'" in message


def test_a_secret_looking_value_is_hidden_whatever_the_key():
    with pytest.raises(ConfigError) as caught:
        load_settings(imageTag="AKIAIOSFODNN7EXAMPLE/with/slashes")
    assert "AKIAIOSFODNN7EXAMPLE" not in str(caught.value)


def test_one_bad_network_field_reports_only_itself():
    found = problems(
        network={"createVpc": True, "natGateways": "many"}, vpcId=None, privateSubnetIds=[]
    )
    assert set(found) == {"network.natGateways"}


def test_a_bad_service_does_not_hide_the_unrelated_problems():
    services = {
        "orders": {"port": "eighty", "sizes": {"prod": SIZE}},
        "billing": {"port": 9001, "sizes": {"prod": SIZE}},
    }
    found = problems(
        baseCatalog="none", services=services, minCapacityOverride=5, maxCapacityOverride=3
    )
    assert "services.orders.port" in found
    assert "minCapacityOverride" in found  # a cross-field rule, reported in the same run


# -- AWS tag limits ------------------------------------------------------------------------


def test_tags_beyond_what_aws_allows_with_the_programs_own_are_refused():
    too_many = {f"Team{i:02d}": "x" for i in range(45)}
    found = problems(additionalTags=too_many)
    assert (
        "45 tags: AWS allows 50 per resource and the program sets up to 6 of its own"
        in (found["additionalTags"])
    )
    assert "allowed: at most 44 additional tags" in found["additionalTags"]
    assert load_settings(additionalTags=dict(list(too_many.items())[:44]))


@pytest.mark.parametrize(
    ("tags", "key", "problem"),
    [
        ({"Service": "x"}, "additionalTags.Service", "the program sets this tag itself"),
        ({"cost#center": "x"}, "additionalTags.cost#center", "not a tag key AWS accepts"),
        ({"Owner": "a" * 257}, "additionalTags.Owner", "not a tag value AWS accepts"),
        ({"Owner": "team;drop"}, "additionalTags.Owner", "not a tag value AWS accepts"),
    ],
)
def test_tag_keys_and_values_aws_refuses_are_refused(tags, key, problem):
    assert problem in problems(additionalTags=tags)[key]


def test_unicode_letters_and_the_allowed_punctuation_pass():
    tags = {"Équipe": "Données + Sécurité", "team:owner": "a@b.example/x=1_2-3"}
    assert load_settings(additionalTags=tags).tags["Équipe"] == "Données + Sécurité"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_resource_carries_more_of_the_programs_tags_than_the_limit_counts(plan, stack):
    from accessweaver_components.formats import PROGRAM_TAGS, PROGRAM_TAGS_PER_RESOURCE

    for resource in plan(stack).resources:
        tags = resource.inputs.get("tags")
        if isinstance(tags, dict):
            own = [key for key in tags if key in PROGRAM_TAGS]
            assert len(own) <= PROGRAM_TAGS_PER_RESOURCE, (resource.name, own)
