"""Multilabel evaluation, for ``task: multilabel``: every metric equal to scikit-learn's.

The example is the resampling unit (all its labels together). :func:`terms` turns 0/1 label and
prediction matrices (and scores) into per-example sufficient statistics once; every metric is then a
function of example weights ``W`` of shape ``(R, N)`` — one row per resample, ``np.ones((1, N))``
for the point estimate, a row of sample weights for a weighted set — computed as matrix products
``W @ terms``, so R bootstrap resamples cost R weighted sums.

>>> import numpy as np, gate.multilabel as ml
>>> t = ml.terms(np.array([[1, 0, 1], [0, 1, 0]]), np.array([[1, 0, 0], [0, 1, 1]]))
>>> value, undefined = ml.metric(t, "f1", np.ones((1, 2)), average="micro")
>>> round(float(value[0]), 4), bool(undefined[0])
(0.6667, False)
"""

import importlib
from typing import Any

from gate.multilabel.names import AVERAGES, METRICS

_LAZY = ("MultilabelTerms", "metric", "terms")


def __getattr__(name: str) -> Any:
    """The metric functions load numpy and scipy on first use: importing ``gate.multilabel.policy``
    to read a policy stays light."""
    if name not in _LAZY:
        raise AttributeError(f"module 'gate.multilabel' has no attribute {name!r}")
    return getattr(importlib.import_module("gate.multilabel.metrics"), name)


__all__ = ["AVERAGES", "METRICS", "MultilabelTerms", "metric", "terms"]
