"""Synthetic populations with known ground truth, and test sets drawn from them.

A *population* is a finite distribution over cells ``(label, candidate score, baseline score)`` with
probabilities. A test set of size N is N i.i.d. draws from it (one multinomial over the cells), so the
population metric values are the exact estimands: a metric of the population *is* the metric of the
weighted cell table, computed once with :func:`gate.metrics.point_estimate`.

Binary design (``binary_population``): label y ~ Bernoulli(prevalence); a shared latent u and private
noises e_c, e_b ~ N(0, 1); logit_m = d_m·y + √r·u + √(1−r)·e_m − 2 with r = 0.6 (the two models' errors
are correlated, as for two versions of one model); the score is sigmoid(logit) rounded to 2 decimals
(101 levels: realistic ties, and it keeps the number of distinct cells small enough that the engine's
multinomial-over-cells bootstrap applies even at N = 100,000). The predicted class is score >= t, with
t the threshold that maximises the candidate's population F1. With d_c = d_b the population is made
exactly symmetric in (candidate, baseline) by adding the swapped copy of every example, so the
candidate and the baseline are *exactly* equally good on every metric (true delta 0).

Multiclass design (``multiclass_population``): K equally likely classes; the predicted class is right
with probability ``accuracy`` and otherwise uniform over the other K−1 classes, independently for
candidate and baseline given the label (the candidate and the baseline have the same per-class recall,
exactly ``accuracy``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gate.data.align import EvalSet, Side
from gate.metrics import point_estimate
from gate.report.model import Artifact

METRICS = ("recall", "f1", "balanced_accuracy", "average_precision", "pr_auc", "roc_auc")
SCORE_DECIMALS = 2
CORRELATION = 0.6
OFFSET = 2.0
POPULATION_SIZE = 2_000_000


@dataclass
class Population:
    """Cells of a paired binary population: label, scores of both models, probability."""

    y: np.ndarray
    score_c: np.ndarray
    score_b: np.ndarray
    prob: np.ndarray
    threshold: float
    prevalence: float
    truth_c: dict[str, float] = field(default_factory=dict)
    truth_b: dict[str, float] = field(default_factory=dict)

    @property
    def truth_delta(self) -> dict[str, float]:
        return {m: self.truth_c[m] - self.truth_b[m] for m in self.truth_c}

    def pred(self, scores: np.ndarray) -> np.ndarray:
        return (scores >= self.threshold).astype(np.int64)


def _metric(metric: str, y: np.ndarray, scores: np.ndarray, threshold: float, w: np.ndarray) -> float:
    value, undefined = point_estimate(metric, y, (scores >= threshold).astype(np.int64), n_classes=2,
                                      scores=scores, sample_weight=w, class_index=None if metric ==
                                      "balanced_accuracy" else 1)
    assert not undefined, metric
    return value


def _best_threshold(y: np.ndarray, s: np.ndarray, w: np.ndarray) -> float:
    """The score level t maximising F1 of ``score >= t`` (vectorised over levels)."""
    levels, inverse = np.unique(s, return_inverse=True)
    pos = np.bincount(inverse, weights=w * (y == 1), minlength=levels.size)
    neg = np.bincount(inverse, weights=w * (y == 0), minlength=levels.size)
    tp = np.cumsum(pos[::-1])[::-1]          # positives with score >= level
    fp = np.cumsum(neg[::-1])[::-1]
    f1 = 2 * tp / (2 * tp + fp + (pos.sum() - tp))
    ok = (levels > 0.02) & (levels < 0.98)
    return float(levels[ok][np.argmax(f1[ok])])


def binary_population(prevalence: float, *, separation: float = 2.5, candidate_loss: float = 0.0,
                      seed: int = 20261122, size: int = POPULATION_SIZE,
                      threshold: float | None = None) -> Population:
    """A paired binary population; ``candidate_loss`` > 0 weakens the candidate (d_c = d − loss)."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, int(prevalence * 1e6)])))
    y = (rng.random(size) < prevalence).astype(np.int64)
    u, e_c, e_b = rng.standard_normal((3, size))
    shared = np.sqrt(CORRELATION) * u
    noise = np.sqrt(1.0 - CORRELATION)
    logit_c = (separation - candidate_loss) * y + shared + noise * e_c - OFFSET
    logit_b = separation * y + shared + noise * e_b - OFFSET
    levels = 10 ** SCORE_DECIMALS
    i_c = np.rint(levels / (1.0 + np.exp(-logit_c))).astype(np.int64)    # score = i / levels
    i_b = np.rint(levels / (1.0 + np.exp(-logit_b))).astype(np.int64)
    width = levels + 1
    counts = np.bincount((y * width + i_c) * width + i_b, minlength=2 * width * width).astype(np.float64)
    if candidate_loss == 0.0:       # exact symmetry: add every example's swapped copy
        counts = counts + counts.reshape(2, width, width).transpose(0, 2, 1).ravel()
    cells = np.flatnonzero(counts)
    counts = counts[cells]
    y_cell, rest = np.divmod(cells, width * width)
    c_cell, b_cell = np.divmod(rest, width)
    pop = Population(y_cell.astype(np.int64), np.round(c_cell / levels, SCORE_DECIMALS),
                     np.round(b_cell / levels, SCORE_DECIMALS), counts / counts.sum(), 0.5, prevalence)
    if threshold is None:
        threshold = _best_threshold(pop.y, pop.score_b, counts)
    pop.threshold = threshold
    w = counts
    pop.truth_c = {m: _metric(m, pop.y, pop.score_c, threshold, w) for m in METRICS}
    pop.truth_b = {m: _metric(m, pop.y, pop.score_b, threshold, w) for m in METRICS}
    return pop


def _side(role: str, y: np.ndarray, pred: np.ndarray, scores: np.ndarray | None) -> Side:
    n = y.size
    art = Artifact(role, f"<{role}>", "", "memory", n, n)
    ids = np.arange(n)
    return Side(role, art, ids, y, pred, scores, None, {}, n, n, ids)


def draw(pop: Population, n: int, rng: np.random.Generator) -> EvalSet:
    """A paired test set of ``n`` i.i.d. examples from the population."""
    counts = rng.multinomial(n, pop.prob)
    cells = np.repeat(np.arange(pop.prob.size), counts)
    y, s_c, s_b = pop.y[cells], pop.score_c[cells], pop.score_b[cells]
    cand = _side("candidate", y, pop.pred(s_c), s_c)
    base = _side("baseline", y, pop.pred(s_b), s_b)
    return EvalSet("binary", ("negative", "positive"), cand, base, "paired")


@dataclass
class MulticlassPopulation:
    k: int
    accuracy: float

    def draw(self, n: int, rng: np.random.Generator) -> EvalSet:
        y = rng.integers(0, self.k, n)
        sides = []
        for role in ("candidate", "baseline"):
            wrong = rng.random(n) >= self.accuracy
            other = (y + rng.integers(1, self.k, n)) % self.k
            sides.append(_side(role, y, np.where(wrong, other, y).astype(np.int64), None))
        classes = tuple(f"c{i:02d}" for i in range(self.k))
        return EvalSet("multiclass", classes, sides[0], sides[1], "paired")
