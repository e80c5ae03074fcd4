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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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
        super().__init__("accessweaver:bootstrap:CiRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = {**args.tags, "Project": args.project, "Environment": args.environment}
        prefix = f"{args.project}-{args.environment}"

        key = kms.Key(
            f"{name}-secrets-key",
            description=f"{prefix}: Pulumi secrets provider of the {args.environment} stack",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        alias = f"alias/{prefix}-secrets"
        kms.Alias(
            f"{name}-secrets-key-alias",
            name=alias,
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=key),
        )
        if args.oidc_provider_arn is None:
            provider = iam.OpenIdConnectProvider(
                f"{name}-github-oidc",
                url=GITHUB_OIDC_URL,
                client_id_lists=[AUDIENCE],
                tags=tags,
                opts=child,
            )
            provider_arn: pulumi.Output[str] = provider.arn
        else:
            provider_arn = pulumi.Output.from_input(args.oidc_provider_arn)

        def trust(github_environment: str) -> pulumi.Output[str]:
            pin = pins[github_environment]
            return provider_arn.apply(
                lambda arn: json.dumps(
                    trust_policy(arn, args.repository, github_environment, pin, args.subject_prefix)
                )
            )

        state = pulumi.Output.all(key.arn, args.state_bucket_arn, args.state_key_arn)

        def read_only(kind: str, github_environment: str, policy, description: str) -> iam.Role:
            """ReadOnlyAccess and an inline policy of `policy(...)`."""
            role = iam.Role(
                f"{name}-{kind}",
                name=f"{prefix}-{kind}",
                description=description,
                assume_role_policy=trust(github_environment),
                max_session_duration=3600,
                tags=tags,
                opts=child,
            )
            iam.RolePolicyAttachment(
                f"{name}-{kind}-read-only",
                role=role.name,
                policy_arn=READ_ONLY_POLICY,
                opts=pulumi.ResourceOptions(parent=role),
            )
            iam.RolePolicy(
                f"{name}-{kind}-policy",
                role=role.id,
                policy=state.apply(
                    lambda v: json.dumps(
                        policy(
                            project=args.project,
                            environment=args.environment,
                            secrets_key_arn=v[0],
                            state_bucket_arn=v[1],
                            state_key_arn=v[2],
                        )
                    )
                ),
                opts=pulumi.ResourceOptions(parent=role),
            )
            return role

        boundary = iam.Policy(
            f"{name}-boundary",
            name=f"{prefix}-boundary",
            path=f"/{args.project}/{args.environment}/",
            description=f"Permissions boundary of every role {prefix} creates",
            policy=state.apply(
                lambda v: json.dumps(
                    boundary_policy(
                        secrets_key_arn=v[0],
                        state_bucket_arn=v[1],
                        state_key_arn=v[2],
                        project=args.project,
                        environment=args.environment,
                    )
                )
            ),
            tags=tags,
            opts=child,
        )
        preview = read_only(
            "preview",
            args.preview_environment,
            preview_policy,
            f"Read-only, no data: pull-request previews of {prefix}",
        )
        drift = read_only(
            "drift",
            args.drift_environment,
            drift_policy,
            f"Read-only and the stack's secrets: daily drift check (refresh) of {prefix}",
        )
        deploy = iam.Role(
            f"{name}-deploy",
            name=f"{prefix}-deploy",
            description=f"pulumi up of {prefix} from the main branch",
            assume_role_policy=trust(args.deploy_environment),
            max_session_duration=3600,
            tags=tags,
            opts=child,
        )
        pulls = (
            pull_statement(region, args.pull_from_account_ids, args.pull_repository_prefix)
            if args.pull_repository_prefix
            else []
        )
        # The bootstrap's own resources the deploy role's documents name (by keyword).
        bootstrap_arns = pulumi.Output.all(
            secrets_key_arn=key.arn,
            state_bucket_arn=args.state_bucket_arn,
            state_key_arn=args.state_key_arn,
            state_log_bucket_arn=args.state_log_bucket_arn,
            boundary_arn=boundary.arn,
        )
        iam.RolePolicy(
            f"{name}-deploy-policy",
            role=deploy.id,
            policy=bootstrap_arns.apply(
                lambda arns: json.dumps(
                    deploy_policy(
                        project=args.project,
                        environment=args.environment,
                        services=args.services,
                        extra=pulls,
                        **{k: v for k, v in arns.items() if k != "state_log_bucket_arn"},
                    )
                )
            ),
            opts=pulumi.ResourceOptions(parent=deploy),
        )
        # Its denies in a managed policy of their own: the inline policy is full (IAM caps it
        # at 10,240 characters); an explicit deny holds from any policy of the role.
        guards = iam.Policy(
            f"{name}-deploy-guards",
            name=deploy_guards_name(args.project, args.environment),
            path=f"/{args.project}/{args.environment}/",
            description=f"What the deploy role of {prefix} may never do",
            policy=bootstrap_arns.apply(
                lambda arns: json.dumps(
                    deploy_guards_policy(project=args.project, environment=args.environment, **arns)
                )
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=deploy),
        )
        iam.RolePolicyAttachment(
            f"{name}-deploy-guards-attachment",
            role=deploy.name,
            policy_arn=guards.arn,
            opts=pulumi.ResourceOptions(parent=deploy),
        )
        self.faults_role_arn = None
        if args.faults_environment is not None:
            faults = iam.Role(
                f"{name}-faults",
                name=f"{prefix}-faults",
                description=f"Runs the fault experiments of {prefix} on demand (faults.yml)",
                assume_role_policy=trust(args.faults_environment),
                max_session_duration=3600,
                tags=tags,
                opts=child,
            )
            iam.RolePolicy(
                f"{name}-faults-policy",
                role=faults.id,
                policy=json.dumps(
                    faults_policy(project=args.project, environment=args.environment)
                ),
                opts=pulumi.ResourceOptions(parent=faults),
            )
            self.faults_role_arn = faults.arn
        self.secrets_key_arn = key.arn
        self.secrets_provider = pulumi.Output.from_input(f"awskms://{alias}?region={region}")
        self.oidc_provider_arn = provider_arn
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
