"""ECE's bias-bounded interval (gate/inference/calibration.py) with sample weights, and the report's
note on an interval wider than nominal (issue 16; docs/validity.md §15).

- The bins' standard errors are those of a weighted mean, ``Σ w²(z − d)² / (Σ w)²``: scaling every
  weight leaves the interval unchanged (before, the weight total was read as a number of examples, so
  weights of 10 shrank the bias bounds √10-fold and weights of 0.1 widened them).
- A gate whose bias bounds add more than ``ECE_EXCESS`` of the bootstrap's own width is noted as
  conservative; one whose bins are far from calibration is not.
"""

from __future__ import annotations

import numpy as np
import pytest

import gate
from gate.inference.calibration import bias_factor
from gate.render.notes import text as note_text
from gate.report.notes import ECE_EXCESS


def calibrated(n: int, seed: int, sharpness: float = 1.0):
    """Scores q ~ Beta(1.5, 3), labels ~ Bernoulli(q); the stated score sharpened by ``sharpness``
    on the logit scale (1: calibrated)."""
    rng = np.random.default_rng(seed)
    q = rng.beta(1.5, 3, n)
    y = (rng.random(n) < q).astype(int)
    s = 1 / (1 + np.exp(-sharpness * np.log(q / (1 - q))))
    return y, s


def ece_gate(y, s, weight=None, bar: float = 0.05, resamples: int = 400):
    report = gate.check_arrays({"metric": "ece", "max": bar}, y, (s >= 0.5).astype(int), s,
                               sample_weight=weight, n_resamples=resamples, seed=2)
    return report.gates[0]


def reference_bounds(y, s, w) -> tuple[float, float]:
    """The bias bounds from their definition, bin by bin, with the weighted mean's standard error."""
    x = y - s
    bins = np.minimum((s * 15).astype(int), 14)
    low = high = 0.0
    for b in range(15):
        z = x * (bins == b)
        d = np.sum(w * z) / np.sum(w)
        se = np.sqrt(np.sum(w ** 2 * (z - d) ** 2)) / np.sum(w)
        if se > 0:
            m = abs(d) / se
            low += se * float(bias_factor(np.array(m + 0.5)))
            high += se * float(bias_factor(np.array(max(m - 2.5, 0.0))))
    return low, high


@pytest.mark.parametrize("scale", [10.0, 0.1])
def test_scaling_every_weight_leaves_the_interval_unchanged(scale):
    y, s = calibrated(2000, 0)
    plain = ece_gate(y, s)
    scaled = ece_gate(y, s, np.full(y.size, scale))
    assert scaled.tested.value == pytest.approx(plain.tested.value, abs=1e-12)
    assert scaled.tested.ci == pytest.approx(plain.tested.ci, abs=1e-9)


def test_weighted_bias_bounds_match_their_definition():
    from gate.data.align import Artifact, Side
    from gate.inference.calibration import ece_bias
    y, s = calibrated(3000, 1, sharpness=1.5)
    w = np.random.default_rng(2).choice([0.5, 1.0, 3.0], y.size)
    art = Artifact("candidate", "<c>", "", "memory", y.size, y.size)
    side = Side("candidate", art, np.arange(y.size), y, (s >= 0.5).astype(int), s, w, {}, y.size, y.size)
    bounds = ece_bias(side, np.arange(y.size))
    low, high = reference_bounds(y.astype(float), s, w)
    assert (bounds.low, bounds.high) == pytest.approx((low, high), rel=1e-9)


def _excess_note(g) -> str | None:
    """The conservative note's words (gate/render/notes.py), None without one."""
    return next((note_text(n) for n in g.notes if n.code == "ece_conservative"), None)


def test_a_gate_near_calibration_is_noted_conservative():
    g = ece_gate(*calibrated(1000, 3))
    note = _excess_note(g)
    assert note is not None and "covers more than 95%" in note and "under-cover" not in note


def test_bins_far_from_calibration_get_no_note():
    """Strongly overconfident scores on 50,000 examples: every populated bin sits many standard errors
    from calibrated, the bias bounds agree, and the interval is the bootstrap's own."""
    y, s = calibrated(50_000, 4, sharpness=3.0)
    g = ece_gate(y, s, bar=0.2)
    assert _excess_note(g) is None
    reps = np.asarray(g.distribution)
    lo, hi = g.tested.ci
    assert (hi - lo) <= (1 + ECE_EXCESS) * float(np.quantile(reps, 0.975) - np.quantile(reps, 0.025))


def test_the_note_states_the_added_width():
    """The noted width is the gap between the bias bounds: the interval's width less the replicates'."""
    g = ece_gate(*calibrated(1000, 5))
    note = _excess_note(g)
    assert note is not None
    reps = np.asarray(g.distribution)
    lo, hi = g.tested.ci
    added = (hi - lo) - float(np.quantile(reps, 0.975) - np.quantile(reps, 0.025))
    assert f"by {added:.2g}" in note
