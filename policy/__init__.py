"""The AccessWeaver policy pack (Pulumi CrossGuard), importable from the repository root.

`pulumi preview --policy-pack policy` runs `policy/__main__.py` with this folder on `sys.path`;
the tests and the offline plan import `policy.checks` and `policy.accessweaver_policies`
as a package. The control IDs live in `components/controls.py`, which the stack program also
reads to validate `policyWaivers` without loading the policy SDK.
"""
