"""What the CLI hands to publishers: rendered text plus the few facts CI outputs need."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gate.render.comment import ReportComment

COMMENT_MODES = ("always", "changed", "failures", "off")   # when to comment: dispatch.comment_decision
DEFAULT_ARTIFACT = "model-gate-baseline"   # what --baseline-from-run downloads unless given WORKFLOW:NAME


@dataclass(frozen=True)
class Annotation:
    """One workflow-command annotation: ``level`` is ``"error"`` (failed gate) or ``"warning"``
    (inconclusive gate, or a failed gate of severity warning). ``title`` and ``message`` are
    untrusted text (they contain class names) and must be escaped by the publisher. ``file`` and
    ``line`` place it in the repository (the gate's entry in the policy file), or are None."""

    level: str
    title: str
    message: str
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Publication:
    """A rendered report ready to post.

    ``comment_body`` is the complete Markdown comment including the hidden marker line
    ``<!-- model-gate:v1 key=<marker_key> -->`` (already size-limited to 65,000 characters);
    ``summary_body`` is the job-summary Markdown (may be the same text). ``verdict`` is
    ``"pass"``/``"fail"``; ``exit_code`` the verdict's exit code (0/1); ``failed_count`` the number of
    blocking failed gates (``inconclusive_count`` of undecided ones); ``report_json_path`` where report.json was written (or None);
    ``annotations`` are worst first; ``status_description`` is a short one-liner for a commit status;
    ``run_stamp`` identifies the run (publishers never let an older run overwrite a newer comment).
    ``source`` re-renders the comment for the room a platform allows and against the comment it
    replaces (what changed since the previous run); without one, ``comment_body`` and
    ``summary_body`` are sent as they are.
    """

    comment_body: str
    summary_body: str
    marker_key: str
    verdict: str
    exit_code: int
    failed_count: int
    report_json_path: str | None
    annotations: tuple[Annotation, ...]
    status_description: str
    run_stamp: str = ""
    inconclusive_count: int = 0
    source: ReportComment | None = None

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"
