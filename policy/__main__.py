"""Run by `pulumi preview --policy-pack policy`: serves the pack to the engine (blocks).

Only the pack is constructed here; the policies live in `accessweaver_policies.py` (importable
by the tests). This folder is on `sys.path` when Pulumi runs it, hence the top-level imports.
"""

import sys
from pathlib import Path

# The budget policy (COST.1) reuses the program's config loader and cost model: the repository
# root, this folder's parent, must be importable too.
sys.path.append(str(Path(__file__).resolve().parent.parent))

from accessweaver_policies import PACK_NAME, initial_config, policies
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=PACK_NAME,
    policies=policies(),
    enforcement_level=EnforcementLevel.MANDATORY,
    initial_config=initial_config(),
    description="AWS FSBP controls and reliability rules for the AccessWeaver ECS stacks "
    "(../shared/CONTROLS.md); P-scope controls are advisory in dev.",
)
