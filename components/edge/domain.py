"""A domain for the ALB: its ACM certificate validated by DNS, and the alias records.

Given a Route 53 public hosted zone and the names to serve (`DomainArgs`), the load balancer
gets an ACM certificate for them (DNS validation: one CNAME per name in the zone; ACM renews the
certificate by itself as long as the records stay), waits for ACM to issue it before the HTTPS
listener uses it, and points an alias A record of each name at the ALB. No placeholder
certificate ARN to replace, and no manual validation step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_aws import acm, route53

VALIDATION_TTL = 300


@dataclass(frozen=True)
class DomainArgs:
    name: str
    """The main name (`accessweaver.example.com`): the certificate's domain and an alias."""
    hosted_zone_id: pulumi.Input[str]
    """The Route 53 public hosted zone the names are in (`Z…`; an Output accepted: a zone of
    the same program)."""
    other_names: Sequence[str] = field(default_factory=tuple)
    """More names on the same certificate and ALB (Keycloak's host name)."""

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys([self.name, *self.other_names]))


def _option(options: Any, name: str) -> Any:
    """The validation record ACM asks for `name` (options come in no fixed order)."""
    for option in options or []:
        get = option.get if isinstance(option, dict) else lambda k, o=option: getattr(o, k)
        if get("domain_name") == name:
            return option
    raise ValueError(f"ACM gave no validation option for {name}")


def _field(option: Any, key: str) -> str:
    return option[key] if isinstance(option, dict) else getattr(option, key)


def validated_certificate(
    prefix: str, domain: DomainArgs, parent: pulumi.Resource, tags: dict[str, str]
) -> pulumi.Output[str]:
    """The ARN of an issued certificate for `domain.names` (it resolves once ACM issued it)."""
    certificate = acm.Certificate(
        f"{prefix}-certificate",
        domain_name=domain.name,
        subject_alternative_names=domain.names[1:] or None,
        validation_method="DNS",
        tags=tags,
        # A replaced certificate is created before the old one is deleted (Pulumi's default),
        # so the listener always has one.
        opts=pulumi.ResourceOptions(parent=parent),
    )
    records = []
    for index, name in enumerate(domain.names):
        option = certificate.domain_validation_options.apply(lambda opts, n=name: _option(opts, n))
        records.append(
            route53.Record(
                f"{prefix}-validation-{index}",
                zone_id=domain.hosted_zone_id,
                name=option.apply(lambda o: _field(o, "resource_record_name")),
                type=option.apply(lambda o: _field(o, "resource_record_type")),
                records=[option.apply(lambda o: _field(o, "resource_record_value"))],
                ttl=VALIDATION_TTL,
                # ACM gives the same record for a name on every certificate it issues for it.
                allow_overwrite=True,
                opts=pulumi.ResourceOptions(parent=certificate),
            )
        )
    validation = acm.CertificateValidation(
        f"{prefix}-certificate-validation",
        certificate_arn=certificate.arn,
        validation_record_fqdns=[record.fqdn for record in records],
        opts=pulumi.ResourceOptions(parent=certificate),
    )
    return validation.certificate_arn


def alias_records(
    prefix: str,
    domain: DomainArgs,
    dns_name: pulumi.Input[str],
    zone_id: pulumi.Input[str],
    parent: pulumi.Resource,
) -> list[route53.Record]:
    """An alias A record of each name to the ALB (IPv4: the ALB's address type)."""
    return [
        route53.Record(
            f"{prefix}-alias-{index}",
            zone_id=domain.hosted_zone_id,
            name=name,
            type="A",
            aliases=[{"name": dns_name, "zone_id": zone_id, "evaluate_target_health": True}],
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for index, name in enumerate(domain.names)
    ]
