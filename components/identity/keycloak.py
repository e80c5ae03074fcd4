"""Keycloak in production mode on ECS, behind a load balancer under `/auth`.

Keycloak runs as a `Microservice` (its own security group and roles), given by the caller with
its container, size and routing; this component adds what only Keycloak needs: the JDBC URL of
its own database and the path to it, its login's password and the bootstrap admin as secrets
by ARN, its public host name, the addresses whose forwarded headers it believes
(`KC_PROXY_TRUSTED_ADDRESSES`), and the JGroups ports between its own tasks (Infinispan forms a
cluster through the database with jdbc-ping: no multicast on AWS). `binding()` is what a service
that validates tokens gets: `KEYCLOAK_URL` and the path to Keycloak's port.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from ..bindings import Binding, secret_json_key
from ..compute.microservice import Microservice, MicroserviceArgs
from ..data.database import Database, DatabaseLogin
from ..network.paths import ServicePath, ServicePathArgs
from .config import KEYCLOAK_PATH

JGROUPS_PORTS = (7800, 57800)
"""Cluster transport and its failure detection (7800 + 50000)."""


@dataclass(frozen=True)
class KeycloakArgs:
    service: MicroserviceArgs
    """Keycloak's service: image, size, count, routing, alarms (its environment holds the plain
    KC_* settings; the database and secrets are added here)."""
    database: Database
    database_name: str
    """Database on the instance Keycloak keeps its realms in (its own, not the services')."""
    login: DatabaseLogin | None = None
    """Keycloak's own login (owner of `database_name`); None: the master user and its
    RDS-managed secret (programs that create no logins)."""
    admin_secret_arn: pulumi.Input[str] | None = None
    """Secrets Manager JSON secret with `username` and `password` (the temporary bootstrap
    admin)."""
    admin_refs: Mapping[str, pulumi.Input[str]] | None = None
    """Instead of `admin_secret_arn`: `KC_BOOTSTRAP_ADMIN_USERNAME` and `_PASSWORD` -> their
    `valueFrom` (e.g. two SSM parameters, which cannot hold a JSON key each)."""
    hostname_url: pulumi.Input[str] | None = None
    """Public URL (KC_HOSTNAME), scheme and `/auth` included, e.g. `https://id.example.com/auth`;
    None = taken from each request (strict mode off)."""
    admin_url: str | None = None
    """URL of the admin console (KC_HOSTNAME_ADMIN), e.g. `http://localhost:8180/auth` through a
    port forward; needs `hostname_url`. The public routes never include the admin paths."""
    proxy_trusted_addresses: pulumi.Input[Sequence[str]] | None = None
    """CIDR blocks of the proxies in front of Keycloak (KC_PROXY_TRUSTED_ADDRESSES): only their
    `X-Forwarded-*` headers count. Required when the service's environment sets
    KC_PROXY_HEADERS, else any caller could choose the client address Keycloak records."""


class Keycloak(pulumi.ComponentResource):
    service_name: pulumi.Output[str]
    service_arn: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    url_path: pulumi.Output[str]

    def __init__(self, name: str, args: KeycloakArgs, opts: pulumi.ResourceOptions | None = None):
        if args.admin_url is not None and args.hostname_url is None:
            raise ValueError(f"{name}: Keycloak takes an admin URL only with a full hostname URL")
        if (args.admin_secret_arn is None) == (args.admin_refs is None):
            raise ValueError(f"{name}: give the bootstrap admin as admin_secret_arn or admin_refs")
        if "KC_PROXY_HEADERS" in args.service.container.environment and (
            args.proxy_trusted_addresses is None
        ):
            raise ValueError(
                f"{name}: KC_PROXY_HEADERS without proxy_trusted_addresses: Keycloak would take "
                "the client address from a header any caller writes"
            )
        super().__init__("accessweaver:keycloak:Keycloak", name, None, opts)
        database = args.database
        admin: Mapping[str, pulumi.Input[str]] = (
            {
                "KC_BOOTSTRAP_ADMIN_USERNAME": secret_json_key(args.admin_secret_arn, "username"),
                "KC_BOOTSTRAP_ADMIN_PASSWORD": secret_json_key(args.admin_secret_arn, "password"),
            }
            if args.admin_secret_arn is not None
            else dict(args.admin_refs or {})
        )
        if set(admin) != {"KC_BOOTSTRAP_ADMIN_USERNAME", "KC_BOOTSTRAP_ADMIN_PASSWORD"}:
            raise ValueError(f"{name}: admin_refs needs KC_BOOTSTRAP_ADMIN_USERNAME and _PASSWORD")
        login = args.login
        environment: dict[str, pulumi.Input[str]] = {
            "KC_DB_URL": database.jdbc_url_for(args.database_name),
            "KC_DB_USERNAME": login.username if login is not None else database.master_username,
        }
        if args.proxy_trusted_addresses is not None:
            environment["KC_PROXY_TRUSTED_ADDRESSES"] = pulumi.Output.from_input(
                args.proxy_trusted_addresses
            ).apply(",".join)
        if args.hostname_url is not None:
            environment["KC_HOSTNAME"] = args.hostname_url
            # Hostname v2: the front channel (the issuer, browser redirects) stays the public
            # URL, while a request that reaches Keycloak another way (a service on the
            # private network) gets back-channel URLs (token, JWKs) on the URL it used.
            environment["KC_HOSTNAME_BACKCHANNEL_DYNAMIC"] = "true"
            if args.admin_url is not None:
                environment["KC_HOSTNAME_ADMIN"] = args.admin_url
        else:
            # Production mode refuses to start without a host name unless strict mode is off;
            # the host then comes from each request (X-Forwarded-* from the ALB).
            environment["KC_HOSTNAME_STRICT"] = "false"
        own = Binding(
            name="keycloak-database",
            environment=environment,
            secrets={
                "KC_DB_PASSWORD": (
                    login.password_value_from
                    if login is not None
                    else secret_json_key(database.master_secret_arn, "password")
                ),
                **admin,
            },
            peers=(database.peer,),
        )
        service_args = dataclasses.replace(args.service, bindings=(*args.service.bindings, own))
        self._app = Microservice("keycloak", service_args, opts=pulumi.ResourceOptions(parent=self))
        ServicePath(
            f"{name}-jgroups",
            ServicePathArgs(
                source_security_group_id=self._app.security_group_id,
                target_security_group_id=self._app.security_group_id,
                ports=JGROUPS_PORTS,
                description="Keycloak cluster (JGroups)",
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.service_name = self._app.service_name
        self.service_arn = self._app.service_arn
        self.task_definition_arn = self._app.task_definition_arn
        self.security_group_id = self._app.security_group_id
        self.url_path = pulumi.Output.from_input(KEYCLOAK_PATH)
        self._hostname_url = args.hostname_url
        self.register_outputs(
            {
                "service_name": self.service_name,
                "service_arn": self.service_arn,
                "task_definition_arn": self.task_definition_arn,
                "security_group_id": self.security_group_id,
                "url_path": self.url_path,
            }
        )

    @property
    def microservice(self) -> Microservice:
        return self._app

    def binding(self, realm: str | None = None, *, spring: bool = False) -> Binding:
        """What a service that validates tokens of `realm` gets, and the path to Keycloak's
        HTTP port: `KEYCLOAK_URL` (internal, with `/auth`), `KEYCLOAK_JWK_SET_URI` (the realm's
        keys, fetched over the private network) and, with a public URL, `KEYCLOAK_ISSUER_URI`
        (the `iss` its tokens carry). `spring`: the same under the names Spring Boot binds
        (`spring.security.oauth2.resourceserver.jwt.issuer-uri` and `.jwk-set-uri`): with both
        set, Spring decodes with the key set and checks the issuer without calling it. Without
        `realm`, `KEYCLOAK_URL` alone (no realm known)."""
        inner = self._app.binding()
        url = pulumi.Output.concat(next(iter(inner.environment.values())), KEYCLOAK_PATH)
        if realm is None:
            return Binding(name="keycloak", environment={"KEYCLOAK_URL": url}, peers=inner.peers)
        keys = pulumi.Output.concat(url, realm_path(realm), "/protocol/openid-connect/certs")
        environment: dict[str, pulumi.Input[str]] = {
            "KEYCLOAK_URL": url,
            "KEYCLOAK_JWK_SET_URI": keys,
        }
        if self._hostname_url is not None:
            environment["KEYCLOAK_ISSUER_URI"] = pulumi.Output.concat(
                self._hostname_url, realm_path(realm)
            )
        if spring:
            prefix = "SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_"
            # Relaxed binding from the environment drops the dashes (`issuer-uri`: ISSUERURI).
            environment[f"{prefix}JWKSETURI"] = keys
            if "KEYCLOAK_ISSUER_URI" in environment:
                environment[f"{prefix}ISSUERURI"] = environment["KEYCLOAK_ISSUER_URI"]
        return Binding(name="keycloak", environment=environment, peers=inner.peers)


def realm_path(realm: str) -> str:
    """`/realms/<realm>`: where a realm's endpoints live under Keycloak's relative path."""
    return f"/realms/{realm}"
