"""The stack's resolved settings, as the pack reads them from the stack's config.

The pack sees resources, not the program's settings; the policies that compare what was
registered with what the stack file asks for (the budget, the service graph) rebuild the
settings from the same config the program ran with, through the program's own loader. None when
the config is not a valid stack of these components (the program itself refuses it first) or
not visible (`pulumi policy publish`).
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

# The account only names the default ECR registry; it never changes a check.
_ANY_ACCOUNT = "000000000000"


def namespace() -> str:
    # The engine starts the analyzer with PULUMI_PROJECT; tests and `publish` have none.
    return os.environ.get("PULUMI_PROJECT") or "accessweaver"


def stack_settings(project: str | None = None) -> Any | None:
    """The `StackSettings` of the stack under validation, or None."""
    import pulumi

    from components.stack.loader import _namespace_values

    name = project or namespace()
    raw = _namespace_values(name)
    if not raw:
        return None
    region = pulumi.Config("aws").get("region")
    return _resolved(name, json.dumps(raw, sort_keys=True, default=str), region)


@functools.lru_cache(maxsize=8)
def _resolved(name: str, raw: str, region: str | None) -> Any | None:
    from components.stack import ConfigError, settings_from_mapping

    try:
        return settings_from_mapping(
            json.loads(raw),
            namespace=name,
            stack_file="(stack config)",
            region=region,
            account_id=_ANY_ACCOUNT,
        )
    except ConfigError:
        return None  # the program refuses this config before anything is registered
