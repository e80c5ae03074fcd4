"""The OpenTelemetry collector sidecar that sends a service's traces to X-Ray, as plain data.

AWS put the X-Ray daemon and SDKs in maintenance on 2026-02-25 (end of support 2027-02-25) and
directs users to OpenTelemetry (X-Ray developer guide, "X-Ray SDK and daemon end of support
timeline"). The sidecar is the AWS Distro for OpenTelemetry collector at a pinned release
(`COLLECTOR_IMAGE`), configured by the task definition itself: ADOT reads its whole
configuration from `AOT_CONFIG_CONTENT` when that variable is set (`pkg/config/config_factory.go`
of aws-observability/aws-otel-collector), so a configuration change is a new task definition
revision like any other, with nothing else to grant or deploy. It receives OTLP on the task's
loopback only (the application's `OTEL_EXPORTER_OTLP_ENDPOINT`), batches, and calls X-Ray's
`PutTraceSegments` (the `awsxray` exporter; its telemetry records are off by default, so the
task role gets that one action: `TRACING_STATEMENT`). The image runs as its own non-root user
(`aoc`, uid 4317) on a read-only root and ships a `/healthcheck` binary for the container check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

COLLECTOR_VERSION = "v0.49.0"
"""ADOT collector release of 2026-07-10 (upstream collector v0.156.0)."""
COLLECTOR_IMAGE = f"public.ecr.aws/aws-observability/aws-otel-collector:{COLLECTOR_VERSION}"
COLLECTOR_CONTAINER = "otel-collector"
COLLECTOR_USER = "4317"
"""The image's `aoc` user (cmd/awscollector/Dockerfile)."""
COLLECTOR_CPU = 64
COLLECTOR_MEMORY_MIB = 128
"""Its hard limit: the task's memory minus this is what the application container gets."""
COLLECTOR_MEMORY_LIMIT_MIB = 96
"""`memory_limiter`: past this the collector refuses data instead of being killed."""
OTLP_HTTP_PORT = 4318
OTLP_GRPC_PORT = 4317
HEALTH_PORT = 13133
"""The health_check extension, which the image's `/healthcheck` asks on 127.0.0.1."""
OTLP_ENDPOINT = f"http://localhost:{OTLP_HTTP_PORT}"

TRACING_STATEMENT = {
    "Sid": "Traces",
    "Effect": "Allow",
    "Action": "xray:PutTraceSegments",
    "Resource": "*",
}
"""What the collector calls (X-Ray takes no resource ARN for it)."""


def collector_config(region: str) -> dict[str, Any]:
    """OTLP in on loopback, traces out to X-Ray in `region`; nothing else."""
    loopback = "127.0.0.1"
    return {
        "extensions": {"health_check": {"endpoint": f"{loopback}:{HEALTH_PORT}"}},
        "receivers": {
            "otlp": {
                "protocols": {
                    "grpc": {"endpoint": f"{loopback}:{OTLP_GRPC_PORT}"},
                    "http": {"endpoint": f"{loopback}:{OTLP_HTTP_PORT}"},
                }
            }
        },
        "processors": {
            "memory_limiter": {
                "check_interval": "1s",
                "limit_mib": COLLECTOR_MEMORY_LIMIT_MIB,
                "spike_limit_mib": COLLECTOR_MEMORY_LIMIT_MIB // 4,
            },
            # The task's metadata (cluster, task ARN, availability zone) on every span.
            "resourcedetection": {"detectors": ["env", "ecs"], "timeout": "2s"},
            "batch/traces": {"timeout": "1s", "send_batch_size": 50},
        },
        "exporters": {"awsxray": {"region": region}},
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "traces": {
                    "receivers": ["otlp"],
                    "processors": ["memory_limiter", "resourcedetection", "batch/traces"],
                    "exporters": ["awsxray"],
                }
            },
            # No Prometheus endpoint of its own on :8888.
            "telemetry": {"metrics": {"level": "none"}},
        },
    }


def application_environment(
    service_name: str, resource_attributes: Mapping[str, str]
) -> dict[str, str]:
    """What an OpenTelemetry SDK (Spring Boot, the Java agent, Python, Node) reads to send its
    traces to the sidecar: the OTLP endpoint, its name, its resource attributes, and only
    traces (the collector has no metrics or logs pipeline)."""
    attributes = ",".join(f"{k}={resource_attributes[k]}" for k in sorted(resource_attributes))
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": OTLP_ENDPOINT,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_SERVICE_NAME": service_name,
        "OTEL_RESOURCE_ATTRIBUTES": attributes,
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
    }


def collector_container(
    *, region: str, logging: Mapping[str, Any], mounts: list[dict[str, Any]]
) -> dict[str, Any]:
    """The sidecar's container definition (non-essential: the application keeps running when
    it stops; ECS restarts nothing for it, its health shows in the task)."""
    return {
        "name": COLLECTOR_CONTAINER,
        "image": COLLECTOR_IMAGE,
        "essential": False,
        "cpu": COLLECTOR_CPU,
        "memory": COLLECTOR_MEMORY_MIB,
        "environment": [
            {
                "name": "AOT_CONFIG_CONTENT",
                "value": yaml.safe_dump(collector_config(region), sort_keys=True),
            },
            # The Go runtime collects before the hard limit instead of being killed at it.
            {"name": "GOMEMLIMIT", "value": f"{COLLECTOR_MEMORY_LIMIT_MIB + 4}MiB"},
        ],
        "healthCheck": {
            "command": ["CMD", "/healthcheck"],
            "interval": 30,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 10,
        },
        "logConfiguration": dict(logging),
        "readonlyRootFilesystem": True,
        "mountPoints": mounts,
        "user": COLLECTOR_USER,
        "privileged": False,
    }
