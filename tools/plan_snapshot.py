"""`python -m tools.plan_snapshot --write DIR` / `--compare DIR`: are the offline plans unchanged?

The check every refactoring commit runs before and after (issue 22): it plans every committed
stack of the three projects (this program's dev, staging, prod; `examples/ca-a2a` dev, prod;
`bootstrap` dev, staging, prod) on the offline engine and writes, per stack, one JSON document:
every recorded registration with all its fields (type, name, parent, inputs, options, URNs,
aliases, dependencies), the stack outputs and the policy pack's violations and waivers: more
than `tools.plan --json` prints (that leaves out the options). `--compare DIR` plans again and
reports every stack whose document is not byte-identical to the one in DIR, with the first
differing lines; exit 1 then, 0 when all are identical.

What it proves is limited to what the offline engine records: a refactoring that keeps these
documents identical registers the same resources with the same inputs and options, and the
pack judges them the same; what a real `pulumi preview` would show beyond that is out of reach.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# (snapshot prefix, project directory, stacks): every committed stack file.
COMMITTED: tuple[tuple[str, Path, tuple[str, ...]], ...] = (
    ("accessweaver", ROOT, ("dev", "staging", "prod")),
    ("ca-a2a", ROOT / "examples" / "ca-a2a", ("dev", "prod")),
    ("bootstrap", ROOT / "bootstrap", ("dev", "staging", "prod")),
)
DIFF_LINES = 40
"""At most this many lines of unified diff per stack that differs."""


def committed_stacks() -> list[tuple[str, Path, str]]:
    """`(file name, project directory, stack)` for every committed stack file."""
    return [
        (f"{prefix}.{stack}.json", project, stack)
        for prefix, project, stacks in COMMITTED
        for stack in stacks
    ]


def _canonical(resource: Any) -> dict[str, Any]:
    """Every field of a recorded resource, its dependency lists sorted: they are sets to the
    engine, filled in the order outputs happen to resolve."""
    fields = dataclasses.asdict(resource)
    fields["depends_on"] = sorted(fields["depends_on"])
    for key in ("property_dependencies", "property_dependency_urns"):
        fields[key] = {name: sorted(keys) for name, keys in fields[key].items()}
    return fields


def document(result: Any, policies: Any) -> str:
    """The snapshot of one plan: a `tools.engine.PlanResult` and its `PolicyReport`, as text
    that differs exactly when a recorded field, an output or a policy finding does."""
    body = {
        "project": result.project,
        "stack": result.stack,
        "stack_file": result.stack_file,
        # By URN: the order of registrations varies from run to run (outputs resolve
        # concurrently) and means nothing to the engine, which orders by dependencies.
        "resources": sorted(
            (_canonical(resource) for resource in result.resources),
            key=lambda resource: (resource["urn"], resource["type"], resource["name"]),
        ),
        "outputs": result.outputs,
        # Findings follow the resources' order: sorted as well.
        **{
            kind: sorted(findings, key=lambda finding: json.dumps(finding, sort_keys=True))
            for kind, findings in policies.to_json().items()
        },
    }
    return json.dumps(body, indent=1, sort_keys=True) + "\n"


def plan_documents(
    stacks: Iterable[tuple[str, Path, str]] | None = None,
) -> dict[str, str]:
    """File name -> snapshot document, planning each stack once on the offline engine."""
    from .engine import run_program
    from .policy_check import run_policies

    documents = {}
    for name, project, stack in committed_stacks() if stacks is None else stacks:
        result = run_program(project, stack)
        documents[name] = document(result, run_policies(result))
    return documents


def differences(directory: Path, documents: dict[str, str]) -> list[str]:
    """What differs between the snapshots in `directory` and `documents`: one message per
    missing, extra or changed file (a changed one with the first lines of its diff)."""
    found = []
    stored = {path.name for path in directory.glob("*.json")}
    for name in sorted(stored - documents.keys()):
        found.append(f"{name}: in {directory} but no longer planned")
    for name, text in sorted(documents.items()):
        path = directory / name
        if name not in stored:
            found.append(f"{name}: planned but not in {directory} (write it with --write)")
            continue
        before = path.read_text()
        if before == text:
            continue
        diff = list(
            difflib.unified_diff(
                before.splitlines(), text.splitlines(), f"{path}", f"{name} (now)", lineterm="", n=2
            )
        )
        shown = diff[:DIFF_LINES] + (
            [f"... {len(diff) - DIFF_LINES} more lines"] * (len(diff) > DIFF_LINES)
        )
        found.append(f"{name}: differs\n" + "\n".join(shown))
    return found


def write(directory: Path, documents: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.json"):
        if stale.name not in documents:
            stale.unlink()
    for name, text in documents.items():
        (directory / name).write_text(text)


def main(
    argv: list[str] | None = None,
    plan: Callable[[], dict[str, str]] = plan_documents,
) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.plan_snapshot",
        description="Write or compare the offline plans of every committed stack.",
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", type=Path, metavar="DIR", help="write the snapshots to DIR")
    action.add_argument(
        "--compare", type=Path, metavar="DIR", help="report what differs from the snapshots in DIR"
    )
    args = parser.parse_args(argv)
    if args.compare is not None and not args.compare.is_dir():
        print(f"--compare {args.compare}: no such directory", file=sys.stderr)
        return 2
    documents = plan()
    if args.write is not None:
        write(args.write, documents)
        print(f"{len(documents)} offline plans written to {args.write}")
        return 0
    found = differences(args.compare, documents)
    for message in found:
        print(message)
    if found:
        print(f"{len(found)} difference(s) from the offline plans in {args.compare}")
        return 1
    print(f"offline plans of all {len(documents)} committed stacks byte-identical")
    return 0


if __name__ == "__main__":
    import gc

    gc.disable()  # one-shot process, as tools.plan
    sys.exit(main())
