"""A program of one's own on the AccessWeaver components: the way to start.

An `api` behind an internal ALB that routes by host name, and a `worker` that works through a
queue, with a shared EFS volume and a virus-scanner sidecar, on a VPC and an ECS cluster that
exist already (their ids are this stack's config). Both run an image pushed to an ECR repository
this program creates: the image is an Output of that repository. Every physical name is scoped
to the stack, so `dev` and `dev2` live side by side in one account.

Nothing here is AccessWeaver's: only the installed components package (requirements.txt).
"""

import pulumi

from accessweaver_components.compute.cluster import ClusterRef
from accessweaver_components.compute.containers import CommandHealthCheck, ContainerArgs
from accessweaver_components.compute.microservice import (
    AlarmArgs,
    EfsVolumeArgs,
    Microservice,
    MicroserviceArgs,
    SidecarArgs,
)
from accessweaver_components.compute.registry import ImageRegistry, RegistryArgs
from accessweaver_components.data.file_system import EfsFileSystem, EfsFileSystemArgs
from accessweaver_components.data.queue import WorkQueue, WorkQueueArgs
from accessweaver_components.edge.config import Route
from accessweaver_components.edge.load_balancer import (
    AccessLogArgs,
    LoadBalancer,
    LoadBalancerArgs,
    WafArgs,
)
from accessweaver_components.observability.alerts import AlertTopic, AlertTopicArgs

config = pulumi.Config()
prefix = f"{pulumi.get_project()}-{pulumi.get_stack()}"  # what the components' names start with
vpc_id = config.require("vpcId")
subnets: list[str] = config.require_object("privateSubnetIds")
cluster = ClusterRef(cluster_arn=config.require("clusterArn"),
                     cluster_name=config.require("clusterName"))  # fmt: skip

# Where every alarm goes (subscribe your on-call address to it).
alerts = AlertTopic("alerts", AlertTopicArgs())
alarms = AlarmArgs(actions=[alerts.topic_arn])

# The image: an ECR repository of this stack (protected: `pulumi destroy` keeps its images).
registry = ImageRegistry(
    "images", RegistryArgs(repositories={"shop": f"{prefix}/shop"}, protect=True)
)
tag = config.get("imageTag") or "1.0.0"
image = registry.repository_urls["shop"].apply(lambda url: f"{url}:{tag}")

# The api, behind an internal ALB in the private subnets: requests for its host name only.
edge = LoadBalancer(
    "edge",
    LoadBalancerArgs(
        vpc_id=vpc_id,
        subnet_ids=subnets,
        internal=True,
        routes=[
            Route(
                service="api",
                port=8080,
                health_check_path="/health",
                path_patterns=(),
                host_headers=(config.require("apiHost"),),
                priority=100,
            )
        ],
        access_logs=AccessLogArgs(protect=True),  # the audit trail outlives `pulumi destroy`
        waf=WafArgs(log_retention_days=365),
    ),
)
jobs = WorkQueue("jobs", WorkQueueArgs(logical="jobs", alarm_actions=[alerts.topic_arn]))
api = Microservice(
    "api",
    MicroserviceArgs(
        cluster=cluster,
        vpc_id=vpc_id,
        subnet_ids=subnets,
        container=ContainerArgs(image=image, port=8080),
        desired_count=2,  # one task failing never takes the service down
        alarms=alarms,
        load_balancer=edge.attachment("api"),
        bindings=[jobs.sender_binding()],  # JOBS_QUEUE_URL, sqs:SendMessage on it only
    ),
)

# The worker: consumes the queue, keeps its files on EFS, scans them with a sidecar first.
files = EfsFileSystem("files", EfsFileSystemArgs(vpc_id=vpc_id, subnet_ids=subnets))
worker = Microservice(
    "worker",
    MicroserviceArgs(
        cluster=cluster,
        vpc_id=vpc_id,
        subnet_ids=subnets,
        cpu=512,
        memory=3072,
        container=ContainerArgs(
            image=image,
            command=["python", "-m", "shop.worker"],
            health_check=CommandHealthCheck(["CMD-SHELL", "test -f /tmp/alive"]),
        ),
        bindings=[jobs.consumer_binding()],  # JOBS_QUEUE_URL, receive/delete on it only
        desired_count=2,
        alarms=alarms,
        efs_volumes=[
            EfsVolumeArgs(
                name="files",
                file_system_id=files.file_system_id,
                container_path="/data",
                root_directory="/worker",
                mount_target_security_group_id=files.security_group_id,
            )
        ],
        sidecars=[
            SidecarArgs(
                name="scanner",
                image="clamav/clamav:1.4.1",
                memory=1536,
                port=3310,
                health_check=["CMD-SHELL", "clamdcheck.sh"],
                app_waits_for="HEALTHY",
            )
        ],
    ),
)

pulumi.export("api_url", edge.public_urls)
pulumi.export("api_service", api.service_name)
pulumi.export("worker_service", worker.service_name)
pulumi.export("worker_task_role", worker.task_role_arn)
pulumi.export("queue_url", jobs.queue_url)
pulumi.export("repository_url", registry.repository_urls["shop"])
