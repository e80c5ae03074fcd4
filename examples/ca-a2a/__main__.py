"""CA-A2A on ECS Fargate: the same program as AccessWeaver's, fed by this project's stack files.

Every CA-A2A specific (the agents, their graph, their routes, the database for Keycloak, log
paths) is in `Pulumi.<stack>.yaml` under the `ca-a2a:` namespace; the components read it through
`pulumi.get_project()`. Nothing here knows CA-A2A. `components` is the installed package
(`pip install <checkout>`; this repository's ./scripts/bootstrap.sh installs it in the
virtualenv Pulumi.yaml names), not a path into the checkout.
"""

from accessweaver_components.stack import load_settings
from accessweaver_components.stack.program import build_stack

build_stack(load_settings())
