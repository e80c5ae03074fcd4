"""A program of one's own on the AccessWeaver components: the way to start.

An `api` behind an ALB and a `worker` that works through a queue, on a VPC and an ECS cluster
that exist already (their ids are this stack's config). Both run an image pushed to an ECR
repository this program creates: the image is an Output of that repository. Every physical name
is scoped to the stack, so `dev` and `dev2` live side by side in one account and one cluster.

Nothing here is AccessWeaver's: only the installed components package (requirements.txt).
"""

import pulumi

from components.compute.cluster import ClusterRef
from components.compute.containers import CommandHealthCheck, ContainerArgs
from components.compute.microservice import Microservice, MicroserviceArgs
from components.compute.registry import ImageRegistry, RegistryArgs
from components.data.queue import WorkQueue, WorkQueueArgs
from components.edge.config import Route
from components.edge.load_balancer import LoadBalancer, LoadBalancerArgs

config = pulumi.Config()
prefix = f"{pulumi.get_project()}-{pulumi.get_stack()}"  # what the components' names start with
vpc_id = config.require("vpcId")
subnets: list[str] = config.require_object("privateSubnetIds")
cluster = ClusterRef(cluster_arn=config.require("clusterArn"),
                     cluster_name=config.require("clusterName"))  # fmt: skip

# The image: an ECR repository of this stack, the tag from config.
registry = ImageRegistry("images", RegistryArgs(repositories={"shop": f"{prefix}/shop"}))
tag = config.get("imageTag") or "1.0.0"
image = registry.repository_urls["shop"].apply(lambda url: f"{url}:{tag}")

# The api, behind an ALB in the public subnets, on its path.
edge = LoadBalancer(
    "edge",
    LoadBalancerArgs(
        vpc_id=vpc_id,
        subnet_ids=config.require_object("publicSubnetIds"),
        routes=[
            Route(
                service="api",
                port=8080,
                health_check_path="/health",
                path_patterns=("/api/*",),
                priority=100,
            )
        ],
    ),
)
jobs = WorkQueue("jobs", WorkQueueArgs(logical="jobs"))
api = Microservice(
    "api",
    MicroserviceArgs(
        cluster=cluster,
        vpc_id=vpc_id,
        subnet_ids=subnets,
        container=ContainerArgs(image=image, port=8080),
        load_balancer=edge.attachment("api"),
        bindings=[jobs.sender_binding()],  # JOBS_QUEUE_URL, sqs:SendMessage on it only
    ),
)

# The worker: consumes the queue.
worker = Microservice(
    "worker",
    MicroserviceArgs(
        cluster=cluster,
        vpc_id=vpc_id,
        subnet_ids=subnets,
        container=ContainerArgs(
            image=image,
            command=["python", "-m", "shop.worker"],
            health_check=CommandHealthCheck(["CMD-SHELL", "test -f /tmp/alive"]),
        ),
        bindings=[jobs.consumer_binding()],  # JOBS_QUEUE_URL, receive/delete on it only
    ),
)

pulumi.export("api_url", edge.public_urls)
pulumi.export("api_service", api.service_name)
pulumi.export("worker_service", worker.service_name)
pulumi.export("worker_task_role", worker.task_role_arn)
pulumi.export("queue_url", jobs.queue_url)
pulumi.export("repository_url", registry.repository_urls["shop"])
