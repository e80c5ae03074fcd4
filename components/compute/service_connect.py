"""ECS Service Connect configuration of one service, as plain data (no Pulumi resources).

Service Connect (ECS developer guide, "Service Connect") runs a managed proxy in every task of
the namespace's services: a client calls `<name>.<namespace>:<port>` and the proxy picks a
healthy task, retries, and publishes per-endpoint metrics and access logs. A service that
publishes its port keeps the DNS name it had with Cloud Map records; one that publishes nothing
is a client only. Security groups still decide who may connect: the proxy opens connections
from the caller's task to the callee's port, along the graph's paths.
"""

from __future__ import annotations

from typing import Any

import pulumi

PORT_NAME = "http"
"""The task definition's port mapping Service Connect publishes."""
LOG_PREFIX = "service-connect"


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
        config["services"] = [
            {
                "port_name": PORT_NAME,
                "discovery_name": name,
                "client_alias": [
                    {
                        "port": port,
                        "dns_name": f"{name}.{namespace_name}" if namespace_name else name,
                    }
                ],
            }
        ]
    return config
