""""Does this gate block?" has one answer, on the model (GateResult.outcome / blocks,
Report.blocking_gates), and every renderer and the exit code read it: the six (status, severity)
pairs under both decision.inconclusive rules, checked in each output."""

from __future__ import annotations

import pytest
from report_factory import build_report, est, make_gate

from gate.render import annotations, console, html, junit, markdown
from gate.render import text as T

CASES = [  # status, severity, outcome, blocks under warn, blocks under fail
    ("pass", "error", "pass", False, False),
    ("pass", "warning", "pass", False, False),
    ("fail", "error", "fail", True, True),
    ("fail", "warning", "warning", False, False),
    ("inconclusive", "error", "inconclusive", False, True),
    ("inconclusive", "warning", "warning", False, False),
]


def gate_of(status: str, severity: str):
    return make_gate("recall", status=status, severity=severity, candidate=est(0.8, 0.7, 0.9), label="subject",
                     gate_id="g")


@pytest.mark.parametrize("status,severity,outcome,blocks_warn,blocks_fail", CASES)
def test_outcome_and_blocks(status, severity, outcome, blocks_warn, blocks_fail) -> None:
    g = gate_of(status, severity)
    assert g.outcome == outcome
    assert (g.blocks("warn"), g.blocks("pass"), g.blocks("fail")) == (blocks_warn, blocks_warn, blocks_fail)
    for rule, blocks in (("warn", blocks_warn), ("fail", blocks_fail)):
        report = build_report([g], inconclusive=rule)
        assert report.blocking_gates == ((g,) if blocks else ())
        assert (report.verdict, report.exit_code) == (("fail", 1) if blocks else ("pass", 0))


@pytest.mark.parametrize("status,severity,outcome,blocks_warn,blocks_fail", CASES)
def test_every_renderer_shows_the_outcome(status, severity, outcome, blocks_warn, blocks_fail) -> None:
    g = gate_of(status, severity)
    report = build_report([g])
    word = {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCL", "warning": "WARN"}[outcome]
    assert console.render(report).splitlines()[1].startswith(word)
    assert T.status_emoji(g) == {"pass": "✅", "fail": "❌", "inconclusive": "🔶", "warning": "⚠️"}[outcome]
    assert T.status_word(g) == (f"{status} (warning)" if outcome == "warning" else status)
    assert annotations.level(g) == {"pass": None, "fail": "error"}.get(outcome, "warning")
    assert f'<tr class="{outcome}">' in html.gate_table(report)
    element = {"pass": None, "fail": "failure", "inconclusive": "skipped", "warning": "skipped"}[outcome]
    assert (junit.outcome(g, "skipped") or (None,))[0] == element
    if outcome != "pass":
        assert f"**{T.status_word(g)}**" in markdown.render(report)


@pytest.mark.parametrize("rule", ["warn", "fail"])
def test_quiet_console_lists_the_blocking_gates_and_failed_warnings(rule: str) -> None:
    gates = [make_gate("recall", status=s, severity=v, gate_id=f"{s}-{v}", label=f"{s}-{v}", candidate=est(0.8, 0.7, 0.9))
             for s, v, *_ in CASES]
    report = build_report(gates, inconclusive=rule)
    shown = {line.split()[1] for line in console.render(report, quiet=True).splitlines()
             if line and not line.startswith((" ", "model-gate"))}
    expected = {g.label for g in report.blocking_gates} | {"fail-warning"}
    assert shown == expected
    assert ("inconclusive-error" in shown) == (rule == "fail")


def test_worst_first_orders_by_outcome() -> None:
    gates = [gate_of(s, v) for s, v, *_ in CASES]
    order = [g.outcome for g in build_report(gates).gates_worst_first()]
    assert order == ["fail", "inconclusive", "warning", "warning", "pass", "pass"]


def test_per_class_delta_and_confusion_difference_come_from_the_model() -> None:
    report = build_report([gate_of("pass", "error")])
    row = report.per_class[0]
    assert row.delta("recall") == pytest.approx(row.candidate["recall"] - row.baseline["recall"])
    diff = report.confusion_difference
    cand, base = report.confusion
    assert diff is not None and diff.counts == tuple(
        tuple(a - b for a, b in zip(ra, rb)) for ra, rb in zip(cand.counts, base.counts))
    md = markdown.render(report)
    assert f"Difference ({diff.model})" in md
    assert build_report([gate_of("pass", "error")], confusion=False).confusion_difference is None
