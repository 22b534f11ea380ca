"""The classification engine's stages in their own modules, tested directly: gate/inference/sizes.py (a gate's
subset sizes), gate/resampling/adaptive.py (when a gate group may stop drawing), gate/report/notes.py (the sampling
notes and warnings) and gate/timing.py (the MODEL_GATE_TIMING line bench/run.py parses)."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
from report_factory import make_gate

import gate
from gate import timing
from gate.data.align import build_evalset
from gate.data.sources import table_from_memory
from gate.inference.decide import Decision
from gate.inference.gate_results import Measured, pending
from gate.inference.series import Series
from gate.inference.sizes import sizes
from gate.policy.expand import expand_gates
from gate.render.notes import text as note_text
from gate.report.notes import SMALL_SUPPORT, gate_notes, resample_warnings
from gate.resampling import adaptive

POLICY = {"version": 1, "name": "t", "task": "multiclass", "classes": ["a", "b", "c"],
          "data": {"slices": ["region"]}, "bootstrap": {"resamples": 1000},
          "gates": [{"metric": "recall", "class": "*", "min": 0.5}, {"metric": "accuracy", "slice": "region", "min": 0.5}]}


def evalset():
    rng = np.random.default_rng(0)
    y = rng.choice(["a", "b", "c"], size=300, p=[0.6, 0.3, 0.1])
    region = rng.choice(["eu", "us"], size=300)
    pred = np.where(rng.random(300) < 0.8, y, "a")
    pol = gate.load_policy(POLICY)
    cand = table_from_memory({"id": list(range(300)), "label": y.tolist(), "prediction": pred.tolist(),
                              "region": region.tolist()}, "<candidate>")
    return pol, build_evalset(pol, cand, None), y, region


def test_sizes_count_the_subset_its_class_and_its_smallest_class() -> None:
    pol, es, y, region = evalset()
    by_id = {g.id: g for g in expand_gates(pol, es)}
    recall_c = next(g for g in by_id.values() if g.class_name == "c")
    assert sizes(es, recall_c) == (300, int((y == "c").sum()), int((y == "c").sum()))
    eu = next(g for g in by_id.values() if g.slice == {"region": "eu"})
    in_eu = y[region == "eu"]
    assert sizes(es, eu) == (int(in_eu.size), None, min(int((in_eu == k).sum()) for k in "abc"))


def normal(center: float, sd: float, n: int = 1000, seed: int = 0) -> Series:
    reps = center + sd * np.random.default_rng(seed).standard_normal(n)
    return Series(center, False, reps, np.zeros(n, bool))


def measured(center: float, sd: float = 0.01, n: int = 500, **kw) -> Measured:
    pol, es, _, _ = evalset()
    g = expand_gates(pol, es)[0]               # recall[a] >= 0.5
    return Measured(g, normal(center, sd), None, n, **kw)


@pytest.mark.parametrize("center,settled", [(0.60, True), (0.40, True), (0.51, False), (0.50, False)])
def test_a_gate_settles_when_both_endpoints_are_far_from_the_bar(center: float, settled: bool) -> None:
    pol = gate.load_policy(POLICY)
    assert adaptive.settled(pol, measured(center), None, 1) is settled


def test_guarded_gates_settle_unless_more_draws_could_lift_the_guard() -> None:
    pol = gate.load_policy(POLICY)
    assert adaptive.settled(pol, measured(0.6, n=0), None, 1)              # no examples: never decided
    few = Series(0.6, False, np.repeat([0.59, 0.6, 0.61], 400), np.zeros(1200, bool))
    assert not adaptive.settled(pol, replace(measured(0.6), candidate=few), None, 1)   # degenerate so far


def test_the_endpoint_se_is_the_order_statistic_formula() -> None:
    """≈ 2.67·σ/√b at the 2.5% tail (statistics reference §2.4)."""
    from gate.inference.intervals import Distribution
    dist = Distribution(0.0, np.zeros(4000), 0, "percentile")
    assert adaptive.endpoint_se(dist, 0.025, 1.0) == pytest.approx(2.67 / np.sqrt(4000), rel=0.01)


def test_notes_name_a_small_class_and_a_decision_within_monte_carlo_error() -> None:
    pol = gate.load_policy(POLICY)
    p = pending(pol, measured(0.5002, sd=0.0001, support=40), None)
    d = Decision("pass", "clears_bar", (0.50002, 0.5004), 0.025, 0.01, None)
    notes = [note_text(n) for n in gate_notes(pol, p, d, "percentile")]
    assert notes[0].startswith(f"only 40 examples of the class: with fewer than {SMALL_SUPPORT}, percentile")
    assert notes[1].startswith("decided within Monte-Carlo error of the bar")
    drawn = replace(p, measured=replace(p.measured, candidate=replace(p.measured.candidate, drawn=600)))
    assert note_text(gate_notes(pol, drawn, d, "percentile")[-1]).startswith("adaptive: decided after 600 of 1000 resamples")


def test_too_few_resamples_for_a_holm_family_is_warned() -> None:
    pol = gate.load_policy({**POLICY, "decision": {"multiple_testing": "holm"}})
    gates = [make_gate("recall", gate_id=f"g{i}", p_value=0.01) for i in range(6)]
    [warning] = map(note_text, resample_warnings(pol, gates))
    assert "6 blocking gates share the holm adjustment" in warning and "at least 1200" in warning
    assert resample_warnings(pol, gates[:5]) == []          # 1000 >= 200 * 5


def test_the_timing_line_is_the_one_bench_parses(monkeypatch, capsys) -> None:
    line = timing.bootstrap_line(0.5, 1.25, 0.25, 2.0, ["one", "two"], 0.125, (700, 2000))
    boot = re.search(r"bootstrap ([\d.]+) s \(tables ([\d.]+) s; cpu ([\d.]+) s; ([^)]*)\)", line)   # bench/run.py
    assert boot is not None and boot.groups() == ("1.250", "0.250", "2.000", "2 independent components: one | two")
    assert re.search(r"prepare ([\d.]+) s", line).group(1) == "0.500"
    assert re.search(r"adaptive: drew (\d+) of (\d+) resamples", line).groups() == ("700", "2000")
    for value, on in (("", False), ("0", False), ("1", True)):
        monkeypatch.setenv("MODEL_GATE_TIMING", value)
        assert timing.enabled() is on
        timing.print_line("x")
        clock = timing.Clock()
        clock.lap("phase")
        clock.report(" (t)")
        err = capsys.readouterr().err
        assert bool(err) is on and (not on or re.fullmatch(r"x\nmodel-gate timing \(t\): phase [\d.]+ s\n", err))
