"""The bootstrap project's pieces (`bootstrap/`): what an AWS account needs before the main
program's first `pulumi up`: the state bucket of Pulumi's S3 backend, the KMS key of the
stacks' secrets provider, GitHub's OIDC provider and the roles the workflows assume."""
