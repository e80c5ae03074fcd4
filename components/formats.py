"""Value formats shared by every stack-config model: ids, ARNs, images, tags, retention.

Each validator raises ValueError with "allowed: ..." so the error names what is valid. No AWS
look-ups happen here; `ConfigModel` is the base of every stack-config section (camelCase keys
as Pulumi users write them, snake_case fields, frozen, unknown keys refused).
"""

from __future__ import annotations

import re
import types
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

Environment = Literal["dev", "staging", "prod"]
ENVIRONMENTS: tuple[Environment, ...] = ("dev", "staging", "prod")
ENFORCED_ENVIRONMENTS: tuple[Environment, ...] = ("staging", "prod")
ENCRYPTED = "offline-placeholder-for-secure-value"
"""What the offline engine hands the program for a `secure:` value it cannot decrypt
(tools/stack_file.py); under `pulumi`, the CLI decrypts it before the program runs."""
"""CONTROLS.md "P": enforced in staging and prod, defaulted (waivable) in dev."""

_TRUE, _FALSE = ("true", "True"), ("false", "False")


def _flag(value: Any) -> Any:
    """true/false, or the text Pulumi's `Config.get_bool` takes (true, True, false, False);
    never yes/on/1, which Pulumi itself refuses."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in _TRUE + _FALSE:
        return value in _TRUE
    raise ValueError("not a boolean; allowed: true or false")


Flag = Annotated[bool, BeforeValidator(_flag)]
"""A stack-config boolean."""

_IMAGE_NAME = r"[a-z0-9]+([.-][a-z0-9]+)*(:\d+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
_IMAGE_TAG = r":(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})"
_IMAGE_DIGEST = r"@(?P<digest>sha256:[0-9a-f]{64})"
IMAGE_PATTERN = (
    rf"^{_IMAGE_NAME}(:[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}(@sha256:[0-9a-f]{{64}})?"
    r"|@sha256:[0-9a-f]{64})$"
)
"""An image reference as Docker and ECS take it: a name with a tag, a digest, or both (the
digest then decides what runs: `nginx:1.27@sha256:...`); a bare name (`latest` implied) is
refused."""
_IMAGE = re.compile(rf"^(?P<name>{_IMAGE_NAME})({_IMAGE_TAG})?({_IMAGE_DIGEST})?$")


def split_image(reference: str) -> tuple[str, str | None, str | None]:
    """`(name, tag, digest)` of an image reference (`(reference, None, None)` when it is not
    one): `repo:1.27@sha256:ab...` -> `("repo", "1.27", "sha256:ab...")`."""
    match = _IMAGE.match(reference)
    if match is None:
        return reference, None, None
    return match["name"], match["tag"], match["digest"]


PARAMETER_NAME_PATTERN = r"^/(?![Aa][Ww][Ss]|[Ss][Ss][Mm])[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$"
"""An SSM parameter by its path (`/path/name`): ECS takes a parameter's name for a parameter of
the task's own region (ECS API reference, `Secret.valueFrom`). Names hold letters, digits, `_`,
`.`, `-` and `/` and do not begin with `aws` or `ssm` (Systems Manager user guide, "Creating
Parameter Store parameters"). A name without a leading `/` is not taken: it cannot be told from
a secret's value pasted where its reference goes (the ARN names such a parameter)."""


def _resource_id(prefix: str) -> tuple[re.Pattern[str], str]:
    """An EC2 resource id (`vpc-`, `subnet-`, `sg-`): the prefix and 8 hex digits (older ids)
    or 17, with the `allowed` text that says so."""
    return (
        re.compile(rf"^{prefix}-([0-9a-f]{{8}}|[0-9a-f]{{17}})$"),
        f"{prefix}- followed by 8 or 17 hex digits",
    )


PATTERNS = {
    "vpc": _resource_id("vpc"),
    "subnet": _resource_id("subnet"),
    "sg": _resource_id("sg"),
    "target_group_arn": (
        re.compile(
            r"^arn:aws(-[a-z]+)*:elasticloadbalancing:[a-z]{2}(-[a-z]+)+-\d:\d{12}:"
            r"targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$"
        ),
        "arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<16 hex digits>",
    ),
    "secret_ref": (
        re.compile(
            r"^arn:aws(-[a-z]+)*:(secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]+"
            r"(:[A-Za-z0-9_.-]*:[A-Za-z0-9_-]*:[A-Za-z0-9_-]*)?"
            r"|ssm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:parameter/[A-Za-z0-9/_.-]+)$"
            rf"|{PARAMETER_NAME_PATTERN}"
        ),
        "a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>"
        "[:<json-key>:<stage>:<version>]), an SSM parameter ARN, or the path of an SSM "
        "parameter in the stack's region (/path/name)",
    ),
    "policy_arn": (
        re.compile(
            r"^arn:aws(-[a-z]+)*:iam::(\d{12}|aws):policy/([\x21-\x7e]*/)?[\w+=,.@-]{1,128}$"
        ),
        "an IAM managed policy ARN, arn:aws:iam::<account>:policy/<path>/<name> (or an AWS "
        "managed one, arn:aws:iam::aws:policy/<path>/<name>)",
    ),
    "account_id": (re.compile(r"^\d{12}$"), '12 digits, quoted (e.g. "123456789012")'),
    "ecr_path": (
        re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/[a-z0-9]+([._/-][a-z0-9]+)*$"),
        "an ECR registry path, <account>.dkr.ecr.<region>.amazonaws.com/<prefix> "
        "(e.g. 111111111111.dkr.ecr.eu-west-1.amazonaws.com/accessweaver-dev)",
    ),
    "image_tag": (
        re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"),
        "1 to 128 characters: letters, digits, '_', '.', '-', not starting with '.' or '-'",
    ),
    "registry": (
        re.compile(r"^[a-z0-9]+([.-][a-z0-9]+)*(:\d+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$"),
        "a registry host with an optional path, lower case, no scheme and no trailing '/' "
        "(e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/accessweaver)",
    ),
    "image": (
        re.compile(IMAGE_PATTERN),
        "a full image reference with a tag, a digest or both (e.g. "
        "quay.io/keycloak/keycloak:26.0, or nginx:1.27@sha256:<64 hex digits>)",
    ),
    "env_name": (
        re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$"),
        "letters, digits and '_', not starting with a digit",
    ),
    "health_path": (
        re.compile(r"^/[A-Za-z0-9/_.~%-]*$"),
        "an absolute URL path such as /actuator/health",
    ),
    "region": (re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$"), "an AWS region such as eu-west-1"),
    "lambda_arn": (
        re.compile(
            r"^arn:aws[a-z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d:\d{12}:function:[A-Za-z0-9_-]{1,64}"
            r"(:[A-Za-z0-9_$-]{1,128})?$"
        ),
        "a Lambda function ARN, arn:aws:lambda:<region>:<account>:function:<name>[:<alias>]",
    ),
}


def matching(pattern: re.Pattern[str], problem: str) -> AfterValidator:
    """A pydantic check of a string: the value as given when `pattern` matches it, else a
    refusal with `problem` (`<what is wrong>; allowed: <what is>`), the message pydantic
    reports at the key's path."""

    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(problem)
        return value

    return AfterValidator(check)


def _format(kind: str) -> AfterValidator:
    pattern, allowed = PATTERNS[kind]
    return matching(pattern, f"malformed {kind.replace('_', ' ')}; allowed: {allowed}")


VpcId = Annotated[str, _format("vpc")]
SubnetId = Annotated[str, _format("subnet")]
SecurityGroupId = Annotated[str, _format("sg")]
TargetGroupArn = Annotated[str, _format("target_group_arn")]


SecretRef = Annotated[str, _format("secret_ref")]
ImageTag = Annotated[str, _format("image_tag")]
Registry = Annotated[str, _format("registry")]
AccountId = Annotated[str, _format("account_id")]
PolicyArn = Annotated[str, _format("policy_arn")]
EcrPath = Annotated[str, _format("ecr_path")]
Image = Annotated[str, _format("image")]
EnvName = Annotated[str, _format("env_name")]
HealthPath = Annotated[str, _format("health_path")]
Region = Annotated[str, _format("region")]
LambdaArn = Annotated[str, _format("lambda_arn")]
Hostname = Annotated[
    str,
    Field(max_length=253, pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"),
]
"""A fully qualified DNS name, lower case, without a trailing dot."""
QueueName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")]
"""A work queue of the service graph: `<project>-<env>-<name>` is its SQS name."""
ServiceName = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$",
        description="2-32 lower-case letters, digits and '-'",
    ),
]

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip


def check_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(
            "not a retention CloudWatch Logs accepts; "
            f"allowed: {', '.join(map(str, LOG_RETENTION_DAYS))}"
        )
    return days


TAGS_PER_RESOURCE = 50
"""AWS: at most 50 user tags per resource (tags starting with `aws:` do not count)."""
PROGRAM_TAGS = ("Project", "Environment", "ManagedBy", "Service", "Criticality", "Name",
                "Purpose", "Rotation", "Recreate")  # fmt: skip
"""Tag keys the program sets itself; a stack cannot set them (they say what a resource is)."""
PROGRAM_TAGS_PER_RESOURCE = 6
"""The most of `PROGRAM_TAGS` one resource carries (a service's security group: Project,
Environment, ManagedBy, Service, Criticality, Name); a test keeps it true."""
_TAG_PUNCTUATION = set(" _.:/=+-@")


def _tag_text_ok(text: str) -> bool:
    """Letters, digits, spaces (Unicode categories L, N, Z) and `_ . : / = + - @`."""
    import unicodedata

    return all(c in _TAG_PUNCTUATION or unicodedata.category(c)[0] in ("L", "N", "Z") for c in text)


def tag_problems(tags: dict[str, str]) -> list[tuple[str, str, str]]:
    """`(key, problem, allowed)` for every tag AWS would refuse, and for too many of them."""
    found = []
    room = TAGS_PER_RESOURCE - PROGRAM_TAGS_PER_RESOURCE
    if len(tags) > room:
        found.append(
            (
                "",
                f"{len(tags)} tags: AWS allows {TAGS_PER_RESOURCE} per resource and the program "
                f"sets up to {PROGRAM_TAGS_PER_RESOURCE} of its own",
                f"at most {room} additional tags",
            )
        )
    for key, value in tags.items():
        if key in PROGRAM_TAGS:
            found.append((key, "the program sets this tag itself", "another key"))
        elif key.lower().startswith("aws:"):
            found.append((key, "the aws: prefix is reserved for AWS", "another key"))
        elif not 1 <= len(key) <= 128 or not _tag_text_ok(key):
            found.append(
                (
                    key,
                    "not a tag key AWS accepts",
                    "1 to 128 letters, digits, spaces and _ . : / = + - @",
                )
            )
        elif len(value) > 256 or not _tag_text_ok(value):
            found.append(
                (
                    key,
                    "not a tag value AWS accepts",
                    "up to 256 letters, digits, spaces and _ . : / = + - @",
                )
            )
    return found


LogRetention = Annotated[int, AfterValidator(check_retention)]
RetentionDays = LogRetention
Tags = dict[str, str]
"""Checked with `tag_problems` by the resolver, one issue per tag."""
Percent = Annotated[int, Field(ge=1, le=100)]


# ALB path-pattern condition: 1-128 characters of A-Z a-z 0-9 _ - . $ / ~ " ' @ : + & * ?
_PATH_PATTERN = re.compile(r"""^/[A-Za-z0-9_\-.$/~"'@:+&*?]{0,127}$""")


PathPattern = Annotated[
    str,
    matching(
        _PATH_PATTERN,
        "not an ALB path pattern; allowed: up to 128 characters starting with '/', letters, "
        "digits and _ - . $ / ~ \" ' @ : + & with * and ? as wildcards (e.g. /api/*)",
    ),
]


DEFAULT_LOG_GROUP_PREFIX = "/ecs/{project}-{env}"
"""Log groups are `<prefix>/<service>`; `{project}` and `{env}` are replaced per stack."""
_LOG_GROUP_PREFIX = re.compile(r"^(/([A-Za-z0-9._#-]|\{project\}|\{env\})+)+$")


def check_log_group_prefix(value: str) -> str:
    if not _LOG_GROUP_PREFIX.match(value) or len(value) > 200:
        raise ValueError(
            "not a log group path; allowed: up to 200 characters starting with '/', segments of "
            "letters, digits, '.', '_', '-', '#' and the placeholders {project} and {env}, "
            "no trailing '/' (e.g. /ecs/{project}/{env})"
        )
    missing = [p for p in ("{project}", "{env}") if p not in value]
    if missing:
        # A fixed prefix names the same log groups in every stack and every project that copies
        # it: the second `pulumi up` in the account fails on groups that already exist.
        raise ValueError(
            f"without {' and '.join(missing)} two stacks (dev and prod, or another project) "
            "would create the same log groups; allowed: a path holding both {project} and {env}, "
            "e.g. /ecs/{project}/{env}"
        )
    return value


def _numeric(annotation: Any) -> bool:
    """`annotation` is a number type (int, float, optionally None or Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _numeric(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(args) and all(_numeric(a) for a in args)
    return annotation in (int, float)


class ConfigModel(BaseModel):
    """Base of every stack-config section.

    Numbers are accepted where text is expected (`pulumi config set --path
    'database.engineVersion' 16` writes the number 16); booleans are `Flag`, as strict as
    Pulumi's own `get_bool`."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=False,
        strict=False,
        coerce_numbers_to_str=True,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic's lax mode reads true as 1: `port: true` would plan a service on port 1.
        field = cls.model_fields.get(info.field_name or "")
        if isinstance(value, bool) and field is not None and _numeric(field.annotation):
            raise ValueError("true/false where a number goes; allowed: a number")
        return value


def explicit_keys(model: BaseModel, exclude: set[str]) -> list[str]:
    """camelCase names of the keys a stack file set on `model`, except `exclude`."""
    return sorted(to_camel(name) for name in model.model_fields_set - exclude)


def snake(camel: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), camel)
