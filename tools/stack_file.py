"""Reading `Pulumi.<stack>.yaml` the way the Pulumi CLI reads it, for the offline engine.

The CLI parses stack files with Go's yaml.v3, which follows YAML 1.2's core schema: `19:00`,
`NO`, `on`, `2026-12-01` stay text, where PyYAML's YAML 1.1 rules make them 1140, false, true
and a date. `CliLoader` resolves plain scalars with yaml.v3's rules so the offline plan and
`pulumi up` see the same values: null (`~`, `null`, empty), booleans (`true`/`false` in three
spellings), integers (decimal, `0o`, `0x`, `0b`), floats (decimal, `.inf`, `.nan`), text for
everything else.

Values reach the program as the CLI hands them over: top-level values as text, objects and
lists as JSON. An encrypted value (`secure:`), at the top level or nested inside an object
(`pulumi config set --path --secret`), cannot be decrypted offline: it becomes a marked
stand-in and its top-level key is a secret, as the CLI marks it. A file that is not a mapping
with a `config:` key, or that YAML or the CLI would refuse, raises `ConfigError`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from accessweaver_components.formats import ENCRYPTED as SECURE_PLACEHOLDER


class CliLoader(yaml.SafeLoader):
    """PyYAML's safe loader with yaml.v3's (YAML 1.2 core) resolution of plain scalars."""


CliLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag in ("tag:yaml.org,2002:merge",)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    (
        # Go's strconv.ParseInt(text, 0, 64), which yaml.v3 calls: 0x, 0o, 0b and a leading 0
        # (octal), underscores between digits.
        "tag:yaml.org,2002:int",
        r"^[-+]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$",
        list("-+0123456789"),
    ),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
):
    CliLoader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


def _construct_int(loader: CliLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-").lower()
    for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    if len(digits) > 1 and digits.startswith("0"):
        return sign * int(digits, 8)
    return sign * int(digits)


def _construct_float(loader: CliLoader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).lower()
    if text.endswith("inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text == ".nan":
        return float("nan")
    return float(text)


CliLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
CliLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def load(text: str) -> Any:
    """`text` parsed as the Pulumi CLI parses a stack file."""
    return yaml.load(text, Loader=CliLoader)


@dataclass(frozen=True)
class StackConfigFile:
    project: str
    values: dict[str, str]
    """`<namespace>:<key>` -> string, objects JSON-encoded: what the CLI passes a program."""
    secret_keys: list[str]
    label: str
    """How messages name the file (`Pulumi.dev.yaml`, or the --config-file path)."""


def read_stack_config(
    project_dir: Path, stack: str, config_file: Path | None = None
) -> StackConfigFile:
    project_file = load((project_dir / "Pulumi.yaml").read_text())
    project = project_file["name"]
    path = config_file or project_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such stack file")
    label = str(config_file) if config_file else path.name
    document = _load_yaml(path, label=label, project=project)
    stack_values = _config_section(document, label=label, project=project)

    values: dict[str, str] = {}
    # Project-level defaults first (Pulumi.yaml `config:` block), then the stack file.
    for key, spec in (project_file.get("config") or {}).items():
        if isinstance(spec, dict) and "default" in spec:
            values[_qualify(project, key)] = _encode(spec["default"])
    secret_keys = []
    for key, value in stack_values.items():
        qualified = _qualify(project, str(key))
        # Encrypted values cannot be decrypted offline; the program sees a marked stand-in, and
        # a key holding one (at any depth) is a secret, as the CLI marks it.
        plain, secret = _without_secure(value)
        values[qualified] = _encode(plain)
        if secret:
            secret_keys.append(qualified)
    return StackConfigFile(project, values, secret_keys, label)


def _config_section(document: Any, *, label: str, project: str) -> dict[str, Any]:
    from accessweaver_components.stack import ConfigError, ConfigIssue

    if document is None:
        return {}
    if not isinstance(document, dict):
        kind = "a list" if isinstance(document, list) else type(document).__name__
        raise ConfigError(
            label,
            project,
            [
                ConfigIssue(
                    "(stack file)",
                    kind,
                    f"the file is {kind}, not a mapping with a `config:` key",
                    f"config:\n    aws:region: eu-west-1\n    {project}:environment: dev",
                )
            ],
        )
    if "config" not in document:
        keys = ", ".join(sorted(map(str, document))) or "none"
        raise ConfigError(
            label,
            project,
            [
                ConfigIssue(
                    "(stack file)",
                    f"top-level keys: {keys}",
                    "the file has no `config:` key, so Pulumi reads no configuration from it",
                    f"the stack's keys under `config:` (config: {{{project}:environment: dev}})",
                )
            ],
        )
    section = document["config"] or {}
    if not isinstance(section, dict):
        raise ConfigError(
            label,
            project,
            [
                ConfigIssue(
                    "(stack file)",
                    type(section).__name__,
                    "`config:` holds no mapping of keys to values",
                    f"`config:` followed by `<namespace>:<key>: value` lines ({project}:...)",
                )
            ],
        )
    return section


def _without_secure(value: Any) -> tuple[Any, bool]:
    """`value` with every `{secure: ...}` replaced by the stand-in, and whether it had one."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECURE_PLACEHOLDER, True
        secret = False
        plain = {}
        for key, item in value.items():
            plain[key], inner = _without_secure(item)
            secret = secret or inner
        return plain, secret
    if isinstance(value, list):
        items = [_without_secure(item) for item in value]
        return [item for item, _ in items], any(inner for _, inner in items)
    return value, False


def _qualify(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _encode(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def _load_yaml(path: Path, *, label: str, project: str) -> Any:
    """The stack file's content; ConfigError where the Pulumi CLI would refuse the file: YAML
    syntax errors and keys defined twice (PyYAML would silently keep the last one)."""
    from accessweaver_components.stack import ConfigError, ConfigIssue

    text = path.read_text()
    try:
        root = yaml.compose(text, Loader=CliLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "the file"
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(
            label,
            project,
            [ConfigIssue("(stack file)", where, f"not valid YAML: {problem}", "a YAML mapping")],
        ) from None
    issues = [
        ConfigIssue(key_path, f"line {line}", "defined twice in the file", "each key once")
        for key_path, line in _duplicate_keys(root, project)
    ]
    if issues:
        raise ConfigError(label, project, issues)
    return load(text)


def _duplicate_keys(node: Any, project: str, path: str = "") -> list[tuple[str, int]]:
    """`(key path as messages show it, line)` of every key repeated in its mapping."""
    found: list[tuple[str, int]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if path:
                child = f"{path}.{key}"
            elif key == "config":
                child = ""  # the stack's keys are shown without the `config:` level
            elif key.startswith(f"{project}:"):
                child = key.removeprefix(f"{project}:")
            else:
                child = f"({key})"  # another namespace, e.g. (aws:region)
            if key in seen:
                found.append((child or key, key_node.start_mark.line + 1))
            seen.add(key)
            found += _duplicate_keys(value_node, project, child)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found += _duplicate_keys(item, project, f"{path}[{index}]")
    return found
