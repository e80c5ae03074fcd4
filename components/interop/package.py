"""The package's components: typed inputs in, the Python components built from them.

No `from __future__ import annotations` here nor in the modules below: the package schema is
read from the classes' annotations at run time (`pulumi.provider.experimental` analyzes them),
and the docstring under each field is its description in every language. Inputs arrive as dicts
(snake_case keys, numbers possibly as floats) when the provider constructs a component for
another language; a Python program may pass the same dicts.

The classes live by domain (`cluster.py`, `microservice.py`, `data.py`, `load_balancers.py`,
what they share in `wrapping.py`); this module names them all, as `package/__main__.py` and
programs import them, and lists the components the provider hosts.
"""

import pulumi

from .cluster import ContainerInsights, EcsCluster, EcsClusterArgs_
from .data import (
    Cache,
    CacheArgs_,
    CacheEngine,
    Database,
    DatabaseArgs_,
    DocumentStore,
    DocumentStoreArgs_,
    WorkQueue,
    WorkQueueArgs_,
)
from .load_balancers import (
    ROUTE_PRIORITY_START,
    ROUTE_PRIORITY_STEP,
    LoadBalancer,
    LoadBalancerArgs_,
    LoadBalancerRoute,
    NetworkLoadBalancer,
    NetworkLoadBalancerArgs_,
    NetworkLoadBalancerListener,
    TcpProtocol,
)
from .microservice import (
    BucketAccess,
    BucketGrant,
    CpuArchitecture,
    DatabaseDialect,
    DatabaseGrant,
    Microservice,
    MicroserviceArgs_,
    QueueAccess,
    QueueGrant,
    ServicePeer,
)
from .wrapping import PACKAGE, VERSION

__all__ = [
    "COMPONENTS",
    "PACKAGE",
    "ROUTE_PRIORITY_START",
    "ROUTE_PRIORITY_STEP",
    "VERSION",
    "BucketAccess",
    "BucketGrant",
    "Cache",
    "CacheArgs_",
    "CacheEngine",
    "ContainerInsights",
    "CpuArchitecture",
    "Database",
    "DatabaseArgs_",
    "DatabaseDialect",
    "DatabaseGrant",
    "DocumentStore",
    "DocumentStoreArgs_",
    "EcsCluster",
    "EcsClusterArgs_",
    "LoadBalancer",
    "LoadBalancerArgs_",
    "LoadBalancerRoute",
    "Microservice",
    "MicroserviceArgs_",
    "NetworkLoadBalancer",
    "NetworkLoadBalancerArgs_",
    "NetworkLoadBalancerListener",
    "QueueAccess",
    "QueueGrant",
    "ServicePeer",
    "TcpProtocol",
    "WorkQueue",
    "WorkQueueArgs_",
]

COMPONENTS: tuple[type[pulumi.ComponentResource], ...] = (
    EcsCluster,
    Microservice,
    LoadBalancer,
    NetworkLoadBalancer,
    Database,
    Cache,
    DocumentStore,
    WorkQueue,
)
