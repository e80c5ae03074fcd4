"""Keycloak in production mode on ECS (`keycloak.enabled`), behind the ALB under `/auth`.

Keycloak is a catalog service (`keycloak` in `settings.services`, added by the config resolver
with its path patterns, health port and size), so routing, sizing, autoscaling, alarms and the
checks treat it like the others. This component builds it with `Microservice` and adds what only
Keycloak needs: the database URL of the RDS instance, the master password (AWS-managed secret)
and the bootstrap admin as secrets by ARN, its public host name, and the JGroups ports between
its tasks (Infinispan forms a cluster through the database: jdbc-ping, no multicast on AWS).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_aws import vpc

from ..compute.cluster import EcsCluster
from ..compute.microservice import Microservice, MicroserviceArgs
from ..data.database import Database
from ..edge.rules import ServiceAttachment
from ..stack.settings import StackSettings
from .config import KEYCLOAK_PATH, KEYCLOAK_SERVICE

JGROUPS_PORTS = (7800, 57800)
"""Cluster transport and its failure detection (7800 + 50000)."""


def secret_key_ref(secret_arn: pulumi.Input[str], json_key: str) -> pulumi.Output[str]:
    """ECS `valueFrom` for one JSON key of a Secrets Manager secret (`<arn>:<key>::`)."""
    return pulumi.Output.concat(secret_arn, ":", json_key, "::")


@dataclass(frozen=True)
class KeycloakArgs:
    settings: StackSettings
    cluster: EcsCluster
    database: Database
    admin_secret_arn: pulumi.Input[str]
    """JSON secret with `username` and `password` (secrets.py)."""
    public_hostname: pulumi.Input[str] | None = None
    """The ALB's DNS name, used when `keycloak.hostname` is unset."""
    load_balancer: ServiceAttachment | None = None
    alarm_actions: Sequence[pulumi.Input[str]] = ()


class Keycloak(pulumi.ComponentResource):
    service_name: pulumi.Output[str]
    service_arn: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]
    url_path: pulumi.Output[str]

    def __init__(self, name: str, args: KeycloakArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("accessweaver:keycloak:Keycloak", name, None, opts)
        settings = args.settings
        keycloak = settings.platform.keycloak
        if keycloak is None:
            raise ValueError("Keycloak needs settings.platform.keycloak (keycloak.enabled)")
        service = settings.service(KEYCLOAK_SERVICE)

        group = args.cluster.security_group_id
        rule_opts = pulumi.ResourceOptions(parent=self)
        for port in JGROUPS_PORTS:
            for direction, rule in (("in", vpc.SecurityGroupIngressRule),
                                    ("out", vpc.SecurityGroupEgressRule)):  # fmt: skip
                rule(
                    f"{name}-jgroups-{port}-{direction}",
                    security_group_id=group,
                    referenced_security_group_id=group,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    description=f"Keycloak cluster (JGroups) on {port}",
                    opts=rule_opts,
                )

        environment: dict[str, pulumi.Input[str]] = {
            "KC_DB_URL": args.database.jdbc_url_for(keycloak.database_name),
        }
        hostname = keycloak.hostname or args.public_hostname
        if hostname is not None:
            environment["KC_HOSTNAME"] = hostname
            if keycloak.hostname is None:
                # Tokens name the host as issuer: changing it later logs every client out.
                pulumi.log.warn(
                    "keycloak.hostname is not set: Keycloak answers as the ALB's DNS name; set "
                    "it to the domain of the ALB's certificate before clients rely on it.",
                    resource=self,
                )
        else:
            # Production mode refuses to start without a host name unless strict mode is off;
            # the host then comes from each request (X-Forwarded-* from the ALB).
            environment["KC_HOSTNAME_STRICT"] = "false"
            pulumi.log.warn(
                "keycloak.hostname is not set and the stack has no ALB: Keycloak takes its host "
                "name from each request (KC_HOSTNAME_STRICT=false); set keycloak.hostname.",
                resource=self,
            )
        admin = args.admin_secret_arn
        app = Microservice(
            service.name,
            MicroserviceArgs(
                settings=settings,
                service=service,
                cluster=args.cluster,
                load_balancer=args.load_balancer,
                extra_environment=environment,
                extra_secrets={
                    "KC_DB_PASSWORD": secret_key_ref(args.database.master_secret_arn, "password"),
                    "KC_BOOTSTRAP_ADMIN_USERNAME": secret_key_ref(admin, "username"),
                    "KC_BOOTSTRAP_ADMIN_PASSWORD": secret_key_ref(admin, "password"),
                },
                alarm_actions=args.alarm_actions,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.service_name = app.service_name
        self.service_arn = app.service_arn
        self.task_definition_arn = app.task_definition_arn
        self.url_path = pulumi.Output.from_input(KEYCLOAK_PATH)
        self.register_outputs(
            {
                "service_name": self.service_name,
                "service_arn": self.service_arn,
                "task_definition_arn": self.task_definition_arn,
                "url_path": self.url_path,
            }
        )
