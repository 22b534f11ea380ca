"""Prediction flips between a paired baseline and the candidate (issue 16, regression-free updates).

Every labeled example falls in one *flip cell* of (label, candidate prediction, baseline prediction):

- ``BOTH_RIGHT``: both models predict the label;
- ``NEGATIVE_FLIP``: the baseline was right and the candidate is wrong (what used to work broke);
- ``POSITIVE_FLIP``: the baseline was wrong and the candidate is right;
- ``SAME_WRONG``: both wrong with the same prediction; ``CHANGED_WRONG``: both wrong, differently.

The gates are shares of the examples of the subset (a class's true examples with ``class:``, a
slice's with ``slice:``): ``negative_flip_rate`` = NEGATIVE_FLIP, ``positive_flip_rate`` =
POSITIVE_FLIP, ``churn`` = any change of predicted class (NEGATIVE_FLIP + POSITIVE_FLIP +
CHANGED_WRONG). Exact counts of the cells, so unweighted flip gates are decided on the
Clopper–Pearson interval (:mod:`gate.inference.score`); weighted ones on the bootstrap of the same cells.
"""

from __future__ import annotations

import numpy as np

from gate.data.align import EvalSet
from gate.report.model import FlipRow
from gate.resampling import counted

BOTH_RIGHT, NEGATIVE_FLIP, POSITIVE_FLIP, SAME_WRONG, CHANGED_WRONG = range(5)
N_CELLS = 5
FLIP_CELLS = {"negative_flip_rate": (NEGATIVE_FLIP,), "positive_flip_rate": (POSITIVE_FLIP,),
              "churn": (NEGATIVE_FLIP, POSITIVE_FLIP, CHANGED_WRONG)}
FLIP_METRICS = tuple(FLIP_CELLS)


def flip_cells(y: np.ndarray, cand_pred: np.ndarray, base_pred: np.ndarray) -> np.ndarray:
    """The flip cell (0..4) of every example."""
    right_c, right_b = cand_pred == y, base_pred == y
    cells = np.full(y.size, SAME_WRONG, dtype=np.int64)
    cells[right_c & right_b] = BOTH_RIGHT
    cells[right_b & ~right_c] = NEGATIVE_FLIP
    cells[right_c & ~right_b] = POSITIVE_FLIP
    cells[~right_c & ~right_b & (cand_pred != base_pred)] = CHANGED_WRONG
    return cells


def flipped(metric: str, cells: np.ndarray) -> np.ndarray:
    """The examples ``metric`` counts."""
    return np.isin(cells, FLIP_CELLS[metric])


def flip_rows(es: EvalSet) -> tuple[FlipRow, ...]:
    """The "what flipped" table: per true class, the (weighted) examples and how many flipped each
    way; empty without a paired baseline."""
    base = es.baseline
    if base is None or es.pairing != "paired":
        return ()
    cand = es.candidate
    cells = flip_cells(cand.y, cand.pred, base.pred)
    w = np.ones(cand.y.size) if cand.weight is None else cand.weight
    counts = counted.bincount(cand.y * N_CELLS + cells, es.n_classes * N_CELLS, w, cand.counts).reshape(-1, N_CELLS)
    return tuple(FlipRow(name, float(row.sum()), float(row[NEGATIVE_FLIP]), float(row[POSITIVE_FLIP]),
                         float(row[[c for c in FLIP_CELLS["churn"]]].sum()))
                 for name, row in zip(es.classes, counts))
