"""CA-A2A on ECS Fargate: the same program as AccessWeaver's, fed by this project's stack files.

Every CA-A2A specific (the agents, their routes, the database for Keycloak, log paths) is in
`Pulumi.<stack>.yaml` under the `ca-a2a:` namespace; the components read it through
`pulumi.get_project()`. Nothing here knows CA-A2A.
"""

import sys
from pathlib import Path

# The components live at the repository root, two levels up, and are not an installed package:
# `pulumi up` runs this file from examples/ca-a2a, where `components` is not importable otherwise.
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
if str(REPOSITORY_ROOT) not in sys.path:
    sys.path.insert(0, str(REPOSITORY_ROOT))

from components.stack import load_settings  # noqa: E402 (needs the path above)
from components.stack.program import build_stack  # noqa: E402

build_stack(load_settings())
