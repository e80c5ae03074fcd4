"""Reading a recorded run as a graph: who owns each security group, which paths the rules open,
and what the catalog says should be open. The expectations are computed from the catalog data
directly (not from the program's own graph module), so a wiring mistake cannot hide itself."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tests.resource_types import ROLE_POLICY, SERVICE, SG_IN, SG_OUT, TASK
from tools.engine import PlanResult


def group_owners(result: PlanResult) -> dict[str, str]:
    """Security group id -> who it belongs to: a service's name, `task:<name>`, `alb`,
    `postgres`, `redis`."""
    owners: dict[str, str] = {}
    for name, task in (result.outputs.get("tasks") or {}).items():
        owners[task["security_group"]] = f"task:{name}"
    for service in result.of_type(SERVICE):
        for group in service.inputs["networkConfiguration"]["securityGroups"]:
            assert group not in owners, f"{group} is shared by {owners[group]} and {service.name}"
            owners[group] = service.name.removesuffix("-service")
    for balancer in result.of_type("aws:lb/loadBalancer:LoadBalancer"):
        for group in balancer.inputs["securityGroups"]:
            owners[group] = "alb"
    for db in result.of_type("aws:rds/instance:Instance"):
        for group in db.inputs["vpcSecurityGroupIds"]:
            owners[group] = "postgres"
    for type_ in (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:elasticache/serverlessCache:ServerlessCache",
    ):
        for cache in result.of_type(type_):
            for group in cache.inputs["securityGroupIds"]:
                owners[group] = "redis"
    return owners


def _peer(rule: Mapping[str, Any], owners: Mapping[str, str]) -> str:
    if "referencedSecurityGroupId" in rule:
        group = rule["referencedSecurityGroupId"]
        return owners.get(group, group)
    return rule.get("cidrIpv4") or rule.get("cidrIpv6") or "?"


def opened(result: PlanResult) -> tuple[set[tuple[str, str, int]], set[tuple[str, str, int]]]:
    """(ingress, egress) as `(source, target, port)`, groups named by their owner."""
    owners = group_owners(result)
    ingress = {
        (_peer(r.inputs, owners), owners.get(r.inputs["securityGroupId"], "?"),
         int(r.inputs["fromPort"]))
        for r in result.of_type(SG_IN)
    }  # fmt: skip
    egress = {
        (owners.get(r.inputs["securityGroupId"], "?"), _peer(r.inputs, owners),
         int(r.inputs["fromPort"]))
        for r in result.of_type(SG_OUT)
    }  # fmt: skip
    return ingress, egress


PLATFORM_TASKS = ("platform-setup", "platform-rotate")


def expected_paths(
    catalog: Mapping[str, Mapping[str, Any]],
    *,
    keycloak_port: int | None = 8180,
    database_port: int | None = 5433,
    cache_port: int | None = 6379,
    health_probe: bool = True,
    keycloak_call_port: int | None = None,
) -> set[tuple[str, str, int]]:
    """The paths a catalog's graph gives, between groups (no internet, no AWS APIs); with the
    health probe asking every service with a port on its health port (Keycloak's 9000).
    `keycloak_call_port`: where its callers reach Keycloak when not `keycloak_port` (its
    Service Connect proxy's own port)."""
    paths: set[tuple[str, str, int]] = set()
    for name, spec in catalog.items():
        uses = spec.get("uses", {})
        if health_probe and spec.get("port"):
            paths.add(("task:health-probe", name, spec["port"]))
        if spec.get("public"):
            paths.add(("alb", name, spec["port"]))
        for callee in spec.get("calls", []):
            paths.add((name, callee, catalog[callee]["port"]))
        if uses.get("database") and database_port:
            paths.add((name, "postgres", database_port))
            # the platform tasks create and rotate the database's logins
            paths |= {(f"task:{t}", "postgres", database_port) for t in PLATFORM_TASKS}
        if uses.get("cache") and cache_port:
            paths.add((name, "redis", cache_port))
        if uses.get("keycloak") and keycloak_port:
            paths.add((name, "keycloak", keycloak_call_port or keycloak_port))
    if keycloak_port and database_port:
        paths |= {(f"task:{t}", "postgres", database_port) for t in PLATFORM_TASKS}
    if keycloak_port:
        if health_probe:
            paths.add(("task:health-probe", "keycloak", 9000))
        paths |= {
            ("alb", "keycloak", keycloak_port),
            ("alb", "keycloak", 9000),
            ("keycloak", "keycloak", 7800),
            ("keycloak", "keycloak", 57800),
        }
        if database_port:
            paths.add(("keycloak", "postgres", database_port))
    return paths


def between_groups(paths: set[tuple[str, str, int]]) -> set[tuple[str, str, int]]:
    """Paths whose both ends are groups (not the internet, not 0.0.0.0/0:443)."""
    return {p for p in paths if "/" not in p[0] and "/" not in p[1]}


def container(result: PlanResult, service: str) -> dict[str, Any]:
    return json.loads(result.one(TASK, f"{service}-task").inputs["containerDefinitions"])[0]


def environment(result: PlanResult, service: str) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(result, service)["environment"]}


def secrets(result: PlanResult, service: str) -> dict[str, str]:
    return {s["name"]: s["valueFrom"] for s in container(result, service)["secrets"]}


def policy(result: PlanResult, name: str) -> dict[str, Any]:
    return json.loads(result.one(ROLE_POLICY, name).inputs["policy"])


def statements(result: PlanResult, name: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy(result, name)["Statement"]}
