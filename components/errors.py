"""The one error type bad stack config produces, and its formatting.

`ConfigError` subclasses `pulumi.RunError`: the Pulumi language host prints a RunError's message
without a Python traceback, so `pulumi up` shows only the list of problems.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError

from .formats import ENFORCED_ENVIRONMENTS, Environment

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
        # `(aws:region)`, `(stack file)`: not a key of the project's namespace, shown as is.
        where = self.path if self.path.startswith("(") else f"{namespace}:{self.path}"
        return self.render_at(where)

    def render_at(self, where: str) -> str:
        """`<where> = <value>: <problem>; allowed: <allowed>` (a secret's value masked)."""
        shown = "(missing)" if self.value is MISSING else _show(masked(self.path, self.value))
        text = f"{where} = {shown}: {self.problem}"
        return f"{text}; allowed: {self.allowed}" if self.allowed else text


@dataclass
class Rules:
    """Where a resolver collects its problems, and the environment's enforcement of controls."""

    env: Environment
    prefix: str
    """`<project>-<env>`: the prefix of physical names."""
    issues: list[ConfigIssue]

    def require(self, path: str, value: Any, ok: bool, problem: str, allowed: str) -> None:
        """A CONTROLS.md "P" control: an error in staging and prod, the dev waiver otherwise."""
        if self.env in ENFORCED_ENVIRONMENTS and not ok:
            self.issues.append(
                ConfigIssue(path, value, f"{problem} (required in {self.env})", allowed)
            )


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


class ArgumentError(pulumi.RunError, ValueError):
    """A component's arguments are invalid; raised before the component registers anything.

    Each issue's `path` is the argument as written in Python (`memory`, `scaling.min_capacity`,
    `container.port`), shown after the arguments' class (`MicroserviceArgs.memory = 4096: ...`).
    A `ValueError` too: callers that caught the components' earlier `ValueError`s still do."""

    def __init__(
        self,
        component: str,
        name: str,
        arguments: str,
        issues: Sequence[ConfigIssue],
        *,
        before_creation: bool = True,
    ):
        self.component = component
        self.name = name
        self.arguments = arguments
        self.issues = list(issues)
        count = len(self.issues)
        lines = [
            f"{component} {name!r}: invalid arguments ({count} problem"
            f"{'' if count == 1 else 's'})" + ("; nothing was created." if before_creation else ":")
        ]
        lines += [f"  - {issue.render_at(f'{arguments}.{issue.path}')}" for issue in self.issues]
        super().__init__("\n".join(lines))


def raise_argument_issues(
    component: str, name: str, arguments: str, issues: Sequence[ConfigIssue]
) -> None:
    """Raise `ArgumentError` when there is any issue (all of them at once)."""
    if issues:
        raise ArgumentError(component, name, arguments, issues)


SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|CREDENTIAL", re.I)
"""Names whose values are secrets (environment variables, keys of a map)."""
SECRET_KEYS = ("secrets", "commonSecrets")
"""Stack keys whose values are secret references: a plain value there may be the secret."""
HIDDEN = "<hidden>"
_SECRET_SHAPES = (
    re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY"),
    re.compile(r"\b(ghp|gho|ghs|github_pat|xox[abps]|sk_live|sk-)[A-Za-z0-9_-]{8,}"),
    re.compile(r"^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"),  # a JWT
)
_NOT_SECRET = re.compile(
    r"^(arn:|https?://|/|[a-z]+-[0-9a-f]{8,17}$|[a-z0-9.-]+\.[a-z]{2,}(/|:|$))"
)


def looks_secret(value: str) -> bool:
    """A known secret shape, or a long random-looking word (letters and digits mixed)."""
    if any(shape.search(value) for shape in _SECRET_SHAPES):
        return True
    if _NOT_SECRET.match(value) or len(value) < 20 or any(c.isspace() for c in value):
        return False
    has = (any(c.isdigit() for c in value), any(c.islower() for c in value),
           any(c.isupper() for c in value))  # fmt: skip
    return sum(has) == 3


def masked(path: str, value: Any) -> Any:
    """`value` as a message may show it: nothing under a secrets key or a secret-looking name,
    no secret-looking text anywhere in it."""
    parts = [p for p in re.split(r"[.\[\]]", path) if p]
    if any(p in SECRET_KEYS for p in parts) or (parts and SECRET_NAME.search(parts[-1])):
        return HIDDEN
    if isinstance(value, str):
        return HIDDEN if looks_secret(value) else value
    if isinstance(value, dict):
        return {k: masked(f"{path}.{k}", v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [masked(f"{path}[{i}]", v) for i, v in enumerate(value)]
    return value


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


def _container(model: type[BaseModel], loc: tuple) -> Any:
    """The (unwrapped) type of the mapping that holds `loc[-1]`, walking `model` along `loc`."""
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
    return _unwrap(current)


def field_at(model: type[BaseModel], loc: tuple) -> Any | None:
    """The pydantic `FieldInfo` of the key at `loc` (aliases, as errors name them), or None."""
    current = _container(model, loc)
    if not (loc and isinstance(current, type) and issubclass(current, BaseModel)):
        return None
    return {f.alias or name: f for name, f in current.model_fields.items()}.get(loc[-1])


def allowed_keys(model: type[BaseModel], loc: tuple) -> list[str] | None:
    """Aliases accepted at the mapping that holds `loc[-1]`, walking `model` along `loc`."""
    current = _container(model, loc)
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
            keys = allowed_keys(model, loc) or []
            near = difflib.get_close_matches(str(loc[-1]), keys, n=1, cutoff=0.6)
            allowed = ", ".join(keys)
            if near:
                allowed = f"{near[0]} (the closest); all: {allowed}"
            issues.append(ConfigIssue(_path(loc), value, "unknown key", allowed))
        elif kind == "missing":
            issues.append(
                ConfigIssue(
                    _path(loc), MISSING, "required key is missing", _description(model, loc)
                )
            )
        else:
            message = err["msg"].removeprefix("Value error, ")
            problem, _, allowed = message.partition("allowed: ")
            allowed = allowed or _generic_allowed(kind, err.get("ctx") or {})
            issues.append(
                ConfigIssue(_path(loc), value, problem.rstrip("; ") or "invalid value", allowed)
            )
    return issues


# What pydantic's own errors allow, worded for a stack file (our validators say it themselves).
_BOUNDS = {
    "greater_than_equal": "at least {ge}",
    "greater_than": "more than {gt}",
    "less_than_equal": "at most {le}",
    "less_than": "less than {lt}",
    "string_too_short": "at least {min_length} characters",
    "string_too_long": "at most {max_length} characters",
    "too_short": "at least {min_length} item(s)",
    "too_long": "at most {max_length} item(s)",
    "string_pattern_mismatch": "text matching {pattern}",
    "multiple_of": "a multiple of {multiple_of}",
}
_TYPES = {
    "bool": "true or false",
    "int": "a whole number",
    "float": "a number",
    "string": "text (quote it if YAML reads it as something else)",
    "dict": "a mapping of keys to values",
    "list": "a list",
    "model": "a mapping of keys to values",
}


def _generic_allowed(kind: str, ctx: dict[str, Any]) -> str:
    if kind == "literal_error":
        return str(ctx.get("expected", ""))
    if kind in _BOUNDS:
        try:
            return _BOUNDS[kind].format(**ctx)
        except (KeyError, IndexError):
            return ""
    return _TYPES.get(kind.split("_")[0], "")


def _description(model: type[BaseModel], loc: tuple) -> str:
    """The description of the missing field `loc[-1]` (what it holds says what is allowed)."""
    current = _container(model, loc)
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return ""
    fields = {f.alias or name: f for name, f in current.model_fields.items()}
    field = fields.get(loc[-1])
    return (field.description or "").rstrip(".") if field is not None else ""
