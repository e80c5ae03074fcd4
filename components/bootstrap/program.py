"""The bootstrap program: read `bootstrap:` config, build one account's pieces, export what the
workflows and the main stack files need. The one stack whose file declares `githubSettings`
(prod's) also writes the repository's GitHub settings, unless `githubSettings.manage` is false
(no GitHub token needed then; the daily check, tools/github_settings.py, holds them)."""

from __future__ import annotations

import os
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


def build(settings: BootstrapSettings) -> dict[str, Any]:
    tags = {"Project": settings.project, "ManagedBy": "pulumi", "Purpose": "bootstrap"}
    outputs: dict[str, Any] = {"environment": settings.environment}
    state_bucket_arn: pulumi.Input[str] | None = None
    state_key_arn: pulumi.Input[str] | None = settings.state_key_arn
    state_log_bucket_arn: pulumi.Input[str] | None = None
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
        state_bucket_arn, state_key_arn = state.bucket_arn, state.key_arn
        state_log_bucket_arn = state.log_bucket_arn
        outputs["state_backend_url"] = state.backend_url
        outputs["state_bucket"] = state.bucket_name
        outputs["state_key_arn"] = state.key_arn
    elif settings.state_bucket is not None:
        state_bucket_arn = f"arn:aws:s3:::{settings.state_bucket}"
        outputs["state_backend_url"] = (
            f"s3://{settings.state_bucket}?region={settings.region}&awssdk=v2"
        )
    backend = (
        {"PULUMI_BACKEND_URL": outputs["state_backend_url"]}
        if "state_backend_url" in outputs
        else {}
    )
    roles: CiRoles | None = None
    if settings.roles:
        roles = CiRoles(
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
                state_bucket_arn=state_bucket_arn,
                state_key_arn=state_key_arn,
                state_log_bucket_arn=state_log_bucket_arn,
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
            # What to set on the repository's GitHub environments (Settings > Environments).
            github_environments={
                settings.preview_environment: {
                    "AWS_PREVIEW_ROLE_ARN": roles.preview_role_arn,
                    "AWS_REGION": settings.region,
                    **backend,
                },
                settings.drift_environment: {
                    "AWS_DRIFT_ROLE_ARN": roles.drift_role_arn,
                    "AWS_REGION": settings.region,
                    **backend,
                },
                settings.deploy_environment: {
                    "AWS_ROLE_ARN": roles.deploy_role_arn,
                    "AWS_REGION": settings.region,
                    **backend,
                },
                **(
                    {
                        settings.faults_environment: {
                            "AWS_FAULTS_ROLE_ARN": roles.faults_role_arn,
                            "AWS_REGION": settings.region,
                        }
                    }
                    if settings.faults_environment is not None
                    else {}
                ),
            },
        )
        if roles.faults_role_arn is not None:
            outputs["faults_role_arn"] = roles.faults_role_arn
    if settings.github is not None and settings.manage_github:
        github_settings(settings, roles)
    return outputs


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
