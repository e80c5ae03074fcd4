"""PostgreSQL on RDS, from its own arguments.

Creates: a DB subnet group on the private subnets, the database's own security group (no rule:
each service that uses the database opens its path to it, see `binding()`), a parameter group
forcing TLS (`rds.force_ssl=1`), the log groups RDS exports to (so they get a retention), and
the instance: encrypted, private, IAM auth, backups, final snapshot, AWS-managed master password
(RDS keeps and rotates it in Secrets Manager, so the program never sees it and no secret has to
exist before the endpoint). Optional: the enhanced monitoring role.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
from pulumi_aws import cloudwatch, ec2, iam, rds, scheduler

from ..bindings import Binding, Peer, allow_statement, secret_json_key
from ..iam_path import service_role
from ..naming import physical_name, provider_region
from ..service_trust import rds_monitoring_trust, scheduler_trust
from .access import store_security_group

LOG_EXPORTS = ("postgresql", "upgrade")
ENHANCED_MONITORING_POLICY_ARN = (
    "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
)


def stop_start_policy(instance_arn: str) -> dict:
    """EventBridge Scheduler's role: stop and start this instance, nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            allow_statement(
                "StopAndStartThisInstance",
                ["rds:StopDBInstance", "rds:StartDBInstance"],
                instance_arn,
            )
        ],
    }


BACKUP_WINDOW = "02:00-03:00"
MAINTENANCE_WINDOW = "sun:03:30-sun:04:30"


def jdbc_url(address: str, port: int, database: str) -> str:
    """What Spring Boot and Keycloak take as the database URL; TLS is required by the server."""
    return f"jdbc:postgresql://{address}:{port}/{database}?sslmode=require"


def postgres_uri(address: str, port: int, database: str, username: str) -> str:
    """The libpq URI Node (pg), Go (pgx) and Python (psycopg) clients take; the password comes
    apart, as DATABASE_PASSWORD."""
    return f"postgresql://{username}@{address}:{port}/{database}?sslmode=require"


def database_binding(
    *,
    address: pulumi.Input[str],
    port: int,
    database: pulumi.Input[str],
    username: pulumi.Input[str],
    password_value_from: pulumi.Input[str],
    security_group_id: pulumi.Input[str],
    dialect: Literal["jdbc", "uri"] = "uri",
    schema: str | None = None,
) -> Binding:
    """What a service granted a PostgreSQL database gets: where it is (`DATABASE_*`,
    `DATABASE_URL` in `dialect`: JDBC for the JVM, a libpq URI for everything else), the
    password as a secret (`password_value_from`: a secret ARN, or `<arn>:<json key>::`), and
    the path to its port (`Peer` "postgres"). `Database.binding`, or a database made elsewhere."""
    parts = pulumi.Output.all(address, database, username)
    if dialect == "jdbc":
        url = parts.apply(lambda p: jdbc_url(p[0], port, p[1]))
    else:
        url = parts.apply(lambda p: postgres_uri(p[0], port, p[1], p[2]))
    environment: dict[str, pulumi.Input[str]] = {
        "DATABASE_URL": url,
        "DATABASE_HOST": address,
        "DATABASE_PORT": str(port),
        "DATABASE_NAME": database,
        "DATABASE_USERNAME": username,
    }
    if schema is not None:
        environment["DATABASE_SCHEMA"] = schema
    secrets: dict[str, pulumi.Input[str]] = {"DATABASE_PASSWORD": password_value_from}
    if dialect == "jdbc":
        # The names Spring Boot binds itself (spring.datasource.*): no application.yml
        # needed to map DATABASE_* (docs/IMAGE-CONTRACT.md).
        environment["SPRING_DATASOURCE_URL"] = url
        environment["SPRING_DATASOURCE_USERNAME"] = username
        secrets["SPRING_DATASOURCE_PASSWORD"] = password_value_from
    return Binding(
        name="database",
        environment=environment,
        secrets=secrets,
        peers=(Peer("postgres", security_group_id, (port,)),),
    )


def exported_log_group(identifier: str, log: str) -> str:
    """The log group RDS writes an exported log to (created by the program with a retention)."""
    return f"/aws/rds/instance/{identifier}/{log}"


def parameter_group_family(engine_version: str) -> str:
    """`postgres16` for 16 or 16.4: the family follows the major version."""
    major = re.match(r"\d+", engine_version)
    if major is None:
        raise ValueError(f"not a PostgreSQL version: {engine_version!r}")
    return f"postgres{major.group()}"


@dataclass(frozen=True)
class DatabaseLogin:
    """A login of its own for one service (created by the stack's platform setup task)."""

    username: str
    password_value_from: pulumi.Input[str]
    """ECS `valueFrom` of its password (a JSON key of its secret, or its parameter)."""
    schema: str | None = None
    """The schema it owns (its `search_path`); None: it owns its whole database."""
    database: str | None = None
    """Its database; default: the instance's (`DatabaseArgs.database_name`)."""


def login_name(workload: str) -> str:
    """`aw-pdp-service` -> `aw_pdp_service`: a PostgreSQL name needing no quotes."""
    return workload.replace("-", "_")


@dataclass(frozen=True)
class RunningScheduleArgs:
    """Stop the instance outside working hours (EventBridge Scheduler calling RDS's own
    StopDBInstance / StartDBInstance), with backups and maintenance while it runs."""

    start_cron: str
    stop_cron: str
    timezone: str
    backup_window: str
    """hh24:mi-hh24:mi UTC, inside the running hours (RDS does not back up a stopped
    instance)."""
    maintenance_window: str


@dataclass(frozen=True)
class DatabaseArgs:
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[str]]
    """Private subnets in at least two AZs."""
    identifier: str | None = field(default=None, kw_only=True)
    """RDS instance identifier (stable: alarms and dashboards name it); default
    `<project>-<stack>-<component name>` (`components/naming.py`, at most 57 characters)."""
    database_name: str = "app"
    engine_version: str = "16"
    instance_class: str = "db.t4g.micro"
    allocated_storage: int = 20
    max_allocated_storage: int = 100
    port: int = 5433
    username: str = "app_admin"
    backup_retention_days: int = 7
    multi_az: bool = True
    deletion_protection: bool = True
    monitoring_interval: int = 0
    """Enhanced monitoring seconds; 0 = off."""
    log_retention_days: int = 30
    running_schedule: RunningScheduleArgs | None = None
    """None = runs all the time."""
    protect: bool = False
    permissions_boundary: pulumi.Input[str] | None = None
    """The managed policy every role of the component is created with as its permissions
    boundary (the bootstrap's `<project>-<env>-boundary`); None = no boundary."""
    region: str | None = None
    """Default: the provider's `aws:region` (the service roles' `aws:SourceArn`)."""
    tags: Mapping[str, str] = field(default_factory=dict)


class Database(pulumi.ComponentResource):
    identifier: pulumi.Output[str]
    address: pulumi.Output[str]
    port: pulumi.Output[int]
    endpoint: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    master_secret_arn: pulumi.Output[str]
    """The AWS-managed secret (JSON with `username` and `password`) RDS rotates."""
    jdbc_url: pulumi.Output[str]
    """`jdbc:postgresql://<address>:<port>/<database>?sslmode=require`."""

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        # The default name is the stack's own (two stacks never ask for the same one).
        args = dataclasses.replace(
            args, identifier=physical_name(args.identifier, name, max_length=57)
        )
        region = provider_region(args.region, name, "DatabaseArgs")
        super().__init__("accessweaver:database:Database", name, None, opts)
        self._region = region
        child = pulumi.ResourceOptions(parent=self)
        tags = {**args.tags, "Service": "postgres"}
        self._args = args

        subnets = rds.SubnetGroup(
            f"{name}-subnets",
            description=f"{args.identifier}: private subnets",
            subnet_ids=args.subnet_ids,
            tags=tags,
            opts=child,
        )
        group = store_security_group(
            name, vpc_id=args.vpc_id, identifier=args.identifier, tags=tags, opts=child
        )
        parameters = rds.ParameterGroup(
            f"{name}-params",
            family=parameter_group_family(args.engine_version),
            description=f"{args.identifier}: TLS only",
            parameters=[{"name": "rds.force_ssl", "value": "1", "apply_method": "immediate"}],
            tags=tags,
            opts=child,
        )
        # RDS would create these on first export with "never expire" (CloudWatch.16).
        log_groups = [
            cloudwatch.LogGroup(
                f"{name}-{log}-logs",
                name=exported_log_group(args.identifier, log),
                retention_in_days=args.log_retention_days,
                tags=tags,
                opts=child,
            )
            for log in LOG_EXPORTS
        ]
        instance = self._instance(
            name,
            args,
            subnets=subnets,
            group=group,
            parameters=parameters,
            monitoring_role=self._monitoring_role(name, args, tags, child),
            log_groups=log_groups,
            tags=tags,
        )
        if args.running_schedule is not None:
            self._running_schedule(name, args, args.running_schedule, instance, tags)
        self._publish(instance, group)

    def _instance(
        self,
        name: str,
        args: DatabaseArgs,
        *,
        subnets: rds.SubnetGroup,
        group: ec2.SecurityGroup,
        parameters: rds.ParameterGroup,
        monitoring_role: iam.Role | None,
        log_groups: list[cloudwatch.LogGroup],
        tags: Mapping[str, str],
    ) -> rds.Instance:
        """The instance: encrypted, private, TLS only, IAM auth, AWS-managed master password,
        backups and a final snapshot, its logs exported to `log_groups` (created first)."""
        schedule = args.running_schedule
        return rds.Instance(
            f"{name}-instance",
            identifier=args.identifier,
            engine="postgres",
            engine_version=args.engine_version,
            instance_class=args.instance_class,
            allocated_storage=args.allocated_storage,
            max_allocated_storage=args.max_allocated_storage,
            storage_type="gp3",
            storage_encrypted=True,
            db_name=args.database_name,
            username=args.username,
            manage_master_user_password=True,
            port=args.port,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[group.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            multi_az=args.multi_az,
            deletion_protection=args.deletion_protection,
            backup_retention_period=args.backup_retention_days,
            backup_window=schedule.backup_window if schedule else BACKUP_WINDOW,
            maintenance_window=schedule.maintenance_window if schedule else MAINTENANCE_WINDOW,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{args.identifier}-final",
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=False,
            iam_database_authentication_enabled=True,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            monitoring_interval=args.monitoring_interval,
            monitoring_role_arn=monitoring_role.arn if monitoring_role is not None else None,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=log_groups),
        )

    def _publish(self, instance: rds.Instance, group: ec2.SecurityGroup) -> None:
        """The component's outputs, from its instance and security group."""
        self.identifier = instance.identifier
        self.address = instance.address
        self.port = instance.port
        self.endpoint = pulumi.Output.concat(instance.address, ":", str(self._args.port))
        self.security_group_id = group.id
        self.master_secret_arn = instance.master_user_secrets.apply(_first_secret_arn)
        self.jdbc_url = self.jdbc_url_for(self._args.database_name)
        self.register_outputs(
            {
                "identifier": self.identifier,
                "address": self.address,
                "port": self.port,
                "endpoint": self.endpoint,
                "security_group_id": self.security_group_id,
                "master_secret_arn": self.master_secret_arn,
                "jdbc_url": self.jdbc_url,
            }
        )

    def _running_schedule(
        self,
        name: str,
        args: DatabaseArgs,
        schedule: RunningScheduleArgs,
        instance: rds.Instance,
        tags: Mapping[str, str],
    ) -> None:
        role = service_role(
            f"{name}-scheduler-role",
            description=f"{args.identifier}: EventBridge Scheduler stops and starts it",
            trust=lambda acct: scheduler_trust(acct, self._region),
            tags=tags,
            permissions_boundary=args.permissions_boundary,
            opts=pulumi.ResourceOptions(parent=self),
        )
        policy = iam.RolePolicy(
            f"{name}-scheduler-policy",
            role=role.id,
            policy=instance.arn.apply(lambda arn: json.dumps(stop_start_policy(arn))),
            opts=pulumi.ResourceOptions(parent=role),
        )
        for action, cron in (("start", schedule.start_cron), ("stop", schedule.stop_cron)):
            scheduler.Schedule(
                f"{name}-{action}",
                name=f"{args.identifier}-{action}",
                description=f"{action.capitalize()} {args.identifier} around working hours",
                schedule_expression=cron,
                schedule_expression_timezone=schedule.timezone,
                flexible_time_window={"mode": "OFF"},
                target={
                    # Scheduler's universal target: RDS's own API, no code to run.
                    "arn": f"arn:aws:scheduler:::aws-sdk:rds:{action}DBInstance",
                    "role_arn": role.arn,
                    "input": pulumi.Output.json_dumps(
                        {"DbInstanceIdentifier": instance.identifier}
                    ),
                    "retry_policy": {
                        "maximum_event_age_in_seconds": 3600,
                        "maximum_retry_attempts": 10,
                    },
                },
                opts=pulumi.ResourceOptions(parent=instance, depends_on=[policy]),
            )

    def jdbc_url_for(self, database: str) -> pulumi.Output[str]:
        """The JDBC URL of a database on this instance (Keycloak's, when set apart)."""
        port = self._args.port
        return self.address.apply(lambda address: jdbc_url(address, port, database))

    @property
    def master_username(self) -> str:
        return self._args.username

    @property
    def database_name(self) -> str:
        return self._args.database_name

    @property
    def peer(self) -> Peer:
        """The path a user of the database opens: its group, on its port."""
        return Peer("postgres", self.security_group_id, (self._args.port,))

    def binding(
        self, *, dialect: Literal["jdbc", "uri"] = "uri", login: DatabaseLogin | None = None
    ) -> Binding:
        """What a service that uses the database gets: where it is (`DATABASE_*`), its login's
        password as a secret, and the path to its port. `login`: the service's own login (the
        stack gives every service one); without it, the master user and its RDS-managed
        secret, for programs that create no logins. `dialect` picks `DATABASE_URL`: JDBC for
        the JVM, a libpq URI for everything else."""
        args = self._args
        database = (login.database if login else None) or args.database_name
        password = (
            login.password_value_from
            if login is not None
            else secret_json_key(self.master_secret_arn, "password")
        )
        return database_binding(
            address=self.address,
            port=args.port,
            database=database,
            username=login.username if login is not None else args.username,
            password_value_from=password,
            security_group_id=self.security_group_id,
            dialect=dialect,
            schema=login.schema if login is not None else None,
        )

    def _monitoring_role(
        self, name: str, args: DatabaseArgs, tags: dict, child: pulumi.ResourceOptions
    ) -> iam.Role | None:
        if args.monitoring_interval == 0:
            return None
        region = self._region
        role = service_role(
            f"{name}-monitoring-role",
            description=f"{args.identifier}: RDS enhanced monitoring publishes OS metrics",
            trust=lambda acct: rds_monitoring_trust(acct, region, args.identifier),
            tags=tags,
            permissions_boundary=args.permissions_boundary,
            opts=child,
        )
        iam.RolePolicyAttachment(
            f"{name}-monitoring-policy",
            role=role.name,
            policy_arn=ENHANCED_MONITORING_POLICY_ARN,
            opts=pulumi.ResourceOptions(parent=role),
        )
        return role


def _first_secret_arn(secrets) -> str:
    """ARN of the master user secret RDS manages (one per instance)."""
    if not secrets:
        raise ValueError("RDS returned no master user secret; manage_master_user_password is off")
    return secrets[0].secret_arn
