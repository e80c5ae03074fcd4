"""One ECR repository per service (`registry.enabled`).

Creates, for every service whose image lives in the stack's registry: a repository
`<prefix>/<service>` (scan on push, IMMUTABLE tags: a tag always means the same image) and its
lifecycle policy (untagged images go after a week, the last `registry.keepImages` tagged images
stay). `containerRegistry` defaults to these repositories (see stack/platform_settings.py), so the
execution role's ECR pull statement names exactly them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_aws import ecr

from ..stack.settings import ServiceSettings, StackSettings

UNTAGGED_EXPIRY_DAYS = 7


def lifecycle_policy(keep_images: int) -> dict[str, Any]:
    """ECR lifecycle policy (ECR.3). The `any` rule must have the highest priority number."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images after {UNTAGGED_EXPIRY_DAYS} days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": UNTAGGED_EXPIRY_DAYS,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the last {keep_images} images",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_images,
                },
                "action": {"type": "expire"},
            },
        ]
    }


def repository_services(settings: StackSettings) -> list[ServiceSettings]:
    """Services whose image is pulled from the stack's own repositories."""
    prefix = f"{settings.container_registry}/"
    return [s for s in settings.services if s.image.startswith(prefix)]


@dataclass(frozen=True)
class RegistryArgs:
    settings: StackSettings


class ImageRegistry(pulumi.ComponentResource):
    repository_urls: dict[str, pulumi.Output[str]]
    """Repository URL by service name."""

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("accessweaver:registry:ImageRegistry", name, None, opts)
        settings = args.settings
        registry = settings.platform.registry
        if registry is None:
            raise ValueError("ImageRegistry needs settings.platform.registry (registry.enabled)")
        policy = json.dumps(lifecycle_policy(registry.keep_images))

        self.repository_urls = {}
        for service in repository_services(settings):
            repository = ecr.Repository(
                f"{name}-{service.name}-repo",
                name=f"{registry.repository_prefix}/{service.name}",
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration={"scan_on_push": True},
                encryption_configurations=[{"encryption_type": "AES256"}],
                force_delete=False,
                tags={**settings.tags, "Service": service.name},
                opts=pulumi.ResourceOptions(parent=self, protect=settings.platform.protect),
            )
            ecr.LifecyclePolicy(
                f"{name}-{service.name}-lifecycle",
                repository=repository.name,
                policy=policy,
                opts=pulumi.ResourceOptions(parent=repository),
            )
            self.repository_urls[service.name] = repository.repository_url
        self.register_outputs({"repository_urls": self.repository_urls})
