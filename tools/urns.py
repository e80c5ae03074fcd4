"""`python -m tools.urns --check | --update`: upgrades keep what deployed stacks hold.

Pulumi knows a resource by its URN (stack, project, parent type chain, type, name). A new
version of the components that changes one of those for a database, a bucket, a secret or a key
makes `pulumi up` delete it and create a new one, unless the resource carries an alias naming
its old URN. `stateful-urns/<project>/<stack>.txt` records, one sorted URN a line, every
resource of every committed stack whose loss loses data or a service (`tools/stateful.py`,
`GUARDED_TYPES`), as the offline engine names it (`tools/engine.py`: full parent type chain).

- `--check` plans each committed stack offline and fails (exit 1) when a recorded URN is
  neither the URN nor an alias of a resource of the plan (naming it and what it is), or when a
  stateful resource of the plan is not recorded yet (run `--update`).
- `--update` adds the new stateful URNs and keeps every recorded one (an old URN answered by
  an alias stays: a stack that skipped a version still holds it). It refuses to write anything
  while a recorded URN is lost, unless each lost URN is matched by a `--drop PATTERN` (an exact
  URN or a shell-style pattern) and `--reason TEXT` says why: a deliberate removal of a piece.
  The dropped URNs and the reason are printed and added to CHANGELOG.md (`Unreleased`,
  `Removed`, marked breaking): the place a user reads before upgrading a deployed stack.

Exit codes: 0 the record holds (or was updated), 1 a recorded URN is lost or the record is
incomplete (or a plan failed), 2 bad usage (a `--drop` without `--reason`, or matching no lost
URN). docs/DESIGN.md ("Upgrades keep what exists") says why; docs/VERSIONING.md what is breaking.
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .engine import PlanResult, run_program
from .stateful import GUARDED_TYPES

ROOT = Path(__file__).resolve().parents[1]
PROJECT_DIRS = (".", "examples/ca-a2a", "examples/standalone", "bootstrap")
"""The committed Pulumi projects (a test checks that no other `Pulumi.yaml` exists)."""
RECORD_DIR = "stateful-urns"
CHANGELOG = "CHANGELOG.md"

Planner = Callable[[Path, str], PlanResult]
"""(project directory, stack) -> its offline plan."""

HEADER = """\
# {label}: URNs of the stateful resources a deployed stack holds (tools/stateful.py).
# `python -m tools.urns --check` fails when one is neither the URN nor an alias of a resource
# of the plan; `--update` adds new ones, drops one only with --drop and --reason (CHANGELOG.md).
"""


@dataclass(frozen=True)
class Stack:
    directory: str
    """The project directory, relative to the repository root."""
    project: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.project}/{self.name}"

    def record(self, root: Path) -> Path:
        return root / RECORD_DIR / self.project / f"{self.name}.txt"


def project_name(project_dir: Path) -> str:
    return str(yaml.safe_load((project_dir / "Pulumi.yaml").read_text())["name"])


def committed_stacks(root: Path = ROOT) -> list[Stack]:
    """Every `Pulumi.<stack>.yaml` of every committed project."""
    stacks = []
    for directory in PROJECT_DIRS:
        project = project_name(root / directory)
        for path in sorted((root / directory).glob("Pulumi.*.yaml")):
            stacks.append(Stack(directory, project, path.name[len("Pulumi.") : -len(".yaml")]))
    return stacks


def recorded_stacks(root: Path = ROOT) -> list[tuple[str, str]]:
    """(project, stack) of every record file."""
    return sorted((path.parent.name, path.stem) for path in (root / RECORD_DIR).glob("*/*.txt"))


def read_record(path: Path) -> list[str]:
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def write_record(path: Path, label: str, urns: Iterable[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER.format(label=label) + "".join(f"{u}\n" for u in sorted(set(urns))))


# -- comparing a record with a plan (pure) ----------------------------------------------------


def leaf_type(urn: str) -> str:
    return urn.split("::", 3)[2].rsplit("$", 1)[-1]


def resource_name(urn: str) -> str:
    return urn.split("::", 3)[3]


def kind_of(urn: str) -> str:
    """What the resource holds, for messages: `database`, `bucket`, ... (else its type)."""
    return GUARDED_TYPES.get(leaf_type(urn), leaf_type(urn))


def stateful_urns(result: PlanResult) -> list[str]:
    return sorted(r.urn for r in result.resources if r.type in GUARDED_TYPES)


@dataclass(frozen=True)
class Lost:
    stack: str
    urn: str
    now: str | None = None
    """Where it likely went: the URN of a resource of the same type and name, or the one new
    stateful URN of the same parent chain and type."""

    @property
    def kind(self) -> str:
        return kind_of(self.urn)

    @property
    def name(self) -> str:
        return resource_name(self.urn)


@dataclass
class Comparison:
    stack: str
    recorded: list[str]
    lost: list[Lost] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    """Stateful URNs of the plan the record does not hold yet."""
    error: str | None = None
    """Why there is no plan (the stack file is gone, or the program failed)."""
    live: bool = True
    """False: the record's stack file is gone."""

    @property
    def holds(self) -> bool:
        return not (self.lost or self.new or self.error)


def compare(stack: str, recorded: Iterable[str], result: PlanResult | None) -> Comparison:
    """Which recorded URNs the plan no longer answers to (as a URN or an alias), and which
    stateful URNs of the plan are not recorded. `result` None: the stack is gone."""
    recorded = sorted(set(recorded))
    if result is None:
        return Comparison(stack, recorded, [Lost(stack, u) for u in recorded])
    answered = {r.urn for r in result.resources}
    answered.update(alias for r in result.resources for alias in r.aliases)
    new = [urn for urn in stateful_urns(result) if urn not in set(recorded)]
    by_type_and_name = {(r.type, r.name): r.urn for r in result.resources}
    lost = [
        Lost(stack, urn, by_type_and_name.get((leaf_type(urn), resource_name(urn)))
             or _renamed_to(urn, new))
        for urn in recorded
        if urn not in answered
    ]  # fmt: skip
    return Comparison(stack, recorded, lost, new)


def _chain(urn: str) -> str:
    return urn.split("::", 3)[2]


def _renamed_to(urn: str, new: list[str]) -> str | None:
    """The one new URN of the same parent chain and type (a renamed resource), if only one."""
    candidates = [u for u in new if _chain(u) == _chain(urn)]
    return candidates[0] if len(candidates) == 1 else None


# -- reports ----------------------------------------------------------------------------------

FIX = (
    "A lost URN is what `pulumi up` would delete (and create anew) on a deployed stack. Keep it:\n"
    "give the resource, or the component it moved with, `aliases=[pulumi.Alias(...)]` naming\n"
    'its old name, type or parent (docs/DESIGN.md, "Upgrades keep what exists"). Removing a\n'
    "piece on purpose: python -m tools.urns --update --drop 'URN or pattern' --reason 'why'."
)


def suggestion(was: str, now: str) -> str:
    """The alias that would keep `was`, from what differs in `now`."""
    if _chain(was) == _chain(now):
        return f"renamed: aliases=[pulumi.Alias(name={resource_name(was)!r})]"
    old, new = (_chain(urn).split("$") for urn in (was, now))
    changed = [i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b]
    if len(old) == len(new) and len(changed) == 1 and changed[0] < len(new) - 1:
        i = changed[0]
        return f"its component {new[i]} needs aliases=[pulumi.Alias(type_={old[i]!r})]"
    if len(old) < len(new) and old[-1] == new[-1]:
        return "it moved under a new parent: aliases=[pulumi.Alias(parent=<the old parent>)]"
    return "same type and name: add an alias"


def render_lost(lost: list[Lost]) -> list[str]:
    lines = []
    for item in lost:
        lines.append(f"  - {item.kind} {item.name}")
        lines.append(f"      was  {item.urn}")
        if item.now:
            lines.append(f"      now  {item.now}")
            lines.append(f"      ({suggestion(item.urn, item.now)})")
    return lines


def render(comparisons: list[Comparison]) -> str:
    total = sum(len(c.recorded) for c in comparisons)
    lines = [f"Stateful URNs ({RECORD_DIR}/): {len(comparisons)} stacks, {total} recorded."]
    for c in comparisons:
        if c.holds:
            lines.append(f"  {c.stack}: {len(c.recorded)} recorded, every one kept")
    for c in comparisons:
        if c.error:
            lines.append(f"{c.stack}: no plan: {c.error}")
        if c.lost:
            lines.append(
                f"{c.stack}: LOST {len(c.lost)} recorded stateful resource(s): neither the URN "
                "nor an alias of any resource of the plan"
            )
            lines.extend(render_lost(c.lost))
        # The new URN of a lost resource is shown beside it ("now"), not twice.
        new = [u for u in c.new if u not in {item.now for item in c.lost}]
        if new and not c.recorded:
            lines.append(
                f"{c.stack}: no record yet ({len(new)} stateful URN(s)): "
                "python -m tools.urns --update"
            )
        elif new:
            lines.append(
                f"{c.stack}: {len(new)} stateful URN(s) not recorded yet "
                "(python -m tools.urns --update):"
            )
            lines.extend(f"  - {kind_of(u)} {resource_name(u)}: {u}" for u in new)
    if any(c.lost for c in comparisons):
        lines.append(FIX)
    return "\n".join(lines)


# -- running ----------------------------------------------------------------------------------


def compare_all(root: Path, planner: Planner) -> list[Comparison]:
    """Every committed stack against its record, then every record whose stack is gone."""
    comparisons = []
    stacks = committed_stacks(root)
    for stack in stacks:
        recorded = read_record(stack.record(root))
        try:
            result = planner(root / stack.directory, stack.name)
        except Exception as error:  # a failing program: reported, nothing written
            comparisons.append(Comparison(stack.label, recorded, error=f"{error}"))
            continue
        comparisons.append(compare(stack.label, recorded, result))
    live = {(s.project, s.name) for s in stacks}
    for project, name in recorded_stacks(root):
        if (project, name) not in live:
            path = root / RECORD_DIR / project / f"{name}.txt"
            gone = compare(f"{project}/{name}", read_record(path), None)
            gone.error = "its stack file is gone (every recorded URN is lost)"
            gone.live = False
            comparisons.append(gone)
    return comparisons


def record_removal(changelog: str, reason: str, dropped: list[Lost]) -> str:
    """CHANGELOG.md with one breaking `Removed` entry of `Unreleased` for the dropped URNs."""
    lines = changelog.splitlines()
    starts = [i for i, line in enumerate(lines) if line.lower().startswith("## [unreleased]")]
    if not starts:
        raise ValueError(f"{CHANGELOG} has no '## [Unreleased]' section")
    start = starts[0]
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    why = reason.strip().rstrip(".")
    entry = [f"- **Breaking**: {why}. At its next `pulumi up`, a deployed stack deletes:"]
    entry += [f"  - {d.kind} `{d.name}` of `{d.stack}` (`{d.urn}`)" for d in dropped]
    removed = next((i for i in range(start, end) if lines[i].strip() == "### Removed"), None)
    if removed is None:
        at, block = end, ["", "### Removed", *entry]
    else:
        at = next((i for i in range(removed + 1, end) if lines[i].startswith("### ")), end)
        block = entry
    while at - 1 > (removed or start) and not lines[at - 1].strip():
        at -= 1  # before the blank lines that end the section
    lines[at:at] = block
    return "\n".join(lines) + "\n"


def check(root: Path = ROOT, planner: Planner = run_program) -> int:
    comparisons = compare_all(root, planner)
    print(render(comparisons))
    return 0 if all(c.holds for c in comparisons) else 1


def update(
    root: Path = ROOT,
    planner: Planner = run_program,
    drops: list[str] | None = None,
    reason: str | None = None,
) -> int:
    drops = drops or []
    comparisons = compare_all(root, planner)
    failed = [c for c in comparisons if c.error and not c.lost]
    if failed:
        print(render(failed))
        print("Nothing was written.")
        return 1
    lost = [item for c in comparisons for item in c.lost]
    unmatched_patterns = [p for p in drops if not any(_matches(p, i.urn) for i in lost)]
    if unmatched_patterns:
        print(
            f"--drop {unmatched_patterns[0]!r} matches no lost URN (a kept URN is never dropped)."
        )
        if lost:
            print("Lost URNs:")
            print("\n".join(render_lost(lost)))
        print("Nothing was written.")
        return 2
    dropped = [i for i in lost if any(_matches(p, i.urn) for p in drops)]
    kept_lost = [i for i in lost if i not in dropped]
    if kept_lost:
        print(render([c for c in comparisons if any(i in kept_lost for i in c.lost)]))
        print("Nothing was written: a recorded URN is dropped only with --drop and --reason.")
        return 1
    changelog = root / CHANGELOG
    if dropped:
        assert reason  # main() refuses --drop without --reason
        try:
            changelog_text = record_removal(changelog.read_text(), reason, dropped)
        except (OSError, ValueError) as error:
            print(f"{error}. Nothing was written.")
            return 1
    gone = {i.urn for i in dropped}
    added = 0
    for c in comparisons:
        project, name = c.stack.split("/", 1)
        path = root / RECORD_DIR / project / f"{name}.txt"
        urns = sorted({u for u in c.recorded if u not in gone} | set(c.new))
        added += len(c.new)
        if c.live or urns:  # a committed stack keeps a record, even an empty one
            if urns != c.recorded or not path.exists():
                write_record(path, c.stack, urns)
        else:  # a stack whose file is gone, every URN dropped
            path.unlink()
            if not any(path.parent.iterdir()):
                path.parent.rmdir()
        for urn in c.new:
            print(f"recorded  {c.stack}: {kind_of(urn)} {resource_name(urn)}")
    if dropped:
        changelog.write_text(changelog_text)
        for item in dropped:
            print(f"DROPPED   {item.stack}: {item.kind} {item.name} ({item.urn})")
        print(f"Reason: {reason.strip()}")
        print(f"Added to {CHANGELOG} (Unreleased, Removed, breaking): commit it with the record.")
    print(f"{RECORD_DIR}/: {added} URN(s) added, {len(dropped)} dropped.")
    return 0


def _matches(pattern: str, urn: str) -> bool:
    return pattern == urn or fnmatch.fnmatchcase(urn, pattern)


def main(
    argv: list[str] | None = None, *, root: Path = ROOT, planner: Planner = run_program
) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.urns",
        description="The committed record of every committed stack's stateful URNs.",
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="fail when a recorded URN is lost")
    mode.add_argument("--update", action="store_true", help="record new stateful URNs")
    parser.add_argument(
        "--drop",
        action="append",
        default=[],
        metavar="PATTERN",
        help="with --update: drop the lost URNs this URN or shell pattern matches",
    )
    parser.add_argument(
        "--reason", help="with --drop: why the piece is removed (goes to CHANGELOG.md)"
    )
    args = parser.parse_args(argv)
    if args.drop and not args.update:
        parser.error("--drop goes with --update")
    if args.drop and not (args.reason or "").strip():
        parser.error("--drop needs --reason: why a deployed stack may lose the resource")
    if args.reason and not args.drop:
        parser.error("--reason goes with --drop")
    if args.check:
        return check(root, planner)
    return update(root, planner, args.drop, args.reason)


if __name__ == "__main__":
    sys.exit(main())
