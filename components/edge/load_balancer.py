"""The internet-facing Application Load Balancer (`edge.enabled`).

Creates: the ALB in the public subnets (invalid headers dropped, defensive desync mitigation), its
security group (internet to 80/443 only, out to the public services' ports only) and the services'
ingress from it, an HTTPS listener with the configured ACM certificate and a TLS 1.3 policy, an HTTP
listener redirecting to HTTPS, and per public service a target group and one listener rule with
an explicit priority. Optional, per environment: deletion protection, access logs to an S3 bucket
the component creates, a WAFv2 web ACL, and ECS native blue/green (a second target group per
service and the IAM role ECS switches the listener rule with).

Without a certificate the ALB serves plain HTTP and the program logs a warning.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi_aws import ec2, iam, lb, s3, vpc

from ..network.layout import NetworkRefs
from ..network.paths import allow_tcp
from ..stack.settings import StackSettings
from .config import EdgeSettings, Route
from .rules import (
    ECS_LB_INFRASTRUCTURE_POLICY_ARN,
    HEALTH_CHECK,
    NOT_FOUND,
    REDIRECT_TO_HTTPS,
    BlueGreen,
    ServiceAttachment,
    access_log_bucket_policy,
    ecs_load_balancer_trust_policy,
    elb_name,
    forward_action,
    path_condition,
    public_urls,
    target_group_name,
    visibility,
    waf_rules,
)

ACCESS_LOG_PREFIX = "alb"
INTERNET = ("0.0.0.0/0",)  # IPv4 only: the ALB's ip_address_type is ipv4


@dataclass(frozen=True)
class LoadBalancerArgs:
    settings: StackSettings
    """Must have `edge` set."""
    network: NetworkRefs
    services_security_group_id: pulumi.Input[str]
    """The ECS services' group: the ALB may reach the routed ports of it, nothing else."""
    extra_routes: Sequence[Route] = ()
    """Routes of services the program builds outside the catalog; priorities must not clash."""


class LoadBalancer(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    listener_arn: pulumi.Output[str]
    """The listener carrying the rules (HTTPS, or HTTP without a certificate)."""
    target_group_arns: dict[str, pulumi.Output[str]]
    """Primary (initially live) target group per routed service."""
    target_group_arn_suffixes: dict[str, pulumi.Output[str]]
    """For CloudWatch dimensions (`TargetGroup`)."""
    alternate_target_group_arn_suffixes: dict[str, pulumi.Output[str]]
    """Blue/green only: the second group per service; after a deployment it is the live one."""
    public_urls: pulumi.Output[dict[str, list[str]]]
    """`{service: [URL per routed path]}`."""
    web_acl_arn: pulumi.Output[str] | None
    access_log_bucket: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("accessweaver:edge:LoadBalancer", name, None, opts)
        settings = args.settings
        edge = settings.edge
        if edge is None:
            raise ValueError("LoadBalancer needs settings.edge (edge.enabled is false)")
        routes = _checked_routes([*edge.routes, *args.extra_routes])
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(settings.tags)

        group = self._security_group(name, settings, args, routes, tags, child)
        bucket, log_opts = (
            self._access_log_bucket(name, settings, edge, tags, child)
            if edge.access_logs
            else (None, child)
        )
        alb = lb.LoadBalancer(
            f"{name}-alb",
            name=elb_name(settings.name_prefix),
            load_balancer_type="application",
            internal=False,
            ip_address_type="ipv4",
            subnets=args.network.public_subnet_ids,
            security_groups=[group.id],
            drop_invalid_header_fields=True,  # ELB.4
            desync_mitigation_mode="defensive",  # ELB.12
            enable_deletion_protection=edge.deletion_protection,  # ELB.6
            access_logs=(
                {"bucket": bucket.bucket, "prefix": ACCESS_LOG_PREFIX, "enabled": True}
                if bucket is not None
                else None
            ),
            tags={**tags, "Name": settings.name_prefix},
            opts=log_opts,
        )
        listener = self._listeners(name, settings, edge, alb, tags, child)
        role = self._blue_green_role(name, settings, tags, child) if edge.blue_green else None
        self.attachments: dict[str, ServiceAttachment] = {}
        self.target_group_arns = {}
        self.target_group_arn_suffixes = {}
        self.alternate_target_group_arn_suffixes = {}
        for route in routes:
            self._route(name, settings, edge, args.network, route, listener, role, tags, child)
        self.web_acl_arn = (
            self._web_acl(name, settings, edge, alb, tags, child) if edge.waf else None
        )

        self.arn = alb.arn
        self.arn_suffix = alb.arn_suffix
        self.dns_name = alb.dns_name
        self.zone_id = alb.zone_id
        self.security_group_id = group.id
        self.listener_arn = listener.arn
        self.public_urls = alb.dns_name.apply(lambda dns: public_urls(dns, routes, edge.https))
        self.access_log_bucket = bucket.bucket if bucket is not None else None
        self.register_outputs(
            {
                "arn": self.arn,
                "arn_suffix": self.arn_suffix,
                "dns_name": self.dns_name,
                "zone_id": self.zone_id,
                "security_group_id": self.security_group_id,
                "listener_arn": self.listener_arn,
                "target_group_arns": self.target_group_arns,
                "target_group_arn_suffixes": self.target_group_arn_suffixes,
                "alternate_target_group_arn_suffixes": self.alternate_target_group_arn_suffixes,
                "public_urls": self.public_urls,
                "web_acl_arn": self.web_acl_arn,
                "access_log_bucket": self.access_log_bucket,
            }
        )

    def attachment(self, service: str) -> ServiceAttachment | None:
        """What `service`'s ECS service registers with; None when the ALB does not route to it."""
        return self.attachments.get(service)

    # -- security groups -------------------------------------------------------------------

    @staticmethod
    def _security_group(
        name: str,
        settings: StackSettings,
        args: LoadBalancerArgs,
        routes: Sequence[Route],
        tags: dict,
        child: pulumi.ResourceOptions,
    ):
        edge = settings.edge
        group = ec2.SecurityGroup(
            f"{name}-alb-sg",
            vpc_id=args.network.vpc_id,
            description=f"{settings.name_prefix} ALB: internet to 80/443, out to public services",
            tags={**tags, "Name": f"{settings.name_prefix}-alb"},
            opts=child,
        )
        rule_opts = pulumi.ResourceOptions(parent=group)
        # Port 80 stays open with a certificate too: it only answers with a redirect to 443.
        listener_ports = (80, 443) if edge.https else (80,)
        for port in listener_ports:
            for cidr in INTERNET:
                vpc.SecurityGroupIngressRule(
                    f"{name}-alb-from-internet-{port}",
                    security_group_id=group.id,
                    cidr_ipv4=cidr,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    description=f"Internet to the ALB on {port}",
                    opts=rule_opts,
                )
        for port in sorted({port for route in routes for port in route.ports}):
            allow_tcp(
                egress_name=f"{name}-alb-to-services-{port}",
                ingress_name=f"{name}-services-from-alb-{port}",
                source=group.id,
                target=args.services_security_group_id,
                port=port,
                description=f"{settings.name_prefix} ALB to public service port {port}",
                opts=rule_opts,
            )
        return group

    # -- access logs -----------------------------------------------------------------------

    @staticmethod
    def _access_log_bucket(
        name: str,
        settings: StackSettings,
        edge: EdgeSettings,
        tags: dict,
        child: pulumi.ResourceOptions,
    ) -> tuple[s3.Bucket, pulumi.ResourceOptions]:
        """S3 bucket for ELB.5; returns it and the options the ALB needs (ELB checks the bucket
        policy when access logs are switched on, so the ALB waits for it)."""
        bucket = s3.Bucket(
            f"{name}-alb-logs",
            force_destroy=False,
            tags={**tags, "Purpose": "alb-access-logs"},
            # Same switch as the other stateful resources (protectStatefulResources).
            opts=pulumi.ResourceOptions(parent=child.parent, protect=settings.platform.protect),
        )
        part = pulumi.ResourceOptions(parent=bucket)
        s3.BucketPublicAccessBlock(
            f"{name}-alb-logs-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=part,
        )
        s3.BucketOwnershipControls(
            f"{name}-alb-logs-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=part,
        )
        # ALB access logs only support SSE-S3 (not SSE-KMS): the S3.17 exception in DESIGN.md.
        s3.BucketServerSideEncryptionConfiguration(
            f"{name}-alb-logs-encryption",
            bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=part,
        )
        s3.BucketVersioning(
            f"{name}-alb-logs-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=part,
        )
        s3.BucketLifecycleConfiguration(
            f"{name}-alb-logs-lifecycle",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-access-logs",
                    "status": "Enabled",
                    "filter": {"prefix": f"{ACCESS_LOG_PREFIX}/"},
                    "expiration": {"days": edge.access_log_retention_days},
                    "noncurrent_version_expiration": {"noncurrent_days": 7},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                }
            ],
            opts=part,
        )
        account = aws.get_caller_identity_output().account_id
        policy = s3.BucketPolicy(
            f"{name}-alb-logs-policy",
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, account).apply(
                lambda values: json.dumps(
                    access_log_bucket_policy(
                        values[0], values[1], settings.region, ACCESS_LOG_PREFIX
                    )
                )
            ),
            opts=part,
        )
        return bucket, pulumi.ResourceOptions(parent=child.parent, depends_on=[policy])

    # -- listeners, target groups, rules ---------------------------------------------------

    @staticmethod
    def _listeners(
        name: str,
        settings: StackSettings,
        edge: EdgeSettings,
        alb: lb.LoadBalancer,
        tags: dict,
        child: pulumi.ResourceOptions,
    ) -> lb.Listener:
        if edge.certificate_arn is None:
            pulumi.log.warn(
                f"{settings.stack_file}: edge.certificateArn is not set, so the ALB of "
                f"{settings.name_prefix} serves plain HTTP on port 80. Set an ACM certificate "
                "ARN to serve HTTPS and redirect HTTP to it."
            )
            return lb.Listener(
                f"{name}-http",
                load_balancer_arn=alb.arn,
                port=80,
                protocol="HTTP",
                default_actions=[NOT_FOUND],
                tags=tags,
                opts=child,
            )
        lb.Listener(
            f"{name}-http-redirect",
            load_balancer_arn=alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[REDIRECT_TO_HTTPS],  # ELB.1
            tags=tags,
            opts=child,
        )
        return lb.Listener(
            f"{name}-https",
            load_balancer_arn=alb.arn,
            port=443,
            protocol="HTTPS",
            certificate_arn=edge.certificate_arn,
            ssl_policy=edge.ssl_policy,  # ELB.17
            default_actions=[NOT_FOUND],
            tags=tags,
            opts=child,
        )

    def _route(
        self,
        name: str,
        settings: StackSettings,
        edge: EdgeSettings,
        network: NetworkRefs,
        route: Route,
        listener: lb.Listener,
        role: iam.Role | None,
        tags: dict,
        child: pulumi.ResourceOptions,
    ) -> None:
        service_tags = {**tags, "Service": route.service}

        def target_group(slot: str) -> lb.TargetGroup:
            return lb.TargetGroup(
                f"{name}-{route.service}-tg-{slot}",
                name=target_group_name(
                    settings.project, settings.environment, route.service, route.port, slot
                ),
                port=route.port,
                protocol="HTTP",
                target_type="ip",
                vpc_id=network.vpc_id,
                deregistration_delay=edge.deregistration_delay,
                health_check={
                    **HEALTH_CHECK,
                    "path": route.health_check_path,
                    "port": str(route.health_check_port or "traffic-port"),
                },
                tags=service_tags,
                opts=child,
            )

        primary = target_group("a")
        alternate = target_group("b") if role is not None else None
        rule = lb.ListenerRule(
            f"{name}-{route.service}-rule",
            listener_arn=listener.arn,
            priority=route.priority,
            conditions=[path_condition(route)],
            actions=[forward_action(primary.arn, alternate.arn if alternate else None)],
            tags=service_tags,
            opts=pulumi.ResourceOptions.merge(
                child,
                # Blue/green: ECS owns the weights after the first deployment; `pulumi up` must
                # not move traffic back to the group it drained.
                pulumi.ResourceOptions(ignore_changes=["actions"] if alternate else None),
            ),
        )
        blue_green = (
            BlueGreen(
                alternate_target_group_arn=alternate.arn,
                production_listener_rule_arn=rule.arn,
                role_arn=role.arn,
                bake_time_minutes=edge.bake_time_minutes,
            )
            if alternate is not None and role is not None
            else None
        )
        self.attachments[route.service] = ServiceAttachment(primary.arn, blue_green)
        self.target_group_arns[route.service] = primary.arn
        self.target_group_arn_suffixes[route.service] = primary.arn_suffix
        if alternate is not None:
            self.alternate_target_group_arn_suffixes[route.service] = alternate.arn_suffix

    @staticmethod
    def _blue_green_role(
        name: str, settings: StackSettings, tags: dict, child: pulumi.ResourceOptions
    ) -> iam.Role:
        role = iam.Role(
            f"{name}-ecs-lb-role",
            description=f"{settings.name_prefix}: ECS switches listener rules for blue/green",
            assume_role_policy=json.dumps(ecs_load_balancer_trust_policy()),
            tags=tags,
            opts=child,
        )
        iam.RolePolicyAttachment(
            f"{name}-ecs-lb-policy",
            role=role.name,
            policy_arn=ECS_LB_INFRASTRUCTURE_POLICY_ARN,
            opts=pulumi.ResourceOptions(parent=role),
        )
        return role

    # -- WAF -------------------------------------------------------------------------------

    @staticmethod
    def _web_acl(
        name: str,
        settings: StackSettings,
        edge: EdgeSettings,
        alb: lb.LoadBalancer,
        tags: dict,
        child: pulumi.ResourceOptions,
    ) -> pulumi.Output[str]:
        # Imported here: stacks without WAF never load the wafv2 SDK module (plan time).
        from pulumi_aws import wafv2

        acl = wafv2.WebAcl(
            f"{name}-waf",
            description=f"{settings.name_prefix} ALB: rate limit and AWS managed rules",
            scope="REGIONAL",
            default_action={"allow": {}},
            rules=waf_rules(settings.name_prefix, edge.waf_rate_limit),
            visibility_config=visibility(f"{settings.name_prefix}-web-acl"),
            tags=tags,
            opts=child,
        )
        wafv2.WebAclAssociation(
            f"{name}-waf-association",
            resource_arn=alb.arn,
            web_acl_arn=acl.arn,
            opts=pulumi.ResourceOptions(parent=acl),
        )
        return acl.arn


def _checked_routes(routes: Sequence[Route]) -> list[Route]:
    """Catalog routes are checked with the stack config; routes the program adds are checked
    again here, together, before any resource exists."""
    problems = []
    by_priority: dict[int, str] = {}
    by_service: set[str] = set()
    for route in routes:
        if route.priority in by_priority:
            owner = by_priority[route.priority]
            problems.append(f"priority {route.priority} of {route.service} is already {owner}'s")
        by_priority.setdefault(route.priority, route.service)
        if route.service in by_service:
            problems.append(f"{route.service} is routed twice")
        by_service.add(route.service)
    if problems:
        raise ValueError("ALB routes clash: " + "; ".join(problems))
    return sorted(routes, key=lambda r: r.priority)


def build_load_balancer(
    settings: StackSettings,
    network: NetworkRefs,
    services_security_group_id: pulumi.Input[str],
    extra_routes: Sequence[Route] = (),
) -> LoadBalancer | None:
    """The stack's ALB when `edge.enabled`, else None (and no resource)."""
    if settings.edge is None:
        return None
    return LoadBalancer(
        settings.name_prefix,
        LoadBalancerArgs(
            settings=settings,
            network=network,
            services_security_group_id=services_security_group_id,
            extra_routes=tuple(extra_routes),
        ),
    )
