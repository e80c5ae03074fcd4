"""A service's variables and secrets as `resolve.py` resolves them: as written (the common
keys, the catalog entry's, the override's), a name never both plain and secret, and never one
the program wires itself from what the service uses and calls."""

from __future__ import annotations

from collections.abc import Mapping

from ..compute.config import ServiceOverride, ServiceSpec
from ..errors import SECRET_NAME, ConfigIssue
from .model import StackConfig
from .platform_settings import PlatformSettings
from .variables import wired_names


def service_variables(
    name: str,
    spec: ServiceSpec,
    override: ServiceOverride | None,
    config: StackConfig,
    catalog_service: bool,
) -> tuple[dict[str, str], dict[str, str], str | None]:
    """The service's variables and secrets as written (common keys for the catalog's services,
    the entry's, the override's, in that order of precedence), and its external target group."""
    environment: dict[str, str] = {}
    if spec.spring_boot:
        environment["SPRING_PROFILES_ACTIVE"] = config.environment
    if catalog_service:
        environment.update(config.common_environment_variables)
    environment.update(spec.environment)
    secrets = {**(config.common_secrets if catalog_service else {}), **spec.secrets}
    if override is not None:
        environment.update(override.environment)
        secrets.update(override.secrets)
    return environment, secrets, external_target_group(config, name, override)


def external_target_group(
    config: StackConfig, name: str, override: ServiceOverride | None
) -> str | None:
    """The target group the stack file gives the service: its override's `targetGroupArn`, else
    `targetGroupArns.<name>`."""
    given = override.target_group_arn if override is not None else None
    return given or config.target_group_arns.get(name)


def environment_sources(
    name: str,
    base: str,
    spec: ServiceSpec,
    override: ServiceOverride | None,
    config: StackConfig,
    catalog_service: bool,
) -> list[tuple[str, Mapping[str, str]]]:
    """Where the service's plain variables are written, each with its key path, in order of
    precedence (the common keys only for the catalog's services, not Keycloak)."""
    return [
        *([("commonEnvironmentVariables", config.common_environment_variables)]
          if catalog_service else []),
        (f"{base}.environment", spec.environment),
        *([(f"serviceOverrides.{name}.environment", override.environment)]
          if override is not None else []),
    ]  # fmt: skip


def check_secret_clashes(
    name: str,
    base: str,
    spec: ServiceSpec,
    override: ServiceOverride | None,
    environment: Mapping[str, str],
    secrets: Mapping[str, str],
    issues: list[ConfigIssue],
) -> None:
    """A name is a plain variable or a secret, never both (named at the secret's key)."""
    for clash in sorted(set(environment) & set(secrets)):
        if override is not None and clash in override.secrets:
            clash_path = f"serviceOverrides.{name}.secrets.{clash}"
        elif clash in spec.secrets:
            clash_path = f"{base}.secrets.{clash}"
        else:
            clash_path = f"commonSecrets.{clash}"
        issues.append(
            ConfigIssue(
                clash_path,
                clash,
                "set both as a plain variable and as a secret",
                "one or the other",
            )
        )


def check_wired_names(
    name: str,
    base: str,
    spec: ServiceSpec,
    override: ServiceOverride | None,
    config: StackConfig,
    platform: PlatformSettings,
    issues: list[ConfigIssue],
) -> None:
    """Variables the program wires (endpoints, generated secrets) must not be set by hand too."""
    wired = wired_names(spec.uses, spec.calls, platform)
    sources = [
        ("commonEnvironmentVariables", config.common_environment_variables),
        ("commonSecrets", config.common_secrets),
        (f"{base}.environment", spec.environment),
        (f"{base}.secrets", spec.secrets),
    ]
    if override is not None:
        sources += [
            (f"serviceOverrides.{name}.environment", override.environment),
            (f"serviceOverrides.{name}.secrets", override.secrets),
        ]
    for path, values in sources:
        for clash in sorted(wired & set(values)):
            if path.endswith(("environment", "EnvironmentVariables")) and SECRET_NAME.search(clash):
                continue  # already refused as a secret in a plain variable
            issue = ConfigIssue(
                f"{path}.{clash}",
                "<hidden>",
                f"wired by the program into {name} from what it uses and calls"
                if path.startswith("common")
                else "wired by the program from what the service uses and calls",
                f"remove it (the program sets it from {base}.uses and {base}.calls)",
            )
            if not any(i.path == issue.path for i in issues):  # common keys: once
                issues.append(issue)
