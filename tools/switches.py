"""What each platform switch costs: resources and estimated monthly cost it adds to a stack.

    python -m tools.switches [--stack dev]

Plans the stack with each switch on and off (with what that switch needs turned off
alongside), and prints the difference: resources registered (by type) and the
estimated monthly cost. Offline, from the same engine and cost model as the plan.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from .cost_report import estimate_of
from .engine import run_program

ROOT = Path(__file__).resolve().parents[1]

# switch -> (config that turns it on, config that turns it off), keys without the namespace.
# Measured on dev: staging and prod refuse turning their controls off (by design). Dev's tasks
# reach AWS by their own public addresses; the egress rows price the alternatives to that.
ENDPOINTS = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "ssmmessages", "kms"]
PRIVATE = {"taskPublicIps": False}
SWITCHES: dict[str, tuple[dict[str, object], dict[str, object]]] = {
    "WAF (edge.waf.enabled)": ({"edge": {"waf": {"enabled": True}}}, {}),
    "ALB access logs (edge.accessLogs)": ({"edge": {"accessLogs": True}}, {}),
    "Keycloak (keycloak.enabled)": ({}, {"keycloak": {"enabled": False}}),
    "PostgreSQL (database.enabled; Keycloak needs it)": (
        {},
        {"database": {"enabled": False}, "keycloak": {"enabled": False}},
    ),
    "Cache (cache.enabled)": ({}, {"cache": {"enabled": False}}),
    "Documents bucket (documents.enabled)": ({}, {"documents": {"enabled": False}}),
    "Alarms and dashboard (alarms.enabled)": ({}, {"alarms": {"enabled": False}}),
    "One NAT gateway instead of task addresses (network.natGateways)": (
        {"network": {**PRIVATE, "natGateways": "single"}},
        {},
    ),
    "7 interface endpoints instead of task addresses (network.interfaceEndpoints)": (
        {"network": {**PRIVATE, "natGateways": "none", "interfaceEndpoints": ENDPOINTS}},
        {},
    ),
}


def _merge(base: object, change: object) -> object:
    if isinstance(base, dict) and isinstance(change, dict):
        return {**base, **{k: _merge(base.get(k), v) for k, v in change.items()}}
    return change


def _run(project: Path, stack: str, base, changes: dict[str, object]):
    if not changes:
        return base
    namespace = base.project
    override = {}
    for key, change in changes.items():
        current = json.loads(base.config.get(f"{namespace}:{key}") or "null")
        override[f"{namespace}:{key}"] = json.dumps(_merge(current or {}, change))
    return run_program(project, stack, config_override=override)


def measure(stack: str = "dev", project: Path = ROOT) -> list[tuple[str, int, float, Counter]]:
    """(switch, resources it adds, USD/month it adds, resource types it adds) per switch."""
    base = run_program(project, stack)
    rows = []
    for label, (on_changes, off_changes) in SWITCHES.items():
        on = _run(project, stack, base, on_changes)
        off = _run(project, stack, base, off_changes)
        added = Counter(r.type for r in on.resources) - Counter(r.type for r in off.resources)
        usd = estimate_of(on)["total_usd"] - estimate_of(off)["total_usd"]
        rows.append((label, len(on.resources) - len(off.resources), usd, added))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.switches", description=__doc__)
    parser.add_argument("--stack", default="dev")
    args = parser.parse_args(argv)
    from accessweaver_components.stack import ConfigError

    try:
        print(render(measure(args.stack), args.stack))
    except ConfigError as error:
        print(f"a switch's config is refused:\n{error}", file=sys.stderr)
        return 2
    return 0


def render(rows: list[tuple[str, int, float, Counter]], stack: str = "dev") -> str:
    """The Markdown table README shows under "What each switch costs"."""
    lines = [
        f"| Switch (stack {stack}) | Resources it adds | Estimated USD/month | Main types |",
        "|---|---|---|---|",
    ]
    for label, count, usd, types in rows:
        # Most added first, ties by name: registration order varies between runs.
        ranked = sorted(types.items(), key=lambda kv: (-kv[1], kv[0].split(":")[1]))[:4]
        main_types = ", ".join(f"{t.split(':')[1].split('/')[-1]} ×{n}" for t, n in ranked)
        lines.append(f"| {label} | {count} | {usd:,.2f} | {main_types} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
