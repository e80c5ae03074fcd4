"""Render `estimated_monthly_cost` stack outputs: one stack's summary, or stacks side by side.

`python -m tools.plan --compare dev staging prod` runs each stack's program on the offline engine
and prints capacity (tasks, vCPU, GB, running hours) and cost per line item per stack. The
figures are the stack output itself, so the table shows what `pulumi stack output` would; a
program without that output (one of one's own on the components) is priced from the resources it
registers (`accessweaver_components.cost.registered`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

OUTPUT = "estimated_monthly_cost"


def estimate_of(result: Any) -> dict[str, Any]:
    """A plan's monthly cost estimate: the program's `estimated_monthly_cost` output, else the
    price of what it registers (`result`: the offline engine's `PlanResult`)."""
    exported = result.outputs.get(OUTPUT)
    if isinstance(exported, Mapping):
        return dict(exported)
    from accessweaver_components.cost import estimate_registered

    region = result.config.get("aws:region") or "(no aws:region)"
    return estimate_registered(result.resources, region=region, stack=result.stack).to_output()


def summary(estimate: Mapping[str, Any], *, exported: bool = True) -> str:
    """Two lines for the single-stack plan: the total and its largest lines; `exported`: the
    estimate is the program's output (else priced from what it registers, `estimate_of`)."""
    lines = sorted(estimate["line_items_usd"].items(), key=lambda kv: -kv[1])
    largest = ", ".join(f"{name} ${usd:,.2f}" for name, usd in lines[:4] if usd > 0)
    budget = estimate.get("monthly_budget_usd")
    not_priced = estimate.get("not_priced") or []
    if not any(usd for _, usd in lines):
        return (
            f"Estimated monthly cost: not priced ({not_priced[0] if not_priced else 'no prices'})"
            "\n  details: the estimated_monthly_cost output below; prices in "
            "components/cost/prices.py"
        )
    return (
        f"Estimated monthly cost: ${estimate['total_usd']:,.2f} ({estimate['region']}; "
        f"{largest})"
        + (f"; budget ${budget:,.2f}" if budget is not None else "")
        + (f"\n  not priced: {'; '.join(not_priced)}"[:160] if not_priced else "")
        + (
            "\n  details: the estimated_monthly_cost output; prices and assumptions in "
            if exported
            else "\n  priced from the resources the program registers (--json: "
            "estimated_monthly_cost); prices and assumptions in "
        )
        + "docs/COSTS.md"
    )


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def side_by_side(
    estimates: Mapping[str, Mapping[str, Any]],
    cheapest: Mapping[str, Any] | None = None,
) -> str:
    """Capacity and cost per line item, one column per stack; with `cheapest` (stack ->
    `tools.cheapest.Cheapest`), what each stack would cost with every lever its checks accept."""
    stacks: Sequence[str] = list(estimates)
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, cells: list[str]) -> None:
        rows.append((label, cells))

    def each(get) -> list[str]:
        return [get(estimates[s]) for s in stacks]

    row("region", each(lambda e: e["region"]))
    row("CAPACITY", ["" for _ in stacks])
    row("  tasks (autoscaling minimum)", each(lambda e: str(e["capacity"]["tasks"])))
    row("  vCPU", each(lambda e: f"{e['capacity']['vcpu']:g}"))
    row("  memory GB", each(lambda e: f"{e['capacity']['memory_gb']:g}"))
    row("  running hours / month", each(lambda e: f"{e['levers']['running_hours_per_month']:g}"))
    row("  Spot share %", each(lambda e: str(e["levers"]["fargate_spot_percentage"])))
    row("  architecture", each(lambda e: e["levers"]["cpu_architecture"]))
    row("  NAT gateways", each(lambda e: str(e["levers"]["nat_gateways"])))
    row("  interface endpoints", each(lambda e: str(e["levers"]["interface_endpoints"])))
    row("  log retention days", each(lambda e: str(e["levers"]["log_retention_days"])))
    row(
        "  audit log retention days",
        each(lambda e: str(e["levers"].get("audit_log_retention_days") or "-")),
    )
    row("COST PER MONTH, USD", ["" for _ in stacks])
    names = list(dict.fromkeys(n for s in stacks for n in estimates[s]["line_items_usd"]))
    for name in names:
        row(f"  {name}", each(lambda e, n=name: _money(e["line_items_usd"].get(n))))
    row("  TOTAL", each(lambda e: _money(e["total_usd"])))
    row("  Fargate at max capacity", each(lambda e: _money(e["fargate_at_max_capacity_usd"])))
    row("  monthlyBudgetUsd", each(lambda e: _money(e.get("monthly_budget_usd"))))
    if cheapest:
        row(
            "  cheapest the checks accept",
            [_money(cheapest[s].total_usd) if s in cheapest else "-" for s in stacks],
        )

    width = max(len(label) for label, _ in rows)
    columns = [max(len(s), *(len(cells[i]) for _, cells in rows)) for i, s in enumerate(stacks)]
    out = ["  ".join([" " * width, *(s.rjust(w) for s, w in zip(stacks, columns, strict=True))])]
    for label, cells in rows:
        rendered = [c.rjust(w) for c, w in zip(cells, columns, strict=True)]
        out.append("  ".join([label.ljust(width), *rendered]).rstrip())
    out.append("")
    out.append(
        "Offline estimate from each stack's settings and recorded plan; list prices as known "
        "2025, usage assumptions per environment (docs/COSTS.md). Tasks run at their "
        "autoscaling minimum; 'Fargate at max capacity' is the ceiling."
    )
    for stack, found in (cheapest or {}).items():
        out.append(headroom(stack, found))
    return "\n".join(out)


def headroom(stack: str, found: Any) -> str:
    """One stack's cheapest accepted configuration, in a sentence."""
    applied = ", ".join(found.applied) or "nothing more"
    refused = ", ".join(found.refused) or "none"
    return (
        f"{stack}: ${found.total_usd:,.2f} with {applied} (the config rules and the policy "
        f"pack accept it); refused here: {refused}."
    )


def markdown(
    estimates: Mapping[str, Mapping[str, Any]], cheapest: Mapping[str, Any] | None = None
) -> str:
    """The line items of each stack as a Markdown table (README and docs/COSTS.md carry it;
    a test keeps both equal to this). A line no stack has (all $0) is left out."""
    stacks = list(estimates)
    names = [
        n
        for n in dict.fromkeys(n for s in stacks for n in estimates[s]["line_items_usd"])
        if any(estimates[s]["line_items_usd"].get(n) for s in stacks)
    ]
    lines = [
        "| USD per month | " + " | ".join(stacks) + " |",
        "|---|" + "---:|" * len(stacks),
    ]
    for name in names:
        cells = [_money(estimates[s]["line_items_usd"].get(name)) for s in stacks]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| **total** | " + " | ".join(f"**{_money(estimates[s]['total_usd'])}**"
                                               for s in stacks) + " |")  # fmt: skip
    if cheapest:
        cells = [_money(cheapest[s].total_usd) if s in cheapest else "-" for s in stacks]
        lines.append("| cheapest the checks accept | " + " | ".join(cells) + " |")
    return "\n".join(lines)
