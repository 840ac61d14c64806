"""The models cannot drift from schemas/openrpc.json: models.py is what the generator writes from
it now, and every method's params and result fields, required flags and types match it."""

from __future__ import annotations

import json
import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from coordd import models

from .conftest import REPO

OPENRPC = json.loads((REPO / "schemas" / "openrpc.json").read_text())
GENERATOR = Path(__file__).resolve().parents[1] / "scripts" / "generate_models.py"


def test_models_py_is_what_the_generator_writes_from_openrpc_json() -> None:
    check = subprocess.run([sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_every_method_has_params_and_result_models() -> None:
    assert sorted(models.METHODS) == sorted(m["name"] for m in OPENRPC["methods"])
    for method in OPENRPC["methods"]:
        spec = models.METHODS[method["name"]]
        assert spec.roles == tuple(method["x-roles"])


def fields_of(model: type[BaseModel]) -> dict[str, tuple[bool, Any]]:
    return {f.alias or name: (f.is_required(), f.annotation) for name, f in model.model_fields.items()}


def accepts(annotation: Any, schema: dict[str, Any]) -> bool:
    """Whether a Python annotation is the type the JSON schema names (loosely: kinds, not bounds)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return accepts(typing.get_args(annotation)[0], schema)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        if "anyOf" in schema:
            return len(options) >= len(schema["anyOf"]) or all(any(accepts(o, s) for o in options) for s in schema["anyOf"])
        return len(options) == 1 and accepts(options[0], schema)
    kind = schema.get("type")
    if "const" in schema or "enum" in schema:
        return origin is typing.Literal and set(typing.get_args(annotation)) == set(schema.get("enum", [schema.get("const")]))
    if kind is None:
        return annotation is Any or "anyOf" in schema
    expected = {"string": str, "integer": int, "number": float, "boolean": bool}.get(kind)
    if expected is not None:
        return annotation is expected
    if kind == "array":
        return origin is list and ("items" not in schema or not isinstance(schema["items"], dict) or accepts(typing.get_args(annotation)[0], schema["items"]))
    if kind == "object":
        if schema.get("properties"):
            return isinstance(annotation, type) and issubclass(annotation, BaseModel) and matches(annotation, schema)
        return origin is dict
    return False


def matches(model: type[BaseModel], schema: dict[str, Any]) -> bool:
    fields = fields_of(model)
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    assert set(fields) == set(props), f"{model.__name__}: fields {sorted(fields)} != schema {sorted(props)}"
    for name, sub in props.items():
        is_required, annotation = fields[name]
        assert is_required == (name in required), f"{model.__name__}.{name}: required {is_required}"
        assert accepts(annotation, sub), f"{model.__name__}.{name}: {annotation} does not match {sub}"
    return True


@pytest.mark.parametrize("method", OPENRPC["methods"], ids=lambda m: m["name"])
def test_fields_required_flags_and_types_match_openrpc(method: dict[str, Any]) -> None:
    spec = models.METHODS[method["name"]]
    params_schema = {"properties": {p["name"]: p["schema"] for p in method["params"]}, "required": [p["name"] for p in method["params"] if p.get("required")]}
    assert matches(spec.params, params_schema)
    result = method["result"]["schema"]
    if "anyOf" in result:
        variants = [a for a in typing.get_args(spec.result)]
        assert len(variants) == len(result["anyOf"])
        for variant, sub in zip(variants, result["anyOf"]):
            assert matches(variant, sub)
    else:
        assert matches(spec.result, result)


def test_params_carry_the_schemas_bounds_and_refuse_unknown_fields() -> None:
    with pytest.raises(ValueError):
        models.PoolAssignParams(type="x", priority=10**9)
    with pytest.raises(ValueError):
        models.PoolAssignParams.model_validate({"type": "x", "typo": 1})
    assert models.PoolAssignParams(type="x", max_attempts=2).wire() == {"type": "x", "maxAttempts": 2}
    # Results keep fields a newer daemon adds.
    record = models.CancelResult.model_validate({"taskId": "t", "state": "CANCELLED", "cancelRequested": True, "extra": 1})
    assert record.model_extra == {"extra": 1}
