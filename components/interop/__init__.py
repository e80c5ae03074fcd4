"""The components as a Pulumi component package, for programs in any Pulumi language.

`package/` (PulumiPlugin.yaml, `runtime: python`) hosts the classes `package.py` names with
`pulumi.provider.experimental.component_provider_host`; `pulumi package add <path to package/>`
gives a TypeScript, Go, C#, Java or YAML program `accessweaver:index:Microservice`,
`accessweaver:index:EcsCluster` and the platform pieces. Each class here takes plain typed
inputs (what the package schema can describe), builds the Python component of the same name
from them and exposes its outputs. They live by domain (`cluster.py`, `microservice.py`,
`data.py`, `load_balancers.py`), what they share in `wrapping.py`.
"""
