"""The destructive-change guard on a real `pulumi preview --json`: CI stops a preview or a deploy
that deletes or replaces a stateful resource or an ECS service unless a maintainer approved it.

Reads the preview's JSON (pulumi/pulumi pkg/display/json.go `PreviewDigest`: `steps` of `op`,
`urn`, `oldState`, `newState`, `replaceReasons`, ...), lists the delete and replace steps on the
types of `tools/stateful.GUARDED_TYPES`, writes a short Markdown summary (the job summary and the
pull request comment) and decides. The approval is the label `approve-destructive-change` on the
pull request, valid only when the latest `labeled` event for it was made by a human (no bot, no
GitHub App) with write, maintain or admin permission who is not the pull request's author; the
preview workflow removes the label on every push, so an approval covers the commits it saw. The
GitHub data comes from `gh api` calls of the workflow, saved as JSON files: the tool itself makes
no network call (tests/test_preview_guard.py replays recorded answers). docs/DESIGN.md
("Destructive-change guard") has the design and its limits.

    python -m tools.preview_guard check --preview preview.json --stack prod \\
        --labels labels.json --events events.json --permission permission.json \\
        --author LOGIN [--summary summary.md]
    python -m tools.preview_guard approver --events events.json     # whose permission to fetch
    python -m tools.preview_guard merged-pr --pulls pulls.json --sha SHA   # deploy on main

`check` exits 0 when nothing guarded is deleted or replaced or when the change is approved,
4 when it is not approved (the same code as `python -m tools.plan --against`), 2 when an input
file is missing or unreadable. On `main`, `merged-pr` prints `{"number": N, "author": LOGIN}`
for the pull request that merged the commit (`GET /repos/{owner}/{repo}/commits/{sha}/pulls`;
exit 1 when there is none: a direct push has no approval to find), whose labels and events are
then fetched and passed to `check` the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .plan_diff import EXIT_DESTRUCTIVE
from .stateful import GUARDED_TYPES

APPROVAL_LABEL = "approve-destructive-change"
EXIT_BAD_INPUT = 2

DELETE_OPS = frozenset({"delete"})
REPLACE_OPS = frozenset(
    {
        "replace",
        "create-replacement",
        "delete-replaced",
        "import-replacement",
        "discard-replaced",
        "remove-pending-replace",
    }
)
"""Step ops that delete a resource or replace it (pulumi/pulumi pkg/resource/deploy/step.go:
the replacement steps, less `read-replacement` which manages nothing). `discard` (forget a
resource but keep it, retainOnDelete) is not one."""

APPROVING_ROLES = frozenset({"admin", "maintain", "write"})


# -------------------------------------------------------------------------------------------
# The preview
# -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Destructive:
    op: str
    """`delete` or `replace`."""
    urn: str
    type: str
    reasons: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def holds(self) -> str:
        return GUARDED_TYPES[self.type]


def step_type(step: Mapping[str, Any]) -> str:
    """The resource type of a step: its new or old state's, else the last one in its URN."""
    for state in ("newState", "oldState"):
        type_ = (step.get(state) or {}).get("type")
        if type_:
            return type_
    return str(step.get("urn", "")).split("::")[2].split("$")[-1]


def destructive_steps(preview: Mapping[str, Any]) -> list[Destructive]:
    """The delete and replace steps on guarded types, one per resource."""
    found: dict[str, Destructive] = {}
    for step in preview.get("steps") or []:
        op = step.get("op", "")
        kind = "delete" if op in DELETE_OPS else "replace" if op in REPLACE_OPS else None
        type_ = step_type(step)
        if kind is None or type_ not in GUARDED_TYPES:
            continue
        urn = step["urn"]
        reasons = tuple(step.get("replaceReasons") or ())
        earlier = found.get(urn)
        if earlier is not None:
            reasons = tuple(dict.fromkeys(earlier.reasons + reasons))
            kind = "replace" if "replace" in (kind, earlier.op) else kind
        found[urn] = Destructive(kind, urn, type_, reasons)
    return list(found.values())


def change_counts(preview: Mapping[str, Any]) -> dict[str, int]:
    summary = preview.get("changeSummary") or {}
    return {op: int(n) for op, n in summary.items() if n}


# -------------------------------------------------------------------------------------------
# The approval
# -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Approval:
    approved: bool
    reason: str
    approver: str | None = None


def _flatten(pages: Any) -> list[dict[str, Any]]:
    """`gh api --paginate --slurp` gives a list of pages; a single call, one list."""
    items: list[dict[str, Any]] = []
    for item in pages or []:
        items.extend(_flatten(item) if isinstance(item, list) else [item])
    return items


def _label_events(events: Any, label: str) -> list[dict[str, Any]]:
    return [
        e
        for e in _flatten(events)
        if e.get("event") == "labeled" and (e.get("label") or {}).get("name") == label
    ]


def latest_labeler(events: Any, label: str = APPROVAL_LABEL) -> str | None:
    """Who added the label last (the permission to look up), None if nobody did."""
    labeled = _label_events(events, label)
    if not labeled:
        return None
    last = max(labeled, key=lambda e: e.get("created_at") or "")
    return (last.get("actor") or {}).get("login")


def _is_bot(event: Mapping[str, Any]) -> bool:
    actor = event.get("actor") or {}
    return (
        actor.get("type") == "Bot"
        or str(actor.get("login", "")).endswith("[bot]")
        or bool(event.get("performed_via_github_app"))
    )


def approval(
    labels: Any,
    events: Any,
    permission: Mapping[str, Any] | None,
    author: str,
    label: str = APPROVAL_LABEL,
) -> Approval:
    """Whether the pull request carries a valid approval (see the module docstring)."""
    names = {item.get("name") for item in _flatten(labels)}
    if label not in names:
        return Approval(False, f"the pull request has no `{label}` label")
    labeled = _label_events(events, label)
    if not labeled:
        return Approval(False, f"no `labeled` event found for `{label}`")
    last = max(labeled, key=lambda e: e.get("created_at") or "")
    login = (last.get("actor") or {}).get("login") or ""
    when = last.get("created_at", "")
    if not author:
        return Approval(False, "the pull request's author is unknown")
    if _is_bot(last):
        return Approval(False, f"`{label}` was added by a bot or an app ({login}), not a person")
    if login.lower() == author.lower():
        return Approval(False, f"`{label}` was added by the pull request's author ({login})")
    permission = permission or {}
    holder = ((permission.get("user") or {}).get("login") or "").lower()
    role = permission.get("role_name") or permission.get("permission") or "none"
    if holder != login.lower():
        return Approval(False, f"no permission record for {login}, who added `{label}`")
    if role not in APPROVING_ROLES:
        return Approval(False, f"{login}, who added `{label}`, has {role} permission only")
    return Approval(True, f"approved by @{login} ({role}) at {when}", login)


def merged_pull_request(pulls: Any, sha: str) -> Mapping[str, Any] | None:
    """The pull request that merged `sha` among `GET /commits/{sha}/pulls`'s answer."""
    merged = [p for p in _flatten(pulls) if p.get("merged_at")]
    exact = [p for p in merged if p.get("merge_commit_sha") == sha]
    return (exact or merged or [None])[0]


# -------------------------------------------------------------------------------------------
# The summary
# -------------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary(
    stack: str,
    steps: Iterable[Destructive],
    counts: Mapping[str, int],
    decision: Approval | None,
) -> str:
    steps = list(steps)
    changes = ", ".join(f"{n} {op}" for op, n in sorted(counts.items())) or "no change"
    lines = [f"### Destructive-change guard: stack `{stack}`", "", f"Preview: {changes}.", ""]
    if not steps:
        lines.append("No stateful resource or ECS service is deleted or replaced.")
        return "\n".join(lines) + "\n"
    lines += [
        "| Change | Resource | Type | Holds | Replaced because of |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {s.op} | `{_cell(s.name)}` | `{s.type}` | {s.holds} | "
        f"{_cell(', '.join(f'`{r}`' for r in s.reasons)) or '-'} |"
        for s in steps
    ]
    lines.append("")
    if decision is not None and decision.approved:
        lines.append(f"**Approved**: {decision.reason}.")
    else:
        why = f" ({decision.reason})" if decision is not None else ""
        lines.append(
            f"**Blocked**{why}: {len(steps)} stateful resource(s) or service(s) would be deleted "
            f"or replaced. A maintainer who is not the author approves by adding the label "
            f"`{APPROVAL_LABEL}`; a new push removes it."
        )
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------------------------------
# CLI
# -------------------------------------------------------------------------------------------


def _read(path: Path | None, default: Any = None) -> Any:
    if path is None:
        return default
    return json.loads(path.read_text() or "null")


def _check(args: argparse.Namespace) -> int:
    try:
        preview = _read(args.preview)
        if not isinstance(preview, dict):
            raise ValueError(f"{args.preview}: not the JSON of `pulumi preview --json`")
    except (OSError, ValueError) as error:
        if args.summary is not None:
            args.summary.write_text(
                f"### Destructive-change guard: stack `{args.stack}`\n\n"
                f"The preview gave no readable JSON ({error}): nothing was checked.\n"
            )
        raise
    steps = destructive_steps(preview)
    decision = None
    if steps:
        decision = approval(
            _read(args.labels, []), _read(args.events, []), _read(args.permission), args.author
        )
    text = summary(args.stack, steps, change_counts(preview), decision)
    if args.summary is not None:
        args.summary.write_text(text)
    print(text)
    if steps and not decision.approved:
        return EXIT_DESTRUCTIVE
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.preview_guard",
        description="Stop a preview or deploy that deletes or replaces a stateful resource or "
        "an ECS service unless a maintainer approved it.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="decide on a `pulumi preview --json` output")
    check.add_argument("--preview", type=Path, required=True, help="`pulumi preview --json`")
    check.add_argument("--stack", required=True)
    check.add_argument("--labels", type=Path, help="GET /repos/{repo}/issues/{pr}/labels")
    check.add_argument("--events", type=Path, help="GET /repos/{repo}/issues/{pr}/events")
    check.add_argument(
        "--permission",
        type=Path,
        help="GET /repos/{repo}/collaborators/{approver}/permission ({approver}: `approver`)",
    )
    check.add_argument("--author", default="", help="login of the pull request's author")
    check.add_argument("--summary", type=Path, help="also write the Markdown summary here")
    approver = commands.add_parser("approver", help="who added the approval label last")
    approver.add_argument("--events", type=Path, required=True)
    merged = commands.add_parser("merged-pr", help="the pull request that merged a commit")
    merged.add_argument("--pulls", type=Path, required=True, help="GET .../commits/{sha}/pulls")
    merged.add_argument("--sha", required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "approver":
            print(latest_labeler(_read(args.events, [])) or "")
            return 0
        pull = merged_pull_request(_read(args.pulls, []), args.sha)
        if pull is None:
            print(f"no merged pull request for {args.sha}", file=sys.stderr)
            return 1
        print(json.dumps({"number": pull["number"], "author": pull["user"]["login"]}))
        return 0
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"preview guard: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
