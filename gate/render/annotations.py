"""Report → workflow-command annotations (:class:`gate.publish.publication.Annotation`).

A failed blocking gate is an ``"error"``; an inconclusive gate, or a failed gate of severity
``warning``, is a ``"warning"``; passing gates produce nothing. Worst first (the order of
``Report.gates_worst_first``: blocking failures, inconclusive, warnings). Title and message are plain
single-line text with control characters replaced; they still hold untrusted names, so the publisher
escapes them for the workflow-command syntax and applies its per-run limit.

Each annotation points at its gate's entry in the policy file (``file=policies/x.yml,line=N``, so the
pull request's Files view shows it on that line): the file is the policy path the report records,
normalised; the GitHub publisher makes an absolute one relative to ``GITHUB_WORKSPACE`` (the container
action passes absolute paths) and drops a place outside it
(:func:`gate.publish.workflow_commands.repository_path`). A relative path that leaves the working
directory, or a policy not read from a file, gives an annotation without a place.
"""

from __future__ import annotations

import posixpath
import re

from gate.publish.publication import Annotation
from gate.render import messages
from gate.render import text as T
from gate.report.model import GateResult, Report


def level(g: GateResult) -> str | None:
    """``error`` for a blocking failure, ``warning`` for any other gate that did not pass, None for a pass."""
    return {"pass": None, "fail": "error"}.get(g.outcome, "warning")


def policy_file(path: str) -> str | None:
    """``path`` normalised as a POSIX path (``./policies/x.yml`` → ``policies/x.yml``; an absolute
    path stays absolute), or None when it is empty, a relative path that leaves the working
    directory, a Windows drive path, or not a file name at all (``<policy>``: a policy given as a
    mapping in Python)."""
    if not path or path.startswith("<"):
        return None
    norm = posixpath.normpath(path.replace("\\", "/"))
    if norm == ".." or norm.startswith("../") or re.match(r"^[A-Za-z]:", norm):
        return None
    return norm


def render(report: Report) -> tuple[Annotation, ...]:
    """The annotations, errors first (see the module docstring)."""
    return tuple(a for _, a in annotated(report))


def annotated(report: Report) -> list[tuple[GateResult, Annotation]]:
    """Each non-passing gate with its annotation, errors before warnings, otherwise worst first."""
    file = policy_file(report.reproducibility.policy_path)
    out = []
    for g in report.gates_worst_first():
        lv = level(g)
        if lv is None:
            continue
        title = f"model-gate: {T.shorten(T.one_line(g.label or g.id), 200)} {T.status_word(g)}"
        msg = messages.message_text(g)
        extra = T.needed_text(g, T.sample_unit(report))
        if extra:
            msg += f" ({extra})"
        out.append((g, Annotation(level=lv, title=title, message=msg, file=file,
                                  line=g.policy_line if file is not None else None)))
    # errors before warnings even if a future ordering change interleaves them
    return sorted(out, key=lambda pair: pair[1].level != "error")
