"""The bootstrap project's stack config (`bootstrap/Pulumi.<account>.yaml`), validated like the
main program's: every problem at once, named by key, before any resource is registered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationError

from ..errors import MISSING, ConfigError, ConfigIssue, issues_from_validation
from ..formats import ENVIRONMENTS, PATTERNS, ConfigModel, Environment, Flag
from ..observability.config import Email
from ..stack.default_waivers import DefaultWaiver
from ..stack.model import PolicyWaiver, _check_waivers
from .github_settings import (
    DEFAULT_REVIEWED,
    FAULT_STACKS,
    MAX_REVIEWERS,
    RepositorySettings,
    Reviewers,
    deploy_environment,
    drift_environment,
    environment_names,
    faults_environment,
    preview_environment,
    repository_settings,
    subject_prefix,
)

ACCOUNT_ID, ACCOUNT_ID_ALLOWED = PATTERNS["account_id"]


class StateBackendConfig(ConfigModel):
    """`stateBackend`: the S3 bucket holding every stack's state (in one account only)."""

    create: Flag = Field(False, description="Create the state bucket and its key in this account.")
    bucket: str | None = Field(
        None,
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="The state bucket's name (S3 names are global); with create: false, the "
        "bucket of another account this account's roles use.",
    )
    key_arn: str | None = Field(
        None,
        pattern=r"^arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$",
        description="With create: false, the state bucket's KMS key (in its account).",
    )
    accounts: dict[Environment, str] = Field(
        default_factory=dict,
        description="With create: true, the other environments' accounts (stack -> account id): "
        "each may use its own stacks' state, of the main program and of this project.",
    )
    noncurrent_version_days: int = Field(
        90, ge=1, le=3650, description="Days a replaced state file is kept (versioning)."
    )
    access_log_retention_days: int = Field(
        365, ge=1, le=3650, description="Days the bucket's server access logs are kept."
    )


class ReviewersConfig(ConfigModel):
    """`githubSettings.reviewers`: who approves a run waiting on a reviewed environment."""

    teams: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")]] = Field(
        default_factory=list, description="Team slugs of the repository's organization."
    )
    users: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$")]] = Field(
        default_factory=list, description="User logins."
    )


class GithubSettingsConfig(ConfigModel):
    """`githubSettings`: the repository's settings the roles' trust relies on (environments,
    `main`'s protection, Actions' token, the OIDC subject template). They are the repository's,
    not an account's: declare them in one bootstrap stack file only (prod's)."""

    manage: Flag = Field(
        True,
        description="Apply them with the GitHub provider at `pulumi up` (a GITHUB_TOKEN that "
        "administers the repository); false: another tool does, and the daily check "
        "(`python -m tools.github_settings`, github-settings.yml) is what holds them.",
    )
    reviewers: ReviewersConfig = Field(default_factory=ReviewersConfig)
    reviewed_environments: list[str] = Field(
        default_factory=lambda: list(DEFAULT_REVIEWED),
        description="The environments whose runs wait for a reviewer (prod at least).",
    )
    required_approvals: int = Field(
        1, ge=1, le=6, description="Approvals a pull request into main needs."
    )


class ImmutableSubjectConfig(ConfigModel):
    """`githubImmutableSubject`: the ids GitHub's immutable subjects carry."""

    owner_id: int = Field(ge=1, description="The repository owner's id.")
    repository_id: int = Field(ge=1, description="The repository's id.")


class BootstrapConfig(ConfigModel):
    """The keys of `bootstrap:` in a bootstrap stack file."""

    environment: Environment = Field(
        description="The environment this account hosts: its roles deploy that stack."
    )
    project: str = Field(
        "accessweaver",
        pattern=r"^[a-z][a-z0-9-]{1,30}$",
        description="The main program's project name (tags and names of its resources).",
    )
    github_repository: str = Field(
        pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$",
        description="owner/name of the repository whose workflows assume the roles.",
    )
    github_immutable_subject: ImmutableSubjectConfig | None = Field(
        None,
        description="Set when GitHub issues this repository immutable subjects "
        "(`repo:<owner>@<id>/<repo>@<id>`: repositories created after 2026-07-15, or opted "
        "in; `sub_claim_prefix` of `gh api repos/<owner>/<repo>/actions/oidc/customization/sub`).",
    )
    github_settings: GithubSettingsConfig | None = Field(
        None,
        description="The repository's GitHub settings the trust relies on; in one bootstrap "
        "stack file only (they are the repository's, not an account's).",
    )
    roles: Flag = Field(True, description="Create the OIDC provider, preview and deploy roles.")
    faults_role: Flag | None = Field(
        None,
        description="Create the role faults.yml runs the stack's fault experiments with; unset "
        "= for the stacks the workflow runs them against (staging).",
    )
    security_alarm_emails: list[Email] = Field(
        default_factory=list,
        description="Addresses notified of IAM Access Analyzer findings (a resource of the "
        "account reachable from another account, e.g. a role trusting one); each confirms "
        "its subscription once.",
    )
    oidc_provider_arn: str | None = Field(
        None,
        pattern=r"^arn:aws(-[a-z]+)*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$",
        description="The account's existing GitHub OIDC provider (an account has at most one "
        "per URL); unset = create it.",
    )
    pull_from_account_ids: list[str] = Field(
        default_factory=list,
        description="Accounts whose repositories this stack promotes images from (the previous "
        "environment's): the deploy role may pull from them.",
    )
    promote_from_stack: Environment | None = Field(
        None, description="The stack those repositories belong to (dev for staging, ...)."
    )
    state_backend: StateBackendConfig = Field(default_factory=StateBackendConfig)
    policy_waivers: Annotated[list[PolicyWaiver], AfterValidator(_check_waivers)] = Field(
        default_factory=list,
        description="Documented exceptions to the policy pack's controls (as in the main "
        "program's stack files).",
    )


@dataclass(frozen=True)
class BootstrapSettings:
    environment: str
    project: str
    github_repository: str
    region: str
    roles: bool
    security_alarm_emails: tuple[str, ...]
    oidc_provider_arn: str | None
    pull_from_account_ids: tuple[str, ...]
    promote_from_stack: str | None
    create_state: bool
    state_bucket: str | None
    state_key_arn: str | None
    state_accounts: Mapping[str, str]
    noncurrent_version_days: int
    access_log_retention_days: int
    subject_prefix: str = ""
    """The `repo` segment of the roles' OIDC subjects (`github_settings.subject_prefix`)."""
    github: RepositorySettings | None = None
    """The repository's settings, in the one stack file that declares them."""
    manage_github: bool = False
    """This stack applies `github` with the GitHub provider."""
    faults_role: bool = False
    """Create the role that runs the stack's fault experiments (`faults.yml`)."""

    @property
    def prefix(self) -> str:
        return f"{self.project}-{self.environment}"

    @property
    def deploy_environment(self) -> str:
        """The GitHub environment of the deploy jobs."""
        return deploy_environment(self.environment)

    @property
    def preview_environment(self) -> str:
        """The GitHub environment of pull-request previews."""
        return preview_environment(self.environment)

    @property
    def drift_environment(self) -> str:
        """The GitHub environment of the daily drift check (main branch only)."""
        return drift_environment(self.environment)

    @property
    def default_waivers(self) -> tuple[DefaultWaiver, ...]:
        """The controls the bootstrap's design departs from, with the reasons (its stack files
        carry none of their own: `components/stack/default_waivers.py`)."""
        if not self.roles:
            return ()
        deploy, boundary = f"{self.prefix}-ci-deploy-policy", f"{self.prefix}-ci-boundary"
        whole_services = (
            "the deploy role creates, changes and deletes every resource of the services the "
            "program manages (components/bootstrap/policies.py, SERVICES_OF_MODULE): whole "
            "services, as an inline policy cannot list their actions; its IAM and KMS actions "
            "are tag- and path-scoped, and it may not touch the CI roles, the bootstrap's keys, "
            "state or alarms (its guards)"
        )
        return (
            DefaultWaiver("IAM.21", deploy, whole_services, "the deploy role"),
            DefaultWaiver("IAM.1", deploy, whole_services, "the deploy role"),
            DefaultWaiver(
                "KMS.1",
                boundary,
                "a permissions boundary grants nothing: its kms:Decrypt and kms:GenerateDataKey "
                "on key/* cap the task roles' own statements, which name their keys; it denies "
                "direct use of every key not tagged with the stack's Project and Environment, "
                "and the bootstrap's keys outright",
                "the permissions boundary",
            ),
        )

    @property
    def faults_environment(self) -> str | None:
        """The GitHub environment of the fault experiments (main only), if it has a role."""
        return faults_environment(self.environment) if self.faults_role else None


def _account_issues(values: Mapping[str, Any]) -> list[ConfigIssue]:
    """An issue for each value (by its key path) that is not an AWS account id."""
    return [
        ConfigIssue(path, value, "not an AWS account id", ACCOUNT_ID_ALLOWED)
        for path, value in values.items()
        if not ACCOUNT_ID.match(str(value))
    ]


def _github_issues(github: GithubSettingsConfig) -> list[ConfigIssue]:
    known = environment_names(ENVIRONMENTS)
    issues = [
        ConfigIssue(
            f"githubSettings.reviewedEnvironments[{i}]",
            name,
            "not an environment of the workflows",
            ", ".join(known),
        )
        for i, name in enumerate(github.reviewed_environments)
        if name not in known
    ]
    if "prod" not in github.reviewed_environments:
        issues.append(
            ConfigIssue(
                "githubSettings.reviewedEnvironments",
                github.reviewed_environments,
                "prod would deploy with no reviewer",
                "a list that includes prod",
            )
        )
    named = [*github.reviewers.teams, *github.reviewers.users]
    if not named:
        issues.append(
            ConfigIssue(
                "githubSettings.reviewers",
                MISSING,
                "the reviewed environments need at least one reviewer",
                "teams: [<team slug>] and/or users: [<login>]",
            )
        )
    elif len(named) > MAX_REVIEWERS:
        issues.append(
            ConfigIssue(
                "githubSettings.reviewers",
                named,
                f"GitHub takes at most {MAX_REVIEWERS} reviewers per environment",
                f"{MAX_REVIEWERS} teams and users in all (a team counts once)",
            )
        )
    return issues


def _account_id_issues(config: BootstrapConfig) -> list[ConfigIssue]:
    """`pullFromAccountIds` and `stateBackend.accounts`: AWS account ids."""
    return _account_issues(
        {
            **{f"pullFromAccountIds[{i}]": v for i, v in enumerate(config.pull_from_account_ids)},
            **{f"stateBackend.accounts.{k}": v for k, v in config.state_backend.accounts.items()},
        }
    )


def _state_issues(state: StateBackendConfig) -> list[ConfigIssue]:
    """`stateBackend`: the keys that go with creating the bucket here, or not."""
    issues: list[ConfigIssue] = []
    if state.create and state.bucket is None:
        issues.append(
            ConfigIssue(
                "stateBackend.bucket",
                MISSING,
                "the bucket to create needs a name",
                "a globally unique bucket name, e.g. <org>-pulumi-state",
            )
        )
    if state.create and state.key_arn is not None:
        issues.append(
            ConfigIssue(
                "stateBackend.keyArn",
                state.key_arn,
                "the bucket created here gets its own key",
                "remove it, or stateBackend.create: false",
            )
        )
    if not state.create and state.accounts:
        issues.append(
            ConfigIssue(
                "stateBackend.accounts",
                state.accounts,
                "only the account that creates the bucket grants access to it",
                "stateBackend.create: true",
            )
        )
    return issues


def _promotion_issues(config: BootstrapConfig) -> list[ConfigIssue]:
    """`promoteFromStack`: the stack whose repositories `pullFromAccountIds` pull from."""
    if not config.pull_from_account_ids or config.promote_from_stack is not None:
        return []
    return [
        ConfigIssue(
            "promoteFromStack",
            MISSING,
            "pullFromAccountIds needs the stack whose repositories the images come from",
            "dev, staging or prod",
        )
    ]


def _faults_issues(config: BootstrapConfig) -> list[ConfigIssue]:
    """`faultsRole`: only for a stack `faults.yml` runs experiments against."""
    if not config.faults_role or config.environment in FAULT_STACKS:
        return []
    return [
        ConfigIssue(
            "faultsRole",
            True,
            f"faults.yml runs experiments against {', '.join(FAULT_STACKS)} only: no "
            f"GitHub environment faults-{config.environment} exists to trust",
            f"false (or unset), or add {config.environment} to FAULT_STACKS and the "
            "workflow's stacks",
        )
    ]


def bootstrap_settings(
    raw: Mapping[str, Any], *, region: str | None, stack_file: str, namespace: str
) -> BootstrapSettings:
    """The settings of a bootstrap stack file's `bootstrap:` keys, or a ConfigError naming
    every problem at once."""
    issues: list[ConfigIssue] = []
    if not region:
        issues.append(
            ConfigIssue("(aws:region)", MISSING, "the AWS region is not set", "e.g. eu-west-1")
        )
    try:
        config = BootstrapConfig.model_validate(dict(raw))
    except ValidationError as error:
        raise ConfigError(
            stack_file, namespace, issues + issues_from_validation(BootstrapConfig, error)
        ) from None
    issues += _account_id_issues(config)
    issues += _state_issues(config.state_backend)
    issues += _promotion_issues(config)
    if config.github_settings is not None:
        issues += _github_issues(config.github_settings)
    issues += _faults_issues(config)
    if issues:
        raise ConfigError(stack_file, namespace, issues)
    return _settings(config, str(region))


def _settings(config: BootstrapConfig, region: str) -> BootstrapSettings:
    """The settings of a valid `config`."""
    ids = (
        (config.github_immutable_subject.owner_id, config.github_immutable_subject.repository_id)
        if config.github_immutable_subject
        else None
    )
    state, github = config.state_backend, config.github_settings
    return BootstrapSettings(
        environment=config.environment,
        project=config.project,
        github_repository=config.github_repository,
        region=region,
        roles=bool(config.roles),
        security_alarm_emails=tuple(config.security_alarm_emails),
        oidc_provider_arn=config.oidc_provider_arn,
        pull_from_account_ids=tuple(config.pull_from_account_ids),
        promote_from_stack=config.promote_from_stack,
        create_state=bool(state.create),
        state_bucket=state.bucket,
        state_key_arn=state.key_arn,
        state_accounts=dict(state.accounts),
        noncurrent_version_days=state.noncurrent_version_days,
        access_log_retention_days=state.access_log_retention_days,
        subject_prefix=subject_prefix(config.github_repository, ids),
        github=(
            _repository_settings(config.github_repository, github, ids)
            if github is not None
            else None
        ),
        manage_github=bool(github is not None and github.manage),
        faults_role=(
            config.faults_role
            if config.faults_role is not None
            else config.environment in FAULT_STACKS
        ),
    )


def _repository_settings(
    repository: str, github: GithubSettingsConfig, ids: tuple[int, int] | None
) -> RepositorySettings:
    """The repository's settings `githubSettings` declares, for every environment."""
    return repository_settings(
        repository,
        ENVIRONMENTS,
        reviewers=Reviewers(
            teams=tuple(github.reviewers.teams), users=tuple(github.reviewers.users)
        ),
        reviewed=github.reviewed_environments,
        required_approvals=github.required_approvals,
        ids=ids,
    )
