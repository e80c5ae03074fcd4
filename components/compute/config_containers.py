"""Stack-config models of a service's task beyond its application container: private
registry credentials, `sidecars`, the FireLens log router, `efsVolumes` and the
`capacityProviderStrategy`. Re-exported by `components/compute/config.py`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..formats import ConfigModel, EnvName, Flag, Image, SecretRef

ContainerName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")]
DependencyCondition = Literal["START", "COMPLETE", "SUCCESS", "HEALTHY"]
SecretsManagerArn = Annotated[
    str,
    Field(
        pattern=r"^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$"
    ),
]
KmsKeyArn = Annotated[
    str, Field(pattern=r"^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key/[A-Za-z0-9-]+$")
]
ContainerPath = Annotated[str, Field(pattern=r"^/[A-Za-z0-9/_.-]+$")]


# What a service (`services.<name>`) and a task (`tasks.<name>`) both say of their container,
# written once: the same keys, types and descriptions in both.
ContainerUser = Annotated[
    str,
    Field(
        "1000",
        pattern=r"^[A-Za-z0-9_-]+(:[A-Za-z0-9_-]+)?$",
        description="Non-root user (uid[:gid]) the container runs as.",
    ),
]
Calls = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=64)]],
    Field(
        default_factory=list,
        description="Catalog services it calls: their URLs in its configuration and the paths "
        "to their ports, nothing else.",
    ),
]
WorkloadSecrets = Annotated[
    dict[EnvName, SecretRef],
    Field(
        default_factory=dict,
        description="Environment variables read from Secrets Manager/SSM (name -> ARN).",
    ),
]
WritablePaths = Annotated[
    list[Annotated[str, Field(pattern=r"^/[A-Za-z0-9/_.-]+$")]],
    Field(
        default_factory=list,
        description="Writable volumes besides /tmp (the root filesystem is read-only).",
    ),
]


class RepositoryCredentialsConfig(ConfigModel):
    """`repositoryCredentials`: pull the image from a private registry (ghcr.io, Docker Hub)."""

    secret_arn: SecretsManagerArn = Field(
        description='Secrets Manager secret holding {"username", "password"} (a token); '
        "the execution role may read this secret only."
    )
    kms_key_arn: KmsKeyArn | None = Field(
        None, description="The secret's customer managed key (kms:Decrypt on it); unset = AWS's."
    )


class SidecarConfig(ConfigModel):
    """One entry of `sidecars`: a container of one's own beside the application."""

    name: ContainerName = Field(description="Container name, unique in the task.")
    image: Image = Field(description="Full image reference with a tag or digest.")
    memory: int = Field(
        ge=6, le=122880, description="Hard limit in MiB, taken from the task's memory."
    )
    cpu: int = Field(0, ge=0, le=16384, description="CPU units reserved (0 = shared).")
    port: int | None = Field(None, ge=1, le=65535, description="Port it listens on (localhost).")
    environment: dict[EnvName, str] = Field(default_factory=dict, description="Plain variables.")
    secrets: dict[EnvName, SecretRef] = Field(
        default_factory=dict, description="Variables read from Secrets Manager/SSM (name -> ARN)."
    )
    essential: Flag = Field(
        True, description="The task stops when it stops; false for an init step."
    )
    health_check: list[str] | None = Field(
        None,
        min_length=2,
        description="Health check command (CMD or CMD-SHELL form); needed to wait for it HEALTHY.",
    )
    command: list[str] | None = Field(None, description="Container command, if not the image's.")
    user: str = Field(
        "1000",
        pattern=r"^[A-Za-z0-9_-]+(:[A-Za-z0-9_-]+)?$",
        description="Non-root user (uid[:gid]).",
    )
    depends_on: dict[ContainerName, DependencyCondition] = Field(
        default_factory=dict,
        description="Other sidecars it waits for -> START, COMPLETE, SUCCESS or HEALTHY.",
    )
    app_waits_for: DependencyCondition | None = Field(
        None, description="The application starts once this sidecar reaches this condition."
    )
    repository_credentials: SecretsManagerArn | None = Field(
        None, description="Secrets Manager ARN of its private registry's credentials."
    )


class FireLensConfig(ConfigModel):
    """`firelens`: route the application's logs through a Fluent Bit log router."""

    output: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")], str] = Field(
        default_factory=dict,
        description="Fluent Bit output options (Name, Host, ...); unset = CloudWatch Logs, the "
        "service's own log group.",
    )
    secret_options: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")], SecretRef] = (
        Field(default_factory=dict, description="Output option -> secret ARN (an API key).")
    )
    image: Image | None = Field(
        None, description="The router's image; unset = AWS for Fluent Bit at the pinned release."
    )
    memory: int = Field(128, ge=6, le=4096, description="The router's hard limit in MiB.")


class EfsVolumeConfig(ConfigModel):
    """One entry of `efsVolumes`: a file system of `fileSystems` mounted in the application."""

    name: ContainerName = Field(description="Task volume name.")
    file_system: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")] = Field(
        description="A key of the stack's `fileSystems`."
    )
    container_path: ContainerPath = Field(description="Where the application sees it.")
    read_only: Flag = Field(False, description="Mount read-only (no ClientWrite).")
    root_directory: Annotated[str, Field(pattern=r"^/[A-Za-z0-9/_.-]{0,99}$")] | None = Field(
        None,
        description="The access point's root directory; unset = /<ECS service name> (e.g. "
        "/accessweaver-dev-orders), never the file system's root.",
    )
    uid: int | None = Field(
        None, ge=1, le=4294967295, description="POSIX uid; unset = the container's."
    )
    gid: int | None = Field(
        None, ge=0, le=4294967295, description="POSIX gid; unset = the container's."
    )
    permissions: Annotated[str, Field(pattern=r"^[0-7]{3,4}$")] = Field(
        "750", description="Mode the root directory is created with."
    )


class CapacityShareConfig(ConfigModel):
    """One entry of `capacityProviderStrategy`."""

    capacity_provider: Literal["FARGATE", "FARGATE_SPOT"] = Field(description="The provider.")
    weight: int = Field(ge=0, le=1000, description="Relative share beyond the bases.")
    base: int = Field(0, ge=0, le=100000, description="Tasks placed here first (one provider).")
