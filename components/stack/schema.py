"""A JSON Schema for `Pulumi.<stack>.yaml`, generated from the stack-config models.

Editors that read JSON Schema (VS Code's YAML extension through the `yaml-language-server`
modeline, JetBrains IDEs) and `check-jsonschema` in pre-commit then report a misspelled key, a
wrong type or a value outside an enum while the file is typed, before any plan. The schema is
the models' own (`StackConfig.model_json_schema`), adapted to what a stack file holds:

- keys are `<namespace>:<camelCaseKey>`; the project's unknown keys and the AWS provider's
  unknown settings are refused, other namespaces (providers, ESC) are left alone;
- Pulumi writes numbers and booleans as text (`pulumi config set key 2048` stores `"2048"`),
  and the program accepts both (`ConfigModel`, `Flag`): so does the schema;
- any scalar value may be an encrypted one (`{secure: ...}`), as Pulumi allows (the schema
  cannot read what it holds, and its messages never show it);
- a `services` entry naming a service of the base catalog changes that service key by key
  (`catalog.extend_catalog`), so none of its keys is required there.

The schema checks shapes, types, enums, ranges and single-field patterns; the rules across
fields and per environment stay in the program (`resolve.py`) and are reported by a plan.
Pure: no engine, no AWS.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from .catalog import BASE_CATALOGS, default_base_catalog
from .model import StackConfig

SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"
"""Draft 7: the dialect VS Code's YAML extension and JetBrains read without settings."""

_SECURE = {
    "type": "object",
    "properties": {"secure": {"type": "string"}},
    "required": ["secure"],
    "additionalProperties": False,
    "description": "An encrypted value (`pulumi config set --secret`).",
}
_NUMERIC_TEXT = {"integer": r"^-?[0-9]+$", "number": r"^-?[0-9]+(\.[0-9]+)?$"}
_BOOLEAN_TEXT = ["true", "True", "false", "False"]


def _scalar_as_text(node: dict[str, Any]) -> dict[str, Any]:
    """A number or boolean schema that also takes the text Pulumi writes for it."""
    kind = node.get("type")
    if kind in _NUMERIC_TEXT:
        return {"anyOf": [node, {"type": "string", "pattern": _NUMERIC_TEXT[kind]}]}
    if kind == "boolean":
        return {"anyOf": [node, {"type": "string", "enum": _BOOLEAN_TEXT}]}
    return node


def _adapt(node: Any) -> Any:
    """Walk a pydantic schema: numbers and booleans also as text, every value possibly
    encrypted, titles dropped (the descriptions say it)."""
    if isinstance(node, list):
        return [_adapt(item) for item in node]
    if not isinstance(node, dict):
        return node
    adapted = {key: _adapt(value) for key, value in node.items() if key != "title"}
    for key in ("properties", "$defs", "patternProperties"):
        if key in node:
            adapted[key] = {name: _adapt(value) for name, value in node[key].items()}
    if node.get("type") in ("integer", "number", "boolean", "string"):
        extra = {k: adapted.pop(k) for k in ("description", "default") if k in adapted}
        branches = _scalar_as_text(adapted).get("anyOf", [adapted])
        return {"anyOf": [*branches, {"$ref": "#/definitions/Secure"}], **extra}
    return adapted


def _rename_refs(node: Any) -> Any:
    """`#/$defs/X` -> `#/definitions/X` (draft 7's place for shared definitions)."""
    if isinstance(node, list):
        return [_rename_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    renamed = {key: _rename_refs(value) for key, value in node.items()}
    ref = renamed.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        renamed["$ref"] = "#/definitions/" + ref[len("#/$defs/") :]
    return renamed


def _partial(definition: dict[str, Any]) -> dict[str, Any]:
    partial = copy.deepcopy(definition)
    partial.pop("required", None)
    partial["description"] = (
        "A change to a service of the base catalog, key by key (`enabled: false` removes it)."
    )
    return partial


def stack_file_schema(
    namespace: str,
    *,
    aws_keys: Iterable[str] = (),
    base_catalog: str | None = None,
    model_class: type[BaseModel] = StackConfig,
) -> dict[str, Any]:
    """The JSON Schema (draft 7) of a stack file of project `namespace` built on the stack
    layer: `accessweaver` for AccessWeaver, `ca-a2a` for the CA-A2A example, any other project's
    name for a program of one's own. `aws_keys` are the AWS provider's settings (`aws:<key>`)
    the file may set (`loader.aws_config_keys()`); `base_catalog` the catalog its `services`
    extend (default: the project's own, as `baseCatalog` defaults); `model_class` the model of
    the project's keys (the bootstrap's `BootstrapConfig` for its stacks)."""
    model = model_class.model_json_schema(by_alias=True, mode="validation")
    definitions = _rename_refs(_adapt(model.pop("$defs", {})))
    definitions["Secure"] = _SECURE
    properties = _rename_refs(_adapt(model["properties"]))
    catalog = BASE_CATALOGS.get(base_catalog or default_base_catalog(namespace), {})
    if catalog and model_class is StackConfig:
        definitions["ServiceChange"] = _partial(definitions["ServiceSpec"])
        services = properties["services"]
        mapping = next(o for o in services["anyOf"] if o.get("type") == "object")
        mapping["properties"] = {
            name: {"$ref": "#/definitions/ServiceChange"} for name in sorted(catalog)
        }
    config_properties: dict[str, Any] = {
        f"{namespace}:{key}": value for key, value in sorted(properties.items())
    }
    config_properties["aws:region"] = {
        "type": "string",
        "pattern": r"^[a-z]{2}(-[a-z]+)+-\d$",
        "description": "The AWS region of the stack.",
    }
    config_properties["aws:allowedAccountIds"] = {
        "anyOf": [
            {"type": "array", "items": {"type": "string", "pattern": r"^\d{12}$"}},
            {"type": "string", "pattern": r"^\[.*\]$"},
        ],
        "description": "The stack's AWS account(s): the provider refuses any other.",
    }
    for key in sorted(set(aws_keys) - {"region", "allowedAccountIds"}):
        config_properties[f"aws:{key}"] = {"description": "A setting of the AWS provider."}
    other_namespace = rf"^(?!{_escape(namespace)}:|aws:)[A-Za-z0-9_.-]+:.+$"
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"https://accessweaver.example.com/schemas/{namespace}.stack.schema.json",
        "title": f"Pulumi stack file of project {namespace}",
        "description": (
            "Generated by `python -m tools.stack_schema` from the stack-config models "
            f"({model_class.__module__}.{model_class.__name__}); do not edit. "
            "Rules across keys are checked by a plan."
        ),
        "type": "object",
        "properties": {
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {"description": "Pulumi ESC environments the stack imports."},
            "config": {
                "type": "object",
                "properties": config_properties,
                "patternProperties": {other_namespace: {}},
                "additionalProperties": False,
                "required": [f"{namespace}:{key}" for key in model.get("required", [])]
                + ["aws:region"],
            },
        },
        "required": ["config"],
        "additionalProperties": False,
        "definitions": definitions,
    }


def _escape(text: str) -> str:
    """`re.escape` for a pattern every dialect reads: `-` outside a class needs no escape, and
    an ECMA-262 (unicode) pattern refuses `\\-`."""
    return "".join("\\" + c if c in ".^$*+?()[]{}|\\" else c for c in text)
