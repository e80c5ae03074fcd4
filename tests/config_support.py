"""Loading a stack mapping with the pure loader, for the config-rule tests (no engine)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from accessweaver_components.stack import ConfigError, StackSettings, settings_from_mapping

STACK_FILE = "Pulumi.test.yaml"
NAMESPACE = "accessweaver"


def loader(
    base: dict[str, Any], *, account_id: str | None = "123456789012"
) -> tuple[Callable[..., StackSettings], Callable[..., dict[str, str]]]:
    """`load(**changes)` resolves `base` updated with `changes`; `problems(**changes)` expects a
    ConfigError for the same file and returns its issues rendered, keyed by key path."""

    def load(region: str | None = "eu-west-1", **changes: Any) -> StackSettings:
        return settings_from_mapping(
            {**base, **changes},
            namespace=NAMESPACE,
            stack_file=STACK_FILE,
            region=region,
            account_id=account_id,
        )

    def problems(**changes: Any) -> dict[str, str]:
        with pytest.raises(ConfigError) as caught:
            load(**changes)
        assert str(caught.value).startswith(f"{STACK_FILE}: invalid stack configuration")
        return {issue.path: issue.render(NAMESPACE) for issue in caught.value.issues}

    return load, problems
