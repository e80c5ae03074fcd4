"""The cheapest configuration of a stack that its checks still accept: the headroom of its bill.

Each cost lever of the program (`LEVERS`, a stack-file fragment) is tried on top of the stack
file in turn: it is kept when the stack's config rules accept it (staging and prod refuse the
P controls switched off, public task addresses, ...) and, once all are tried, the result is
planned on the offline engine and run through the policy pack; a lever that leaves a mandatory
violation is dropped (last one first) until none is left. What remains is what this stack could
cost without a config or policy change, its estimate, and which levers were refused.

`python -m tools.plan --compare dev staging prod` prints it under the table.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accessweaver_components.stack import ConfigError
from accessweaver_components.stack.loader import parse_raw_value, settings_from_mapping

from .cost_report import estimate_of
from .stack_file import read_stack_config

OFFLINE_ACCOUNT = "123456789012"


@dataclass(frozen=True)
class Lever:
    label: str
    fragment: Mapping[str, Any]
    """Stack-config keys (without the namespace), merged into the stack's own values."""


LEVERS: tuple[Lever, ...] = (
    Lever("Graviton (cpuArchitecture: ARM64)", {"cpuArchitecture": "ARM64"}),
    Lever(
        "every task on Spot (fargateSpotPercentage: 100)",
        {"enableFargateSpot": True, "fargateSpotPercentage": 100},
    ),
    Lever("off-hours scaling", {"offHoursScaling": {"enabled": True}}),
    Lever("database stopped off hours", {"database": {"stopOffHours": True}}),
    Lever("single-AZ database", {"database": {"multiAz": False}}),
    Lever(
        "tasks with public addresses, no NAT gateway",
        {"network": {"taskPublicIps": True, "natGateways": "none", "interfaceEndpoints": []}},
    ),
    Lever("one NAT gateway", {"network": {"natGateways": "single"}}),
    Lever("no interface endpoints", {"network": {"interfaceEndpoints": []}}),
    Lever("serverless Valkey cache", {"cache": {"serverless": True}}),
    Lever("documents under aws/s3", {"documents": {"customerManagedKey": False}}),
    Lever("generated values in Parameter Store", {"secrets": {"store": "parameterStore"}}),
    Lever("no WAF", {"edge": {"waf": {"enabled": False}}}),
)


@dataclass(frozen=True)
class Cheapest:
    stack: str
    total_usd: float
    applied: tuple[str, ...]
    """Levers that change this stack and that it accepts."""
    already: tuple[str, ...]
    """Levers the stack already pulls (its file or its environment's defaults)."""
    refused: tuple[str, ...]
    """Levers the config rules or the policy pack refuse in this stack."""
    estimate: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "total_usd": self.total_usd,
            "applied": list(self.applied),
            "already": list(self.already),
            "refused": list(self.refused),
        }


def merge(base: Any, fragment: Any) -> Any:
    """`fragment` over `base`: maps merge key by key, anything else replaces."""
    if isinstance(base, Mapping) and isinstance(fragment, Mapping):
        merged = dict(base)
        for key, value in fragment.items():
            merged[key] = merge(base.get(key), value)
        return merged
    return copy.deepcopy(fragment)


def _settings(raw: Mapping[str, Any], *, namespace: str, label: str, region: str | None) -> Any:
    """The resolved settings, or None when the config rules refuse `raw`."""
    try:
        return settings_from_mapping(
            raw, namespace=namespace, stack_file=label, region=region, account_id=OFFLINE_ACCOUNT
        )
    except ConfigError:
        return None


def _override(namespace: str, raw: Mapping[str, Any], keys: Sequence[str]) -> dict[str, str]:
    return {
        f"{namespace}:{key}": raw[key] if isinstance(raw[key], str) else json.dumps(raw[key])
        for key in keys
    }


def cheapest(project: Path, stack: str, levers: Sequence[Lever] = LEVERS) -> Cheapest:
    """The stack with every lever its rules and the policy pack accept (see the module)."""
    from .engine import run_program
    from .policy_check import run_policies

    config = read_stack_config(project, stack)
    namespace, prefix = config.project, f"{config.project}:"
    own = {
        key.removeprefix(prefix): parse_raw_value(key.removeprefix(prefix), value)
        for key, value in config.values.items()
        if key.startswith(prefix)
    }
    region = config.values.get("aws:region")
    where = {"namespace": namespace, "label": config.label, "region": region}

    def plan(raw: Mapping[str, Any]) -> tuple[Any, bool]:
        changed = sorted(k for k in raw if raw.get(k) != own.get(k))
        result = run_program(project, stack, config_override=_override(namespace, raw, changed))
        return result, not run_policies(result).mandatory

    def choose(check_policies: bool) -> tuple[Any, list[str], list[str], list[str]]:
        current, settings = own, _settings(own, **where)
        result = None
        applied: list[str] = []
        already: list[str] = []
        refused: list[str] = []
        for lever in levers:
            candidate = merge(current, lever.fragment)
            resolved = _settings(candidate, **where)
            if resolved is None:
                refused.append(lever.label)
                continue
            if resolved == settings:
                already.append(lever.label)
                continue
            if check_policies:
                planned, passes = plan(candidate)
                if not passes:
                    refused.append(lever.label)
                    continue
                result = planned
            current, settings = candidate, resolved
            applied.append(lever.label)
        if result is None or not check_policies:
            result, passes = plan(current)
            if not passes and not check_policies:
                return None, applied, already, refused
        return result, applied, already, refused

    # The config rules refuse most of what the pack would; plan once, and only when the pack
    # still refuses the result, try the levers one at a time against it.
    result, applied, already, refused = choose(check_policies=False)
    if result is None:
        result, applied, already, refused = choose(check_policies=True)
    estimate = estimate_of(result)
    return Cheapest(
        stack=stack,
        total_usd=float(estimate["total_usd"]),
        applied=tuple(applied),
        already=tuple(already),
        refused=tuple(label for lever in levers if (label := lever.label) in refused),
        estimate=estimate,
    )
