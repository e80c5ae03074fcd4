"""Stack configuration: pydantic models, per-environment defaults, resolution and loading."""

from .errors import ConfigError, ConfigIssue
from .loader import load_settings, settings_from_mapping
from .resolve import ServiceSettings, StackSettings

__all__ = [
    "ConfigError",
    "ConfigIssue",
    "ServiceSettings",
    "StackSettings",
    "load_settings",
    "settings_from_mapping",
]
