"""Provider entry point of the component package: the Pulumi CLI runs `python package <engine>`.

The components live in the repository beside this directory (`components/interop/package.py`);
`component_provider_host` infers the package schema from their annotations and serves them,
under the components' version (`components/_version.py`).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi.provider.experimental import component_provider_host

from accessweaver_components.interop.package import COMPONENTS, PACKAGE, VERSION

if __name__ == "__main__":
    component_provider_host(list(COMPONENTS), PACKAGE, version=VERSION)
