"""Console renderer: a compact aligned table for the terminal / CI log.

Columns: status, gate, candidate [CI], Δ [CI], bar, n; failed and inconclusive gates first; the
verdict line last. ANSI colour only when asked (see :func:`use_color`). ``quiet`` prints only the
failing gates (including inconclusive ones when the policy makes them fail) and the verdict line. Untrusted strings have control characters replaced (so an ESC in
a class name cannot inject escape codes) and are shortened to keep the table aligned.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping, Sequence
from typing import IO

from gate.render import messages, notes
from gate.render import text as T
from gate.report.model import GateResult, Report

GATE_WIDTH = 44
_RESET = "\x1b[0m"
_COLORS = {"pass": "\x1b[32m", "fail": "\x1b[31m", "inconclusive": "\x1b[33m", "warn": "\x1b[33m",
           "bold": "\x1b[1m", "dim": "\x1b[2m"}


def use_color(stream: IO[str] | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """Colour only on a TTY and only when ``NO_COLOR`` is unset or empty (https://no-color.org)."""
    stream = stream if stream is not None else __import__("sys").stdout
    environ = os.environ if environ is None else environ
    try:
        tty = bool(stream.isatty())
    except (AttributeError, ValueError):
        tty = False
    return tty and not environ.get("NO_COLOR")


def _width(s: str) -> int:
    """Display width (East Asian wide characters count 2, combining marks 0)."""
    w = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def _pad(s: str, width: int, right: bool = False) -> str:
    gap = " " * max(width - _width(s), 0)
    return gap + s if right else s + gap


def _clip(s: str, width: int) -> str:
    if _width(s) <= width:
        return s
    out, w = "", 0
    for ch in s:
        cw = 0 if unicodedata.combining(ch) else (2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1)
        if w + cw > width - 1:
            break
        out, w = out + ch, w + cw
    return out + "…"


def _paint(s: str, color: str | None, on: bool) -> str:
    return f"{_COLORS[color]}{s}{_RESET}" if on and color else s


_STATUS = {"pass": ("PASS", "pass"), "warning": ("WARN", "warn"), "fail": ("FAIL", "fail"),
           "inconclusive": ("INCONCL", "inconclusive")}


def _status(g: GateResult) -> tuple[str, str]:
    """The STATUS word and its colour, by :attr:`GateResult.outcome`."""
    return _STATUS[g.outcome]


def verdict_line(report: Report, color: bool) -> str:
    kind = T.verdict_kind(report)
    word = {"pass": "PASS", "warn": "PASS (with warnings)", "fail": "FAIL"}[kind]
    policy = _clip(T.one_line(report.policy_name), 60)
    head = _paint(f"model-gate: {word}", {"pass": "pass", "warn": "warn", "fail": "fail"}[kind], color)
    return f"{_paint(head, 'bold', color)}  policy {policy}  ({T.counts_text(report).replace(' · ', ', ')})"


def _rows(gates: Sequence[GateResult]) -> list[list[str]]:
    return [[_status(g)[0], _clip(T.one_line(g.label or g.id), GATE_WIDTH), T.fmt_gate_est(g, "candidate"),
             T.fmt_gate_est(g, "delta"), T.bar_text(g),
             T.fmt_int(g.n)] for g in gates]


def render(report: Report, *, color: bool = False, quiet: bool = False) -> str:
    gates = report.gates_worst_first()
    if quiet:  # the gates behind a failing verdict (and failed warnings): what a reader must act on
        gates = [g for g in gates if g.blocks(report.reproducibility.inconclusive) or g.status == "fail"]
    header = ["STATUS", "GATE", "CANDIDATE [CI]", "Δ [CI]", "BAR", "N"]
    rows = _rows(gates)
    right = [False, False, False, False, False, True]
    widths = [max([_width(header[i])] + [_width(r[i]) for r in rows]) for i in range(len(header))]
    lines: list[str] = []
    if rows:
        if not quiet:
            lines.append(_paint("  ".join(_pad(h, widths[i], right[i]) for i, h in enumerate(header)).rstrip(),
                                "dim", color))
        for g, r in zip(gates, rows):
            cells = [_pad(c, widths[i], right[i]) for i, c in enumerate(r)]
            cells[0] = _paint(cells[0], _status(g)[1], color)
            lines.append("  ".join(cells).rstrip())
            if g.status != "pass":
                why = messages.message_text(g)
                extra = T.needed_text(g, T.sample_unit(report))
                lines.append("    → " + _clip(why, 160) + (f" ({extra})" if extra else ""))
    if not quiet:
        for q in report.queries:
            worst = ", ".join(f"{T.one_line(w.query_id)} {T.fmt_signed(w.delta)}" for w in q.worst[:3])
            lines.append(_clip(f"per query, {T.one_line(q.measure)}: {T.query_counts_text(q)}"
                               + (f"; most regressed: {worst}" if worst else ""), 200))
        for w in map(notes.text, report.warnings):
            lines.append(_paint("warning: ", "warn", color) + _clip(T.one_line(w), 200))
    lines.append(verdict_line(report, color))
    return "\n".join(lines) + "\n"
