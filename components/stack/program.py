"""The whole stack from validated settings: every Pulumi project built on these components runs
`build_stack(load_settings())` from its thin `__main__.py` (this repository's AccessWeaver
program, `examples/ca-a2a/`).

Builds, in dependency order: the network, the platform pieces the cluster needs (secrets,
database, cache, repositories, alarm topic), the cluster, the ALB, the documents bucket, one
`Microservice` per catalog service, Keycloak, the alarms and dashboard; then exports the stack
outputs (README "Outputs"). Which pieces exist is decided by the settings alone; nothing here
knows a particular system.
"""

from __future__ import annotations

import pulumi

from .. import cost
from ..compute.cluster import ClusterArgs, EcsCluster
from ..compute.microservice import Microservice, MicroserviceArgs
from ..cost.recorder import ResourceRecorder
from ..edge.load_balancer import build_load_balancer
from ..identity.config import KEYCLOAK_SERVICE
from ..network.vpc import build_network
from . import outputs
from .platform import (
    build_documents,
    build_keycloak,
    build_monitoring,
    build_platform,
    platform_outputs,
)
from .settings import StackSettings


def build_stack(settings: StackSettings) -> None:
    """Register every resource of the stack described by `settings` and export its outputs."""
    # Sees every resource registered from here on: the cost estimate prices what is deployed.
    registered = ResourceRecorder.install()

    network = build_network(settings)
    # Secrets, database, cache, repositories, alarm topic: the cluster needs their groups and ARNs.
    platform = build_platform(settings, network)
    cluster = EcsCluster(
        settings.name_prefix,
        ClusterArgs(
            settings=settings,
            network=network,
            extra_secret_arns=platform.secret_arns,
            data_stores=platform.data_stores,
        ),
    )
    edge = build_load_balancer(settings, network, cluster.security_group_id)
    documents = build_documents(settings, cluster)
    services = {
        service.name: Microservice(
            service.name,
            MicroserviceArgs(
                settings=settings,
                service=service,
                cluster=cluster,
                load_balancer=edge.attachment(service.name) if edge else None,
                extra_environment=platform.service_environment(documents),
                extra_secrets=platform.service_secrets(),
                alarm_actions=platform.alarm_actions,
            ),
        )
        for service in settings.services
        if service.name != KEYCLOAK_SERVICE
    }
    keycloak = build_keycloak(settings, cluster, platform, edge)
    if keycloak is not None:
        services[KEYCLOAK_SERVICE] = keycloak
    monitoring = build_monitoring(settings, platform, edge)

    pulumi.export("cluster_name", cluster.cluster_name)
    pulumi.export("service_arns", {name: svc.service_arn for name, svc in services.items()})
    pulumi.export("task_definition_arns", {n: s.task_definition_arn for n, s in services.items()})
    pulumi.export("security_group_id", cluster.security_group_id)
    pulumi.export("internal_dns_names", outputs.internal_dns_names(settings))
    pulumi.export("health_check_urls", outputs.health_check_urls(settings))
    pulumi.export("vpc_id", network.vpc_id)
    pulumi.export("alb_dns_name", edge.dns_name if edge else None)
    pulumi.export("public_urls", edge.public_urls if edge else {})
    pulumi.export(
        "alb_integration_config",
        outputs.alb_integration_config(
            settings,
            cluster.security_group_id,
            vpc_id=network.vpc_id,
            target_group_arns=edge.target_group_arns if edge else None,
        ),
    )
    pulumi.export("cicd_deployment_config", outputs.cicd_deployment_config(settings))
    pulumi.export("debugging_information", outputs.debugging_information(settings))
    pulumi.export("spring_application_config", outputs.spring_application_config(settings))
    for key, value in platform_outputs(platform, documents, monitoring).items():
        pulumi.export(key, value)
    # Last: priced from the settings and every resource registered above.
    pulumi.export(
        "estimated_monthly_cost", cost.estimate(settings, registered.resources).to_output()
    )
