"""The statements the web ACL's rules are made of, as plain data (`wafv2.WebAcl(rules=...)`
statement blocks): logic (`any_of`, `all_of`, `negate`), labels, the paths an ALB route matches,
header presence and size limits. `waf.py` builds the rules from them and re-exports them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .routes import Route
from .waf_capacity import MAX_PATTERN_CHARS

ROUTE_LABEL = "route:{service}"
CONTENT_LENGTH = "content-length"
_NO_TRANSFORMATION = ({"priority": 0, "type": "NONE"},)


def no_transformation() -> list[dict[str, Any]]:
    """A match's text transformations: none (the value as the request sends it)."""
    return [dict(t) for t in _NO_TRANSFORMATION]


def any_of(statements: Sequence[dict[str, Any]]) -> dict[str, Any]:
    if len(statements) == 1:
        return statements[0]
    return {"or_statement": {"statements": list(statements)}}


def all_of(statements: Sequence[dict[str, Any]]) -> dict[str, Any]:
    if len(statements) == 1:
        return statements[0]
    return {"and_statement": {"statements": list(statements)}}


def negate(statement: dict[str, Any]) -> dict[str, Any]:
    return {"not_statement": {"statement": statement}}


def label(key: str) -> dict[str, Any]:
    return {"label_match_statement": {"scope": "LABEL", "key": key}}


def route_label(service: str) -> str:
    return ROUTE_LABEL.format(service=service)


def _byte_match(text: str, constraint: str) -> dict[str, Any]:
    return {
        "byte_match_statement": {
            "search_string": text,
            "positional_constraint": constraint,
            "field_to_match": {"uri_path": {}},
            "text_transformations": no_transformation(),
        }
    }


def _wildcard_regex(pattern: str) -> str:
    return "^" + "".join(
        ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern
    ) + "$"  # fmt: skip


def path_statement(pattern: str) -> dict[str, Any]:
    """What matches the paths an ALB path pattern matches (`*`: any run of characters, `?`:
    one; case-sensitive, on the path as sent: no text transformation): a string match where
    the wildcards allow one (2 WCUs), a regex otherwise (3 WCUs)."""
    first = min((i for i, c in enumerate(pattern) if c in "*?"), default=None)
    if first is None:
        return _byte_match(pattern, "EXACTLY")
    head, tail = pattern[:first], pattern[first:]
    if head and set(tail) == {"*"}:
        return _byte_match(head, "STARTS_WITH")
    rest = pattern[1:]
    if pattern.startswith("*") and rest and not set(rest) & {"*", "?"}:
        return _byte_match(rest, "ENDS_WITH")
    return {
        "regex_match_statement": {
            "regex_string": _wildcard_regex(pattern),
            "field_to_match": {"uri_path": {}},
            "text_transformations": no_transformation(),
        }
    }


def _literal_head(pattern: str) -> str:
    return re.split(r"[*?]", pattern, maxsplit=1)[0]


def may_overlap(a: str, b: str) -> bool:
    """Whether some path could match both ALB patterns (False only when they provably
    cannot: two different exact paths, or literal starts that diverge)."""
    if not set(a + b) & {"*", "?"}:
        return a == b
    head_a, head_b = _literal_head(a), _literal_head(b)
    return head_a.startswith(head_b) or head_b.startswith(head_a)


def route_statement(route: Route, routes: Sequence[Route]) -> dict[str, Any]:
    """The requests the ALB sends to `route`: its patterns, less those of the rules evaluated
    before it that may take some of them; the default route gets whatever no other route
    matches (guards answer their paths themselves, whatever the web ACL labels)."""
    others = [r for r in routes if r.service != route.service]
    if route.default:
        taken = [p for r in others for p in r.path_patterns]
        if not taken:
            return _byte_match("/", "STARTS_WITH")
        return negate(any_of([path_statement(p) for p in taken]))
    mine = any_of([path_statement(p) for p in route.path_patterns])
    earlier = [
        p
        for r in others
        if not r.default and r.priority < route.priority
        for p in r.path_patterns
        if any(may_overlap(p, q) for q in route.path_patterns)
    ]
    if not earlier:
        return mine
    return all_of([mine, negate(any_of([path_statement(p) for p in earlier]))])


def header_present(name: str) -> dict[str, Any]:
    """The request carries header `name` with a value (a missing header is no match)."""
    return {
        "size_constraint_statement": {
            "comparison_operator": "GT",
            "size": 0,
            "field_to_match": {"single_header": {"name": name.lower()}},
            "text_transformations": no_transformation(),
        }
    }


def greater_than_patterns(number: int) -> list[str]:
    """Regexes that together match the decimal integers greater than `number`, leading zeros
    allowed (`0070000` is 70,000 to the ALB): one anchored alternative per digit that can be
    raised and one for longer numbers, no group (WAF's regex dialect supports no capturing
    subexpression), split so that none is longer than WAF takes (200 characters)."""
    if number < 0:
        raise ValueError(f"{number} is negative")
    text = str(number)
    width = len(text)

    def digits(count: int) -> str:
        return "" if count == 0 else r"\d" if count == 1 else rf"\d{{{count}}}"

    alternatives = [rf"^0*[1-9]\d{{{width},}}$"]
    for index, digit in enumerate(text):
        if digit == "9":
            continue
        low = int(digit) + 1
        choice = "9" if low == 9 else f"[{low}-9]"
        alternatives.append(f"^0*{text[:index]}{choice}{digits(width - index - 1)}$")
    patterns = [alternatives[0]]
    for alternative in alternatives[1:]:
        if len(patterns[-1]) + 1 + len(alternative) > MAX_PATTERN_CHARS:
            patterns.append(alternative)
        else:
            patterns[-1] += "|" + alternative
    return patterns


def content_length_above(size: int) -> dict[str, Any]:
    """The request declares a body longer than `size` bytes (`Content-Length`, which the ALB
    frames the body by)."""
    return any_of([
        {
            "regex_match_statement": {
                "regex_string": pattern,
                "field_to_match": {"single_header": {"name": CONTENT_LENGTH}},
                "text_transformations": no_transformation(),
            }
        }
        for pattern in greater_than_patterns(size)
    ])  # fmt: skip


def size_above(field: dict[str, Any], size: int) -> dict[str, Any]:
    """`field` is longer than `size` bytes."""
    return {
        "size_constraint_statement": {
            "comparison_operator": "GT",
            "size": size,
            "field_to_match": field,
            "text_transformations": no_transformation(),
        }
    }
