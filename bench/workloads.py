"""Seeded synthetic workloads for the benchmark (nothing here is committed data; files go to a temp dir).

- W1: binary, 10% prevalence, paired candidate/baseline whose scores share a latent variable
  (correlated models), scores written at float32 resolution (realistic ties), predictions from
  ``data.threshold``.
- W2: 20 classes (Zipf-like prior), paired, softmax scores written with 4 decimals (as typical
  exports; heavy ties at 0), a prediction column (arg-max).
- CM: the W1 files with a confusion-matrix-only policy.
- CI: the typical CI run: W1's data at 10^4 rows with 10 of its gates (no PR-AUC), B = 2,000.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

W1_GATES = """
gates:
  - {metric: recall, min: 0.30}
  - {metric: recall, max_drop: 0.02}
  - {metric: f1, min: 0.30}
  - {metric: f1, max_drop: 0.02}
  - {metric: balanced_accuracy, min: 0.60}
  - {metric: balanced_accuracy, max_drop: 0.02}
  - {metric: average_precision, min: 0.30}
  - {metric: average_precision, max_drop: 0.02}
  - {metric: pr_auc, min: 0.30}
  - {metric: pr_auc, max_drop: 0.02}
  - {metric: roc_auc, min: 0.70}
  - {metric: roc_auc, max_drop: 0.01}
"""

CM_GATES = """
gates:
  - {metric: recall, min: 0.30}
  - {metric: recall, max_drop: 0.02}
  - {metric: precision, max_drop: 0.02}
  - {metric: f1, max_drop: 0.02}
  - {metric: balanced_accuracy, max_drop: 0.02}
  - {metric: accuracy, max_drop: 0.01}
  - {metric: mcc, max_drop: 0.02}
"""

W2_GATES = """
gates:
  - {metric: recall, class: "*", min: 0.50}
  - {metric: average_precision, class: "*", min: 0.50}
  - {metric: f1, average: macro, max_drop: 0.01}
"""


def _policy(name: str, task: str, resamples: int, gates: str, extra: str = "") -> str:
    return (f"version: 1\nname: {name}\ntask: {task}\n{extra}"
            f"bootstrap:\n  resamples: {resamples}\n  confidence: 0.95\n  method: percentile\n  seed: 11\n"
            f"  pairing: auto\n  stratify: false\n"
            f"decision:\n  inconclusive: warn\n  multiple_testing: holm\n{gates}")


def binary_arrays(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    """Labels and the two models' float32 scores (candidate a little better than the baseline)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.10).astype(np.int64)
    shared = rng.normal(0, 1, n)
    cand = 1.9 * y + 0.8 * shared + 0.6 * rng.normal(0, 1, n) - 2.0
    base = 1.7 * y + 0.8 * shared + 0.6 * rng.normal(0, 1, n) - 2.0
    to_p = lambda z: (1.0 / (1.0 + np.exp(-z))).astype(np.float32).astype(np.float64)  # noqa: E731
    return {"y": y, "cand": to_p(cand), "base": to_p(base)}


def write_binary(dir_: Path, n: int, resamples: int, seed: int = 1) -> dict[str, Path]:
    a = binary_arrays(n, seed)
    ids = np.char.add("r", np.arange(n).astype(str))
    paths = {}
    for role in ("cand", "base"):
        path = dir_ / f"w1_{role}.csv"
        scores = np.char.mod("%.9g", a[role])
        rows = np.char.add(np.char.add(np.char.add(ids, ","), a["y"].astype(str)), ",")
        text = "\n".join(np.char.add(rows, scores).tolist())
        path.write_text("id,label,score\n" + text + "\n")
        paths[role] = path
    extra = "positive_class: \"1\"\nclasses: [\"0\", \"1\"]\ndata:\n  threshold: 0.3\n"
    paths["policy"] = dir_ / "w1.yml"
    paths["policy"].write_text(_policy("w1", "binary", resamples, W1_GATES, extra))
    paths["cm_policy"] = dir_ / "cm.yml"
    paths["cm_policy"].write_text(_policy("cm-only", "binary", resamples, CM_GATES, extra))
    return paths


def write_ci(dir_: Path, n: int = 10_000, resamples: int = 2000) -> dict[str, Path]:
    """The typical CI run: W1 at ``n`` rows, its gates without the two PR-AUC ones (10 gates)."""
    dir_.mkdir(parents=True, exist_ok=True)
    paths = write_binary(dir_, n, resamples)
    gates = "\n".join(ln for ln in W1_GATES.splitlines() if "pr_auc" not in ln)
    extra = "positive_class: \"1\"\nclasses: [\"0\", \"1\"]\ndata:\n  threshold: 0.3\n"
    paths["policy"] = dir_ / "ci.yml"
    paths["policy"].write_text(_policy("ci", "binary", resamples, gates, extra))
    return paths


def multiclass_arrays(n: int, k: int = 20, seed: int = 2) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    prior = 1.0 / np.arange(1, k + 1) ** 0.7
    y = rng.choice(k, size=n, p=prior / prior.sum())
    shared = rng.normal(0, 1, (n, k))
    onehot = np.eye(k)[y]

    def probs(signal: float) -> np.ndarray:
        logits = signal * onehot + 0.9 * shared + 0.7 * rng.normal(0, 1, (n, k))
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return np.round(e / e.sum(axis=1, keepdims=True), 4)
    return {"y": y, "cand": probs(2.6), "base": probs(2.4)}


def write_multiclass(dir_: Path, n: int, resamples: int, k: int = 20, seed: int = 2) -> dict[str, Path]:
    a = multiclass_arrays(n, k, seed)
    names = [f"c{i:02d}" for i in range(k)]
    paths = {}
    for role in ("cand", "base"):
        path = dir_ / f"w2_{role}.csv"
        s = a[role]
        pred = np.argmax(s, axis=1)
        with path.open("w") as fh:
            fh.write("id,label,prediction," + ",".join(f"score_{c}" for c in names) + "\n")
            step = 100_000
            for lo in range(0, n, step):
                hi = min(n, lo + step)
                cols = [np.char.add("r", np.arange(lo, hi).astype(str)),
                        np.array(names)[a["y"][lo:hi]], np.array(names)[pred[lo:hi]]]
                cols += [np.char.mod("%.4f", s[lo:hi, j]) for j in range(k)]
                line = cols[0]
                for c in cols[1:]:
                    line = np.char.add(np.char.add(line, ","), c)
                fh.write("\n".join(line.tolist()) + "\n")
        paths[role] = path
    extra = "classes: [" + ", ".join(names) + "]\n"
    paths["policy"] = dir_ / "w2.yml"
    paths["policy"].write_text(_policy("w2", "multiclass", resamples, W2_GATES, extra))
    return paths
