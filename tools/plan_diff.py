"""What a plan would change in a deployed stack: create, update, replace, delete, by resource.

`python -m tools.plan STACK --against FILE` compares the offline plan with a previous one: an
earlier `--json` plan of this tool or a `pulumi stack export` document (Pulumi's deployment
format, version 3). Pure logic, no engine: tests/test_plan_diff.py exercises it on hand-made
documents. docs/DESIGN.md ("Destructive-change guard") explains the choices; in short:

- Resources are matched by URN; a new resource also answers to its `aliases` (a rename that
  carries one is the same resource, as for the Pulumi engine).
- An input changes when its value differs, except keys a provider filled in by default
  (`__defaults` in a real state: not removals) and secrets (masked on both sides: compared equal).
- An input made from other resources' outputs (its `propertyDependencies`) holds mock ids offline
  and real ids in a state, so it is compared through its dependencies only: it changes when it
  points at other resources, or when one of them is created or replaced (its value is then
  unknown, as in a real preview; for a replacing input, the replacement cascades).
- A change replaces the resource when the provider says so: `tools/force_new.json` lists, per
  type, the inputs marked `ForceNew` / `RequiresReplace` in the Terraform providers pulumi-aws,
  pulumi-random and pulumi-github bridge, and the few value-dependent rules (a version
  downgrade).
- Children of multi-language components (awsx's `Vpc`: subnets, routes, NAT gateways), providers,
  the stack and external (read) resources of a stack export are invisible offline: they are
  skipped, and counted.

A delete or replace of a type in `tools/stateful.GUARDED_TYPES` is destructive: the plan CLI then
exits with `EXIT_DESTRUCTIVE`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .stateful import GUARDED_TYPES

EXIT_DESTRUCTIVE = 4
"""`python -m tools.plan STACK --against FILE` exit code: a guarded resource would be deleted or
replaced (0 ok, 2 bad config or unreadable FILE, 3 mandatory policy violation)."""

FORCE_NEW_FILE = Path(__file__).with_name("force_new.json")
SECRET = "[secret]"
"""What the offline engine records for a secret (tools/engine.SECRET_PLACEHOLDER)."""
_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
"""How a state file marks a secret value (the SDK's `pulumi.runtime.rpc._special_sig_key` and
`_special_secret_sig`; tests/test_plan_diff.py checks they still match)."""
_DEFAULTS = "__defaults"
CODE_INPUTS = {"pulumi-python:dynamic/accessweaver:MigrationRun": ("__provider",)}
"""Inputs that are the dynamic provider's serialized code, not values its diff compares
(`MigrationRunProvider.diff` skips `__` keys): a new module path is not an update."""
PROVIDER_FILLED = ("tagsAll",)
"""Inputs pulumi-aws writes into a state itself (the tags merged with the provider's default
tags: pulumi/pulumi-aws#4204 shows one); the program never sets them, so their absence offline
is no removal."""
_STACK_TYPE = "pulumi:pulumi:Stack"
_MISSING = object()


class PreviousPlanError(ValueError):
    """The `--against` document is neither a plan of this tool nor a stack export."""


# -------------------------------------------------------------------------------------------
# The provider's replacement rules
# -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A replacement that depends on the old and new values (a CustomizeDiff rule)."""

    when: str
    paths: tuple[str, ...]
    values: tuple[str, ...] = ()
    """`from-to`: (from, to); `changed-except-between`: the values moving between is in place."""
    why: str = ""

    def replaces(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
        before = [_value_at(old, p) for p in self.paths]
        after = [_value_at(new, p) for p in self.paths]
        if self.when == "kind-changes":
            return [v is not _MISSING for v in before] != [v is not _MISSING for v in after]
        old_value, new_value = before[0], after[0]
        if old_value is _MISSING or new_value is _MISSING or _same(old_value, new_value):
            return False
        if self.when == "decrease":
            return _version(new_value) < _version(old_value)
        if self.when == "unless-increase":
            return not _version(new_value) > _version(old_value)
        if self.when == "from-to":
            return (old_value, new_value) == self.values
        if self.when == "changed-except-between":
            return not {old_value, new_value} <= set(self.values)
        raise ValueError(f"unknown condition {self.when!r}")


@dataclass(frozen=True)
class Rules:
    force_new: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    component: bool = False


@functools.cache
def load_rules(path: Path = FORCE_NEW_FILE) -> dict[str, Rules]:
    """Pulumi type -> its replacement rules (tools/force_new.json)."""
    data = json.loads(path.read_text())
    rules: dict[str, Rules] = {}
    for type_, entry in data["types"].items():
        conditions = tuple(
            Condition(
                when=c["when"],
                paths=tuple(c.get("paths") or [c["path"]]),
                values=tuple(c.get("values") or ([c["from"], c["to"]] if "from" in c else [])),
                why=c.get("why", ""),
            )
            for c in entry.get("conditional", [])
        )
        rules[type_] = Rules(
            force_new=tuple(entry.get("forceNew", [])),
            conditions=conditions,
            component=bool(entry.get("component")),
        )
    return rules


# -------------------------------------------------------------------------------------------
# Both sides as one shape
# -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    urn: str
    type: str
    custom: bool = True
    inputs: Mapping[str, Any] = field(default_factory=dict)
    dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Input property -> URNs of the resources its value comes from."""
    aliases: tuple[str, ...] = ()
    ignore_changes: tuple[str, ...] = ()
    remote: bool = False
    """A multi-language component: its children are invisible offline."""

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def ancestors(self) -> tuple[str, ...]:
        """Types of the parent chain, from the URN (`parent$child$...::name`)."""
        return tuple(self.urn.split("::")[2].split("$")[:-1])


@dataclass(frozen=True)
class Previous:
    kind: str
    """`plan` (a `--json` plan of this tool) or `stack export`."""
    stack: str
    project: str
    resources: tuple[Resource, ...]
    skipped: Mapping[str, int] = field(default_factory=dict)


def stack_and_project(urn: str) -> tuple[str, str]:
    head, project = urn.split("::")[:2]
    return head.split(":", 2)[2], project


def _unmask(value: Any) -> Any:
    """A state's secret values (`{<sig>: <secret sig>, ciphertext|plaintext}`) as `[secret]`."""
    if isinstance(value, dict):
        if value.get(_SECRET_SIG_KEY) == _SECRET_SIG:
            return SECRET
        return {k: _unmask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unmask(v) for v in value]
    return value


def load_previous(document: Any) -> Previous:
    """A previous plan: this tool's `--json` plan or a `pulumi stack export` document."""
    if not isinstance(document, dict):
        raise PreviousPlanError("not a JSON object")
    if "deployment" in document:
        return _from_export(document)
    if "resources" in document and "stack" in document:
        return _from_plan(document)
    raise PreviousPlanError(
        "neither a plan of `python -m tools.plan STACK --json` (keys stack, resources) nor a "
        "`pulumi stack export` document (keys version, deployment)"
    )


def _from_plan(document: Mapping[str, Any]) -> Previous:
    resources = []
    for item in document["resources"]:
        if "urn" not in item or "propertyDependencies" not in item:
            raise PreviousPlanError(
                "a plan made before resources carried their URN and propertyDependencies: "
                "make it again with this version of `python -m tools.plan STACK --json`"
            )
        resources.append(
            Resource(
                urn=item["urn"],
                type=item["type"],
                custom=bool(item.get("custom", True)),
                inputs=item.get("inputs") or {},
                dependencies={k: tuple(v) for k, v in item["propertyDependencies"].items()},
                aliases=tuple(item.get("aliases", ())),
            )
        )
    stack, project = stack_and_project(resources[0].urn) if resources else (document["stack"], "")
    return Previous("plan", stack, project, tuple(resources))


def _from_export(document: Mapping[str, Any]) -> Previous:
    """`pulumi stack export` (apitype.UntypedDeployment, version 3: DeploymentV3/ResourceV3)."""
    if document.get("version") != 3:
        raise PreviousPlanError(
            f"stack export version {document.get('version')!r}: only version 3 is read"
        )
    deployment = document.get("deployment") or {}
    resources: list[Resource] = []
    skipped: dict[str, int] = {}
    stack_urn = None
    for item in deployment.get("resources") or []:
        type_ = item.get("type", "")
        reason = None
        if type_ == _STACK_TYPE:
            stack_urn, reason = item["urn"], "the stack"
        elif type_.startswith("pulumi:providers:"):
            reason = "providers"
        elif item.get("external"):
            reason = "read (external) resources"
        elif item.get("delete"):
            reason = "resources pending deletion"
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        resources.append(
            Resource(
                urn=item["urn"],
                type=type_,
                custom=bool(item.get("custom")),
                inputs=_unmask(item.get("inputs") or {}),
                dependencies={
                    k: tuple(v) for k, v in (item.get("propertyDependencies") or {}).items()
                },
                aliases=tuple(item.get("aliases") or ()),
            )
        )
    first = stack_urn or (resources[0].urn if resources else None)
    if first is None:
        raise PreviousPlanError("a stack export without resources")
    stack, project = stack_and_project(first)
    return Previous("stack export", stack, project, tuple(resources), skipped)


def from_recorded(recorded: Iterable[Any]) -> list[Resource]:
    """The offline engine's records (tools/engine.RecordedResource) in this module's shape."""
    return [
        Resource(
            urn=r.urn,
            type=r.type,
            custom=r.custom,
            inputs=r.inputs,
            dependencies=dict(r.property_dependency_urns),
            aliases=tuple(r.aliases),
            ignore_changes=tuple(r.ignore_changes),
            remote=r.remote,
        )
        for r in recorded
    ]


# -------------------------------------------------------------------------------------------
# Values
# -------------------------------------------------------------------------------------------


def _same(old: Any, new: Any) -> bool:
    if old == SECRET or new == SECRET:
        return True
    if isinstance(old, dict) and isinstance(new, dict):
        keys = (set(old) | set(new)) - {_DEFAULTS}
        return all(_same(old.get(k, _MISSING), new.get(k, _MISSING)) for k in keys)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new, strict=True))
    return old == new


def _without_defaults(old: Any, new: Any) -> Any:
    """`old` less the keys its provider filled in by default (`__defaults`) that `new` does
    not set: a default the program never wrote is not something it removes."""
    if isinstance(old, dict):
        other = new if isinstance(new, dict) else {}
        defaults = set(old.get(_DEFAULTS) or ())
        return {
            k: _without_defaults(v, other.get(k))
            for k, v in old.items()
            if k != _DEFAULTS and not (k in defaults and k not in other)
        }
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [_without_defaults(a, b) for a, b in zip(old, new, strict=True)]
    return old


def _value_at(inputs: Any, path: str) -> Any:
    """The value at a dotted path, through lists (a list of the values below each item)."""
    value = inputs
    for i, part in enumerate(path.split(".")):
        if isinstance(value, list):
            rest = ".".join(path.split(".")[i:])
            return [_value_at(item, rest) for item in value]
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _version(value: Any) -> tuple[int, ...]:
    parts = []
    for part in str(value).split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _ignored(key: str, ignore_changes: Sequence[str]) -> bool:
    """Top-level keys under `ignoreChanges` (nested paths ignore their whole top-level key)."""
    return any(path.replace("[", ".").split(".")[0] == key for path in ignore_changes)


# -------------------------------------------------------------------------------------------
# The comparison
# -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    op: str
    """create, update, replace, delete or same."""
    urn: str
    type: str
    keys: tuple[str, ...] = ()
    """Inputs that change (top-level)."""
    unknown: tuple[str, ...] = ()
    """Inputs whose value becomes unknown: one of their dependencies is created or replaced."""
    replace_reasons: tuple[str, ...] = ()
    """The replacing inputs (force_new.json paths) that change."""
    previous_urn: str | None = None
    """The URN the previous plan had, when the resource answers to it through an alias."""
    note: str = ""

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def destructive(self) -> bool:
        return self.op in ("replace", "delete") and self.type in GUARDED_TYPES

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"op": self.op, "urn": self.urn, "type": self.type}
        if self.keys:
            found["keys"] = list(self.keys)
        if self.unknown:
            found["unknown"] = list(self.unknown)
        if self.replace_reasons:
            found["replaceReasons"] = list(self.replace_reasons)
        if self.previous_urn:
            found["previousUrn"] = self.previous_urn
        if self.note:
            found["note"] = self.note
        if self.destructive:
            found["destructive"] = GUARDED_TYPES[self.type]
        return found


@dataclass(frozen=True)
class Diff:
    previous: str
    """What was compared against: `plan of stack dev` or `stack export of stack prod`."""
    changes: tuple[Change, ...]
    skipped: Mapping[str, int]

    @property
    def destructive(self) -> list[Change]:
        return [c for c in self.changes if c.destructive]

    def count(self, op: str) -> int:
        return sum(1 for c in self.changes if c.op == op)

    def to_json(self) -> dict[str, Any]:
        return {
            "against": self.previous,
            "summary": {
                op: self.count(op) for op in ("create", "update", "replace", "delete", "same")
            },
            "skipped": dict(self.skipped),
            "destructive": len(self.destructive),
            "steps": [c.to_json() for c in self.changes if c.op != "same"],
        }


def _opaque_child(resource: Resource, opaque: set[str]) -> bool:
    return any(t in opaque for t in resource.ancestors)


def compare(
    previous: Previous, current: Sequence[Resource], rules: Mapping[str, Rules] | None = None
) -> Diff:
    """What deploying `current` over `previous` would do, resource by resource."""
    rules = load_rules() if rules is None else rules
    opaque = {r.type for r in current if r.remote}
    skipped = dict(previous.skipped)
    old_by_urn: dict[str, Resource] = {}
    for resource in previous.resources:
        if _opaque_child(resource, opaque):
            reason = f"children of multi-language components ({', '.join(sorted(opaque))})"
            skipped[reason] = skipped.get(reason, 0) + 1
        else:
            old_by_urn[resource.urn] = resource
    current = [r for r in current if not _opaque_child(r, opaque)]

    # Own URN first, then aliases (the engine only looks for an alias when the URN is new).
    matched: dict[str, Resource] = {}
    for resource in current:
        if resource.urn in old_by_urn:
            matched[resource.urn] = old_by_urn[resource.urn]
    claimed = {old.urn for old in matched.values()}
    for resource in current:
        if resource.urn in matched:
            continue
        for alias in resource.aliases:
            if alias in old_by_urn and alias not in claimed:
                matched[resource.urn] = old_by_urn[alias]
                claimed.add(alias)
                break
    renamed = {old.urn: urn for urn, old in matched.items()}

    # A replacement makes its dependents' inputs unknown, which may replace them in turn:
    # recompute until nothing moves (registration order makes one pass nearly always enough).
    changes: dict[str, Change] = {}
    for _ in range(len(current) + 1):
        fresh = {urn for urn, c in changes.items() if c.op in ("create", "replace")}
        moved = False
        for resource in current:
            change = _change(resource, matched.get(resource.urn), fresh, renamed, rules)
            if changes.get(resource.urn) != change:
                changes[resource.urn] = change
                moved = True
        if not moved:
            break
    deleted = [
        Change("delete", old.urn, old.type) for old in old_by_urn.values() if old.urn not in claimed
    ]
    return Diff(
        f"{previous.kind} of stack {previous.stack}",
        tuple(changes[r.urn] for r in current) + tuple(deleted),
        skipped,
    )


def _change(
    new: Resource,
    old: Resource | None,
    fresh: set[str],
    renamed: Mapping[str, str],
    rules: Mapping[str, Rules],
) -> Change:
    if old is None:
        return Change("create", new.urn, new.type)
    previous_urn = old.urn if old.urn != new.urn else None
    if not new.custom:
        return Change("same", new.urn, new.type, previous_urn=previous_urn)
    old_inputs = {
        k: v
        for k, v in _without_defaults(old.inputs, new.inputs).items()
        if k in new.inputs or k not in PROVIDER_FILLED
    }
    keys, unknown, derived = [], [], set()
    for key in sorted((set(old_inputs) | set(new.inputs)) - {_DEFAULTS}):
        if _ignored(key, new.ignore_changes) or key in CODE_INPUTS.get(new.type, ()):
            continue
        now = set(new.dependencies.get(key, ()))
        before = {renamed.get(u, u) for u in old.dependencies.get(key, ())}
        if now or before:
            derived.add(key)
            if now & fresh:
                unknown.append(key)
                keys.append(key)
            elif now != before:
                keys.append(key)
        elif not _same(old_inputs.get(key, _MISSING), new.inputs.get(key, _MISSING)):
            keys.append(key)
    rule = rules.get(new.type)
    if rule is None:
        if not keys:
            return Change("same", new.urn, new.type, previous_urn=previous_urn)
        # No replacement rules for this type: the worst case for a guarded one.
        op = "replace" if new.type in GUARDED_TYPES else "update"
        return Change(
            op,
            new.urn,
            new.type,
            tuple(keys),
            tuple(unknown),
            previous_urn=previous_urn,
            note="no replacement rules for this type in tools/force_new.json",
        )
    reasons = []
    for path in rule.force_new:
        top = path.split(".")[0]
        if top not in keys:
            continue
        if top in derived or not _same(_value_at(old_inputs, path), _value_at(new.inputs, path)):
            reasons.append(path)
    for condition in rule.conditions:
        tops = {p.split(".")[0] for p in condition.paths}
        if tops & set(keys) and not tops & derived and condition.replaces(old_inputs, new.inputs):
            reasons.append(f"{'/'.join(condition.paths)} ({condition.why or condition.when})")
    op = "replace" if reasons else ("update" if keys else "same")
    return Change(op, new.urn, new.type, tuple(keys), tuple(unknown), tuple(reasons), previous_urn)


# -------------------------------------------------------------------------------------------
# Text
# -------------------------------------------------------------------------------------------

_HEADINGS = (
    ("replace", "Replaced (deleted and created again)"),
    ("delete", "Deleted"),
    ("update", "Updated in place"),
    ("create", "Created"),
)


def _line(change: Change) -> str:
    text = f"    {change.type}  {change.name}"
    details = []
    if change.replace_reasons:
        details.append("replaced by " + ", ".join(change.replace_reasons))
    elif change.keys:
        details.append(", ".join(change.keys))
    if change.unknown:
        details.append("unknown until applied: " + ", ".join(change.unknown))
    if change.previous_urn:
        details.append(f"was {change.previous_urn.rsplit('::', 1)[-1]} (alias)")
    if change.note:
        details.append(change.note)
    return text + (f"  [{'; '.join(details)}]" if details else "")


def render(diff: Diff) -> str:
    counts = ", ".join(
        f"{diff.count(op)} to {op}" for op in ("create", "update", "replace", "delete")
    )
    lines = [f"Against the {diff.previous}: {counts}, {diff.count('same')} unchanged."]
    if diff.skipped:
        parts = ", ".join(f"{n} {reason}" for reason, n in sorted(diff.skipped.items()))
        lines.append(f"Not compared (invisible offline; a real preview shows them): {parts}.")
    destructive = diff.destructive
    if destructive:
        lines += ["", f"DESTRUCTIVE: {len(destructive)} stateful resource(s) or service(s) "
                  f"deleted or replaced (exit {EXIT_DESTRUCTIVE}):"]  # fmt: skip
        lines += [
            f"  {c.op} {GUARDED_TYPES[c.type]}: {c.type}  {c.name}"
            + (f"  [replaced by {', '.join(c.replace_reasons)}]" if c.replace_reasons else "")
            for c in destructive
        ]
    for op, heading in _HEADINGS:
        found = [c for c in diff.changes if c.op == op]
        if found:
            lines += ["", f"  {heading} ({len(found)}):"] + [_line(c) for c in found]
    return "\n".join(lines)
