"""Policy checks: ElastiCache Redis (ElastiCache.1-7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import (
    CACHE_CLUSTER,
    REPLICATION_GROUP,
    SERVERLESS_CACHE,
    _resource,
    get,
    items,
    number,
)
from .flags import Flag, flag_policy, flag_problems


def _standalone(props: Mapping[str, Any]) -> bool:
    """A cache cluster that is not a member of a replication group (which governs its members)."""
    return not get(props, "replicationGroupId")


@_resource(
    "elasticache-backups", ("ElastiCache.1",), "P",
    (REPLICATION_GROUP, CACHE_CLUSTER, SERVERLESS_CACHE),
    "Redis keeps automatic backups",
    "set snapshot_retention_limit to 1 or more (stack config cache.snapshotRetentionDays).",
)  # fmt: skip
def elasticache_backups(resource):
    props = resource.props
    if _standalone(props) and (number(get(props, "snapshotRetentionLimit")) or 0) < 1:
        yield "snapshot_retention_limit is 0: no automatic backup"


flag_policy(
    "elasticache-minor-upgrades", ("ElastiCache.2",), "A", (REPLICATION_GROUP, CACHE_CLUSTER),
    "Redis applies minor version upgrades automatically",
    "leave auto_minor_version_upgrade unset or True.",
    Flag("autoMinorVersionUpgrade", "auto_minor_version_upgrade", "not false"),
)  # fmt: skip


_FAILOVER = (
    Flag("automaticFailoverEnabled", "automatic_failover_enabled"),
    Flag("multiAzEnabled", "multi_az_enabled"),
)


@_resource(
    "elasticache-failover", ("ElastiCache.3",), "P", (REPLICATION_GROUP,),
    "Redis fails over automatically to a replica in another AZ",
    "set automatic_failover_enabled=True, multi_az_enabled=True and at least 2 nodes.",
)  # fmt: skip
def elasticache_failover(resource):
    props = resource.props
    yield from flag_problems(props, _FAILOVER)
    nodes = number(get(props, "numCacheClusters")) or (
        1 + (number(get(props, "replicasPerNodeGroup")) or 0)
    )
    if nodes < 2:
        yield f"{int(nodes)} node(s): nothing to fail over to"


flag_policy(
    "elasticache-encrypted-at-rest", ("ElastiCache.4",), "A", (REPLICATION_GROUP,),
    "Redis is encrypted at rest",
    "set at_rest_encryption_enabled=True.",
    Flag("atRestEncryptionEnabled", "at_rest_encryption_enabled"),
)  # fmt: skip


flag_policy(
    "elasticache-encrypted-in-transit", ("ElastiCache.5",), "A", (REPLICATION_GROUP,),
    "Redis is encrypted in transit",
    "set transit_encryption_enabled=True (clients connect with TLS).",
    Flag("transitEncryptionEnabled", "transit_encryption_enabled"),
)  # fmt: skip


@_resource(
    "elasticache-auth", ("ElastiCache.6",), "A", (REPLICATION_GROUP, SERVERLESS_CACHE),
    "Redis requires authentication",
    "set auth_token (from a generated secret) or user_group_ids (RBAC); a serverless cache: "
    "user_group_id.",
)  # fmt: skip
def elasticache_auth(resource):
    props = resource.props
    if resource.resource_type == SERVERLESS_CACHE:
        if not get(props, "userGroupId"):
            yield "user_group_id is not set: any client on the network may connect"
    elif not get(props, "authToken") and not items(get(props, "userGroupIds")):
        yield "neither auth_token nor user_group_ids is set"


@_resource(
    "elasticache-own-subnet-group", ("ElastiCache.7",), "A", (REPLICATION_GROUP, CACHE_CLUSTER),
    "Redis runs in its own subnet group, not the default one",
    "create an elasticache.SubnetGroup over the private subnets and set subnet_group_name.",
)  # fmt: skip
def elasticache_subnet_group(resource):
    props = resource.props
    if _standalone(props) and get(props, "subnetGroupName", default="default") == "default":
        yield "subnet_group_name is the default group"
