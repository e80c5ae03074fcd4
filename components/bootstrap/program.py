"""The bootstrap program: read `bootstrap:` config, build one account's pieces, export what the
workflows and the main stack files need. The one stack whose file declares `githubSettings`
(prod's) also writes the repository's GitHub settings, unless `githubSettings.manage` is false
(no GitHub token needed then; the daily check, tools/github_settings.py, holds them)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_github

from ..stack.loader import STACK_FILE_ENV, _namespace_values
from .analyzer import AccessAlarms, AccessAlarmsArgs
from .backend import StateBackend, StateBackendArgs
from .config import BootstrapSettings, bootstrap_settings
from .github_repository import GithubRepositorySettings, GithubRepositorySettingsArgs
from .policies import SERVICES_OF_MODULE
from .roles import CiRoles, CiRolesArgs

MANAGED_SERVICES = tuple(sorted({s for services in SERVICES_OF_MODULE.values() for s in services}))
"""Every service the main program registers resources of (tests/test_bootstrap.py keeps it so)."""


def load() -> BootstrapSettings:
    namespace = pulumi.get_project()
    return bootstrap_settings(
        _namespace_values(namespace),
        region=pulumi.Config("aws").get("region"),
        stack_file=os.environ.get(STACK_FILE_ENV) or f"Pulumi.{pulumi.get_stack()}.yaml",
        namespace=namespace,
    )


@dataclass(frozen=True)
class StateBackendUse:
    """The state bucket the CI roles use, and what the stack exports of it."""

    bucket_arn: pulumi.Input[str] | None = None
    key_arn: pulumi.Input[str] | None = None
    log_bucket_arn: pulumi.Input[str] | None = None
    """The bucket's access-log bucket, when this account creates the bucket."""
    outputs: dict[str, Any] = field(default_factory=dict)


def build(settings: BootstrapSettings) -> dict[str, Any]:
    tags = {"Project": settings.project, "ManagedBy": "pulumi", "Purpose": "bootstrap"}
    state = state_backend(settings, tags)
    outputs: dict[str, Any] = {"environment": settings.environment, **state.outputs}
    roles: CiRoles | None = None
    if settings.roles:
        roles = ci_roles(settings, state, tags)
        # A role trusting another account cannot be refused by the deploy role's policy: the
        # account's IAM Access Analyzer reports it (components/bootstrap/analyzer.py).
        alarms = AccessAlarms(
            f"{settings.prefix}-access",
            AccessAlarmsArgs(
                project=settings.project,
                environment=settings.environment,
                emails=settings.security_alarm_emails,
                tags=tags,
            ),
        )
        backend = (
            {"PULUMI_BACKEND_URL": outputs["state_backend_url"]}
            if "state_backend_url" in outputs
            else {}
        )
        outputs.update(
            access_analyzer_arn=alarms.analyzer_arn,
            security_alarm_topic_arn=alarms.topic_arn,
            secrets_provider=roles.secrets_provider,
            secrets_key_arn=roles.secrets_key_arn,
            oidc_provider_arn=roles.oidc_provider_arn,
            preview_role_arn=roles.preview_role_arn,
            drift_role_arn=roles.drift_role_arn,
            deploy_role_arn=roles.deploy_role_arn,
            # The main stack file's accessweaver:permissionsBoundaryArn.
            permissions_boundary_arn=roles.permissions_boundary_arn,
            github_environments=github_environments(settings, roles, backend),
        )
        if roles.faults_role_arn is not None:
            outputs["faults_role_arn"] = roles.faults_role_arn
    if settings.github is not None and settings.manage_github:
        github_settings(settings, roles)
    return outputs


def state_backend(settings: BootstrapSettings, tags: dict[str, str]) -> StateBackendUse:
    """The state bucket: created here (with its key and access-log bucket), another account's
    (by name), or none this stack knows of (the key alone, when its file names one)."""
    if settings.create_state:
        assert settings.state_bucket is not None
        state = StateBackend(
            f"{settings.project}-state",
            StateBackendArgs(
                bucket=settings.state_bucket,
                project=settings.project,
                accounts=settings.state_accounts,
                noncurrent_version_days=settings.noncurrent_version_days,
                access_log_retention_days=settings.access_log_retention_days,
                tags=tags,
            ),
        )
        return StateBackendUse(
            bucket_arn=state.bucket_arn,
            key_arn=state.key_arn,
            log_bucket_arn=state.log_bucket_arn,
            outputs={
                "state_backend_url": state.backend_url,
                "state_bucket": state.bucket_name,
                "state_key_arn": state.key_arn,
            },
        )
    if settings.state_bucket is not None:
        return StateBackendUse(
            bucket_arn=f"arn:aws:s3:::{settings.state_bucket}",
            key_arn=settings.state_key_arn,
            outputs={
                "state_backend_url": (
                    f"s3://{settings.state_bucket}?region={settings.region}&awssdk=v2"
                )
            },
        )
    return StateBackendUse(key_arn=settings.state_key_arn)


def ci_roles(settings: BootstrapSettings, state: StateBackendUse, tags: dict[str, str]) -> CiRoles:
    """The secrets key, the OIDC provider and the roles the workflows assume."""
    return CiRoles(
        f"{settings.prefix}-ci",
        CiRolesArgs(
            project=settings.project,
            environment=settings.environment,
            repository=settings.github_repository,
            services=MANAGED_SERVICES,
            deploy_environment=settings.deploy_environment,
            preview_environment=settings.preview_environment,
            drift_environment=settings.drift_environment,
            faults_environment=settings.faults_environment,
            subject_prefix=settings.subject_prefix,
            oidc_provider_arn=settings.oidc_provider_arn,
            state_bucket_arn=state.bucket_arn,
            state_key_arn=state.key_arn,
            state_log_bucket_arn=state.log_bucket_arn,
            pull_from_account_ids=settings.pull_from_account_ids,
            pull_repository_prefix=(
                f"{settings.project}-{settings.promote_from_stack}"
                if settings.promote_from_stack
                else None
            ),
            region=settings.region,
            tags=tags,
        ),
    )


def github_environments(
    settings: BootstrapSettings, roles: CiRoles, backend: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """What to set on the repository's GitHub environments (Settings > Environments): the ARN
    of the role their jobs assume, the region and, but for the faults jobs (they run no
    Pulumi), the state backend."""
    variables: list[tuple[str, str, Any, dict[str, Any]]] = [
        (settings.preview_environment, "AWS_PREVIEW_ROLE_ARN", roles.preview_role_arn, backend),
        (settings.drift_environment, "AWS_DRIFT_ROLE_ARN", roles.drift_role_arn, backend),
        (settings.deploy_environment, "AWS_ROLE_ARN", roles.deploy_role_arn, backend),
    ]
    if settings.faults_environment is not None:
        variables.append(
            (settings.faults_environment, "AWS_FAULTS_ROLE_ARN", roles.faults_role_arn, {})
        )
    return {
        environment: {variable: arn, "AWS_REGION": settings.region, **more}
        for environment, variable, arn, more in variables
    }


def github_settings(settings: BootstrapSettings, roles: CiRoles | None) -> None:
    """The repository's settings, through a provider of the repository's owner (its token:
    GITHUB_TOKEN, read by the provider at `pulumi up`)."""
    assert settings.github is not None
    provider = pulumi_github.Provider(
        f"{settings.project}-github", owner=settings.github_repository.split("/", 1)[0]
    )
    GithubRepositorySettings(
        f"{settings.project}-github",
        GithubRepositorySettingsArgs(
            settings=settings.github,
            subject_template_after=[roles] if roles is not None else [],
        ),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )


def run() -> None:
    for name, value in build(load()).items():
        pulumi.export(name, value)
