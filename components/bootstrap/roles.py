"""What one environment's account gives CI, from its own arguments: the KMS key of the stacks'
secrets provider, GitHub's OIDC identity provider, and three roles the workflows assume.

- the preview role (`<project>-<env>-preview`): AWS's ReadOnlyAccess without data reads (objects,
  secret values, logs, messages: pull-request code runs with it), the secrets key to decrypt
  config, the state to read (and lock); trusted by the jobs in the GitHub environment
  `preview-<env>` from `preview.yml` on a pull request's merge ref (pull-request previews);
- the drift role (`<project>-<env>-drift`): the same, plus the stack's secret and parameter
  values a refresh reads back; trusted by the jobs in `drift-<env>` from `drift.yml` on `main`
  (the daily `pulumi preview --refresh`);
- the deploy role (`<project>-<env>-deploy`): the services the program manages, its own roles
  (tag-scoped), the secrets key, the state; trusted by the jobs in the environment `<env>` of
  `deploy-stack.yml` on `main`; its explicit denies in a managed policy of their own
  (`<project>-<env>-deploy-guards`);
- optionally the faults role (`<project>-<env>-faults`): starts, follows and stops the stack's
  fault experiments and reads the services' task counts, nothing else; trusted by the jobs in
  `faults-<env>` from `faults.yml` on `main`.

Each trust pins the workflow file and its ref (`job_workflow_ref`): the repository's OIDC
subject template must include it (`github_settings.CLAIM_KEYS`), or no token matches.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_aws import iam, kms

from .boundary import boundary_policy
from .github_settings import DEPLOY_PIN, DRIFT_PIN, FAULTS_PIN, PREVIEW_PIN, WorkflowPin
from .policies import (
    READ_ONLY_POLICY,
    deploy_guards_name,
    deploy_guards_policy,
    deploy_policy,
    drift_policy,
    faults_policy,
    preview_policy,
    pull_statement,
)
from .trust import AUDIENCE, GITHUB_OIDC_HOST, GITHUB_OIDC_URL, trust_policy, trust_problems


@dataclass(frozen=True)
class CiRolesArgs:
    project: str
    environment: str
    repository: str
    """owner/name of the GitHub repository."""
    services: Sequence[str]
    """IAM service prefixes the deploy role manages (policies.services_of the program's types)."""
    deploy_environment: str
    preview_environment: str
    drift_environment: str
    deploy_pin: WorkflowPin = DEPLOY_PIN
    """The workflow file and ref whose jobs in `deploy_environment` may deploy."""
    preview_pin: WorkflowPin = PREVIEW_PIN
    drift_pin: WorkflowPin = DRIFT_PIN
    faults_environment: str | None = None
    """The GitHub environment of the fault experiments' jobs; None = no faults role."""
    faults_pin: WorkflowPin = FAULTS_PIN
    subject_prefix: str | None = None
    """The subject's `repo` segment (`github_settings.subject_prefix`); None: by name."""
    oidc_provider_arn: str | None = None
    """The account's existing GitHub OIDC provider; None = create it."""
    state_bucket_arn: pulumi.Input[str] | None = None
    state_key_arn: pulumi.Input[str] | None = None
    state_log_bucket_arn: pulumi.Input[str] | None = None
    """The state bucket's access-log bucket, when it is in this account (denied to deploys)."""
    pull_from_account_ids: Sequence[str] = ()
    pull_repository_prefix: str | None = None
    region: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


class CiRoles(pulumi.ComponentResource):
    secrets_key_arn: pulumi.Output[str]
    secrets_provider: pulumi.Output[str]
    """`awskms://alias/<project>-<env>-secrets?region=<region>` for `pulumi stack init`."""
    oidc_provider_arn: pulumi.Output[str]
    preview_role_arn: pulumi.Output[str]
    drift_role_arn: pulumi.Output[str]
    deploy_role_arn: pulumi.Output[str]
    faults_role_arn: pulumi.Output[str] | None
    permissions_boundary_arn: pulumi.Output[str]
    """The boundary the main stacks set on their roles (`permissionsBoundaryArn`)."""

    def __init__(self, name: str, args: CiRolesArgs, opts: pulumi.ResourceOptions | None = None):
        region = args.region or aws.config.region
        if not region:
            raise ValueError(f"{name}: no region (set aws:region or CiRolesArgs.region)")
        self._pins = role_pins(name, args)
        super().__init__("accessweaver:bootstrap:CiRoles", name, None, opts)
        self._name, self._args = name, args
        self._tags = {**args.tags, "Project": args.project, "Environment": args.environment}
        self._prefix = f"{args.project}-{args.environment}"

        key, alias = self._secrets_key()
        self.oidc_provider_arn = self._oidc_provider_arn()
        state = pulumi.Output.all(
            secrets_key_arn=key.arn,
            state_bucket_arn=args.state_bucket_arn,
            state_key_arn=args.state_key_arn,
        )
        boundary = self._boundary(state)
        preview = self._read_only(
            "preview",
            args.preview_environment,
            preview_policy,
            f"Read-only, no data: pull-request previews of {self._prefix}",
            state,
        )
        drift = self._read_only(
            "drift",
            args.drift_environment,
            drift_policy,
            f"Read-only and the stack's secrets: daily drift check (refresh) of {self._prefix}",
            state,
        )
        # The bootstrap's own resources the deploy role's documents name (by keyword).
        bootstrap_arns = pulumi.Output.all(
            secrets_key_arn=key.arn,
            state_bucket_arn=args.state_bucket_arn,
            state_key_arn=args.state_key_arn,
            state_log_bucket_arn=args.state_log_bucket_arn,
            boundary_arn=boundary.arn,
        )
        deploy = self._deploy(region, bootstrap_arns)
        self.faults_role_arn = self._faults().arn if args.faults_environment is not None else None
        self.secrets_key_arn = key.arn
        self.secrets_provider = pulumi.Output.from_input(f"awskms://{alias}?region={region}")
        self.preview_role_arn = preview.arn
        self.drift_role_arn = drift.arn
        self.deploy_role_arn = deploy.arn
        self.permissions_boundary_arn = boundary.arn
        self.register_outputs(
            {
                "secrets_key_arn": self.secrets_key_arn,
                "secrets_provider": self.secrets_provider,
                "oidc_provider_arn": self.oidc_provider_arn,
                "preview_role_arn": self.preview_role_arn,
                "drift_role_arn": self.drift_role_arn,
                "deploy_role_arn": self.deploy_role_arn,
                "faults_role_arn": self.faults_role_arn,
                "permissions_boundary_arn": self.permissions_boundary_arn,
            }
        )

    # -- the steps, in the order they register -------------------------------------------------

    def _secrets_key(self) -> tuple[kms.Key, str]:
        """The stack's secrets provider key (protected) and its alias `alias/<prefix>-secrets`."""
        key = kms.Key(
            f"{self._name}-secrets-key",
            description=(
                f"{self._prefix}: Pulumi secrets provider of the {self._args.environment} stack"
            ),
            enable_key_rotation=True,
            deletion_window_in_days=30,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        alias = f"alias/{self._prefix}-secrets"
        kms.Alias(
            f"{self._name}-secrets-key-alias",
            name=alias,
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=key),
        )
        return key, alias

    def _oidc_provider_arn(self) -> pulumi.Output[str]:
        """The account's GitHub OIDC provider: the one the arguments name, else a new one."""
        if self._args.oidc_provider_arn is not None:
            return pulumi.Output.from_input(self._args.oidc_provider_arn)
        return iam.OpenIdConnectProvider(
            f"{self._name}-github-oidc",
            url=GITHUB_OIDC_URL,
            client_id_lists=[AUDIENCE],
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        ).arn

    def _boundary(self, state: pulumi.Output[dict[str, Any]]) -> iam.Policy:
        """The permissions boundary of every role the program creates (`boundary_policy`)."""
        return iam.Policy(
            f"{self._name}-boundary",
            name=f"{self._prefix}-boundary",
            path=self._policy_path,
            description=f"Permissions boundary of every role {self._prefix} creates",
            policy=self._document(state, boundary_policy),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _read_only(
        self,
        kind: str,
        github_environment: str,
        policy: Callable[..., dict[str, Any]],
        description: str,
        state: pulumi.Output[dict[str, Any]],
    ) -> iam.Role:
        """ReadOnlyAccess and an inline policy of `policy(...)`."""
        role = self._role(kind, github_environment, description)
        iam.RolePolicyAttachment(
            f"{self._name}-{kind}-read-only",
            role=role.name,
            policy_arn=READ_ONLY_POLICY,
            opts=pulumi.ResourceOptions(parent=role),
        )
        self._inline_policy(kind, role, self._document(state, policy))
        return role

    def _deploy(self, region: str, bootstrap_arns: pulumi.Output[dict[str, Any]]) -> iam.Role:
        """The deploy role: its inline policy, and its denies in a managed policy of their own
        (the inline policy is full: IAM caps it at 10,240 characters; an explicit deny holds
        from any policy of the role)."""
        args = self._args
        deploy = self._role(
            "deploy", args.deploy_environment, f"pulumi up of {self._prefix} from the main branch"
        )
        pulls = (
            pull_statement(region, args.pull_from_account_ids, args.pull_repository_prefix)
            if args.pull_repository_prefix
            else []
        )
        self._inline_policy(
            "deploy",
            deploy,
            self._document(
                bootstrap_arns,
                deploy_policy,
                leave_out=("state_log_bucket_arn",),
                services=args.services,
                extra=pulls,
            ),
        )
        guards = iam.Policy(
            f"{self._name}-deploy-guards",
            name=deploy_guards_name(args.project, args.environment),
            path=self._policy_path,
            description=f"What the deploy role of {self._prefix} may never do",
            policy=self._document(bootstrap_arns, deploy_guards_policy),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=deploy),
        )
        iam.RolePolicyAttachment(
            f"{self._name}-deploy-guards-attachment",
            role=deploy.name,
            policy_arn=guards.arn,
            opts=pulumi.ResourceOptions(parent=deploy),
        )
        return deploy

    def _faults(self) -> iam.Role:
        """The role `faults.yml` runs the stack's fault experiments with (`faults_policy`)."""
        args = self._args
        assert args.faults_environment is not None
        faults = self._role(
            "faults",
            args.faults_environment,
            f"Runs the fault experiments of {self._prefix} on demand (faults.yml)",
        )
        self._inline_policy(
            "faults",
            faults,
            json.dumps(faults_policy(project=args.project, environment=args.environment)),
        )
        return faults

    # -- what every role and policy above is built with ------------------------------------------

    @property
    def _policy_path(self) -> str:
        """The IAM path of the bootstrap's managed policies: `/<project>/<environment>/`."""
        return f"/{self._args.project}/{self._args.environment}/"

    def _role(self, kind: str, github_environment: str, description: str) -> iam.Role:
        """The role `<prefix>-<kind>`, assumed for an hour at most by the jobs of
        `github_environment` that its workflow pin allows (`trust.trust_policy`)."""
        args, pin = self._args, self._pins[github_environment]
        trust = self.oidc_provider_arn.apply(
            lambda arn: json.dumps(
                trust_policy(arn, args.repository, github_environment, pin, args.subject_prefix)
            )
        )
        return iam.Role(
            f"{self._name}-{kind}",
            name=f"{self._prefix}-{kind}",
            description=description,
            assume_role_policy=trust,
            max_session_duration=3600,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _inline_policy(self, kind: str, role: iam.Role, policy: pulumi.Input[str]) -> None:
        """The role's inline policy `<name>-<kind>-policy`."""
        iam.RolePolicy(
            f"{self._name}-{kind}-policy",
            role=role.id,
            policy=policy,
            opts=pulumi.ResourceOptions(parent=role),
        )

    def _document(
        self,
        arns: pulumi.Output[dict[str, Any]],
        policy: Callable[..., dict[str, Any]],
        *,
        leave_out: Collection[str] = (),
        **extra: Any,
    ) -> pulumi.Output[str]:
        """The JSON of `policy(project=, environment=, **extra)` given the resolved `arns` by
        keyword, but those named in `leave_out`."""
        args = self._args
        return arns.apply(
            lambda resolved: json.dumps(
                policy(
                    project=args.project,
                    environment=args.environment,
                    **extra,
                    **{k: v for k, v in resolved.items() if k not in leave_out},
                )
            )
        )


def role_pins(name: str, args: CiRolesArgs) -> dict[str, WorkflowPin]:
    """The workflow pin of each role's GitHub environment (deploy, preview, drift, and faults
    when it has a role); a ValueError when two roles share an environment, or when a role's
    trust would not be pinned to the repository and its workflow (`trust.trust_problems`)."""
    pins = {
        args.deploy_environment: args.deploy_pin,
        args.preview_environment: args.preview_pin,
        args.drift_environment: args.drift_pin,
    }
    if args.faults_environment is not None:
        pins[args.faults_environment] = args.faults_pin
    if len(pins) != 3 + (args.faults_environment is not None):
        raise ValueError(f"{name}: each role needs a GitHub environment of its own")
    for role_environment, pin in pins.items():
        problems = trust_problems(
            trust_policy(
                f"arn:aws:iam::000000000000:oidc-provider/{GITHUB_OIDC_HOST}",
                args.repository,
                role_environment,
                pin,
                args.subject_prefix,
            ),
            args.repository,
        )
        if problems:
            raise ValueError(f"{name}: {'; '.join(problems)}")
    return pins
