"""Policy checks: RDS databases (RDS.*, SecretsManager.1 for the master password)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import (
    DB_CLUSTER,
    DB_CLUSTER_PARAMETER_GROUP,
    DB_INSTANCE,
    DB_PARAMETER_GROUP,
    _resource,
    _stack,
    depends_on,
    get,
    is_true,
    items,
    number,
    of_type,
)
from .flags import Flag, flag_policy

# ---------------------------------------------------------------------------------------------
# RDS
# ---------------------------------------------------------------------------------------------

_DATABASES = (DB_INSTANCE, DB_CLUSTER)
_DEFAULT_PORTS = {"postgres": 5432, "aurora-postgresql": 5432, "mysql": 3306, "mariadb": 3306,
                  "aurora-mysql": 3306}  # fmt: skip


def _engine(props: Mapping[str, Any]) -> str:
    return str(get(props, "engine", default=""))


def _postgres(props: Mapping[str, Any]) -> bool:
    return "postgres" in _engine(props)


def _replica(props: Mapping[str, Any]) -> bool:
    return bool(get(props, "replicateSourceDb"))


flag_policy(
    "rds-not-public", ("RDS.2",), "A", (DB_INSTANCE,),
    "DB instances are not publicly accessible",
    "set publicly_accessible=False and place the instance in private subnets.",
    Flag("publiclyAccessible", "publicly_accessible", "not true"),
)  # fmt: skip


flag_policy(
    "rds-encrypted", ("RDS.3", "RDS.4"), "A", _DATABASES,
    "database storage, and so its snapshots, is encrypted at rest",
    "set storage_encrypted=True (a KMS key is optional).",
    Flag("storageEncrypted", "storage_encrypted", consequence="data and snapshots are unencrypted"),
)  # fmt: skip


flag_policy(
    "rds-multi-az", ("RDS.5",), "P", (DB_INSTANCE,),
    "DB instances are Multi-AZ",
    "set multi_az=True (stack config database.multiAz).",
    Flag("multiAz", "multi_az"),
)  # fmt: skip


flag_policy(
    "rds-deletion-protection", ("RDS.8",), "P", _DATABASES,
    "databases have deletion protection",
    "set deletion_protection=True.",
    Flag("deletionProtection", "deletion_protection"),
)  # fmt: skip


@_resource(
    "rds-enhanced-monitoring", ("RDS.6",), "P", (DB_INSTANCE,),
    "DB instances have enhanced monitoring",
    "set monitoring_interval (1-60 s) and monitoring_role_arn.",
)  # fmt: skip
def rds_monitoring(resource):
    props = resource.props
    interval = number(get(props, "monitoringInterval")) or 0
    if interval <= 0:
        yield "monitoring_interval is 0: enhanced monitoring is off"
    elif not get(props, "monitoringRoleArn"):
        yield "monitoring_interval is set without a monitoring_role_arn"


@_resource(
    "rds-logs-exported", ("RDS.9",), "A", _DATABASES,
    "PostgreSQL logs (postgresql, upgrade) are exported to CloudWatch Logs",
    "set enabled_cloudwatch_logs_exports=['postgresql', 'upgrade'].",
)  # fmt: skip
def rds_logs(resource):
    props = resource.props
    if not _postgres(props):
        return
    exported = set(items(get(props, "enabledCloudwatchLogsExports")))
    needed = {"postgresql"} if "aurora" in _engine(props) else {"postgresql", "upgrade"}
    missing = sorted(needed - exported)
    if missing:
        yield f"logs not exported: {', '.join(missing)}"


flag_policy(
    "rds-iam-authentication", ("RDS.10",), "A", _DATABASES,
    "IAM database authentication is on",
    "set iam_database_authentication_enabled=True.",
    Flag("iamDatabaseAuthenticationEnabled", "iam_database_authentication_enabled"),
)  # fmt: skip


@_resource(
    "rds-backups-7-days", ("RDS.11",), "A", _DATABASES,
    "automated backups are kept for at least 7 days",
    "set backup_retention_period to 7 or more.",
)  # fmt: skip
def rds_backups(resource):
    props = resource.props
    if _replica(props):
        return
    days = number(get(props, "backupRetentionPeriod"))
    if days is None or days < 7:
        yield f"backup_retention_period is {int(days) if days is not None else 'not set'}"


flag_policy(
    "rds-minor-version-upgrades", ("RDS.13",), "A", _DATABASES,
    "automatic minor version upgrades are on",
    "leave auto_minor_version_upgrade unset or True.",
    Flag("autoMinorVersionUpgrade", "auto_minor_version_upgrade", "not false"),
)  # fmt: skip


flag_policy(
    "rds-copy-tags-to-snapshots", ("RDS.17",), "A", _DATABASES,
    "tags are copied to snapshots",
    "set copy_tags_to_snapshot=True.",
    Flag("copyTagsToSnapshot", "copy_tags_to_snapshot"),
)  # fmt: skip


@_resource(
    "rds-non-default-port", ("RDS.23",), "A", _DATABASES,
    "databases do not listen on the engine's default port",
    "set port to another value than 5432 (stack config database.port) and open that port in "
    "the security groups.",
)  # fmt: skip
def rds_port(resource):
    props = resource.props
    default = _DEFAULT_PORTS.get(_engine(props))
    port = number(get(props, "port"))
    if default is not None and (port is None or int(port) == default):
        yield f"port is {default} (the {_engine(props)} default)"


_DEFAULT_ADMINS = {"postgres", "admin", "root", "master", "rdsadmin"}


@_resource(
    "rds-custom-admin-name", ("RDS.25",), "A", _DATABASES,
    "databases use a custom administrator name",
    "set username (master_username) to a name other than postgres or admin.",
)  # fmt: skip
def rds_admin_name(resource):
    props = resource.props
    user = get(props, "username") or get(props, "masterUsername")
    if user is not None and str(user).lower() in _DEFAULT_ADMINS:
        yield f"the administrator is named {user!r}"


@_stack(
    "rds-force-ssl", ("RDS.38*",), "A",
    "PostgreSQL databases use a parameter group of the stack with rds.force_ssl=1",
    "create an rds.ParameterGroup with parameter rds.force_ssl=1 and set parameter_group_name.",
)  # fmt: skip
def rds_force_ssl(resources):
    groups = of_type(resources, (DB_PARAMETER_GROUP, DB_CLUSTER_PARAMETER_GROUP))

    def forces_ssl(group: Any) -> bool:
        return any(
            get(p, "name") == "rds.force_ssl" and str(get(p, "value")) == "1"
            for p in items(get(group.props, "parameters"))
        )

    for group in groups:
        if "postgres" in str(get(group.props, "family", default="")) and not forces_ssl(group):
            yield group, "the PostgreSQL parameter group does not set rds.force_ssl=1"
    for database in of_type(resources, _DATABASES):
        if not _postgres(database.props):
            continue
        key = "parameterGroupName" if database.resource_type == DB_INSTANCE else (
            "dbClusterParameterGroupName"
        )  # fmt: skip
        if not get(database.props, key):
            yield database, f"{key} is not set: the default group does not force TLS"
        elif not any(depends_on(database, g) for g in groups):
            yield database, f"{key} names a group this stack does not define (cannot show TLS)"


@_resource(
    "rds-managed-master-password", ("SecretsManager.1",), "A", _DATABASES,
    "the master password is managed and rotated by RDS in Secrets Manager",
    "set manage_master_user_password=True and remove password.",
)  # fmt: skip
def rds_managed_password(resource):
    props = resource.props
    if _replica(props):
        return
    if not is_true(get(props, "manageMasterUserPassword")):
        yield "manage_master_user_password is not true"
    if get(props, "password") or get(props, "masterPassword"):
        yield "a master password is set in the program"
