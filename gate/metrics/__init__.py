"""Metrics: the catalogue (:mod:`.catalog`), the formulas on sufficient statistics (:mod:`.formulas`)
and the plan that connects gates to statistics (:mod:`.plan`).

:func:`point_estimate` computes one metric on in-memory arrays, through exactly the code path the gate
uses (handy in notebooks and the reference for tests against scikit-learn).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gate.metrics.catalog import METRICS, PARAM_DEFAULTS

if TYPE_CHECKING:   # numpy only when point_estimate runs: the policy (validate) imports the catalogue
    import numpy as np


def point_estimate(metric: str, y_true: np.ndarray, y_pred: np.ndarray, *, n_classes: int,
                   scores: np.ndarray | None = None, sample_weight: np.ndarray | None = None,
                   class_index: int | None = None, average: str | None = None,
                   params: Mapping[str, Any] | None = None,
                   predicted_index: int | None = None) -> tuple[float, bool]:
    """``(value, undefined)`` of ``metric`` on integer class codes ``0..n_classes-1``.

    Binary data is ``n_classes=2`` with class 1 positive and ``scores`` of shape ``(n,)``; multiclass
    ``scores`` has shape ``(n, n_classes)``.
    """
    import numpy as np

    from gate.data.align import EvalSet, Side
    from gate.metrics.compiler import QuantityBuilder, Target
    from gate.report.model import Artifact
    from gate.resampling.stats import StatPlan

    y = np.asarray(y_true, dtype=np.int64)
    art = Artifact("candidate", "<memory>", "", "memory", y.size, y.size)
    side = Side("candidate", art, np.arange(y.size), y, np.asarray(y_pred, dtype=np.int64),
                None if scores is None else np.asarray(scores, dtype=np.float64),
                None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64),
                {}, y.size, y.size)
    task = "binary" if n_classes == 2 and (scores is None or np.ndim(scores) == 1) else "multiclass"
    es = EvalSet(task, tuple(str(i) for i in range(n_classes)), side, None, "none")
    all_params = {k: PARAM_DEFAULTS[k] for k in METRICS[metric].params if k in PARAM_DEFAULTS}
    all_params.update(params or {})
    plan = StatPlan(y.size)
    q = QuantityBuilder(es, plan, {"candidate": 0}).quantity(
        "candidate", Target(metric, class_index, average, all_params, predicted_index=predicted_index))
    value, undefined = q(plan.accumulate(np.ones((1, y.size))))
    return float(value[0]), bool(undefined[0])
