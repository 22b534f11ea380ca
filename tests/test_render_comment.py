"""gate/render/comment.py on its own: ReportComment's marker key, "attention" (what --comment-mode
failures comments on), "changed" (what --comment-mode changed compares), and the bodies it renders
for a publisher's room: the comment within characters and bytes, the job summary whole unless its
bytes run out."""

from __future__ import annotations

from gate.publish import bodies
from gate.render import markdown
from gate.render.comment import SUMMARY_MAX_CHARS, ReportComment
from tests.report_factory import binary_report, build_report, large_report, passing_report, two_failures_report


def test_the_marker_key_is_the_policy_name_unless_given():
    report = binary_report()
    assert ReportComment(report).marker_key == "fraud-detector"
    assert ReportComment(report, key="nightly").marker_key == "nightly"
    assert bodies.has_marker(ReportComment(report, key="nightly").body(), bodies.marker_for("nightly"))
    assert not bodies.has_marker(ReportComment(report, key="nightly").body(), bodies.marker_for("fraud-detector"))


def test_attention_is_any_gate_not_passing_blocking_or_not():
    assert ReportComment(binary_report()).attention                      # a fail and an inconclusive
    assert not ReportComment(passing_report()).attention
    warning_only = [g for g in binary_report().gates if g.severity == "warning" or g.status == "pass"]
    assert any(g.status == "fail" for g in warning_only)
    assert ReportComment(build_report(warning_only, warnings=())).attention   # a warning gate's failure counts


def test_changed_compares_the_verdict_and_statuses_with_the_previous_comment():
    first, second = binary_report(), two_failures_report()
    assert ReportComment(first).changed(None)                            # no previous comment
    assert ReportComment(first).changed("an unrelated comment without state")
    same = ReportComment(first).body()
    assert not ReportComment(first).changed(same)
    assert ReportComment(second).changed(same)                            # a new blocking failure
    assert ReportComment(first, key="other").changed(same)                # another key's state is not ours


def test_the_body_is_the_markdown_renderer_for_that_room():
    report = large_report()
    source = ReportComment(report, chart="none")
    assert source.body() == markdown.render(report, chart="none")
    small = source.body(max_chars=8_000)
    assert len(small) <= 8_000 < len(source.body())
    tight = source.body(max_chars=60_000, max_bytes=6_000)
    assert len(tight.encode("utf-8")) <= 6_000


def test_the_summary_is_whole_when_it_fits_and_cut_only_by_bytes():
    report = large_report()
    source = ReportComment(report)
    whole, cut = source.summary(10 * 2 ** 20)
    assert not cut and whole == markdown.render(report, max_chars=SUMMARY_MAX_CHARS)
    assert len(source.body()) <= markdown.MAX_CHARS < len(whole)          # the comment's limit is not the summary's
    part, cut = source.summary(5_000)
    assert cut and len(part.encode("utf-8")) <= 5_000
    _, cut = source.summary(len(whole.encode("utf-8")))                    # exactly the room: not cut
    assert not cut
