"""DeLong's analytic variance of ROC-AUC and of a paired ROC-AUC difference (DeLong, DeLong &
Clarke-Pearson 1988; the fast midrank form of Sun & Xu 2014). Ties count one half, as in
scikit-learn's ``roc_auc_score``. Used as an anchor in the validity study."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata


def _components(y: np.ndarray, score: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    pos, neg = score[y == 1], score[y == 0]
    m, n = pos.size, neg.size
    all_ranks = rankdata(np.concatenate([pos, neg]))
    v10 = (all_ranks[:m] - rankdata(pos)) / n          # per positive: share of negatives below (ties ½)
    v01 = 1.0 - (all_ranks[m:] - rankdata(neg)) / m    # per negative: share of positives above
    return float(v10.mean()), v10, v01


def delong(y: np.ndarray, scores: list[np.ndarray], confidence: float = 0.95) -> dict:
    """AUCs of each score vector, their DeLong covariance, and Wald intervals for each AUC and for
    ``AUC[0] − AUC[1]`` (when two are given). None where undefined (one class only)."""
    m, n = int(np.count_nonzero(y == 1)), int(np.count_nonzero(y == 0))
    if m < 2 or n < 2:
        return {"auc": None}
    parts = [_components(y, s) for s in scores]
    aucs = np.array([p[0] for p in parts])
    v10 = np.vstack([p[1] for p in parts])
    v01 = np.vstack([p[2] for p in parts])
    cov = np.atleast_2d(np.cov(v10)) / m + np.atleast_2d(np.cov(v01)) / n
    z = float(ndtri(0.5 + confidence / 2))
    out = {"auc": aucs.tolist(),
           "ci": [(a - z * np.sqrt(cov[i, i]), a + z * np.sqrt(cov[i, i])) for i, a in enumerate(aucs)]}
    if len(scores) == 2:
        diff = aucs[0] - aucs[1]
        se = float(np.sqrt(max(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1], 0.0)))
        out["delta"] = float(diff)
        out["delta_ci"] = (diff - z * se, diff + z * se)
    return out
