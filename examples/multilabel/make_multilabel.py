"""Build the multilabel example: two real classifiers tagging scikit-learn's bundled handwritten digits.

    python examples/multilabel/make_multilabel.py            # rewrites examples/multilabel/{candidate,baseline}.csv
    python examples/multilabel/make_multilabel.py --out DIR  # writes them into DIR instead

The data is real and ships inside scikit-learn (``sklearn.datasets.load_digits``: 1,797 8×8 images of
handwritten digits from the UCI ML repository; scikit-learn is BSD-3-Clause), read without any network.
Each image gets four labels derived from its digit, so an example has several at once:

- ``even`` (0, 2, 4, 6, 8), ``prime`` (2, 3, 5, 7), ``big`` (≥ 5) and ``loop`` (a closed loop in the
  glyph: 0, 6, 8, 9).

Models (one binary classifier per label, ``MultiOutputClassifier``), fitted on a stratified 60 % of the
images and scored on the other 40 % (719 test images, ids ``img<index>``): the baseline is the model in
production, a random forest of 100 full-depth trees; the candidate a forest of 20 trees of depth 8,
five times cheaper to serve. Both files are the wide layout: ``label_<L>`` (the truth), ``score_<L>``
(the predicted probability); ``policies/multilabel.yml`` predicts ``score >= 0.5``. A ``half`` column
says whether the image is in the first or the second half of the bundled file, for a slice gate.
Everything is seeded; the files depend only on the scikit-learn version.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.multioutput import MultiOutputClassifier

OUT = Path(__file__).resolve().parent
LABELS = {"even": (0, 2, 4, 6, 8), "prime": (2, 3, 5, 7), "big": (5, 6, 7, 8, 9), "loop": (0, 6, 8, 9)}
SEED = 0


def label_matrix(digits: np.ndarray) -> np.ndarray:
    """The ``N × 4`` 0/1 matrix of :data:`LABELS` for each digit."""
    return np.column_stack([np.isin(digits, members) for members in LABELS.values()]).astype(int)


def write(path: Path, ids: np.ndarray, half: np.ndarray, y: np.ndarray, scores: np.ndarray) -> None:
    header = ["id", "half"] + [f"label_{lab}" for lab in LABELS] + [f"score_{lab}" for lab in LABELS]
    lines = [",".join(header)]
    for i in range(len(ids)):
        lines.append(",".join([ids[i], half[i]] + [str(v) for v in y[i]] + [f"{s:.4f}" for s in scores[i]]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    x, digit = load_digits(return_X_y=True)
    y = label_matrix(digit)
    index = np.arange(len(digit))
    half = np.where(index < len(digit) // 2, "first", "second")
    train, test = train_test_split(index, test_size=0.4, random_state=SEED, stratify=digit)
    test = np.sort(test)
    models = {
        "candidate": MultiOutputClassifier(RandomForestClassifier(20, max_depth=8, random_state=SEED)),
        "baseline": MultiOutputClassifier(RandomForestClassifier(100, random_state=SEED)),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    ids = np.array([f"img{i:04d}" for i in test])
    for name, model in models.items():
        model.fit(x[train], y[train])
        scores = np.column_stack([p[:, 1] for p in model.predict_proba(x[test])])
        write(args.out / f"{name}.csv", ids, half[test], y[test], scores)
        hamming = np.mean((scores >= 0.5) != y[test])
        print(f"{name}: {len(test)} test images, Hamming loss {hamming:.4f} (scikit-learn {sklearn.__version__})")


if __name__ == "__main__":
    main()
