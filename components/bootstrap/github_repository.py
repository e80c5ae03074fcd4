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

from .github_settings import EnvironmentSettings, RepositorySettings


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
        owner, _, repository = settings.repository.partition("/")
        if not owner or not repository or "/" in repository:
            raise ValueError(f"{name}: repository {settings.repository!r} is not owner/name")
        names = [e.name for e in settings.environments]
        if len(set(names)) != len(names):
            raise ValueError(f"{name}: an environment is listed twice: {names}")
        super().__init__("accessweaver:bootstrap:GithubRepositorySettings", name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        team_ids = {
            slug: github.get_team_output(slug=slug, summary_only=True, opts=invoke).id
            for e in settings.environments
            for slug in e.reviewers.teams
        }
        user_ids = {
            login: github.get_user_output(username=login, opts=invoke).id
            for e in settings.environments
            for login in e.reviewers.users
        }

        def environment(spec: EnvironmentSettings) -> github.RepositoryEnvironment:
            reviewers = None
            if spec.reviewers:
                reviewers = [
                    github.RepositoryEnvironmentReviewerArgs(
                        teams=[team_ids[t].apply(int) for t in spec.reviewers.teams],
                        users=[user_ids[u].apply(int) for u in spec.reviewers.users],
                    )
                ]
            found = github.RepositoryEnvironment(
                f"{name}-{spec.name}",
                repository=repository,
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
                    f"{name}-{spec.name}-branch",
                    repository=repository,
                    environment=found.environment,
                    branch_pattern=settings.branch.branch,
                    opts=pulumi.ResourceOptions(parent=found),
                )
            return found

        self.environments = {e.name: environment(e) for e in settings.environments}
        branch = settings.branch
        github.BranchProtection(
            f"{name}-{branch.branch}",
            repository_id=repository,
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
        github.WorkflowRepositoryPermissions(
            f"{name}-workflow-token",
            repository=repository,
            default_workflow_permissions=settings.default_workflow_permissions,
            can_approve_pull_request_reviews=settings.can_approve_pull_request_reviews,
            opts=pulumi.ResourceOptions(parent=self),
        )
        github.ActionsRepositoryOidcSubjectClaimCustomizationTemplate(
            f"{name}-oidc-subject",
            repository=repository,
            use_default=False,
            include_claim_keys=list(settings.claim_keys),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.subject_template_after)),
        )
        self.register_outputs(
            {"environments": {k: v.environment for k, v in self.environments.items()}}
        )
