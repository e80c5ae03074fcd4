"""The offline engine: run a Pulumi program under the SDK's mocks and record what it registers.

Used by the tests and by `python -m tools.plan`, so both see the same thing. It reads the stack's
`Pulumi.<stack>.yaml` (plus the project's config defaults) the way the CLI hands config to a
program, records every registration (type, name, parent, inputs, options) and returns the stack
outputs. Mocked ids and ARNs embed the resource's name so a reader can tell what they point to.
docs/DESIGN.md ("Offline engine") lists the engine facts this relies on.
"""

from __future__ import annotations

import asyncio
import gc
import os
import runpy
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .engine_mocks import (
    ACCOUNT_ID,
    EXAMPLE_RELEASE,
    ParameterStore,
    example_release,
    mock_state,
    offline_mocks,
    release_store,
)
from .engine_urns import ROOT_STACK_TYPE, alias_urns, make_urn
from .stack_file import StackConfigFile, read_stack_config

# What importers read from here (the mocks and URNs have their own modules).
__all__ = [
    "ACCOUNT_ID",
    "EXAMPLE_RELEASE",
    "StackConfigFile",
    "example_release",
    "make_urn",
    "mock_state",
    "read_stack_config",
]
SECRET_PLACEHOLDER = "[secret]"
STACK_FILE_ENV = "STACK_CONFIG_FILE"  # read by accessweaver_components.stack.loader


@dataclass(frozen=True)
class RecordedResource:
    type: str
    name: str
    parent: str | None
    """`<type>::<name>` of the parent, None for resources directly under the stack."""
    custom: bool
    inputs: dict[str, Any]
    ignore_changes: tuple[str, ...] = ()
    protect: bool = False
    depends_on: tuple[str, ...] = ()
    transforms: tuple[str, ...] = ()
    """Names of the resource transforms in its options (run by the engine on its children)."""
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Input property (camelCase) -> `<type>::<name>` of the resources its value comes from:
    what links a rule to its groups or a task to its roles before ids are known."""
    urn: str = ""
    """The URN the Pulumi engine gives the resource (full parent type chain, as in a real
    stack's state; the mock monitor's own URNs keep only the direct parent's type)."""
    aliases: tuple[str, ...] = ()
    """Full URNs the resource answers to besides `urn` (its `aliases` option, and those it
    inherits from an aliased parent): where a deployed stack may still hold it."""
    property_dependency_urns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """`property_dependencies` by engine URN, as a stack export's `propertyDependencies`."""
    remote: bool = False
    """A multi-language component (awsx's `Vpc`): its children live in its provider's process,
    invisible to the mock engine, while a real stack's state holds them."""

    @property
    def key(self) -> str:
        return f"{self.type}::{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "urn": self.urn,
            "aliases": list(self.aliases),
            "custom": self.custom,
            "inputs": self.inputs,
            "propertyDependencies": {
                key: sorted(urns)
                for key, urns in sorted(self.property_dependency_urns.items())
                if urns
            },
        }


@dataclass
class PlanResult:
    project: str
    stack: str
    stack_file: str
    resources: list[RecordedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    config: dict[str, str] = field(default_factory=dict)
    """The config the program ran with (`<namespace>:<key>` -> string): the policy pack reads it."""

    def of_type(self, type_: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str) -> RecordedResource:
        matches = [r for r in self.resources if r.type == type_ and r.name == name]
        if len(matches) != 1:
            raise LookupError(f"{len(matches)} resources of type {type_} named {name}")
        return matches[0]

    def children_of(self, parent: RecordedResource) -> list[RecordedResource]:
        return [r for r in self.resources if r.parent == parent.key]

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            # by URN: the mock engine's registration order varies from run to run, a plan's
            # JSON does not (two plans of one program compare byte for byte)
            "resources": [r.to_json() for r in sorted(self.resources, key=lambda r: r.urn)],
            "outputs": self.outputs,
        }


def _recording_monitor(mocks):
    from pulumi.runtime import rpc
    from pulumi.runtime.mocks import MockMonitor, _resolve_callbacks
    from pulumi.runtime.proto import resource_pb2

    class RecordingMonitor(MockMonitor):
        def __init__(self, mocks_):
            super().__init__(mocks_)
            self.recorded: list[RecordedResource] = []
            self._names: dict[str, str] = {}
            # Mock URN -> (engine URN, its aliases); the root stack has neither.
            self._urns: dict[str, tuple[str | None, tuple[str, ...]]] = {}

        def RegisterResource(self, request):
            response = super().RegisterResource(request)
            urn = response.urn
            if request.type == ROOT_STACK_TYPE:
                self._urns[urn] = (None, ())
            else:
                self._names[urn] = f"{request.type}::{request.name}"
                parent_urn, parent_aliases = self._urns.get(request.parent, (None, ()))
                real = make_urn(
                    urn.split("::")[0].split(":")[2],
                    urn.split("::")[1],
                    parent_urn,
                    request.type,
                    request.name,
                )
                aliases = alias_urns(
                    request, urn=real, parent_urn=parent_urn, parent_aliases=parent_aliases
                )
                self._urns[urn] = (real, aliases)
                inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
                self.recorded.append(
                    RecordedResource(
                        type=request.type,
                        name=request.name,
                        parent=self._names.get(request.parent),
                        custom=bool(request.custom),
                        inputs=mask_secrets(inputs),
                        ignore_changes=tuple(request.ignoreChanges),
                        protect=bool(request.protect),
                        depends_on=tuple(self._names.get(d, d) for d in request.dependencies),
                        property_dependencies={
                            key: tuple(self._names.get(u, u) for u in value.urns)
                            for key, value in request.propertyDependencies.items()
                        },
                        property_dependency_urns={
                            key: tuple(self._urns.get(u, (u, ()))[0] or u for u in value.urns)
                            for key, value in request.propertyDependencies.items()
                        },
                        remote=bool(request.remote),
                        transforms=tuple(
                            getattr(fn, "__name__", repr(fn))
                            for fn in _resolve_callbacks(request.transforms)
                        ),
                        urn=real,
                        aliases=aliases,
                    )
                )
            return response

        def GetDeploymentInfo(self, request):
            # Resource references make Resource-valued inputs resolve on another event loop
            # under mocks; the program passes ids and ARNs, so nothing is lost without them.
            info = super().GetDeploymentInfo(request)
            features = [
                f
                for f in info.supportedFeatures
                if f != resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES
            ]
            return resource_pb2.DeploymentInfo(supportedFeatures=features)

        def SupportsFeature(self, request):
            if request.id == "resourceReferences":
                return type("SupportsFeatureResponse", (), {"hasSupport": False})
            return super().SupportsFeature(request)

    return RecordingMonitor(mocks)


def mask_secrets(value: Any) -> Any:
    from pulumi.runtime import rpc

    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return SECRET_PLACEHOLDER
        return {k: mask_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


# -------------------------------------------------------------------------------------------
# Running a program
# -------------------------------------------------------------------------------------------


@contextmanager
def _environment(name: str, value: str):
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


@contextmanager
def _cyclic_gc_paused():
    """Pause the cyclic garbage collector for one run, then free the run and freeze what stays.

    Importing the SDK modules and registering a few hundred resources allocate hundreds of
    thousands of objects; with the collector on, every full collection rescanned them all (about
    0.8 s of a 3.8 s prod plan), and a test process running hundreds of plans paid that again
    and again (a third of the suite's time). So the run goes without the collector: nothing in it
    depends on cycles being collected. After a run that returned, the SDK's hold on it is dropped
    (`_release_sdk_state`; `_run` joins the mocks' threads), one collection of the youngest
    generation, which holds everything the run allocated, frees the run's cycles, and what
    survives it (the modules imported, the caller's results) is frozen (`gc.freeze`): later
    collections no longer rescan it. A frozen object is still freed by reference counting; only
    a cycle among frozen objects that later becomes garbage stays, a few dozen objects a run
    (`tests/test_engine_memory.py`). After a failed run the exception still holds the run: the
    collector is switched back on and collects it once the exception is gone. A one-shot CLI
    that keeps the collector off (`tools.plan`) gains too: the interpreter's own collection at
    exit, which runs even then, no longer rescans the run (prod plan 2.8 -> 2.4 s).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    except BaseException:
        _release_sdk_state()
        if was_enabled:
            gc.enable()
        raise
    _release_sdk_state()
    gc.collect(0)
    gc.freeze()
    if was_enabled:
        gc.enable()


def _release_sdk_state() -> None:
    """Drop the SDK's hold on the last run, so the run's objects are garbage once it ends: its
    settings keep the set of the run's outputs (their tasks, coroutines and resources) and its
    RPC manager until the next run replaces them. The rest (project, stack, the mock monitor,
    which holds plain data) stays as the run left it."""
    from pulumi.runtime import rpc_manager
    from pulumi.runtime import settings as runtime_settings

    runtime_settings.SETTINGS.outputs = set()
    runtime_settings.SETTINGS.rpc_manager = rpc_manager.RPCManager()


def run_program(
    project_dir: Path | str,
    stack: str,
    config_file: Path | None = None,
    *,
    config_override: dict[str, str] | None = None,
    release: str | None = EXAMPLE_RELEASE,
) -> PlanResult:
    """Run `<project_dir>/__main__.py` for `stack` offline. Raises the program's exceptions
    (ConfigError for bad config) after resetting the runtime. `release`: the stack's release
    record as Parameter Store would hold it (`release_store`)."""
    project_dir = Path(project_dir).resolve()
    stack_config = read_stack_config(project_dir, stack, config_file)
    values = {**stack_config.values, **(config_override or {})}
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    with _environment(STACK_FILE_ENV, stack_config.label), _cyclic_gc_paused():
        return _run(
            lambda: runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__"),
            project=stack_config.project,
            stack=stack,
            label=stack_config.label,
            values=values,
            secret_keys=stack_config.secret_keys,
            parameters=release_store(release, values, stack_config.project),
        )


def run_function(
    program: Any,
    *,
    project: str = "app",
    stack: str = "dev",
    config: dict[str, str] | None = None,
) -> PlanResult:
    """Run `program()` as a Pulumi program offline, with `config` (`<namespace>:<key>` ->
    string) and no stack file: how a user tests components in a program of their own."""
    values = {"aws:region": "eu-west-1", **(config or {})}
    with _cyclic_gc_paused():
        return _run(
            program, project=project, stack=stack, label="(no stack file)", values=values,
            secret_keys=[],
        )  # fmt: skip


def _run(
    program: Any,
    *,
    project: str,
    stack: str,
    label: str,
    values: dict[str, str],
    secret_keys: list[str],
    parameters: ParameterStore | None = None,
) -> PlanResult:
    import pulumi
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.config import set_all_config
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    region = values.get("aws:region", "eu-west-1")
    result = PlanResult(project, stack, label, config=values)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    runtime_settings.ROOT.set(None)
    set_all_config(values, secret_keys)
    _skip_stack_traces()
    monitor = _recording_monitor(offline_mocks(region, parameters))
    pulumi.runtime.set_mocks(
        monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor
    )
    try:
        try:
            _sync_await(run_pulumi_func(program))
        except Exception as error:
            # What was registered before the failure (tests assert: nothing).
            error.recorded = list(monitor.recorded)  # type: ignore[attr-defined]
            raise
        root = runtime_settings.get_root_resource()
        result.outputs = {
            name: _resolve_output(value) for name, value in sorted(root.outputs.items())
        }
        result.resources = list(monitor.recorded)
    finally:
        # A failed run too: the next one starts clean, and no thread or loop outlives its run.
        runtime_settings.ROOT.set(None)
        set_all_config({}, [])
        # The mocks answer from the loop's thread pool: join its threads, whose contexts
        # still name the run, before the run is collected (`_cyclic_gc_paused`).
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        asyncio.set_event_loop(None)
    # As strict as the provider: nested keys, types and choices the mocks accept (and the
    # provider refuses at `pulumi up`) fail the run.
    from .provider_inputs import ProviderInputError, problems

    found = problems(result.resources)
    if found:
        error = ProviderInputError(
            f"{len(found)} input(s) the provider would refuse:\n  - " + "\n  - ".join(found)
        )
        error.recorded = result.resources  # type: ignore[attr-defined]
        raise error
    return result


def _skip_stack_traces() -> None:
    """The SDK walks the Python stack (`traceback.extract_stack`, source lines included) at
    every registration, to tell the engine where a resource was declared; nothing offline reads
    it, and it was a tenth of a run."""
    import pulumi.runtime.resource as sdk_resource
    from pulumi.runtime.proto import source_pb2

    sdk_resource._get_stack_trace = source_pb2.StackTrace  # an empty trace, as the SDK's fallback


def _resolve_output(value: Any) -> Any:
    import pulumi
    from pulumi.runtime.sync_await import _sync_await

    output = pulumi.Output.from_input(value)
    resolved = _sync_await(output.future())
    if _sync_await(output.is_secret()):
        return SECRET_PLACEHOLDER
    return mask_secrets(resolved)
