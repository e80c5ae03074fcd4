"""Valkey or Redis OSS on ElastiCache, from its own arguments.

Creates the cache's own security group (no rule: each service that uses the cache opens its
path to it, see `binding()`) and either
- a replication group (`engine` valkey or redis) in its own subnet group on the private subnets
  (never the `default` group), encrypted at rest and in transit with an AUTH token; with 2 nodes
  or more it fails over automatically across AZs; or
- an ElastiCache Serverless cache (`serverless`, Valkey only) on the private subnets: no nodes
  to size, billed for the data it holds (100 MB minimum) and the requests it serves, always
  encrypted, spread over the subnets' AZs; access through a user group with the disabled
  `default` user and one password user, `app` (serverless caches take no AUTH token), and
  clients in cluster mode (`REDIS_CLUSTER_MODE`).
With snapshots on it keeps daily snapshots (final one included for a replication group).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_random as random
from pulumi_aws import ec2, elasticache

from ..bindings import Binding, Peer

SNAPSHOT_WINDOW = "01:00-02:00"
MAINTENANCE_WINDOW = "sun:04:30-sun:05:30"


APP_USER = "app"
"""The user the services authenticate as on a serverless cache (the AUTH token is its password)."""
SERVERLESS_PORT = 6379


def parameter_group_family(engine_version: str, engine: str = "redis") -> str:
    """`default.redis7` for Redis 7.x (6.x uses `default.redis6.x`), `default.valkey8` for
    Valkey 8.x."""
    major = engine_version.split(".", 1)[0]
    if engine == "valkey":
        return f"default.valkey{major}"
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
    engine: Literal["valkey", "redis"] = "valkey"
    engine_version: str = "8.0"
    serverless: bool = False
    """ElastiCache Serverless (Valkey only): `node_type` and `nodes` do not apply."""
    serverless_max_data_gb: int = 1
    """The most data a serverless cache may hold (its bill's ceiling)."""
    serverless_max_ecpu_per_second: int = 5000
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
        if args.serverless and args.engine != "valkey":
            raise ValueError(f"{name}: serverless is built for Valkey (Redis OSS bills 1 GB)")
        super().__init__("accessweaver:cache:Cache", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = {**args.tags, "Service": "redis"}
        self._args = args
        failover = args.nodes >= 2

        group = ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"{args.replication_group_id}: from the services that use it only",
            tags={**tags, "Name": args.replication_group_id},
            opts=child,
        )
        snapshots = args.snapshot_retention_days > 0
        if args.serverless:
            self._serverless(name, args, group, tags)
            return
        subnets = elasticache.SubnetGroup(
            f"{name}-subnets",
            description=f"{args.replication_group_id}: private subnets",
            subnet_ids=args.subnet_ids,
            tags=tags,
            opts=child,
        )
        redis = elasticache.ReplicationGroup(
            f"{name}-redis",
            replication_group_id=args.replication_group_id,
            description=f"{args.replication_group_id} {args.engine.capitalize()}",
            engine=args.engine,
            engine_version=args.engine_version,
            parameter_group_name=parameter_group_family(args.engine_version, args.engine),
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

    def _serverless(
        self,
        name: str,
        args: CacheArgs,
        group: ec2.SecurityGroup,
        tags: Mapping[str, str],
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        # A user group must hold a user named `default` (AWS::ElastiCache::UserGroup, UserIds);
        # a Valkey group takes password or IAM users only. This one is switched off and its
        # password, generated here, is kept nowhere but Pulumi's encrypted state.
        default_password = random.RandomPassword(
            f"{name}-default-user-password", length=32, special=False, opts=child
        )
        default_user = elasticache.User(
            f"{name}-default-user",
            user_id=f"{args.replication_group_id}-default",
            user_name="default",
            engine="valkey",
            access_string="off -@all",
            authentication_mode={
                "type": "password",
                "passwords": [pulumi.Output.secret(default_password.result)],
            },
            tags=dict(tags),
            opts=child,
        )
        user = elasticache.User(
            f"{name}-user",
            user_id=f"{args.replication_group_id}-{APP_USER}",
            user_name=APP_USER,
            engine="valkey",
            # The services' one user: every command on every key (the cache is theirs alone;
            # who may connect is the security group's graph).
            access_string="on ~* &* +@all",
            authentication_mode={
                "type": "password",
                "passwords": [pulumi.Output.secret(args.auth_token)],
            },
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        users = elasticache.UserGroup(
            f"{name}-users",
            user_group_id=f"{args.replication_group_id}-users",
            engine="valkey",
            user_ids=[default_user.user_id, user.user_id],
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        cache = elasticache.ServerlessCache(
            f"{name}-serverless",
            name=args.replication_group_id,
            description=f"{args.replication_group_id} Valkey (serverless)",
            engine="valkey",
            major_engine_version=args.engine_version.split(".", 1)[0],
            security_group_ids=[group.id],
            subnet_ids=args.subnet_ids,
            user_group_id=users.user_group_id,
            snapshot_retention_limit=args.snapshot_retention_days,
            daily_snapshot_time=SNAPSHOT_WINDOW.split("-")[0]
            if args.snapshot_retention_days
            else None,
            cache_usage_limits={
                "data_storage": {"maximum": args.serverless_max_data_gb, "unit": "GB"},
                "ecpu_per_seconds": [{"maximum": args.serverless_max_ecpu_per_second}],
            },
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        endpoint = cache.endpoints.apply(lambda points: points[0] if points else None)
        self.replication_group_id = cache.name
        self.primary_endpoint = endpoint.apply(lambda e: _field(e, "address"))
        self.port = pulumi.Output.from_input(SERVERLESS_PORT)
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
        token (a serverless cache: the app user's password, `REDIS_USERNAME`) as a secret,
        `REDIS_CLUSTER_MODE`, and the path to its port."""
        args = self._args
        port = SERVERLESS_PORT if args.serverless else args.port
        environment: dict[str, pulumi.Input[str]] = {
            "REDIS_HOST": self.primary_endpoint,
            "REDIS_PORT": str(port),
            # Serverless caches speak the cluster protocol: clients must use cluster mode.
            "REDIS_CLUSTER_MODE": "true" if args.serverless else "false",
        }
        if args.serverless:
            environment["REDIS_USERNAME"] = APP_USER
        return Binding(
            name="cache",
            environment=environment,
            secrets={"REDIS_AUTH_TOKEN": args.auth_token_secret_arn},
            peers=(Peer("redis", self.security_group_id, (port,)),),
        )


def _field(value: object, key: str) -> str:
    return value[key] if isinstance(value, dict) else getattr(value, key)  # type: ignore[index]
