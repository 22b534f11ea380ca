"""Binned ranking metrics against the exact ones: does every error stay within the bound that
gate/metrics/binned.py proves, and how tight is it? (docs/scale.md, "Binned ranking gates").

For each score distribution, bin count and seed: the exact ROC-AUC / AP / PR-AUC of the raw scores
(scikit-learn, checked equal to model-gate's formulas) and interpolated AP (COCO 101 points),
precision at recall 0.8 and recall at precision 0.8 (model-gate's formulas on the raw scores' tie
groups; scikit-learn has none), the same metrics on the scores replaced by
their bin's lower edge with the engine path's rule (gate/engines/bins.py: edges at the values of
positions ``1 + ⌊j·n/k⌋`` of the sorted scores), and the bound. Distributions:

- ``separated``: positives ~ N(1, 1), negatives ~ N(0, 1) (a realistic model), 30% positives;
- ``rare``: the same with 1% positives;
- ``ties``: scores rounded to 3 decimals (many exact ties inside bins);
- ``adversarial-up`` / ``adversarial-down``: inside every bin the positives are ranked above
  (below) every negative, the order binning loses, so the error is as large as bins allow;
- ``uninformative``: scores independent of the labels.

The calibration metrics (ECE, Brier, log-loss; probabilities ``sigmoid(score)``) are compared on
bootstrap replicates, where their bound is needed (their point estimates come from the cells' exact
score sums): the cells are the engine path's (label × quantile bin, the ECE boundaries among the
edges); each of 100 replicates weighs the rows by Poisson(1) and each cell by the sum of its rows'
weights (a Poisson(m) draw), and the exact metric of the weighted rows (scikit-learn's
``brier_score_loss`` and ``log_loss`` with sample weights; ECE by its definition) is compared with the
binned one and that replicate's bound.

Run: ``python -m validation.binned_bounds [--rows 20000] [--seeds 5]`` (a few seconds; prints a
table, the largest error/bound ratio and whether any error exceeded its bound).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from sklearn.metrics import (
    auc,
    average_precision_score,
    brier_score_loss,
    log_loss,
    precision_recall_curve,
    roc_auc_score,
)

from gate.data.align import Artifact, CellScores, Side
from gate.metrics import binned as bounds
from gate.metrics import formulas
from gate.metrics.compiler import (
    brier_terms,
    calibration_inputs,
    confidence_bins,
    descending_groups,
    ece_edges,
    log_loss_terms,
)

METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "roc_auc": roc_auc_score,
    "average_precision": average_precision_score,
    "pr_auc": lambda y, s: float(auc(*precision_recall_curve(y, s)[1::-1])),
}
FORMULAS = {"roc_auc": formulas.roc_auc, "average_precision": formulas.average_precision, "pr_auc": formulas.pr_auc,
            "interpolated_ap": lambda p, n: formulas.interpolated_ap(p, n, "coco101"),
            "precision_at_recall": lambda p, n: formulas.precision_at_recall(p, n, 0.8),
            "recall_at_precision": lambda p, n: formulas.recall_at_precision(p, n, 0.8)}
PARAMS = {"interpolation": "coco101", "at_recall": 0.8, "at_precision": 0.8}


def edges(scores: np.ndarray, k: int) -> np.ndarray:
    """The engine path's quantile edges: the sorted scores' values at positions 1 + ⌊j·n/k⌋."""
    ordered = np.sort(scores)
    n = ordered.size
    return np.unique(ordered[[(j * n) // k for j in range(k)]])


def binned(scores: np.ndarray, k: int) -> np.ndarray:
    """Each score replaced by its bin's lower edge."""
    e = edges(scores, k)
    return e[np.searchsorted(e, scores, side="right") - 1]


def group_counts(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positives and negatives per tie group, descending score (as a ranking block holds them)."""
    g = descending_groups(s)
    size = int(g.max()) + 1
    pos = np.bincount(g, weights=y, minlength=size)
    neg = np.bincount(g, weights=1 - y, minlength=size)
    return pos[None, :], neg[None, :]


def sample(kind: str, n: int, rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and scores of one distribution (module docstring)."""
    share = 0.01 if kind == "rare" else 0.3
    y = (rng.random(n) < share).astype(np.float64)
    if kind == "uninformative":
        return y, rng.random(n)
    s = rng.normal(y, 1.0)
    if kind == "ties":
        s = np.round(s, 3)
    if kind.startswith("adversarial"):
        # keep each score's bin, reorder inside it: positives on top (up) or at the bottom (down)
        e = edges(s, k)
        b = np.searchsorted(e, s, side="right") - 1
        hi = np.append(e[1:], e[-1] + 1.0)
        width = hi[b] - e[b]
        inside = rng.random(n) * 0.5 + (y * 0.5 if kind == "adversarial-up" else (1 - y) * 0.5)
        s = e[b] + width * inside * 0.999
    return y, s


def study(rows: int, seeds: int, bins: tuple[int, ...]) -> list[dict]:
    out = []
    for kind in ("separated", "rare", "ties", "adversarial-up", "adversarial-down", "uninformative"):
        for k in bins:
            for seed in range(seeds):
                rng = np.random.default_rng([seed, k, len(kind)])
                y, s = sample(kind, rows, rng, k)
                sb = binned(s, k)
                pos, neg = group_counts(y, sb)
                exact_pos, exact_neg = group_counts(y, s)
                for name, formula in FORMULAS.items():
                    exact = float(formula(exact_pos, exact_neg)[0][0])
                    approx = float(formula(pos, neg)[0][0])
                    if name in METRICS:      # model-gate's formulas are scikit-learn's
                        assert abs(exact - float(METRICS[name](y, s))) < 1e-9, (kind, k, name)
                        assert abs(approx - float(METRICS[name](y, sb))) < 1e-9, (kind, k, name)
                    bound = float(bounds.bound_of(name, PARAMS)(pos, neg)[0][0])
                    out.append({"kind": kind, "bins": k, "seed": seed, "metric": name, "exact": exact,
                                "binned": approx, "error": abs(approx - exact), "bound": bound})
    return out


def calibration_cells(y: np.ndarray, s: np.ndarray, bin_edges: np.ndarray) -> tuple[Side, np.ndarray]:
    """The rows (labels ``y`` in {0, 1}, probabilities ``s``) as the engine path's binned cells, one
    per (label, bin of ``bin_edges``): each cell's score is its bin's lower edge, its sums and
    smallest and largest score those of its rows (exact here: plain float sums of few rows); and
    each row's cell."""
    b = np.searchsorted(bin_edges, s, side="right") - 1
    keys, cell = np.unique(2 * b + y.astype(np.int64), return_inverse=True)
    low = np.full(keys.size, np.inf)
    np.minimum.at(low, cell, s)
    high = np.full(keys.size, -np.inf)
    np.maximum.at(high, cell, s)
    sums = CellScores(np.bincount(cell, s), np.bincount(cell, s * s), low, high)
    edge = bin_edges[keys // 2]
    art = Artifact("candidate", "<cells>", "", "memory", y.size, y.size)
    side = Side("candidate", art, np.arange(keys.size), (keys % 2).astype(np.int64), (edge >= 0.5).astype(np.int64),
                edge, None, {}, y.size, y.size, counts=np.bincount(cell), score_bins=bin_edges.size, cell_scores=sums)
    return side, cell


def calibration_edges(s: np.ndarray, k: int) -> np.ndarray:
    """The engine path's edges of probabilities with an ECE gate: quantile edges, 0.5 (the threshold)
    and the ECE boundaries."""
    return np.unique(np.concatenate([edges(s, k), [0.5], ece_edges()]))


def ece_of(conf: np.ndarray, correct: np.ndarray, bins: np.ndarray, w: np.ndarray) -> float:
    """ECE by its definition (15 bins): Σ_b |Σ w·(correct − confidence)| / Σ w."""
    return float(np.abs(np.bincount(bins, w * (correct - conf), 15)).sum() / w.sum())


def calibration_replicates(y: np.ndarray, s: np.ndarray, k: int, rng: np.random.Generator,
                           resamples: int = 100) -> dict[str, tuple[float, float, float]]:
    """Per calibration metric, the largest |exact − binned|, bound and error/bound over the replicates."""
    side, cell = calibration_cells(y, s, calibration_edges(s, k))
    conf, correct = calibration_inputs(side)
    spreads = {m: bounds.calibration_spread(side, m) for m in bounds.CALIBRATION_BOUNDED}
    out = dict.fromkeys(bounds.CALIBRATION_BOUNDED, (0.0, 0.0, 0.0))
    for _ in range(resamples):
        p = rng.poisson(1.0, y.size).astype(np.float64)
        w = np.bincount(cell, p, side.y.size)
        exact = {"ece": ece_of(s, y, confidence_bins(side)[cell], p), "brier": brier_score_loss(y, s, sample_weight=p),
                 "log_loss": log_loss(y, s, sample_weight=p, labels=[0, 1])}
        binned = {"ece": ece_of(conf, correct, confidence_bins(side), w),
                  "brier": float(w @ brier_terms(side, None) / w.sum()), "log_loss": float(w @ log_loss_terms(side) / w.sum())}
        for m in out:
            error, bound = abs(exact[m] - binned[m]), float(w @ spreads[m] / w.sum())
            out[m] = (max(out[m][0], error), max(out[m][1], bound), max(out[m][2], error / bound))
    return out


def calibration_study(rows: int, seeds: int, bins: tuple[int, ...]) -> list[dict]:
    out = []
    for kind in ("separated", "rare", "ties", "uninformative"):
        for k in bins:
            for seed in range(seeds):
                rng = np.random.default_rng([seed, k, len(kind), 1])
                y, s = sample(kind, rows, rng, k)
                p = 1.0 / (1.0 + np.exp(-s)) if kind != "uninformative" else s
                for metric, (error, bound, ratio) in calibration_replicates(y, p, k, rng).items():
                    out.append({"kind": kind, "bins": k, "seed": seed, "metric": metric, "error": error,
                                "bound": bound, "ratio": ratio})
    return out


def _ratio(r: dict) -> float:
    """A case's error/bound: a calibration case's largest over its replicates (each against its own bound)."""
    if "ratio" in r:
        return float(r["ratio"])
    return r["error"] / r["bound"] if r["bound"] > 0 else (0.0 if r["error"] == 0 else np.inf)


def _within(r: dict) -> bool:
    if "ratio" in r:
        return bool(r["ratio"] <= 1 + 1e-9)
    return bool(r["error"] <= r["bound"] * (1 + 1e-9) + 1e-12)


def summary(results: list[dict]) -> str:
    lines = ["| distribution | bins | metric | max error | max bound | max error/bound |", "|---|---|---|---|---|---|"]
    keys = sorted({(r["kind"], r["bins"], r["metric"]) for r in results}, key=lambda t: (t[0], t[1], t[2]))
    for kind, k, metric in keys:
        rs = [r for r in results if (r["kind"], r["bins"], r["metric"]) == (kind, k, metric)]
        err, bnd = max(r["error"] for r in rs), max(r["bound"] for r in rs)
        ratio = max(_ratio(r) for r in rs)
        lines.append(f"| {kind} | {k} | {metric} | {err:.2e} | {bnd:.2e} | {ratio:.2f} |")
    worst = max(_ratio(r) for r in results)
    exceeded = sum(not _within(r) for r in results)
    lines.append("")
    lines.append(f"{len(results)} cases; largest error/bound {worst:.3f}; errors above their bound: {exceeded}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--bins", type=int, nargs="+", default=[10, 100, 1000])
    args = parser.parse_args(argv)
    results = study(args.rows, args.seeds, tuple(args.bins)) + calibration_study(args.rows, args.seeds, tuple(args.bins))
    print(summary(results))
    return 0 if all(_within(r) for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
