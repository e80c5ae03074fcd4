"""The bootstrap program's steps that register nothing: the state bucket's use when another
account holds it, and the GitHub environments' variables."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from accessweaver_components.bootstrap.config import bootstrap_settings
from accessweaver_components.bootstrap.program import github_environments, state_backend

KEY = "arn:aws:kms:eu-west-1:333333333333:key/0b7c6e0e-3f6b-4d8e-9f11-2a1f5c3d9e01"


def _settings(**raw: Any):
    return bootstrap_settings(
        {"environment": "staging", "githubRepository": "acme/shop", **raw},
        region="eu-west-1",
        stack_file="Pulumi.staging.yaml",
        namespace="accessweaver-bootstrap",
    )


def test_another_accounts_state_bucket_is_named_not_created():
    settings = _settings(stateBackend={"bucket": "acme-state", "keyArn": KEY})
    state = state_backend(settings, {})
    assert (state.bucket_arn, state.key_arn, state.log_bucket_arn) == (
        "arn:aws:s3:::acme-state",
        KEY,
        None,
    )
    assert state.outputs == {"state_backend_url": "s3://acme-state?region=eu-west-1&awssdk=v2"}
    alone = state_backend(_settings(stateBackend={"keyArn": KEY}), {})
    assert (alone.bucket_arn, alone.key_arn, alone.outputs) == (None, KEY, {})


def test_each_github_environment_gets_its_role_and_the_backend_but_the_faults_one():
    roles = SimpleNamespace(
        preview_role_arn="p", drift_role_arn="d", deploy_role_arn="u", faults_role_arn="f"
    )
    backend = {"PULUMI_BACKEND_URL": "s3://acme-state"}
    found = github_environments(_settings(faultsRole=True), roles, backend)  # type: ignore[arg-type]
    assert found == {
        "preview-staging": {"AWS_PREVIEW_ROLE_ARN": "p", "AWS_REGION": "eu-west-1", **backend},
        "drift-staging": {"AWS_DRIFT_ROLE_ARN": "d", "AWS_REGION": "eu-west-1", **backend},
        "staging": {"AWS_ROLE_ARN": "u", "AWS_REGION": "eu-west-1", **backend},
        "faults-staging": {"AWS_FAULTS_ROLE_ARN": "f", "AWS_REGION": "eu-west-1"},
    }
    without = github_environments(_settings(faultsRole=False), roles, {})  # type: ignore[arg-type]
    assert list(without) == ["preview-staging", "drift-staging", "staging"]
