"""Reusable Pulumi components for microservices on ECS Fargate, with their platform.

One package per domain (`network`, `edge`, `compute`, `data`, `identity`, `observability`,
`cost`), the stack layer that maps a stack's configuration onto them (`stack`), the bootstrap
project's components (`bootstrap`) and the component package for other languages (`interop`).
`__version__` is the package's version (`_version.py`, CHANGELOG.md).
"""

from ._version import __version__

__all__ = ["__version__"]
