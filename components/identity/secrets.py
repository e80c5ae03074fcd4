"""Secrets the program generates: values from pulumi-random, kept in Secrets Manager or SSM
Parameter Store, handed to the tasks by ARN only.

Creates, each as a `random.RandomPassword` and, with `store="secretsManager"`, a Secrets Manager
secret and its first version or, with `store="parameterStore"`, a SecureString parameter
`/<prefix>/<secret>` under the account's `aws/ssm` key (standard tier, free):
the JWT signing key (unless `secrets.jwtSecret` is false), the Redis AUTH token (when the cache
is created) and the Keycloak bootstrap admin credentials (when Keycloak runs). The generated
values exist only as Pulumi secrets (encrypted in state) and in Secrets Manager; this component
exposes ARNs, plus the Redis token as a secret Output because ElastiCache takes it as an input.

Parameter Store cannot hand one JSON key to a task, so there Keycloak's bootstrap admin is two
parameters (`.../username`, `.../password`).

Rotation (control SecretsManager.1/4): the RDS master password is AWS-managed and rotated by RDS
(`database.py`). The three secrets here are documented as not rotated by Secrets Manager, each
for the reason in `ROTATION` (tagged on the secret and repeated in docs/DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_random as random
from pulumi_aws import secretsmanager, ssm

from ..bindings import Binding, secret_json_key

JWT_SECRET = "jwt-signing-key"
REDIS_AUTH_TOKEN = "redis-auth-token"
KEYCLOAK_ADMIN = "keycloak-bootstrap-admin"

ROTATION: dict[str, str] = {
    JWT_SECRET: "manual: a new key invalidates every issued token until the gateway accepts "
    "two keys (kid); rotate with a planned logout",
    REDIS_AUTH_TOKEN: "manual: ElastiCache rotates with auth_token_update_strategy ROTATE then "
    "SET, with a service restart in between",
    KEYCLOAK_ADMIN: "none: Keycloak reads it only at its first start to create a temporary "
    "admin; replace that admin in Keycloak instead",
}


def secret_name(prefix: str, secret: str) -> str:
    """`<prefix>/<secret>` (`<project>/<env>/<secret>`): stable, so a re-run updates the
    secret, never orphans it."""
    return f"{prefix}/{secret}"


@dataclass(frozen=True)
class SecretsArgs:
    prefix: str
    """Secrets Manager names are `<prefix>/<secret>`."""
    jwt_secret: bool = True
    """Generate the JWT signing key."""
    redis_auth_token: bool = False
    """Generate the Redis AUTH token (for a `Cache`)."""
    keycloak_admin_username: str | None = None
    """Generate Keycloak's bootstrap admin (username, password) under this user name."""
    recovery_window_days: int = 30
    """Secrets Manager only: days a deleted secret can be restored."""
    store: Literal["secretsManager", "parameterStore"] = "secretsManager"
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


class PlatformSecrets(pulumi.ComponentResource):
    jwt_secret_arn: pulumi.Output[str] | None
    redis_auth_token_arn: pulumi.Output[str] | None
    redis_auth_token: pulumi.Output[str] | None
    """The token itself (a Pulumi secret): ElastiCache needs the value, the tasks get the ARN."""
    keycloak_admin_arn: pulumi.Output[str] | None
    """Secrets Manager: the JSON secret with `username` and `password` keys; Parameter Store:
    the password parameter."""
    keycloak_admin_refs: dict[str, pulumi.Output[str]] | None
    """`KC_BOOTSTRAP_ADMIN_USERNAME` / `_PASSWORD` -> their `valueFrom`, in either store."""

    def __init__(self, name: str, args: SecretsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("accessweaver:secrets:PlatformSecrets", name, None, opts)
        self._args = args
        self._name = name
        self._tags = dict(args.tags)

        self.jwt_secret_arn = None
        self.redis_auth_token_arn = None
        self.redis_auth_token = None
        self.keycloak_admin_arn = None
        self.keycloak_admin_refs = None
        if args.jwt_secret:
            # 64 alphanumerics: ~380 bits, above the 256 HS256 needs, no escaping anywhere.
            key = self._password(JWT_SECRET, length=64, special=False)
            self.jwt_secret_arn = self._secret(JWT_SECRET, "JWT signing key", key.result)
        if args.redis_auth_token:
            # ElastiCache AUTH: 16-128 printable characters without / " @ or spaces.
            token = self._password(REDIS_AUTH_TOKEN, length=64, special=False)
            self.redis_auth_token = pulumi.Output.secret(token.result)
            self.redis_auth_token_arn = self._secret(
                REDIS_AUTH_TOKEN, "Redis AUTH token", token.result
            )
        if args.keycloak_admin_username is not None:
            password = self._password(
                KEYCLOAK_ADMIN, length=32, special=True, override_special="-_=+#%"
            )
            if args.store == "parameterStore":
                username = self._secret(
                    f"{KEYCLOAK_ADMIN}/username",
                    "Keycloak bootstrap admin user name",
                    args.keycloak_admin_username,
                )
                self.keycloak_admin_arn = self._secret(
                    f"{KEYCLOAK_ADMIN}/password",
                    "Keycloak bootstrap admin password",
                    password.result,
                )
                self.keycloak_admin_refs = {
                    "KC_BOOTSTRAP_ADMIN_USERNAME": username,
                    "KC_BOOTSTRAP_ADMIN_PASSWORD": self.keycloak_admin_arn,
                }
            else:
                document = pulumi.Output.json_dumps(
                    {"username": args.keycloak_admin_username, "password": password.result}
                )
                self.keycloak_admin_arn = self._secret(
                    KEYCLOAK_ADMIN, "Keycloak bootstrap admin (username, password)", document
                )
                self.keycloak_admin_refs = {
                    "KC_BOOTSTRAP_ADMIN_USERNAME": secret_json_key(
                        self.keycloak_admin_arn, "username"
                    ),
                    "KC_BOOTSTRAP_ADMIN_PASSWORD": secret_json_key(
                        self.keycloak_admin_arn, "password"
                    ),
                }

        self.register_outputs(
            {
                "jwt_secret_arn": self.jwt_secret_arn,
                "redis_auth_token_arn": self.redis_auth_token_arn,
                "redis_auth_token": self.redis_auth_token,
                "keycloak_admin_arn": self.keycloak_admin_arn,
            }
        )

    @property
    def arns(self) -> dict[str, pulumi.Output[str]]:
        """The generated secrets' ARNs by secret name (for outputs)."""
        found = {
            JWT_SECRET: self.jwt_secret_arn,
            REDIS_AUTH_TOKEN: self.redis_auth_token_arn,
            KEYCLOAK_ADMIN: self.keycloak_admin_arn,
        }
        return {key: arn for key, arn in found.items() if arn is not None}

    def jwt_binding(self) -> Binding:
        """What a service that signs or verifies tokens gets: `JWT_SECRET`, by ARN."""
        if self.jwt_secret_arn is None:
            raise ValueError(f"{self._name}: no JWT key was generated (jwt_secret=False)")
        return Binding(name="jwtKey", secrets={"JWT_SECRET": self.jwt_secret_arn})

    def _password(self, role: str, **arguments) -> random.RandomPassword:
        return random.RandomPassword(
            f"{self._name}-{role}-value",
            min_lower=1,
            min_upper=1,
            min_numeric=1,
            **arguments,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _secret(self, role: str, what: str, value: pulumi.Input[str]) -> pulumi.Output[str]:
        args = self._args
        rotation = ROTATION[role.split("/", 1)[0]]
        if args.store == "parameterStore":
            parameter = ssm.Parameter(
                f"{self._name}-{role.replace('/', '-')}",
                name=f"/{secret_name(args.prefix, role)}",
                type="SecureString",
                tier="Standard",
                value=pulumi.Output.secret(value),
                description=f"{args.prefix}: {what}. Rotation: {rotation}"[:1024],
                tags={**self._tags, "Rotation": rotation.split(":", 1)[0]},
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            return parameter.arn
        secret = secretsmanager.Secret(
            f"{self._name}-{role}",
            name=secret_name(args.prefix, role),
            description=f"{args.prefix}: {what}. Rotation: {rotation}",
            recovery_window_in_days=args.recovery_window_days,
            tags={**self._tags, "Rotation": rotation.split(":", 1)[0]},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        secretsmanager.SecretVersion(
            f"{self._name}-{role}-version",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(value),
            opts=pulumi.ResourceOptions(parent=secret),
        )
        return secret.arn
