"""PostgreSQL on RDS for the services and Keycloak (`database.enabled`).

Creates: a DB subnet group on the private subnets, the database's own security group (its only
ingress, from the services' group on `database.port`, is added by the cluster: see
`cluster.DataStorePeer`), a parameter group forcing TLS (`rds.force_ssl=1`), the log groups RDS
exports to (so they get a retention), and the instance: encrypted, private, IAM auth, backups,
final snapshot, AWS-managed master password (RDS keeps and rotates it in Secrets Manager, so the
program never sees it and no secret has to exist before the endpoint). Optional: the enhanced
monitoring role (staging and prod). Multi-AZ and deletion protection follow the environment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
from pulumi_aws import cloudwatch, ec2, iam, rds

from ..network.layout import NetworkRefs
from ..stack.settings import StackSettings

LOG_EXPORTS = ("postgresql", "upgrade")
ENHANCED_MONITORING_POLICY_ARN = (
    "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
)
BACKUP_WINDOW = "02:00-03:00"
MAINTENANCE_WINDOW = "sun:03:30-sun:04:30"


def jdbc_url(address: str, port: int, database: str) -> str:
    """What Spring Boot and Keycloak take as the database URL; TLS is required by the server."""
    return f"jdbc:postgresql://{address}:{port}/{database}?sslmode=require"


def exported_log_group(identifier: str, log: str) -> str:
    """The log group RDS writes an exported log to (created by the program with a retention)."""
    return f"/aws/rds/instance/{identifier}/{log}"


def monitoring_trust_policy() -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "monitoring.rds.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


@dataclass(frozen=True)
class DatabaseArgs:
    settings: StackSettings
    network: NetworkRefs


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
        super().__init__("accessweaver:database:Database", name, None, opts)
        settings = args.settings
        db = settings.platform.database
        if db is None:
            raise ValueError("Database needs settings.platform.database (database.enabled)")
        child = pulumi.ResourceOptions(parent=self)
        tags = {**settings.tags, "Service": "postgres"}

        subnets = rds.SubnetGroup(
            f"{name}-subnets",
            description=f"{settings.name_prefix} PostgreSQL: private subnets",
            subnet_ids=args.network.private_subnet_ids,
            tags=tags,
            opts=child,
        )
        group = ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.network.vpc_id,
            description=f"{settings.name_prefix} PostgreSQL: from the ECS services only",
            tags={**tags, "Name": f"{settings.name_prefix}-postgres"},
            opts=child,
        )
        parameters = rds.ParameterGroup(
            f"{name}-params",
            family=db.parameter_group_family,
            description=f"{settings.name_prefix} PostgreSQL: TLS only",
            parameters=[{"name": "rds.force_ssl", "value": "1", "apply_method": "immediate"}],
            tags=tags,
            opts=child,
        )
        # RDS would create these on first export with "never expire" (CloudWatch.16).
        log_groups = [
            cloudwatch.LogGroup(
                f"{name}-{log}-logs",
                name=exported_log_group(db.identifier, log),
                retention_in_days=settings.log_retention_days,
                tags=tags,
                opts=child,
            )
            for log in LOG_EXPORTS
        ]
        monitoring_role = self._monitoring_role(name, settings, tags, child)

        instance = rds.Instance(
            f"{name}-instance",
            identifier=db.identifier,
            engine="postgres",
            engine_version=db.engine_version,
            instance_class=db.instance_class,
            allocated_storage=db.allocated_storage,
            max_allocated_storage=db.max_allocated_storage,
            storage_type="gp3",
            storage_encrypted=True,
            db_name=db.database_name,
            username=db.username,
            manage_master_user_password=True,
            port=db.port,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[group.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            multi_az=db.multi_az,
            deletion_protection=db.deletion_protection,
            backup_retention_period=db.backup_retention_days,
            backup_window=BACKUP_WINDOW,
            maintenance_window=MAINTENANCE_WINDOW,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{db.identifier}-final",
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=False,
            iam_database_authentication_enabled=True,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            monitoring_interval=db.monitoring_interval,
            monitoring_role_arn=monitoring_role.arn if monitoring_role is not None else None,
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self, protect=settings.platform.protect, depends_on=log_groups
            ),
        )

        self._db_port = db.port
        self.identifier = instance.identifier
        self.address = instance.address
        self.port = instance.port
        self.endpoint = pulumi.Output.concat(instance.address, ":", str(db.port))
        self.security_group_id = group.id
        self.master_secret_arn = instance.master_user_secrets.apply(_first_secret_arn)
        self.jdbc_url = instance.address.apply(
            lambda address: jdbc_url(address, db.port, db.database_name)
        )
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

    def jdbc_url_for(self, database: str) -> pulumi.Output[str]:
        """The URL of another database on the same instance (Keycloak's, when set apart)."""
        port = self._db_port
        return self.address.apply(lambda address: jdbc_url(address, port, database))

    @staticmethod
    def _monitoring_role(
        name: str, settings: StackSettings, tags: dict, child: pulumi.ResourceOptions
    ) -> iam.Role | None:
        db = settings.platform.database
        if db is None or db.monitoring_interval == 0:
            return None
        role = iam.Role(
            f"{name}-monitoring-role",
            description=f"{settings.name_prefix}: RDS enhanced monitoring publishes OS metrics",
            assume_role_policy=json.dumps(monitoring_trust_policy()),
            tags=tags,
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
