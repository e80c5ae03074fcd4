"""ECS Service Connect configuration of one service, as plain data (no Pulumi resources).

Service Connect (ECS developer guide, "Service Connect") runs a managed proxy in every task of
the namespace's services: a client calls `<name>.<namespace>:<port>` and the proxy picks a
healthy task, retries, and publishes per-endpoint metrics and access logs. A service that
publishes its port keeps the DNS name it had with Cloud Map records; one that publishes nothing
is a client only. Security groups still decide who may connect: the proxy opens connections
from the caller's task to the callee's port, along the graph's paths.

A published service that deploys BLUE_GREEN, LINEAR or CANARY gets a test-traffic rule: during
the deployment's test stages, the callers' proxies send requests carrying
`x-amzn-ecs-blue-green-test: true` to the new revision and all others to the live one (ECS
developer guide, "Service Connect resources for Amazon ECS blue/green, linear, and canary
deployments"; the header is the one ECS recognizes by default, written out so the plan shows
it). A published service behind a load balancer has its proxy listen on a port of its own
(`ingress_port`, the API's `ingressPortOverride`), so the load balancer's traffic reaches the
application directly and the callers' reach the proxy.
"""

from __future__ import annotations

from typing import Any

import pulumi

PORT_NAME = "http"
"""The task definition's port mapping Service Connect publishes."""
LOG_PREFIX = "service-connect"
TEST_TRAFFIC_HEADER = "x-amzn-ecs-blue-green-test"
TEST_TRAFFIC_VALUE = "true"


def test_traffic_rules() -> list[dict[str, Any]]:
    """The client alias's `test_traffic_rules`: the header that sends a request to the new
    revision during a deployment's test stages."""
    return [{"header": {"name": TEST_TRAFFIC_HEADER, "value": {"exact": TEST_TRAFFIC_VALUE}}}]


def service_connect_configuration(
    name: str,
    args: Any,
    *,
    namespace_arn: pulumi.Input[str] | None,
    namespace_name: str | None,
    port: int | None,
    log_group: pulumi.Input[str],
    region: str,
) -> dict[str, Any]:
    """The ECS service's `service_connect_configuration` (`args`: ServiceConnectArgs)."""
    config: dict[str, Any] = {
        "enabled": True,
        "namespace": namespace_arn,
        # The proxy's own logs, beside the application's.
        "log_configuration": {
            "log_driver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": region,
                "awslogs-stream-prefix": LOG_PREFIX,
            },
        },
    }
    if args.access_logs:
        config["access_log_configuration"] = {
            "format": "JSON",
            "include_query_parameters": "DISABLED",
        }
    if args.publish and port is not None:
        alias: dict[str, Any] = {
            "port": port,
            "dns_name": f"{name}.{namespace_name}" if namespace_name else name,
        }
        if args.test_traffic:
            alias["test_traffic_rules"] = test_traffic_rules()
        service: dict[str, Any] = {
            "port_name": PORT_NAME,
            "discovery_name": name,
            "client_alias": [alias],
        }
        if args.ingress_port is not None:
            service["ingress_port_override"] = args.ingress_port
        config["services"] = [service]
    return config
