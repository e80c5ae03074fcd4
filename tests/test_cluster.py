"""The cluster component: cluster, capacity providers, namespace; and rules every stack keeps
(no internet ingress but the ALB's, no wildcard action). Per-service groups and roles:
test_service_graph.py."""

from __future__ import annotations

import json

import pytest

from tests.resource_types import SG_IN


@pytest.mark.parametrize(
    ("stack", "insights"), [("dev", "disabled"), ("staging", "enabled"), ("prod", "enhanced")]
)
def test_container_insights_follow_the_environment(plan, stack, insights):
    cluster = plan(stack).one("aws:ecs/cluster:Cluster", f"accessweaver-{stack}-cluster").inputs
    assert cluster["name"] == f"accessweaver-{stack}-cluster"
    assert cluster["settings"] == [{"name": "containerInsights", "value": insights}]


def test_both_fargate_capacity_providers_are_attached(plan):
    providers = plan("staging").one(
        "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders", "accessweaver-staging-capacity"
    )
    assert providers.inputs["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]


def test_private_namespace_is_project_dash_env_dot_local_in_the_vpc(plan):
    result = plan("prod")
    namespace = result.one(
        "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace",
        "accessweaver-prod-namespace",
    )
    assert namespace.inputs["name"] == "accessweaver-prod.local"
    assert namespace.inputs["vpc"].startswith("vpc-")


def rules(result, type_):
    return [r.inputs for r in result.of_type(type_)]


def test_no_ingress_rule_is_open_to_the_internet_but_the_albs_80_and_443(plan):
    for stack in ("dev", "staging", "prod"):
        result = plan(stack)
        alb_group = result.one("aws:lb/loadBalancer:LoadBalancer", f"accessweaver-{stack}-alb")
        for rule in rules(result, SG_IN):
            if {rule.get("cidrIpv4"), rule.get("cidrIpv6")} & {"0.0.0.0/0", "::/0"}:
                assert rule["securityGroupId"] in alb_group.inputs["securityGroups"], rule
                assert (rule["fromPort"], rule["toPort"]) in ((80, 80), (443, 443)), rule


def test_no_policy_grants_a_wildcard_action(plan):
    for stack in ("dev", "staging", "prod"):
        for policy in plan(stack).of_type("aws:iam/rolePolicy:RolePolicy"):
            for statement in json.loads(policy.inputs["policy"])["Statement"]:
                actions = statement["Action"]
                for action in [actions] if isinstance(actions, str) else actions:
                    assert action != "*" and not action.endswith(":*"), (policy.name, action)
