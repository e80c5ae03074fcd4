"""What one service receives from a piece it uses: a `Binding` (plain data, no resources).

A platform piece (the database, the cache, the documents bucket, a generated secret, Keycloak,
another service) hands each service that uses it a `Binding`: the environment variables and
secrets the service reads, the network paths it must open (`Peer`: a security group and its
ports) and the IAM statements its task role needs. `Microservice` merges the bindings it is
given and nothing else, so a service gets exactly what it uses: the least-privilege contract of
the service graph (docs/DESIGN.md, "The service graph").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi


@dataclass(frozen=True)
class Peer:
    """A security group a service opens TCP connections to, on these ports."""

    name: str
    """Short role of the peer in resource names and descriptions (`postgres`, `aw-pdp-service`)."""
    security_group_id: pulumi.Input[str]
    ports: Sequence[int]
    manage_ingress: bool = True
    """Also add the ingress rule on the peer's group (False when another team owns the group and
    opens it itself)."""


@dataclass(frozen=True)
class Binding:
    """Everything one use brings a service. Values may be outputs of the piece's resources."""

    name: str
    """What is used (`database`, `documents:read`, `calls:aw-pdp-service`), for outputs."""
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Plain environment variables (endpoints, names): never secret values."""
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Environment variable -> Secrets Manager or SSM `valueFrom`: the execution role reads
    exactly these."""
    peers: Sequence[Peer] = ()
    """Network paths the service opens."""
    permissions: Sequence[Mapping[str, Any]] = ()
    """IAM policy statements of the task role (their ARNs may be outputs)."""


def merge_bindings(
    owner: str,
    environment: Mapping[str, pulumi.Input[str]],
    secrets: Mapping[str, pulumi.Input[str]],
    bindings: Sequence[Binding],
) -> tuple[dict[str, pulumi.Input[str]], dict[str, pulumi.Input[str]]]:
    """The container's environment and secrets with every binding's added.

    Raises ValueError, before any resource exists, when two sources set the same variable: a
    binding never silently replaces what the service (or another binding) set."""
    merged_env = dict(environment)
    merged_secrets = dict(secrets)
    origin = {name: "its own environment" for name in environment}
    origin |= {name: "its own secrets" for name in secrets}
    for binding in bindings:
        for source, target in (
            (binding.environment, merged_env),
            (binding.secrets, merged_secrets),
        ):
            for name, value in source.items():
                if name in origin:
                    raise ValueError(
                        f"{owner}: {name} comes from both {origin[name]} and {binding.name}"
                    )
                origin[name] = binding.name
                target[name] = value
    return merged_env, merged_secrets


def secret_json_key(secret_arn: pulumi.Input[str], json_key: str) -> pulumi.Output[str]:
    """ECS `valueFrom` for one JSON key of a Secrets Manager secret (`<arn>:<key>::`)."""
    return pulumi.Output.concat(secret_arn, ":", json_key, "::")


def url_variable(service: str) -> str:
    """`aw-pdp-service` -> `AW_PDP_SERVICE_URL`: the variable a caller finds a service at."""
    return re.sub(r"[^A-Za-z0-9]", "_", service).upper() + "_URL"


def queue_variable(queue: str) -> str:
    """`extraction` -> `EXTRACTION_QUEUE_URL`: where a consumer or a sender finds the queue."""
    return re.sub(r"[^A-Za-z0-9]", "_", queue).upper() + "_QUEUE_URL"


def bucket_variable(bucket: str) -> str:
    """`documents` -> `DOCUMENTS_BUCKET`: where a service finds a bucket it was granted."""
    return re.sub(r"[^A-Za-z0-9]", "_", bucket).upper() + "_BUCKET"


def statement_id(prefix: str, logical: str) -> str:
    """`("QueueConsume", "extraction-jobs")` -> `QueueConsumeExtractionJobs`: a Sid unique per
    granted piece (IAM wants Sids unique in a policy, letters and digits only)."""
    return prefix + "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", logical))


def allow_statement(sid: str, actions: Sequence[str], resources: Any, **condition: Any) -> dict:
    """An IAM `Allow` statement: `actions` on `resources`, under `condition` (operator ->
    {key: value}) when one is given."""
    found: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": resources,
    }
    if condition:
        found["Condition"] = condition
    return found
