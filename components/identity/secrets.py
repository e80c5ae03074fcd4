"""Secrets the stack needs and nobody chooses, created empty and filled in AWS, never by Pulumi.

With `store="secretsManager"`, each is a Secrets Manager secret `<prefix>/<name>` created
**without a value**: the JWT signing key (unless `jwt_secret` is false), Keycloak's bootstrap
admin (JSON `username`, `password`) and one secret per database login (`<prefix>/database/
<login>`, JSON `username`, `password`). With `store="parameterStore"` (dev: free) the program
creates nothing: Pulumi would read a managed parameter's value back into its state on every
refresh, so the parameters `/<prefix>/<name>` (SecureString, the account's `aws/ssm` key) are
created by the platform setup task itself, and the program only names them.

The stack's platform setup task (`images/platform-setup`, run before every deploy) fills each
empty one with `secretsmanager:GetRandomPassword` and never overwrites a value
(`generated_plan` is its list). So no value is in the Pulumi state or config: the key that
opens a stack's state opens nothing secret (docs/DESIGN.md, "Pull requests never see a
secret"). The tasks get every value by ARN (`valueFrom`).

Rotation (control SecretsManager.4): the database logins rotate weekly (the stack's
`platform-rotate` task, tag `RotatedBy`); the JWT key and Keycloak's admin are documented as
not rotated, each for the reason in `ROTATION` (tagged on the secret and repeated in
docs/DESIGN.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
from pulumi_aws import secretsmanager

from ..bindings import Binding, secret_json_key
from ..naming import physical_name

JWT_SECRET = "jwt-signing-key"
KEYCLOAK_ADMIN = "keycloak-bootstrap-admin"
DATABASE_LOGINS = "database"
"""Login secrets are `<prefix>/database/<login>`."""
ROTATED_BY = "RotatedBy"
"""Tag naming the scheduled task that rotates a secret (the policy pack's SecretsManager.4)."""

ROTATION: dict[str, str] = {
    JWT_SECRET: "manual: a new key invalidates every issued token until the gateway accepts "
    "two keys (kid); rotate with a planned logout",
    KEYCLOAK_ADMIN: "none: Keycloak reads it only at its first start to create a temporary "
    "admin; replace that admin in Keycloak instead",
}
GENERATED_LENGTH = {JWT_SECRET: 64, KEYCLOAK_ADMIN: 32}
"""Letters and digits: 64 for HS256's 256 bits and more, 32 for an admin password."""

Store = Literal["secretsManager", "parameterStore"]


def secret_name(prefix: str, secret: str) -> str:
    """`<prefix>/<secret>` (`<project>/<env>/<secret>`): stable, so a re-run updates the
    secret, never orphans it."""
    return f"{prefix}/{secret}"


def login_secret(login: str) -> str:
    return f"{DATABASE_LOGINS}/{login}"


def parameter_arn(region: str, account: str, name: str) -> str:
    """The ARN of parameter `/<name>` (a parameter's ARN drops the name's leading slash)."""
    return f"arn:aws:ssm:{region}:{account}:parameter/{name}"


@dataclass(frozen=True)
class SecretRef:
    """Where one value lives and how a task reads it."""

    store: Store
    id: pulumi.Output[str]
    """The secret's ARN (Secrets Manager) or the parameter's name (Parameter Store): what the
    setup task writes to."""
    arn: pulumi.Output[str]
    """The secret's or the parameter's ARN (IAM, events)."""
    value_from: pulumi.Output[str]
    """ECS `valueFrom` of the password (a JSON key of a secret, or the parameter)."""


@dataclass(frozen=True)
class SecretsArgs:
    prefix: str | None = None
    """Names are `<prefix>/<secret>`; default `<project>-<stack>-<component name>`
    (`components/naming.py`)."""
    jwt_secret: bool = True
    """Generate the JWT signing key."""
    keycloak_admin_username: str | None = None
    """Generate Keycloak's bootstrap admin (username, password) under this user name."""
    database_logins: Sequence[str] = ()
    """One secret per database login (the setup task creates the logins)."""
    rotation_task: str | None = None
    """The task family that rotates the logins' secrets (tagged `RotatedBy`)."""
    recovery_window_days: int = 30
    """Secrets Manager only: days a deleted secret can be restored."""
    store: Store = "secretsManager"
    region: str | None = None
    """Default: the provider's `aws:region` (parameter ARNs)."""
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


class PlatformSecrets(pulumi.ComponentResource):
    jwt_secret_arn: pulumi.Output[str] | None
    keycloak_admin_arn: pulumi.Output[str] | None
    """Secrets Manager: the JSON secret with `username` and `password` keys; Parameter Store:
    the password parameter."""
    keycloak_admin_refs: dict[str, pulumi.Output[str]] | None
    """`KC_BOOTSTRAP_ADMIN_USERNAME` / `_PASSWORD` -> their `valueFrom`, in either store."""
    logins: dict[str, SecretRef]
    """Database login -> where its password lives."""

    def __init__(self, name: str, args: SecretsArgs, opts: pulumi.ResourceOptions | None = None):
        # The default name is the stack's own (two stacks never ask for the same one).
        args = dataclasses.replace(args, prefix=physical_name(args.prefix, name, max_length=200))
        region = args.region or aws.config.region
        if args.store == "parameterStore" and not region:
            raise ValueError(f"{name}: no region (set aws:region or SecretsArgs.region)")
        super().__init__("accessweaver:secrets:PlatformSecrets", name, None, opts)
        self._args, self._name, self._region = args, name, region
        self._tags = dict(args.tags)
        self._account = (
            aws.get_caller_identity_output().account_id if args.store == "parameterStore" else None
        )
        self._generated: list[dict[str, Any]] = []
        self._generated_refs: list[SecretRef] = []

        self.jwt_secret_arn = None
        self.keycloak_admin_arn = None
        self.keycloak_admin_refs = None
        if args.jwt_secret:
            ref = self._secret(JWT_SECRET, "JWT signing key")
            self.jwt_secret_arn = ref.arn
            self._generate(ref, GENERATED_LENGTH[JWT_SECRET])
        if args.keycloak_admin_username is not None:
            self._keycloak_admin(args.keycloak_admin_username)
        self.logins = {
            login: self._secret(login_secret(login), f"PostgreSQL login {login}", login=login)
            for login in args.database_logins
        }

        self.register_outputs(
            {
                "jwt_secret_arn": self.jwt_secret_arn,
                "keycloak_admin_arn": self.keycloak_admin_arn,
                "login_arns": {login: ref.arn for login, ref in self.logins.items()},
            }
        )

    @property
    def arns(self) -> dict[str, pulumi.Output[str]]:
        """Every secret's (or parameter's) ARN by name (for outputs)."""
        found = {JWT_SECRET: self.jwt_secret_arn, KEYCLOAK_ADMIN: self.keycloak_admin_arn}
        found |= {login_secret(login): ref.arn for login, ref in self.logins.items()}
        return {key: arn for key, arn in found.items() if arn is not None}

    @property
    def generated_plan(self) -> list[dict[str, Any]]:
        """What the setup task fills when empty: `{"secret": {"store", "id"}, "length"}`, with
        `jsonFields` (Secrets Manager JSON) or `fixed` (a value as written)."""
        return list(self._generated)

    @property
    def generated_refs(self) -> list[SecretRef]:
        """The secrets (or parameters) the setup task fills."""
        return list(self._generated_refs)

    def jwt_binding(self) -> Binding:
        """What a service that signs or verifies tokens gets: `JWT_SECRET`, by ARN."""
        if self.jwt_secret_arn is None:
            raise ValueError(f"{self._name}: no JWT key was generated (jwt_secret=False)")
        return Binding(name="jwtKey", secrets={"JWT_SECRET": self.jwt_secret_arn})

    # -- builders ----------------------------------------------------------------------------

    def _keycloak_admin(self, username: str) -> None:
        length = GENERATED_LENGTH[KEYCLOAK_ADMIN]
        if self._args.store == "parameterStore":
            # A parameter holds one value: the user name beside its password.
            user = self._secret(f"{KEYCLOAK_ADMIN}/username", "Keycloak bootstrap admin name")
            password = self._secret(f"{KEYCLOAK_ADMIN}/password", "Keycloak bootstrap admin")
            self._generated.append({"secret": _plan_ref(user), "fixed": username})
            self._generated_refs.append(user)
            self._generate(password, length)
            self.keycloak_admin_arn = password.arn
            self.keycloak_admin_refs = {
                "KC_BOOTSTRAP_ADMIN_USERNAME": user.arn,
                "KC_BOOTSTRAP_ADMIN_PASSWORD": password.arn,
            }
            return
        ref = self._secret(KEYCLOAK_ADMIN, "Keycloak bootstrap admin (username, password)")
        self._generate(ref, length, json_fields={"username": username})
        self.keycloak_admin_arn = ref.arn
        self.keycloak_admin_refs = {
            "KC_BOOTSTRAP_ADMIN_USERNAME": secret_json_key(ref.arn, "username"),
            "KC_BOOTSTRAP_ADMIN_PASSWORD": secret_json_key(ref.arn, "password"),
        }

    def _generate(
        self, ref: SecretRef, length: int, json_fields: Mapping[str, str] | None = None
    ) -> None:
        self._generated_refs.append(ref)
        entry: dict[str, Any] = {"secret": _plan_ref(ref), "length": length}
        if json_fields is not None:
            entry["jsonFields"] = dict(json_fields)
        self._generated.append(entry)

    def _secret(self, role: str, what: str, *, login: str | None = None) -> SecretRef:
        args = self._args
        full = secret_name(args.prefix, role)
        if args.store == "parameterStore":
            assert self._account is not None and self._region is not None
            name = f"/{full}"
            region = self._region
            arn = self._account.apply(lambda account: parameter_arn(region, account, full))
            return SecretRef("parameterStore", pulumi.Output.from_input(name), arn, arn)
        if login is not None:
            rotation = {ROTATED_BY: args.rotation_task} if args.rotation_task else {}
            description = f"{args.prefix}: {what}. Rotated by the {args.rotation_task} task"
        else:
            rotation = {"Rotation": ROTATION[role.split("/", 1)[0]].split(":", 1)[0]}
            description = f"{args.prefix}: {what}. Rotation: {ROTATION[role.split('/', 1)[0]]}"
        secret = secretsmanager.Secret(
            f"{self._name}-{role.replace('/', '-')}",
            name=full,
            description=description[:2048],
            recovery_window_in_days=args.recovery_window_days,
            tags={**self._tags, **rotation},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        value_from = secret_json_key(secret.arn, "password") if login is not None else secret.arn
        return SecretRef("secretsManager", secret.arn, secret.arn, value_from)


def _plan_ref(ref: SecretRef) -> dict[str, Any]:
    return {"store": ref.store, "id": ref.id}
