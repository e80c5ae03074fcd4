"""The README's TypeScript and Go programs on the component package, read as a type checker
would read them against the package schema (no Pulumi CLI, no generated SDK here).

A small parser of the literals those programs build (object and composite literals, arrays,
strings, numbers, calls) and a checker that walks each `new accessweaver.X(...)` /
`accessweaver.NewX(...)` argument against the schema: every property exists, its value has the
schema's type, every required input is given, a resource output (an Output) never goes to a
`plain` property (the generated SDKs type those without `Input`), and an output read from
another package resource exists in that resource's schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

TOKEN = re.compile(
    r"""\s*(?:
    (?P<comment>//[^\n]*)
    |(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
    |(?P<number>-?\d+(?:\.\d+)?)
    |(?P<name>\.\.\.|[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)
    |(?P<arrow>=>|:=)
    |(?P<punct>[{}\[\]():,&;=<>*+-])
    |(?P<other>\S)
    )""",
    re.VERBOSE,
)


@dataclass
class Node:
    kind: str
    """string, number, bool, object, array, call, composite, expr."""
    text: str = ""
    """The literal, the call's or composite's type name, or the expression's source."""
    entries: list[tuple[str, Node]] = field(default_factory=list)
    """object / composite: (key, value); shorthand `{ vpcId }` gives ("vpcId", expr vpcId)."""
    items: list[Node] = field(default_factory=list)
    """array / call arguments / composite elements without keys."""


def tokens(source: str) -> list[tuple[str, str]]:
    found = []
    for match in TOKEN.finditer(source):
        kind = match.lastgroup
        if kind and kind != "comment":
            found.append((kind, match.group(kind)))
    return found


class Parser:
    def __init__(self, source: str):
        self.toks = tokens(source)
        self.pos = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.pos + offset
        return self.toks[index] if index < len(self.toks) else ("end", "")

    def take(self, text: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if text is not None and tok[1] != text:
            raise SyntaxError(f"expected {text!r}, got {tok[1]!r} at token {self.pos}")
        self.pos += 1
        return tok

    def value(self) -> Node:
        """One value, up to a top-level `,` or closing bracket."""
        start = self.pos
        kind, text = self.peek()
        after = self.peek(1)[1]
        if kind == "string" and after in (",", "}", ")", "]"):
            self.take()
            return Node("string", text[1:-1])
        if kind == "number" and after in (",", "}", ")", "]"):
            self.take()
            return Node("number", text)
        if text in ("true", "false") and after in (",", "}", ")", "]"):
            self.take()
            return Node("bool", text)
        if text == "{":
            return self.object()
        if text == "[" and after != "]":
            self.take("[")
            items = self.sequence("]")
            return Node("array", items=items)
        if text == "[" and after == "]":  # Go: []T{...}
            self.take("[")
            self.take("]")
            pointer = self.take()[1]
            node = self.composite(f"[]{pointer}")
            return self.tail(node, start)
        if text == "&" and self.peek(1)[0] == "name" and self.peek(2)[1] == "{":
            self.take("&")
            name = self.take()[1]
            return self.tail(self.composite(f"&{name}"), start)
        if kind == "name" and after == "{":
            name = self.take()[1]
            return self.tail(self.composite(name), start)
        if kind == "name" and after == "(":
            name = self.take()[1]
            self.take("(")
            node = Node("call", name, items=self.sequence(")"))
            return self.tail(node, start)
        self.skip_expression()
        return Node("expr", self.source(start))

    def tail(self, node: Node, start: int) -> Node:
        """A call or literal followed by more (`f(x).apply(...)`) is an expression."""
        if self.peek()[1] in (",", "}", ")", "]", ";", "end", ""):
            return node
        self.skip_expression()
        return Node("expr", self.source(start))

    def source(self, start: int) -> str:
        return " ".join(text for _, text in self.toks[start : self.pos])

    def skip_expression(self) -> None:
        depth = 0
        while True:
            kind, text = self.peek()
            if kind == "end":
                return
            if depth == 0 and text in (",", "}", ")", "]", ";"):
                return
            if text in ("(", "[", "{"):
                depth += 1
            elif text in (")", "]", "}"):
                depth -= 1
            self.take()

    def sequence(self, closing: str) -> list[Node]:
        items = []
        while self.peek()[1] != closing:
            items.append(self.value())
            if self.peek()[1] == ",":
                self.take(",")
        self.take(closing)
        return items

    def object(self) -> Node:
        self.take("{")
        node = Node("object")
        self.entries(node)
        return node

    def composite(self, type_name: str) -> Node:
        self.take("{")
        node = Node("composite", type_name)
        self.entries(node)
        return node

    def entries(self, node: Node) -> None:
        while self.peek()[1] != "}":
            kind, text = self.peek()
            if kind in ("name", "string") and self.peek(1)[1] == ":":
                self.take()
                self.take(":")
                key = text.strip("\"'")
                node.entries.append((key, self.value()))
            elif kind == "name" and self.peek(1)[1] in (",", "}"):
                self.take()  # TypeScript shorthand `{ vpcId }`
                node.entries.append((text, Node("expr", text)))
            else:
                node.items.append(self.value())
            if self.peek()[1] == ",":
                self.take(",")
        self.take("}")


# -- the checker --------------------------------------------------------------------------------


@dataclass
class Program:
    language: str
    """typescript or go."""
    package: str
    """The package's identifier in the program (`accessweaver`)."""
    resources: dict[str, str] = field(default_factory=dict)
    """Variable -> the package component it holds (`api` -> `Microservice`)."""
    foreign: set[str] = field(default_factory=set)
    """Variables holding resources of other packages (their properties are Outputs)."""
    problems: list[str] = field(default_factory=list)
    constructed: list[str] = field(default_factory=list)
    """Package components the program constructs, in order."""


def _upper_first(name: str) -> str:
    return name[:1].upper() + name[1:]


def check(source: str, language: str, schema: dict[str, Any], package: str = "accessweaver"):
    """Every construction of a package component in `source`, checked against `schema`."""
    program = Program(language, package)
    toks = tokens(source)
    # Variables bound to resources: `const api = new accessweaver.Microservice(` /
    # `api, err := accessweaver.NewMicroservice(` / `const repo = new aws.ecr.Repository(`.
    for i, (_kind, text) in enumerate(toks):
        if language == "typescript" and text == "new" and i >= 2 and toks[i - 1][1] == "=":
            target, type_name = toks[i - 2][1], toks[i + 1][1]
        elif language == "go" and text == ":=" and i >= 1:
            left = [t for _, t in toks[max(0, i - 3) : i] if t not in (",", "err", "_")]
            if not left or i + 1 >= len(toks):
                continue
            target, type_name = left[-1], toks[i + 1][1]
        else:
            continue
        prefix, _, last = type_name.rpartition(".")
        if prefix == package:
            component = last.removeprefix("New") if language == "go" else last
            program.resources[target] = component
        elif language == "typescript" and prefix and prefix != "pulumi" and last[:1].isupper():
            program.foreign.add(target)  # `new aws.ecr.Repository(`: its properties are Outputs
        elif language == "go" and prefix and last.startswith("New") and last != "New":
            program.foreign.add(target)  # `ecr.NewRepository(`, not `config.New(`
    constructor = (
        re.compile(rf"\bnew\s+{package}\.(\w+)\s*\(")
        if language == "typescript"
        else re.compile(rf"\b{package}\.New(\w+)\s*\(")
    )
    for match in constructor.finditer(source):
        component = match.group(1)
        program.constructed.append(component)
        spec = schema["resources"].get(f"{package}:index:{component}")
        if spec is None:
            program.problems.append(f"{component}: not a component of the package")
            continue
        parser = Parser(source[match.end() :])
        args = parser.sequence(")")
        if language == "go":
            args = args[2:]  # ctx, name
            expected = f"&{package}.{component}Args"
        else:
            args = args[1:]  # name
            expected = None
        if not args:
            program.problems.append(f"{component}: no arguments")
            continue
        arg = args[0]
        if expected is not None and (arg.kind != "composite" or arg.text != expected):
            program.problems.append(f"{component}: its arguments are not {expected}{{...}}")
            continue
        _check_object(program, schema, component, arg, spec["inputProperties"],
                      spec.get("requiredInputs", []))  # fmt: skip
    return program


def _check_object(
    program: Program,
    schema: dict[str, Any],
    where: str,
    node: Node,
    properties: dict[str, Any],
    required: list[str],
) -> None:
    if node.kind not in ("object", "composite"):
        program.problems.append(f"{where}: an object was expected, got {node.kind} {node.text}")
        return
    by_key = {}
    for key, value in node.entries:
        name = key if program.language == "typescript" else key[:1].lower() + key[1:]
        if program.language == "go" and key != _upper_first(name):
            program.problems.append(f"{where}.{key}: Go fields start with a capital")
        if name not in properties:
            program.problems.append(f"{where}.{key}: no such input")
            continue
        by_key[name] = value
        _check_value(program, schema, f"{where}.{key}", value, properties[name],
                     optional=name not in required)  # fmt: skip
    for name in required:
        if name not in by_key:
            program.problems.append(f"{where}: required input {name} is missing")


def _resolve(schema: dict[str, Any], prop: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """(`string` | `integer` | ... | `enum` | `object-type`, the type definition if a $ref)."""
    ref = prop.get("$ref")
    if ref is None:
        return prop.get("type", "any"), None
    definition = schema["types"][ref.removeprefix("#/types/")]
    return ("enum" if "enum" in definition else "object-type"), definition


GO_SCALARS = {"String": "string", "Int": "integer", "Float64": "number", "Bool": "boolean"}


def _check_value(
    program: Program,
    schema: dict[str, Any],
    where: str,
    node: Node,
    prop: dict[str, Any],
    *,
    optional: bool = False,
) -> None:
    """`optional`: a property the object may leave out (Go types a plain optional scalar as a
    pointer: `pulumi.IntRef(512)`, a plain required one as the bare value)."""
    kind, definition = _resolve(schema, prop)
    plain = bool(prop.get("plain"))
    if node.kind == "expr" or (node.kind == "call" and program.language == "typescript"):
        _check_expression(program, where, node.text, plain)
        return
    if program.language == "go" and node.kind == "call":
        module, _, func = node.text.rpartition(".")
        if module == "pulumi" and func.endswith("Ref") and func[:-3] in GO_SCALARS:
            if not plain:
                program.problems.append(f"{where}: pulumi.{func} for an Input (use {func[:-3]})")
            elif not optional:
                program.problems.append(f"{where}: pulumi.{func} for a required plain value")
            if GO_SCALARS[func[:-3]] != kind:
                program.problems.append(f"{where}: {kind} expected, got {func}")
            return
        if module == "pulumi" and func in GO_SCALARS:
            if plain:
                program.problems.append(f"{where}: a plain {kind}, not pulumi.{func}")
            if GO_SCALARS[func] != kind:
                program.problems.append(f"{where}: {kind} expected, got pulumi.{func}")
            return
        _check_expression(program, where, node.text, plain)  # pulumi.Sprintf(...) and others
        return
    if node.kind == "string":
        if kind == "enum" and definition is not None:
            values = [e["value"] for e in definition["enum"]]
            if node.text not in values:
                program.problems.append(f"{where}: {node.text!r} is not one of {values}")
        elif kind != "string":
            program.problems.append(f"{where}: {kind} expected, got a string")
        _check_go_literal(program, where, plain, optional, "String")
        return
    if node.kind == "number":
        if kind not in ("integer", "number") or (kind == "integer" and "." in node.text):
            program.problems.append(f"{where}: {kind} expected, got {node.text}")
        _check_go_literal(program, where, plain, optional, "Int")
        return
    if node.kind == "bool":
        if kind != "boolean":
            program.problems.append(f"{where}: {kind} expected, got {node.text}")
        return
    if node.kind == "array":
        if kind != "array":
            program.problems.append(f"{where}: {kind} expected, got an array")
            return
        for index, item in enumerate(node.items):
            _check_value(program, schema, f"{where}[{index}]", item, prop["items"])
        return
    if node.kind == "object":
        if kind == "object-type" and definition is not None:
            _check_object(program, schema, where, node, definition["properties"],
                          definition.get("required", []))  # fmt: skip
        elif kind == "object":
            for key, value in node.entries:
                _check_value(program, schema, f"{where}.{key}", value,
                             prop["additionalProperties"])  # fmt: skip
        else:
            program.problems.append(f"{where}: {kind} expected, got an object")
        return
    if node.kind == "composite":  # Go
        _check_composite(program, schema, where, node, prop, kind, definition, plain)
        return
    program.problems.append(f"{where}: cannot read {node.kind} {node.text}")


def _check_go_literal(
    program: Program, where: str, plain: bool, optional: bool, scalar: str
) -> None:
    """A bare Go literal is a plain required value; an Input wants `pulumi.<scalar>(...)`, a
    plain optional one a pointer, `pulumi.<scalar>Ref(...)`."""
    if program.language != "go":
        return
    if not plain:
        program.problems.append(f"{where}: an Input: pulumi.{scalar}(...), not a bare value")
    elif optional:
        program.problems.append(f"{where}: an optional plain value is a pointer: "
                                f"pulumi.{scalar}Ref(...)")  # fmt: skip


def _check_composite(
    program: Program,
    schema: dict[str, Any],
    where: str,
    node: Node,
    prop: dict[str, Any],
    kind: str,
    definition: dict[str, Any] | None,
    plain: bool,
) -> None:
    package = program.package
    name = node.text
    if kind == "array":
        items = prop["items"]
        item_kind, _ = _resolve(schema, items)
        if plain:
            element = (
                f"{package}.{_type_name(items)}Args" if item_kind == "object-type"
                else {"string": "string", "integer": "int", "boolean": "bool",
                      "number": "float64"}.get(item_kind, "?")
            )  # fmt: skip
            if items.get("plain") is None and item_kind != "object-type":
                element = f"pulumi.{_upper_first(element)}Input"
            expected = f"[]{element}"
        elif item_kind == "object-type":
            expected = f"{package}.{_type_name(items)}Array"
        else:
            scalar = {"string": "String", "integer": "Int", "boolean": "Bool",
                      "number": "Float64"}[item_kind]  # fmt: skip
            expected = f"pulumi.{scalar}Array"
        if name != expected:
            program.problems.append(f"{where}: {expected}{{...}} expected, got {name}{{...}}")
        for index, item in enumerate(node.items):
            if item.kind == "object" and item_kind == "object-type":
                item = Node("composite", f"{package}.{_type_name(items)}Args", item.entries)
            _check_value(program, schema, f"{where}[{index}]", item, items)
        return
    if kind == "object-type" and definition is not None:
        optional_plain = plain and prop is not None and "&" in name
        base = f"{package}.{_type_name(prop)}Args"
        if name.lstrip("&") != base:
            program.problems.append(f"{where}: {base}{{...}} expected, got {name}{{...}}")
        if plain and name.startswith("&") != optional_plain:
            program.problems.append(f"{where}: pointer mismatch for {name}")
        _check_object(program, schema, where, node, definition["properties"],
                      definition.get("required", []))  # fmt: skip
        return
    if kind == "object" and name in ("pulumi.StringMap", "map[string]string"):
        for key, value in node.entries:
            _check_value(program, schema, f"{where}.{key}", value, prop["additionalProperties"])
        return
    program.problems.append(f"{where}: {kind} expected, got {name}{{...}}")


def _type_name(prop: dict[str, Any]) -> str:
    return prop["$ref"].rsplit(":", 1)[1]


def _check_expression(program: Program, where: str, text: str, plain: bool) -> None:
    """An expression's Output-ness: a package resource's property (checked to exist), another
    resource's property, `pulumi.interpolate`/`pulumi.Sprintf`, `.apply(`/`.ApplyT(`."""
    output = False
    for variable in re.findall(r"\b([A-Za-z_]\w*)\s*\.\s*[A-Za-z_]", text):
        if variable in program.resources or variable in program.foreign:
            output = True
    if re.search(r"pulumi\s*\.\s*(interpolate|Sprintf|concat|all|output)\b|\.\s*(apply|ApplyT)\b",
                 text):  # fmt: skip
        output = True
    if output and plain:
        program.problems.append(f"{where}: {text!r} is an Output, the input is plain")


def outputs_read(program: Program, source: str, schema: dict[str, Any]) -> list[str]:
    """Problems with the package outputs the program reads anywhere (`api.taskRoleArn`,
    `ctx.Export("role", api.TaskRoleArn)`): each must be an output of that component."""
    problems = []
    for variable, component in program.resources.items():
        properties = schema["resources"][f"{program.package}:index:{component}"]["properties"]
        for member in re.findall(rf"\b{re.escape(variable)}\s*\.\s*([A-Za-z_]\w*)", source):
            name = member if program.language == "typescript" else member[:1].lower() + member[1:]
            if name not in properties:
                problems.append(f"{variable}.{member}: {component} has no output {name}")
    return problems
