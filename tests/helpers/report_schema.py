"""Check a report.json against the schema shipped in the package, more strictly than a reader does.

``gate/report/schema.json`` lets a 1.0 reader ignore unknown fields (a 1.x writer may add some). What
*this* writer produces must be exactly the documented fields: :func:`strict_schema` is the shipped
schema with ``additionalProperties: false`` and every listed property required, on every object that
lists its properties, so a field written but not documented, documented but not written (also one
a 1.0 file may lack, such as ``policy_line``) or renamed fails here. A property marked
``"x-optional": true`` is written only where it applies (``gates[].error_bound``, on binned gates). The conftest applies
:func:`check_report_text` to every report.json the suite renders or finds in a test's ``tmp_path``.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

from gate.report.reader import parse_json, schema, validator


def _closed(node: Any) -> Any:
    """``node`` with every object schema that has ``properties`` closed to other fields and
    requiring all of them."""
    if isinstance(node, dict):
        out = {k: _closed(v) for k, v in node.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
            out["required"] = [k for k, v in out["properties"].items() if not (isinstance(v, dict) and v.get("x-optional"))]
        return out
    if isinstance(node, list):
        return [_closed(v) for v in node]
    return node


@functools.lru_cache(maxsize=1)
def strict_validator() -> Any:
    """The reader's validator class (draft 2020-12, integers are ints) over :func:`strict_schema`."""
    return type(validator())(strict_schema())


def strict_schema() -> dict[str, Any]:
    return _closed(copy.deepcopy(schema()))


def schema_errors(doc: Any) -> list[str]:
    """Every violation of the strict schema, as ``path: message`` lines (empty: valid)."""
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '<document>'}: {e.message}"
            for e in strict_validator().iter_errors(doc)]


def check_report_text(text: str, where: str = "report.json") -> None:
    """Fail the test when ``text`` (a report.json) is not valid against the strict schema."""
    errors = schema_errors(parse_json(text.encode("utf-8")))
    assert not errors, f"{where} does not match gate/report/schema.json:\n" + "\n".join(errors[:20])


def check_report_file(path: Path) -> None:
    check_report_text(path.read_text(encoding="utf-8"), str(path))
