"""JSON Schemas (Draft 2020-12) of the files gtguard reads and writes, for pipelines to validate against.

``instance.schema.json`` is the instance file (``instances/instance.json`` or ``instances.json``), with
the rules ``gtguard validate`` applies (GT103); ``report.schema.json`` the evaluation report the split and
``pytest --meta`` write. jsonschema is optional: it pulls in four more distributions (one a compiled
extension) for a check ``task/instance.py`` already makes by hand, so ``schema_errors`` returns None
when it is not installed and callers keep their own checks.
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

__all__ = ["SchemaError", "load_schema", "schema_errors"]

Name = Literal["instance", "report"]


@dataclass(frozen=True)
class SchemaError:
    """One place a document breaks its schema: a JSON path (``$.FAIL_TO_PASS[2]``), the top key, the reason."""

    path: str
    key: str
    message: str


@cache
def load_schema(name: Name) -> dict[str, Any]:
    """Return the parsed schema ``<name>.schema.json`` shipped in this package."""
    text = resources.files(__name__).joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def schema_errors(name: Name, document: Any, *, definition: str | None = None) -> list[SchemaError] | None:
    """Return where ``document`` breaks schema ``name`` (empty: it conforms), or None without jsonschema.

    ``definition`` checks against one of the schema's ``$defs`` (e.g. ``"instance"`` for one object of a
    file that holds a list).
    """
    try:
        jsonschema: Any = importlib.import_module("jsonschema")
    except ImportError:
        return None
    schema = load_schema(name)
    if definition is not None:
        schema = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf", "type", "required")}
        schema["$ref"] = f"#/$defs/{definition}"
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    return [_describe(error) for error in errors]


def _describe(error: Any) -> SchemaError:
    parts = list(error.absolute_path)
    path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
    key = str(parts[0]) if parts and isinstance(parts[0], str) else ""
    message = str(error.message)
    if error.validator == "required" and not parts:
        missing = re.match(r"^'(.+)' is a required property", message)
        key = missing.group(1) if missing else ""
    elif error.validator == "anyOf" and not parts:
        key, message = "repo", "neither repo nor github_url is a non-empty string"
    return SchemaError(path, key, message)
