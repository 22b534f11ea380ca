"""bootstrap.adaptive: a gate group stops drawing once every gate in it is settled (endpoints more than
3 Monte-Carlo SE from the bar); its replicates are then a prefix of the full draw's."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from gate.data.align import EvalSet, Side
from gate.engine import evaluate
from gate.errors import PolicyError
from gate.policy.load import build_policy
from gate.render import json_report
from gate.render.notes import text as note_text
from gate.render.text import resampling_text
from gate.report.model import Artifact

B = 2000


def _data(seed: int, n: int = 3000) -> tuple[EvalSet, float]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.25).astype(np.int64)
    c = np.round(1 / (1 + np.exp(-(1.5 * y - 1 + rng.normal(0, 1, n)))), 3)
    b = np.round(1 / (1 + np.exp(-(1.2 * y - 1 + rng.normal(0, 1, n)))), 3)

    def side(role, s):
        art = Artifact(role, f"<{role}>", "", "memory", n, n)
        return Side(role, art, np.arange(n), y, (s >= 0.5).astype(np.int64), s, None, {}, n, n)
    es = EvalSet("binary", ("0", "1"), side("candidate", c), side("baseline", b), "paired")
    return es, float(np.mean((c - y) ** 2))


def _policy(brier: float, adaptive: bool, method: str = "percentile", testing: str = "holm"):
    doc = {"version": 1, "name": "adaptive", "task": "binary", "positive_class": "1", "classes": ["0", "1"],
           "bootstrap": {"resamples": B, "seed": 5, "method": method, "adaptive": adaptive},
           "decision": {"multiple_testing": testing},
           "gates": [{"metric": "roc_auc", "min": 0.6},                        # clear pass
                     {"metric": "average_precision", "max_drop": 0.01},        # clear pass (delta)
                     {"metric": "roc_auc", "min": 0.95},                       # clear fail
                     {"metric": "brier", "max": round(brier, 3), "severity": "warning"}]}  # straddles
    return build_policy(doc, source="<test>")


def _run(seed: int, adaptive: bool, **kw):
    es, brier = _data(seed)
    return evaluate(_policy(brier, adaptive, **kw), es)


def _adaptive_note(g) -> str | None:
    return next((note_text(n) for n in g.notes if note_text(n).startswith("adaptive:")), None)


def test_stops_early_on_clearly_decided_gates_and_records_it():
    report = _run(1, True)
    stopped = [g for g in report.gates if _adaptive_note(g)]
    assert stopped, [g.notes for g in report.gates]
    for g in stopped:
        assert g.status in ("pass", "fail")
        drawn = len(g.distribution)
        assert 500 <= drawn < B
        assert _adaptive_note(g) == (f"adaptive: decided after {drawn} of {B} resamples "
                                     "(endpoints more than 3 Monte-Carlo SE from the bar)")
    assert any(g.status == "fail" for g in stopped) and any(g.status == "pass" for g in stopped)
    facts = report.reproducibility.resampling
    assert 1 <= facts.stopped <= facts.groups
    assert facts.planned == facts.groups * B and facts.drawn < facts.planned
    assert resampling_text(report.reproducibility).endswith(
        f"; adaptive: {facts.stopped} of {facts.groups} stopped early once decided "
        f"({facts.drawn} of {facts.planned} resamples drawn)")


def test_never_stops_on_a_straddling_gate():
    for seed in (1, 2, 3):
        report = _run(seed, True)
        assert any(g.status == "inconclusive" for g in report.gates)
        for g in report.gates:
            if g.status == "inconclusive":
                assert _adaptive_note(g) is None
                assert len(g.distribution) == B


@pytest.mark.parametrize("testing", ["holm", "none"])
@pytest.mark.parametrize("method", ["percentile", "bca", "basic"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_decisions_equal_the_full_draw(seed, method, testing):
    full = _run(seed, False, method=method, testing=testing)
    adaptive = _run(seed, True, method=method, testing=testing)
    assert [g.status for g in adaptive.gates] == [g.status for g in full.gates]
    assert adaptive.verdict == full.verdict
    assert not any(_adaptive_note(g) for g in full.gates)
    assert full.reproducibility.resampling.stopped is None
    assert "adaptive" not in resampling_text(full.reproducibility)


def test_replicates_are_a_prefix_of_the_full_draw():
    full = _run(2, False)
    adaptive = _run(2, True)
    shorter = 0
    for a, f in zip(adaptive.gates, full.gates):
        assert len(f.distribution) in (0, B)
        assert a.distribution == f.distribution[:len(a.distribution)]
        shorter += len(a.distribution) < len(f.distribution)
    assert shorter


def test_byte_identical_across_runs_and_thread_counts(monkeypatch):
    out = []
    for threads in ("1", "2", "1"):
        monkeypatch.setenv("MODEL_GATE_THREADS", threads)
        out.append(json_report.render(_run(3, True)))
    assert out[0] == out[1] == out[2]


def test_off_by_default_and_in_the_schema():
    from gate.policy.load import BootstrapSpec
    assert BootstrapSpec().adaptive is False
    with pytest.raises(PolicyError):
        build_policy({"version": 1, "name": "x", "task": "binary", "positive_class": "1",
                      "bootstrap": {"adaptive": "yes"}, "gates": [{"metric": "recall", "min": 0.5}]},
                     source="<test>")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_decisions_equal_the_full_draw_near_the_bar(seed):
    """Bars from clearly cleared to clearly missed, one gate per policy: same status every time."""
    es, _ = _data(seed)
    auc = roc_auc_score(es.candidate.y, es.candidate.scores)
    early = 0
    for step in (-0.05, -0.035, -0.025, -0.015, 0.015, 0.025, 0.035, 0.05):
        out = []
        for adaptive in (False, True):
            doc = {"version": 1, "name": "near", "task": "binary", "positive_class": "1", "classes": ["0", "1"],
                   "bootstrap": {"resamples": B, "seed": seed, "adaptive": adaptive},
                   "gates": [{"metric": "roc_auc", "min": round(auc + step, 4)}]}
            out.append(evaluate(build_policy(doc, source="<test>"), es).gates[0])
        assert out[0].status == out[1].status, step
        early += len(out[1].distribution) < B
    assert early >= 4
