"""Public AWS on-demand list prices per region, as data: every figure carries its source and date.

Honesty about these numbers: most were written down from the AWS pricing pages as known in 2025,
in an environment without internet access, so **none was re-read from AWS when committed**
(`checked=False`). Each says how it is known (`basis`): `recalled` (that figure, not re-read),
`aws-statement` (an AWS page states it, e.g. Spot's "up to 70%"), `third-party` (a third-party
summary of the AWS page gave it) or `derived` (computed from another figure, the note says how).
`corroborated` names the third-party pages, read with the search tool in 2026, that give the
same figure for the same region (only us-east-1's main lines: the AWS pages render regional
tables dynamically, so their stored text has no other region's numbers). The seed's own
figures (the CA-A2A report of docs/SOURCES.md, a Paris deployment) are kept beside the price
they correspond to (`seed=`) with the reason they differ. Before relying on an
estimate for a budget decision, check the lines that dominate it against the AWS Price List API
(`aws pricing get-products --service-code AmazonECS ...`) and update the figure, its `as_of` and
`checked=True` here.

Not priced on purpose (see docs/COSTS.md): data transfer to the internet and across AZs,
Container Insights metrics, X-Ray traces, Secrets Manager API calls, S3 requests, EFS
storage (it depends on what the services write; listed as not priced). Those need traffic figures
this program cannot know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

AS_OF = "2025"

Basis = Literal["recalled", "aws-statement", "third-party", "derived"]
BASES: tuple[Basis, ...] = ("recalled", "aws-statement", "third-party", "derived")


@dataclass(frozen=True)
class Price:
    """One list price."""

    usd: float
    unit: str
    source: str
    as_of: str = AS_OF
    checked: bool = False
    """True once the figure was compared with AWS's own price list (none is, see above)."""
    seed: float | None = None
    """The seed's figure for the same thing, when it gives one."""
    note: str = ""
    basis: Basis = "recalled"
    corroborated: str = ""
    """Third-party pages giving the same figure for the same region, when any was found."""


PriceTable = Mapping[str, Price]


class UnsupportedRegion(ValueError):
    """No price table for the region: the estimate refuses rather than guessing."""

    def __init__(self, region: str):
        self.region = region
        super().__init__(
            f"aws:region = {region!r}: no price table for this region; allowed: "
            f"{', '.join(SUPPORTED_REGIONS)} (or add the region's prices to "
            "components/cost/prices.py)"
        )


def _page(service: str) -> str:
    return f"AWS pricing page {service}, as known {AS_OF}"


FARGATE = _page("AWS Fargate (Linux)")
ELB = _page("Elastic Load Balancing")
VPC = _page("Amazon VPC (NAT gateway, public IPv4)")
PRIVATELINK = _page("AWS PrivateLink (interface endpoints)")
RDS = _page("Amazon RDS for PostgreSQL (on-demand, single-AZ; Multi-AZ is twice)")
ELASTICACHE = _page("Amazon ElastiCache (Redis OSS, on-demand nodes)")
SECRETS = _page("AWS Secrets Manager")
WAF = _page("AWS WAF")
CLOUDWATCH = _page("Amazon CloudWatch (Logs, alarms)")
S3 = _page("Amazon S3 (Standard)")
ECR = _page("Amazon ECR")
KMS = _page("AWS Key Management Service")
FIS = _page("AWS Fault Injection Service")
VALKEY = (
    "AWS announcement of ElastiCache for Valkey (Oct 2024): nodes 'up to 20% lower' than Redis "
    "OSS, Serverless 33% lower with a 100 MB minimum"
)
SERVERLESS_THIRD_PARTY = (
    "third-party summary of the ElastiCache pricing page for us-east-1 (Valkey Serverless), "
    "not AWS's own page"
)
_DERIVED = (
    "Not found for this region: derived from us-east-1's figure times this region's cache.t4g "
    "node price ratio ({ratio}); check it before budgeting."
)

_SPOT_NOTE = (
    "Fargate Spot prices float with spare capacity; AWS advertises 'up to 70%' off on-demand. "
    "This share is optimistic: real Spot savings are often 60-70%."
)

# Prices that are the same in every commercial region (the pricing pages show one figure).
_GLOBAL: dict[str, Price] = {
    "fargate.spot_discount": Price(
        0.70, "fraction off on-demand", FARGATE, note=_SPOT_NOTE, basis="aws-statement"
    ),
    "fargate.ephemeral_gb_hour": Price(
        0.000111,
        "USD per GB-hour of ephemeral storage above the 20 GB every task has",
        FARGATE,
        note="N. Virginia's figure, used for every region (no regional figure was found; "
        "others may be a few percent higher). Charged only for ephemeralStorageGib above 20.",
        corroborated="craigread.cloud, 'AWS Fargate and Managed Containerisation' (USD "
        "0.0001... per GB-hour above 20 GiB)",
    ),
    "public_ipv4.hour": Price(
        0.005,
        "USD per public IPv4 address-hour",
        VPC,
        note="Charged since Feb 2024 for every public IPv4 (NAT gateway EIPs, ALB nodes, task "
        "addresses); the seed's figures predate it.",
        corroborated="blogs on the Feb 2024 IPv4 charge ('all AWS regions are affected')",
    ),
    "secretsmanager.secret_month": Price(0.40, "USD per secret-month", SECRETS),
    "waf.web_acl_month": Price(5.00, "USD per web ACL-month", WAF),
    "waf.rule_month": Price(
        1.00, "USD per rule-month", WAF, note="A managed rule group counts as one rule."
    ),
    "waf.million_requests": Price(0.60, "USD per million requests", WAF),
    "cloudwatch.alarm_month": Price(
        0.10, "USD per standard-resolution alarm metric-month", CLOUDWATCH
    ),
    "cloudwatch.composite_alarm_month": Price(0.50, "USD per composite alarm-month", CLOUDWATCH),
    "fis.action_minute": Price(
        0.10,
        "USD per action-minute of a fault experiment",
        FIS,
        note="Templates are free; each run bills its actions' minutes (not in the monthly "
        "figure: experiments run on demand).",
    ),
    "ecr.gb_month": Price(0.10, "USD per GB-month stored", ECR, seed=0.10),
    "kms.key_month": Price(
        1.00,
        "USD per customer managed key-month",
        KMS,
        note="Requests ($0.03/10,000) not priced.",
        basis="aws-statement",
    ),
    "elasticache.valkey.node_discount": Price(
        0.20,
        "fraction off the Redis OSS node price",
        VALKEY,
        as_of="2024-10",
        note="'Up to 20%': the node tables here are Redis OSS's, Valkey nodes are priced off them.",
        basis="aws-statement",
    ),
}


def _serverless_valkey(ratio: float) -> dict[str, Price]:
    """ElastiCache Serverless for Valkey: us-east-1's figures (third-party), other regions
    derived from them by the node price ratio, said so in the note."""
    note = "" if ratio == 1 else _DERIVED.format(ratio=f"{ratio:.4g}")
    basis: Basis = "third-party" if ratio == 1 else "derived"
    return {
        "elasticache.serverless.valkey.gb_hour": Price(
            round(0.084 * ratio, 5), "USD per GB-hour stored (100 MB minimum)",
            SERVERLESS_THIRD_PARTY, as_of="2026", note=note, basis=basis,
        ),
        "elasticache.serverless.valkey.million_ecpu": Price(
            round(0.0023 * ratio, 6), "USD per million ECPUs", SERVERLESS_THIRD_PARTY,
            as_of="2026", note=note, basis=basis,
        ),
    }  # fmt: skip


_NLB_NOTE = "derived from the region's ALB-hour (equal to it in us-east-1, where both were found)"
_NLCU_NOTE = "derived from us-east-1's NLCU-hour, scaled as the region's LCU-hour is to us-east-1's"


def _region(**figures: Price) -> dict[str, Price]:
    return {**_GLOBAL, **figures}


_TABLE_REGIONS = ("us-east-1", "eu-west-1", "eu-west-3")
"""The columns of `_HOURLY_BY_REGION`."""

_HOURLY_BY_REGION: dict[str, tuple[float, float, float]] = {
    # USD per hour in us-east-1, eu-west-1, eu-west-3 (the columns of _TABLE_REGIONS)
    "rds.db.t4g.micro.hour": (0.016, 0.017, 0.018),
    "rds.db.t4g.small.hour": (0.032, 0.034, 0.036),
    "rds.db.t4g.medium.hour": (0.065, 0.068, 0.072),
    "rds.db.t3.micro.hour": (0.018, 0.019, 0.020),
    "rds.db.t3.small.hour": (0.036, 0.038, 0.040),
    "rds.db.t3.medium.hour": (0.072, 0.076, 0.080),
    "rds.db.m7g.large.hour": (0.168, 0.183, 0.193),
    "rds.db.m6g.large.hour": (0.159, 0.173, 0.182),
    "rds.db.r6g.large.hour": (0.225, 0.247, 0.260),
    "elasticache.cache.t4g.micro.hour": (0.016, 0.018, 0.019),
    "elasticache.cache.t4g.small.hour": (0.032, 0.036, 0.038),
    "elasticache.cache.t4g.medium.hour": (0.065, 0.072, 0.076),
    "elasticache.cache.t3.micro.hour": (0.017, 0.018, 0.019),
    "elasticache.cache.t3.small.hour": (0.034, 0.036, 0.038),
    "elasticache.cache.m7g.large.hour": (0.158, 0.176, 0.185),
    "elasticache.cache.r7g.large.hour": (0.219, 0.243, 0.255),
}
"""RDS for PostgreSQL instance classes and ElastiCache (Redis OSS) node types, side by side."""

_HOURLY_UNITS = {
    "rds.db.": ("USD per instance-hour", RDS),
    "elasticache.cache.": ("USD per node-hour", ELASTICACHE),
}


def _hourly(region: str, family: str) -> dict[str, Price]:
    """`region`'s column of `_HOURLY_BY_REGION` for one family (`rds.db.`, `elasticache.cache.`),
    each price in the family's unit from its pricing page."""
    column = _TABLE_REGIONS.index(region)
    unit, source = _HOURLY_UNITS[family]
    return {
        key: Price(usd[column], unit, source)
        for key, usd in _HOURLY_BY_REGION.items()
        if key.startswith(family)
    }


def _node_price_ratio(region: str) -> float:
    """`region`'s cache.t4g.micro node price over us-east-1's: how ElastiCache Serverless's
    us-east-1 figures are scaled to a region without its own."""
    usd = _HOURLY_BY_REGION["elasticache.cache.t4g.micro.hour"]
    return usd[_TABLE_REGIONS.index(region)] / usd[0]


_US_EAST_1 = _region(
    **{
        "fargate.x86_64.vcpu_hour": Price(0.04048, "USD per vCPU-hour", FARGATE),
        "fargate.x86_64.gb_hour": Price(0.004445, "USD per GB-hour", FARGATE),
        "fargate.arm64.vcpu_hour": Price(0.03238, "USD per vCPU-hour", FARGATE),
        "fargate.arm64.gb_hour": Price(0.00356, "USD per GB-hour", FARGATE),
        "alb.hour": Price(0.0225, "USD per ALB-hour", ELB),
        "alb.lcu_hour": Price(0.008, "USD per LCU-hour", ELB),
        "nlb.hour": Price(0.0225, "USD per NLB-hour", ELB),
        "nlb.nlcu_hour": Price(0.006, "USD per NLCU-hour", ELB),
        "nat.hour": Price(0.045, "USD per NAT gateway-hour", VPC),
        "nat.gb": Price(0.045, "USD per GB processed", VPC),
        "endpoint.az_hour": Price(0.01, "USD per interface endpoint per AZ-hour", PRIVATELINK),
        "endpoint.gb": Price(0.01, "USD per GB processed (first PB)", PRIVATELINK),
        **_hourly("us-east-1", "rds.db."),
        "rds.storage.gb_month": Price(
            0.115, "USD per GB-month (gp2/gp3, single-AZ; Multi-AZ twice)", RDS
        ),
        "rds.backup.gb_month": Price(
            0.095, "USD per GB-month beyond the free 100% of provisioned storage", RDS
        ),
        **_hourly("us-east-1", "elasticache.cache."),
        **_serverless_valkey(1.0),
        "logs.ingest_gb": Price(0.50, "USD per GB ingested (standard class)", CLOUDWATCH),
        "logs.storage_gb_month": Price(0.03, "USD per GB-month archived", CLOUDWATCH),
        "s3.standard_gb_month": Price(0.023, "USD per GB-month (first 50 TB)", S3),
    }
)

_EU_WEST_1 = _region(
    **{
        # Ireland's Fargate prices equal N. Virginia's.
        "fargate.x86_64.vcpu_hour": Price(0.04048, "USD per vCPU-hour", FARGATE),
        "fargate.x86_64.gb_hour": Price(0.004445, "USD per GB-hour", FARGATE),
        "fargate.arm64.vcpu_hour": Price(0.03238, "USD per vCPU-hour", FARGATE),
        "fargate.arm64.gb_hour": Price(0.00356, "USD per GB-hour", FARGATE),
        "alb.hour": Price(0.0252, "USD per ALB-hour", ELB),
        "alb.lcu_hour": Price(0.008, "USD per LCU-hour", ELB),
        "nlb.hour": Price(0.0252, "USD per NLB-hour", ELB, note=_NLB_NOTE, basis="derived"),
        "nlb.nlcu_hour": Price(0.006, "USD per NLCU-hour", ELB, note=_NLCU_NOTE, basis="derived"),
        "nat.hour": Price(0.048, "USD per NAT gateway-hour", VPC),
        "nat.gb": Price(0.048, "USD per GB processed", VPC),
        "endpoint.az_hour": Price(0.011, "USD per interface endpoint per AZ-hour", PRIVATELINK),
        "endpoint.gb": Price(0.01, "USD per GB processed (first PB)", PRIVATELINK),
        **_hourly("eu-west-1", "rds.db."),
        "rds.storage.gb_month": Price(
            0.127, "USD per GB-month (gp2/gp3, single-AZ; Multi-AZ twice)", RDS
        ),
        "rds.backup.gb_month": Price(
            0.095, "USD per GB-month beyond the free 100% of provisioned storage", RDS
        ),
        **_hourly("eu-west-1", "elasticache.cache."),
        **_serverless_valkey(_node_price_ratio("eu-west-1")),
        "logs.ingest_gb": Price(0.57, "USD per GB ingested (standard class)", CLOUDWATCH),
        "logs.storage_gb_month": Price(0.03, "USD per GB-month archived", CLOUDWATCH),
        "s3.standard_gb_month": Price(0.023, "USD per GB-month (first 50 TB)", S3),
    }
)

_PARIS_SEED_NOTE = "The seed uses N. Virginia's price for Paris."

_EU_WEST_3 = _region(
    **{
        "fargate.x86_64.vcpu_hour": Price(
            0.04656, "USD per vCPU-hour", FARGATE, seed=0.04048, note=_PARIS_SEED_NOTE
        ),
        "fargate.x86_64.gb_hour": Price(
            0.00511, "USD per GB-hour", FARGATE, seed=0.004445, note=_PARIS_SEED_NOTE
        ),
        "fargate.arm64.vcpu_hour": Price(0.03725, "USD per vCPU-hour", FARGATE),
        "fargate.arm64.gb_hour": Price(0.00409, "USD per GB-hour", FARGATE),
        "alb.hour": Price(0.02646, "USD per ALB-hour", ELB, seed=0.0225, note=_PARIS_SEED_NOTE),
        "alb.lcu_hour": Price(0.0084, "USD per LCU-hour", ELB),
        "nlb.hour": Price(0.02646, "USD per NLB-hour", ELB, note=_NLB_NOTE, basis="derived"),
        "nlb.nlcu_hour": Price(
            0.0063, "USD per NLCU-hour", ELB, note=_NLCU_NOTE, basis="derived"
        ),
        "nat.hour": Price(
            0.05, "USD per NAT gateway-hour", VPC, seed=0.045, note=_PARIS_SEED_NOTE
        ),
        "nat.gb": Price(0.05, "USD per GB processed", VPC),
        "endpoint.az_hour": Price(0.011, "USD per interface endpoint per AZ-hour", PRIVATELINK),
        "endpoint.gb": Price(0.01, "USD per GB processed (first PB)", PRIVATELINK),
        **_hourly("eu-west-3", "rds.db."),
        "rds.storage.gb_month": Price(
            0.133,
            "USD per GB-month (gp2/gp3, single-AZ; Multi-AZ twice)",
            RDS,
            seed=0.115,
            note=_PARIS_SEED_NOTE,
        ),
        "rds.backup.gb_month": Price(
            0.095,
            "USD per GB-month beyond the free 100% of provisioned storage",
            RDS,
            seed=0.095,
            note="The seed bills all 20 GB of backups; backups up to the storage size are free.",
        ),
        **_hourly("eu-west-3", "elasticache.cache."),
        **_serverless_valkey(_node_price_ratio("eu-west-3")),
        "logs.ingest_gb": Price(
            0.57, "USD per GB ingested (standard class)", CLOUDWATCH, seed=0.50,
            note=_PARIS_SEED_NOTE,
        ),
        "logs.storage_gb_month": Price(
            0.03, "USD per GB-month archived", CLOUDWATCH, seed=0.03
        ),
        "s3.standard_gb_month": Price(
            0.024, "USD per GB-month (first 50 TB)", S3, seed=0.023, note=_PARIS_SEED_NOTE
        ),
    }
)  # fmt: skip

# us-east-1 figures that third-party pages gave identically when searched in 2026 (see the
# module docstring); the rest stay `recalled` only.
_VANTAGE = "vantage.sh/blog/fargate-pricing (us-east-1 rates)"
_US_EAST_1_CORROBORATED = {
    "fargate.x86_64.vcpu_hour": f"{_VANTAGE}; wring.co Fargate guide (2026-03)",
    "fargate.x86_64.gb_hour": f"{_VANTAGE}; wring.co Fargate guide (2026-03)",
    "fargate.arm64.vcpu_hour": _VANTAGE,
    "fargate.arm64.gb_hour": _VANTAGE,
    "alb.hour": "api-evangelist transcription of the ELB pricing page's us-east-1 example (2026)",
    "alb.lcu_hour": "api-evangelist transcription of the ELB pricing page's us-east-1 example",
    "nlb.hour": "clustercost.com and awsnegotiations.com NLB pricing guides (us-east-1, 2025-26)",
    "nlb.nlcu_hour": "awsnegotiations.com ELB pricing table (us-east-1, 2026)",
    "nat.hour": "two blogs quoting the us-east-1 NAT gateway rates",
    "nat.gb": "two blogs quoting the us-east-1 NAT gateway rates",
}
for _key, _pages in _US_EAST_1_CORROBORATED.items():
    _US_EAST_1[_key] = replace(_US_EAST_1[_key], corroborated=_pages)
# Ireland: the only regional figures a third party gave, both dated.
_EU_WEST_1["rds.storage.gb_month"] = replace(
    _EU_WEST_1["rds.storage.gb_month"],
    corroborated="thebescloud.com on RDS gp3 (eu-west-1 table, written at gp3's launch, ~2022)",
)
_EU_WEST_1["alb.lcu_hour"] = replace(
    _EU_WEST_1["alb.lcu_hour"], corroborated="a 2018 gist of ALB prices per region (stale)"
)
# Paris: the seed's figure beside the table's (`_HOURLY_BY_REGION`).
_EU_WEST_3["rds.db.t3.small.hour"] = replace(
    _EU_WEST_3["rds.db.t3.small.hour"],
    seed=0.034,
    note="The seed's $0.034 is RDS for MySQL's N. Virginia price; PostgreSQL costs more.",
)

PRICES: dict[str, dict[str, Price]] = {
    "eu-west-1": _EU_WEST_1,
    "eu-west-3": _EU_WEST_3,
    "us-east-1": _US_EAST_1,
}
SUPPORTED_REGIONS: tuple[str, ...] = tuple(sorted(PRICES))


def price_table(region: str) -> PriceTable:
    """The region's prices; `UnsupportedRegion` when there is none (never another region's)."""
    try:
        return PRICES[region]
    except KeyError:
        raise UnsupportedRegion(region) from None
