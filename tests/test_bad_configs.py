"""Bad stack files are refused cleanly: exit 2, nothing registered, every problem named.

`tests/bad_configs/*.yaml` are stack files shaped like `Pulumi.<stack>.yaml`, each with a first
comment saying what is wrong and `# expect:` lines the message must contain (key path, problem,
what is allowed); `# problems: N` where the file has exactly N (none invented). A hypothesis
test then feeds random YAML-shaped values to the loader.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessweaver_components.stack import ConfigError, StackSettings, settings_from_mapping
from accessweaver_components.stack.model import StackConfig
from tests.conftest import ROOT
from tests.support_cli import refused_offline_plan
from tests.support_programs import registrations
from tools.engine import read_stack_config, run_program

CORPUS = sorted((ROOT / "tests" / "bad_configs").glob("*.yaml"))


def expectations(path: Path) -> list[str]:
    return re.findall(r"^# expect: (.+)$", path.read_text(), flags=re.M)


def problem_count(path: Path) -> int | None:
    """`# problems: N`: the file has exactly N problems (none invented from another)."""
    found = re.findall(r"^# problems: (\d+)$", path.read_text(), flags=re.M)
    return int(found[0]) if found else None


def test_the_corpus_has_at_least_40_files_each_with_expectations():
    assert len(CORPUS) >= 40
    assert [p.name for p in CORPUS if len(expectations(p)) < 2] == []


@pytest.fixture
def registered():
    """Types the program registers during the test (the stack itself excluded)."""
    with registrations() as seen:
        yield seen


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_bad_stack_file_is_refused_naming_file_key_and_what_is_allowed(path, registered):
    with pytest.raises(ConfigError) as raised:
        run_program(ROOT, "corpus", path)
    message = str(raised.value)
    assert message.startswith(f"{path}: invalid stack configuration")
    for fragment in expectations(path):
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    assert [i.path for i in raised.value.issues if not i.allowed] == []
    if problem_count(path) is not None:
        assert len(raised.value.issues) == problem_count(path), message
    assert registered == []


@pytest.mark.parametrize("name", ["cpu-memory-impossible", "yaml-syntax-error"])
def test_the_offline_plan_exits_2_with_only_the_messages(name):
    path = ROOT / "tests" / "bad_configs" / f"{name}.yaml"
    messages = refused_offline_plan(path)
    for fragment in expectations(path):
        assert fragment in messages


# ---------------------------------------------------------------------------------------------
# Property: the loader returns StackSettings or raises ConfigError, nothing else
# ---------------------------------------------------------------------------------------------

KEYS = sorted(f.alias for f in StackConfig.model_fields.values() if f.alias)
NESTED_KEYS = [
    "cpu", "memory", "desiredCount", "minCapacity", "maxCapacity", "port", "public", "sizes",
    "enabled", "createVpc", "certificateArn", "pathPatterns", "priority", "defaultRoute",
    "control", "resource", "reason", "aw-pdp-service", "aw-api-gateway", "orders", "dev", "prod",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", "latest", "vpc-0a1b2c3d", "subnet-0a1b2c3d", "/api/*", "prod"]),
)
yaml_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(NESTED_KEYS), st.text(max_size=6)), inner,
                        max_size=4),
    ),
    max_leaves=12,
)  # fmt: skip


def _valid_base() -> dict:
    config = read_stack_config(ROOT, "dev")
    prefix = f"{config.project}:"
    from accessweaver_components.stack.loader import parse_raw_value

    return {
        key[len(prefix) :]: parse_raw_value(key[len(prefix) :], value)
        for key, value in config.values.items()
        if key.startswith(prefix)
    }


BASE = _valid_base()


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(
    changes=st.dictionaries(st.sampled_from(KEYS), yaml_values, max_size=4),
    dropped=st.lists(st.sampled_from(sorted(BASE)), max_size=2),
    region=st.one_of(st.just("eu-west-1"), st.none(), st.text(max_size=10)),
)
def test_the_loader_only_returns_settings_or_raises_config_error(changes, dropped, region):
    raw = {k: v for k, v in {**BASE, **changes}.items() if k not in dropped}
    try:
        result = settings_from_mapping(
            raw, namespace="accessweaver", stack_file="Pulumi.fuzz.yaml", region=region
        )
    except ConfigError as error:
        assert error.issues and str(error).startswith("Pulumi.fuzz.yaml: invalid stack")
    else:
        assert isinstance(result, StackSettings)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(raw=st.dictionaries(st.text(max_size=10), yaml_values, max_size=5))
def test_arbitrary_mappings_without_a_region_always_raise_config_error(raw):
    with pytest.raises(ConfigError):
        settings_from_mapping(raw, namespace="accessweaver", stack_file="x.yaml", region=None)
