"""Edge: the ALB, its listeners, target groups and rules, WAF, access logs and blue/green.

GIVEN a stack file (committed, or changed through `run_stack`), WHEN the program runs on the
offline engine, THEN the recorded resources and inputs are what issue 3 and CONTROLS.md ask for.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from typing import Any

import pytest
import yaml

from accessweaver_components.edge.rules import ELB_NAME_MAX, elb_name, target_group_name
from tests.config_support import OPT_OUT, REGISTRY, loader
from tests.conftest import ROOT, STACKS
from tests.resource_types import ALB, LISTENER, SERVICE, SG, SG_IN, TG, WEB_ACL
from tools.checks import internet_ingress, listener_routing_problems
from tools.engine import mock_state

RULE = "aws:lb/listenerRule:ListenerRule"
REGION = "eu-west-1"
# An ACM certificate of the staging account (Pulumi.staging.yaml aws:allowedAccountIds).
CERTIFICATE = "arn:aws:acm:eu-west-1:222222222222:certificate/75f027a4-27dc-46c5-894e-e6a40b772e67"


def arn(resource) -> str:
    return mock_state(resource.type, resource.name, dict(resource.inputs), REGION)[1]["arn"]


def resource_id(resource) -> str:
    return mock_state(resource.type, resource.name, dict(resource.inputs), REGION)[0]


def public_services(result) -> list:
    return [s for s in result.of_type(SERVICE) if s.inputs.get("loadBalancers")]


# -- routing: the field report's missing listener rules --------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_target_group_is_reached_by_a_rule_and_priorities_are_unique(plan, stack):
    result = plan(stack)
    assert result.of_type(TG), "the stack builds target groups"
    assert listener_routing_problems(result.resources, REGION) == []


def test_routing_check_reports_a_target_group_no_rule_forwards_to(plan):
    # GIVEN the recorded prod run plus a target group nobody routes to (the report's mistake)
    resources = list(plan("prod").resources)
    some_group = next(r for r in resources if r.type == TG)
    orphan = replace(
        some_group,
        name="accessweaver-prod-orphan-tg-a",
        inputs={**some_group.inputs, "name": "prod-orphan-8099-a-0000", "port": 8099},
    )
    # WHEN the check runs
    problems = listener_routing_problems([*resources, orphan], REGION)
    # THEN it names exactly that group
    assert problems == [
        "target group accessweaver-prod-orphan-tg-a is attached to no listener rule or default "
        "action"
    ]


def test_routing_check_reports_two_rules_sharing_a_priority(plan):
    resources = list(plan("prod").resources)
    first, second = [r for r in resources if r.type == RULE][:2]
    clash = replace(second, inputs={**second.inputs, "priority": first.inputs["priority"]})
    problems = listener_routing_problems(
        [r for r in resources if r is not second] + [clash], REGION
    )
    assert (
        len(problems) == 1
        and f"priority {int(first.inputs['priority'])} is used by" in (problems[0])
    )


@pytest.mark.parametrize("stack", STACKS)
def test_each_public_service_has_one_rule_and_the_default_route_is_evaluated_last(plan, stack):
    result = plan(stack)
    rules = {
        r.name: r.inputs
        for r in result.of_type(RULE)
        if r.inputs["actions"][0]["type"] == "forward"
    }
    gateway = rules[f"accessweaver-{stack}-aw-api-gateway-rule"]
    assert gateway["conditions"] == [{"pathPattern": {"values": ["/*"]}}]
    assert gateway["priority"] == max(rule["priority"] for rule in rules.values()) == 50000
    assert len(rules) == len(public_services(result))
    for listener in result.of_type(LISTENER):
        assert listener.inputs["defaultActions"][0]["type"] in ("fixed-response", "redirect")


# -- listeners and TLS ------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_https_listener_uses_the_tls13_policy_and_the_configured_certificate(plan, stack):
    (https,) = [
        listener
        for listener in plan(stack).of_type(LISTENER)
        if listener.inputs["protocol"] == "HTTPS"
    ]
    assert https.inputs["port"] == 443
    assert https.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    # ... the stack file's, of the stack's own account (an ALB only uses its account's
    # certificates), or the one the program requests for edge.domain (prod)
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    configured = config["accessweaver:edge"].get("certificateArn")
    if configured is None:
        assert plan(stack).of_type("aws:acm/certificate:Certificate")
    else:
        assert https.inputs["certificateArn"] == configured
        assert configured.split(":")[4] in config["aws:allowedAccountIds"]


@pytest.mark.parametrize("stack", STACKS)
def test_http_listener_only_redirects_to_https(plan, stack):
    result = plan(stack)
    (http,) = [x for x in result.of_type(LISTENER) if x.inputs["protocol"] == "HTTP"]
    assert http.inputs["defaultActions"] == [
        {
            "type": "redirect",
            "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"},
        }
    ]
    assert all(rule.inputs["listenerArn"] != arn(http) for rule in result.of_type(RULE))


def test_without_a_certificate_http_serves_the_rules_and_the_program_warns(run_stack, caplog):
    # GIVEN dev without a certificate
    result = run_stack("dev", {"accessweaver:edge": {"enabled": True}})
    # THEN one plain-HTTP listener carries the rules, no HTTPS listener exists
    (http,) = result.of_type(LISTENER)
    assert http.inputs["protocol"] == "HTTP"
    assert {rule.inputs["listenerArn"] for rule in result.of_type(RULE)} == {arn(http)}
    # AND only port 80 is open to the internet
    assert {(cidr, port) for _, cidr, port, _ in internet_ingress(result.resources)} == {
        ("0.0.0.0/0", 80)
    }
    # AND the run says so
    assert any(
        record.levelname == "WARNING" and "edge.certificateArn is not set" in record.getMessage()
        for record in caplog.records
    )


# -- the load balancer -----------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_alb_is_public_drops_invalid_headers_and_mitigates_desync(plan, stack):
    alb = plan(stack).one(ALB, f"accessweaver-{stack}-alb").inputs
    assert (alb["internal"], alb["loadBalancerType"]) == (False, "application")
    assert alb["dropInvalidHeaderFields"] is True
    assert alb["desyncMitigationMode"] == "defensive"
    assert len(alb["subnets"]) >= 2


@pytest.mark.parametrize(
    ("stack", "protected"), [("dev", False), ("staging", True), ("prod", True)]
)
def test_deletion_protection_and_access_logs_where_controls_ask(plan, stack, protected):
    result = plan(stack)
    alb = result.one(ALB, f"accessweaver-{stack}-alb").inputs
    assert alb["enableDeletionProtection"] is protected
    buckets = [b for b in result.of_type("aws:s3/bucket:Bucket") if b.name.endswith("-alb-logs")]
    if protected:
        assert alb["accessLogs"]["enabled"] is True
        assert alb["accessLogs"]["bucket"] == resource_id(buckets[0])
        assert buckets[0].protect is True
    else:
        assert "accessLogs" not in alb and buckets == []


def test_access_log_bucket_is_private_encrypted_expiring_and_written_only_by_elb(plan):
    result = plan("prod")
    bucket = result.one("aws:s3/bucket:Bucket", "accessweaver-prod-alb-logs")
    parts = {r.type.split("/")[-1].split(":")[0]: r.inputs for r in result.children_of(bucket)}
    assert all(
        parts["bucketPublicAccessBlock"][k]
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    assert parts["bucketOwnershipControls"]["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    rule = parts["bucketServerSideEncryptionConfiguration"]["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    # prod keeps its security logs a year (LOG.1)
    # Raw request lines (tokens, e-mail addresses in query strings): a quarter in prod.
    assert parts["bucketLifecycleConfiguration"]["rules"][0]["expiration"] == {"days": 90}
    policy = json.loads(parts["bucketPolicy"]["policy"])["Statement"]
    allow, deny = policy
    assert allow["Principal"] == {"AWS": "arn:aws:iam::156460612806:root"}  # ELB in eu-west-1
    assert allow["Action"] == "s3:PutObject"
    assert allow["Resource"].endswith("/alb/AWSLogs/123456789012/*")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    alb = result.one(ALB, "accessweaver-prod-alb")
    assert any(d.endswith("accessweaver-prod-alb-logs-policy") for d in alb.depends_on)


# -- security groups -------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_only_the_alb_is_open_to_the_internet_and_only_on_80_and_443(plan, stack):
    result = plan(stack)
    alb_group = result.one(SG, f"accessweaver-{stack}-alb-sg")
    open_rules = internet_ingress(result.resources)
    assert {(group, port, to) for group, _, port, to in open_rules} == {
        (resource_id(alb_group), 80, 80),
        (resource_id(alb_group), 443, 443),
    }
    assert {cidr for _, cidr, _, _ in open_rules} == {"0.0.0.0/0"}


@pytest.mark.parametrize("stack", STACKS)
def test_services_accept_the_alb_only_on_routed_ports(plan, stack):
    result = plan(stack)
    alb_group = resource_id(result.one(SG, f"accessweaver-{stack}-alb-sg"))
    from_alb = {
        int(r.inputs["fromPort"])
        for r in result.of_type(SG_IN)
        if r.inputs.get("referencedSecurityGroupId") == alb_group
    }
    routed = {int(tg.inputs["port"]) for tg in result.of_type(TG)}
    health = {
        int(tg.inputs["healthCheck"]["port"])
        for tg in result.of_type(TG)
        if tg.inputs["healthCheck"]["port"] != "traffic-port"
    }
    assert from_alb == routed | health
    assert not from_alb & {8081, 8082, 8083, 8084}  # internal services stay internal
    egress = [
        r.inputs
        for r in result.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        if r.inputs["securityGroupId"] == alb_group
    ]
    assert {int(e["fromPort"]) for e in egress} == from_alb
    assert all("cidrIpv4" not in e for e in egress)


# -- target groups ---------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_target_groups_are_ip_health_checked_every_30s_and_drain_within_stop_timeout(plan, stack):
    result = plan(stack)
    stop_timeouts = {}
    for task in result.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        for container in json.loads(task.inputs["containerDefinitions"]):
            stop_timeouts[container["name"]] = container.get("stopTimeout")
    for group in result.of_type(TG):
        inputs = group.inputs
        service = inputs["tags"]["Service"]
        assert (inputs["targetType"], inputs["protocol"]) == ("ip", "HTTP")
        check = inputs["healthCheck"]
        assert (check["interval"], check["timeout"], check["matcher"]) == (30, 5, "200")
        assert check["path"].startswith("/")
        assert inputs["deregistrationDelay"] <= stop_timeouts[service]
        assert len(inputs["name"]) <= ELB_NAME_MAX


def test_gateway_health_check_is_its_readiness_group(plan):
    group = plan("dev").one(TG, "accessweaver-dev-aw-api-gateway-tg-a").inputs
    assert group["healthCheck"]["path"] == "/actuator/health/readiness"
    assert group["port"] == 8080 and group["name"] == "dev-api-gateway-8080-a-5aa4"


# -- deployments ------------------------------------------------------------------------------


def test_prod_public_services_deploy_blue_green_with_alternate_group_rule_and_role(plan):
    result = plan("prod")
    role = result.one("aws:iam/role:Role", "accessweaver-prod-ecs-lb-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "ecs.amazonaws.com"}
    (attachment,) = result.children_of(role)
    assert attachment.inputs["policyArn"] == (
        "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
    )
    services = public_services(result)
    assert services
    for service in services:
        name = service.inputs["loadBalancers"][0]["containerName"]
        balancer = service.inputs["loadBalancers"][0]
        primary = result.one(TG, f"accessweaver-prod-{name}-tg-a")
        alternate = result.one(TG, f"accessweaver-prod-{name}-tg-b")
        rule = result.one(RULE, f"accessweaver-prod-{name}-rule")
        assert service.inputs["deploymentConfiguration"] == {
            "strategy": "BLUE_GREEN",
            "bakeTimeInMinutes": "10",
        }
        assert balancer["targetGroupArn"] == arn(primary)
        assert balancer["advancedConfiguration"] == {
            "alternateTargetGroupArn": arn(alternate),
            "productionListenerRule": arn(rule),
            "roleArn": arn(role),
        }
        # No circuit breaker for blue/green (rolling updates only): its alarms roll it back.
        assert service.inputs["alarms"]["rollback"] is True
        # The rule forwards to both groups, live one at 100; ECS owns the weights afterwards.
        assert rule.inputs["actions"][0]["forward"]["targetGroups"] == [
            {"arn": arn(primary), "weight": 100},
            {"arn": arn(alternate), "weight": 0},
        ]
        assert rule.ignore_changes == ("actions",)


def test_dev_public_services_roll_through_one_target_group(plan):
    result = plan("dev")
    for service in public_services(result):
        assert service.inputs.get("deploymentConfiguration", {}).get("strategy", "ROLLING") == (
            "ROLLING"
        )
        assert "advancedConfiguration" not in service.inputs["loadBalancers"][0]
    assert not [g for g in result.of_type(TG) if g.name.endswith("-tg-b")]
    assert not [r for r in result.of_type("aws:iam/role:Role") if r.name.endswith("-ecs-lb-role")]
    for rule in result.of_type(RULE):
        assert rule.ignore_changes == ()


# -- WAF ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_waf_has_managed_groups_a_rate_limit_and_metrics_on_every_rule(plan, stack):
    result = plan(stack)
    (acl,) = result.of_type(WEB_ACL)
    inputs = acl.inputs
    assert inputs["scope"] == "REGIONAL" and inputs["defaultAction"] == {"allow": {}}
    visibilities = [inputs["visibilityConfig"], *(r["visibilityConfig"] for r in inputs["rules"])]
    for visibility in visibilities:
        assert visibility["cloudwatchMetricsEnabled"] is True
        assert visibility["sampledRequestsEnabled"] is True
        assert visibility["metricName"]
    managed = {
        r["statement"]["managedRuleGroupStatement"]["name"]
        for r in inputs["rules"]
        if "managedRuleGroupStatement" in r["statement"]
    }
    assert managed == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
    }
    (rate,) = [r for r in inputs["rules"] if r["name"] == "rate-limit-per-ip"]
    assert rate["statement"]["rateBasedStatement"]["limit"] == 2000
    assert rate["statement"]["rateBasedStatement"]["aggregateKeyType"] == "IP"
    assert rate["action"] == {"block": {}}
    assert len({r["priority"] for r in inputs["rules"]}) == len(inputs["rules"])
    (association,) = result.of_type("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert association.inputs["resourceArn"] == arn(result.one(ALB, f"accessweaver-{stack}-alb"))
    assert association.inputs["webAclArn"] == arn(acl)


def test_rate_limit_comes_from_config(run_stack):
    result = run_stack(
        "staging",
        {
            "accessweaver:edge": {
                "enabled": True,
                "certificateArn": CERTIFICATE,
                "waf": {"rateLimit": 500},
            }
        },
    )
    (acl,) = result.of_type(WEB_ACL)
    (rate,) = [r for r in acl.inputs["rules"] if r["name"] == "rate-limit-per-ip"]
    assert rate["statement"]["rateBasedStatement"]["limit"] == 500


def test_a_stack_without_waf_never_loads_the_wafv2_module():
    # GIVEN dev (WAF off) run in a fresh interpreter, WHEN the program has run,
    # THEN the wafv2 SDK module was never imported (it is a large module: plan time)
    code = (
        "import sys; from tools.engine import run_program; r = run_program('.', 'dev'); "
        "assert not r.of_type('aws:wafv2/webAcl:WebAcl'); "
        "print(sorted(m for m in sys.modules if m.startswith('pulumi_aws.wafv2.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# -- outputs -------------------------------------------------------------------------------


def test_outputs_give_the_alb_dns_name_public_urls_and_the_built_target_groups(plan):
    result = plan("prod")
    dns = result.outputs["alb_dns_name"]
    assert dns.endswith(".eu-west-1.elb.amazonaws.com")
    # prod has a domain: users reach the services by its name (staging by the ALB's)
    assert result.outputs["public_urls"]["aw-api-gateway"] == ["https://accessweaver.example.com/"]
    staging = plan("staging").outputs
    assert staging["public_urls"]["aw-api-gateway"] == [f"https://{staging['alb_dns_name']}/"]
    integration = result.outputs["alb_integration_config"]
    assert integration["vpc_id"] == result.outputs["vpc_id"]
    assert integration["services"]["aw-api-gateway"]["target_group_arn"] == arn(
        result.one(TG, "accessweaver-prod-aw-api-gateway-tg-a")
    )


def test_stack_without_edge_exports_no_alb(run_stack):
    result = run_stack("dev", {"accessweaver:edge": {"enabled": False}})
    assert result.of_type(ALB) == [] and result.of_type(TG) == []
    assert (result.outputs["alb_dns_name"], result.outputs["public_urls"]) == (None, {})


# -- names (pure) ------------------------------------------------------------------------------


def test_elb_names_stay_within_32_characters_and_distinct():
    names = {
        target_group_name("accessweaver", env, service, port, slot)
        for env in ("dev", "staging", "prod")
        for service in (
            "aw-api-gateway",
            "a-very-long-service-name-abcdefg",
            "a-very-long-service-name-abcdefh",
        )
        for port in (8080, 65535)
        for slot in ("a", "b")
    }
    assert len(names) == 3 * 3 * 2 * 2
    assert all(len(n) <= ELB_NAME_MAX and not n.endswith("-") for n in names)
    assert elb_name("accessweaver-prod") == "accessweaver-prod"
    assert len(elb_name("x" * 24 + "-staging")) == ELB_NAME_MAX


# -- config rules (pure loader) --------------------------------------------------------------

BASE: dict[str, Any] = {
    "environment": "prod",
    "permissionsBoundaryOptOut": OPT_OUT,
    "containerRegistry": REGISTRY,
    "network": {"createVpc": True},
    "edge": {"enabled": True, "certificateArn": CERTIFICATE},
}


load, problems = loader(BASE)


def catalog(**gateway: Any) -> dict[str, Any]:
    size = {"cpu": 256, "memory": 512, "desiredCount": 1}
    sizes = {"dev": size, "staging": size, "prod": size}
    return {
        "api": {"port": 8080, "public": True, "sizes": sizes, **gateway},
        "web": {
            "port": 8081,
            "public": True,
            "pathPatterns": ["/web/*"],
            "priority": 10,
            "sizes": sizes,
        },
        "worker": {"port": 8082, "sizes": sizes},
    }


def test_certificate_in_another_region_is_refused():
    other = CERTIFICATE.replace("eu-west-1", "us-east-1")
    found = problems(edge={"enabled": True, "certificateArn": other})
    assert (
        "certificate is in us-east-1, the stack deploys to eu-west-1"
        in (found["edge.certificateArn"])
    )


def test_prod_without_a_certificate_is_refused():
    assert "plain HTTP" in problems(edge={"enabled": True})["edge.certificateArn"]


def test_malformed_certificate_arn_is_refused():
    found = problems(edge={"enabled": True, "certificateArn": "arn:aws:acm:eu-west-1:1:cert/x"})
    assert "arn:aws:acm:<region>:<account>:certificate/<uuid>" in found["edge.certificateArn"]


def test_two_services_with_one_priority_are_refused_naming_the_first():
    found = problems(baseCatalog="none", services=catalog(pathPatterns=["/api/*"], priority=10))
    assert "priority already used by" in found["services.web.priority"] or (
        "priority already used by" in found["services.api.priority"]
    )


def test_public_service_without_a_route_is_refused():
    found = problems(baseCatalog="none", services=catalog())
    assert "public service without a route" in found["services.api.pathPatterns"]


def test_routes_get_unique_priorities_and_the_default_route_comes_last():
    settings = load(baseCatalog="none", services=catalog(defaultRoute=True))
    routes = {r.service: (r.path_patterns, r.priority) for r in settings.edge.routes}
    assert (routes["web"], routes["api"]) == ((("/web/*",), 10), (("/*",), 50000))
    assert len({priority for _, priority in routes.values()}) == len(routes)
    assert max(routes.values(), key=lambda route: route[1]) == routes["api"]


def test_routing_keys_on_an_internal_service_are_refused():
    services = catalog(defaultRoute=True)
    services["worker"]["pathPatterns"] = ["/worker/*"]
    assert (
        "only public services"
        in problems(baseCatalog="none", services=services)["services.worker.pathPatterns"]
    )


def test_existing_target_groups_conflict_with_the_built_alb():
    found = problems(
        targetGroupArns={
            "aw-api-gateway": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:"
            "targetgroup/aw-prod-api-gateway/2123456789abcdef"
        }
    )
    assert "conflicts with edge.enabled: true" in found["targetGroupArns.aw-api-gateway"]


def test_deregistration_longer_than_a_stop_timeout_is_refused():
    services = catalog(defaultRoute=True, stopTimeout=20)
    found = problems(
        baseCatalog="none", services=services, edge={**BASE["edge"], "deregistrationDelay": 60}
    )
    assert "longer than api's stopTimeout (20 s" in found["edge.deregistrationDelay"]


def test_edge_keys_without_edge_enabled_are_refused():
    found = problems(edge={"certificateArn": CERTIFICATE})
    assert "edge.enabled is false" in found["edge.certificateArn"]


@pytest.mark.parametrize(
    ("key", "value"),
    [("deletionProtection", False), ("accessLogs", False), ("waf", {"enabled": False})],
)
def test_switching_off_a_p_control_is_refused_in_prod(key, value):
    found = problems(edge={**BASE["edge"], key: value})
    path = "edge.waf.enabled" if key == "waf" else f"edge.{key}"
    assert "enforced in staging and prod" in found[path]


def test_dev_may_waive_the_p_controls():
    settings = load(
        environment="dev", edge={**BASE["edge"], "accessLogs": False, "waf": {"enabled": False}}
    )
    assert (settings.edge.access_logs, settings.edge.waf) == (False, False)
