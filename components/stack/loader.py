"""Read the stack's config once and return validated `StackSettings`, or raise `ConfigError`.

`settings_from_mapping` is pure (tests and the property test call it directly); `load_settings`
reads the values Pulumi hands the program (`pulumi.Config` namespaces) and calls it.
"""

from __future__ import annotations

import copy
import difflib
import functools
import importlib.util
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pulumi
from pydantic import ValidationError

from ..errors import (
    MISSING,
    ConfigError,
    ConfigIssue,
    _path,
    _unwrap,
    field_at,
    issues_from_validation,
)
from ..formats import ENCRYPTED, ENFORCED_ENVIRONMENTS, ENVIRONMENTS
from ..formats import PATTERNS as _PATTERNS
from .catalog import EntryOrigin, extend_catalog
from .model import StackConfig
from .release import ReleaseState, parse_release, release_parameter, release_path
from .resolve import resolve
from .settings import StackSettings

STACK_FILE_ENV = "STACK_CONFIG_FILE"
"""Set by the offline plan when it reads another file than `Pulumi.<stack>.yaml`."""


def _is_text_field(key: str) -> bool:
    """True for keys typed `str` (possibly Optional/Annotated): keep their raw text as is."""
    fields = {f.alias: f for f in StackConfig.model_fields.values()}
    field = fields.get(key)
    return field is not None and _unwrap(field.annotation) is str


def parse_raw_value(key: str, text: Any) -> Any:
    """Pulumi passes every config value as a string, objects JSON-encoded; decode by key type."""
    if not isinstance(text, str) or _is_text_field(key):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


UNCHECKED = object()
"""`settings_from_mapping`'s default for `allowed_account_ids`: not read, not checked."""
_ACCOUNT_ID, _ACCOUNT_ID_ALLOWED = _PATTERNS["account_id"]
_ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(?P<account>\d{12}):")
"""The account of an ARN (ACM's, IAM's: the region part may be empty)."""


def allowed_account_issues(value: Any, raw: Mapping[str, Any]) -> list[ConfigIssue]:
    """`aws:allowedAccountIds`: the AWS provider refuses to run with credentials of any other
    account, so a stack file's config never lands in another environment's account. A list
    of 12-digit ids; required in staging and prod (ENFORCED_ENVIRONMENTS). The ALB's
    certificate must then be of one of those accounts (ACM certificates are not shared)."""
    environment = raw.get("environment")
    where, allowed = (
        "(aws:allowedAccountIds)",
        'a list of 12-digit AWS account ids, e.g. ["123456789012"]',
    )
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [ConfigIssue(where, value, "not a list of account ids", allowed)]
    if value is None:
        if environment in ENFORCED_ENVIRONMENTS:
            return [
                ConfigIssue(
                    where,
                    MISSING,
                    f"a {environment} stack must name its AWS account, so that it refuses to "
                    "run in any other",
                    allowed,
                )
            ]
        return []
    if not isinstance(value, list) or not value:
        return [ConfigIssue(where, value, "not a list of account ids", allowed)]
    issues = [
        ConfigIssue(f"{where}[{index}]", item, "not an AWS account id", _ACCOUNT_ID_ALLOWED)
        for index, item in enumerate(value)
        if not isinstance(item, str) or not _ACCOUNT_ID.match(item)
    ]
    edge = raw.get("edge")
    same_account = (
        (
            "edge.certificateArn",
            edge.get("certificateArn") if isinstance(edge, Mapping) else None,
            "the certificate",
            "an ALB only uses its own account's certificates",
        ),
        (
            "permissionsBoundaryArn",
            raw.get("permissionsBoundaryArn"),
            "the boundary policy",
            "a role's permissions boundary is a policy of its own account",
        ),
    )
    for path, arn, what, why in same_account:
        account = _ARN_ACCOUNT.match(arn) if isinstance(arn, str) else None
        if not issues and account is not None and account["account"] not in value:
            issues.append(
                ConfigIssue(
                    path,
                    arn,
                    f"{what} is of account {account['account']}, not of this stack's "
                    f"(aws:allowedAccountIds): {why}",
                    f"an ARN of {', '.join(value)}",
                )
            )
    return issues


def settings_from_mapping(
    raw: Mapping[str, Any],
    *,
    namespace: str,
    stack_file: str,
    region: str | None,
    account_id: str | Callable[[], str] | None = None,
    other_keys: Iterable[str] = (),
    allowed_account_ids: Any = UNCHECKED,
    release: tuple[str, str | None] | None = None,
) -> StackSettings:
    """Validate `raw` (keys without namespace, values decoded) and resolve it.

    `account_id` (or a look-up) is needed only for the default `containerRegistry`;
    `other_keys` are the stack's keys of other namespaces (`aws:region`...), checked for typos;
    `allowed_account_ids` is `aws:allowedAccountIds` as the stack file gives it (None: unset),
    checked when given (`load_settings` always gives it); `release` is the stack's release
    record as read (parameter name, text or None when none was recorded; None: not read)."""
    issues: list[ConfigIssue] = stray_key_issues(other_keys, namespace)
    state: ReleaseState | None = None
    if release is not None:
        parameter, text = release
        record, release_issues = parse_release(parameter, text)
        issues += release_issues
        state = ReleaseState(parameter, record)
    if allowed_account_ids is not UNCHECKED:
        issues += allowed_account_issues(allowed_account_ids, raw)
    pattern, allowed = _PATTERNS["region"]
    region_ok = isinstance(region, str) and bool(pattern.match(region))
    if region is None:
        issues.append(
            ConfigIssue("(aws:region)", MISSING, "the AWS region is not set", "e.g. eu-west-1")
        )
    elif not region_ok:
        issues.append(ConfigIssue("(aws:region)", region, "not an AWS region", allowed))
    # `services` extends the base catalog: validated as the merged catalog, so a change to a
    # base service is checked with the rest of its entry.
    raw, origins = extend_catalog(raw, namespace)
    raw = with_encrypted_stand_ins(raw, region=region)
    try:
        config = StackConfig.model_validate(dict(raw))
    except ValidationError as error:
        issues += issues_from_validation(StackConfig, error)
        issues += _cross_field_issues_without(raw, error, region, namespace, stack_file, origins)
        raise ConfigError(stack_file, namespace, issues) from None
    if issues:
        # Still report the rest; a missing or malformed region is replaced by a placeholder.
        checked_region = str(region) if region_ok else "xx-invalid-1"
        issues += _cross_field_issues(config, checked_region, namespace, stack_file, origins)
        raise ConfigError(stack_file, namespace, issues)
    return resolve(
        config,
        project=namespace,
        region=str(region),
        stack_file=stack_file,
        namespace=namespace,
        account_id=account_id,
        origins=origins,
        release=state,
    )


def _encrypted_candidates(region: str) -> tuple[str, ...]:
    """Values an encrypted key may hold, one per shape the stack config takes (text, numbers,
    e-mail addresses, host names, ids, ARNs): the first its field accepts stands in for it."""
    account = "000000000000"
    return (
        "offline-stand-in",
        "1",
        "encrypted@example.com",
        "encrypted.example.com",
        "https://encrypted.example.com",
        "vpc-00000000",
        "subnet-00000000",
        "sg-00000000",
        f"arn:aws:secretsmanager:{region}:{account}:secret:offline-stand-in",
        f"arn:aws:acm:{region}:{account}:certificate/00000000-0000-0000-0000-000000000000",
        f"arn:aws:iam::{account}:policy/offline-stand-in",
    )


def _leaves(tree: Any, loc: tuple = ()) -> Iterable[tuple[tuple, Any]]:
    if isinstance(tree, Mapping):
        for key, value in tree.items():
            yield from _leaves(value, (*loc, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from _leaves(value, (*loc, index))
    else:
        yield loc, tree


def with_encrypted_stand_ins(raw: Mapping[str, Any], *, region: Any) -> Mapping[str, Any]:
    """`raw` with every encrypted value the offline engine could not decrypt replaced by a
    value its field accepts (`_encrypted_candidates`), so that an encrypted e-mail address or
    host name does not make a valid stack file invalid offline. Unchanged when there is none
    (always, under `pulumi`: the CLI decrypts before the program runs)."""
    encrypted = [loc for loc, value in _leaves(raw) if value == ENCRYPTED]
    if not encrypted:
        return raw
    tree = copy.deepcopy(dict(raw))
    try:
        StackConfig.model_validate(tree)
        return tree
    except ValidationError as error:
        refused = {tuple(e["loc"]) for e in error.errors()}
    usable = region if isinstance(region, str) and _PATTERNS["region"][0].match(region) else None
    for loc in encrypted:
        if loc not in refused:
            continue
        for candidate in _encrypted_candidates(usable or "us-east-1"):
            _put(tree, loc, candidate)
            try:
                StackConfig.model_validate(tree)
                break
            except ValidationError as again:
                if all(tuple(e["loc"]) != loc for e in again.errors()):
                    break
        else:
            _put(tree, loc, ENCRYPTED)  # no shape fits: the field's own message says why
    return tree


# Stand-in account for the passes that only collect problems (no look-up while config is bad).
_PROBLEMS_ONLY_ACCOUNT = "000000000000"


def _cross_field_issues(
    config: StackConfig,
    region: str,
    namespace: str,
    stack_file: str,
    origins: Mapping[str, EntryOrigin],
) -> list[ConfigIssue]:
    try:
        resolve(
            config,
            project=namespace,
            region=region,
            stack_file=stack_file,
            namespace=namespace,
            account_id=_PROBLEMS_ONLY_ACCOUNT,
            origins=origins,
        )
    except ConfigError as error:
        return [
            i
            for i in error.issues
            if not i.path.startswith("targetGroupArns.") or region != "xx-invalid-1"
        ]
    return []


_STAND_INS: dict[str, Any] = {
    "vpcId": "vpc-00000000",
    "privateSubnetIds": ["subnet-00000000", "subnet-00000001"],
    "containerRegistry": "registry.invalid",
}
"""Required keys whose malformed value is replaced, not removed: their absence is a problem of
its own, which the user did not make."""


def _remove(tree: Any, loc: tuple) -> bool:
    """Delete the entry at `loc` from nested dicts and lists; False when it is not there."""
    *parents, last = loc
    node = tree
    for part in parents:
        present = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        )
        if not present:
            return False
        node = node[part]
    if isinstance(node, dict) and last in node:
        del node[last]
        return True
    return False


def _cross_field_issues_without(
    raw: Mapping[str, Any],
    error: ValidationError,
    region: Any,
    namespace: str,
    stack_file: str,
    origins: Mapping[str, EntryOrigin],
) -> list[ConfigIssue]:
    """Cross-field problems of the keys that did validate, so every error shows at once.

    Each value with a shape error is taken out (a required one gets a neutral stand-in, a
    section missing a required key goes as a whole) and the rest is resolved again; the rules
    then report only what concerns the keys still there. A key whose absence means something
    of its own (no `port`: a worker; no flag: the environment's default) would make the rules
    judge a stack the user did not write: those keys are also given each value they could have
    meant (`_meanings`), and only the problems found whatever the key meant are kept. A problem
    that names a key taken out is its consequence, not a problem of its own. Without a valid
    environment the per-environment rules cannot be evaluated: skip.
    """
    cleaned = copy.deepcopy(dict(raw))
    removed: list[tuple] = []
    dropped_services: set[str] = set()
    current: ValidationError | None = error
    for _ in range(8):
        if current is None:
            break
        for err in current.errors():
            loc = tuple(p for p in err["loc"] if p != "[key]")
            target = loc[:-1] if err["type"] == "missing" and len(loc) > 1 else loc
            while target and isinstance(target[-1], int):
                target = target[:-1]  # a bad item: the list goes (its indexes name items)
            if not target or target[0] == "environment":
                return []
            if len(target) == 1 and target[0] in _STAND_INS:
                cleaned[target[0]] = _STAND_INS[target[0]]
            elif not _remove(cleaned, target):
                return []
            removed.append(target)
            if target[0] == "services" and len(target) == 2:
                dropped_services.add(str(target[1]))
        try:
            config = StackConfig.model_validate(cleaned)
            current = None
        except ValidationError as again:
            current = again
    if current is not None:
        return []
    pattern, _ = _PATTERNS["region"]
    usable_region = region if isinstance(region, str) and pattern.match(region) else "xx-invalid-1"

    def problems(of: StackConfig) -> list[ConfigIssue]:
        return _cross_field_issues(of, usable_region, namespace, stack_file, origins)

    found = problems(config)
    for meaning in _meanings(cleaned, removed):
        try:
            other = StackConfig.model_validate(meaning)
        except ValidationError:
            continue
        kept = {(i.path, i.problem) for i in problems(other)}
        found = [i for i in found if (i.path, i.problem) in kept]
    paths = [_path(target) for target in removed]

    def related(issue: ConfigIssue) -> bool:
        if any(issue.path == r or issue.path.startswith((f"{r}.", f"{r}[")) for r in paths):
            return True  # already reported
        text = f"{issue.path} {issue.problem} {issue.allowed}"
        if any(_names(text, target) for target in removed):
            return True  # a consequence of the key taken out
        return any(name in f"{issue.value} {issue.problem}" for name in dropped_services)

    return [issue for issue in found if not related(issue)]


def _names(text: str, target: tuple) -> bool:
    """`text` names the key at `target`: its whole path, or its own name when `text` is about
    a sibling key of the same mapping (`services.x.healthCheckCommand` ... "no port")."""
    path = _path(target)
    if re.search(rf"(?<![\w.]){re.escape(path)}(?![\w])", text):
        return True
    parent, leaf = _path(target[:-1]), str(target[-1])
    where = text.split(" ", 1)[0]
    sibling = where.startswith(f"{parent}.") if parent else "." not in where
    return sibling and re.search(rf"\b{re.escape(leaf)}\b", text, flags=re.I) is not None


def _meanings(cleaned: Mapping[str, Any], removed: list[tuple]) -> list[dict[str, Any]]:
    """The stack as the user may have meant it, once per possible meaning of the keys taken
    out whose absence is a choice of its own: a flag is also true and false, an optional number
    whose absence means something (`port`) its smallest accepted value."""
    choices: list[tuple[tuple, list[Any]]] = []
    for target in removed:
        field = field_at(StackConfig, target)
        if field is None:
            continue
        kind = _unwrap(field.annotation)
        if kind is bool:
            choices.append((target, [True, False]))
        elif kind is int and field.default is None:
            least = next((m.ge for m in field.metadata if getattr(m, "ge", None) is not None), 1)
            choices.append((target, [least]))
    variants = []
    for index in range(max((len(values) for _, values in choices), default=0)):
        variant = copy.deepcopy(dict(cleaned))
        for target, values in choices:
            _put(variant, target, values[min(index, len(values) - 1)])
        variants.append(variant)
    return variants


def _put(tree: dict[str, Any], loc: tuple, value: Any) -> None:
    """Set `value` at `loc` in nested dicts and lists whose parents exist."""
    node: Any = tree
    for part in loc[:-1]:
        present = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        )
        if not present:
            return
        node = node[part]
    if isinstance(node, dict) or (isinstance(node, list) and loc[-1] < len(node)):
        node[loc[-1]] = value


# Namespaces a stack file of these components may use besides its project's.
KNOWN_NAMESPACES = ("aws", "awsx", "random", "pulumi")


@functools.cache
def aws_config_keys() -> frozenset[str]:
    """The AWS provider's settings (`aws:<key>`), read from the pinned SDK's config module."""
    spec = importlib.util.find_spec("pulumi_aws")
    assert spec is not None and spec.origin is not None
    source = (Path(spec.origin).parent / "config" / "vars.py").read_text()
    return frozenset(re.findall(r"__config__\.get\w*\('(\w+)'\)", source))


def stray_key_issues(keys: Iterable[str], project: str) -> list[ConfigIssue]:
    """Keys nothing reads: a misspelled project namespace (`accessweavr:logRetentionDays`) or
    AWS setting (`aws:regoin`), each with the closest valid key."""
    issues = []
    for key in sorted(keys):
        namespace, _, name = key.partition(":")
        if namespace == "aws" and name not in aws_config_keys():
            near = difflib.get_close_matches(name, aws_config_keys(), n=1, cutoff=0.6)
            issues.append(
                ConfigIssue(
                    f"({key})",
                    "<ignored>",
                    "not a setting of the AWS provider: Pulumi passes it to no one",
                    f"aws:{near[0]}" if near else "aws:region, aws:allowedAccountIds, ...",
                )
            )
        elif namespace not in (project, *KNOWN_NAMESPACES) and difflib.get_close_matches(
            namespace, [project], n=1, cutoff=0.75
        ):
            issues.append(
                ConfigIssue(
                    f"({key})",
                    "<ignored>",
                    f"namespace {namespace!r} is not this project's ({project!r}): the program "
                    "never reads the key",
                    f"{project}:{name}",
                )
            )
    return issues


def _namespace_values(namespace: str) -> dict[str, Any]:
    # pulumi.Config has no "list keys" call; the runtime keeps every `<ns>:<key>` it was given in
    # its config map (set by the engine, or by the offline engine through set_all_config).
    from pulumi.runtime import config as runtime_config

    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{namespace}:"
    return {
        key[len(prefix) :]: parse_raw_value(key[len(prefix) :], value)
        for key, value in merged.items()
        if key.startswith(prefix)
    }


def load_settings() -> StackSettings:
    """Read this stack's config (project namespace and `aws:region`) and validate it."""
    namespace = pulumi.get_project()
    stack_file = os.environ.get(STACK_FILE_ENV) or f"Pulumi.{pulumi.get_stack()}.yaml"
    aws_config = pulumi.Config("aws")
    values = _namespace_values(namespace)
    return settings_from_mapping(
        values,
        namespace=namespace,
        stack_file=stack_file,
        region=aws_config.get("region"),
        account_id=_caller_account_id,
        other_keys=_other_keys(namespace),
        allowed_account_ids=aws_config.get("allowedAccountIds"),
        release=_read_release(values, namespace),
    )


def _read_release(values: Mapping[str, Any], namespace: str) -> tuple[str, str | None] | None:
    """The stack's release record (`release.py`), read from Parameter Store by path: a path
    with no parameter answers empty, where reading the parameter itself would fail. None when
    the environment or project name is itself invalid (reported by the checks)."""
    environment, project = values.get("environment"), values.get("projectName") or namespace
    if environment not in ENVIRONMENTS or not isinstance(project, str):
        return None
    from pulumi_aws import ssm

    parameter = release_parameter(project, environment)
    found = ssm.get_parameters_by_path(
        path=release_path(project, environment), recursive=False, with_decryption=False
    )
    values_by_name = dict(zip(found.names, found.values, strict=True))
    return parameter, values_by_name.get(parameter)


def _other_keys(namespace: str) -> list[str]:
    from pulumi.runtime import config as runtime_config

    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return [key for key in merged if not key.startswith(f"{namespace}:")]


def _caller_account_id() -> str:
    """The deploying account, asked only when a default ECR registry needs it."""
    import pulumi_aws as aws

    return aws.get_caller_identity().account_id
