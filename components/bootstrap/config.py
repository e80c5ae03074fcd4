"""The bootstrap project's stack config (`bootstrap/Pulumi.<account>.yaml`), validated like the
main program's: every problem at once, named by key, before any resource is registered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationError

from ..errors import MISSING, ConfigError, ConfigIssue, issues_from_validation
from ..formats import PATTERNS, ConfigModel, Environment, Flag
from ..stack.model import PolicyWaiver, _check_waivers

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
    roles: Flag = Field(True, description="Create the OIDC provider, preview and deploy roles.")
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
    oidc_provider_arn: str | None
    pull_from_account_ids: tuple[str, ...]
    promote_from_stack: str | None
    create_state: bool
    state_bucket: str | None
    state_key_arn: str | None
    state_accounts: Mapping[str, str]
    noncurrent_version_days: int
    access_log_retention_days: int

    @property
    def prefix(self) -> str:
        return f"{self.project}-{self.environment}"

    @property
    def deploy_environment(self) -> str:
        """The GitHub environment of the deploy jobs (and the images job, for dev)."""
        return self.environment

    @property
    def preview_environment(self) -> str:
        """The GitHub environment of pull-request previews."""
        return f"preview-{self.environment}"

    @property
    def drift_environment(self) -> str:
        """The GitHub environment of the daily drift check (main branch only)."""
        return f"drift-{self.environment}"


def _account_issues(path: str, values: list[str]) -> list[ConfigIssue]:
    return [
        ConfigIssue(f"{path}[{i}]", value, "not an AWS account id", ACCOUNT_ID_ALLOWED)
        for i, value in enumerate(values)
        if not ACCOUNT_ID.match(str(value))
    ]


def bootstrap_settings(
    raw: Mapping[str, Any], *, region: str | None, stack_file: str, namespace: str
) -> BootstrapSettings:
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
    state = config.state_backend
    issues += _account_issues("pullFromAccountIds", config.pull_from_account_ids)
    issues += [
        ConfigIssue(
            f"stateBackend.accounts.{stack}", value, "not an AWS account id", ACCOUNT_ID_ALLOWED
        )
        for stack, value in state.accounts.items()
        if not ACCOUNT_ID.match(str(value))
    ]
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
    if config.pull_from_account_ids and config.promote_from_stack is None:
        issues.append(
            ConfigIssue(
                "promoteFromStack",
                MISSING,
                "pullFromAccountIds needs the stack whose repositories the images come from",
                "dev, staging or prod",
            )
        )
    if issues:
        raise ConfigError(stack_file, namespace, issues)
    return BootstrapSettings(
        environment=config.environment,
        project=config.project,
        github_repository=config.github_repository,
        region=str(region),
        roles=bool(config.roles),
        oidc_provider_arn=config.oidc_provider_arn,
        pull_from_account_ids=tuple(config.pull_from_account_ids),
        promote_from_stack=config.promote_from_stack,
        create_state=bool(state.create),
        state_bucket=state.bucket,
        state_key_arn=state.key_arn,
        state_accounts=dict(state.accounts),
        noncurrent_version_days=state.noncurrent_version_days,
        access_log_retention_days=state.access_log_retention_days,
    )
