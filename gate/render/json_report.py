"""``report.json``: the documented, versioned serialisation of :class:`gate.report.Report`
(see ``docs/report-schema.md``): the model's facts (``Report.to_dict``) with each gate's sentence,
``message``, worded from them (:mod:`gate.render.messages`) and placed after its ``reason``.
Deterministic: key order is the data model's, floats are already rounded by ``Report.to_dict``."""

from __future__ import annotations

import json
import re
from typing import Any

from gate.render import messages, notes
from gate.render import text as T
from gate.report.model import GateResult, Report

#: written as JSON escapes: invisible characters (so ``cat report.json`` or ``--format json`` in a
#: terminal shows ``\u202e``, never reordered text or an escape sequence) and lone surrogates
_ESCAPED = re.compile(f"[{T.INVISIBLE_CHARS}\ud800-\udfff]")


def _json_escape(ch: str) -> str:
    """``\\uXXXX`` (a UTF-16 surrogate pair of them above U+FFFF), as JSON spells any character."""
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def escape_invisible(text: str) -> str:
    """JSON text with the characters of :data:`_ESCAPED` written as escapes. They can only stand
    inside JSON strings, so the escapes are the same JSON value; a lone surrogate (an undecodable
    byte of a file name) would otherwise not even encode as UTF-8."""
    return _ESCAPED.sub(lambda m: _json_escape(m.group()), text)


def gate_dict(g: GateResult) -> dict[str, Any]:
    """One gate of report.json: its facts with ``message`` inserted right after ``reason`` and the
    worded ``notes`` right before their facts, ``note_facts`` (gate/render/notes.py)."""
    out: dict[str, Any] = {}
    for key, value in g.to_dict().items():
        if key == "note_facts":
            out["notes"] = [notes.text(n) for n in g.notes]
        out[key] = value
        if key == "reason":
            out["message"] = messages.message(g)
    return out


def reproducibility_dict(report: Report, facts: dict[str, Any]) -> dict[str, Any]:
    """The reproducibility block: its facts with the worded ``resampling`` right before its facts,
    ``resampling_facts``."""
    out: dict[str, Any] = {}
    for key, value in facts.items():
        if key == "resampling_facts":
            out["resampling"] = T.resampling_text(report.reproducibility)
        out[key] = value
    return out


def report_dict(report: Report) -> dict[str, Any]:
    """The report.json document: :meth:`Report.to_dict` with every gate as :func:`gate_dict` writes it,
    the worded ``warnings`` right before their facts, ``warning_facts``, and the reproducibility block
    as :func:`reproducibility_dict` writes it."""
    out: dict[str, Any] = {}
    for key, value in report.to_dict().items():
        if key == "warning_facts":
            out["warnings"] = [notes.text(w) for w in report.warnings]
        if key == "gates":
            value = [gate_dict(g) for g in report.gates]
        elif key == "reproducibility":
            value = reproducibility_dict(report, value)
        out[key] = value
    return out


def render(report: Report) -> str:
    """The JSON text, other characters kept as they are (UTF-8); see :func:`escape_invisible`."""
    return escape_invisible(json.dumps(report_dict(report), indent=2, sort_keys=False, ensure_ascii=False) + "\n")
