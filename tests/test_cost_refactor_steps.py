"""The cost model's shared steps, without the engine: Fargate of tasks sized as ECS sizes them
(`fargate_pricing.sized_fargate_usd`, `service_fargate_usd`), the VPC count of the inventory
(`inventory._zones_and_nat_gateways`) and the price coverage's tolerant table
(`lines.TolerantPrices`). Figures are worked out by hand from a two-price table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from accessweaver_components.cost.fargate_pricing import service_fargate_usd, sized_fargate_usd
from accessweaver_components.cost.inventory import _zones_and_nat_gateways
from accessweaver_components.cost.lines import TolerantPrices
from accessweaver_components.cost.prices import Price

TABLE = {
    "fargate.x86_64.vcpu_hour": Price(0.04, "USD per vCPU-hour", "test"),
    "fargate.x86_64.gb_hour": Price(0.005, "USD per GB-hour", "test"),
    "fargate.arm64.vcpu_hour": Price(0.03, "USD per vCPU-hour", "test"),
    "fargate.arm64.gb_hour": Price(0.004, "USD per GB-hour", "test"),
    "fargate.spot_discount": Price(0.7, "share off", "test"),
    "fargate.ephemeral_gb_hour": Price(0.0001, "USD per GB-hour", "test"),
}


def test_sized_fargate_converts_cpu_units_and_mib_and_discounts_spot():
    # 1 vCPU + 2 GB = 0.04 + 0.01 = 0.05 USD per task-hour; 100 h; 1 on-demand + 2 Spot at 30 %
    usd = sized_fargate_usd(1024, 2048, (1, 2), hours=100, architecture="X86_64", prices=TABLE)
    assert usd == pytest.approx(0.05 * 100 * (1 + 2 * 0.3))
    arm = sized_fargate_usd(512, 1024, (1, 0), hours=10, architecture="ARM64", prices=TABLE)
    assert arm == pytest.approx((0.5 * 0.03 + 1 * 0.004) * 10)


@dataclass
class _Blocks:
    capacity: tuple = ()
    ephemeral_storage_gib: int | None = None
    cpu_architecture: str | None = None


@dataclass
class _Service:
    cpu: int = 1024
    memory: int = 2048
    spot_percentage: int | None = None
    blocks: _Blocks = field(default_factory=_Blocks)


@dataclass
class _Settings:
    cpu_architecture: str = "X86_64"
    fargate_spot_percentage: int = 0


def test_service_fargate_adds_ephemeral_storage_beyond_the_included_20_gb():
    plain = service_fargate_usd(_Settings(), _Service(), tasks=2, hours=100, prices=TABLE)
    assert plain == pytest.approx(0.05 * 100 * 2)
    bigger = _Service(blocks=_Blocks(ephemeral_storage_gib=50))
    usd = service_fargate_usd(_Settings(), bigger, tasks=2, hours=100, prices=TABLE)
    assert usd - plain == pytest.approx(30 * 2 * 100 * 0.0001)


def test_service_fargate_takes_the_service_architecture_and_spot_share_over_the_stack():
    own = _Service(spot_percentage=100, blocks=_Blocks(cpu_architecture="ARM64"))
    usd = service_fargate_usd(_Settings(), own, tasks=1, hours=10, prices=TABLE)
    assert usd == pytest.approx((0.03 + 2 * 0.004) * 10 * 0.3)


@dataclass
class _R:
    type: str
    inputs: dict[str, Any] = field(default_factory=dict)


def _items(*resources: _R) -> list[tuple[str, dict[str, Any]]]:
    return [(r.type, r.inputs) for r in resources]


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ((), (None, 0)),
        ((_R("awsx:ec2:Vpc"),), (3, 3)),  # awsx's default: one NAT per AZ, 3 AZs
        ((_R("awsx:ec2:Vpc", {"numberOfAvailabilityZones": 2.0}),), (2, 2)),
        ((_R("awsx:ec2:Vpc", {"natGateways": {"strategy": "Single"}}),), (3, 1)),
        ((_R("awsx:ec2:Vpc", {"natGateways": {"strategy": "None"}}),), (3, 0)),
        ((_R("aws:ec2/natGateway:NatGateway"), _R("aws:ec2/natGateway:NatGateway")), (None, 2)),
    ],
)
def test_zones_and_nat_gateways_of_the_vpcs_and_standalone_gateways(resources, expected):
    assert _zones_and_nat_gateways(_items(*resources)) == expected


def test_tolerant_prices_answer_zero_and_remember_what_they_lacked_and_used():
    prices = TolerantPrices(TABLE)
    assert prices["fargate.spot_discount"].usd == 0.7
    assert prices["nat.hour"].usd == 0.0
    assert (prices.missing, prices.used) == ({"nat.hour"}, {"fargate.spot_discount"})
    # .get is a look-up, not a use: neither set moves
    assert prices.get("alb.hour") is None and prices.missing == {"nat.hour"}
    assert len(prices) == len(TABLE) and set(prices) == set(TABLE)


def test_hourly_prices_take_their_region_column_and_family_unit():
    from accessweaver_components.cost import prices

    rds = prices._hourly("eu-west-1", "rds.db.")
    assert rds and all(key.startswith("rds.db.") for key in rds)
    assert {(p.unit, p.source) for p in rds.values()} == {("USD per instance-hour", prices.RDS)}
    assert rds["rds.db.t4g.micro.hour"].usd == prices._HOURLY_BY_REGION["rds.db.t4g.micro.hour"][1]
    nodes = prices._hourly("eu-west-3", "elasticache.cache.")
    assert {p.unit for p in nodes.values()} == {"USD per node-hour"}
    assert set(rds).isdisjoint(nodes)
    # the table feeds the region's price list, and Paris keeps the seed's figure beside it
    paris = prices.PRICES["eu-west-3"]["rds.db.t3.small.hour"]
    assert (paris.usd, paris.seed) == (0.040, 0.034)
    assert prices._node_price_ratio("us-east-1") == 1.0
    assert prices._node_price_ratio("eu-west-3") == pytest.approx(0.019 / 0.016)


def test_every_row_of_the_side_by_side_tables_has_one_value_per_column():
    from accessweaver_components.cost import prices, usage

    for table, columns in (
        (prices._HOURLY_BY_REGION, prices._TABLE_REGIONS),
        (usage._PER_ENVIRONMENT, usage._COLUMNS),
    ):
        assert all(len(row) == len(columns) for row in table.values())
    assert set(prices._TABLE_REGIONS) == set(prices.PRICES)
    assert list(usage.USAGE_DEFAULTS) == list(usage._COLUMNS)
    assert usage.USAGE_DEFAULTS["staging"].alb_lcu == usage._PER_ENVIRONMENT["alb_lcu"][1]
