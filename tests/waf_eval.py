"""A small evaluator of a planned web ACL, for the tests: runs one request through the recorded
rules (camelCase, as the engine records them) the way WAF's documentation describes it.

Supported: string, regex and size-constraint matches on the URI path, query string, body and
single headers (text transformations NONE, URL_DECODE, NORMALIZE_PATH), label matches, and/or/
not, rate-based rules (which requests each counts, and under which key), rule labels, COUNT
and BLOCK actions, and the core rule set's two size rules (`SizeRestrictions_BODY` over 8 KiB,
`SizeRestrictions_QUERYSTRING` over 2 KiB) with their action overrides; the managed groups'
other rules never match. Anything else raises, so a test cannot pass on a statement it skipped.
Behind an ALB, WAF sees at most the first 8 KiB of a body (`oversizeHandling` decides beyond).
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

BODY_INSPECTED = 8192
CRS = "AWSManagedRulesCommonRuleSet"
CRS_SIZE_RULES = (
    ("SizeRestrictions_BODY", "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body"),
    ("SizeRestrictions_QUERYSTRING",
     "awswaf:managed:aws:core-rule-set:SizeRestrictions_QueryString"),
)  # fmt: skip


@dataclass(frozen=True)
class Request:
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: int = 0
    """Body length in bytes (its content never matters here)."""
    client: str = "198.51.100.7"

    @property
    def header(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}


@dataclass
class Verdict:
    action: str
    """ALLOW or BLOCK."""
    terminating_rule: str | None
    labels: set[str]
    counted: list[str]
    """Non-terminating matches (COUNT), as the log's nonTerminatingMatchingRules."""
    rate_keys: dict[str, str]
    """Rate-based rule -> the aggregation key it counted this request under."""


def _transform(value: str, transformations: Sequence[Mapping[str, Any]]) -> str:
    for step in sorted(transformations, key=lambda t: t["priority"]):
        kind = step["type"]
        if kind == "URL_DECODE":
            value = unquote(value)
        elif kind == "NORMALIZE_PATH":
            value = posixpath.normpath(value.replace("//", "/")) or "/"
        elif kind != "NONE":
            raise NotImplementedError(kind)
    return value


def _component(request: Request, field_to_match: Mapping[str, Any]) -> tuple[str | None, bool]:
    """(value WAF inspects, whether the component was larger than WAF inspects)."""
    ((kind, spec),) = field_to_match.items()
    if kind == "uriPath":
        return request.path, False
    if kind == "queryString":
        return request.query, False
    if kind == "singleHeader":
        return request.header.get(spec["name"].lower()), False
    if kind == "body":
        return "x" * min(request.body, BODY_INSPECTED), request.body > BODY_INSPECTED
    raise NotImplementedError(kind)


def _oversize(field_to_match: Mapping[str, Any]) -> str:
    return field_to_match.get("body", {}).get("oversizeHandling", "CONTINUE")


def matches(statement: Mapping[str, Any], request: Request, labels: set[str]) -> bool:
    ((kind, body),) = statement.items()
    if kind == "andStatement":
        return all(matches(s, request, labels) for s in body["statements"])
    if kind == "orStatement":
        return any(matches(s, request, labels) for s in body["statements"])
    if kind == "notStatement":
        return not matches(body["statement"], request, labels)
    if kind == "labelMatchStatement":
        assert body["scope"] == "LABEL"
        return body["key"] in labels
    value, oversize = _component(request, body["fieldToMatch"])
    if oversize and _oversize(body["fieldToMatch"]) != "CONTINUE":
        return _oversize(body["fieldToMatch"]) == "MATCH"
    if value is None:
        return False
    value = _transform(value, body["textTransformations"])
    if kind == "byteMatchStatement":
        text, where = body["searchString"], body["positionalConstraint"]
        return {
            "EXACTLY": value == text,
            "STARTS_WITH": value.startswith(text),
            "ENDS_WITH": value.endswith(text),
            "CONTAINS": text in value,
        }[where]
    if kind == "regexMatchStatement":
        return re.search(body["regexString"], value) is not None
    if kind == "sizeConstraintStatement":
        size, operator = len(value), body["comparisonOperator"]
        limit = body["size"]
        return {"GT": size > limit, "GE": size >= limit, "LT": size < limit,
                "LE": size <= limit, "EQ": size == limit,
                "NE": size != limit}[operator]  # fmt: skip
    raise NotImplementedError(kind)


def _rate_key(statement: Mapping[str, Any], request: Request) -> str | None:
    kind = statement["aggregateKeyType"]
    if kind == "IP":
        return request.client
    if kind == "CUSTOM_KEYS":
        values = []
        for key in statement["customKeys"]:
            ((name, spec),) = key.items()
            if name != "header":
                raise NotImplementedError(name)
            value = request.header.get(spec["name"].lower())
            if value is None:  # a request missing a key is not counted
                return None
            values.append(value)
        return "|".join(values)
    raise NotImplementedError(kind)


def evaluate(rules: Sequence[Mapping[str, Any]], request: Request) -> Verdict:
    labels: set[str] = set()
    counted: list[str] = []
    rate_keys: dict[str, str] = {}
    for rule in sorted(rules, key=lambda r: r["priority"]):
        statement = rule["statement"]
        if "managedRuleGroupStatement" in statement:
            group = statement["managedRuleGroupStatement"]
            if group["name"] != CRS:
                continue
            overrides = {
                o["name"]: next(iter(o["actionToUse"]))
                for o in group.get("ruleActionOverrides", [])
            }
            for name, label in CRS_SIZE_RULES:
                size = request.body if name.endswith("BODY") else len(request.query)
                if size <= (8192 if name.endswith("BODY") else 2048):
                    continue
                labels.add(label)
                if overrides.get(name) == "count":
                    counted.append(f"{rule['name']}:{name}")
                else:
                    return Verdict("BLOCK", f"{rule['name']}:{name}", labels, counted, rate_keys)
            continue
        if "rateBasedStatement" in statement:
            rate = statement["rateBasedStatement"]
            scope = rate.get("scopeDownStatement")
            if scope is None or matches(scope, request, labels):
                key = _rate_key(rate, request)
                if key is not None:
                    rate_keys[rule["name"]] = key
            continue
        if not matches(statement, request, labels):
            continue
        labels |= {item["name"] for item in rule.get("ruleLabels", [])}
        action = next(iter(rule["action"]))
        if action == "count":
            counted.append(rule["name"])
        elif action == "block":
            return Verdict("BLOCK", rule["name"], labels, counted, rate_keys)
        else:
            raise NotImplementedError(action)
    return Verdict("ALLOW", None, labels, counted, rate_keys)


def rate_blocks(
    rules: Sequence[Mapping[str, Any]], traffic: Sequence[tuple[Request, int]]
) -> list[str]:
    """The rate-based rules that would block some key if the traffic (each request, so many
    times) all arrived within every rule's window (worst case): the rules whose count for one
    key exceeds their limit."""
    limits = {
        r["name"]: r["statement"]["rateBasedStatement"]["limit"]
        for r in rules
        if "rateBasedStatement" in r["statement"]
    }
    counts: Counter[tuple[str, str]] = Counter()
    for request, times in traffic:
        for rule, key in evaluate(rules, request).rate_keys.items():
            counts[rule, key] += times
    return sorted({rule for (rule, _), count in counts.items() if count > limits[rule]})
