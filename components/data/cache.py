"""Redis on ElastiCache, from its own arguments.

Creates: a cache subnet group on the private subnets (never the `default` group), the cache's
own security group (no rule: each service that uses the cache opens its path to it, see
`binding()`) and a replication group encrypted at rest and in transit with an AUTH token. With 2
nodes or more it fails over automatically across AZs; with snapshots on it keeps daily
snapshots (final one included).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_aws import ec2, elasticache

from ..bindings import Binding, Peer

SNAPSHOT_WINDOW = "01:00-02:00"
MAINTENANCE_WINDOW = "sun:04:30-sun:05:30"


def parameter_group_family(engine_version: str) -> str:
    """`default.redis7` for 7.x; 6.x uses `default.redis6.x`."""
    major = engine_version.split(".", 1)[0]
    return f"default.redis{major}" if int(major) >= 7 else f"default.redis{major}.x"


@dataclass(frozen=True)
class CacheArgs:
    replication_group_id: str
    """Stable name; its nodes are `<id>-001`, `<id>-002`, ... (ElastiCache naming)."""
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[str]]
    auth_token: pulumi.Input[str]
    """The AUTH token value (a Pulumi secret): ElastiCache needs the value itself."""
    auth_token_secret_arn: pulumi.Input[str]
    """Where the tasks read the same token from (Secrets Manager)."""
    engine_version: str = "7.1"
    node_type: str = "cache.t4g.micro"
    nodes: int = 2
    """Primary + replicas; 2 or more fail over automatically."""
    port: int = 6379
    snapshot_retention_days: int = 1
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


class Cache(pulumi.ComponentResource):
    replication_group_id: pulumi.Output[str]
    primary_endpoint: pulumi.Output[str]
    port: pulumi.Output[int]
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None):
        if not 1 <= args.nodes <= 6:
            raise ValueError(f"{name}: 1 to 6 nodes")
        super().__init__("accessweaver:cache:Cache", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = {**args.tags, "Service": "redis"}
        self._args = args
        failover = args.nodes >= 2

        subnets = elasticache.SubnetGroup(
            f"{name}-subnets",
            description=f"{args.replication_group_id}: private subnets",
            subnet_ids=args.subnet_ids,
            tags=tags,
            opts=child,
        )
        group = ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"{args.replication_group_id}: from the services that use it only",
            tags={**tags, "Name": args.replication_group_id},
            opts=child,
        )
        snapshots = args.snapshot_retention_days > 0
        redis = elasticache.ReplicationGroup(
            f"{name}-redis",
            replication_group_id=args.replication_group_id,
            description=f"{args.replication_group_id} Redis",
            engine="redis",
            engine_version=args.engine_version,
            parameter_group_name=parameter_group_family(args.engine_version),
            node_type=args.node_type,
            num_cache_clusters=args.nodes,
            port=args.port,
            subnet_group_name=subnets.name,
            security_group_ids=[group.id],
            at_rest_encryption_enabled=True,
            transit_encryption_enabled=True,
            auth_token=pulumi.Output.secret(args.auth_token),
            automatic_failover_enabled=failover,
            multi_az_enabled=failover,
            snapshot_retention_limit=args.snapshot_retention_days,
            snapshot_window=SNAPSHOT_WINDOW if snapshots else None,
            final_snapshot_identifier=(f"{args.replication_group_id}-final" if snapshots else None),
            maintenance_window=MAINTENANCE_WINDOW,
            auto_minor_version_upgrade=True,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

        self.replication_group_id = redis.replication_group_id
        self.primary_endpoint = redis.primary_endpoint_address
        self.port = redis.port
        self.security_group_id = group.id
        self.register_outputs(
            {
                "replication_group_id": self.replication_group_id,
                "primary_endpoint": self.primary_endpoint,
                "port": self.port,
                "security_group_id": self.security_group_id,
            }
        )

    def binding(self) -> Binding:
        """What a service that uses the cache gets: `REDIS_HOST`/`REDIS_PORT` (TLS), the AUTH
        token as a secret, and the path to its port."""
        port = self._args.port
        return Binding(
            name="cache",
            environment={"REDIS_HOST": self.primary_endpoint, "REDIS_PORT": str(port)},
            secrets={"REDIS_AUTH_TOKEN": self._args.auth_token_secret_arn},
            peers=(Peer("redis", self.security_group_id, (port,)),),
        )
