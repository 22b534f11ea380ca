"""gate/inference/label_coverage.py directly: the label_coverage gate's check and result are the exact
Clopper–Pearson interval of labeled / all candidate rows (scipy.stats.binomtest as the reference),
and its sentence names the counts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

import gate
from gate.data.align import build_evalset
from gate.data.sources import table_from_memory
from gate.inference.decide import decide_all
from gate.inference.label_coverage import coverage_check, coverage_result
from gate.policy.expand import expand_gates
from gate.render import messages


@pytest.mark.parametrize("labeled,bar,status", [(180, 0.8, "pass"), (150, 0.85, "fail"), (172, 0.85, "inconclusive")])
def test_label_coverage_is_decided_on_the_clopper_pearson_interval(labeled: int, bar: float, status: str) -> None:
    n = 200
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n).astype(object)
    y[labeled:] = None                          # unlabeled rows
    pol = gate.load_policy({"version": 1, "name": "c", "task": "binary", "positive_class": "1",
                            "gates": [{"metric": "label_coverage", "min": bar}]})
    table = table_from_memory({"id": list(range(n)), "label": y.tolist(), "prediction": [1] * n}, "<candidate>")
    es = build_evalset(pol, table, None)
    [g] = expand_gates(pol, es)
    check = coverage_check(es, g)
    [d] = decide_all([check], 0.95, "none")
    r = coverage_result(es, g, check, d, 0.95)
    ref = binomtest(labeled, n).proportion_ci(confidence_level=0.95, method="exact")
    assert r.candidate.value == labeled / n
    assert r.candidate.ci == pytest.approx((ref.low, ref.high))
    assert (r.status, r.interval_method, r.n) == (status, "clopper-pearson", n)
    assert r.labeled == labeled
    assert messages.message(r).endswith(f"({labeled:,} of {n:,} rows labeled)")
