"""The README and the guides it links (docs/*.md written by hand) name only what exists, and
their reference tables list every config key and every stack output."""

from __future__ import annotations

import re

from accessweaver_components.stack.model import StackConfig
from tests.conftest import ROOT

GUIDES = (
    "README.md",
    "docs/DEPLOYING.md",
    "docs/CONFIGURING.md",
    "docs/OPERATIONS.md",
    "docs/POLICY-PACK.md",
    "docs/LIBRARY.md",
    "docs/CA-A2A.md",
)
"""The README and the guides its sections moved to (issue 22): tests read them as one text."""
README = "\n".join((ROOT / name).read_text() for name in GUIDES)


def documented(section: str) -> set[str]:
    body = README.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Za-z_:]+)` \|", body, flags=re.M))


def test_every_config_key_is_in_the_reference_table():
    keys = {field.alias for field in StackConfig.model_fields.values()}
    assert keys - documented("Configuration reference") == set()


def test_every_output_of_every_stack_is_in_the_outputs_table(plan):
    for stack in ("dev", "prod"):
        assert set(plan(stack).outputs) - documented("Outputs") == set()


def test_every_path_the_readme_names_exists_in_a_fresh_clone():
    """Files and folders the README points a reader to are in the repository (no ../shared)."""
    import re

    from tests.conftest import ROOT

    text = README
    assert "../shared" not in text
    tops = ("components/", "tools/", "tests/", "docs/", "scripts/", "examples/", "policy/",
            "package/", "images/", ".github/", "bootstrap/", "stateful-urns/")  # fmt: skip
    named = {
        m.rstrip("/")
        for m in re.findall(r"`(\.?/?(?:[\w.-]+/)+[\w.-]*)`", text)
        if m.lstrip("./").startswith(tops) and "<" not in m
    }
    assert len(named) > 20
    missing = sorted(p for p in named if not (ROOT / p.lstrip("./")).exists())
    assert missing == []


# -- "Deploying for real": every command is planned offline or checked against what it names ---

PULUMI_COMMANDS = {
    ("login",),
    ("stack", "init"),
    ("stack", "export"),
    ("stack", "import"),
    ("stack", "change-secrets-provider"),
    ("stack", "output"),
    ("preview",),
    ("up",),
}
"""The CLI commands the walk-through uses (Pulumi CLI reference); anything else is a typo."""


def _commands(block: str) -> list[tuple[str, list[str]]]:
    """(directory, argv) of each command of a README block, following its `cd`."""
    import shlex

    body = README.split(f"<!-- {block}:start -->", 1)[1].split(f"<!-- {block}:end -->", 1)[0]
    here, found = ".", []
    for line in body.splitlines():
        line = line.split("  #", 1)[0].strip()
        if not line or line.startswith(("#", "```", "export ")):
            continue
        for part in line.split("&&"):
            argv = shlex.split(part)
            if argv[0] == "cd":
                here = "." if argv[1] == ".." else argv[1]
            else:
                found.append((here, argv))
    return found


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def test_the_walk_through_plans_every_stack_it_deploys_and_names_the_bootstraps_values(plan):
    import yaml

    from tests.test_bootstrap import bootstrap

    backend = bootstrap("prod").outputs["state_backend_url"]
    deployed: set[tuple[str, str]] = set()
    planned: set[tuple[str, str]] = set()
    for block in ("deploy-steps", "first-deploy"):
        commands = _commands(block)
        assert commands, block
        for here, argv in commands:
            if argv[0] in ("rm",):
                continue
            if argv[0] == "./scripts/plan":
                project = _option(argv, "--project") or "."
                planned.add((project, argv[1]))
                continue
            assert argv[0] == "pulumi", argv
            words = tuple(w for w in argv[1:3] if not w.startswith("-"))
            assert words[:1] in PULUMI_COMMANDS or words[:2] in PULUMI_COMMANDS, argv
            stack = _option(argv, "--stack") or (argv[3] if words == ("stack", "init") else None)
            if words == ("login",) and argv[2:] != ["--local"]:
                assert argv[2] == backend
            if words[:2] == ("stack", "change-secrets-provider"):
                assert argv[-1] == bootstrap(stack).outputs["secrets_provider"]
            if words == ("stack", "init") and here == ".":
                # the main stack's provider is its stack file's, the bootstrap's key
                committed = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
                assert _option(argv, "--secrets-provider") == committed["secretsprovider"]
                assert committed["secretsprovider"] == bootstrap(stack).outputs["secrets_provider"]
            if words in (("up",), ("preview",)):
                assert (ROOT / here / f"Pulumi.{stack}.yaml").exists()
                deployed.add((here, stack))
    # every stack the walk-through deploys is planned offline by the tests (bootstrap's in
    # tests/test_bootstrap.py, the main program's through the `plan` fixture) ...
    for here, stack in deployed:
        if here == "bootstrap":
            assert bootstrap(stack).resources
        else:
            assert plan(stack).resources
    # ... and the walk-through shows the offline plan of the first of each project
    assert {("bootstrap", "prod"), (".", "dev")} <= planned


def test_every_nested_key_of_the_web_acl_and_keycloak_and_every_service_key_is_documented():
    """`edge.waf.*` and `keycloak.*` rows of the reference, and the catalog's "Every key a
    service may set" block (the web ACL's per-route keys among them)."""
    from accessweaver_components.compute.config import ServiceSpec
    from accessweaver_components.edge.config import WafConfig
    from accessweaver_components.identity.config import KeycloakConfig

    reference = README.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    missing = [
        f"{prefix}.{field.alias}"
        for prefix, model in (("edge.waf", WafConfig), ("keycloak", KeycloakConfig))
        for field in model.model_fields.values()
        if f"`{prefix}.{field.alias}`" not in reference
    ]
    block = reference.split("Every key a service may set:", 1)[1].split("```", 2)[1]
    missing += [
        f"services.<name>.{field.alias}"
        for field in ServiceSpec.model_fields.values()
        if not re.search(rf"^ +{field.alias}:", block, flags=re.M)
    ]
    assert missing == []


def test_the_readme_fits_a_first_visit_and_links_every_guide():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 300
    for guide in GUIDES[1:]:
        assert f"]({guide})" in readme, guide


def test_every_relative_link_of_the_guides_resolves():
    for name in GUIDES:
        base = (ROOT / name).parent
        for target in re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", (ROOT / name).read_text()):
            if not re.match(r"^[a-z]+:", target):
                assert (base / target).exists(), f"{name}: {target}"
