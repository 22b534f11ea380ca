"""Write docs/comment-*.png: the PR comment of the bundled examples (scripts.render_docs.EXAMPLES) as GitHub shows it at 760 px.

Usage: ``python -m scripts.comment_screenshots [OUT_DIR]`` (default ``docs``). Needs ``cmarkgfm`` and
Chromium (see :mod:`scripts.comment_page`). Each picture is the report.md that ``model-gate check``
writes for the example, with an illustrative run context (commit and links, as GitHub Actions would
give them). ``comment-changed.png`` is the multiclass example's second run: the previous state is the
first run's, with the gate that is inconclusive now recorded as passing and its Δ 0.01 higher, which
is what a PR that degraded that class would show.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

from gate.api import check
from gate.policy.load import load_policy
from gate.render import markdown
from gate.report import comment_state
from gate.report.model import Report
from gate.report.run_context import RunContext
from scripts import comment_page
from scripts.render_docs import EXAMPLES  # the bundled examples, one list for the docs and the pictures

REPO = Path(__file__).resolve().parents[1]
CONTEXT = RunContext(commit="3f9c2e17b6a04d5e8c1f0a2b9d7e6c5a4b3f2e1d",
                     run_url="https://github.com/acme/models/actions/runs/1234567890",
                     artifact_url="https://github.com/acme/models/actions/runs/1234567890/artifacts/987654321")


def example(name: str) -> Report:
    ex = EXAMPLES[name]
    policy, cand, base = ex.policy, ex.candidate, ex.baseline
    old = os.getcwd()
    os.chdir(REPO)
    try:
        return check(load_policy(policy), cand, base,
                     command=["model-gate", "check", "--policy", policy, "--candidate", cand, "--baseline", base])
    finally:
        os.chdir(old)


def earlier_state(report: Report) -> comment_state.CommentState:
    """The report's state with its first non-passing gate recorded as passing, Δ 0.01 higher."""
    state = comment_state.state_of(report)
    target = next(g.id for g in report.gates_worst_first() if g.status != "pass")
    gates = tuple(dataclasses.replace(g, status="pass", delta=None if g.delta is None else round(g.delta + 0.01, 6))
                  if g.id == target else g for g in state.gates)
    return comment_state.CommentState("pass", gates)


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0]) if argv else REPO / "docs"
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in EXAMPLES:
        text = markdown.render(example(name), context=CONTEXT)
        print(comment_page.screenshot(text, out_dir / f"comment-{name}.png"))
    multi = example("multiclass")
    text = markdown.render(multi, context=CONTEXT, previous=earlier_state(multi))
    print(comment_page.screenshot(text, out_dir / "comment-changed.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
