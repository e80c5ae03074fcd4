"""Certificates and DNS from a Route 53 zone (issue 11, "Edge"): prod's committed stack gives a
domain and a zone; the program creates the ACM certificate, validates it by DNS, waits for it
before the HTTPS listener uses it, and points the names at the ALB."""

from __future__ import annotations

from tests.config_support import PUBLIC_SUBNETS, existing_vpc_stack, loader
from tests.resource_types import ALB, LISTENER

CERT = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
RECORD = "aws:route53/record:Record"
ZONE = "Z0123456789ABCDEFGHIJ"


def test_the_certificate_covers_the_domain_and_keycloaks_name_validated_by_dns(plan):
    result = plan("prod")
    (certificate,) = result.of_type(CERT)
    assert certificate.inputs["domainName"] == "accessweaver.example.com"
    assert certificate.inputs["subjectAlternativeNames"] == ["sso.accessweaver.example.com"]
    assert certificate.inputs["validationMethod"] == "DNS"
    records = {r.name: r.inputs for r in result.of_type(RECORD)}
    validation = [r for name, r in records.items() if "-validation-" in name]
    assert len(validation) == 2
    for record in validation:
        assert record["zoneId"] == ZONE and record["type"] == "CNAME"
        assert record["name"].startswith("_") and record["records"][0].endswith(
            ".acm-validations.aws."
        )
    # each name gets the record ACM asked for that name
    assert {r["name"].split(".", 1)[1] for r in validation} == {
        "accessweaver.example.com.",
        "sso.accessweaver.example.com.",
    }
    (check,) = result.of_type(VALIDATION)
    assert len(check.inputs["validationRecordFqdns"]) == 2


def test_the_https_listener_waits_for_the_issued_certificate(plan):
    result = plan("prod")
    (check,) = result.of_type(VALIDATION)
    https = result.one(LISTENER, "accessweaver-prod-https")
    assert https.property_dependencies["certificateArn"] == (check.key,)


def test_both_names_point_at_the_alb(plan):
    result = plan("prod")
    alb = result.one(ALB, "accessweaver-prod-alb")
    aliases = [r for r in result.of_type(RECORD) if "-alias-" in r.name]
    assert {r.inputs["name"] for r in aliases} == {
        "accessweaver.example.com",
        "sso.accessweaver.example.com",
    }
    for record in aliases:
        assert record.inputs["type"] == "A" and record.inputs["zoneId"] == ZONE
        (alias,) = record.inputs["aliases"]
        assert alias["evaluateTargetHealth"] is True
        assert alias["zoneId"] == "Z32O12XQLNTSW2"  # the ALB's canonical hosted zone
        assert set(record.property_dependencies["aliases"]) == {alb.key}


def test_staging_keeps_its_certificate_arn_and_no_dns(plan):
    result = plan("staging")
    assert result.of_type(CERT) == [] and result.of_type(RECORD) == []
    https = result.one(LISTENER, "accessweaver-staging-https")
    assert https.inputs["certificateArn"].startswith("arn:aws:acm:eu-west-1:")


BASE = existing_vpc_stack("prod", publicSubnetIds=PUBLIC_SUBNETS)
load, problems = loader(BASE)
DOMAIN = {"name": "accessweaver.example.com", "hostedZoneId": ZONE}


def test_a_domain_is_enough_for_https_in_prod():
    settings = load(edge={"enabled": True, "domain": DOMAIN})
    assert settings.edge.https and settings.edge.domain.name == "accessweaver.example.com"


def test_a_certificate_and_a_domain_together_are_refused():
    certificate = (
        "arn:aws:acm:eu-west-1:123456789012:certificate/75f027a4-27dc-46c5-894e-e6a40b772e67"
    )
    found = problems(edge={"enabled": True, "domain": DOMAIN, "certificateArn": certificate})
    assert "not both" in found["edge.domain"]


def test_keycloak_outside_the_domain_is_refused():
    found = problems(
        edge={"enabled": True, "domain": DOMAIN}, keycloak={"hostname": "sso.other.org"}
    )
    assert "outside edge.domain" in found["keycloak.hostname"]


def test_a_malformed_zone_or_name_is_refused():
    found = problems(
        edge={"enabled": True, "domain": {"name": "Not A Name", "hostedZoneId": "zone"}}
    )
    assert "edge.domain.name" in found and "edge.domain.hostedZoneId" in found
