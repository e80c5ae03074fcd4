"""Read the stack's config once and return validated `StackSettings`, or raise `ConfigError`.

`settings_from_mapping` is pure (tests and the property test call it directly); `load_settings`
reads the values Pulumi hands the program (`pulumi.Config` namespaces) and calls it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
from pydantic import ValidationError

from ..errors import MISSING, ConfigError, ConfigIssue, _unwrap, issues_from_validation
from ..formats import PATTERNS as _PATTERNS
from .model import StackConfig
from .resolve import resolve
from .settings import StackSettings

STACK_FILE_ENV = "STACK_CONFIG_FILE"
"""Set by the offline plan when it reads another file than `Pulumi.<stack>.yaml`."""


def _is_text_field(key: str) -> bool:
    """True for keys typed `str` (possibly Optional/Annotated): keep their raw text as is."""
    fields = {f.alias: f for f in StackConfig.model_fields.values()}
    field = fields.get(key)
    return field is not None and _unwrap(field.annotation) is str


def parse_raw_value(key: str, text: Any) -> Any:
    """Pulumi passes every config value as a string, objects JSON-encoded; decode by key type."""
    if not isinstance(text, str) or _is_text_field(key):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def settings_from_mapping(
    raw: Mapping[str, Any],
    *,
    namespace: str,
    stack_file: str,
    region: str | None,
    account_id: str | Callable[[], str] | None = None,
) -> StackSettings:
    """Validate `raw` (keys without namespace, values decoded) and resolve it.

    `account_id` (or a look-up) is needed only for the default `containerRegistry`."""
    issues: list[ConfigIssue] = []
    pattern, allowed = _PATTERNS["region"]
    if region is None:
        issues.append(
            ConfigIssue("(aws:region)", MISSING, "the AWS region is not set", "e.g. eu-west-1")
        )
    elif not isinstance(region, str) or not pattern.match(region):
        issues.append(ConfigIssue("(aws:region)", region, "not an AWS region", allowed))
    try:
        config = StackConfig.model_validate(dict(raw))
    except ValidationError as error:
        issues += issues_from_validation(StackConfig, error)
        issues += _cross_field_issues_without(raw, error, region, namespace, stack_file)
        raise ConfigError(stack_file, namespace, issues) from None
    if issues:
        # Region missing or malformed: still report the rest, resolved against a placeholder.
        issues += _cross_field_issues(config, "xx-invalid-1", namespace, stack_file)
        raise ConfigError(stack_file, namespace, issues)
    return resolve(
        config,
        project=namespace,
        region=str(region),
        stack_file=stack_file,
        namespace=namespace,
        account_id=account_id,
    )


# Stand-in account for the passes that only collect problems (no look-up while config is bad).
_PROBLEMS_ONLY_ACCOUNT = "000000000000"


def _cross_field_issues(
    config: StackConfig, region: str, namespace: str, stack_file: str
) -> list[ConfigIssue]:
    try:
        resolve(
            config,
            project=namespace,
            region=region,
            stack_file=stack_file,
            namespace=namespace,
            account_id=_PROBLEMS_ONLY_ACCOUNT,
        )
    except ConfigError as error:
        return [
            i
            for i in error.issues
            if not i.path.startswith("targetGroupArns.") or region != "xx-invalid-1"
        ]
    return []


_STAND_INS: dict[str, Any] = {
    "vpcId": "vpc-00000000",
    "privateSubnetIds": ["subnet-00000000", "subnet-00000001"],
    "containerRegistry": "registry.invalid",
}


def _cross_field_issues_without(
    raw: Mapping[str, Any], error: ValidationError, region: Any, namespace: str, stack_file: str
) -> list[ConfigIssue]:
    """Cross-field problems of the keys that did validate, so every error shows at once.

    The top-level keys with shape errors are dropped and the rest is resolved again. Without a
    valid environment or custom catalog the rules cannot be evaluated meaningfully: skip.
    """
    bad_keys = {err["loc"][0] for err in error.errors() if err["loc"]}
    if bad_keys & {"environment", "services"}:
        return []
    rest = {key: value for key, value in raw.items() if key not in bad_keys}
    # Malformed required keys are already reported; stand-ins let the other rules run.
    rest |= {key: value for key, value in _STAND_INS.items() if key in bad_keys}
    try:
        config = StackConfig.model_validate(rest)
    except ValidationError:
        return []  # a required key is among the bad ones
    pattern, _ = _PATTERNS["region"]
    usable_region = region if isinstance(region, str) and pattern.match(region) else "xx-invalid-1"
    return [
        issue
        for issue in _cross_field_issues(config, usable_region, namespace, stack_file)
        if issue.path.split(".")[0].split("[")[0] not in bad_keys
    ]


def _namespace_values(namespace: str) -> dict[str, Any]:
    # pulumi.Config has no "list keys" call; the runtime keeps every `<ns>:<key>` it was given in
    # its config map (set by the engine, or by the offline engine through set_all_config).
    from pulumi.runtime import config as runtime_config

    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{namespace}:"
    return {
        key[len(prefix) :]: parse_raw_value(key[len(prefix) :], value)
        for key, value in merged.items()
        if key.startswith(prefix)
    }


def load_settings() -> StackSettings:
    """Read this stack's config (project namespace and `aws:region`) and validate it."""
    namespace = pulumi.get_project()
    stack_file = os.environ.get(STACK_FILE_ENV) or f"Pulumi.{pulumi.get_stack()}.yaml"
    region = pulumi.Config("aws").get("region")
    return settings_from_mapping(
        _namespace_values(namespace),
        namespace=namespace,
        stack_file=stack_file,
        region=region,
        account_id=_caller_account_id,
    )


def _caller_account_id() -> str:
    """The deploying account, asked only when a default ECR registry needs it."""
    import pulumi_aws as aws

    return aws.get_caller_identity().account_id
