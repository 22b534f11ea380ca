"""The sticky comment and the job summary of one report, rendered on demand for a publisher.

A publisher knows things the CLI does not when it builds a :class:`gate.publish.publication.Publication`:
the body of the comment it is about to replace (whose hidden state lets this run say what changed)
and the room left (GitHub's 65,536 characters, GitLab's 1,000,000, what remains of the job summary's
1 MiB). :class:`ReportComment` answers with a body rendered for exactly that, so the Markdown
renderer's budget (:class:`gate.render.markdown.Budget`) is the one place anything is ever cut.
"""

from __future__ import annotations

from dataclasses import dataclass

from gate.render import markdown
from gate.report import comment_state
from gate.report.model import Report
from gate.report.run_context import RunContext

#: the job summary has 1 MiB per step; the comment's 65,000 characters must never limit it
SUMMARY_MAX_CHARS = 1_048_576


@dataclass(frozen=True)
class ReportComment:
    """Renders ``report`` as the comment for marker ``key``, with ``context`` at the top."""

    report: Report
    key: str | None = None
    context: RunContext | None = None
    chart: str = "mermaid"

    @property
    def marker_key(self) -> str:
        return self.report.policy_name if self.key is None else self.key

    @property
    def attention(self) -> bool:
        """A gate failed or is inconclusive (blocking or not): what ``--comment-mode failures``
        comments on."""
        return any(g.status != "pass" for g in self.report.gates)

    def previous(self, body: str | None) -> tuple[comment_state.CommentState | None, str]:
        return markdown.previous_state(body, self.marker_key)

    def changed(self, previous_body: str | None) -> bool:
        """The verdict or a gate's status differs from the previous comment's (True when there is
        no previous comment or its state cannot be read: nothing to say it is unchanged)."""
        state, _notice = self.previous(previous_body)
        return state is None or comment_state.changes(state, self.report).decisive

    def body(self, previous_body: str | None = None, *, max_chars: int = markdown.MAX_CHARS,
             max_bytes: int | None = None) -> str:
        """The comment replacing ``previous_body`` (None: the first one), within the budget."""
        state, notice = self.previous(previous_body)
        return markdown.render(self.report, chart=self.chart, max_chars=max_chars, max_bytes=max_bytes,
                               key=self.key, context=self.context, previous=state, state_notice=notice)

    def summary(self, max_bytes: int) -> tuple[str, bool]:
        """The job summary within ``max_bytes`` UTF-8 bytes, and whether it had to be shortened
        (every gate is in it otherwise: no 65,000-character comment limit applies)."""
        full = markdown.render(self.report, chart=self.chart, max_chars=SUMMARY_MAX_CHARS, key=self.key,
                               context=self.context)
        if len(full.encode("utf-8")) <= max_bytes:
            return full, False
        return markdown.render(self.report, chart=self.chart, max_chars=SUMMARY_MAX_CHARS,
                               max_bytes=max(0, max_bytes), key=self.key, context=self.context), True
