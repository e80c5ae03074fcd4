"""The Application Load Balancer, internet-facing or internal, from its own arguments.

Creates: the ALB in the given subnets (invalid headers dropped, defensive desync mitigation), its
security group (internet-facing: the internet to 80/443 only; internal: the VPC's CIDR, or only
the given private ranges and security groups; each service it routes to opens the path from this
group to its own port: `attachment()`), an HTTPS listener with the given ACM certificate and a
TLS 1.3 policy, an HTTP listener redirecting to HTTPS, per route a target group and one
listener rule with an explicit priority (matching its path patterns, its host headers, or both),
and per guard (`Guard`) a fixed-response rule evaluated before every route. The ALB appends the
client's address to `X-Forwarded-For` (explicitly `append`: the last entry is the one it saw).
Optional: deletion protection, access logs to an S3 bucket the component creates, a WAFv2 web
ACL (its logs and sampled requests with tokens, codes and e-mail addresses of query strings
substituted), and for each route that deploys BLUE_GREEN, LINEAR or CANARY
(`Route.traffic_shift`) a second target group and the IAM role ECS moves the listener rule's
weights with.

Without a certificate the ALB serves plain HTTP: an internet-facing one logs a warning; an
internal one serves HTTP inside the VPC only, like the services' own calls (docs/DESIGN.md,
"Internal ALB").
"""

from __future__ import annotations

import pulumi
from pulumi_aws import cloudwatch, ec2, iam, lb, s3

from ..compute.attachments import LoadBalancerAttachment, TrafficShift
from ..errors import ArgumentError, ConfigIssue
from ..iam_path import service_role
from ..log_archive import log_bucket
from ..service_trust import ecs_service_trust
from .balancer import (
    BalancerComponent,
    balancer_security_group,
    ipv4_load_balancer,
    task_target_group,
)
from .config import Guard, Route
from .domain import alias_records, validated_certificate
from .ingress import Caller
from .load_balancer_args import (
    AccessLogArgs,
    CheckedLoadBalancer,
    LoadBalancerArgs,
    WafArgs,
    checked_load_balancer,
)
from .routing import rule_conditions
from .rules import (
    ECS_LB_INFRASTRUCTURE_POLICY_ARN,
    HEALTH_CHECK,
    NOT_FOUND,
    REDIRECT_TO_HTTPS,
    elb_log_delivery,
    fixed_response,
    forward_action,
    guard_conditions,
    public_urls,
    visibility,
    waf_data_protection,
    waf_log_group_name,
    waf_redacted_fields,
)

__all__ = ["AccessLogArgs", "LoadBalancer", "LoadBalancerArgs", "WafArgs"]

ACCESS_LOG_PREFIX = "alb"
INTERNET = ("0.0.0.0/0",)  # IPv4 only: the ALB's ip_address_type is ipv4


class LoadBalancer(BalancerComponent):
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
        checked = checked_load_balancer(name, args)
        args = checked.args
        super().__init__("accessweaver:edge:LoadBalancer", name, None, opts)
        self._name, self._args, self._region = name, args, checked.region
        self._tags = dict(args.tags)
        child = pulumi.ResourceOptions(parent=self)

        group = self._security_group(child)
        bucket, log_opts = (
            self._access_log_bucket(args.access_logs, child)
            if args.access_logs is not None
            else (None, child)
        )
        alb = self._balancer(group, bucket, log_opts)
        certificate = args.certificate_arn
        if args.domain is not None:
            certificate = validated_certificate(name, args.domain, self, self._tags)
            alias_records(name, args.domain, alb.dns_name, alb.zone_id, self)
        listener = self._listeners(alb, certificate, child)
        self._alb_suffix = alb.arn_suffix
        self._rules(checked, group, listener, child)
        self.web_acl_arn = (
            self._web_acl(alb, checked.waf_rules, child) if args.waf is not None else None
        )
        self._publish(checked, alb, group, listener, bucket)

    def _balancer(
        self, group: ec2.SecurityGroup, bucket: s3.Bucket | None, opts: pulumi.ResourceOptions
    ) -> lb.LoadBalancer:
        return ipv4_load_balancer(
            f"{self._name}-alb",
            self._args,
            kind="application",
            group=group,
            tags=self._tags,
            opts=opts,
            drop_invalid_header_fields=True,  # ELB.4
            desync_mitigation_mode="defensive",  # ELB.12
            # The ALB adds the address it saw last; Keycloak reads the first entry, so its rule
            # refuses a request that already carries the header (docs/DESIGN.md).
            xff_header_processing_mode="append",
            access_logs=(
                {"bucket": bucket.bucket, "prefix": ACCESS_LOG_PREFIX, "enabled": True}
                if bucket is not None
                else None
            ),
        )

    def _rules(
        self,
        checked: CheckedLoadBalancer,
        group: ec2.SecurityGroup,
        listener: lb.Listener,
        child: pulumi.ResourceOptions,
    ) -> None:
        """The guards' fixed responses, then per route its target groups and listener rule
        (with the role ECS shifts traffic with, when a route needs it)."""
        args = checked.args
        role = self._traffic_shift_role(child) if args.shifts_traffic else None
        self._attachments: dict[str, LoadBalancerAttachment] = {}
        self.target_group_arns = {}
        self.target_group_arn_suffixes = {}
        self.alternate_target_group_arns = {}
        self.alternate_target_group_arn_suffixes = {}
        for guard in args.guards:
            self._guard(guard, listener, child)
        for route in checked.routes:
            self._route(route, group, listener, role, child)

    def _publish(
        self,
        checked: CheckedLoadBalancer,
        alb: lb.LoadBalancer,
        group: ec2.SecurityGroup,
        listener: lb.Listener,
        bucket: s3.Bucket | None,
    ) -> None:
        args, routes = checked.args, checked.routes
        balancer = self._publish_balancer(alb, group)
        self.listener_arn = listener.arn
        https = args.https
        # With a domain, users reach the services by its name, not the ALB's.
        host = pulumi.Output.from_input(args.domain.name) if args.domain else alb.dns_name
        self.public_urls = host.apply(lambda dns: public_urls(dns, routes, https))
        self.access_log_bucket = bucket.bucket if bucket is not None else None
        self.register_outputs(
            {
                **balancer,
                "listener_arn": self.listener_arn,
                "target_group_arns": self.target_group_arns,
                "target_group_arn_suffixes": self.target_group_arn_suffixes,
                "alternate_target_group_arns": self.alternate_target_group_arns,
                "alternate_target_group_arn_suffixes": self.alternate_target_group_arn_suffixes,
                "public_urls": self.public_urls,
                "web_acl_arn": self.web_acl_arn,
                "access_log_bucket": self.access_log_bucket,
            }
        )

    def routes_to(self, service: str) -> bool:
        """The ALB has a route to `service`."""
        return service in self._attachments

    def attachment(self, service: str) -> LoadBalancerAttachment:
        """What `service`'s ECS service registers with, and the path from this ALB's group to its
        ports. A service the ALB has no route to is an error naming the routed ones (a typo
        must not leave a service silently outside the load balancer): ask `routes_to` first."""
        found = self._attachments.get(service)
        if found is None:
            raise ArgumentError(
                "LoadBalancer",
                self._name,
                "attachment",
                [
                    ConfigIssue(
                        "service",
                        service,
                        "the load balancer has no route to this service",
                        "one of " + (", ".join(sorted(self._attachments)) or "(no route)"),
                    )
                ],
                before_creation=False,
            )
        return found

    # -- security group --------------------------------------------------------------------

    def _security_group(self, child: pulumi.ResourceOptions) -> ec2.SecurityGroup:
        args = self._args
        # Port 80 stays open with a certificate too: it only answers with a redirect to 443.
        return balancer_security_group(
            self._name,
            "alb",
            args,
            description=(
                f"{args.name} internal ALB: its VPC or given peers to its listeners, out to the "
                "routed services only"
                if args.internal
                else f"{args.name} ALB: internet to 80/443, out to the routed services only"
            ),
            ports=(80, 443) if args.https else (80,),
            internet_callers=[
                Caller("internet", {"cidr_ipv4": cidr}, "Internet") for cidr in INTERNET
            ],
            what="the internal ALB" if args.internal else "the ALB",
            tags=self._tags,
            opts=child,
        )

    # -- access logs -----------------------------------------------------------------------

    def _access_log_bucket(
        self, logs: AccessLogArgs, child: pulumi.ResourceOptions
    ) -> tuple[s3.Bucket, pulumi.ResourceOptions]:
        """S3 bucket for ELB.5; returns it and the options the ALB needs (ELB checks the bucket
        policy when access logs are switched on, so the ALB waits for it)."""
        region = self._region
        bucket, policy = log_bucket(
            f"{self._name}-alb-logs",
            parent=self,
            retention_days=logs.retention_days,
            delivery=lambda arn, account: [
                elb_log_delivery(arn, account, region, ACCESS_LOG_PREFIX)
            ],
            purpose="alb-access-logs",
            protect=logs.protect,
            tags=self._tags,
        )
        return bucket, pulumi.ResourceOptions(parent=child.parent, depends_on=[policy])

    # -- listeners, target groups, rules ---------------------------------------------------

    def _listeners(
        self,
        alb: lb.LoadBalancer,
        certificate: pulumi.Input[str] | None,
        child: pulumi.ResourceOptions,
    ) -> lb.Listener:
        args, name = self._args, self._name
        if certificate is None and args.internal:
            pulumi.log.info(
                f"the internal ALB {args.name} serves plain HTTP on port 80 inside the VPC "
                '(docs/DESIGN.md, "Internal ALB"); give it a certificate for HTTPS.',
                resource=self,
            )
        elif certificate is None:
            pulumi.log.warn(
                f"the ALB {args.name} has no certificate, so it serves plain HTTP on port 80; "
                "give it an ACM certificate to serve HTTPS and redirect HTTP to it.",
                resource=self,
            )
        if certificate is None:
            return lb.Listener(
                f"{name}-http",
                load_balancer_arn=alb.arn,
                port=80,
                protocol="HTTP",
                default_actions=[NOT_FOUND],
                tags=self._tags,
                opts=child,
            )
        lb.Listener(
            f"{name}-http-redirect",
            load_balancer_arn=alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[REDIRECT_TO_HTTPS],  # ELB.1
            tags=self._tags,
            opts=child,
        )
        return lb.Listener(
            f"{name}-https",
            load_balancer_arn=alb.arn,
            port=443,
            protocol="HTTPS",
            certificate_arn=certificate,
            ssl_policy=args.ssl_policy,  # ELB.17
            default_actions=[NOT_FOUND],
            tags=self._tags,
            opts=child,
        )

    def _guard(self, guard: Guard, listener: lb.Listener, child: pulumi.ResourceOptions) -> None:
        lb.ListenerRule(
            f"{self._name}-guard-{guard.name}",
            listener_arn=listener.arn,
            priority=guard.priority,
            conditions=guard_conditions(guard),
            actions=[fixed_response(guard.status_code)],
            tags={**self._tags, "Purpose": "edge-guard"},
            opts=child,
        )

    def _route(
        self,
        route: Route,
        group: ec2.SecurityGroup,
        listener: lb.Listener,
        role: iam.Role | None,
        child: pulumi.ResourceOptions,
    ) -> None:
        args, name = self._args, self._name
        service_tags = {**self._tags, "Service": route.service}

        def target_group(slot: str) -> lb.TargetGroup:
            return task_target_group(
                f"{name}-{route.service}-tg-{slot}",
                args,
                service=route.service,
                port=route.port,
                slot=slot,
                protocol="HTTP",
                health_check={
                    **HEALTH_CHECK,
                    "path": route.health_check_path,
                    "port": str(route.health_check_port or "traffic-port"),
                },
                tags=service_tags,
                opts=child,
            )

        primary = target_group("a")
        alternate = target_group("b") if route.traffic_shift and role is not None else None
        rule = lb.ListenerRule(
            f"{name}-{route.service}-rule",
            listener_arn=listener.arn,
            priority=route.priority,
            conditions=rule_conditions(route.host_headers, route.path_patterns),
            actions=[forward_action(primary.arn, alternate.arn if alternate else None)],
            tags=service_tags,
            opts=pulumi.ResourceOptions.merge(
                child,
                # Blue/green, linear, canary: ECS owns the weights after the first deployment;
                # `pulumi up` must not move traffic back to the group it drained.
                pulumi.ResourceOptions(ignore_changes=["actions"] if alternate else None),
            ),
        )
        shift = None
        if alternate is not None and role is not None:
            shift = TrafficShift(
                alternate_target_group_arn=alternate.arn,
                production_listener_rule_arn=rule.arn,
                role_arn=role.arn,
                alternate_target_group_arn_suffix=alternate.arn_suffix,
            )
        self._attachments[route.service] = LoadBalancerAttachment(
            target_group_arn=primary.arn,
            security_group_ids=(group.id,),
            ports=route.ports,
            target_group_arn_suffix=primary.arn_suffix,
            load_balancer_arn_suffix=self._alb_suffix,
            traffic_shift=shift,
        )
        self.target_group_arns[route.service] = primary.arn
        self.target_group_arn_suffixes[route.service] = primary.arn_suffix
        if alternate is not None:
            self.alternate_target_group_arns[route.service] = alternate.arn
            self.alternate_target_group_arn_suffixes[route.service] = alternate.arn_suffix

    def _traffic_shift_role(self, child: pulumi.ResourceOptions) -> iam.Role:
        name = self._name
        role = service_role(
            f"{name}-ecs-lb-role",
            description=f"{self._args.name}: ECS moves listener-rule weights (blue/green, "
            "linear, canary)",
            trust=lambda acct: ecs_service_trust(acct, self._region),
            tags=self._tags,
            permissions_boundary=self._args.permissions_boundary,
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

    def _web_acl(
        self, alb: lb.LoadBalancer, rules: list[dict], child: pulumi.ResourceOptions
    ) -> pulumi.Output[str]:
        # Imported here: stacks without WAF never load the wafv2 SDK module (plan time).
        from pulumi_aws import wafv2

        args, name = self._args, self._name
        assert args.waf is not None
        acl = wafv2.WebAcl(
            f"{name}-waf",
            description=f"{args.name} ALB: rate limits, AWS managed rules, size limits per route",
            scope="REGIONAL",
            default_action={"allow": {}},
            rules=rules,
            # What WAF keeps of a request (logs, samples) carries no token, code or address.
            data_protection_config=waf_data_protection(args.waf.protected_query_arguments),
            visibility_config=visibility(f"{args.name}-web-acl"),
            tags=self._tags,
            opts=child,
        )
        wafv2.WebAclAssociation(
            f"{name}-waf-association",
            resource_arn=alb.arn,
            web_acl_arn=acl.arn,
            opts=pulumi.ResourceOptions(parent=acl),
        )
        if args.waf.log_retention_days is not None:
            # WAF only delivers to destinations named aws-waf-logs-*; it writes the log group's
            # resource policy itself when logging is switched on (docs/DESIGN.md).
            log_group = cloudwatch.LogGroup(
                f"{name}-waf-logs",
                name=waf_log_group_name(args.name),
                retention_in_days=args.waf.log_retention_days,
                tags={**self._tags, "Purpose": "waf-logs"},
                opts=pulumi.ResourceOptions(parent=acl),
            )
            wafv2.WebAclLoggingConfiguration(
                f"{name}-waf-logging",
                resource_arn=acl.arn,
                log_destination_configs=[log_group.arn],
                redacted_fields=waf_redacted_fields(),
                opts=pulumi.ResourceOptions(parent=acl),
            )
        return acl.arn
