"""A VPC for the services, from its own arguments.

Creates: an `awsx.ec2.Vpc` (public and private subnets in each AZ, NAT gateways none/single/one
per AZ, an S3 gateway endpoint, no subnet auto-assigning public IPs), the VPC's default security
group stripped of every rule, and optionally interface endpoints with their own security group and
VPC flow logs (all traffic) to a CloudWatch log group.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_aws import cloudwatch, ec2, iam, vpc

from ..iam_path import service_role
from ..naming import physical_name, provider_region
from ..service_trust import flow_logs_trust
from .config import InterfaceEndpoint, NatGateways
from .layout import (
    NAT_STRATEGY,
    NetworkRefs,
    endpoint_service_name,
    flow_log_policy,
    no_public_ip_on_launch,
    subnet_masks,
)


@dataclass(frozen=True)
class NetworkArgs:
    name: str | None = None
    """Prefix of the resources' Name tags and of the flow-log group (`/vpc/<name>/flow-logs`);
    default `<project>-<stack>-<component name>` (`components/naming.py`)."""
    cidr_block: str = "10.0.0.0/16"
    availability_zones: int = 2
    nat_gateways: NatGateways = "single"
    interface_endpoints: Sequence[InterfaceEndpoint] = ()
    """Interface endpoints (ecr.api, ecr.dkr, logs, secretsmanager, xray, ssmmessages, kms)."""
    flow_logs: bool = True
    flow_log_retention_days: int = 30
    region: str | None = None
    """Default: the provider's `aws:region` (endpoint service names)."""
    permissions_boundary: pulumi.Input[str] | None = None
    """The managed policy every role of the component is created with as its permissions
    boundary (the bootstrap's `<project>-<env>-boundary`); None = no boundary."""
    tags: Mapping[str, str] = field(default_factory=dict)


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    private_subnet_ids: pulumi.Output[list[str]]
    public_subnet_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        # The default name is the stack's own (two stacks never ask for the same one).
        args = dataclasses.replace(args, name=physical_name(args.name, name, max_length=200))
        spec = args
        region = provider_region(args.region, name, "NetworkArgs")
        super().__init__("accessweaver:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        # Imported here: stacks on an existing VPC never load the awsx SDK.
        import pulumi_awsx as awsx

        private_mask, public_mask = subnet_masks(spec.cidr_block, spec.availability_zones)
        created = awsx.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=spec.cidr_block,
            number_of_availability_zones=spec.availability_zones,
            subnet_strategy=awsx.ec2.SubnetAllocationStrategy.AUTO,
            subnet_specs=[
                {"type": awsx.ec2.SubnetType.PRIVATE, "name": "private", "cidr_mask": private_mask},
                {"type": awsx.ec2.SubnetType.PUBLIC, "name": "public", "cidr_mask": public_mask},
            ],
            nat_gateways={"strategy": NAT_STRATEGY[spec.nat_gateways]},
            # Interface endpoints resolve through private DNS, which needs both flags.
            enable_dns_hostnames=True,
            enable_dns_support=True,
            # AUTO fills the gateway endpoint's route tables from the subnets awsx creates.
            vpc_endpoint_strategy=awsx.ec2.VpcEndpointStrategy.AUTO,
            vpc_endpoint_specs=[
                {
                    "service_name": endpoint_service_name(region, "s3"),
                    "vpc_endpoint_type": "Gateway",
                }
            ],
            tags={**tags, "Name": args.name},
            opts=pulumi.ResourceOptions(parent=self, transforms=[no_public_ip_on_launch]),
        )
        # EC2.2: adopting the default group with no rule blocks replaces AWS's allow-all rules.
        ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=created.vpc_id,
            tags={**tags, "Name": f"{args.name}-default-unused"},
            opts=child,
        )
        if spec.interface_endpoints:
            self._interface_endpoints(name, args, region, created, tags, child)
        if spec.flow_logs:
            self._flow_logs(name, args, region, created.vpc_id, tags, child)

        self.vpc_id = created.vpc_id
        self.private_subnet_ids = created.private_subnet_ids
        self.public_subnet_ids = created.public_subnet_ids
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "private_subnet_ids": self.private_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
            }
        )

    @property
    def refs(self) -> NetworkRefs:
        return NetworkRefs(self.vpc_id, self.private_subnet_ids, self.public_subnet_ids)

    @staticmethod
    def _interface_endpoints(
        name: str,
        spec: NetworkArgs,
        region: str,
        created,
        tags: dict,
        child: pulumi.ResourceOptions,
    ) -> None:
        group = ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=created.vpc_id,
            description=f"{spec.name} interface VPC endpoints (HTTPS from the VPC)",
            tags={**tags, "Name": f"{spec.name}-endpoints"},
            opts=child,
        )
        vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-from-vpc",
            security_group_id=group.id,
            cidr_ipv4=spec.cidr_block,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS from the VPC to the AWS API endpoints",
            opts=pulumi.ResourceOptions(parent=group),
        )
        for endpoint in spec.interface_endpoints:
            ec2.VpcEndpoint(
                f"{name}-{endpoint.replace('.', '-')}-endpoint",
                vpc_id=created.vpc_id,
                service_name=endpoint_service_name(region, endpoint),
                vpc_endpoint_type="Interface",
                subnet_ids=created.private_subnet_ids,
                security_group_ids=[group.id],
                private_dns_enabled=True,
                tags={**tags, "Name": f"{spec.name}-{endpoint}"},
                opts=child,
            )

    @staticmethod
    def _flow_logs(
        name: str,
        spec: NetworkArgs,
        region: str,
        vpc_id: pulumi.Output[str],
        tags: dict,
        child: pulumi.ResourceOptions,
    ) -> None:
        log_group = cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/vpc/{spec.name}/flow-logs",
            retention_in_days=spec.flow_log_retention_days,
            tags=tags,
            opts=child,
        )
        role = service_role(
            f"{name}-flow-logs-role",
            description=f"{spec.name}: VPC Flow Logs writes to its log group",
            trust=lambda acct: flow_logs_trust(acct, region),
            tags=tags,
            permissions_boundary=spec.permissions_boundary,
            opts=child,
        )
        iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=role.id,
            policy=log_group.arn.apply(lambda arn: json.dumps(flow_log_policy(arn))),
            opts=pulumi.ResourceOptions(parent=role),
        )
        ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=tags,
            opts=child,
        )
