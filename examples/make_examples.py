#!/usr/bin/env python3
"""Regenerate the bundled example prediction artifacts under examples/.

How to run (from the repository root)::

    pip install scikit-learn statsmodels      # generator-only dependencies
    python examples/make_examples.py          # rewrites examples/{affairs,multiclass,canary}/
    python examples/make_examples.py --summary  # ... and prints scikit-learn point estimates

Everything here is offline, seeded and deterministic: the data sets ship inside the installed
packages (statsmodels' ``fair`` survey data, scikit-learn's ``load_digits``), every split and model
has a fixed ``random_state``, scores are rounded to 4 decimals and written with fixed formatting,
and the gzip header carries no timestamp. Re-running it with the same library versions rewrites
byte-identical files (tested with scikit-learn 1.9.1, statsmodels 0.15.0, numpy 2.x).

Examples written (see examples/README.md for what each one demonstrates):

* ``affairs/candidate.csv``, ``affairs/baseline.csv`` - binary, paired (same held-out rows, baseline
  file in a different row order), ~10% of rows unlabeled in both files (label latency).
* ``multiclass/candidate.csv``, ``multiclass/candidate.jsonl``, ``multiclass/baseline.csv`` -
  ten digit classes ``zero`` .. ``nine``, paired, one ``score_<class>`` column per class.
* ``canary/candidate.csv.gz``, ``canary/baseline.csv`` - binary, independent: the new model scored
  the canary half of the traffic, the old model the control half (disjoint ids).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
from pathlib import Path

import numpy as np

SEED = 20240607
HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def fmt4(x: float) -> str:
    """Scores are written with exactly 4 decimals (realistic, and it creates ties)."""
    return f"{x:.4f}"


def write_csv(path: Path, header: list[str], rows: list[list[str]], gz: bool = False) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        # filename="" and mtime=0: no name, no timestamp in the header -> byte-identical reruns
        with open(path, "wb") as raw, gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9
        ) as f:
            f.write(data)
    else:
        path.write_bytes(data)


def round_simplex(p: np.ndarray, decimals: int = 4) -> np.ndarray:
    """Round each row of probabilities to `decimals` places keeping the row sum exactly 1.

    Works in integer units of 10**-decimals; the rounding residue goes to the largest entry.
    Returns integer units (so 1.0 == 10**decimals).
    """
    unit = 10**decimals
    q = np.rint(p * unit).astype(np.int64)
    resid = unit - q.sum(axis=1)
    top = np.argmax(q, axis=1)
    q[np.arange(len(q)), top] += resid
    assert (q >= 0).all() and (q.sum(axis=1) == unit).all()
    return q


# --------------------------------------------------------------------------------------------
# binary: statsmodels "fair" (Fair 1978, Redbook survey of 6,366 married women)
# --------------------------------------------------------------------------------------------

POS, NEG = "affair", "no_affair"
AGE_BANDS = [(0, 25, "under_25"), (25, 30, "25_to_29"), (30, 35, "30_to_34"), (35, 200, "35_plus")]
BASELINE_FEATURES = ["rate_marriage", "yrs_married"]  # the old model: two features only


def age_band(age: float) -> str:
    for lo, hi, name in AGE_BANDS:
        if lo <= age < hi:
            return name
    raise ValueError(age)


def binary_models():
    """Fit the candidate (gradient boosting, all features) and the baseline (logistic regression
    on two features) on a stratified 60% training split; return the held-out 40%."""
    import statsmodels.api as sm
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    df = sm.datasets.fair.load_pandas().data
    y = (df["affairs"].to_numpy() > 0).astype(int)  # 1 = reported time in extramarital affairs
    X = df.drop(columns=["affairs"])
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.4, random_state=0, stratify=y
    )
    candidate = HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=500,
        max_leaf_nodes=8,
        min_samples_leaf=40,
        l2_regularization=1.0,
        early_stopping=True,  # stops on a validation slice of the *training* split
        validation_fraction=0.2,
        n_iter_no_change=20,
        random_state=0,
    ).fit(X_tr, y_tr)
    baseline = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        X_tr[BASELINE_FEATURES], y_tr
    )
    p_cand = np.round(candidate.predict_proba(X_te)[:, 1], 4)
    p_base = np.round(baseline.predict_proba(X_te[BASELINE_FEATURES])[:, 1], 4)
    bands = [age_band(a) for a in X_te["age"].to_numpy()]
    return y_te, p_cand, p_base, bands


def make_affairs(out: Path, y, p_cand, p_base, bands, rng: np.random.Generator) -> dict:
    n = len(y)
    # Request ids in arrival order: a random permutation of the held-out rows (the survey file is
    # sorted by outcome, so its row order must not leak into ids or into which rows are unlabeled).
    order = rng.permutation(n)
    # Label latency: the most recent ~10% of requests have no ground truth yet.
    n_unlabeled = int(round(0.10 * n))
    rows_c, rows_b = [], []
    for rank, i in enumerate(order):
        rid = f"req-{rank + 1:06d}"
        label = "" if rank >= n - n_unlabeled else (POS if y[i] else NEG)
        rows_c.append([rid, label, fmt4(p_cand[i]), bands[i]])
        rows_b.append([rid, label, fmt4(p_base[i]), bands[i]])
    # The baseline file lists the same rows in another order: artifacts are joined on the id.
    rows_b = [rows_b[j] for j in rng.permutation(n)]
    header = ["request_id", "y_true", "p_affair", "age_band"]
    write_csv(out / "affairs" / "candidate.csv", header, rows_c)
    write_csv(out / "affairs" / "baseline.csv", header, rows_b)
    return {"rows": n, "unlabeled": n_unlabeled}


def make_canary(out: Path, y, p_cand, p_base, bands, rng: np.random.Generator) -> dict:
    n = len(y)
    order = rng.permutation(n)
    # Traffic split 50/50 at random: the canary half was served by the new model (candidate),
    # the control half by the old one (baseline). Disjoint ids -> independent bootstrap.
    canary = np.zeros(n, dtype=bool)
    canary[order[: n // 2]] = True
    rows_c, rows_b = [], []
    for i in range(n):  # files in id order
        rid = f"evt-{i + 1:06d}"
        label = POS if y[i] else NEG
        if canary[i]:
            rows_c.append([rid, label, fmt4(p_cand[i]), bands[i]])
        else:
            rows_b.append([rid, label, fmt4(p_base[i]), bands[i]])
    header = ["request_id", "y_true", "p_affair", "age_band"]
    write_csv(out / "canary" / "candidate.csv.gz", header, rows_c, gz=True)
    write_csv(out / "canary" / "baseline.csv", header, rows_b)
    return {"candidate_rows": len(rows_c), "baseline_rows": len(rows_b)}


# --------------------------------------------------------------------------------------------
# multiclass: scikit-learn load_digits (1,797 8x8 handwritten digits, UCI)
# --------------------------------------------------------------------------------------------

DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def pool_4x4(X: np.ndarray) -> np.ndarray:
    """Average-pool the 8x8 images to 4x4 (the old model's cheaper 16-feature input)."""
    return X.reshape(-1, 4, 2, 4, 2).mean(axis=(2, 4)).reshape(-1, 16)


def make_multiclass(out: Path) -> dict:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te, idx_tr, idx_te = train_test_split(
        X, y, np.arange(len(y)), test_size=0.5, random_state=0, stratify=y
    )
    # RBF support-vector machine, probabilities by sigmoid calibration (5-fold, stratified, no
    # shuffling: deterministic) on the raw 64 pixels.
    candidate = CalibratedClassifierCV(
        SVC(kernel="rbf", C=10.0, gamma=0.001), method="sigmoid", cv=5, ensemble=False
    )
    candidate.fit(X_tr, y_tr)
    baseline = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000))
    baseline.fit(pool_4x4(X_tr), y_tr)

    header = ["id", "label", "prediction"] + [f"score_{c}" for c in DIGITS]
    order = np.argsort(idx_te, kind="stable")  # rows in original image order
    tables = {}
    for name, proba in (
        ("candidate", candidate.predict_proba(X_te)),
        ("baseline", baseline.predict_proba(pool_4x4(X_te))),
    ):
        q = round_simplex(proba)  # integer units of 1e-4, each row sums to exactly 10000
        pred = np.argmax(q, axis=1)  # prediction = top (rounded) score, first class on ties
        rows = []
        for i in order:
            rows.append(
                [f"img-{idx_te[i]:04d}", DIGITS[y_te[i]], DIGITS[pred[i]]]
                + [f"{v / 10000:.4f}" for v in q[i]]
            )
        tables[name] = rows
        write_csv(out / "multiclass" / f"{name}.csv", header, rows)

    # The candidate again as JSON Lines (same rows, scores as JSON numbers).
    lines = []
    for r in tables["candidate"]:
        obj = {"id": r[0], "label": r[1], "prediction": r[2]}
        obj.update({h: float(v) for h, v in zip(header[3:], r[3:])})
        lines.append(json.dumps(obj, separators=(", ", ": ")))
    (out / "multiclass" / "candidate.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"rows": len(order)}


# --------------------------------------------------------------------------------------------
# --summary: scikit-learn point estimates for the gates of policies/*.yml
# --------------------------------------------------------------------------------------------


def summary(out: Path) -> None:
    import pandas as pd
    from sklearn import metrics as M

    def binary_block(title, df, thr=0.35):
        lab = df[df["y_true"].fillna("") != ""]
        yt = (lab["y_true"] == POS).astype(int).to_numpy()
        s = lab["p_affair"].to_numpy()
        yp = (s >= thr).astype(int)
        print(
            f"  {title:<10} n={len(df)} labeled={len(lab)} coverage={len(lab) / len(df):.4f} "
            f"prevalence={yt.mean():.4f}\n"
            f"    recall[{POS}]={M.recall_score(yt, yp):.4f} recall[{NEG}]={M.recall_score(yt, yp, pos_label=0):.4f} "
            f"precision={M.precision_score(yt, yp):.4f} f1={M.f1_score(yt, yp):.4f} "
            f"bacc={M.balanced_accuracy_score(yt, yp):.4f}\n"
            f"    AP={M.average_precision_score(yt, s):.4f} ROC-AUC={M.roc_auc_score(yt, s):.4f} "
            f"brier={M.brier_score_loss(yt, s):.4f}"
        )
        for band in sorted(lab["age_band"].unique()):
            m = (lab["age_band"] == band).to_numpy()
            print(
                f"    slice age_band={band:<9} n={m.sum():4d} "
                f"bacc={M.balanced_accuracy_score(yt[m], yp[m]):.4f}"
            )

    kw = {"keep_default_na": False, "dtype": {"y_true": str}}
    print("affairs (threshold 0.35):")
    binary_block("candidate", pd.read_csv(out / "affairs" / "candidate.csv", **kw))
    binary_block("baseline", pd.read_csv(out / "affairs" / "baseline.csv", **kw))
    print("canary (threshold 0.35):")
    binary_block("candidate", pd.read_csv(out / "canary" / "candidate.csv.gz", **kw))
    binary_block("baseline", pd.read_csv(out / "canary" / "baseline.csv", **kw))
    print("multiclass:")
    for name in ("candidate", "baseline"):
        df = pd.read_csv(out / "multiclass" / f"{name}.csv")
        yt, yp = df["label"].to_numpy(), df["prediction"].to_numpy()
        S = df[[f"score_{c}" for c in DIGITS]].to_numpy()
        rec = M.recall_score(yt, yp, labels=DIGITS, average=None)
        ap = [M.average_precision_score(yt == c, S[:, k]) for k, c in enumerate(DIGITS)]
        print(
            f"  {name:<10} n={len(df)} accuracy={M.accuracy_score(yt, yp):.4f} "
            f"macro_f1={M.f1_score(yt, yp, labels=DIGITS, average='macro'):.4f}"
        )
        print("    recall " + " ".join(f"{c}={r:.3f}" for c, r in zip(DIGITS, rec)))
        print("    AP     " + " ".join(f"{c}={a:.3f}" for c, a in zip(DIGITS, ap)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=HERE, help="output root (default: examples/)")
    ap.add_argument("--summary", action="store_true", help="print scikit-learn point estimates")
    args = ap.parse_args()

    y, p_cand, p_base, bands = binary_models()
    info = {
        "affairs": make_affairs(args.out, y, p_cand, p_base, bands, np.random.default_rng(SEED)),
        "canary": make_canary(args.out, y, p_cand, p_base, bands, np.random.default_rng(SEED + 1)),
        "multiclass": make_multiclass(args.out),
    }
    for k, v in info.items():
        print(k, v)
    if args.summary:
        summary(args.out)


if __name__ == "__main__":
    main()
