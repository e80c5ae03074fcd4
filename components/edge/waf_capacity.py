"""What WAF refuses a web ACL by, computed on its rules as plain data: their capacity (WCUs, as
the WAF developer guide prices each statement), rate-based rules per web ACL, the nesting of
logical statements, the length of patterns and the words WAF reserves in labels. The rules may
be as `waf.py` writes them (snake_case) or as the engine and the policy pack record them
(camelCase). Re-exported by `waf.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

MANAGED_GROUP_CAPACITY = {
    "AWSManagedRulesCommonRuleSet": 700,
    "AWSManagedRulesKnownBadInputsRuleSet": 200,
    "AWSManagedRulesSQLiRuleSet": 200,
}
"""WCUs of each managed group (WAF developer guide, "AWS Managed Rules rule groups list")."""
DEFAULT_CAPACITY_UNITS = 1500
"""WCUs a web ACL uses within its base price; above, WAF charges per 500 WCUs."""
MAX_CAPACITY_UNITS = 5000
MAX_RATE_BASED_RULES = 10
MAX_LOGICAL_DEPTH = 3
"""`and`/`or`/`not` levels the provider's `wafv2.WebAcl` rules take (its `rules` docs)."""
MAX_PATTERN_CHARS = 200
"""Characters of a regex or of a string-match search string (WAF quotas)."""
EVALUATION_WINDOWS = (60, 120, 300, 600)
RESERVED_LABEL_WORDS = frozenset(
    {"aws", "waf", "managed", "rulegroup", "webacl", "regexpatternset", "ipset"}
)


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _fields(value: Any) -> dict[str, Any]:
    """A statement's keys in snake_case: the rules as written here, or as the engine and the
    policy pack record them (camelCase)."""
    return {_snake(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}


_STRING_MATCH = {"EXACTLY": 2, "STARTS_WITH": 2, "ENDS_WITH": 2, "CONTAINS": 10,
                 "CONTAINS_WORD": 10}  # fmt: skip
_LOGICAL = ("and_statement", "or_statement", "not_statement")


def _component_cost(body: dict[str, Any], base: int) -> int:
    """A match statement's WCUs: its base, x2 on the JSON body, +10 on all query arguments,
    +10 per text transformation (NONE is none)."""
    field = _fields(body.get("field_to_match"))
    cost = base * 2 if "json_body" in field else base
    if "all_query_arguments" in field:
        cost += 10
    transformations = body.get("text_transformations") or []
    return cost + 10 * sum(1 for t in transformations if _fields(t).get("type") != "NONE")


def _nested(body: dict[str, Any]) -> list[Any]:
    if "statements" in body:
        return list(body["statements"] or [])
    return [body["statement"]] if body.get("statement") is not None else []


def statement_capacity(statement: Mapping[str, Any]) -> int:
    """WCUs of one statement, as the WAF developer guide prices each type ("Rule statements"):
    an upper bound, as WAF may count a transformation shared by statements once."""
    fields = _fields(statement)
    total = 0
    for kind, raw in fields.items():
        body = _fields(raw)
        if kind in _LOGICAL:
            total += sum(statement_capacity(s) for s in _nested(body))
        elif kind == "byte_match_statement":
            total += _component_cost(body, _STRING_MATCH[body["positional_constraint"]])
        elif kind == "regex_match_statement":
            total += _component_cost(body, 3)
        elif kind == "regex_pattern_set_reference_statement":
            total += _component_cost(body, 25)
        elif kind == "size_constraint_statement":
            total += _component_cost(body, 1)
        elif kind in ("sqli_match_statement", "xss_match_statement"):
            total += _component_cost(body, 20 if kind == "sqli_match_statement" else 40)
        elif kind in ("label_match_statement", "geo_match_statement", "asn_match_statement",
                      "ip_set_reference_statement"):  # fmt: skip
            total += 1
        elif kind == "rate_based_statement":
            keys = body.get("custom_keys") or []
            scope = body.get("scope_down_statement")
            total += 2 + 30 * len(keys) + (statement_capacity(scope) if scope else 0)
        elif kind == "managed_rule_group_statement":
            if body["name"] not in MANAGED_GROUP_CAPACITY:
                raise ValueError(f"no known capacity for the managed group {body['name']}")
            scope = body.get("scope_down_statement")
            total += MANAGED_GROUP_CAPACITY[body["name"]]
            total += statement_capacity(scope) if scope else 0
        else:
            raise ValueError(f"no known capacity for a {kind}")
    return total


def web_acl_capacity(rules: Iterable[Mapping[str, Any]]) -> int:
    return sum(statement_capacity(_fields(rule)["statement"]) for rule in rules)


def logical_depth(statement: Mapping[str, Any]) -> int:
    """Nesting of `and`/`or`/`not` statements (a rate-based or managed statement's scope-down
    counts from its own root)."""
    depth = 0
    for kind, raw in _fields(statement).items():
        body = _fields(raw)
        if kind in _LOGICAL:
            depth = max(depth, 1 + max((logical_depth(s) for s in _nested(body)), default=0))
        elif body.get("scope_down_statement") is not None:
            depth = max(depth, logical_depth(body["scope_down_statement"]))
    return depth


def statement_strings(statement: Mapping[str, Any]) -> Iterable[str]:
    """Every regex and search string in `statement`, nested ones included."""
    for kind, raw in _fields(statement).items():
        body = _fields(raw)
        if kind in _LOGICAL:
            for nested in _nested(body):
                yield from statement_strings(nested)
        elif body.get("scope_down_statement") is not None:
            yield from statement_strings(body["scope_down_statement"])
        for key in ("regex_string", "search_string"):
            if isinstance(body.get(key), str):
                yield body[key]


def rate_based_rules(rules: Iterable[Mapping[str, Any]]) -> list[str]:
    return [
        str(rule["name"]) for rule in rules if "rate_based_statement" in _fields(rule["statement"])
    ]


def web_acl_problems(
    rules: Sequence[Mapping[str, Any]], max_capacity: int = DEFAULT_CAPACITY_UNITS
) -> list[str]:
    """Why WAF (or the provider) would refuse these rules ([] = it would not)."""
    problems = []
    capacity = web_acl_capacity(rules)
    if capacity > max_capacity:
        problems.append(f"the rules need {capacity} WCUs, more than {max_capacity}")
    rate_based = rate_based_rules(rules)
    if len(rate_based) > MAX_RATE_BASED_RULES:
        problems.append(f"{len(rate_based)} rate-based rules (WAF allows "
                        f"{MAX_RATE_BASED_RULES} per web ACL)")  # fmt: skip
    for rule in rules:
        fields = _fields(rule)
        if logical_depth(fields["statement"]) > MAX_LOGICAL_DEPTH:
            problems.append(f"rule {rule['name']} nests more than {MAX_LOGICAL_DEPTH} levels")
        long = [s for s in statement_strings(fields["statement"]) if len(s) > MAX_PATTERN_CHARS]
        if long:
            problems.append(f"rule {rule['name']} matches a pattern of {len(long[0])} "
                            f"characters (at most {MAX_PATTERN_CHARS})")  # fmt: skip
        for item in fields.get("rule_labels") or []:
            parts = set(str(_fields(item).get("name", "")).split(":"))
            if parts & RESERVED_LABEL_WORDS:
                problems.append(f"rule {rule['name']} adds a label with a word WAF reserves "
                                f"({', '.join(sorted(parts & RESERVED_LABEL_WORDS))})")  # fmt: skip
    return problems
