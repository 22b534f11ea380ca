"""Equality at the bar: an interval whose pass-side end lies exactly on the bar passes (the policy
says ``min: 0.9``, i.e. "at least 0.9"), and one whose fail-side end lies exactly on it does not
fail. Pinned at the decision rule and end to end through the public API."""

from __future__ import annotations

import numpy as np
import pytest

import gate
from gate.inference.decide import Check, decide_all
from gate.inference.intervals import Distribution


def _replicates_with_block(bar: float, side: str) -> np.ndarray:
    """4,000 replicates: a block of 200 (5%) exactly at ``bar`` on one end, the rest beyond it."""
    rng = np.random.default_rng(3)
    spread = rng.uniform(0.001, 0.1, 3800)
    rest = bar + spread if side == "low" else bar - spread
    return np.sort(np.concatenate([np.full(200, bar), rest]))


@pytest.mark.parametrize("op, side", [(">=", "low"), ("<=", "high")])
def test_pass_side_end_on_the_bar_passes(op, side):
    reps = _replicates_with_block(0.9, side)
    dist = Distribution(float(np.median(reps)), reps, 0, "percentile")
    [decision] = decide_all([Check(dist, op, 0.9, True, 1000)], 0.95, "holm")
    assert (dist.lower(0.025) if op == ">=" else dist.upper(0.025)) == 0.9
    assert decision.status == "pass"


@pytest.mark.parametrize("op, side", [(">=", "high"), ("<=", "low")])
def test_fail_side_end_on_the_bar_does_not_fail(op, side):
    reps = _replicates_with_block(0.9, side)
    dist = Distribution(float(np.median(reps)), reps, 0, "percentile")
    [decision] = decide_all([Check(dist, op, 0.9, True, 1000)], 0.95, "none")
    assert (dist.upper(0.025) if op == ">=" else dist.lower(0.025)) == 0.9
    assert decision.status == "inconclusive"


def test_a_perfect_recall_cannot_show_a_bar_of_one():
    """End to end: 600 of 600 positives found. Recall is decided on the Clopper–Pearson interval,
    whose lower end for x = n is (α/2)^(1/n) < 1, so ``min: 1.0`` (no miss, ever) cannot be shown
    by finite data: inconclusive, never a pass on a bootstrap collapsed to [1, 1]; ``min`` at that
    lower end exactly passes (equality at the bar)."""
    y_true = np.tile([0, 1, 1, 0, 1], 200)
    [never] = gate.check_arrays([{"metric": "recall", "min": 1.0}], y_true, y_pred=y_true, seed=2,
                                n_resamples=300).gates
    assert never.interval_method == "clopper-pearson" and never.status == "inconclusive"
    assert never.candidate.ci[0] == pytest.approx(0.025 ** (1 / 600), abs=1e-12) and never.candidate.ci[1] == 1.0
    [at_bar] = gate.check_arrays([{"metric": "recall", "min": never.candidate.ci[0]}], y_true, y_pred=y_true,
                                 seed=2, n_resamples=300).gates
    assert at_bar.status == "pass"
