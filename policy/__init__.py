"""The AccessWeaver policy pack (Pulumi CrossGuard), importable from the repository root.

`pulumi preview --policy-pack policy` runs `policy/__main__.py` with this folder on `sys.path`;
the tests and the offline plan import `policy.control_checks` and `policy.accessweaver_policies`
as a package. Nothing here imports `pulumi_policy`: the stack program imports
`policy.controls_catalog` to validate `policyWaivers`, and must not pay for the policy SDK.
"""
