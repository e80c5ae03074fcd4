"""The component package's shared wrapping (`components/interop/wrapping.py`), without the
engine: how a class exposes its outputs, its type token, the numbers it is handed; and every
module of the package keeps run-time annotations (the schema is read from them)."""

from __future__ import annotations

import ast
from typing import Any

import pytest

from accessweaver_components.interop import package
from accessweaver_components.interop.wrapping import (
    component_type,
    optional_int,
    publish,
    same_named,
)
from tests.conftest import ROOT


class _Wrapper:
    """Stands for a package class: its annotations are its schema outputs."""

    arn: str
    dns_name: str
    _private: int

    def __init__(self) -> None:
        self.registered: list[dict[str, Any]] = []

    def register_outputs(self, outputs: dict[str, Any]) -> None:
        self.registered.append(outputs)


class _Source:
    arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1"
    dns_name = "x-1.eu-west-1.elb.amazonaws.com"
    zone_id = "Z32O12XQLNTSW2"


def test_publish_sets_each_output_and_registers_them_in_order():
    wrapper = _Wrapper()
    publish(wrapper, {"dns_name": "d", **same_named(_Source, "arn")})  # type: ignore[arg-type]
    assert (wrapper.arn, wrapper.dns_name) == (_Source.arn, "d")
    assert wrapper.registered == [{"dns_name": "d", "arn": _Source.arn}]
    assert list(wrapper.registered[0]) == ["dns_name", "arn"]


@pytest.mark.parametrize(
    "outputs",
    [
        {"arn": "a"},  # dns_name declared, never given
        {"arn": "a", "dns_name": "d", "zone_id": "z"},  # zone_id given, in no schema
    ],
)
def test_publish_refuses_outputs_the_class_does_not_declare_exactly(outputs):
    wrapper = _Wrapper()
    with pytest.raises(ValueError, match=r"_Wrapper outputs .* but declares \['arn', 'dns_name'\]"):
        publish(wrapper, outputs)  # type: ignore[arg-type]
    assert wrapper.registered == [] and not hasattr(wrapper, "arn")


def test_same_named_copies_the_named_attributes_only():
    assert same_named(_Source, "zone_id", "arn") == {"zone_id": _Source.zone_id, "arn": _Source.arn}
    with pytest.raises(AttributeError):
        same_named(_Source, "listener_arn")


def test_numbers_from_other_languages_become_ints_and_unset_takes_the_default():
    assert optional_int(8080.0) == 8080 and isinstance(optional_int(8080.0), int)
    assert optional_int(None) is None
    assert optional_int(None, 30) == 30
    assert optional_int(0, 30) == 0  # a given 0 is kept: the caller decides what 0 means


def test_every_package_class_has_its_index_token_and_is_named_by_package_py():
    assert component_type(package.Microservice) == "accessweaver:index:Microservice"
    for name in package.__all__:
        assert getattr(package, name) is not None, name
    assert {c.__name__ for c in package.COMPONENTS} <= set(package.__all__)


def test_no_module_of_the_component_package_postpones_annotations():
    """`from __future__ import annotations` would hand the schema analyzer strings."""
    modules = sorted((ROOT / "components" / "interop").glob("*.py"))
    assert len(modules) >= 6
    for path in modules:
        tree = ast.parse(path.read_text())
        assert not [
            n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "__future__"
        ], path.name
