"""Data for the engine-path tests of binned scores and clusters (DuckDB: tests/test_engines_binned.py,
tests/test_engines_clusters.py; Spark: tests/test_engines_spark.py): continuous scores (every row its
own score, so the exact cells are over a small cell limit and the scores are binned), and paired
tables with a cluster column."""

from __future__ import annotations

import numpy as np

BINNED_POLICY = {
    "version": 1, "name": "binned", "task": "binary", "positive_class": "1", "classes": ["0", "1"],
    "data": {"slices": ["region"]},
    "bootstrap": {"resamples": 300, "seed": 7},
    "gates": [{"metric": "roc_auc", "max_drop": 0.05}, {"metric": "average_precision", "min": 0.5},
              {"metric": "pr_auc", "max_relative_drop": 0.1}, {"metric": "roc_auc", "slice": "region", "min": 0.6},
              {"metric": "roc_auc", "average": "macro", "min": 0.6},
              {"metric": "average_precision", "average": "weighted", "max_drop": 0.1},
              {"metric": "precision_at_recall", "at_recall": 0.5, "min": 0.5},
              {"metric": "recall_at_precision", "at_precision": 0.7, "max_drop": 0.2},
              {"metric": "interpolated_ap", "interpolation": "voc11", "min": 0.5},
              {"metric": "recall", "min": 0.5}, {"metric": "accuracy", "max_drop": 0.05},
              {"metric": "label_coverage", "min": 0.5}],
}
BINNED = ("roc_auc", "average_precision", "pr_auc", "interpolated_ap", "precision_at_recall", "recall_at_precision")
LIMITS = {"MODEL_GATE_MAX_ENGINE_CELLS": "5000", "MODEL_GATE_ENGINE_SCORE_BINS": "30"}


def continuous(n: int = 6000, seed: int = 0, prediction: bool = True):
    """Paired candidate and baseline tables with continuous scores (one distinct value per row),
    10% unlabeled rows, a region slice; the prediction column from score ≥ 0.5 unless ``prediction``
    is False (then the gate predicts from the scores)."""
    import pyarrow as pa
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    labels = [None if u else str(v) for v, u in zip(y, rng.random(n) < 0.1)]
    ids = [f"r{i:06d}" for i in range(n)]
    region = rng.choice(["eu", "us"], n)
    shared = rng.normal(0, 1, n)
    out = []
    for skill in (1.2, 1.0):
        score = 1.0 / (1.0 + np.exp(-(0.7 * shared + 0.7 * rng.normal(0, 1, n) + skill * (2 * y - 1))))
        columns = {"id": ids, "label": labels, "score": score, "region": region}
        if prediction:
            columns["prediction"] = [str(int(s >= 0.5)) for s in score]
        out.append(pa.table(columns))
    return out[0], out[1]


def clustered(n: int = 3000, seed: int = 0, users: int = 400):
    """``paired`` tables with a ``user`` column (clusters of ~n/users rows), unlabeled rows without
    a user now and then (each its own cluster), weights dropped (integer sums)."""
    import pyarrow as pa

    from tests.engine_data import paired
    cand, base = paired(n=n, seed=seed)
    rng = np.random.default_rng(seed + 100)
    user = [f"u{u:04d}" for u in rng.integers(0, users, n)]
    labels = cand.column("label").to_pylist()
    user = [None if lab is None and rng.random() < 0.3 else u for u, lab in zip(user, labels)]
    return [t.drop_columns(["weight"]).append_column("user", pa.array(user)) for t in (cand, base)]


CALIBRATION_POLICY = {
    **BINNED_POLICY, "name": "calibration", "decision": {"multiple_testing": "none"},
    "gates": [{"metric": "ece", "max": 0.2}, {"metric": "ece", "max_drop": 0.05},
              {"metric": "brier", "max_drop": 0.02}, {"metric": "brier", "slice": "region", "max": 0.2},
              {"metric": "log_loss", "max": 0.6}, {"metric": "log_loss", "max_relative_drop": 0.2},
              {"metric": "roc_auc", "min": 0.6}, {"metric": "recall", "min": 0.5}, {"metric": "accuracy", "max_drop": 0.05}],
}
"""Calibration gates (binned past the cell limit, from the cells' score sums) beside a ranking and
exact gates; without multiple testing, so an exact gate's interval does not depend on the others'."""
CALIBRATION = ("ece", "brier", "log_loss")


def file_and_engine(tmp_path, policy: dict, tables) -> tuple[dict, dict]:
    """The report dicts of the file path and of the DuckDB engine path on ``tables`` (candidate,
    baseline) written as Parquet files, the engine's checked to have paired them."""
    import gate
    from tests.engine_data import report_dict, write_file
    files = [write_file(t, tmp_path / f"{r}.parquet") for r, t in zip("cb", tables)]
    by_file = report_dict(gate.check(policy, *files))
    by_engine = report_dict(gate.check(policy, *(f"parquet:{f}" for f in files)))
    assert by_engine["data"]["pairing"] == "paired"
    return by_file, by_engine
