"""gate/render/messages.py, the one sentence builder, directly: the number format, the sentence of each
bar kind × status from a GateResult's facts, every guard's words with its numbers (and without them,
as a report older than schema 1.3 has it), the multiple-testing clause when only the adjustment kept a
gate from failing, percent for relative drops, label coverage's count; then the facts the engine
records for it (``spared_by``, ``guard``, ``nominal_ci``) on real runs."""

from __future__ import annotations

import numpy as np
import pytest

import gate
from gate.render import markdown
from gate.render.messages import fmt, guard_text, message, message_segments, message_text, plan_remark
from gate.render.text import Segment
from gate.report.model import Guard
from tests.report_factory import engine_label, est, make_gate


@pytest.mark.parametrize("x,text", [(None, "n/a"), (float("nan"), "n/a"), (0.0, "0.000"), (0.12345, "0.123"),
                                    (0.0004, "4.00e-04"), (-0.0004, "-4.00e-04"), (12345.6, "12,346")])
def test_fmt(x, text) -> None:
    assert fmt(x) == text


CANDIDATE = est(0.95, 0.93, 0.97)
DELTA = est(-0.005, -0.02, 0.01)
RELATIVE = est(-0.02, -0.04, 0.001)
GAIN = est(0.02, 0.011, 0.03)
UNDECIDED = "; the data cannot tell yet"


@pytest.mark.parametrize("kind,bar,tested,status,expected", [
    ("min", 0.9, CANDIDATE, "pass", "recall 0.950 [0.930, 0.970] is above the 0.900 floor"),
    ("min", 0.9, CANDIDATE, "fail", "recall 0.950 [0.930, 0.970] is below the 0.900 floor"),
    ("min", 0.9, CANDIDATE, "inconclusive", "recall 0.950 [0.930, 0.970] is not clearly above the 0.900 floor" + UNDECIDED),
    ("max", 0.9, CANDIDATE, "pass", "recall 0.950 [0.930, 0.970] is below the 0.900 ceiling"),
    ("max", 0.9, CANDIDATE, "fail", "recall 0.950 [0.930, 0.970] is above the 0.900 ceiling"),
    ("max", 0.9, CANDIDATE, "inconclusive", "recall 0.950 [0.930, 0.970] is not clearly below the 0.900 ceiling" + UNDECIDED),
    ("max_drop", 0.01, DELTA, "pass", "recall change vs baseline -0.005 [-0.020, 0.010] stays within the allowed drop of 0.010"),
    ("max_drop", 0.01, DELTA, "fail", "recall change vs baseline -0.005 [-0.020, 0.010] drops by more than the allowed drop of 0.010"),
    ("max_drop", 0.01, DELTA, "inconclusive",
     "recall change vs baseline -0.005 [-0.020, 0.010] may exceed the allowed drop of 0.010" + UNDECIDED),
    ("max_relative_drop", 0.05, RELATIVE, "pass",
     "recall relative change vs baseline -2.0% [-4.0%, +0.1%] stays within the allowed relative drop of 5.0%"),
    ("max_relative_drop", 0.05, RELATIVE, "fail",
     "recall relative change vs baseline -2.0% [-4.0%, +0.1%] drops by more than the allowed relative drop of 5.0%"),
    ("max_relative_drop", 0.05, RELATIVE, "inconclusive",
     "recall relative change vs baseline -2.0% [-4.0%, +0.1%] may exceed the allowed relative drop of 5.0%" + UNDECIDED),
    ("min_gain", 0.01, GAIN, "pass", "recall gain vs baseline 0.020 [0.011, 0.030] reaches the required 0.010"),
    ("min_gain", 0.01, GAIN, "fail", "recall gain vs baseline 0.020 [0.011, 0.030] falls short of the required 0.010"),
    ("min_gain", 0.01, GAIN, "inconclusive",
     "recall gain vs baseline 0.020 [0.011, 0.030] may fall short of the required 0.010" + UNDECIDED),
])
def test_one_sentence_per_bar_kind_and_status(kind, bar, tested, status, expected) -> None:
    g = make_gate("recall", kind=kind, bar=bar, tested=tested, status=status, label="recall")
    assert message(g) == expected


def test_the_sentence_quotes_the_nominal_interval_and_says_when_the_adjustment_spared_the_gate() -> None:
    common = dict(bar=0.9, tested=est(0.88, 0.85, 0.91), status="inconclusive", label="recall", nominal_ci=(0.86, 0.89))
    assert message(make_gate("recall", **common)) == "recall 0.880 [0.860, 0.890] is not clearly above the 0.900 floor" + UNDECIDED
    for method in ("holm", "bonferroni"):
        assert message(make_gate("recall", spared_by=method, **common)) == (
            "recall 0.880 [0.860, 0.890] is not clearly above the 0.900 floor; it misses the bar at the nominal level "
            f"but not after the {method} adjustment for the policy's blocking gates (adjusted interval 0.880 [0.850, 0.910])")
    no_interval = make_gate("recall", bar=0.9, tested=est(None), status="inconclusive", label="recall")
    assert message(no_interval) == "recall n/a is not clearly above the 0.900 floor" + UNDECIDED


@pytest.mark.parametrize("guard,why", [
    (Guard("no_baseline"), "no baseline to compare with"),
    (Guard("no_examples", "examples"), "no labeled examples in this subset"),
    (Guard("no_examples", "queries"), "no judged queries in this subset"),
    (Guard("min_support", "class", size=12, min_support=30), "only 12 examples of the class, below min_support 30; not decided"),
    (Guard("min_support", "subset", size=7, min_support=50), "only 7 examples, below min_support 50; not decided"),
    (Guard("undefined", "no_true_examples"), "undefined: the class has no true examples here"),
    (Guard("undefined", "one_class"), "undefined: ROC-AUC needs both positive and negative examples"),
    (Guard("undefined", "zero_denominator"), "undefined on this data (a denominator is zero)"),
    (Guard("undefined", "no_distribution"), "the bootstrap distribution could not be formed"),
    (Guard("undefined_resamples", undefined=31, resamples=1000),
     "undefined in 31 of 1000 resamples (3.1%); too few examples to resample reliably"),
    (Guard("degenerate_resamples", resamples=300, distinct=1),
     "the 300 resamples take only 1 distinct value: the bootstrap cannot measure this uncertainty (too few examples differ)"),
    (Guard("degenerate_resamples", resamples=300, distinct=3),
     "the 300 resamples take only 3 distinct values: the bootstrap cannot measure this uncertainty (too few examples differ)"),
])
def test_a_forced_gate_says_why_with_its_numbers(guard, why) -> None:
    g = make_gate("recall", bar=0.9, tested=est(0.5, 0.1, 0.9), status="inconclusive", label="recall", guard=guard)
    assert g.reason == guard.code
    assert message(g) == f"recall: not decided, {why}"


@pytest.mark.parametrize("code", ["no_examples", "min_support", "undefined", "undefined_resamples", "degenerate_resamples"])
def test_a_guard_from_an_older_report_is_worded_without_numbers(code) -> None:
    """A 1.0–1.2 report.json has the reason code only: the sentence names the guard, no number."""
    text = guard_text(Guard(code))
    assert text and not any(ch.isdigit() for ch in text) and "None" not in text


def test_label_coverage_counts_the_labeled_rows() -> None:
    g = make_gate("label_coverage", bar=0.7, tested=est(0.95, 0.944, 0.956), status="pass", n=5000, labeled=4750,
                  label="label_coverage")
    assert message(g) == "label_coverage 0.950 [0.944, 0.956] is above the 0.700 floor (4,750 of 5,000 rows labeled)"


def test_every_format_gets_the_same_sentence_with_the_names_marked() -> None:
    label = engine_label("recall", "fr|aud\n`x`", slice={"region": "@eu"})
    g = make_gate("recall", class_name="fr|aud\n`x`", slice={"region": "@eu"}, bar=0.9, tested=CANDIDATE,
                  status="fail", label=label)
    words = " 0.950 [0.930, 0.970] is below the 0.900 floor"
    assert message(g) == label + words                            # report.json: the label as written
    assert message_text(g) == label.replace("\n", " ") + words    # one line: console, JUnit, annotations
    segs = message_segments(g)
    assert [s for s in segs if s.kind == "name"] == [Segment("fr|aud\n`x`", "name"), Segment("region", "name"),
                                                     Segment("@eu", "name")]
    assert segs[-1] == Segment(words)                            # our words: trusted text, no data name
    md = markdown.segments(segs)
    assert md.endswith(" 0.950 \\[0.930, 0.970\\] is below the 0.900 floor")
    assert "`` fr\\|aud `x` ``" in md and "`@eu`" in md and "\n" not in md


def test_plan_remarks() -> None:
    g = make_gate("recall", bar=0.9, tested=est(None), status="inconclusive", label="recall",
                  guard=Guard("undefined", "zero_denominator"))
    assert plan_remark("no_interval", g) == ("no interval (undefined): recall: not decided, undefined on this data "
                                             "(a denominator is zero)")
    assert plan_remark("guarded", g).startswith("undefined: recall: not decided")
    assert plan_remark("no_spread", g) == "the interval has no spread on one side: no power figures"
    assert plan_remark("", g) == ""


# --- the facts the engine records for the sentence --------------------------------------------------

def _borderline(multiple_testing: str) -> gate.Report:
    """Ten blocking gates on 3,000 examples, four of them with a floor just above the accuracy's
    nominal interval: the Holm/Bonferroni fail side is wider, so some of those are spared."""
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, 3000)
    pred = np.where(rng.uniform(size=3000) < 0.7, y, 1 - y)
    acc = float(np.mean(pred == y))
    gates = [{"metric": "accuracy", "min": round(acc + off, 4)} for off in (0.017, 0.019, 0.021, 0.023)]
    gates += [{"metric": m, "min": 0.1} for m in ("recall", "precision", "f1", "balanced_accuracy", "mcc", "specificity")]
    policy = {"version": 1, "name": "b", "task": "binary", "positive_class": "1",
              "bootstrap": {"resamples": 400, "seed": 3}, "decision": {"multiple_testing": multiple_testing},
              "gates": gates}
    return gate.check(policy, {"id": [str(i) for i in range(3000)], "label": [str(v) for v in y],
                               "prediction": [str(v) for v in pred]})


def test_spared_by_is_recorded_exactly_when_only_the_adjustment_kept_a_gate_from_failing() -> None:
    holm, none = _borderline("holm"), _borderline("none")
    spared = [g for g in holm.gates if g.spared_by is not None]
    assert spared, "the scenario must spare at least one gate"
    for g, unadjusted in zip(holm.gates, none.gates):
        misses = g.nominal_ci is not None and g.nominal_ci[1] < g.threshold
        assert (g.spared_by == "holm") == (g.status == "inconclusive" and misses), g.id
        if g.spared_by is not None:
            assert g.tested.ci[1] >= g.threshold and unadjusted.status == "fail"
            assert "not after the holm adjustment" in message(g)
        assert unadjusted.spared_by is None


def test_guards_carry_their_numbers_from_the_engine() -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 200)
    pred = np.where(rng.uniform(size=200) < 0.8, y, 1 - y)
    report = gate.check_arrays([{"metric": "recall", "min": 0.5, "min_support": 10_000},
                                {"metric": "accuracy", "min": 0.5, "min_support": 10_000},
                                {"metric": "accuracy", "min": 0.5}], y, pred, n_resamples=200, seed=1)
    of_class, of_subset, fine = report.gates
    assert of_class.guard == Guard("min_support", "class", size=int(np.sum(y == 1)), min_support=10_000)
    assert of_subset.guard == Guard("min_support", "subset", size=200, min_support=10_000)
    assert fine.guard is None and fine.reason in ("clears_bar", "misses_bar", "straddles_bar")
    assert message(of_class) == f"recall for class '1': not decided, only {int(np.sum(y == 1))} examples of the class, below min_support 10000; not decided"
