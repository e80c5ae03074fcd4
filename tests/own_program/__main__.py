"""A shop's own program on the components: an existing VPC, a cluster, an HTTP service and a
worker that calls it. No AccessWeaver stack config, no `estimated_monthly_cost` output."""

import pulumi

from accessweaver_components.compute.cluster import EcsCluster, EcsClusterArgs
from accessweaver_components.compute.containers import CommandHealthCheck, ContainerArgs
from accessweaver_components.compute.microservice import Microservice, MicroserviceArgs, ScalingArgs

config = pulumi.Config()
vpc_id = config.require("vpcId")
subnet_ids = config.require_object("subnetIds")
registry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop"
stack = pulumi.get_stack()

cluster = EcsCluster(
    "shop",
    EcsClusterArgs(
        cluster_name=f"shop-{stack}", vpc_id=vpc_id, namespace_name=f"{stack}.shop.local"
    ),
)
tasks = config.get_int("ordersTasks") or 1
orders = Microservice(
    "orders",
    MicroserviceArgs(
        cluster=cluster.ref,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        container=ContainerArgs(image=f"{registry}/orders:1.4.2", port=8080),
        cpu=512,
        memory=1024,
        desired_count=tasks,
        scaling=ScalingArgs(min_capacity=tasks, max_capacity=6),
        spot_percentage=50,
    ),
)
mailer = Microservice(
    "mailer",
    MicroserviceArgs(
        cluster=cluster.ref,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        container=ContainerArgs(
            image=f"{registry}/mailer:0.9.0",
            health_check=CommandHealthCheck(["CMD-SHELL", "test -f /tmp/alive"]),
        ),
        bindings=[orders.binding()],
    ),
)
pulumi.export("orders_dns", orders.internal_dns_name)
