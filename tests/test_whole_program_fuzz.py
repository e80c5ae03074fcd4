"""Property: a stack file runs through the whole program (loader, resolver, components, the
engine's provider-input check) and ends in one of two ways only: a plan, or `ConfigError` with
the list of problems and nothing registered. Never a traceback, never a `ProviderInputError`.

The loader's own property test (tests/test_bad_configs.py) feeds it random shapes; this one
mutates small valid stacks with values a user writes (ports, workers, target groups, images,
secret references, boundaries, overrides) and runs each on the offline engine, where the
components' own argument checks and the provider's input types are what can still fail. The
bases are small (two or three services, no platform pieces) so one run costs ~0.1 s.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accessweaver_components.stack import ConfigError
from tests.config_support import services_only_stack_file
from tests.conftest import ROOT
from tests.support_programs import registrations
from tools.engine import run_program

ACCOUNT = "123456789012"
REGION = "eu-west-1"
TG = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/tg/0123456789abcdef"
DIGEST = "sha256:" + "ab" * 32
SIZE = {"cpu": 256, "memory": 512, "desiredCount": 1}

EXISTING_VPC: dict[str, Any] = services_only_stack_file(
    f"arn:aws:iam::{ACCOUNT}:policy/b/boundary",
    f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/fuzz",
    {
        "accessweaver:services": {
            "api": {"port": 8080, "sizes": {"dev": SIZE}},
            "worker": {"healthCheckCommand": ["CMD-SHELL", "true"], "sizes": {"dev": SIZE}},
        },
    },
)
OWN_EDGE: dict[str, Any] = {
    **{k: v for k, v in EXISTING_VPC.items() if "SubnetIds" not in k and "vpcId" not in k},
    "accessweaver:network": {"createVpc": True},
    "accessweaver:edge": {
        "enabled": True,
        "certificateArn": f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/"
        "275f55a3-83cb-4091-a2ad-be3ee444d38a",
    },
    "accessweaver:services": {
        "api": {"port": 8080, "public": True, "defaultRoute": True, "sizes": {"dev": SIZE}},
        "web": {"port": 8081, "public": True, "pathPatterns": ["/web/*"], "sizes": {"dev": SIZE}},
        "worker": {"healthCheckCommand": ["CMD-SHELL", "true"], "sizes": {"dev": SIZE}},
    },
}
NAMES = ("api", "web", "worker")

ports = st.sampled_from([0, 1, 80, 2000, 8080, 8081, 9000, 65535, 70000, "8080", "x", True, 8.5])
images = st.sampled_from(
    [
        "nginx:1.27",
        f"nginx:1.27@{DIGEST}",
        f"public.ecr.aws/nginx/nginx@{DIGEST}",
        f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/fuzz/api:1.0@{DIGEST}",
        "Not An Image",
    ]
)
secret_refs = st.sampled_from(
    [
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:fuzz/dev/db-AbCdEf",
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:fuzz/dev/db-AbCdEf:password::",
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/fuzz/dev/token",
        f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/fuzz/dev/token",
        "/fuzz/dev/token",
        "fuzz-token",
        "not an arn at all",
    ]
)
service_changes = st.fixed_dictionaries(
    {},
    optional={
        "port": ports,
        "healthCheckPort": ports,
        "healthCheckPath": st.sampled_from(["/health", "health"]),
        "healthCheckCommand": st.sampled_from([["CMD-SHELL", "true"], []]),
        "public": st.sampled_from([True, False, "maybe"]),
        "pathPatterns": st.sampled_from([["/api/*"], ["/web/*"], [], ["api"]]),
        "defaultRoute": st.booleans(),
        "image": images,
        "secrets": st.dictionaries(st.just("API_TOKEN"), secret_refs, max_size=1),
        "calls": st.lists(st.sampled_from(NAMES), max_size=2, unique=True),
        "deployment": st.sampled_from(
            [{"strategy": s} for s in ("ROLLING", "BLUE_GREEN", "CANARY", "LINEAR")]
        ),
        "scaling": st.just({"requestsPerTarget": 100}),
        "serviceConnect": st.sampled_from([{"enabled": True}, {"enabled": False}]),
        "enabled": st.booleans(),
    },
)
override_changes = st.fixed_dictionaries(
    {},
    optional={
        "targetGroupArn": st.just(TG),
        "image": images,
        "secrets": st.dictionaries(st.just("API_TOKEN"), secret_refs, max_size=1),
        "cpu": st.sampled_from([256, 512, 300]),
        "memory": st.sampled_from([512, 1024, 100]),
    },
)
top_changes = st.fixed_dictionaries(
    {},
    optional={
        "targetGroupArns": st.dictionaries(st.sampled_from(NAMES), st.just(TG), max_size=2),
        "serviceOverrides": st.dictionaries(st.sampled_from(NAMES), override_changes, max_size=2),
        "albSecurityGroupIds": st.just(["sg-0c1b2c3d4e5f60733"]),
        "permissionsBoundaryArn": st.sampled_from(
            [
                "arn:aws:iam::aws:policy/PowerUserAccess",
                "arn:aws:iam::aws:policy/service-role/AWSLambdaRole",
                f"arn:aws:iam::{ACCOUNT}:policy/other/boundary",
                "not-a-policy",
            ]
        ),
        "serviceConnect": st.sampled_from([{"enabled": True}, {"enabled": False}]),
        "commonSecrets": st.dictionaries(st.just("SHARED_TOKEN"), secret_refs, max_size=1),
        "imageTag": st.sampled_from(["1.2.3", "latest"]),
    },
)


def _merged(base: dict[str, Any], services: dict, top: dict) -> dict[str, Any]:
    config = json.loads(json.dumps(base))
    catalog = config["accessweaver:services"]
    for name, changes in services.items():
        catalog.setdefault(name, {"sizes": {"dev": SIZE}}).update(changes)
    for key, value in top.items():
        config[f"accessweaver:{key}"] = value
    return config


_WORKDIR = Path(tempfile.mkdtemp(prefix="fuzz-stacks-"))


# FUZZ_EXAMPLES=2000 explores further (minutes, random seeds); the suite runs a fixed sample.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
WORKER = {"worker": {"healthCheckCommand": ["CMD-SHELL", "true"]}}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# What this test found first: a worker given a target group passed every config check and ended
# in the component's ValueError (both keys that give one).
@example(
    base=EXISTING_VPC,
    services=WORKER,
    top={"targetGroupArns": {"worker": TG}, "albSecurityGroupIds": ["sg-0c1b2c3d4e5f60733"]},
)
@example(
    base=EXISTING_VPC,
    services=WORKER,
    top={
        "serviceOverrides": {"worker": {"targetGroupArn": TG}},
        "albSecurityGroupIds": ["sg-0c1b2c3d4e5f60733"],
    },
)
@given(
    base=st.sampled_from([EXISTING_VPC, OWN_EDGE]),
    services=st.dictionaries(st.sampled_from(NAMES), service_changes, max_size=2),
    top=top_changes,
)
def test_a_stack_file_plans_or_is_refused_with_its_problems_never_a_traceback(base, services, top):
    config = _merged(base, services, top)
    path = _WORKDIR / "Pulumi.fuzz.yaml"
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    with registrations() as registered:
        try:
            result = run_program(ROOT, "fuzz", path)
        except ConfigError as error:
            assert error.issues, str(error)
            assert [i.path for i in error.issues if not i.allowed] == []
            assert registered == [], f"registered before refusing: {registered[:5]}"
        else:
            assert result.resources
