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

Run: ``python -m validation.binned_bounds [--rows 20000] [--seeds 5]`` (a few seconds; prints a
table, the largest error/bound ratio and whether any error exceeded its bound).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_auc_score

from gate.metrics import binned as bounds
from gate.metrics import formulas
from gate.metrics.compiler import descending_groups

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


def summary(results: list[dict]) -> str:
    lines = ["| distribution | bins | metric | max error | max bound | max error/bound |", "|---|---|---|---|---|---|"]
    keys = sorted({(r["kind"], r["bins"], r["metric"]) for r in results}, key=lambda t: (t[0], t[1], t[2]))
    for kind, k, metric in keys:
        rs = [r for r in results if (r["kind"], r["bins"], r["metric"]) == (kind, k, metric)]
        err, bnd = max(r["error"] for r in rs), max(r["bound"] for r in rs)
        ratio = max(r["error"] / r["bound"] if r["bound"] > 0 else 0.0 for r in rs)
        lines.append(f"| {kind} | {k} | {metric} | {err:.2e} | {bnd:.2e} | {ratio:.2f} |")
    worst = max(r["error"] / r["bound"] if r["bound"] > 0 else (0.0 if r["error"] == 0 else np.inf) for r in results)
    exceeded = sum(r["error"] > r["bound"] * (1 + 1e-9) + 1e-12 for r in results)
    lines.append("")
    lines.append(f"{len(results)} cases; largest error/bound {worst:.3f}; errors above their bound: {exceeded}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--bins", type=int, nargs="+", default=[10, 100, 1000])
    args = parser.parse_args(argv)
    results = study(args.rows, args.seeds, tuple(args.bins))
    print(summary(results))
    return 0 if all(r["error"] <= r["bound"] * (1 + 1e-9) + 1e-12 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
