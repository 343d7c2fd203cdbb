"""A small JSON Schema checker for the keywords docs/export.schema.json uses.

``type`` (with "integer" not matching booleans), ``const``, ``enum``,
``required``, ``properties``, ``additionalProperties: false`` and ``items``:
enough to hold the export to its documented schema without a dependency.
Returns every violation as "path: message".
"""

from __future__ import annotations

from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,),
    "integer": (int,), "number": (int, float), "null": (type(None),),
}  # fmt: skip
_KNOWN = {"$schema", "$id", "title", "description", "type", "const", "enum", "required",
          "properties", "additionalProperties", "items"}  # fmt: skip


def _is(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[name])


def errors(schema: dict[str, Any], value: Any, path: str = "$") -> list[str]:
    unknown = set(schema) - _KNOWN
    assert not unknown, f"{path}: the checker does not know {sorted(unknown)}"
    found: list[str] = []
    kinds = schema.get("type")
    if kinds is not None:
        names = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(value, n) for n in names):
            return [f"{path}: {value!r:.60} is not {names}"]
    if "const" in schema and value != schema["const"]:
        found.append(f"{path}: {value!r} != {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{path}: missing {name}")
        props = schema.get("properties", {})
        for name, item in value.items():
            if name in props:
                found += errors(props[name], item, f"{path}.{name}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{path}: unexpected {name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += errors(schema["items"], item, f"{path}[{i}]")
    return found
