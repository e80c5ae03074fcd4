"""AccessWeaver on ECS Fargate: read the stack config once, build the components, export outputs.

Bad config raises `ConfigError` (a `pulumi.RunError`) before any resource is registered. The
stack itself is built by `components/program.py`, shared with every project on these components
(`examples/ca-a2a/`).
"""

from accessweaver_components.stack import load_settings
from accessweaver_components.stack.program import build_stack

build_stack(load_settings())
