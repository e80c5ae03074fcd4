"""A small evaluator of IAM policy documents, for tests: one request (action, resource, request
context) against one document, as IAM's policy evaluation logic decides it within one policy
(IAM user guide, "Policy evaluation logic"): an explicit Deny wins, then an Allow, else the
implicit deny. With a permissions boundary, a request is allowed only when both the identity
policy and the boundary allow it and neither denies it.

What it models: Action/NotAction (case-insensitive wildcards), Resource/NotResource (`*` and
`?` wildcards, case-sensitive), and the condition operators the project's documents use:
String(Not)Equals, String(Not)Like, Arn(Not)Equals, Arn(Not)Like, Bool, Null, each with the
`IfExists` suffix and the `ForAnyValue:` / `ForAllValues:` set prefixes (IAM user guide, "IAM
JSON policy elements: Condition operators", "Multivalued context keys"). A key missing from the
request makes a positive operator false and a negated one true, as IAM does. Policy variables
and numeric/date operators are not modelled (no document of the project uses them).
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

Decision = Literal["Allow", "Deny", "ImplicitDeny"]
Context = Mapping[str, str | Sequence[str]]


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = document.get("Statement", [])
    return [found] if isinstance(found, Mapping) else list(found)


def action_matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def resource_matches(pattern: str, resource: str) -> bool:
    """IAM's ARN wildcards: `*` spans any characters (`/` and `:` included), `?` one; no
    character classes (fnmatch's `[` is escaped)."""
    return fnmatch.fnmatchcase(resource, pattern.replace("[", "[[]"))


_NEGATED = {"StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike"}


def _match_one(operator: str, policy_value: str, value: str) -> bool:
    base = operator.removesuffix("IfExists")
    positive = {
        "StringNotEquals": "StringEquals",
        "StringNotLike": "StringLike",
        "ArnNotEquals": "ArnEquals",
        "ArnNotLike": "ArnLike",
    }.get(base, base)
    if positive == "StringEquals":
        return value == policy_value
    if positive == "StringEqualsIgnoreCase":
        return value.lower() == policy_value.lower()
    if positive in ("StringLike", "ArnLike", "ArnEquals"):
        return resource_matches(policy_value, value)
    if positive == "Bool":
        return value.lower() == policy_value.lower()
    raise ValueError(f"operator {operator} is not modelled")


def _condition_holds(operator: str, key: str, expected: Any, context: Context) -> bool:
    prefix, _, name = operator.rpartition(":")
    lowered = {k.lower(): v for k, v in context.items()}
    present = key.lower() in lowered
    if name == "Null":
        wanted = _list(expected)[0].lower() == "true"
        return (not present) == wanted
    if_exists = name.endswith("IfExists")
    base = name.removesuffix("IfExists")
    if not present:
        if if_exists:
            return True
        if prefix == "ForAllValues":
            return True
        return base in _NEGATED and prefix != "ForAnyValue"
    values = _list(lowered[key.lower()])
    policy_values = _list(expected)
    negated = base in _NEGATED

    def positive_match(value: str) -> bool:
        return any(_match_one(base, p, value) for p in policy_values)

    if prefix == "ForAllValues":
        if negated:
            return all(not positive_match(v) for v in values)
        return all(positive_match(v) for v in values)
    if prefix == "ForAnyValue":
        if negated:
            return any(not positive_match(v) for v in values)
        return any(positive_match(v) for v in values)
    if negated:
        return not any(positive_match(v) for v in values)
    return any(positive_match(v) for v in values)


def conditions_hold(conditions: Mapping[str, Mapping[str, Any]] | None, context: Context) -> bool:
    """Every operator block and every key within it holds (AND); a key's values are OR."""
    for operator, keys in (conditions or {}).items():
        for key, expected in keys.items():
            if not _condition_holds(operator, key, expected, context):
                return False
    return True


def statement_applies(
    statement: Mapping[str, Any], action: str, resource: str, context: Context
) -> bool:
    if "NotAction" in statement:
        if any(action_matches(p, action) for p in _list(statement["NotAction"])):
            return False
    elif not any(action_matches(p, action) for p in _list(statement.get("Action"))):
        return False
    if "NotResource" in statement:
        if any(resource_matches(p, resource) for p in _list(statement["NotResource"])):
            return False
    elif not any(resource_matches(p, resource) for p in _list(statement.get("Resource", "*"))):
        return False
    return conditions_hold(statement.get("Condition"), context)


def decide(
    document: Mapping[str, Any], action: str, resource: str = "*", context: Context | None = None
) -> Decision:
    context = context or {}
    matched = [s for s in _statements(document) if statement_applies(s, action, resource, context)]
    if any(s.get("Effect") == "Deny" for s in matched):
        return "Deny"
    if any(s.get("Effect") == "Allow" for s in matched):
        return "Allow"
    return "ImplicitDeny"


def allows(
    document: Mapping[str, Any], action: str, resource: str = "*", context: Context | None = None
) -> bool:
    return decide(document, action, resource, context) == "Allow"


def denies(
    document: Mapping[str, Any], action: str, resource: str = "*", context: Context | None = None
) -> bool:
    """An explicit Deny of the document covers the request."""
    return decide(document, action, resource, context) == "Deny"


def within_boundary(
    identity: Mapping[str, Any],
    boundary: Mapping[str, Any],
    action: str,
    resource: str = "*",
    context: Context | None = None,
) -> bool:
    """The effective permission of a role with a permissions boundary (same account, no
    resource policy): both allow, neither denies."""
    return allows(identity, action, resource, context) and allows(
        boundary, action, resource, context
    )


# -- the catalogue of IAM actions (parliament ships AWS's Service Authorization Reference) -------


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    """service prefix -> {action name: access level}: tools.data_reads' reading of it, read
    once per session (the catalogue is large and every expansion walks it)."""
    from tools.data_reads import catalogue as read_catalogue

    return read_catalogue()


def expand(patterns: Iterable[str]) -> set[str]:
    """Every catalogued action a list of action patterns names (`logs:Put*`)."""
    found: set[str] = set()
    for pattern in patterns:
        service, _, name = pattern.partition(":")
        for prefix, actions in catalogue().items():
            if not fnmatch.fnmatchcase(prefix, service.lower()):
                continue
            found |= {f"{prefix}:{a}" for a in actions if action_matches(name, a)}
    return found
