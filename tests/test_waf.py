"""The web ACL lets the application work: per-route body and query-string limits, rate limits
keyed on what identifies a client, and a capacity WAF accepts.

The plan tests run requests through the planned web ACL (`tests/waf_eval.py` evaluates the
recorded rules as WAF documents them), so they read the rules, not their comments.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from accessweaver_components.edge.config import Route, RouteRateLimit
from accessweaver_components.edge.waf import (
    ALB_BODY_INSPECTION_BYTES,
    DEFAULT_CAPACITY_UNITS,
    MAX_LOGICAL_DEPTH,
    MAX_PATTERN_CHARS,
    greater_than_patterns,
    logical_depth,
    may_overlap,
    path_statement,
    statement_capacity,
    web_acl_capacity,
    web_acl_problems,
    web_acl_rules,
)
from tests.resource_types import WEB_ACL
from tests.waf_eval import Request, evaluate, rate_blocks
from tools.aws_models import create_web_acl_params, validate

KIB = 1024
TOKEN = {"Authorization": "Bearer eyJ.customer-a.sig"}


def rules_of(result) -> list[dict[str, Any]]:
    (acl,) = result.of_type(WEB_ACL)
    return acl.inputs["rules"]


def post(path: str, size: int, declared: bool = True, **headers: str) -> Request:
    length = {"Content-Length": str(size)} if declared else {}
    return Request(path, body=size, headers={**length, **headers})


# -- a service that accepts 64 KiB bodies ----------------------------------------------------


DOCUMENTS = {
    "port": 8090,
    "public": True,
    "pathPatterns": ["/documents/*"],
    "priority": 100,
    "maxRequestBodyKb": 64,
    "sizes": {"staging": {"cpu": 256, "memory": 512, "desiredCount": 1}},
}


@pytest.fixture(scope="module")
def documents_acl():
    from tests.conftest import ROOT
    from tools.engine import run_program

    # One run for both: Keycloak's own limits set below its defaults.
    override = {
        "accessweaver:services": _json({"docs": DOCUMENTS}),
        "accessweaver:keycloak": _json({"maxRequestBodyKb": 32, "maxQueryStringKb": 4}),
    }
    return rules_of(run_program(ROOT, "staging", config_override=override))


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def test_a_64_kib_body_reaches_the_service_that_declares_it(documents_acl):
    # GIVEN staging with a service declaring maxRequestBodyKb: 64 on /documents/*
    # WHEN a 64 KiB upload (8 times what the core rule set lets through) is posted to it
    verdict = evaluate(documents_acl, post("/documents/upload", 64 * KIB))
    # THEN the web ACL lets it through, the managed rule having only counted it
    assert verdict.action == "ALLOW", verdict
    assert "AWSManagedRulesCommonRuleSet:SizeRestrictions_BODY" in verdict.counted
    assert "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body" in verdict.labels


def test_one_byte_above_its_limit_is_blocked_by_its_own_rule(documents_acl):
    verdict = evaluate(documents_acl, post("/documents/upload", 64 * KIB + 1))
    assert (verdict.action, verdict.terminating_rule) == ("BLOCK", "body-size-docs")


def test_the_same_body_elsewhere_is_still_blocked(documents_acl):
    # The gateway takes every other path: 64 KiB there is blocked as the managed rule did, and
    # a path that only starts like the service's is not the service's.
    for path in ("/api/v1/check", "/documentsX/upload", "/auth/admin/x"):
        verdict = evaluate(documents_acl, post(path, 64 * KIB))
        assert verdict.action == "BLOCK", (path, verdict)
    assert evaluate(documents_acl, post("/api/v1/check", 9 * KIB)).terminating_rule == "body-size"
    assert evaluate(documents_acl, post("/api/v1/check", 8 * KIB)).action == "ALLOW"


def test_a_body_over_8_kib_that_declares_no_length_is_refused_even_on_its_route(documents_acl):
    # WAF sees 8 KiB of it and no Content-Length says how long it is (chunked): not measurable.
    verdict = evaluate(documents_acl, post("/documents/upload", 20 * KIB, declared=False))
    assert (verdict.action, verdict.terminating_rule) == ("BLOCK", "body-size")
    small = evaluate(documents_acl, post("/documents/upload", 4 * KIB, declared=False))
    assert small.action == "ALLOW"


def test_the_route_rule_labels_only_the_services_requests(documents_acl):
    mine = evaluate(documents_acl, Request("/documents/a.pdf"))
    assert {"route:docs", "size:large-body"} <= mine.labels
    assert "route-docs" in mine.counted
    other = evaluate(documents_acl, Request("/api/documents/a.pdf"))
    assert "route:docs" not in other.labels and "size:large-body" not in other.labels


def test_a_route_evaluated_later_does_not_inherit_an_earlier_routes_limit():
    # GIVEN /api/* (priority 10, 64 KiB) and /api-docs* (priority 20, no setting): the ALB
    # sends /api/x to the first, /api-docs to the second
    routes = [
        Route("api", 8080, "/health", ("/api/*",), 10, max_body_kb=64),
        Route("docs", 8081, "/health", ("/api-docs*",), 20),
        Route("web", 8082, "/health", ("/*",), 50000, default=True, max_body_kb=16),
    ]
    rules = _camel(web_acl_rules("t", 2000, (), routes))
    assert evaluate(rules, post("/api/x", 60 * KIB)).action == "ALLOW"
    assert evaluate(rules, post("/api-docs", 60 * KIB)).action == "BLOCK"
    # THEN the default route's own 16 KiB applies to what no other route takes, and only there
    assert evaluate(rules, post("/index.html", 16 * KIB)).action == "ALLOW"
    assert evaluate(rules, post("/index.html", 17 * KIB)).terminating_rule == "body-size-web"
    assert evaluate(rules, post("/api-docs", 16 * KIB)).terminating_rule == "body-size"


def test_a_body_limit_below_the_managed_one_is_checked_on_the_body_itself():
    routes = [Route("api", 8080, "/health", ("/api/*",), 10, max_body_kb=2)]
    rules = _camel(web_acl_rules("t", 2000, (), routes))
    assert evaluate(rules, post("/api/x", 2 * KIB, declared=False)).action == "ALLOW"
    blocked = evaluate(rules, post("/api/x", 2 * KIB + 1, declared=False))
    assert blocked.terminating_rule == "body-size-api"
    # the managed rule is untouched (no route accepts more than 8 KiB)
    core = next(r for r in rules if r["name"] == "AWSManagedRulesCommonRuleSet")
    assert "ruleActionOverrides" not in core["statement"]["managedRuleGroupStatement"]


# -- Keycloak's query strings and SAML bodies ---------------------------------------------------


def test_keycloak_logout_with_a_long_id_token_hint_passes_and_stays_bounded(plan):
    rules = rules_of(plan("prod"))
    logout = "/auth/realms/accessweaver/protocol/openid-connect/logout"
    hint = "id_token_hint=" + "e" * (6 * KIB)
    assert evaluate(rules, Request(logout, query=hint)).action == "ALLOW"
    too_long = evaluate(rules, Request(logout, query="id_token_hint=" + "e" * (8 * KIB)))
    assert (too_long.action, too_long.terminating_rule) == (
        "BLOCK",
        "query-string-size-keycloak",
    )
    # the same query string on the gateway's paths keeps the managed 2 KiB
    elsewhere = evaluate(rules, Request("/api/v1/check", query=hint, headers=TOKEN))
    assert elsewhere.terminating_rule == "query-string-size"


def test_a_saml_post_binding_reaches_keycloak(plan):
    rules = rules_of(plan("prod"))
    endpoint = "/auth/realms/accessweaver/broker/corporate-idp/endpoint"
    assert evaluate(rules, post(endpoint, 90 * KIB)).action == "ALLOW"
    assert evaluate(rules, post(endpoint, 128 * KIB + 1)).terminating_rule == "body-size-keycloak"


def test_keycloaks_limits_come_from_its_own_keys(documents_acl):
    rules = documents_acl
    endpoint = "/auth/realms/x/broker/idp/endpoint"
    assert evaluate(rules, post(endpoint, 32 * KIB)).action == "ALLOW"
    assert evaluate(rules, post(endpoint, 33 * KIB)).terminating_rule == "body-size-keycloak"
    query = "SAMLRequest=" + "a" * (4 * KIB)
    assert evaluate(rules, Request("/auth/realms/x/protocol/saml", query=query)).action == "BLOCK"


# -- rate limits keyed on the client ---------------------------------------------------------


def test_the_decision_api_counts_its_clients_by_bearer_token(plan):
    rules = rules_of(plan("prod"))
    by_name = {r["name"]: r for r in rules}
    keyed = by_name["rate-aw-api-gateway"]["statement"]["rateBasedStatement"]
    assert keyed["aggregateKeyType"] == "CUSTOM_KEYS"
    assert keyed["customKeys"] == [
        {"header": {"name": "authorization", "textTransformations": [
            {"priority": 0, "type": "NONE"}]}}
    ]  # fmt: skip
    # A backend's call: counted under its token and its address on the gateway's route, never
    # by the stack-wide per-address rule; a call without a token falls back to that rule.
    call = evaluate(rules, Request("/api/v1/check", headers=TOKEN))
    assert call.rate_keys == {
        "rate-aw-api-gateway": TOKEN["Authorization"],
        "rate-aw-api-gateway-per-ip": "198.51.100.7",
    }
    anonymous = evaluate(rules, Request("/api/v1/check"))
    assert anonymous.rate_keys == {"rate-limit-per-ip": "198.51.100.7"}
    login = evaluate(rules, Request("/auth/realms/accessweaver/protocol/openid-connect/auth"))
    assert login.rate_keys == {"rate-limit-per-ip": "198.51.100.7"}


def test_a_backend_behind_one_nat_address_calling_7_times_a_second_is_never_blocked(plan):
    # GIVEN five minutes of a customer backend deciding 7 times a second (2,100 calls, above
    # the 2,000 the per-address rule allowed), next to another client behind the same NAT
    rules = rules_of(plan("prod"))
    other = {"Authorization": "Bearer eyJ.customer-b.sig"}
    calls = [(Request("/api/v1/check", headers=TOKEN), 2100),
             (Request("/api/v1/check", headers=other), 2100)]  # fmt: skip
    # THEN no rate-based rule reaches its limit for any key
    assert rate_blocks(rules, calls) == []
    # while the same calls without a token hit the per-address rule
    assert rate_blocks(rules, [(Request("/api/v1/check"), 2100)]) == ["rate-limit-per-ip"]


def test_one_address_inventing_tokens_meets_its_address_ceiling(plan):
    # Each token stays within its 30,000; the address sends 60,001 in all.
    rules = rules_of(plan("prod"))
    flood = [(Request("/api/v1/check", headers={"Authorization": f"Bearer {n}"}), count)
             for n, count in ((1, 30_000), (2, 30_000), (3, 1))]  # fmt: skip
    assert rate_blocks(rules, flood) == ["rate-aw-api-gateway-per-ip"]
    assert rate_blocks(rules, flood[:2]) == []


def test_a_route_keyed_on_its_address_has_its_own_limit():
    limit = RouteRateLimit(limit=50, window_seconds=60)
    routes = [Route("login", 8080, "/health", ("/login*",), 10, rate_limit=limit)]
    rules = _camel(web_acl_rules("t", 2000, (), routes))
    (own,) = [r for r in rules if r["name"] == "rate-login"]
    statement = own["statement"]["rateBasedStatement"]
    assert (statement["aggregateKeyType"], statement["limit"]) == ("IP", 50)
    assert statement["evaluationWindowSec"] == 60
    assert rate_blocks(rules, [(Request("/login"), 51)]) == ["rate-login"]
    assert rate_blocks(rules, [(Request("/login"), 50)]) == []
    assert rate_blocks(rules, [(Request("/other"), 51)]) == []


# -- what WAF accepts: capacity, rate-based rules, nesting, pattern lengths ---------------------


def test_capacity_follows_the_documented_price_of_each_statement():
    assert statement_capacity(path_statement("/api/*")) == 2  # string match, starts with
    assert statement_capacity(path_statement("/a/*/b")) == 3  # regex
    steps = [{"priority": 0, "type": "URL_DECODE"}, {"priority": 1, "type": "NONE"}]
    guard = {"byte_match_statement": {"positional_constraint": "CONTAINS",
             "field_to_match": {"uri_path": {}}, "text_transformations": steps}}  # fmt: skip
    assert statement_capacity(guard) == 20  # contains 10 + one transformation 10
    keyed = {"rate_based_statement": {"custom_keys": [{"header": {}}],
             "scope_down_statement": {"label_match_statement": {}}}}  # fmt: skip
    assert statement_capacity(keyed) == 2 + 30 + 1
    plain = web_acl_rules("t", 2000)
    assert web_acl_capacity(plain) == 2 + 700 + 200 + 200


COMMITTED = [("accessweaver", s) for s in ("dev", "staging", "prod")] + [
    ("ca-a2a", s) for s in ("dev", "prod")
]


def _committed(plan, project: str, stack: str):
    from tests.test_ca_a2a import ca_a2a

    return plan(stack) if project == "accessweaver" else ca_a2a(stack)


@pytest.mark.parametrize(("project", "stack"), COMMITTED, ids=[f"{p}-{s}" for p, s in COMMITTED])
def test_every_committed_web_acl_fits_what_waf_accepts(plan, project, stack):
    # GIVEN every committed stack file, CA-A2A's included (dev here runs no WAF)
    acls = _committed(plan, project, stack).of_type(WEB_ACL)
    if (project, stack) == ("accessweaver", "dev"):
        assert acls == []
        return
    (acl,) = acls
    rules = acl.inputs["rules"]
    # THEN its rules fit WAF's base 1,500 WCUs, 10 rate-based rules and 3 nesting levels,
    assert web_acl_problems(rules) == []
    assert web_acl_capacity(rules) <= DEFAULT_CAPACITY_UNITS
    assert all(logical_depth(r["statement"]) <= MAX_LOGICAL_DEPTH for r in rules)
    # and the whole web ACL is a CreateWebACL request botocore's wafv2 model accepts
    assert validate("wafv2", "CreateWebACL", create_web_acl_params(acl.inputs)) == []


def test_the_capacity_check_fails_on_a_web_acl_over_its_limit(plan):
    # GIVEN prod's rules and one more, a contains match with two transformations (30 WCUs)
    rules = rules_of(plan("prod"))
    used = web_acl_capacity(rules)
    extra = {
        "name": "extra",
        "statement": {"byteMatchStatement": {
            "searchString": "x", "positionalConstraint": "CONTAINS",
            "fieldToMatch": {"uriPath": {}},
            "textTransformations": [{"priority": 0, "type": "URL_DECODE"},
                                    {"priority": 1, "type": "LOWERCASE"}]}},
    }  # fmt: skip
    assert web_acl_capacity([*rules, extra]) == used + 30
    # THEN a limit between the two refuses only the larger set
    assert web_acl_problems(rules, max_capacity=used) == []
    assert web_acl_problems([*rules, extra], max_capacity=used) == [
        f"the rules need {used + 30} WCUs, more than {used}"
    ]


def test_every_statement_the_rules_can_hold_is_a_real_provider_and_api_argument(plan):
    # GIVEN routes that take every branch: a body limit below 8 KiB (the body itself, oversize
    # MATCH), one above (Content-Length regexes), query strings above and below 2 KiB, a rate
    # limit by address and one by header with its address ceiling, a default route
    routes = [
        Route("a", 1, "/h", ("/a/*", "/a*.json"), 10, max_body_kb=64, max_query_string_kb=4,
              rate_limit=RouteRateLimit(100, header="X-Key", ip_limit=300)),
        Route("b", 2, "/h", ("/a/b/*", "/b/?/x"), 20, max_body_kb=1, max_query_string_kb=1,
              rate_limit=RouteRateLimit(100, window_seconds=60)),
        Route("c", 3, "/h", ("/*",), 50000, default=True, max_body_kb=16),
    ]  # fmt: skip
    rules = _camel(web_acl_rules("t", 2000, (), routes))
    (acl,) = plan("prod").of_type(WEB_ACL)
    inputs = {**acl.inputs, "rules": rules}
    # THEN the pinned pulumi_aws takes every key and value, and so does WAF's API model
    from tools.provider_inputs import resource_problems

    assert resource_problems(WEB_ACL, inputs) == []
    assert validate("wafv2", "CreateWebACL", create_web_acl_params(inputs)) == []
    # (a misspelled argument is caught)
    broken = json.loads(json.dumps(inputs).replace('"oversizeHandling"', '"oversize"'))
    assert any("oversize" in p for p in resource_problems(WEB_ACL, broken))


def test_the_checks_catch_what_waf_would_refuse():
    # GIVEN eleven routes keyed on a header: 23 rate-based rules, and their capacity
    routes = [
        Route(f"s{n}", 8080, "/health", (f"/s{n}/*/x", f"/s{n}/y/*"), 10 + n,
              rate_limit=RouteRateLimit(100, header="X-Client-Id", ip_limit=200))
        for n in range(11)
    ]  # fmt: skip
    problems = web_acl_problems(web_acl_rules("t", 2000, (), routes))
    assert any("WCUs, more than 1500" in p for p in problems)
    assert any("23 rate-based rules (WAF allows 10" in p for p in problems)
    deep = {"name": "deep", "statement": {"not_statement": {"statement": {"not_statement": {
        "statement": {"not_statement": {"statement": {"not_statement": {
            "statement": {"label_match_statement": {}}}}}}}}}}}  # fmt: skip
    assert web_acl_problems([deep]) == ["rule deep nests more than 3 levels"]


def test_every_generated_rule_stays_within_the_providers_nesting():
    routes = [
        Route("a", 1, "/h", ("/a/*", "/a*.json"), 10, max_body_kb=64, max_query_string_kb=4,
              rate_limit=RouteRateLimit(100, header="X-Key", ip_limit=300)),
        Route("b", 2, "/h", ("/a/b/*",), 20, max_body_kb=1, max_query_string_kb=1,
              rate_limit=RouteRateLimit(100)),
        Route("c", 3, "/h", ("/*",), 50000, default=True, max_body_kb=16),
    ]  # fmt: skip
    rules = web_acl_rules("t", 2000, (), routes)
    assert max(logical_depth(r["statement"]) for r in rules) == MAX_LOGICAL_DEPTH
    assert web_acl_problems(rules) == []


def test_content_length_comparison_is_exact_and_short_enough():
    def above(limit: int, value: str) -> bool:
        return any(re.search(p, value) for p in greater_than_patterns(limit))

    for limit in (0, 7, 9, 10, 99, 8191, 65536, 131072, 1_000_000_000):
        for number in range(max(0, limit - 300), limit + 300):
            assert above(limit, str(number)) == (number > limit), (limit, number)
            assert above(limit, f"00{number}") == (number > limit)
        assert not above(limit, "") and not above(limit, "1e9") and not above(limit, "-1")
    from accessweaver_components.compute.config import MAX_REQUEST_BODY_KB

    # ten digits, none of them 9: the longest alternatives, split in two regexes
    for limit in (MAX_REQUEST_BODY_KB * KIB, 1_000_000_000):
        patterns = greater_than_patterns(limit)
        assert all(len(p) <= MAX_PATTERN_CHARS for p in patterns)
    assert len(greater_than_patterns(1_000_000_000)) == 2
    assert len(greater_than_patterns(65536)) == 1
    assert ALB_BODY_INSPECTION_BYTES == 8192


def test_path_statements_match_what_the_alb_pattern_matches():
    cases = {
        "/health": ("EXACTLY", "/health"),
        "/api/*": ("STARTS_WITH", "/api/"),
        "*.json": ("ENDS_WITH", ".json"),
    }
    for pattern, (constraint, text) in cases.items():
        byte = path_statement(pattern)["byte_match_statement"]
        assert (byte["positional_constraint"], byte["search_string"]) == (constraint, text)
    regex = path_statement("/v?/items/*/raw")["regex_match_statement"]["regex_string"]
    assert re.search(regex, "/v1/items/42/raw") and not re.search(regex, "/v10/items/42/raw")
    assert not may_overlap("/auth/realms/*", "/auth/resources/*")
    assert may_overlap("/api/*", "/*.json") and may_overlap("/a*", "/ab/c")
    assert not may_overlap("/a", "/b") and may_overlap("/a", "/a")


def _camel(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rules as the engine records them (camelCase keys), for the evaluator."""

    def camel(key: str) -> str:
        head, *rest = key.split("_")
        return head + "".join(part[:1].upper() + part[1:] for part in rest)

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {camel(k): walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(rules)


def test_the_policy_pack_fails_a_body_limit_compared_beyond_what_waf_inspects(plan):
    # GIVEN prod's web ACL with Keycloak's 128 KiB compared on the body instead of on the
    # declared Content-Length (WAF sees 8 KiB of it behind the ALB)
    import dataclasses

    from tools.policy_check import run_policies

    result = plan("prod")
    (acl,) = result.of_type(WEB_ACL)
    rules = [dict(r) for r in acl.inputs["rules"]]
    index = next(i for i, r in enumerate(rules) if r["name"] == "body-size-keycloak")
    route, _ = rules[index]["statement"]["andStatement"]["statements"]
    on_body = {"sizeConstraintStatement": {
        "comparisonOperator": "GT", "size": 128 * KIB,
        "fieldToMatch": {"body": {"oversizeHandling": "NO_MATCH"}},
        "textTransformations": [{"priority": 0, "type": "NONE"}]}}  # fmt: skip
    rules[index] = {**rules[index], "statement": {"andStatement": {"statements": [route, on_body]}}}
    broken = dataclasses.replace(acl, inputs={**acl.inputs, "rules": rules})
    resources = [broken if r is acl else r for r in result.resources]
    found = [
        v["message"]
        for v in run_policies(dataclasses.replace(result, resources=resources)).violations
        if v["control"] == "EDGE.2*"
    ]
    # THEN EDGE.2* names the rule and what it would really do; the committed rule passes
    assert found and "rule body-size-keycloak compares the body with 131072 bytes" in found[0]
    assert "the rule never matches" in found[0]
    assert not [v for v in run_policies(result).violations if v["control"] == "EDGE.2*"]
