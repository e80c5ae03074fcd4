"""What every class of the component package shares: its type token, the numbers it is handed
(whole numbers may arrive as floats from another language), and how it exposes the outputs of
the Python component it builds.

No `from __future__ import annotations` in this folder: the package schema is read from the
classes' annotations at run time.
"""

import inspect
from collections.abc import Mapping
from typing import Any

import pulumi

from .._version import __version__

PACKAGE = "accessweaver"
"""The package name: resource types are `accessweaver:index:<class>`."""

VERSION = __version__
"""The schema's version: the components' own (`components/_version.py`, CHANGELOG.md)."""


def optional_int(value: Any, default: int | None = None) -> int | None:
    """`value` as an int (a YAML or TypeScript program hands numbers over as floats), `default`
    when it is unset."""
    return default if value is None else int(value)


def component_type(cls: type) -> str:
    """The package's type token of a class: `accessweaver:index:<class name>`."""
    return f"{PACKAGE}:index:{cls.__name__}"


def same_named(source: object, *names: str) -> dict[str, Any]:
    """The attributes `names` of the Python component `source`, each under its own name."""
    return {name: getattr(source, name) for name in names}


def publish(wrapper: pulumi.ComponentResource, outputs: Mapping[str, Any]) -> None:
    """Sets each of `outputs` as the attribute of that name on `wrapper` and registers them all,
    in their order.

    The schema's outputs are the class's annotations: an output missing from them would reach
    no other language, an annotation left unset would be an output never given, so both are
    refused (ValueError) before anything is set.
    """
    declared = {name for name in inspect.get_annotations(type(wrapper)) if not name.startswith("_")}
    if set(outputs) != declared:
        raise ValueError(
            f"{type(wrapper).__name__} outputs {sorted(outputs)} but declares {sorted(declared)}"
        )
    for name, value in outputs.items():
        setattr(wrapper, name, value)
    wrapper.register_outputs(dict(outputs))
