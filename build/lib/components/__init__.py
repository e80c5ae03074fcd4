"""Reusable Pulumi components for microservices on ECS Fargate.

`config` validates a stack's configuration; `cluster` and `microservice` build resources from the
validated settings. Nothing here knows about a particular system: the default service catalog
is data in `config/defaults.py`.
"""
