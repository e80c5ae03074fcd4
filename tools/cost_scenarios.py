"""`python -m tools.cost_scenarios`: the seeds' published costs recomputed at the same capacity.

Each scenario rebuilds what a seed priced (its task sizes and counts, its region, its usage
figures where it states them) as stack settings plus hand-listed resources, and runs the same
`accessweaver_components.cost.estimate` the stacks use. The markdown table it prints is the one in
docs/COSTS.md (a test keeps the two equal), so every difference the document explains is a
difference of this model, not of arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from accessweaver_components import cost
from accessweaver_components.stack import settings_from_mapping

_BASE: dict[str, Any] = {
    # Priced, never deployed: no bootstrap boundary to name.
    "permissionsBoundaryOptOut": "a cost scenario: never deployed",
    "vpcId": "vpc-0123456789abcdef0",
    "privateSubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "containerRegistry": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/accessweaver",
    # The seeds price every task around the clock, on-demand unless they say Spot.
    "keycloak": {"enabled": False},
    "offHoursScaling": {"enabled": False},
    "enableFargateSpot": False,
}


@dataclass(frozen=True)
class _Resource:
    type: str
    name: str
    inputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    label: str
    seed_usd: str
    """What the seed says, as it says it."""
    estimate: cost.CostEstimate
    lines: tuple[str, ...]
    """The line items the seed's figure covers."""

    @property
    def usd(self) -> float:
        return sum(self.estimate.line(name) for name in self.lines)


def _settings(region: str, **config: Any):
    return settings_from_mapping(
        {**_BASE, **config},
        namespace="accessweaver",
        stack_file="(scenario)",
        region=region,
    )


# The seed module's three drawings (docs/SOURCES.md): the ECS layer only, in eu-west-1.
ECS_LAYER = ("fargate", "cloudwatch_logs")


def _module(environment: str, **config: Any) -> cost.CostEstimate:
    return cost.estimate(_settings("eu-west-1", environment=environment, **config))


# The CA-A2A report (docs/SOURCES.md): Paris, 4 agents of 0.25 vCPU / 0.5 GB and Keycloak
# at 0.5 vCPU / 1 GB, one task each, one NAT gateway, an internet-facing ALB in 2 AZs, one S3
# bucket, 6 log groups (7 days), ECR images. Its usage figures: NAT data ~$3 (67 GB at $0.045),
# LCU ~$8 (1.37 LCU at $0.008), logs 1 GB/month, S3 1 GB, ECR 2 GB for 4 repositories.
_REPORT_USAGE = replace(
    cost.USAGE_DEFAULTS["dev"],
    nat_gb_per_month=67,
    alb_lcu=1.37,
    log_gb_per_task_day=1 / 5 / (730 / 24),
    other_log_gb_per_group_day=0,
    s3_gb_per_bucket=1,
    ecr_gb_per_repository=0.5,
)


def _agent(port: int, cpu: int = 256, memory: int = 512) -> dict[str, Any]:
    return {"port": port, "sizes": {"dev": {"cpu": cpu, "memory": memory, "desiredCount": 1}}}


_REPORT_SERVICES = {
    "orchestrator": _agent(8000),
    "extractor": _agent(8001),
    "validator": _agent(8002),
    "archivist": _agent(8003),
    "idp": _agent(8080, 512, 1024),  # Keycloak in H2 mode, as the report deployed it
}
_ONE_NAT_TWO_AZS = {"numberOfAvailabilityZones": 2, "natGateways": {"strategy": "Single"}}
_REPORT_RESOURCES = [
    _Resource("awsx:ec2:Vpc", "vpc", _ONE_NAT_TWO_AZS),
    _Resource("aws:lb/loadBalancer:LoadBalancer", "alb", {"subnets": ["public-a", "public-b"]}),
    _Resource("aws:s3/bucket:Bucket", "documents"),
    # The report's sixth log group (its MCP server); the five services' groups come from settings.
    _Resource("aws:cloudwatch/logGroup:LogGroup", "mcp", {"name": "/mcp", "retentionInDays": 7}),
    *(_Resource("aws:ecr/repository:Repository", name) for name in ("o", "e", "v", "a")),
]
_REPORT_RDS = _Resource(
    "aws:rds/instance:Instance",
    "keycloak-db",
    {"instanceClass": "db.t3.small", "multiAz": True, "allocatedStorage": 20, "engine": "postgres"},
)


def _report(with_rds: bool) -> cost.CostEstimate:
    settings = _settings(
        "eu-west-3",
        environment="dev",
        projectName="ca-a2a",
        baseCatalog="none",
        services=_REPORT_SERVICES,
        logRetentionDays=7,
        containerRegistry="123456789012.dkr.ecr.eu-west-3.amazonaws.com/ca-a2a",
    )
    resources = [*_REPORT_RESOURCES, *([_REPORT_RDS] if with_rds else [])]
    return cost.estimate(settings, resources, usage=_REPORT_USAGE)


def scenarios() -> list[Scenario]:
    report_lines = cost.LINE_ITEMS
    return [
        Scenario("Module dev: 5 tasks, 1.5 vCPU, 3 GB", "~$80", _module("dev"), ECS_LAYER),
        Scenario(
            "Module staging: 7 tasks, 4 vCPU, 8 GB, 30 % Spot",
            "~$150",
            _module("staging", enableFargateSpot=True, fargateSpotPercentage=30),
            ECS_LAYER,
        ),
        Scenario("Module prod: 12 tasks, 13 vCPU, 26 GB", "~$350", _module("prod"), ECS_LAYER),
        Scenario("Report: CA-A2A as deployed (Paris)", "~$117", _report(False), report_lines),
        Scenario(
            "Report: + RDS db.t3.small Multi-AZ 20 GB",
            "~$170-300 (RDS option: $59)",
            _report(True),
            report_lines,
        ),
    ]


def render_markdown() -> str:
    rows = [
        "| Scenario (same capacity as the seed) | Seed says | This model | Of which Fargate |",
        "|---|---|---|---|",
    ]
    for s in scenarios():
        rows.append(
            f"| {s.label} | {s.seed_usd} | ${s.usd:,.2f} | ${s.estimate.line('fargate'):,.2f} |"
        )
    return "\n".join(rows)


def render_report_lines() -> str:
    """The report scenarios line by line, for the document's breakdown."""
    without, with_rds = (s.estimate for s in scenarios()[3:])
    rows = ["| Line item | Report, as deployed | + RDS |", "|---|---|---|"]
    for name in cost.LINE_ITEMS:
        a, b = without.line(name), with_rds.line(name)
        if a or b:
            rows.append(f"| {name} | ${a:,.2f} | ${b:,.2f} |")
    rows.append(f"| **total** | **${without.total_usd:,.2f}** | **${with_rds.total_usd:,.2f}** |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(render_markdown())
    print()
    print(render_report_lines())
