"""The "~n labeled examples would likely decide it" hint is an 80%-power sample size.

Draw a test set whose accuracy gate straddles its bar, read the hint, then rerun the gate many times
on fresh test sets of the hinted size drawn from a population whose accuracy is the first estimate
(the hint's own assumption): about 80% of the reruns must decide (pass or fail), and at least 75%.
Before the hint was a power calculation it put the interval's edge on the bar, and about half decided.
"""

from __future__ import annotations

import numpy as np

import gate

BAR = 0.80
RERUNS = 160


def _accuracy_gate(correct: np.ndarray, seed: int) -> gate.GateResult:
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, correct.size)
    y_pred = np.where(correct, y_true, 1 - y_true)
    report = gate.check_arrays({"metric": "accuracy", "min": BAR}, y_true, y_pred, n_resamples=1000, seed=seed)
    return report.gates[0]


def test_reruns_at_the_hinted_size_decide_with_80_percent_power():
    rng = np.random.default_rng(2024)
    first = next(g for g in (_accuracy_gate(rng.uniform(size=500) < 0.815, seed=s) for s in range(20))
                 if g.status == "inconclusive" and g.candidate.value > BAR)
    assert first.needed_n is not None
    truth, n = first.candidate.value, first.needed_n
    assert n > 500
    decided = sum(_accuracy_gate(rng.uniform(size=n) < truth, seed=10 + r).status != "inconclusive"
                  for r in range(RERUNS))
    share = decided / RERUNS
    assert 0.75 <= share <= 0.90, f"{decided} of {RERUNS} reruns at n = {n:,} decided"
