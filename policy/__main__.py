"""Run by `pulumi preview --policy-pack policy`: serves the pack to the engine (blocks).

Only the pack is constructed here; the policies live in `accessweaver_policies.py` (importable
by the tests). Pulumi runs this file with this folder on `sys.path`; the policies import the
`policy` and `components` packages, so the repository root (this folder's parent) must be
importable too: it is when the repository is pip-installed, and the line below makes it so in a
plain checkout.
"""

import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.accessweaver_policies import PACK_NAME, initial_config, policies

PolicyPack(
    name=PACK_NAME,
    policies=policies(),
    enforcement_level=EnforcementLevel.MANDATORY,
    initial_config=initial_config(),
    description="AWS FSBP controls and reliability rules for the AccessWeaver ECS stacks "
    "(docs/CONTROLS.md); P-scope controls are advisory in dev.",
)
