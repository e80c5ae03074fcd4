"""What the stack pays for besides Fargate, counted from the resources it registers.

`inventory_from_resources` reads `(type, inputs)` pairs with camelCase input names: the offline
engine's recorded plan, or what `recorder.ResourceRecorder` observes while the program runs. It
depends only on AWS resource types and their documented inputs, never on how a component
builds them, so a new platform component is priced as soon as it registers a priced type.

Inputs whose value is only known after deployment (a subnet list produced by a VPC the stack
creates) may be None here; each reader then falls back to a stated default (the VPC's AZ count).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

VPC = "awsx:ec2:Vpc"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
RDS_INSTANCE = "aws:rds/instance:Instance"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE_CLUSTER = "aws:elasticache/cluster:Cluster"
SERVERLESS_CACHE = "aws:elasticache/serverlessCache:ServerlessCache"
SECRET = "aws:secretsmanager/secret:Secret"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
EXPERIMENT_TEMPLATE = "aws:fis/experimentTemplate:ExperimentTemplate"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
REPOSITORY = "aws:ecr/repository:Repository"
KMS_KEY = "aws:kms/key:Key"

# Types with a price of their own that this inventory does not model: listed so an estimate
# says what it left out instead of silently reading low.
UNPRICED_TYPES = {
    "aws:rds/cluster:Cluster": "Aurora cluster",
    "aws:rds/clusterInstance:ClusterInstance": "Aurora instance",
    "aws:ec2/instance:Instance": "EC2 instance",
    "aws:efs/fileSystem:FileSystem": "EFS file system",
    "aws:ec2/transitGateway:TransitGateway": "Transit gateway",
    "aws:cloudwatch/dashboard:Dashboard": "CloudWatch dashboard (3 free, then $3/month)",
    "aws:route53/zone:Zone": "Route 53 hosted zone ($0.50/month)",
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": (
        "Cloud Map namespace (a Route 53 private hosted zone, $0.50/month, plus DNS queries)"
    ),
}

_NAT_PER_STRATEGY = {"none": 0, "single": 1}  # "onePerAz": one per AZ


class Resource(Protocol):
    type: str
    inputs: Mapping[str, Any]


@dataclass(frozen=True)
class LogGroup:
    name: str | None
    retention_days: int | None
    """None = never expire."""


@dataclass(frozen=True)
class Database:
    name: str
    instance_class: str
    multi_az: bool
    storage_gb: float
    managed_password: bool


@dataclass(frozen=True)
class CacheNodes:
    name: str
    node_type: str
    nodes: int
    engine: str = "redis"


@dataclass(frozen=True)
class ServerlessCache:
    name: str
    engine: str
    max_data_gb: float | None
    """The cache's data storage ceiling (`cache_usage_limits`), None when unlimited."""


@dataclass(frozen=True)
class Inventory:
    """Counts and sizes of the priced things a stack registers (beyond Fargate tasks)."""

    availability_zones: int | None = None
    """AZs of the VPC the stack creates; None on an existing VPC."""
    nat_gateways: int = 0
    interface_endpoints: tuple[tuple[str, int], ...] = ()
    """(resource name, AZs it has a network interface in)."""
    load_balancers: tuple[tuple[str, int], ...] = ()
    """Application Load Balancers: (resource name, public IPv4 addresses: one per AZ when
    internet-facing, none when internal)."""
    network_load_balancers: tuple[tuple[str, int], ...] = ()
    """Network Load Balancers, likewise."""
    web_acls: tuple[tuple[str, int], ...] = ()
    """(resource name, rules)."""
    databases: tuple[Database, ...] = ()
    caches: tuple[CacheNodes, ...] = ()
    serverless_caches: tuple[ServerlessCache, ...] = ()
    secrets: int = 0
    elastic_ips: int = 0
    log_groups: tuple[LogGroup, ...] = ()
    alarm_metrics: int = 0
    composite_alarms: int = 0
    experiment_actions: tuple[tuple[str, int], ...] = ()
    """(FIS experiment template, its actions): free at rest, billed per action-minute run."""
    buckets: int = 0
    repositories: int = 0
    repository_names: tuple[str, ...] = ()
    kms_keys: int = 0
    unpriced: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


def _number(value: Any, default: float | None = None) -> float | None:
    if isinstance(value, bool) or value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _known_list(value: Any) -> list | None:
    """The list, or None when it is unknown (an output of another resource)."""
    if isinstance(value, (list, tuple)) and all(v is not None for v in value):
        return list(value)
    return None


def _nat_strategy(inputs: Mapping[str, Any]) -> str:
    nat = inputs.get("natGateways") or {}
    strategy = nat.get("strategy") if isinstance(nat, Mapping) else None
    # awsx's default when natGateways is not given is one per AZ.
    return str(strategy or "OnePerAz").lower().replace("_", "")


def _alarm_metrics(inputs: Mapping[str, Any]) -> int:
    queries = inputs.get("metricQueries")
    if isinstance(queries, list) and queries:
        # A metric-math alarm is billed per metric it reads, not per expression.
        return max(1, sum(1 for q in queries if isinstance(q, Mapping) and q.get("metric")))
    return 1


@dataclass
class _Found:
    """What `inventory_from_resources` has read so far, in the order the resources come: one
    reader per priced type adds to it."""

    fallback_azs: int
    """AZs of a resource whose subnets are not known yet: the VPC's, else 2."""
    endpoints: list[tuple[str, int]] = field(default_factory=list)
    load_balancers: list[tuple[str, int]] = field(default_factory=list)
    network_load_balancers: list[tuple[str, int]] = field(default_factory=list)
    web_acls: list[tuple[str, int]] = field(default_factory=list)
    databases: list[Database] = field(default_factory=list)
    caches: list[CacheNodes] = field(default_factory=list)
    serverless: list[ServerlessCache] = field(default_factory=list)
    log_groups: list[LogGroup] = field(default_factory=list)
    unpriced: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def endpoint(self, name: str, inputs: Mapping[str, Any]) -> None:
        """An interface endpoint, priced per AZ it sits in (gateway endpoints are free)."""
        if str(inputs.get("vpcEndpointType") or "Gateway") == "Interface":
            subnets = _known_list(inputs.get("subnetIds"))
            self.endpoints.append((name, len(subnets) if subnets else self.fallback_azs))

    def load_balancer(self, name: str, inputs: Mapping[str, Any]) -> None:
        """An ALB or NLB with its public addresses (none when internal); a gateway load
        balancer is not priced."""
        kind = str(inputs.get("loadBalancerType") or "application")
        if kind not in ("application", "network"):
            self.unpriced.append(f"{name}: {kind} load balancer")
            return
        subnets = _known_list(inputs.get("subnets"))
        public = 0 if inputs.get("internal") else (len(subnets) if subnets else self.fallback_azs)
        (self.load_balancers if kind == "application" else self.network_load_balancers).append(
            (name, public)
        )

    def web_acl(self, name: str, inputs: Mapping[str, Any]) -> None:
        rules = inputs.get("rules")
        self.web_acls.append((name, len(rules) if isinstance(rules, list) else 0))

    def database(self, name: str, inputs: Mapping[str, Any]) -> None:
        """An RDS instance, priced as RDS for PostgreSQL (a note says when it is not)."""
        engine = str(inputs.get("engine") or "postgres")
        if "postgres" not in engine:
            self.notes.append(f"{name}: engine {engine} priced as RDS for PostgreSQL")
        if inputs.get("replicateSourceDb"):
            self.notes.append(f"{name}: read replica priced as a full instance")
        self.databases.append(
            Database(
                name=name,
                instance_class=str(inputs.get("instanceClass")),
                multi_az=bool(inputs.get("multiAz")),
                storage_gb=_number(inputs.get("allocatedStorage"), 20) or 20,
                managed_password=bool(inputs.get("manageMasterUserPassword")),
            )
        )

    def replication_group(self, name: str, inputs: Mapping[str, Any]) -> None:
        """ElastiCache nodes: its cache clusters, else node groups x (replicas + 1)."""
        nodes = _number(inputs.get("numCacheClusters"))
        if nodes is None:
            groups = _number(inputs.get("numNodeGroups"), 1) or 1
            replicas = _number(inputs.get("replicasPerNodeGroup"), 0) or 0
            nodes = groups * (replicas + 1)
        engine = str(inputs.get("engine") or "redis")
        self.caches.append(CacheNodes(name, str(inputs.get("nodeType")), int(nodes), engine))

    def cache_cluster(self, name: str, inputs: Mapping[str, Any]) -> None:
        """A cache cluster of its own (one of a replication group is counted with the group)."""
        if not inputs.get("replicationGroupId"):
            nodes = int(_number(inputs.get("numCacheNodes"), 1) or 1)
            engine = str(inputs.get("engine") or "redis")
            self.caches.append(CacheNodes(name, str(inputs.get("nodeType")), nodes, engine))

    def serverless_cache(self, name: str, inputs: Mapping[str, Any]) -> None:
        limits = inputs.get("cacheUsageLimits")
        storage = limits.get("dataStorage") if isinstance(limits, dict) else None
        maximum = _number(storage.get("maximum")) if isinstance(storage, dict) else None
        self.serverless.append(ServerlessCache(name, str(inputs.get("engine")), maximum))

    def log_group(self, name: str, inputs: Mapping[str, Any]) -> None:
        retention = _number(inputs.get("retentionInDays"))
        self.log_groups.append(
            LogGroup(
                name=inputs.get("name") if isinstance(inputs.get("name"), str) else None,
                retention_days=int(retention) if retention else None,
            )
        )


_READERS: dict[str, Callable[[_Found, str, Mapping[str, Any]], None]] = {
    VPC_ENDPOINT: _Found.endpoint,
    LOAD_BALANCER: _Found.load_balancer,
    WEB_ACL: _Found.web_acl,
    RDS_INSTANCE: _Found.database,
    REPLICATION_GROUP: _Found.replication_group,
    CACHE_CLUSTER: _Found.cache_cluster,
    SERVERLESS_CACHE: _Found.serverless_cache,
    LOG_GROUP: _Found.log_group,
}
"""The reader of each priced type whose size matters (the others are counted)."""


def _zones_and_nat_gateways(items: list[tuple[str, dict[str, Any]]]) -> tuple[int | None, int]:
    """(AZs of the VPCs the stack creates, None without one; NAT gateways: each VPC's by its
    strategy, plus those registered on their own)."""
    azs: int | None = None
    nat = 0
    for type_, inputs in items:
        if type_ != VPC:
            continue
        vpc_azs = int(_number(inputs.get("numberOfAvailabilityZones"), 3) or 3)
        azs = max(azs or 0, vpc_azs)
        strategy = _nat_strategy(inputs)
        nat += _NAT_PER_STRATEGY.get(strategy, vpc_azs)
    nat += _count(items, NAT_GATEWAY)
    return azs, nat


def _count(items: list[tuple[str, dict[str, Any]]], *types: str) -> int:
    """How many of `items` are of one of `types`."""
    return sum(1 for type_, _ in items if type_ in types)


def inventory_from_resources(resources: Iterable[Resource]) -> Inventory:
    """Count what is priced; see the module docstring for where `resources` come from."""
    resources = list(resources)
    items = [(r.type, dict(r.inputs or {})) for r in resources]
    azs, nat = _zones_and_nat_gateways(items)
    found = _Found(fallback_azs=azs or 2)
    names = [
        getattr(resource, "name", type_)
        for (type_, _), resource in zip(items, resources, strict=True)
    ]
    for (type_, inputs), name in zip(items, names, strict=True):
        reader = _READERS.get(type_)
        if reader is not None:
            reader(found, name, inputs)
        elif type_ in UNPRICED_TYPES:
            found.unpriced.append(f"{name}: {UNPRICED_TYPES[type_]}")

    return Inventory(
        availability_zones=azs,
        nat_gateways=nat,
        interface_endpoints=tuple(found.endpoints),
        load_balancers=tuple(found.load_balancers),
        network_load_balancers=tuple(found.network_load_balancers),
        web_acls=tuple(found.web_acls),
        databases=tuple(found.databases),
        caches=tuple(found.caches),
        serverless_caches=tuple(found.serverless),
        secrets=_count(items, SECRET),
        # awsx allocates one EIP per NAT gateway inside the component (counted with the NATs).
        elastic_ips=_count(items, EIP),
        log_groups=tuple(found.log_groups),
        alarm_metrics=sum(_alarm_metrics(i) for type_, i in items if type_ == METRIC_ALARM),
        composite_alarms=_count(items, COMPOSITE_ALARM),
        experiment_actions=tuple(
            (name, len(inputs.get("actions") or []))
            for (type_, inputs), name in zip(items, names, strict=True)
            if type_ == EXPERIMENT_TEMPLATE
        ),
        buckets=_count(items, *BUCKETS),
        repositories=_count(items, REPOSITORY),
        repository_names=tuple(
            str(i.get("name")) for type_, i in items if type_ == REPOSITORY and i.get("name")
        ),
        kms_keys=_count(items, KMS_KEY),
        unpriced=tuple(found.unpriced),
        notes=tuple(found.notes),
    )
