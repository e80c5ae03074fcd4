"""The stack's catalog of services as `resolve.py` reads it: each entry's spec, where it comes
from (the base catalog, the stack file's `services`, the `keycloak` key) and the key path a
message names, with the rules on the keys that name a service of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..compute.config import ServiceSpec
from ..errors import ConfigIssue
from ..identity.config import KEYCLOAK_SERVICE, keycloak_catalog_entry
from .catalog import EntryOrigin
from .model import StackConfig
from .platform_settings import PlatformSettings

_STACK_FILE_ENTRY = EntryOrigin(from_base=False, stack_keys=frozenset({"*"}))
"""An entry `origins` does not name: the stack file's own, every key of it."""


def enabled_services(config: StackConfig) -> dict[str, ServiceSpec]:
    """The services the stack runs: the (extended) catalog without the disabled ones."""
    return {name: spec for name, spec in (config.services or {}).items() if spec.enabled}


def disabled_services(config: StackConfig) -> set[str]:
    """The catalog's services the stack file switches off (`services.<name>.enabled: false`)."""
    return {name for name, spec in (config.services or {}).items() if not spec.enabled}


@dataclass(frozen=True)
class ServiceCatalog:
    """The services the stack runs, by name, and where each entry comes from."""

    specs: Mapping[str, ServiceSpec]
    origins: Mapping[str, EntryOrigin]
    keycloak: bool
    """`keycloak.enabled` adds the Keycloak service to the catalog."""

    @property
    def names(self) -> list[str]:
        """The services in the order they are resolved (by name)."""
        return sorted(self.specs)

    def origin(self, name: str) -> EntryOrigin:
        """Where the entry comes from (unset in `origins`: the stack file's own)."""
        return self.origins.get(name, _STACK_FILE_ENTRY)

    def spec_path(self, name: str) -> str:
        """Where a catalog entry comes from: the `keycloak` key, the stack file's `services`,
        or the base catalog as it is."""
        if name == KEYCLOAK_SERVICE and self.keycloak:
            return KEYCLOAK_SERVICE
        return f"services.{name}" if self.origin(name).stack_keys else f"(default catalog).{name}"

    def size_base(self, name: str, env: str) -> str:
        """The key path of the service's sizes in messages."""
        base = self.spec_path(name)
        # Keycloak's size keys sit directly under `keycloak`, the catalog's under sizes.<env>.
        if base == KEYCLOAK_SERVICE:
            return base
        if self.origin(name).from_base and "sizes" not in self.origin(name).stack_keys:
            # A base service's sizes change per stack through serviceOverrides, so that is the
            # key a message names (unless the stack file gives the service sizes of its own).
            return f"serviceOverrides.{name}"
        return f"{base}.sizes.{env}"


def service_catalog(
    config: StackConfig,
    platform: PlatformSettings,
    origins: Mapping[str, EntryOrigin],
    issues: list[ConfigIssue],
) -> ServiceCatalog:
    """The enabled services, with Keycloak's entry when `keycloak.enabled` adds it (its name
    then is Keycloak's alone)."""
    specs = enabled_services(config)
    if platform.keycloak is not None:
        if KEYCLOAK_SERVICE in specs:
            issues.append(
                ConfigIssue(
                    f"services.{KEYCLOAK_SERVICE}",
                    KEYCLOAK_SERVICE,
                    "the name is taken by the Keycloak service keycloak.enabled adds",
                    "another service name, or keycloak.enabled false",
                )
            )
        specs[KEYCLOAK_SERVICE] = ServiceSpec.model_validate(
            keycloak_catalog_entry(platform.keycloak, platform.database, config.environment)
        )
    return ServiceCatalog(specs, origins, keycloak=platform.keycloak is not None)


def service_key_issues(config: StackConfig, catalog: ServiceCatalog) -> list[ConfigIssue]:
    """An empty catalog, and the keys by service name that name none of its services."""
    issues: list[ConfigIssue] = []
    valid_names = ", ".join(catalog.names) or "a service of the catalog (it has none)"
    disabled = disabled_services(config)
    if not catalog.specs:
        issues.append(ConfigIssue("services", {}, "the catalog is empty", "at least one service"))
    for key, keyed_by_service in (
        ("serviceOverrides", config.service_overrides),
        ("targetGroupArns", config.target_group_arns),
    ):
        for unknown in sorted(set(keyed_by_service) - set(catalog.specs)):
            if unknown in disabled:
                issues.append(
                    ConfigIssue(
                        f"{key}.{unknown}",
                        unknown,
                        f"the service is disabled (services.{unknown}.enabled: false)",
                        f"remove {key}.{unknown}, or enable the service",
                    )
                )
            else:
                issues.append(
                    ConfigIssue(f"{key}.{unknown}", unknown, "unknown service", valid_names)
                )
    return issues
