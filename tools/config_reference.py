"""`python -m tools.config_reference`: docs/CONFIGURATION.md, generated from the models.

Every key of a stack file (`StackConfig` and the sections it nests, each model in its domain's
`config.py`), with its type and allowed values (the model's JSON Schema), its default (the
model's, or each environment's from the tables the program resolves with:
`ENVIRONMENT_DEFAULTS`, `NETWORK_DEFAULTS`, `EDGE_DEFAULTS`, `PLATFORM_DEFAULTS`, ...) and its
description (the field's own: written once, on the field). `--write` regenerates the file,
`--check` fails (exit 1) when the committed file is stale (a test runs it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from accessweaver_components.compute.config import HEALTH_PROBE_SCHEDULED, OFF_HOURS_DEFAULTS
from accessweaver_components.edge.config import EDGE_DEFAULTS
from accessweaver_components.formats import ENVIRONMENTS
from accessweaver_components.network.config import NETWORK_DEFAULTS
from accessweaver_components.resilience.config import FAULT_INJECTION_DEFAULTS
from accessweaver_components.stack.environments import ENVIRONMENT_DEFAULTS
from accessweaver_components.stack.model import StackConfig
from accessweaver_components.stack.platform_settings import PLATFORM_DEFAULTS

from .generated import generated_file_main

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "CONFIGURATION.md"

_ENV = ENVIRONMENT_DEFAULTS
PerEnvironment = Callable[[str], Any]


def _platform(section: str, name: str) -> PerEnvironment:
    return lambda env: PLATFORM_DEFAULTS[env].get(section, {}).get(name)


ENVIRONMENT_SOURCES: dict[str, PerEnvironment] = {
    "enableFargateSpot": lambda env: _ENV[env].fargate_spot,
    "fargateSpotPercentage": lambda env: _ENV[env].fargate_spot_percentage,
    "containerInsightsEnabled": lambda env: _ENV[env].container_insights,
    "enableXrayTracing": lambda env: _ENV[env].xray_tracing,
    "logRetentionDays": lambda env: _ENV[env].log_retention_days,
    "securityLogRetentionDays": lambda env: _ENV[env].security_log_retention_days,
    "auditLogRetentionDays": lambda env: _ENV[env].audit_log_retention_days,
    "enableExecuteCommand": lambda env: _ENV[env].execute_command,
    "scalingCpuTarget": lambda env: _ENV[env].scaling_cpu_target,
    "scalingMemoryTarget": lambda env: _ENV[env].scaling_memory_target,
    "maxCapacityOverride": lambda env: _ENV[env].max_capacity,
    "healthCheckGracePeriod": lambda env: _ENV[env].health_check_grace_period,
    "encryptEphemeralStorage": lambda env: _ENV[env].encrypt_ephemeral_storage,
    "deployment.strategy": lambda env: _ENV[env].deployment_strategy,
    "deployment.bakeTimeMinutes": lambda env: _ENV[env].bake_time_minutes,
    "network.availabilityZones": lambda env: NETWORK_DEFAULTS[env].availability_zones,
    "network.natGateways": lambda env: NETWORK_DEFAULTS[env].nat_gateways,
    "network.interfaceEndpoints": lambda env: list(NETWORK_DEFAULTS[env].interface_endpoints),
    "network.flowLogs": lambda env: NETWORK_DEFAULTS[env].flow_logs,
    "network.taskPublicIps": lambda env: NETWORK_DEFAULTS[env].task_public_ips,
    "edge.deletionProtection": lambda env: EDGE_DEFAULTS[env].deletion_protection,
    "networkLoadBalancer.deletionProtection": (lambda env: EDGE_DEFAULTS[env].deletion_protection),
    "edge.accessLogs": lambda env: EDGE_DEFAULTS[env].access_logs,
    "edge.accessLogRetentionDays": lambda env: EDGE_DEFAULTS[env].access_log_retention_days,
    "edge.waf.enabled": lambda env: EDGE_DEFAULTS[env].waf,
    "offHoursScaling.enabled": lambda env: OFF_HOURS_DEFAULTS[env],
    "faultInjection.enabled": lambda env: FAULT_INJECTION_DEFAULTS[env],
    "healthProbe.scheduled": lambda env: HEALTH_PROBE_SCHEDULED[env],
}
"""Keys whose default is the environment's: where each environment's value is read from."""


SEED_VARIABLES = frozenset(
    {
        "project_name", "environment", "vpc_id", "private_subnet_ids", "alb_security_group_ids",
        "rds_security_group_id", "redis_security_group_id", "container_registry", "image_tag",
        "service_overrides", "auto_scaling_enabled", "scaling_cpu_target",
        "scaling_memory_target", "min_capacity_override", "max_capacity_override",
        "common_environment_variables", "container_insights_enabled", "enable_fargate_spot",
        "log_retention_days", "enable_xray_tracing", "target_group_arns",
        "health_check_grace_period", "deployment_circuit_breaker", "enable_execute_command",
        "additional_tags",
    }
)  # fmt: skip
"""The Terraform module's variables (the seed README's "Variables") that a key replaces, under
the same name in snake_case."""


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


for _section, _fields in PLATFORM_DEFAULTS["prod"].items():
    if isinstance(_fields, Mapping):
        for _name in _fields:
            key = f"{_camel(_section)}.{_camel(_name)}"
            ENVIRONMENT_SOURCES.setdefault(key, _platform(_section, _name))
    else:
        ENVIRONMENT_SOURCES.setdefault(
            _camel(_section), lambda env, s=_section: PLATFORM_DEFAULTS[env].get(s)
        )


@dataclass(frozen=True)
class Row:
    key: str
    type: str
    default: str
    description: str
    section: str


def _resolve(node: dict[str, Any], defs: Mapping[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = {
            **defs[node["$ref"].rsplit("/", 1)[1]],
            **{k: v for k, v in node.items() if k != "$ref"},
        }
    return node


def _branches(node: dict[str, Any], defs: Mapping[str, Any]) -> list[dict[str, Any]]:
    node = _resolve(node, defs)
    options = node.get("anyOf") or node.get("oneOf")
    if not options:
        return [node]
    found = [_resolve(o, defs) for o in options]
    return [o for o in found if o.get("type") != "null"]


def _type(node: dict[str, Any], defs: Mapping[str, Any]) -> str:
    texts = []
    for branch in _branches(node, defs):
        if "enum" in branch:
            texts.append(
                " \\| ".join(f"`{json.dumps(v)}`".replace('"', "") for v in branch["enum"])
            )
        elif "const" in branch:
            texts.append(f"`{branch['const']}`")
        elif branch.get("type") == "array":
            texts.append(f"list of {_type(branch.get('items', {}), defs)}")
        elif branch.get("type") == "object" or "properties" in branch:
            texts.append("map")
        else:
            kind = {"integer": "integer", "number": "number", "boolean": "boolean"}.get(
                branch.get("type", ""), "string"
            )
            bounds = [
                f"{label} {branch[k]}"
                for k, label in (
                    ("minimum", "≥"),
                    ("exclusiveMinimum", ">"),
                    ("maximum", "≤"),
                    ("exclusiveMaximum", "<"),
                    ("minLength", "length ≥"),
                    ("maxLength", "length ≤"),
                )
                if k in branch
            ]
            texts.append(kind + (f" ({', '.join(bounds)})" if bounds else ""))
    return " or ".join(dict.fromkeys(texts)) or "any"


def _shown(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True)
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, (dict, list, tuple)):
        return f"`{json.dumps(value, default=str)}`"
    return f"`{value}`"


_PER_SERVICE_DEPLOYMENT = re.compile(r"^(services|serviceOverrides)\.<name>\.deployment\.(\w+)$")


def _default(key: str, field: Any) -> str:
    inherited = _PER_SERVICE_DEPLOYMENT.match(key)
    if inherited and f"deployment.{inherited[2]}" in ENVIRONMENT_SOURCES:
        return f"the stack's `deployment.{inherited[2]}`"
    if key in ENVIRONMENT_SOURCES:
        values = [ENVIRONMENT_SOURCES[key](env) for env in ENVIRONMENTS]
        if any(v is not None for v in values):
            if len({json.dumps(v, default=str) for v in values}) == 1:
                return f"{_shown(values[0])} (every environment)"
            return " / ".join(_shown(v) for v in values)
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        made = field.default_factory()
        if isinstance(made, BaseModel):
            return "see below"
        return _shown(made)
    if field.default is None or field.default is PydanticUndefined:
        return "unset"
    return _shown(field.default)


def _nested_model(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """(`""`, M) for a field of model M (possibly optional), (`.<name>`, M) for a map of M,
    (`[]`, M) for a list of M."""
    import typing

    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "", annotation
    if origin is typing.Annotated:
        return _nested_model(args[0])
    if origin in (dict, Mapping) and len(args) == 2:
        inner = _nested_model(args[1])
        return (".<name>" + inner[0], inner[1]) if inner else None
    if origin in (list, tuple, Sequence) and args:
        inner = _nested_model(args[0])
        return ("[]" + inner[0], inner[1]) if inner else None
    for arg in args:  # Optional[...] / unions
        if arg is not type(None):
            found = _nested_model(arg)
            if found:
                return found
    return None


def rows(
    model: type[BaseModel] = StackConfig, prefix: str = "", section: str = ""
) -> Iterator[Row]:
    schema = model.model_json_schema(by_alias=True)
    defs = schema.get("$defs", {})
    for name, field in model.model_fields.items():
        alias = field.alias or name
        key = f"{prefix}{alias}"
        node = schema["properties"][alias]
        description = " ".join((field.description or "").split())
        if not prefix and name in SEED_VARIABLES:
            description += f" (The Terraform module's `{name}`.)"
        yield Row(key, _type(node, defs), _default(key, field), description, section or key)
        nested = _nested_model(field.annotation)
        if nested:
            suffix, inner = nested
            yield from rows(inner, f"{key}{suffix}.", section or key)


def render() -> str:
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `python -m tools.config_reference --write` from the stack-config",
        "     models; do not edit: change the field's description and regenerate. -->",
        "",
        "Keys live in the project namespace (`accessweaver:<key>` in `Pulumi.<stack>.yaml`;",
        "another project on the components uses its own name); nested keys are set with",
        "`pulumi config set --path`. A default shown as three values is each environment's",
        '(dev / staging / prod); "unset" means the description says what leaving it out does.',
        "Editors check these keys as you type (`schemas/`; how to wire them:",
        '[CONFIGURING.md](CONFIGURING.md), "Stack files checked as you type"); rules across keys',
        "are reported by a plan (`./scripts/plan STACK`).",
        "",
        "| Key | Type | Default | Description |",
        "|---|---|---|---|",
        "| `aws:region` | string | required | The AWS region of the stack. |",
        "| `aws:allowedAccountIds` | list of 12-digit ids | required in staging and prod | The "
        "stack's AWS account(s): the provider refuses credentials of any other. |",
    ]
    for row in rows():
        cells = [f"`{row.key}`", row.type, row.default, row.description.replace("|", "\\|")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    return generated_file_main(
        argv,
        prog="tools.config_reference",
        description=__doc__,
        output=OUTPUT,
        root=ROOT,
        render=render,
    )


if __name__ == "__main__":
    raise SystemExit(main())
