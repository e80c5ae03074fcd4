"""`python -m tools.github_settings`: does GitHub still hold what the CI roles' trust relies on?

The roles trust a repository, an environment and a workflow file at a ref; GitHub decides who
runs a job in that environment, from which branch, approved by whom. This tool reads the
repository's settings from GitHub's REST API and compares them with the settings the bootstrap
config derives (`components/bootstrap/github_settings.py`: the same data the bootstrap's GitHub
provider applies), listing every difference:

* ``fetch --out DIR``        - `gh api` each endpoint below into DIR (token: GH_TOKEN); a 404
  (an environment or a protection that does not exist) is recorded as `null`;
* ``check --responses DIR``  - compare those responses with the config; prints each difference.

The expected settings come from the one bootstrap stack file that declares `githubSettings`
(`--stack` to name it), whether that stack applies them (`manage: true`) or another tool does
(`manage: false`). Endpoints (REST API 2022-11-28) and the fine-grained token permissions they
need (read-only, this repository only):

* `GET /repos/{r}/environments`, `.../environments/{env}/deployment-branch-policies`,
  `GET /repos/{r}/actions/oidc/customization/sub`: "Actions" (read);
* `GET /repos/{r}/branches/main/protection`, `GET /repos/{r}/actions/permissions/workflow`:
  "Administration" (read); "Metadata" (read) comes with every token.

Exit codes: 0 the settings match, 1 they differ (or a response is missing), 2 usage (the
config cannot be read, `gh` failed other than with a 404).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from accessweaver_components.bootstrap.github_settings import (
    EnvironmentSettings,
    RepositorySettings,
)

EXIT_OK, EXIT_DIFFERENT, EXIT_USAGE = 0, 1, 2
ROOT = Path(__file__).resolve().parents[1]
API_VERSION = "2022-11-28"
MAIN_ONLY = {"protected_branches": False, "custom_branch_policies": True}
"""`deployment_branch_policy` of an environment that admits the branches its policies name."""


class SettingsError(Exception):
    """The config or GitHub could not be read (exit 2)."""


# --------------------------------------------------------------------------------------------
# The expected settings (the bootstrap config)
# --------------------------------------------------------------------------------------------


def expected_settings(
    project_dir: Path = ROOT / "bootstrap", stack: str | None = None
) -> tuple[str, RepositorySettings]:
    """(stack file, settings) of the bootstrap stack file that declares `githubSettings`: the
    one named, or the only one (they are the repository's: two files would disagree)."""
    from accessweaver_components.bootstrap.config import bootstrap_settings
    from accessweaver_components.errors import ConfigError
    from accessweaver_components.stack.loader import parse_raw_value

    from .stack_file import read_stack_config

    stacks = [stack] if stack else sorted(p.stem.split(".", 1)[1] for p in
                                          project_dir.glob("Pulumi.*.yaml"))  # fmt: skip
    found: list[tuple[str, RepositorySettings]] = []
    for name in stacks:
        try:
            config = read_stack_config(project_dir, name)
        except (FileNotFoundError, ConfigError) as error:
            raise SettingsError(str(error)) from None
        prefix = f"{config.project}:"
        raw = {
            key[len(prefix) :]: parse_raw_value(key[len(prefix) :], value)
            for key, value in config.values.items()
            if key.startswith(prefix)
        }
        if "githubSettings" not in raw:
            continue
        try:
            settings = bootstrap_settings(
                raw,
                region=config.values.get("aws:region"),
                stack_file=config.label,
                namespace=config.project,
            )
        except ConfigError as error:
            raise SettingsError(str(error)) from None
        assert settings.github is not None
        found.append((config.label, settings.github))
    if len(found) != 1:
        where = ", ".join(label for label, _ in found) or f"no Pulumi.*.yaml of {project_dir}"
        raise SettingsError(
            f"githubSettings must be declared in exactly one bootstrap stack file "
            f"(the repository has one set of settings); found in: {where}"
        )
    return found[0]


def endpoints(settings: RepositorySettings) -> dict[str, str]:
    """Response file -> `gh api` endpoint."""
    repo = settings.repository
    found = {
        "environments.json": f"repos/{repo}/environments?per_page=100",
        "branch-protection.json": f"repos/{repo}/branches/{quote(settings.branch.branch)}"
        "/protection",
        "workflow-permissions.json": f"repos/{repo}/actions/permissions/workflow",
        "oidc-subject.json": f"repos/{repo}/actions/oidc/customization/sub",
    }
    for environment in settings.environments:
        if environment.main_only:
            found[f"branch-policies/{environment.name}.json"] = (
                f"repos/{repo}/environments/{quote(environment.name, safe='')}"
                "/deployment-branch-policies?per_page=100"
            )
    return found


# --------------------------------------------------------------------------------------------
# Fetching (gh api)
# --------------------------------------------------------------------------------------------

Runner = Callable[[list[str]], subprocess.CompletedProcess]


def _gh(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def fetch(settings: RepositorySettings, out: Path, run: Runner = _gh) -> list[str]:
    """Write every endpoint's response under `out`; the files written."""
    written = []
    for file, endpoint in endpoints(settings).items():
        done = run(["gh", "api", "-H", "Accept: application/vnd.github+json",
                    "-H", f"X-GitHub-Api-Version: {API_VERSION}", endpoint])  # fmt: skip
        if done.returncode == 0:
            body = done.stdout
        elif "(HTTP 404)" in done.stderr:
            body = "null"
        else:
            raise SettingsError(f"gh api {endpoint}: {done.stderr.strip() or done.returncode}")
        target = out / file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body)
        written.append(file)
    return written


def read_responses(directory: Path, settings: RepositorySettings) -> dict[str, Any]:
    """Response file -> its JSON (None: GitHub answered 404); absent files are left out."""
    found: dict[str, Any] = {}
    for file in endpoints(settings):
        path = directory / file
        if path.exists():
            try:
                found[file] = json.loads(path.read_text() or "null")
            except ValueError as error:
                raise SettingsError(f"{path}: not JSON ({error})") from None
    return found


# --------------------------------------------------------------------------------------------
# Comparing (pure)
# --------------------------------------------------------------------------------------------


_NOT_FETCHED = object()
"""A response file absent from the directory (reported once, as such)."""


def _enabled(value: Any) -> bool:
    """`{"enabled": true}` of the branch protection API (absent: off)."""
    return bool(value.get("enabled")) if isinstance(value, Mapping) else bool(value)


def _reviewers(rule: Mapping[str, Any]) -> frozenset[tuple[str, str]]:
    found = set()
    for entry in rule.get("reviewers") or []:
        reviewer = entry.get("reviewer") or {}
        name = reviewer.get("slug") if entry.get("type") == "Team" else reviewer.get("login")
        found.add((str(entry.get("type")), str(name).lower()))
    return frozenset(found)


def _named(reviewers: frozenset[tuple[str, str]]) -> str:
    return ", ".join(f"{kind.lower()} {name}" for kind, name in sorted(reviewers)) or "nobody"


def _environment_differences(
    spec: EnvironmentSettings, live: Mapping[str, Any], policies: Any
) -> list[str]:
    name = spec.name
    found: list[str] = []
    # GitHub's default is true: an environment created by hand lets admins skip its rules.
    if live.get("can_admins_bypass", True) != spec.can_admins_bypass:
        found.append(f"{name}: administrators can bypass its protection rules")
    branch_policy = live.get("deployment_branch_policy")
    if spec.main_only:
        if branch_policy is None:
            found.append(f"{name}: any branch may run its jobs (no deployment branch policy)")
        elif {k: bool(branch_policy.get(k)) for k in MAIN_ONLY} != MAIN_ONLY:
            found.append(
                f"{name}: its deployment branches are {json.dumps(branch_policy)}; expected "
                "custom branch policies naming main only"
            )
        elif policies is not _NOT_FETCHED:
            listed = sorted(
                (str(p.get("type") or "branch"), str(p.get("name")))
                for p in (policies or {}).get("branch_policies") or []
            )
            if listed != [("branch", "main")]:
                shown = ", ".join(f"{kind} {pattern}" for kind, pattern in listed) or "none"
                found.append(f"{name}: its deployment branch policies are {shown}; expected main")
    elif branch_policy is not None:
        found.append(
            f"{name}: restricts its deployment branches ({json.dumps(branch_policy)}); a pull "
            "request's preview runs on the pull request's ref"
        )
    rules = [r for r in live.get("protection_rules") or [] if r.get("type") == "required_reviewers"]
    reviewers = _reviewers(rules[0]) if rules else frozenset()
    expected = spec.reviewers.named()
    if expected and not reviewers:
        found.append(f"{name}: runs without a reviewer (expected {_named(expected)})")
    elif reviewers != expected:
        found.append(f"{name}: its reviewers are {_named(reviewers)}; expected {_named(expected)}")
    if spec.prevent_self_review and rules and rules[0].get("prevent_self_review") is not True:
        found.append(f"{name}: whoever started a run may approve it (prevent self-review is off)")
    return found


def _branch_differences(settings: RepositorySettings, live: Any) -> list[str]:
    spec = settings.branch
    branch = spec.branch
    if live is None:
        return [f"{branch}: the branch is not protected"]
    found: list[str] = []
    reviews = live.get("required_pull_request_reviews")
    if reviews is None:
        found.append(f"{branch}: takes changes without a pull request review")
    else:
        count = reviews.get("required_approving_review_count", 0)
        if count != spec.required_approvals:
            found.append(
                f"{branch}: a pull request needs {count} approving review(s); expected "
                f"{spec.required_approvals}"
            )
        if bool(reviews.get("dismiss_stale_reviews")) != spec.dismiss_stale_reviews:
            found.append(f"{branch}: an approval survives later pushes (dismiss stale reviews)")
        if bool(reviews.get("require_last_push_approval")) != spec.require_last_push_approval:
            found.append(
                f"{branch}: the last pusher's own approval counts (require approval of the "
                "most recent reviewable push)"
            )
    if _enabled(live.get("enforce_admins")) != spec.enforce_admins:
        found.append(f"{branch}: administrators bypass its protection (enforce for admins)")
    if _enabled(live.get("allow_force_pushes")) != spec.allows_force_pushes:
        found.append(f"{branch}: accepts force pushes")
    if _enabled(live.get("allow_deletions")) != spec.allows_deletions:
        found.append(f"{branch}: can be deleted")
    return found


def _actions_differences(settings: RepositorySettings, live: Any) -> list[str]:
    found: list[str] = []
    permissions = live.get("default_workflow_permissions")
    if permissions != settings.default_workflow_permissions:
        found.append(
            f"Actions: the GITHUB_TOKEN's default permissions are {permissions!r}; expected "
            f"{settings.default_workflow_permissions!r}"
        )
    if bool(live.get("can_approve_pull_request_reviews")) != (
        settings.can_approve_pull_request_reviews
    ):
        found.append(
            "Actions: workflows may approve pull requests (Allow GitHub Actions to create and "
            "approve pull requests): a workflow could approve its own change into main"
        )
    return found


def _oidc_differences(settings: RepositorySettings, live: Any) -> list[str]:
    found: list[str] = []
    keys = list(settings.claim_keys)
    if live.get("use_default") is not False:
        found.append(
            f"OIDC: the subject is GitHub's default template; expected the claim keys {keys} "
            "(every role's trust pins job_workflow_ref: no token would match)"
        )
    elif list(live.get("include_claim_keys") or []) != keys:
        found.append(
            f"OIDC: the subject template's claim keys are {live.get('include_claim_keys')}; "
            f"expected {keys}, in this order"
        )
    prefix = live.get("sub_claim_prefix")
    if prefix is not None and prefix != settings.subject_prefix:
        found.append(
            f"OIDC: GitHub's subjects start with {prefix!r}; the roles expect "
            f"{settings.subject_prefix!r} (githubImmutableSubject in the bootstrap config)"
        )
    return found


def differences(settings: RepositorySettings, responses: Mapping[str, Any]) -> list[str]:
    """Every way the live settings (`read_responses`) differ from `settings`."""
    missing = [file for file in endpoints(settings) if file not in responses]
    found = [f"{file}: not fetched (python -m tools.github_settings fetch)" for file in missing]
    environments = {
        e.get("name"): e
        for e in (responses.get("environments.json") or {}).get("environments") or []
    }
    for spec in settings.environments:
        live = environments.get(spec.name)
        if live is None:
            found.append(
                f"{spec.name}: the environment does not exist (a job naming it would create it, "
                "unprotected)"
            )
            continue
        policies = responses.get(f"branch-policies/{spec.name}.json", _NOT_FETCHED)
        found += _environment_differences(spec, live, policies)
    if "branch-protection.json" in responses:
        found += _branch_differences(settings, responses["branch-protection.json"])
    for file, compare in (
        ("workflow-permissions.json", _actions_differences),
        ("oidc-subject.json", _oidc_differences),
    ):
        if file in responses:
            live = responses[file]
            found += compare(settings, live) if live is not None else [f"{file}: GitHub said 404"]
    return found


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.github_settings",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--project", type=Path, default=ROOT / "bootstrap",
                        help="the bootstrap project's directory (default: bootstrap/)")  # fmt: skip
    parser.add_argument("--stack", help="the bootstrap stack whose file declares githubSettings")
    commands = parser.add_subparsers(dest="command", required=True)
    fetch_ = commands.add_parser("fetch", help="gh api each endpoint into a directory")
    fetch_.add_argument("--out", type=Path, required=True)
    check = commands.add_parser("check", help="compare fetched responses with the config")
    check.add_argument("--responses", type=Path, required=True)
    return parser


def main(argv: Sequence[str] | None = None, run: Runner = _gh) -> int:
    args = build_parser().parse_args(argv)
    try:
        label, settings = expected_settings(args.project, args.stack)
        if args.command == "fetch":
            written = fetch(settings, args.out, run)
            print(f"{len(written)} responses of {settings.repository} in {args.out}")
            return EXIT_OK
        found = differences(settings, read_responses(args.responses, settings))
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if found:
        print(
            f"GitHub settings of {settings.repository} differ from {label} (githubSettings): "
            f"{len(found)} difference(s)"
        )
        print("\n".join(f"  - {line}" for line in found))
        return EXIT_DIFFERENT
    print(
        f"GitHub settings of {settings.repository} match {label}: "
        f"{len(settings.environments)} environments, {settings.branch.branch}'s protection, "
        "the Actions token, the OIDC subject template"
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
