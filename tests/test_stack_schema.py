"""The stack files' JSON Schemas: generated from the models, current, and telling as one types.

No engine: the schema alone must accept every committed stack file and the forms the program
accepts (numbers as text, encrypted values, partial changes to the base catalog's services),
and report a misspelled nested key, a wrong type and an unknown enum value at their key.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import regress
import yaml
from jsonschema import Draft7Validator

from accessweaver_components.stack.catalog import ACCESSWEAVER_CATALOG
from accessweaver_components.stack.model import StackConfig
from tools.stack_schema import PROJECTS, problems, render, schema_of, stale

ACCESSWEAVER = PROJECTS[0]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return schema_of("accessweaver")


@pytest.fixture(scope="module")
def dev_file() -> dict[str, Any]:
    return yaml.safe_load((ACCESSWEAVER.directory / "Pulumi.dev.yaml").read_text())


def _problems_of(document: dict[str, Any], schema: dict[str, Any], tmp_path: Path) -> list[str]:
    path = tmp_path / "Pulumi.edited.yaml"
    path.write_text(yaml.safe_dump(document))
    return [line.split(": ", 1)[1] for line in problems(path, schema)]


def _edited(document: dict[str, Any], **config: Any) -> dict[str, Any]:
    edited = copy.deepcopy(document)
    edited["config"].update(config)
    return edited


def test_committed_schemas_and_modelines_are_current():
    assert list(stale()) == [], "run `python -m tools.stack_schema --write`"


def test_the_staleness_check_notices_a_schema_the_models_no_longer_generate(tmp_path, monkeypatch):
    import tools.stack_schema as module

    monkeypatch.setattr(module, "SCHEMA_DIR", tmp_path)
    for project in PROJECTS:
        (tmp_path / project.schema_file.name).write_text(render({"type": "object"}))
    assert len([line for line in stale() if "not what the models generate" in line]) == 3


@pytest.mark.parametrize(
    "project,stack_file",
    [(p, f) for p in PROJECTS for f in p.stack_files()],
    ids=lambda v: str(v.relative_to(PROJECTS[0].directory)) if isinstance(v, Path) else "",
)
def test_every_committed_stack_file_validates(project, stack_file):
    assert problems(stack_file, schema_of(project.name, project.model_class)) == []


def test_the_schemas_are_draft_7_with_patterns_every_editor_reads():
    for project in PROJECTS:
        document = schema_of(project.name, project.model_class)
        Draft7Validator.check_schema(document)
        patterns = _patterns(document)
        assert patterns
        for pattern in patterns:
            regress.Regex(pattern)  # ECMA-262, as VS Code and JetBrains evaluate it


def _patterns(node: Any) -> list[str]:
    if isinstance(node, list):
        return [p for item in node for p in _patterns(item)]
    if not isinstance(node, dict):
        return []
    found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
    found += list(node.get("patternProperties", {}))
    return found + [p for value in node.values() for p in _patterns(value)]


def test_every_key_of_the_model_is_in_the_schema(schema):
    keys = set(schema["properties"]["config"]["properties"])
    assert {f"accessweaver:{f.alias}" for f in StackConfig.model_fields.values()} <= keys


def test_a_misspelled_nested_key_is_reported_at_its_path(schema, dev_file, tmp_path):
    document = _edited(
        dev_file, **{"accessweaver:serviceOverrides": {"aw-pdp-service": {"desiredCont": 2}}}
    )
    assert _problems_of(document, schema, tmp_path) == [
        "accessweaver:serviceOverrides.aw-pdp-service.desiredCont: unknown key; "
        "did you mean desiredCount?"
    ]


def test_a_misspelled_key_of_the_project_or_of_aws_is_reported(schema, dev_file, tmp_path):
    document = _edited(dev_file, **{"accessweaver:logRetentionDay": 7, "aws:regoin": "x"})
    assert _problems_of(document, schema, tmp_path) == [
        "accessweaver:logRetentionDay: unknown key; did you mean accessweaver:logRetentionDays?",
        "aws:regoin: unknown key; did you mean aws:region?",
    ]


def test_a_wrong_type_is_reported_at_its_key(schema, dev_file, tmp_path):
    document = _edited(
        dev_file, **{"accessweaver:serviceOverrides": {"aw-pdp-service": {"cpu": "lots"}}}
    )
    [problem] = _problems_of(document, schema, tmp_path)
    assert problem.startswith('accessweaver:serviceOverrides.aw-pdp-service.cpu: "lots": ')


def test_an_unknown_enum_value_is_reported_with_the_allowed_ones(schema, dev_file, tmp_path):
    document = _edited(dev_file, **{"accessweaver:cpuArchitecture": "ARM"})
    assert _problems_of(document, schema, tmp_path) == [
        "accessweaver:cpuArchitecture: \"ARM\": 'ARM' is not one of ['X86_64', 'ARM64']"
    ]


def test_a_new_service_needs_its_keys_a_change_to_a_catalog_service_does_not(
    schema, dev_file, tmp_path
):
    catalog_name = sorted(ACCESSWEAVER_CATALOG)[0]
    document = _edited(
        dev_file,
        **{"accessweaver:services": {catalog_name: {"port": 8081}, "notifier": {"port": 8090}}},
    )
    assert _problems_of(document, schema, tmp_path) == [
        "accessweaver:services.notifier.sizes: missing: a required key"
    ]


def test_the_forms_pulumi_writes_are_accepted(schema, dev_file, tmp_path):
    """`pulumi config set` writes numbers and booleans as text; `--secret` an encrypted value,
    also nested (`--path --secret`)."""
    document = _edited(
        dev_file,
        **{
            "accessweaver:logRetentionDays": "7",
            "accessweaver:autoScalingEnabled": "false",
            "accessweaver:commonEnvironmentVariables": {"API_TOKEN": {"secure": "v1:abc"}},
            "accessweaver:projectName": {"secure": "v1:def"},
        },
    )
    assert _problems_of(document, schema, tmp_path) == []


def test_an_encrypted_value_is_never_shown(schema, dev_file, tmp_path):
    """Tags given as a list, one of them encrypted: the message shows the list, masked."""
    document = _edited(
        dev_file, **{"accessweaver:additionalTags": ["team", {"secure": "v1:c2VjcmV0"}]}
    )
    [problem] = _problems_of(document, schema, tmp_path)
    assert problem.startswith('accessweaver:additionalTags: ["team", "<secure>"]: ')
    assert "c2VjcmV0" not in problem


def test_a_project_of_ones_own_gets_its_namespace(dev_file, tmp_path):
    schema = schema_of("billing")
    config = {
        key.replace("accessweaver:", "billing:"): value for key, value in dev_file["config"].items()
    }
    assert _problems_of({"config": config}, schema, tmp_path) == []
    assert "billing:environment: missing: a required key" in _problems_of(
        dev_file, schema, tmp_path
    )
