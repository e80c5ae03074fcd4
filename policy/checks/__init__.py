"""The checks behind every policy of the pack, one module per area, as plain functions over
resource properties (no `pulumi_policy` import).

`accessweaver_policies.py` wraps each `Spec` into a CrossGuard policy, and the tests call the
checks the same way through the offline runner. Importing this package registers every check
(the modules below); `specs()` returns them in the order of the control catalog, and fails
when a control of `components/controls.py` has no policy.
"""

from __future__ import annotations

import functools

from accessweaver_components.controls import CONTROLS

from . import (  # noqa: F401 (importing a module registers its checks)
    audit,
    cost,
    ecs,
    efs,
    elasticache,
    iam_secrets_logs,
    identity,
    least_privilege,
    load_balancer,
    network,
    rds,
    reliability,
    s3,
)
from .base import *  # noqa: F403 (the resource types and helpers, for tests and policies)
from .base import SPECS, Spec


def specs() -> list[Spec]:
    """Every policy, in catalog order; checks that every control has a policy."""
    return list(_checked_specs())


@functools.cache
def _checked_specs() -> tuple[Spec, ...]:
    covered = {c for spec in SPECS for c in spec.controls}
    missing = sorted(set(CONTROLS) - covered)
    unknown = sorted(covered - set(CONTROLS))
    if missing or unknown:
        raise AssertionError(f"controls without policy: {missing}; unknown controls: {unknown}")
    order = {control: index for index, control in enumerate(CONTROLS)}
    return tuple(sorted(SPECS, key=lambda spec: min(order[c] for c in spec.controls)))
