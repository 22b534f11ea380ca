"""ECE gates (issue 16, defect 2): the plug-in binned ECE is biased upward and its percentile
bootstrap doubly so, so a well calibrated model failed ``max: <true ECE>`` in nearly every run and a
candidate worse calibrated than its baseline falsely passed ``max_drop: <true delta>``. The interval
is now ``bias-bounded`` (gate/inference/calibration.py). Simulation-light checks on the populations of
validation/ece_study.py (exact population ECE), with Monte-Carlo bounds α/2 + 3 s.e.; the rule before
the fix (the percentile interval of the same replicates) is shown to break the same bound, so each
check can fail."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gate  # noqa: E402
from gate.inference.calibration import BiasBounded, bias_factor, ece_bias  # noqa: E402
from gate.inference.intervals import Distribution  # noqa: E402
from gate.render.notes import text as note_text  # noqa: E402
from validation import ece_study as E  # noqa: E402
from validation.population import _side  # noqa: E402

ALPHA = 0.025
REPS = 40
BOUND = ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / REPS)    # 9.9%: at most 3 of 40 runs


def _draw(k: float, n: int, rep: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y, s_c, s_b, prob = E.cells(k)
    idx = np.repeat(np.arange(prob.size), np.random.default_rng([16, rep]).multinomial(n, prob))
    return y[idx], s_c[idx], s_b[idx]


def _old(g) -> tuple[float, float]:
    """The percentile interval of the same replicates: the rule before the fix."""
    return Distribution(g.tested.value, np.asarray(g.distribution), 0, "percentile").interval(0.95)


def test_a_calibrated_model_does_not_falsely_fail_its_true_ece_ceiling():
    """Scores q with labels ~ Bernoulli(q): the population binned ECE is exactly 0. ``max: 0`` used to
    fail in every run (the plug-in is > 0, its bootstrap further up); now at most α/2 + 3 s.e."""
    assert E.truth(1.0)["candidate"] < 1e-12
    fails = old_fails = 0
    for rep in range(REPS):
        y, s, _ = _draw(1.0, 500, rep)
        g = gate.check_arrays({"metric": "ece", "max": 0.0}, y, (s >= 0.5).astype(int), s,
                              seed=rep, n_resamples=300).gates[0]
        assert g.interval_method == "bias-bounded"
        fails += g.status == "fail"
        old_fails += _old(g)[0] > 0.0
    assert fails / REPS <= BOUND
    assert old_fails / REPS > BOUND      # today's percentile rule fails (here: every run)


def test_a_worse_calibrated_candidate_does_not_falsely_pass_the_true_delta():
    """Candidate overconfident (k = 2, ECE 0.10), baseline calibrated (ECE 0), paired; ``max_drop`` at
    the true delta. The baseline's plug-in is inflated most (its bins sit at 0), so the plug-in delta
    is biased down and the percentile rule passed it falsely; the bias-bounded delta does not."""
    bar = E.truth(2.0)["delta"]
    passes = old_passes = 0
    for rep in range(REPS):
        y, s_c, s_b = _draw(2.0, 1_000, rep)
        g = gate.check_arrays({"metric": "ece", "max_drop": bar}, y, (s_c >= 0.5).astype(int), s_c,
                              baseline_pred=(s_b >= 0.5).astype(int), baseline_score=s_b,
                              seed=rep, n_resamples=300).gates[0]
        assert g.interval_method == "bias-bounded" and g.quantity == "delta"
        passes += g.status == "pass"
        old_passes += _old(g)[1] < bar
    assert passes / REPS <= BOUND
    assert old_passes / REPS > BOUND


def test_a_clearly_miscalibrated_model_still_fails_a_ceiling_below_its_ece():
    """The bias bound costs little where the bins are far from calibrated: ECE 0.10 fails ``max: 0.04``
    at n = 2,000 in every run."""
    for rep in range(5):
        y, s, _ = _draw(2.0, 2_000, rep)
        g = gate.check_arrays({"metric": "ece", "max": 0.04}, y, (s >= 0.5).astype(int), s,
                              seed=rep, n_resamples=300).gates[0]
        assert g.status == "fail", g.tested


@pytest.mark.parametrize("m", [0.0, 0.3, 1.0, 2.0, 4.0])
def test_bias_factor_is_the_expected_absolute_value_of_a_normal_minus_its_mean(m):
    expected = integrate.quad(lambda x: abs(x) * norm.pdf(x, loc=m), -np.inf, np.inf)[0] - m
    assert bias_factor(np.array([m]))[0] == pytest.approx(expected, abs=1e-9)


def test_bias_bounds_of_a_hand_computed_case():
    """Two bins. Bin 0 (confidence 0.01): five examples, one positive: d = (1 − 0.05)/10, second moment
    (0.99² + 4·0.01²)/10. Bin 14 (confidence 0.99): five positives: d = 5·0.01/10. n = 10."""
    y = np.array([1, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    s = np.array([0.01] * 5 + [0.99] * 5)
    side = _side("candidate", y, (s >= 0.5).astype(np.int64), s)
    lows, highs = 0.0, 0.0
    for xs in ([0.99, -0.01, -0.01, -0.01, -0.01], [0.01] * 5):
        x = np.array(xs)
        d, second = x.sum() / 10, (x * x).sum() / 10
        se_b = math.sqrt((second - d * d) / 10)
        z = abs(d) / se_b
        lows += se_b * float(bias_factor(np.array([z + 0.5]))[0])
        highs += se_b * float(bias_factor(np.array([max(z - 2.5, 0.0)]))[0])
    bias = ece_bias(side, np.arange(10))
    assert bias.low == pytest.approx(lows) and bias.high == pytest.approx(highs)
    assert bias.low < bias.high


def test_the_p_value_orders_gates_by_the_endpoint_that_decides_them():
    """Holm orders the family by each method's own p-value: a bias-bounded ceiling fails at tail α
    exactly when its p-value is at most α (the lower end's replicates), and for ``>=`` likewise with
    the upper end."""
    reps = np.random.default_rng(3).normal(0.05, 0.01, 999)
    d = BiasBounded(0.05, reps, 0, "bias-bounded", low_centre=0.03, high_centre=0.045)
    for t in (0.005, 0.01, 0.02, 0.03, 0.04):
        for alpha in (0.0025, 0.0125, 0.025):
            assert (d.lower(alpha) > t) == (d.p_value(t, "<=") <= alpha) or abs(d.lower(alpha) - t) < 1e-4
    assert d.lower(0.025) == pytest.approx(0.03 + np.quantile(reps, 0.025) - reps.mean())
    assert d.upper(0.025) == pytest.approx(0.045 + np.quantile(reps, 0.975) - reps.mean())
    assert d.p_value(0.07, ">=") == Distribution(0, reps - reps.mean() + 0.045, 0, "percentile").share_beyond(0.07, ">=")


def test_the_report_names_the_method_and_keeps_the_plug_in_estimate():
    """The point estimate stays the SPEC's plug-in (15 bins, L1); the candidate's interval, the
    tested interval and the note name the bias-bounded method; the report validates against the
    schema."""
    from gate.metrics import point_estimate
    from gate.report.reader import report_from_dict
    y, s, _ = _draw(1.25, 800, 0)
    report = gate.check_arrays({"metric": "ece", "max": 0.05}, y, (s >= 0.5).astype(int), s, seed=1, n_resamples=300)
    g = report.gates[0]
    value, _ = point_estimate("ece", y, (s >= 0.5).astype(np.int64), n_classes=2, scores=s)
    assert g.candidate.value == pytest.approx(value)
    assert g.candidate.ci == g.tested.ci and g.candidate.ci[0] < value - 0.005
    assert any("bias-bounded" in note_text(note) for note in g.notes)
    assert report_from_dict(report.to_dict()).gates[0].interval_method == "bias-bounded"
