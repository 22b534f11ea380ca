"""Report → workflow-command annotations (:class:`gate.publish.publication.Annotation`).

A failed blocking gate is an ``"error"``; an inconclusive gate, or a failed gate of severity
``warning``, is a ``"warning"``; passing gates produce nothing. Worst first (the order of
``Report.gates_worst_first``: blocking failures, inconclusive, warnings). Title and message are plain
single-line text with control characters replaced; they still hold untrusted names, so the publisher
escapes them for the workflow-command syntax and applies its per-run limit.
"""

from __future__ import annotations

from gate.publish.publication import Annotation
from gate.render import text as T
from gate.report import GateResult, Report


def level(g: GateResult) -> str | None:
    if g.status == "pass":
        return None
    if g.status == "fail" and g.blocking:
        return "error"
    return "warning"


def render(report: Report) -> tuple[Annotation, ...]:
    out = []
    for g in report.gates_worst_first():
        lv = level(g)
        if lv is None:
            continue
        title = f"model-gate: {T.shorten(T.one_line(g.label or g.id), 200)} {T.status_word(g)}"
        msg = T.reason_text(g)
        extra = T.needed_text(g, T.sample_unit(report))
        if extra:
            msg += f" ({extra})"
        out.append(Annotation(level=lv, title=title, message=msg))
    # errors before warnings even if a future ordering change interleaves them
    return tuple(sorted(out, key=lambda a: a.level != "error"))
