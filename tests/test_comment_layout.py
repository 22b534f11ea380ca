"""Acceptance: the PR comment fits a PR-comment column without sideways scrolling.

report.md goes through cmark-gfm (GitHub's parser) with GitHub's markdown CSS (vendored in
tests/vendor) into headless Chromium at 760 px (:mod:`scripts.comment_page`); every gate table (the
main one and the collapsed passing one, opened for the measurement) must be no wider than the
column: GitHub's CSS makes a table a scroll box, so ``scrollWidth > clientWidth`` is exactly a
horizontal scrollbar. Cases: the bundled examples (classification and ranking) as ``model-gate check`` computes them, and a
40-gate multiclass report. The check itself is proven able to fail on the old layout's long row.
"""

from __future__ import annotations

import pytest
from report_factory import multiclass_40_report

from gate.render import markdown
from gate.report.run_context import RunContext
from scripts import comment_page, comment_screenshots

pytest.importorskip("cmarkgfm", reason="cmarkgfm (GitHub's cmark-gfm) not installed: pip install cmarkgfm")
pytestmark = pytest.mark.skipif(comment_page.chromium() is None,
                                reason="Chromium not installed (apt-get install -y chromium)")

CONTEXT = RunContext(commit="0123456789abcdef0123456789abcdef01234567",
                     run_url="https://github.com/acme/models/actions/runs/1234567890",
                     artifact_url="https://github.com/acme/models/actions/runs/1234567890/artifacts/987654321",
                     report_url="https://acme.github.io/models/pr-42/report.html")


def assert_gate_tables_fit(text: str, expected_rows: int) -> None:
    layout = comment_page.measure(text)
    tables = layout.gate_tables()
    assert tables, "no gate table found in the rendered comment"
    assert sum(t.rows for t in tables) == expected_rows   # every gate is in one of them
    for t in tables:
        assert not t.overflows, f"gate table needs {t.scroll}px, column is {t.client}px"
        assert t.client <= comment_page.WIDTH


@pytest.mark.parametrize("name", sorted(comment_screenshots.EXAMPLES))
def test_bundled_example_comment_fits_760px(name):
    report = comment_screenshots.example(name)      # as `model-gate check` computes it
    assert_gate_tables_fit(markdown.render(report, context=CONTEXT), len(report.gates))


def test_forty_gate_multiclass_comment_fits_760px():
    report = multiclass_40_report()
    assert len(report.gates) == 40
    text = markdown.render(report, context=CONTEXT)
    assert "<details><summary>✅ 34 passing gates</summary>" in text
    assert_gate_tables_fit(text, 40)


def test_the_measurement_catches_a_table_that_overflows():
    """The old layout put the whole "why" sentence in the Verdict cell: a long unbreakable name there
    must register as overflow, or the checks above prove nothing."""
    wide = ("|  | Gate | Candidate [CI] | Δ [CI] | Bar | Verdict |\n| :-: | --- | --: | --: | --- | --- |\n"
            "| ❌ | `recall_for_class_" + "x" * 120 + "` | 0.870 [0.840, 0.900] | -0.010 [-0.030, +0.010] "
            "| ≥ 0.900 | **fail** |\n")
    tables = comment_page.measure(wide).gate_tables()
    assert len(tables) == 1 and tables[0].overflows
