"""The release a stack runs: the image digests its deploy recorded, read back by every run.

CI builds each commit's images once, promotes the same digests from dev to staging to prod, and
before each environment's `pulumi up` writes them to that stack's release record: the SSM String
parameter `/<project>/<env>/release/current` (`tools/release.py record`). Every `pulumi preview`
(a pull request's included), every drift check and every `pulumi up` from a laptop reads the
record back (`read_release`), so they all plan the images that run, and only a deploy or a
rollback (which writes an earlier record) changes them. docs/DESIGN.md ("One owner for what
runs") explains the choice over committing the tag to the stack file or reading the stack's
own outputs.

The record is JSON:
`{"commit": "<sha>", "images": {"<service>": {"tag": "<tag>", "digest": "sha256:<hex>"}}}`
plus optional `recordedAt`, `recordedBy` and `rolledBackFrom`. Parameter Store keeps the last
100 versions of the parameter: the release history (`tools.release history`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from ..errors import ConfigIssue
from ..formats import ConfigModel, ImageTag, ServiceName, split_image

UNRELEASED_TAG = "unreleased"
"""The tag an unreleased service's task definition names: never pushed; the service runs no
task until a release records its image."""
RELEASE_PARAMETER_NAME = "current"

Digest = Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
Commit = Annotated[str, Field(pattern=r"^[0-9a-f]{7,40}$")]


def release_path(project: str, environment: str) -> str:
    """The Parameter Store path that holds the stack's release record, and nothing else."""
    return f"/{project}/{environment}/release"


def release_parameter(project: str, environment: str) -> str:
    """`/<project>/<env>/release/current`: the stack's release record."""
    return f"{release_path(project, environment)}/{RELEASE_PARAMETER_NAME}"


class RecordedImage(ConfigModel):
    """One image of a release: the tag CI pushed it under and its digest."""

    tag: ImageTag = Field(description="The tag CI pushed (the commit SHA, or a pinned version).")
    digest: Digest = Field(description="The manifest digest every stack of the release runs.")


class ReleaseRecord(ConfigModel):
    """What the deploy job writes to the release record (`tools/release.py record`)."""

    commit: Commit = Field(description="The commit whose images these are.")
    images: dict[ServiceName, RecordedImage] = Field(
        description="Per service (or task) built into the stack's repositories: tag and digest."
    )
    recorded_at: str | None = Field(None, description="When the record was written (UTC, ISO).")
    recorded_by: str | None = Field(
        None, max_length=200, description="Who wrote it: the workflow run, or a user."
    )
    rolled_back_from: Commit | None = Field(
        None, description="Set by a rollback: the commit the stack ran before."
    )
    replaces: dict[ServiceName, ImageTag] | None = Field(
        None,
        description="Per image, the tag of the record this one replaced: what the stack ran "
        "before this release's `pulumi up` (`tools/release.py record` and `rollback` write it; "
        "a re-record of the same commit keeps it). The record is written before the `up`, so "
        "this is how the `up` knows which Keycloak version it replaces.",
    )


@dataclass(frozen=True)
class ReleaseState:
    """The release record as a run found it."""

    parameter: str
    record: ReleaseRecord | None = None
    """None: no release was ever recorded for the stack."""

    @property
    def commit(self) -> str | None:
        return self.record.commit if self.record is not None else None


def parse_release(
    parameter: str, text: str | None
) -> tuple[ReleaseRecord | None, list[ConfigIssue]]:
    """The record in `text` (None: none recorded), or the problems naming the parameter."""
    if text is None:
        return None, []
    where = f"(release record {parameter})"
    try:
        data = json.loads(text)
    except ValueError:
        return None, [ConfigIssue(where, "<not JSON>", "not a JSON release record", _ALLOWED)]
    try:
        return ReleaseRecord.model_validate(data), []
    except ValidationError as error:
        issues = []
        for err in error.errors():
            loc = ".".join(str(p) for p in err["loc"])
            value: Any = err.get("input")
            issues.append(
                ConfigIssue(
                    f"{where}.{loc}" if loc else where,
                    value if not isinstance(value, Mapping) else "<object>",
                    err["msg"],
                    _ALLOWED,
                )
            )
        return None, issues


def replaced_tags(previous: Mapping[str, Any] | None, commit: str) -> dict[str, str]:
    """The `replaces` of a new record of `commit`, given the record it overwrites (its JSON
    as read, None: the first record): that record's tags, or, when it is a record of the same
    commit (a retried deploy), what that one replaced (its own `up` may never have run)."""
    if previous is None:
        return {}
    if previous.get("commit") == commit:
        return dict(previous.get("replaces") or {})
    return {name: image["tag"] for name, image in (previous.get("images") or {}).items()}


def running_tags(record: ReleaseRecord | None, name: str) -> tuple[str, ...]:
    """The tags of image `name` that may run while the stack deploys `record`: the one it
    records and the one it replaced (an `up` in progress, or one that failed and rolled back)."""
    if record is None:
        return ()
    tags = []
    if (image := record.images.get(name)) is not None:
        tags.append(image.tag)
    if record.replaces and (old := record.replaces.get(name)) is not None:
        tags.append(old)
    return tuple(dict.fromkeys(tags))


_ALLOWED = (
    'JSON {"commit": "<sha>", "images": {"<service>": {"tag": "<tag>", "digest": '
    '"sha256:<64 hex>"}}}, as `python -m tools.release record` writes it'
)


ImageSource = Literal["release", "imageTag", "pinned", "unreleased"]


@dataclass(frozen=True)
class ResolvedImage:
    image: str
    source: ImageSource
    built: bool
    """CI builds it into the stack's own repository (`<registry>/<name>`) and records it."""
    pinned_tag: str | None = None
    """The tag CI pushes it under when not the commit's SHA (Keycloak's version)."""


def release_image(
    name: str,
    *,
    registry: str,
    explicit: str | None,
    image_tag: str | None,
    record: ReleaseRecord | None,
) -> ResolvedImage:
    """The image a service (or task) runs, and where it comes from.

    - An image given by the stack file elsewhere (`image:`) is taken as written, unless it is a
      tag of the stack's own repository the record holds (Keycloak's version): then its digest.
    - `imageTag` pins every image built into the stack's repositories to that tag.
    - Otherwise the release record's digest; a service the record does not hold yet is
      unreleased: its task definition names a tag never pushed and it runs no task.
    """
    own = f"{registry}/{name}"
    recorded = record.images.get(name) if record is not None else None
    if explicit is not None:
        name, tag, digest = split_image(explicit)
        if name != own or tag is None or digest is not None:
            # Another registry's image, or a digest the stack file pins itself (with or
            # without a tag: the digest is what runs): taken as written.
            return ResolvedImage(explicit, "pinned", built=False)
        if recorded is not None and recorded.tag == tag:
            return ResolvedImage(f"{own}@{recorded.digest}", "release", True, tag)
        source: ImageSource = "unreleased" if record is None and image_tag is None else "pinned"
        return ResolvedImage(explicit, source, built=True, pinned_tag=tag)
    if image_tag is not None:
        return ResolvedImage(f"{own}:{image_tag}", "imageTag", built=True, pinned_tag=image_tag)
    if recorded is not None:
        return ResolvedImage(f"{own}@{recorded.digest}", "release", built=True)
    return ResolvedImage(f"{own}:{UNRELEASED_TAG}", "unreleased", built=True)
