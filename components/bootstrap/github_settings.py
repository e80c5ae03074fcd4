"""What GitHub must hold for the AWS trust to mean what it says, as plain data.

The CI roles trust a token whose subject names this repository, one GitHub environment and the
workflow file that asked for it (`policies.subject`). That admits the right jobs only while
GitHub keeps its side:

- each environment that deploys or checks drift (and `build`, which holds the application
  repository's token, and `github-settings`, which holds the settings check's) admits only
  `main` (a custom deployment branch policy); a pull request's preview environment admits any
  branch, since its job runs on `refs/pull/<n>/merge`;
- `prod`, `preview-staging` and `preview-prod` wait for a reviewer who did not start the run
  (`prevent_self_review`), and no environment lets an administrator skip its rules;
- `main` takes changes only through a pull request approved by someone else (the last pusher
  excluded, stale approvals dismissed), never a force push, administrators included;
- the `GITHUB_TOKEN` is read-only by default and cannot approve a pull request (else a workflow
  could approve its own change into `main`);
- the repository's OIDC subject template includes `job_workflow_ref`, which the roles' `sub`
  conditions pin.

`repository_settings` derives all of it from the bootstrap config; the bootstrap's GitHub
component (`github.py`) applies it and `tools/github_settings.py` compares the live settings
with it. Nothing here talks to GitHub.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

DEPLOY_BRANCH = "main"
MAIN_REF = f"refs/heads/{DEPLOY_BRANCH}"
PULL_REQUEST_REF = "refs/pull/*/merge"
"""The ref of a `pull_request` run (GitHub's merge commit); `*` is the pull request's number."""
CLAIM_KEYS: tuple[str, ...] = ("repo", "context", "job_workflow_ref")
"""The repository's OIDC subject template: `repo:<owner>/<repo>:environment:<env>:
job_workflow_ref:<owner>/<repo>/.github/workflows/<file>@<ref>` (the keys in this order)."""
BUILD_ENVIRONMENT = "build"
"""deploy.yml's image build: no cloud credential, the application repository's read token."""
SETTINGS_ENVIRONMENT = "github-settings"
"""github-settings.yml's daily check: the read-only token that reads these settings."""
MAX_REVIEWERS = 6
"""GitHub's limit on an environment's required reviewers, teams and users together."""


@dataclass(frozen=True)
class WorkflowPin:
    """The workflow file (under `.github/workflows/`) and ref a role's trust admits."""

    file: str
    ref: str

    def job_workflow_ref(self, repository: str) -> str:
        """The `job_workflow_ref` claim of a job of this file at this ref: for a reusable
        workflow, the called file (GitHub docs, "OpenID Connect reference")."""
        return f"{repository}/.github/workflows/{self.file}@{self.ref}"


DEPLOY_PIN = WorkflowPin("deploy-stack.yml", MAIN_REF)
"""The deploy roles: the release job of the reusable deploy-stack.yml, called from main."""
DRIFT_PIN = WorkflowPin("drift.yml", MAIN_REF)
PREVIEW_PIN = WorkflowPin("preview.yml", PULL_REQUEST_REF)
FAULTS_PIN = WorkflowPin("faults.yml", MAIN_REF)
FAULT_STACKS: tuple[str, ...] = ("staging",)
"""The stacks `faults.yml` runs fault experiments against (on demand, from main): each gets a
`faults-<stack>` environment and its account's bootstrap a faults role by default."""


def deploy_environment(stack: str) -> str:
    return stack


def preview_environment(stack: str) -> str:
    return f"preview-{stack}"


def drift_environment(stack: str) -> str:
    return f"drift-{stack}"


def faults_environment(stack: str) -> str:
    return f"faults-{stack}"


def subject_prefix(repository: str, ids: tuple[int, int] | None = None) -> str:
    """The `repo` segment of the subject: `repo:<owner>/<repo>`, or GitHub's immutable form
    `repo:<owner>@<owner id>/<repo>@<repo id>` (repositories created after 2026-07-15, or that
    opted in; GitHub docs, "Immutable subject claims")."""
    if ids is None:
        return f"repo:{repository}"
    owner, name = repository.split("/", 1)
    return f"repo:{owner}@{ids[0]}/{name}@{ids[1]}"


@dataclass(frozen=True)
class Reviewers:
    """Who may approve a run waiting on an environment: team slugs and user logins."""

    teams: tuple[str, ...] = ()
    users: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.teams or self.users)

    def named(self) -> frozenset[tuple[str, str]]:
        """`(Team, slug)` and `(User, login)`, as GitHub's environments API names them."""
        return frozenset(
            [("Team", t.lower()) for t in self.teams] + [("User", u.lower()) for u in self.users]
        )


@dataclass(frozen=True)
class EnvironmentSettings:
    name: str
    main_only: bool
    """A custom deployment branch policy admitting `main` only (else any branch)."""
    reviewers: Reviewers = field(default_factory=Reviewers)
    """Required reviewers (none: the run does not wait); self-review is then prevented."""

    can_admins_bypass: bool = False

    @property
    def prevent_self_review(self) -> bool:
        return bool(self.reviewers)


@dataclass(frozen=True)
class BranchProtectionSettings:
    branch: str = DEPLOY_BRANCH
    required_approvals: int = 1
    dismiss_stale_reviews: bool = True
    require_last_push_approval: bool = True
    """The approval comes from someone other than the last pusher (GitHub's "Require approval
    of the most recent reviewable push"): an author cannot push after the review and merge."""
    enforce_admins: bool = True
    allows_force_pushes: bool = False
    allows_deletions: bool = False


@dataclass(frozen=True)
class RepositorySettings:
    repository: str
    environments: tuple[EnvironmentSettings, ...]
    branch: BranchProtectionSettings = field(default_factory=BranchProtectionSettings)
    default_workflow_permissions: str = "read"
    can_approve_pull_request_reviews: bool = False
    claim_keys: tuple[str, ...] = CLAIM_KEYS
    subject_prefix: str = ""
    """The `repo` segment every role's `sub` starts with (`subject_prefix`)."""

    def environment(self, name: str) -> EnvironmentSettings:
        (found,) = [e for e in self.environments if e.name == name]
        return found


DEFAULT_REVIEWED: tuple[str, ...] = ("prod", "preview-staging", "preview-prod", "faults-staging")
"""The environments that wait for a reviewer unless the bootstrap config says otherwise: prod's
deploy, the previews whose pull-request code runs with staging's and prod's roles, and the
fault experiments against staging (someone other than the one who started them says go)."""


def environment_names(stacks: Iterable[str]) -> tuple[str, ...]:
    """Every environment a workflow of this repository runs a job in."""
    names = [BUILD_ENVIRONMENT, SETTINGS_ENVIRONMENT]
    for stack in stacks:
        names += [deploy_environment(stack), drift_environment(stack), preview_environment(stack)]
        if stack in FAULT_STACKS:
            names.append(faults_environment(stack))
    return tuple(names)


def repository_settings(
    repository: str,
    stacks: Sequence[str],
    *,
    reviewers: Reviewers,
    reviewed: Iterable[str] = DEFAULT_REVIEWED,
    required_approvals: int = 1,
    ids: tuple[int, int] | None = None,
) -> RepositorySettings:
    """The settings the trust of `stacks`' roles relies on."""
    reviewed = set(reviewed)
    previews = {preview_environment(s) for s in stacks}
    environments = tuple(
        EnvironmentSettings(
            name=name,
            main_only=name not in previews,
            reviewers=reviewers if name in reviewed else Reviewers(),
        )
        for name in environment_names(stacks)
    )
    return RepositorySettings(
        repository=repository,
        environments=environments,
        branch=BranchProtectionSettings(required_approvals=required_approvals),
        subject_prefix=subject_prefix(repository, ids),
    )
