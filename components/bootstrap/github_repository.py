"""The GitHub settings the CI roles' trust relies on, applied with the GitHub provider: one
environment per workflow environment (deployment branch policy, reviewers, no admin bypass),
the protection of `main`, the Actions token's defaults and the OIDC subject template.

The settings themselves are data (`github_settings.RepositorySettings`); this component only
writes them. Give it a `pulumi_github.Provider` whose owner is the repository's owner (its
token needs the repository's Administration and Actions write permissions, and the
organization's Members read to look teams up); the reviewers' team slugs and user logins are
looked up to their ids at deploy time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_github as github

from .github_settings import BranchProtectionSettings, EnvironmentSettings, RepositorySettings


@dataclass(frozen=True)
class GithubRepositorySettingsArgs:
    settings: RepositorySettings
    subject_template_after: Sequence[pulumi.Resource] = ()
    """What must change before the subject template does: the roles whose trust expects it
    (a token in the new format matches no role of the old one)."""


class GithubRepositorySettings(pulumi.ComponentResource):
    environments: dict[str, github.RepositoryEnvironment]

    def __init__(
        self,
        name: str,
        args: GithubRepositorySettingsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        settings = args.settings
        self._repository = repository_name(name, settings)
        super().__init__("accessweaver:bootstrap:GithubRepositorySettings", name, None, opts)
        self._name, self._settings = name, settings
        self._team_ids, self._user_ids = self._reviewer_ids()
        self.environments = {e.name: self._environment(e) for e in settings.environments}
        self._branch_protection(settings.branch)
        self._actions(args.subject_template_after)
        self.register_outputs(
            {"environments": {k: v.environment for k, v in self.environments.items()}}
        )

    def _reviewer_ids(
        self,
    ) -> tuple[dict[str, pulumi.Output[str]], dict[str, pulumi.Output[str]]]:
        """The ids of the reviewers' teams (by slug) and users (by login), looked up at deploy
        time."""
        invoke = pulumi.InvokeOutputOptions(parent=self)
        environments = self._settings.environments
        team_ids = {
            slug: github.get_team_output(slug=slug, summary_only=True, opts=invoke).id
            for e in environments
            for slug in e.reviewers.teams
        }
        user_ids = {
            login: github.get_user_output(username=login, opts=invoke).id
            for e in environments
            for login in e.reviewers.users
        }
        return team_ids, user_ids

    def _environment(self, spec: EnvironmentSettings) -> github.RepositoryEnvironment:
        """One GitHub environment: its reviewers, no admin bypass, and `main` alone deploying
        from it when it is main-only."""
        reviewers = None
        if spec.reviewers:
            reviewers = [
                github.RepositoryEnvironmentReviewerArgs(
                    teams=[self._team_ids[t].apply(int) for t in spec.reviewers.teams],
                    users=[self._user_ids[u].apply(int) for u in spec.reviewers.users],
                )
            ]
        found = github.RepositoryEnvironment(
            f"{self._name}-{spec.name}",
            repository=self._repository,
            environment=spec.name,
            can_admins_bypass=spec.can_admins_bypass,
            # Only an environment with reviewers has a self-review rule to read back.
            prevent_self_review=True if spec.prevent_self_review else None,
            reviewers=reviewers,
            deployment_branch_policy=(
                github.RepositoryEnvironmentDeploymentBranchPolicyArgs(
                    protected_branches=False, custom_branch_policies=True
                )
                if spec.main_only
                else None
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if spec.main_only:
            github.RepositoryEnvironmentDeploymentPolicy(
                f"{self._name}-{spec.name}-branch",
                repository=self._repository,
                environment=found.environment,
                branch_pattern=self._settings.branch.branch,
                opts=pulumi.ResourceOptions(parent=found),
            )
        return found

    def _branch_protection(self, branch: BranchProtectionSettings) -> None:
        """The protection of `main`: reviewed pull requests, no force push or deletion."""
        github.BranchProtection(
            f"{self._name}-{branch.branch}",
            repository_id=self._repository,
            pattern=branch.branch,
            enforce_admins=branch.enforce_admins,
            allows_force_pushes=branch.allows_force_pushes,
            allows_deletions=branch.allows_deletions,
            required_pull_request_reviews=[
                github.BranchProtectionRequiredPullRequestReviewArgs(
                    required_approving_review_count=branch.required_approvals,
                    dismiss_stale_reviews=branch.dismiss_stale_reviews,
                    require_last_push_approval=branch.require_last_push_approval,
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _actions(self, subject_template_after: Sequence[pulumi.Resource]) -> None:
        """The Actions token's defaults, and the OIDC subject template (after the roles whose
        trust expects it)."""
        settings = self._settings
        github.WorkflowRepositoryPermissions(
            f"{self._name}-workflow-token",
            repository=self._repository,
            default_workflow_permissions=settings.default_workflow_permissions,
            can_approve_pull_request_reviews=settings.can_approve_pull_request_reviews,
            opts=pulumi.ResourceOptions(parent=self),
        )
        github.ActionsRepositoryOidcSubjectClaimCustomizationTemplate(
            f"{self._name}-oidc-subject",
            repository=self._repository,
            use_default=False,
            include_claim_keys=list(settings.claim_keys),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(subject_template_after)),
        )


def repository_name(name: str, settings: RepositorySettings) -> str:
    """The repository's name (of `owner/name`); a ValueError when `settings.repository` is not
    `owner/name` or lists an environment twice."""
    owner, _, repository = settings.repository.partition("/")
    if not owner or not repository or "/" in repository:
        raise ValueError(f"{name}: repository {settings.repository!r} is not owner/name")
    names = [e.name for e in settings.environments]
    if len(set(names)) != len(names):
        raise ValueError(f"{name}: an environment is listed twice: {names}")
    return repository
