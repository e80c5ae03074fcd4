"""AccessWeaver on ECS Fargate: read the stack config once, build the components, export outputs.

Bad config raises `ConfigError` (a `pulumi.RunError`) before any resource is registered.
"""

import pulumi

from components import outputs
from components.cluster import ClusterArgs, EcsCluster
from components.config import load_settings
from components.microservice import Microservice, MicroserviceArgs

settings = load_settings()

cluster = EcsCluster(settings.name_prefix, ClusterArgs(settings=settings))
services = {
    service.name: Microservice(
        service.name, MicroserviceArgs(settings=settings, service=service, cluster=cluster)
    )
    for service in settings.services
}

pulumi.export("cluster_name", cluster.cluster_name)
pulumi.export("service_arns", {name: svc.service_arn for name, svc in services.items()})
pulumi.export("task_definition_arns", {n: s.task_definition_arn for n, s in services.items()})
pulumi.export("security_group_id", cluster.security_group_id)
pulumi.export("internal_dns_names", outputs.internal_dns_names(settings))
pulumi.export("health_check_urls", outputs.health_check_urls(settings))
pulumi.export(
    "alb_integration_config", outputs.alb_integration_config(settings, cluster.security_group_id)
)
pulumi.export("cicd_deployment_config", outputs.cicd_deployment_config(settings))
pulumi.export("debugging_information", outputs.debugging_information(settings))
pulumi.export("spring_application_config", outputs.spring_application_config(settings))
