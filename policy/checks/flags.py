"""Boolean inputs a control wants one way: one check driven by data instead of a function per
flag.

Most resource controls ask one thing of one boolean input: `storage_encrypted` must be true,
`publicly_accessible` must not be, `auto_minor_version_upgrade` must not be turned off. A
`Flag` says which input, how its message names it and what it must be; `flag_policy` registers
a resource policy whose check reports every flag of a resource that is set the wrong way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .base import ResourceCheck, Scope, _resource, get, is_false, is_true

Requirement = Literal["true", "not true", "not false"]
"""`true`: the input must be true (unset is a finding: AWS leaves it off). `not true`: it must
not be true (unset is fine). `not false`: only an explicit false is a finding (AWS defaults it
on)."""


@dataclass(frozen=True)
class Flag:
    """One boolean input and what a control requires of it."""

    prop: str
    """Where the input is in the resource's properties: its camelCase name, nested keys joined
    by dots (`imageScanningConfiguration.scanOnPush`)."""
    setting: str
    """How the finding names it: the Python argument (`storage_encrypted`)."""
    requirement: Requirement = "true"
    consequence: str = ""
    """What the wrong value means, appended to the finding after a colon."""

    def problem(self, props: Mapping[str, Any]) -> str | None:
        """The finding for these properties, or None when the flag is as required."""
        value = get(props, *self.prop.split("."))
        if self.requirement == "true":
            found = None if is_true(value) else "not true"
        elif self.requirement == "not true":
            found = "true" if is_true(value) else None
        else:
            found = "false" if is_false(value) else None
        if found is None:
            return None
        message = f"{self.setting} is {found}"
        return f"{message}: {self.consequence}" if self.consequence else message


def flag_problems(props: Mapping[str, Any], flags: tuple[Flag, ...]) -> Iterator[str]:
    """The finding of every flag in `flags` that `props` sets the wrong way, in order."""
    for each in flags:
        problem = each.problem(props)
        if problem is not None:
            yield problem


def flag_check(
    *flags: Flag, applies: Callable[[Mapping[str, Any]], bool] | None = None
) -> ResourceCheck:
    """A resource check reporting `flags` set the wrong way, on resources whose properties
    `applies` accepts (every resource when None)."""

    def check(resource: Any) -> Iterator[str]:
        props = resource.props
        if applies is None or applies(props):
            yield from flag_problems(props, flags)

    return check


def flag_policy(
    name: str, controls: tuple[str, ...], scope: Scope, types: tuple[str, ...], summary: str,
    remedy: str, *flags: Flag, applies: Callable[[Mapping[str, Any]], bool] | None = None,
) -> ResourceCheck:  # fmt: skip
    """Register the resource policy `name` (see `base._resource`) whose check is `flags`."""
    return _resource(name, controls, scope, types, summary, remedy)(
        flag_check(*flags, applies=applies)
    )
