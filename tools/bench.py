"""Benchmark: offline plan time against the floor of loading the SDK classes it uses.

    python -m tools.bench [--stack prod] [--runs 5]

The floor is a script that only imports `pulumi` and the `pulumi_aws`/`pulumi_awsx` classes of
the resource types in the stack's plan: no program can do less on this SDK. The goal (issue 2):
whole-process `python -m tools.plan <stack> --json` at most 1.5x the floor, both measured here,
in the same run, as the best of N runs (best-of is the least noisy estimator on a shared box).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.5


def _time(command: list[str], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return samples


def floor_script(types: list[str]) -> str:
    """`aws:ecs/service:Service` -> `from pulumi_aws.ecs import Service`."""
    lines = ["import pulumi"]
    for token in sorted(set(types)):
        package, module_path, cls = token.split(":")
        if package not in ("aws", "awsx"):
            continue
        module = module_path.split("/")[0]
        lines.append(f"from pulumi_{package}.{module} import {cls}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__)
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    plan_command = [sys.executable, "-m", "tools.plan", args.stack, "--json"]
    document = json.loads(
        subprocess.run(plan_command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    )
    types = [r["type"] for r in document["resources"]]
    script = floor_script(types)
    floor = _time([sys.executable, "-c", script], args.runs)
    # The plan pauses the cyclic GC (tools/engine.py); the same floor with the GC off shows how
    # much of the margin that alone explains.
    floor_no_gc = _time([sys.executable, "-c", "import gc; gc.disable()\n" + script], args.runs)
    plan = _time(plan_command, args.runs)
    ratio = min(plan) / min(floor)
    modules = sorted({line.split()[1] for line in script.splitlines()[1:]})
    print(f"stack {args.stack}: {len(types)} resources, {len(set(types))} types")
    print(f"SDK modules loaded by the floor ({len(modules)}): {', '.join(modules)}")
    for label, samples in (
        ("floor (import classes only)", floor),
        ("floor with the cyclic GC off", floor_no_gc),
        (f"python -m tools.plan {args.stack} --json", plan),
    ):
        print(f"{label}: best {min(samples):.2f}s median {statistics.median(samples):.2f}s")
    print(f"ratio against the floor with the GC off: {min(plan) / min(floor_no_gc):.2f}")
    verdict = "within" if ratio <= TARGET_RATIO else "OVER"
    print(f"ratio {ratio:.2f} ({verdict} the {TARGET_RATIO}x target)")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
