"""Observe what the program registers, so the stack output prices exactly what is deployed.

`ResourceRecorder.install()` adds a stack transformation: Pulumi calls it synchronously for every
resource constructed afterwards (children of components included) with the inputs the program
passed. It records the type, the name and those inputs with camelCase names (the shape of the
offline engine's recorded plan) and returns None, so nothing is changed. Values that are
outputs of other resources are recorded as None: they are unknown during `pulumi preview` and
the inventory falls back to a stated default for them. Must be installed before any resource
is created (first line after loading the settings in `__main__.py`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

_SNAKE = re.compile(r"_([a-z0-9])")


def _camel(key: str) -> str:
    return _SNAKE.sub(lambda m: m.group(1).upper(), key) if "_" in key else key


def plain(value: Any) -> Any:
    """Inputs as plain data: camelCase keys, input-type objects as dicts, outputs as None."""
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Mapping):
        return {_camel(str(k)): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (pulumi.Output, pulumi.Resource)) or hasattr(value, "__await__"):
        return None
    if hasattr(value, "__dict__"):  # a generated `...Args` input type
        return plain(vars(value))
    return None


@dataclass(frozen=True)
class ObservedResource:
    type: str
    name: str
    inputs: Mapping[str, Any]


@dataclass
class ResourceRecorder:
    resources: list[ObservedResource] = field(default_factory=list)

    def __call__(self, args: pulumi.ResourceTransformationArgs) -> None:
        self.resources.append(ObservedResource(args.type_, args.name, plain(args.props or {})))
        return None

    @classmethod
    def install(cls) -> ResourceRecorder:
        recorder = cls()
        pulumi.runtime.register_stack_transformation(recorder)
        return recorder
