"""`statements.deny_bucket`, shared by the boundary's state deny and the deploy role's guard of
the state's access logs."""

from __future__ import annotations

from accessweaver_components.bootstrap.boundary import boundary_policy
from accessweaver_components.bootstrap.state_access import state_protection
from accessweaver_components.bootstrap.statements import deny_bucket


def test_a_bucket_deny_covers_the_bucket_and_its_objects():
    assert deny_bucket("NoLogs", "arn:aws:s3:::logs") == {
        "Sid": "NoLogs",
        "Effect": "Deny",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"],
    }


def test_the_boundary_and_the_state_guards_deny_their_buckets_whole():
    boundary = boundary_policy(
        project="shop", environment="qa", secrets_key_arn="k", state_bucket_arn="arn:aws:s3:::st"
    )
    assert boundary["Statement"][-1] == deny_bucket("NoState", "arn:aws:s3:::st")
    guards = state_protection("arn:aws:s3:::st", "arn:aws:s3:::st-logs", "shop", "qa")
    assert guards[-1] == deny_bucket("StateAccessLogs", "arn:aws:s3:::st-logs")
    assert "StateAccessLogs" not in {
        s["Sid"] for s in state_protection("arn:aws:s3:::st", None, "shop", "qa")
    }
