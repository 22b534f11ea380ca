"""The field tables of docs/report-schema.md, generated from ``gate/report/schema.json``.

``python -m scripts.render_docs`` writes them into the doc's marked blocks (``report-top``,
``report-gate``, ``report-estimate``, ``report-guard``, ``report-note``, and ``report-note-codes`` from
:data:`gate.report.model.NOTE_KINDS`) and tests/test_docs_drift.py fails when they differ, so the
document cannot promise a field the schema (and so the writer, checked by the suite) does not have.
"""

from __future__ import annotations

from typing import Any

from gate.report.model import NOTE_KINDS
from gate.report.reader import schema

SECTIONS = {"report-top": (), "report-gate": ("$defs", "gate"), "report-estimate": ("$defs", "estimate"),
            "report-guard": ("$defs", "guard"), "report-note": ("$defs", "note")}


def _item_type(node: dict[str, Any]) -> str:
    """A tuple item's type: ``number``, or ``number or null``."""
    types = node["type"]
    return types if isinstance(types, str) else " or ".join(types)


def _plural(t: str) -> str:
    return {"string": "strings", "number": "numbers", "integer": "integers", "object": "objects",
            "array": "arrays"}.get(t, t)


def type_text(node: dict[str, Any]) -> str:
    """How a field's type reads in the table: enumerations as their values, ``$ref`` as the
    definition's name, arrays with their items' type, ``null`` last."""
    types = node.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    nullable = "null" in types
    if len(node.get("enum", ())) > 8:      # the metric names: the description points at their table
        main = "string"
    elif "enum" in node or "const" in node:
        values = node.get("enum", [node.get("const")])
        main = " \\| ".join(f"`{v}`" if not isinstance(v, str) else f'`"{v}"`' for v in values if v is not None)
    elif "$ref" in node:
        main = node["$ref"].rsplit("/", 1)[-1]
    elif types and types[0] == "array" and isinstance(node.get("items"), dict):
        items = node["items"]
        inner = items["$ref"].rsplit("/", 1)[-1] + "s" if "$ref" in items else _plural(items.get("type", ""))
        main = f"array of {inner}"
        if "prefixItems" in node:
            main = f"[{', '.join(_item_type(p) for p in node['prefixItems'])}]"
    elif "prefixItems" in node:
        main = f"[{', '.join(_item_type(p) for p in node['prefixItems'])}]"
    else:
        main = " \\| ".join(t for t in types if t != "null") or "any"
    return main + (" \\| null" if nullable else "")


def _cell(text: str) -> str:
    """A table cell: pipes escaped (not those already escaped), one line."""
    return text.replace("\\|", "\x00").replace("|", "\\|").replace("\x00", "\\|").replace("\n", " ")


def table(path: tuple[str, ...]) -> str:
    node: Any = schema()
    for key in path:
        node = node[key]
    required = set(node.get("required", ()))
    rows = ["| field | type | meaning |", "|---|---|---|"]
    for name, field in node["properties"].items():
        mark = "" if name in required else " (optional)"
        rows.append(f"| `{name}`{mark} | {_cell(type_text(field))} | {_cell(field.get('description', ''))} |")
    return "\n".join(rows)


def _value_type(kind: Any) -> str:
    if isinstance(kind, tuple):
        return " \\| ".join(f'`"{choice}"`' for choice in kind)
    return {int: "integer", float: "number", str: "string"}[kind]


def note_codes() -> str:
    """Every note code with the values it carries (what a reader of ``note_facts`` can rely on)."""
    rows = ["| code | values |", "|---|---|"]
    for code, kinds in NOTE_KINDS.items():
        values = ", ".join(f"`{key}`: {_value_type(kind)}" for key, kind in kinds.items()) or "none"
        rows.append(f"| `{code}` | {values} |")
    return "\n".join(rows)


def blocks() -> dict[tuple[str, str], str]:
    out = {("docs/report-schema.md", name): table(path) for name, path in SECTIONS.items()}
    out[("docs/report-schema.md", "report-note-codes")] = note_codes()
    return out
