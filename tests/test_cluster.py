"""The cluster component: cluster, capacity providers, namespace, security group, IAM roles."""

from __future__ import annotations

import json

import pytest

SG_IN = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_OUT = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


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


def test_alb_managed_elsewhere_reaches_only_the_public_service_ports(run_stack):
    # GIVEN an existing VPC and an ALB the program does not build (albSecurityGroupIds)
    alb_group = "sg-0a1b2c3d4e5f60733"
    result = run_stack(
        "dev",
        {
            "accessweaver:network": {"createVpc": False},
            "accessweaver:edge": {"enabled": False},
            "accessweaver:vpcId": "vpc-0a1b2c3d4e5f60718",
            "accessweaver:privateSubnetIds": [
                "subnet-0a1b2c3d4e5f60711",
                "subnet-0a1b2c3d4e5f60722",
            ],
            "accessweaver:albSecurityGroupIds": [alb_group],
        },
    )
    # THEN the services accept it on the public API port, never on an internal service's port
    from_alb = [r for r in rules(result, SG_IN) if r.get("referencedSecurityGroupId") == alb_group]
    ports = {r["fromPort"] for r in from_alb}
    assert 8080 in ports and not ports & {8081, 8082, 8083, 8084}
    assert all(r["fromPort"] == r["toPort"] for r in from_alb)


def test_services_reach_each_other_and_the_created_postgres_and_redis_on_their_ports(plan):
    result = plan("dev")
    for role, port in (("postgres", 5433), ("redis", 6379)):
        egress = result.one(SG_OUT, f"accessweaver-dev-to-{role}").inputs
        ingress = result.one(SG_IN, f"accessweaver-dev-{role}-from-services").inputs
        # the store's own group accepts the services' group, on the store's port only
        assert ingress["securityGroupId"] == egress["referencedSecurityGroupId"]
        assert ingress["referencedSecurityGroupId"] == egress["securityGroupId"]
        assert (egress["fromPort"], ingress["fromPort"], ingress["toPort"]) == (port,) * 3
        on_store = [
            r for r in rules(result, SG_IN) if r["securityGroupId"] == ingress["securityGroupId"]
        ]
        assert on_store == [ingress]
    services_sg = result.one("aws:ec2/securityGroup:SecurityGroup", "accessweaver-dev-services-sg")
    ingress_ports = {
        r["fromPort"]
        for r in rules(result, SG_IN)
        if r["securityGroupId"] == r.get("referencedSecurityGroupId")
    }
    # catalog ports, Keycloak's HTTP port and its JGroups cluster ports
    assert ingress_ports == {8080, 8081, 8082, 8083, 8084, 8180, 7800, 57800}
    assert services_sg.inputs["vpcId"] == result.outputs["vpc_id"]  # the VPC dev creates


def test_no_ingress_rule_is_open_to_the_internet_but_the_albs_80_and_443(plan):
    for stack in ("dev", "staging", "prod"):
        result = plan(stack)
        alb_group = result.one("aws:lb/loadBalancer:LoadBalancer", f"accessweaver-{stack}-alb")
        for rule in rules(result, SG_IN):
            if {rule.get("cidrIpv4"), rule.get("cidrIpv6")} & {"0.0.0.0/0", "::/0"}:
                assert rule["securityGroupId"] in alb_group.inputs["securityGroups"], rule
                assert (rule["fromPort"], rule["toPort"]) in ((80, 80), (443, 443)), rule


def policy_document(result, name):
    return json.loads(result.one("aws:iam/rolePolicy:RolePolicy", name).inputs["policy"])


def test_execution_role_pulls_only_the_services_repositories_and_writes_their_logs(plan):
    document = policy_document(plan("prod"), "accessweaver-prod-exec-policy")
    statements = {s["Sid"]: s for s in document["Statement"]}
    assert statements["EcrPull"]["Resource"] == sorted(
        f"arn:aws:ecr:eu-west-1:123456789012:repository/accessweaver-prod/{name}"
        for name in (
            "aw-api-gateway",
            "aw-audit-service",
            "aw-pap-service",
            "aw-pdp-service",
            "aw-tenant-service",
            "keycloak",
        )
    )
    assert statements["Logs"]["Resource"][0] == (
        "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/accessweaver-prod/*"
    )


def test_execution_role_reads_only_the_generated_and_declared_secrets(plan, run_stack):
    # GIVEN dev: JWT key, Redis token, Keycloak admin, and the RDS-managed master secret
    document = policy_document(plan("dev"), "accessweaver-dev-exec-policy")
    generated = {s["Sid"]: s for s in document["Statement"]}["Secrets"]["Resource"]
    assert len(generated) == 4 and all(":secretsmanager:" in arn for arn in generated)
    # WHEN the stack declares one more, THEN the role reads exactly those five
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:accessweaver/dev/partner-AbCdEf"
    result = run_stack(
        "dev", {"accessweaver:commonSecrets": {"PARTNER_API_KEY": f"{arn}:secret::"}}
    )
    statements = {
        s["Sid"]: s for s in policy_document(result, "accessweaver-dev-exec-policy")["Statement"]
    }
    assert statements["Secrets"]["Resource"] == sorted([*generated, arn])
    assert statements["Secrets"]["Action"] == "secretsmanager:GetSecretValue"


def test_roles_trust_only_ecs_tasks_of_this_account(plan):
    role = plan("prod").one("aws:iam/role:Role", "accessweaver-prod-exec-role")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}


@pytest.mark.parametrize(("stack", "sids"), [("dev", {"EcsExec"}), ("prod", {"XRay"})])
def test_task_role_gets_xray_when_traced_and_ssm_messages_when_exec_is_on(plan, stack, sids):
    document = policy_document(plan(stack), f"accessweaver-{stack}-task-policy")
    assert {s["Sid"] for s in document["Statement"]} == sids


def test_no_policy_grants_a_wildcard_action(plan):
    for stack in ("dev", "staging", "prod"):
        for policy in plan(stack).of_type("aws:iam/rolePolicy:RolePolicy"):
            for statement in json.loads(policy.inputs["policy"])["Statement"]:
                actions = statement["Action"]
                for action in [actions] if isinstance(actions, str) else actions:
                    assert action != "*" and not action.endswith(":*"), (policy.name, action)
