"""`python -m tools.stack_schema`: the JSON Schemas of the stack files, generated, never edited.

- `--write` regenerates `schemas/<project>.stack.schema.json` for every committed project
  (AccessWeaver, CA-A2A, the bootstrap) from the models (`components/stack/schema.py`);
- `--check` fails (exit 1) when a committed schema differs from what the models generate, or a
  committed stack file lacks the `yaml-language-server` modeline naming its schema;
- `--project NAME [--out FILE]` prints (or writes) the schema of a project of one's own built on
  the stack layer (its config namespace is its Pulumi project name);
- `FILE ...` validates stack files against their project's schema and lists every problem as
  `file: key path: value: problem` (exit 1 when there is one): what an editor shows as you type
  and what pre-commit runs (docs: docs/CONFIGURING.md, "Stack files checked as you type").
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from accessweaver_components.bootstrap.config import BootstrapConfig
from accessweaver_components.stack.loader import aws_config_keys
from accessweaver_components.stack.model import StackConfig
from accessweaver_components.stack.schema import stack_file_schema
from tools.generated import shown

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_DIR = ROOT / "schemas"
MODELINE = "# yaml-language-server: $schema="


@dataclass(frozen=True)
class Project:
    directory: Path
    model_class: type[BaseModel]

    @property
    def name(self) -> str:
        return yaml.safe_load((self.directory / "Pulumi.yaml").read_text())["name"]

    @property
    def schema_file(self) -> Path:
        return SCHEMA_DIR / f"{self.name}.stack.schema.json"

    def stack_files(self) -> list[Path]:
        return sorted(self.directory.glob("Pulumi.*.yaml"))

    def modeline(self, stack_file: Path) -> str:
        relative = Path(*([".."] * len(stack_file.parent.relative_to(ROOT).parts)))
        return f"{MODELINE}{(relative / 'schemas' / self.schema_file.name).as_posix()}"


PROJECTS = (
    Project(ROOT, StackConfig),
    Project(ROOT / "examples" / "ca-a2a", StackConfig),
    Project(ROOT / "bootstrap", BootstrapConfig),
)


def schema_of(name: str, model_class: type[BaseModel] = StackConfig) -> dict[str, Any]:
    return stack_file_schema(name, aws_keys=aws_config_keys(), model_class=model_class)


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def stale() -> Iterator[str]:
    """What `--check` reports: schemas out of date, stack files without their modeline."""
    for project in PROJECTS:
        expected = render(schema_of(project.name, project.model_class))
        path = project.schema_file
        if not path.exists() or path.read_text() != expected:
            yield (
                f"{_shown(path)}: not what the models generate; "
                "run `python -m tools.stack_schema --write`"
            )
        for stack_file in project.stack_files():
            first = stack_file.read_text().splitlines()[:1]
            if first != [project.modeline(stack_file)]:
                yield (
                    f"{stack_file.relative_to(ROOT)}: the first line must be "
                    f"`{project.modeline(stack_file)}` (editors find the schema by it)"
                )


def _mask(value: Any) -> Any:
    """`value` with every encrypted value replaced by `<secure>` (its ciphertext is no one's
    business in a message)."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return "<secure>"
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def _shown(path: Path) -> str:
    return shown(path, ROOT)


def _project_of(stack_file: Path) -> Project | None:
    resolved = stack_file.resolve().parent
    return next((p for p in PROJECTS if p.directory.resolve() == resolved), None)


def _at(document: Any, path: Sequence[Any]) -> Any:
    for part in path:
        document = document[part]
    return document


def _deepest(error: Any) -> Any:
    """The sub-error that says most where an `anyOf` failed (e.g. a number given as a word:
    the number branch's message, not "not valid under any of the given schemas")."""
    from jsonschema.exceptions import best_match

    while error.context:
        # A branch that failed on the value's type (`null` of an optional key, the text form
        # of a number) says least: prefer the branch that got further.
        further = [e for e in error.context if e.validator != "type"]
        error = best_match(further or error.context)
    return error


def _unknown_keys(error: Any, mapping: dict[str, Any]) -> list[str]:
    schema = error.schema
    known = set(schema.get("properties", {}))
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    unknown = [k for k in mapping if k not in known and not any(p.search(k) for p in patterns)]
    lines = []
    for key in sorted(unknown):
        near = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
        lines.append(f"{key}: unknown key" + (f"; did you mean {near[0]}?" if near else ""))
    return lines


def problems(stack_file: Path, schema: dict[str, Any]) -> list[str]:
    """Every place `stack_file` departs from `schema`, one line each (never a secret's value:
    an encrypted value is shown as `<secure>`)."""
    from jsonschema import Draft7Validator

    document = yaml.safe_load(stack_file.read_text()) or {}
    found = []
    for error in sorted(Draft7Validator(schema).iter_errors(document), key=lambda e: e.path):
        error = _deepest(error)
        path = list(error.absolute_path)
        parts = path[1:] if path[:1] == ["config"] else path
        key = ".".join(str(p) for p in parts)
        value = _at(document, path)
        if error.validator == "required" and isinstance(value, dict):
            prefix = f"{key}." if key else ""
            found += [
                f"{stack_file}: {prefix}{name}: missing: a required key"
                for name in error.validator_value
                if name not in value
            ]
            continue
        if error.validator == "additionalProperties" and isinstance(value, dict):
            prefix = f"{key}." if key else ""
            found += [f"{stack_file}: {prefix}{line}" for line in _unknown_keys(error, value)]
            continue
        masked = _mask(value)
        message = error.message.replace(repr(error.instance), repr(masked))
        found.append(f"{stack_file}: {key}: {json.dumps(masked)}: {message}")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.stack_schema", description=__doc__)
    parser.add_argument("files", nargs="*", type=Path, help="stack files to validate")
    parser.add_argument("--write", action="store_true", help="regenerate the committed schemas")
    parser.add_argument("--check", action="store_true", help="fail when one is stale")
    parser.add_argument("--project", help="print the schema of a project of one's own")
    parser.add_argument("--out", type=Path, help="with --project: write it here")
    args = parser.parse_args(argv)
    if args.project:
        text = render(schema_of(args.project))
        if args.out:
            args.out.write_text(text)
        else:
            sys.stdout.write(text)
        return 0
    if args.write:
        SCHEMA_DIR.mkdir(exist_ok=True)
        for project in PROJECTS:
            project.schema_file.write_text(render(schema_of(project.name, project.model_class)))
            print(f"wrote {_shown(project.schema_file)}")
        return 0
    if args.check:
        found = list(stale())
        print("\n".join(found) or "schemas and modelines up to date")
        return 1 if found else 0
    found = []
    for stack_file in args.files:
        project = _project_of(stack_file)
        if project is None:
            found.append(f"{stack_file}: not a stack file of a committed project (use --project)")
            continue
        found += problems(stack_file, schema_of(project.name, project.model_class))
    print("\n".join(found) or f"{len(args.files)} stack file(s) valid")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
