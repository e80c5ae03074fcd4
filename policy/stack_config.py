"""The stack's resolved settings, as the pack reads them from the stack's config.

The pack sees resources, not the program's settings; the policies that compare what was
registered with what the stack file asks for (the budget, the service graph, the defaults'
waivers) rebuild the settings from the same config the program ran with, through the program's
own loader. None when the config is not a valid stack of these components (the program itself
refuses it first) or not visible (`pulumi policy publish`).

Policies ask for them once per resource they check: the settings are cached on the config's
text as the engine hands it (strings), so a call costs a dictionary read, not a parse.
"""

from __future__ import annotations

import functools
import os
from typing import Any

# The account only names the default ECR registry; it never changes a check.
_ANY_ACCOUNT = "000000000000"


def namespace() -> str:
    # The engine starts the analyzer with PULUMI_PROJECT; tests and `publish` have none.
    return os.environ.get("PULUMI_PROJECT") or "accessweaver"


def _config_items(name: str) -> tuple[tuple[str, Any], ...]:
    """The namespace's keys and their raw values, and `aws:region`, as a cache key."""
    from pulumi.runtime import config as runtime_config

    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{name}:"
    return tuple(
        sorted(
            (key, value if isinstance(value, str) else repr(value))
            for key, value in merged.items()
            if key.startswith(prefix) or key == "aws:region"
        )
    )


def stack_settings(project: str | None = None) -> Any | None:
    """The `StackSettings` of the stack under validation, or None."""
    name = project or namespace()
    return _resolved(name, _config_items(name))


def bootstrap_settings(project: str | None = None) -> Any | None:
    """The `BootstrapSettings` of a bootstrap stack under validation, or None."""
    name = project or namespace()
    return _bootstrap(name, _config_items(name))


def _split(name: str, items: tuple[tuple[str, Any], ...]) -> tuple[dict[str, Any], str | None]:
    from accessweaver_components.stack.loader import parse_raw_value

    prefix = f"{name}:"
    raw = {
        key[len(prefix) :]: parse_raw_value(key[len(prefix) :], value)
        for key, value in items
        if key.startswith(prefix)
    }
    return raw, dict(items).get("aws:region")


@functools.lru_cache(maxsize=8)
def _resolved(name: str, items: tuple[tuple[str, Any], ...]) -> Any | None:
    from accessweaver_components.stack import ConfigError, settings_from_mapping

    raw, region = _split(name, items)
    if not raw:
        return None
    try:
        return settings_from_mapping(
            raw,
            namespace=name,
            stack_file="(stack config)",
            region=region,
            account_id=_ANY_ACCOUNT,
        )
    except ConfigError:
        return None  # the program refuses this config before anything is registered


@functools.lru_cache(maxsize=8)
def _bootstrap(name: str, items: tuple[tuple[str, Any], ...]) -> Any | None:
    from accessweaver_components.bootstrap.config import bootstrap_settings as settings_of
    from accessweaver_components.stack import ConfigError

    raw, region = _split(name, items)
    if "githubRepository" not in raw:
        return None
    try:
        return settings_of(raw, region=region, stack_file="(stack config)", namespace=name)
    except ConfigError:
        return None
