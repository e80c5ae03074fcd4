"""The one error type bad stack config produces, and its formatting.

`ConfigError` subclasses `pulumi.RunError`: the Pulumi language host prints a RunError's message
without a Python traceback, so `pulumi up` shows only the list of problems.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError

MISSING = object()


@dataclass(frozen=True)
class ConfigIssue:
    """One bad setting: where it is, what it holds, what is wrong and what is allowed."""

    path: str
    """Key path as written in the stack file, without namespace (`serviceOverrides.x.cpu`)."""
    value: Any
    problem: str
    allowed: str = ""

    def render(self, namespace: str) -> str:
        shown = "(missing)" if self.value is MISSING else _show(self.value)
        text = f"{namespace}:{self.path} = {shown}: {self.problem}"
        return f"{text}; allowed: {self.allowed}" if self.allowed else text


class ConfigError(pulumi.RunError):
    """The stack config is invalid; raised before any resource is registered."""

    def __init__(self, stack_file: str, namespace: str, issues: list[ConfigIssue]):
        self.stack_file = stack_file
        self.namespace = namespace
        self.issues = sorted(issues, key=lambda i: i.path)
        lines = [
            f"{stack_file}: invalid stack configuration ({len(self.issues)} problem"
            f"{'' if len(self.issues) == 1 else 's'}); nothing was created."
        ]
        lines += [f"  - {issue.render(namespace)}" for issue in self.issues]
        super().__init__("\n".join(lines))


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _unwrap(annotation: Any) -> Any:
    """Strip Optional/Annotated so the walk below sees the container or model type."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else annotation
            if len(args) != 1:
                return annotation
        else:
            return annotation


def allowed_keys(model: type[BaseModel], loc: tuple) -> list[str] | None:
    """Aliases accepted at the mapping that holds `loc[-1]`, walking `model` along `loc`."""
    current: Any = model
    for part in loc[:-1]:
        current = _unwrap(current)
        origin = typing.get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = {f.alias or name: f for name, f in current.model_fields.items()}
            if part not in fields:
                return None
            current = fields[part].annotation
        elif origin is dict:
            current = typing.get_args(current)[1]
        elif origin is list:
            current = typing.get_args(current)[0]
        else:
            return None
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(f.alias or name for name, f in current.model_fields.items())
    return None


def issues_from_validation(model: type[BaseModel], error: ValidationError) -> list[ConfigIssue]:
    issues = []
    for err in error.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        value = err.get("input", MISSING)
        if kind == "extra_forbidden":
            keys = allowed_keys(model, loc)
            issues.append(
                ConfigIssue(_path(loc), value, "unknown key", ", ".join(keys) if keys else "")
            )
        elif kind == "missing":
            issues.append(ConfigIssue(_path(loc), MISSING, "required key is missing"))
        else:
            message = err["msg"].removeprefix("Value error, ")
            problem, _, allowed = message.partition("allowed: ")
            issues.append(
                ConfigIssue(_path(loc), value, problem.rstrip("; ") or "invalid value", allowed)
            )
    return issues
