"""The stack layer: the one place that turns a validated stack file into component arguments.

`load_settings()` reads and validates the stack's config (pydantic models beside each domain,
rules spanning keys in `resolve.py`); `build_stack(settings)` builds every component from it and
exports the stack outputs. Projects on these components run exactly that from their thin
`__main__.py`.
"""

from ..errors import ConfigError, ConfigIssue
from .loader import load_settings, settings_from_mapping
from .settings import ServiceSettings, StackSettings

__all__ = [
    "ConfigError",
    "ConfigIssue",
    "ServiceSettings",
    "StackSettings",
    "load_settings",
    "settings_from_mapping",
]
