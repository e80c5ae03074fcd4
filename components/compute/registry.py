"""One ECR repository per service.

Creates, for every service named: a repository (scan on push, IMMUTABLE tags: a tag always
means the same image) and its lifecycle policy (untagged images go after a week, the last
`keep_images` tagged images stay). Each service's execution role may pull from its own
repository only (`compute/iam.py`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_aws import ecr

UNTAGGED_EXPIRY_DAYS = 7


PULL_ACTIONS = (
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchCheckLayerAvailability",
)


def pull_policy(account_ids: Sequence[str]) -> dict[str, Any]:
    """Repository policy: these accounts may pull (their own IAM policies then say which of
    their roles: the bootstrap's deploy role of the next environment). ECR's repository
    policies name accounts or roles as principals; pushing stays with this account."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NextEnvironmentPulls",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in account_ids]},
                "Action": list(PULL_ACTIONS),
            }
        ],
    }


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


@dataclass(frozen=True)
class RegistryArgs:
    repositories: Mapping[str, str]
    """Service name -> repository name (`<prefix>/<service>`)."""
    keep_images: int = 20
    """Tagged images kept per repository."""
    pull_account_ids: Sequence[str] = ()
    """Accounts whose roles may pull the images (the next environment's, promoting them)."""
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


class ImageRegistry(pulumi.ComponentResource):
    repository_urls: dict[str, pulumi.Output[str]]
    """Repository URL by service name."""
    repository_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("accessweaver:registry:ImageRegistry", name, None, opts)
        policy = json.dumps(lifecycle_policy(args.keep_images))
        self.repository_urls = {}
        self.repository_arns = {}
        for service, repository_name in args.repositories.items():
            repository = ecr.Repository(
                f"{name}-{service}-repo",
                name=repository_name,
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration={"scan_on_push": True},
                encryption_configurations=[{"encryption_type": "AES256"}],
                force_delete=False,
                tags={**args.tags, "Service": service},
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            ecr.LifecyclePolicy(
                f"{name}-{service}-lifecycle",
                repository=repository.name,
                policy=policy,
                opts=pulumi.ResourceOptions(parent=repository),
            )
            if args.pull_account_ids:
                ecr.RepositoryPolicy(
                    f"{name}-{service}-pull",
                    repository=repository.name,
                    policy=json.dumps(pull_policy(args.pull_account_ids)),
                    opts=pulumi.ResourceOptions(parent=repository),
                )
            self.repository_urls[service] = repository.repository_url
            self.repository_arns[service] = repository.arn
        self.register_outputs(
            {"repository_urls": self.repository_urls, "repository_arns": self.repository_arns}
        )
