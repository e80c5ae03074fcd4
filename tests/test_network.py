"""Network: the VPC a stack creates (awsx), or the existing one it names and then leaves alone.

GIVEN a stack file (committed, or changed through `run_stack`), WHEN the program runs on the
offline engine, THEN the recorded resources and inputs are what CONTROLS.md asks for.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

from accessweaver_components.network.layout import no_public_ip_on_launch, subnet_masks
from tests.config_support import OPT_OUT, REGISTRY, existing_vpc_config, loader
from tests.conftest import STACKS
from tests.resource_types import SERVICE

VPC = "awsx:ec2:Vpc"
NETWORK = "accessweaver:network:Network"
NETWORK_TYPES = {
    VPC,
    NETWORK,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ec2/flowLog:FlowLog",
    "aws:ec2/vpcEndpoint:VpcEndpoint",
}
EXISTING_VPC = existing_vpc_config()


def vpc_of(result) -> dict[str, Any]:
    (vpc,) = result.of_type(VPC)
    return vpc.inputs


# -- existing VPC ---------------------------------------------------------------------------


def test_stack_on_an_existing_vpc_creates_no_network_resource(run_stack):
    # GIVEN dev pointed at a VPC built elsewhere
    result = run_stack("dev", EXISTING_VPC)
    # THEN nothing of the network is registered
    assert {r.type for r in result.resources} & NETWORK_TYPES == set()
    assert not [r for r in result.resources if r.type.startswith("aws:ec2/subnet")]
    # AND the services, their group and the ALB use the configured ids
    for service in result.of_type(SERVICE):
        assert (
            service.inputs["networkConfiguration"]["subnets"]
            == EXISTING_VPC["accessweaver:privateSubnetIds"]
        )
    for group in result.of_type("aws:ec2/securityGroup:SecurityGroup"):
        assert group.inputs["vpcId"] == "vpc-0a1b2c3d4e5f60718", group.name
    alb = result.one("aws:lb/loadBalancer:LoadBalancer", "accessweaver-dev-alb")
    assert alb.inputs["subnets"] == EXISTING_VPC["accessweaver:publicSubnetIds"]
    assert result.outputs["vpc_id"] == "vpc-0a1b2c3d4e5f60718"


# -- created VPC ----------------------------------------------------------------------------


def test_prod_creates_a_vpc_over_three_azs_with_one_nat_gateway_per_az(plan):
    vpc = vpc_of(plan("prod"))
    assert vpc["numberOfAvailabilityZones"] == 3
    assert vpc["natGateways"] == {"strategy": "OnePerAz"}
    assert vpc["cidrBlock"] == "10.30.0.0/16"


def test_staging_creates_a_vpc_over_two_azs_with_a_single_nat_gateway(plan):
    vpc = vpc_of(plan("staging"))
    assert (vpc["numberOfAvailabilityZones"], vpc["natGateways"]) == (2, {"strategy": "Single"})


def test_dev_has_no_nat_gateway_and_its_tasks_use_their_own_public_addresses(plan):
    result = plan("dev")
    vpc = vpc_of(result)
    assert (vpc["numberOfAvailabilityZones"], vpc["natGateways"]) == (2, {"strategy": "None"})
    alb = result.one("aws:lb/loadBalancer:LoadBalancer", "accessweaver-dev-alb")
    for service in result.of_type(SERVICE):
        network = service.inputs["networkConfiguration"]
        assert network["assignPublicIp"] is True
        # the public subnets (the ALB's), where the internet gateway routes
        assert set(network["subnets"]) == set(alb.inputs["subnets"])
    # ECS.2 holds everywhere else; dev's default waives it itself, with the reason (the stack
    # file carries no waiver), and NET.1* checks the groups the reason relies on
    assert "accessweaver:policyWaivers" not in result.config


@pytest.mark.parametrize("stack", STACKS)
def test_created_vpc_has_public_and_private_subnets_dns_and_an_s3_gateway_endpoint(plan, stack):
    vpc = vpc_of(plan(stack))
    assert {spec["type"] for spec in vpc["subnetSpecs"]} == {"Public", "Private"}
    assert vpc["enableDnsHostnames"] is True and vpc["enableDnsSupport"] is True
    assert vpc["vpcEndpointStrategy"] == "Auto"  # awsx fills in the route tables
    assert vpc["vpcEndpointSpecs"] == [
        {"serviceName": "com.amazonaws.eu-west-1.s3", "vpcEndpointType": "Gateway"}
    ]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_services_run_in_the_private_subnets_of_the_created_vpc(plan, stack):
    result = plan(stack)
    (network,) = result.of_type(NETWORK)
    private_ids = {
        s for svc in result.of_type(SERVICE) for s in svc.inputs["networkConfiguration"]["subnets"]
    }
    alb = result.one("aws:lb/loadBalancer:LoadBalancer", f"accessweaver-{stack}-alb")
    # The mock engine names awsx's subnets after the VPC: private and public ids never mix.
    assert len(private_ids) == vpc_of(result)["numberOfAvailabilityZones"]
    assert private_ids.isdisjoint(alb.inputs["subnets"])
    assert all(
        not svc.inputs["networkConfiguration"]["assignPublicIp"] for svc in result.of_type(SERVICE)
    )
    assert network.name == f"accessweaver-{stack}"


@pytest.mark.parametrize("stack", STACKS)
def test_no_subnet_auto_assigns_a_public_ip(plan, stack):
    # GIVEN the awsx VPC, whose public subnets would map public IPs on launch
    (vpc,) = plan(stack).of_type(VPC)
    # THEN it carries the transform that turns that off for every subnet it creates
    assert vpc.transforms == ("no_public_ip_on_launch",)


def test_subnet_transform_turns_public_ip_mapping_off_and_leaves_other_resources_alone():
    class Args:
        def __init__(self, type_, props):
            self.type_, self.props, self.opts = type_, props, None

    subnet = no_public_ip_on_launch(
        Args("aws:ec2/subnet:Subnet", {"mapPublicIpOnLaunch": True, "cidrBlock": "10.0.0.0/21"})
    )
    assert subnet.props == {"mapPublicIpOnLaunch": False, "cidrBlock": "10.0.0.0/21"}
    assert no_public_ip_on_launch(Args("aws:ec2/routeTable:RouteTable", {})) is None


@pytest.mark.parametrize("stack", STACKS)
def test_default_security_group_is_adopted_without_any_rule(plan, stack):
    (default_sg,) = plan(stack).of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default_sg.inputs["vpcId"].startswith("vpc-")
    assert "ingress" not in default_sg.inputs and "egress" not in default_sg.inputs


@pytest.mark.parametrize("stack", STACKS)
def test_flow_logs_capture_all_traffic_into_a_retained_log_group(plan, stack):
    result = plan(stack)
    (flow_log,) = result.of_type("aws:ec2/flowLog:FlowLog")
    log_group = result.one("aws:cloudwatch/logGroup:LogGroup", f"accessweaver-{stack}-flow-logs")
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow_log.inputs["logDestination"].endswith(f"/vpc/accessweaver-{stack}/flow-logs")
    assert flow_log.inputs["iamRoleArn"].startswith("arn:aws:iam::")
    assert log_group.inputs["retentionInDays"] > 0


def test_flow_log_role_writes_only_to_its_log_group(plan):
    result = plan("prod")
    role = result.one("aws:iam/role:Role", "accessweaver-prod-flow-logs-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    policy = json.loads(
        result.one("aws:iam/rolePolicy:RolePolicy", "accessweaver-prod-flow-logs-policy").inputs[
            "policy"
        ]
    )
    resources = policy["Statement"][0]["Resource"]
    assert all("log-group:/vpc/accessweaver-prod/flow-logs" in arn for arn in resources)
    assert "*" not in resources


def test_prod_interface_endpoints_are_private_and_open_only_to_the_vpc_on_443(plan):
    result = plan("prod")
    endpoints = result.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert sorted(e.inputs["serviceName"].rsplit(".", 2)[-2:][-1] for e in endpoints) == [
        "api",
        "dkr",
        "logs",
        "secretsmanager",
    ]
    for endpoint in endpoints:
        assert endpoint.inputs["vpcEndpointType"] == "Interface"
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert len(endpoint.inputs["securityGroupIds"]) == 1
    (rule,) = [
        r
        for r in result.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.name == "accessweaver-prod-endpoints-from-vpc"
    ]
    assert (rule.inputs["cidrIpv4"], rule.inputs["fromPort"]) == ("10.30.0.0/16", 443)


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_dev_and_staging_have_no_interface_endpoint(plan, stack):
    assert plan(stack).of_type("aws:ec2/vpcEndpoint:VpcEndpoint") == []


# -- subnet sizing (pure) --------------------------------------------------------------------


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "172.16.0.0/20", "192.168.0.0/22"])
@pytest.mark.parametrize("azs", [2, 3, 4, 5, 6])
def test_subnets_of_every_az_fit_in_the_vpc(cidr, azs):
    private, public = subnet_masks(cidr, azs)
    size = ipaddress.IPv4Network(cidr).num_addresses
    assert azs * (2 ** (32 - private) + 2 ** (32 - public)) <= size
    assert public <= 28  # AWS's smallest subnet


# -- config rules (pure loader) -------------------------------------------------------------

BASE: dict[str, Any] = {
    "environment": "prod",
    "permissionsBoundaryOptOut": OPT_OUT,
    "containerRegistry": REGISTRY,
    "network": {"createVpc": True},
}


load, problems = loader(BASE)


def test_created_vpc_and_an_existing_vpc_id_are_refused_together_naming_both_keys():
    found = problems(vpcId="vpc-0123456789abcdef0")
    assert "conflicts with network.createVpc: true" in found["vpcId"]
    assert "network.createVpc: false" in found["vpcId"]


def test_existing_vpc_without_vpc_id_is_refused():
    found = problems(network={"createVpc": False})
    assert "required when network.createVpc is false" in found["vpcId"]
    assert "at least 2 private subnet ids" in found["privateSubnetIds"]


def test_edge_on_an_existing_vpc_needs_two_public_subnets():
    found = problems(
        network={},
        vpcId="vpc-0123456789abcdef0",
        privateSubnetIds=["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
        publicSubnetIds=["subnet-0123456789abcdef2"],
        edge={
            "enabled": True,
            "certificateArn": (
                "arn:aws:acm:eu-west-1:123456789012:certificate/"
                "75f027a4-27dc-46c5-894e-e6a40b772e67"
            ),
        },
    )
    assert "at least 2 public subnet ids" in found["publicSubnetIds"]


def test_vpc_creation_keys_on_an_existing_vpc_are_refused():
    found = problems(
        network={"natGateways": "single"},
        vpcId="vpc-0123456789abcdef0",
        privateSubnetIds=["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    )
    assert "only applies to a VPC the program creates" in found["network.natGateways"]


def test_no_nat_gateway_without_the_endpoints_fargate_needs_is_refused():
    found = problems(network={"createVpc": True, "natGateways": "none", "interfaceEndpoints": []})
    text = found["network.interfaceEndpoints"]
    assert "ecr.api, ecr.dkr, logs, secretsmanager" in text


def test_secure_string_parameters_without_nat_need_the_ssm_endpoint():
    # staging traces (X-Ray); Keycloak's admin port forward rides on ECS Exec (ssmmessages, kms)
    base = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "xray", "ssmmessages", "kms"]
    network = {"createVpc": True, "natGateways": "none", "interfaceEndpoints": base}
    found = problems(network=network, secrets={"store": "parameterStore"})
    assert "tasks could not reach ssm;" in found["network.interfaceEndpoints"]

    assert load(network=network).platform.secrets.store == "secretsManager"
    fixed = {**network, "interfaceEndpoints": [*base, "ssm"]}
    assert load(network=fixed, secrets={"store": "parameterStore"}).platform.secrets.store == (
        "parameterStore"
    )


def test_malformed_or_public_vpc_range_is_refused():
    assert (
        "unsuitable VPC range"
        in problems(network={"createVpc": True, "cidrBlock": "8.8.0.0/16"})["network.cidrBlock"]
    )


def test_security_groups_of_an_existing_vpc_are_refused_with_a_created_vpc():
    found = problems(albSecurityGroupIds=["sg-0123456789abcdef0"])
    assert "cannot reference it" in found["albSecurityGroupIds"]


def test_flow_logs_cannot_be_switched_off_in_prod():
    found = problems(network={"createVpc": True, "flowLogs": False})
    assert "control EC2.6 is enforced in staging and prod" in found["network.flowLogs"]


def test_task_public_ips_are_refused_outside_dev_and_with_a_nat_gateway():
    from tests.config_support import loader

    _, staging = loader({"environment": "staging"})
    found = staging(network={"createVpc": True, "taskPublicIps": True})
    assert "dev-only saving" in found["network.taskPublicIps"]
    _, dev = loader({"environment": "dev"})
    found = dev(network={"createVpc": True, "natGateways": "single"})
    assert "a NAT gateway would be paid for nothing" in found["network.natGateways"]
