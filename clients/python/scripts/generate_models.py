#!/usr/bin/env python3
"""Write src/coordd/models.py from the daemon's OpenRPC document (schemas/openrpc.json).

    python clients/python/scripts/generate_models.py          # rewrite models.py
    python clients/python/scripts/generate_models.py --check  # exit 1 when models.py is stale

One params model and one result model per method (``PoolAssignParams``, ``PoolAssignResult``),
a class per nested object, fields in snake_case with the wire's camelCase as alias. Objects of the
same shape share one class (so ``task.get``, ``task.wait`` and ``task.retry`` all answer a
``TaskRecord``). Params carry the schema's bounds (the daemon checks them too); results carry
types only and keep unknown fields, so a newer daemon that adds a field does not break an older
client. Only the standard library is used: the generator runs before anything is installed.
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent
REPO = PACKAGE.parent.parent
OPENRPC = REPO / "schemas" / "openrpc.json"
TARGET = PACKAGE / "src" / "coordd" / "models.py"

# Friendly names for shapes the operator API talks about (target: the generated class it names).
ALIASES = {
    "TaskRecord": ("task.get", "result"),
    "AgentSummary": ("agent.update", "result"),
    "AssignResult": ("pool.assign", "result"),
    "TaskList": ("task.list", "result"),
    "CancelResult": ("task.cancel", "result"),
    "PoolStatus": ("pool.status", "result"),
    "AgentDetail": ("agent.get", "result"),
    "AgentList": ("agent.list", "result"),
    "Registration": ("agent.register", "result"),
    "EventsSubscription": ("events.subscribe", "result"),
    "AlertsState": ("coordination.alerts", "result"),
}

# Attribute names a pydantic model cannot use as fields.
RESERVED = {"model_config", "model_fields", "copy", "dict", "json", "schema", "construct", "validate", "fields"}


def pascal(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def snake(name: str) -> str:
    out = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    out = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", out).lower()
    out = re.sub(r"[^a-z0-9_]", "_", out)
    if keyword.iskeyword(out) or out in RESERVED or out.startswith("model_"):
        out += "_"
    if out[:1].isdigit():
        out = "_" + out
    return out


def shape_key(schema: Any) -> str:
    """The schema without its descriptions: two objects with the same key share a class."""

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in sorted(node.items()) if k not in ("description", "$schema")}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return json.dumps(strip(schema), sort_keys=True)


@dataclass
class Generator:
    classes: list[str] = field(default_factory=list)
    by_shape: dict[tuple[str, bool], str] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    uses_literal: bool = False
    uses_annotated: bool = False

    def type_of(self, schema: Any, name: str, params: bool) -> str:
        """The Python type of `schema`; nested objects become classes named after `name`."""
        if not isinstance(schema, dict):
            return "Any"
        if "const" in schema:
            self.uses_literal = True
            return f"Literal[{json.dumps(schema['const'])}]".replace("true", "True").replace("false", "False")
        if "anyOf" in schema:
            options = [self.type_of(s, f"{name}{i + 1}", params) for i, s in enumerate(schema["anyOf"])]
            return " | ".join(dict.fromkeys(options))
        kind = schema.get("type")
        if isinstance(kind, list):
            options = [self.type_of({**schema, "type": k}, name, params) for k in kind]
            return " | ".join(dict.fromkeys(options))
        if kind is None:
            return "Any"
        if kind == "null":
            return "None"
        if kind == "string":
            if "enum" in schema:
                self.uses_literal = True
                return "Literal[" + ", ".join(json.dumps(v) for v in schema["enum"]) + "]"
            return self.bounded("str", schema, params, {"minLength": "min_length", "maxLength": "max_length"})
        if kind == "integer":
            return self.bounded("int", schema, params, {"minimum": "ge", "maximum": "le", "exclusiveMinimum": "gt", "exclusiveMaximum": "lt"})
        if kind == "number":
            return self.bounded("float", schema, params, {"minimum": "ge", "maximum": "le", "exclusiveMinimum": "gt", "exclusiveMaximum": "lt"})
        if kind == "boolean":
            return "bool"
        if kind == "array":
            items = schema.get("items")
            inner = self.type_of(items, f"{name}Item", params) if isinstance(items, dict) else "Any"
            return self.bounded(f"list[{inner}]", schema, params, {"minItems": "min_length", "maxItems": "max_length"})
        if kind == "object":
            if schema.get("properties"):
                return self.model(schema, name, params)
            extra = schema.get("additionalProperties")
            value = self.type_of(extra, f"{name}Value", params) if isinstance(extra, dict) else "Any"
            return f"dict[str, {value}]"
        raise ValueError(f"{name}: unsupported schema type {kind!r}")

    def bounded(self, base: str, schema: dict[str, Any], params: bool, keys: dict[str, str]) -> str:
        if not params:
            return base
        bounds = [f"{arg}={schema[key]!r}" for key, arg in keys.items() if key in schema]
        if not bounds:
            return base
        self.uses_annotated = True
        return f"Annotated[{base}, Field({', '.join(bounds)})]"

    def model(self, schema: dict[str, Any], name: str, params: bool, doc: str | None = None) -> str:
        key = (shape_key(schema), params)
        if key in self.by_shape:
            return self.by_shape[key]
        name = self.unique(name)
        self.by_shape[key] = name
        required = set(schema.get("required", []))
        fields = [(prop, sub, prop in required) for prop, sub in schema.get("properties", {}).items()]
        forbid = params and schema.get("additionalProperties") is False
        self.emit(name, fields, params, forbid, doc)
        return name

    def params_model(self, method: dict[str, Any], name: str) -> str:
        fields = [(p["name"], p["schema"], bool(p.get("required"))) for p in method["params"]]
        name = self.unique(name)
        self.emit(name, fields, True, True, method.get("summary"))
        return name

    def emit(self, name: str, fields: list[tuple[str, Any, bool]], params: bool, forbid: bool, doc: str | None) -> None:
        lines: list[str] = []
        taken: set[str] = set()
        for prop, sub, required in fields:
            attr = snake(prop)
            while attr in taken:
                attr += "_"
            taken.add(attr)
            annotation = self.type_of(sub, name + pascal(prop), params)
            alias = f"alias={json.dumps(prop)}"
            if required:
                default = f"Field({alias})"
            else:
                if annotation != "Any" and "None" not in annotation.split(" | "):
                    annotation = f"{annotation} | None"
                default = f"Field(default=None, {alias})"
            lines.append(f"    {attr}: {annotation} = {default}")
        out = [f"class {name}(_{'Params' if params else 'Result'}{'Strict' if forbid else ''}):"]
        if doc:
            out.append(f"    {json.dumps(doc)}")
            out.append("")
        out.extend(lines or ([] if doc else ["    pass"]))
        if doc and not lines:
            out.pop()
        self.classes.append("\n".join(out))

    def unique(self, name: str) -> str:
        base, n = name, 2
        while name in self.names:
            name, n = f"{base}{n}", n + 1
        self.names.add(name)
        return name


HEADER = '''"""Models of every coordd method's params and result.

GENERATED by clients/python/scripts/generate_models.py from schemas/openrpc.json: do not edit.
Regenerate after `npm run schemas` (tests/test_models.py fails when this file is stale).
"""

# ruff: noqa
from dataclasses import dataclass
from typing import {typing}

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    """Fields are snake_case in Python and camelCase on the wire (either name is accepted)."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    def wire(self) -> dict[str, Any]:
        """The JSON-RPC form: camelCase names, only the fields that were set."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class _Params(_Model):
    pass


class _ParamsStrict(_Params):
    model_config = ConfigDict(extra="forbid")


class _Result(_Model):
    """Unknown fields from a newer daemon are kept, not refused."""

    model_config = ConfigDict(extra="allow")


class _ResultStrict(_Result):
    pass
'''


def generate(doc: dict[str, Any]) -> str:
    gen = Generator()
    table: list[tuple[str, str, str, list[str]]] = []
    for method in doc["methods"]:
        base = pascal(method["name"])
        params = gen.params_model(method, f"{base}Params")
        result_schema = method["result"]["schema"]
        result = gen.type_of(result_schema, f"{base}Result", False)
        if not result.isidentifier():
            alias = f"{base}Result"
            gen.names.add(alias)
            gen.classes.append(f"{alias} = {result}")
            result = alias
        table.append((method["name"], params, result, list(method.get("x-roles", []))))
    results = {(name, "result"): result for name, _, result, _ in table}
    aliases = [f"{alias} = {results[target]}" for alias, target in ALIASES.items()]
    typing = ", ".join(n for n in ("Annotated", "Any", "Literal") if n == "Any" or (n == "Annotated" and gen.uses_annotated) or (n == "Literal" and gen.uses_literal))
    body = [HEADER.format(typing=typing)]
    body.extend(f"\n\n{cls}\n" for cls in gen.classes)
    body.append("\n\n# Names the operator API uses for the shapes above.\n")
    body.append("\n".join(aliases) + "\n")
    body.append('\n\n@dataclass(frozen=True)\nclass MethodSpec:\n    name: str\n    params: type[BaseModel]\n    result: Any\n    """A model class, or a union of them."""\n    roles: tuple[str, ...]\n')
    body.append("\n\n# Every method of the OpenRPC document: its params model, its result type and the roles that may call it.\nMETHODS: dict[str, MethodSpec] = {\n")
    for name, params, result, roles in table:
        body.append(f"    {json.dumps(name)}: MethodSpec(name={json.dumps(name)}, params={params}, result={result}, roles={tuple(roles)!r}),\n")
    body.append("}\n")
    body.append(f"\nOPENRPC_VERSION = {json.dumps(doc.get('info', {}).get('version', ''))}\n")
    return "".join(body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when models.py differs from what would be generated")
    args = parser.parse_args()
    text = generate(json.loads(OPENRPC.read_text(encoding="utf-8")))
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is stale: run python clients/python/scripts/generate_models.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
