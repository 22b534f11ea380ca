"""The ``label_coverage`` gate: labeled / all candidate rows, decided on an exact (Clopper–Pearson)
binomial interval instead of a bootstrap.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaincinv

from gate.align import EvalSet
from gate.decide import Check, Decision
from gate.expand import Expanded
from gate.intervals import Distribution
from gate.messages import gate_message
from gate.report import Bar, Estimate, GateResult


def coverage_check(es: EvalSet, g: Expanded, confidence: float) -> Check:
    labeled, rows = es.candidate.n_labeled, es.candidate.n_rows
    dist = Distribution(labeled / rows, np.array([]), 0, "percentile")
    return Check(_ClopperPearson(labeled, rows, dist), g.op, g.threshold, g.spec.severity == "error", rows)


class _ClopperPearson(Distribution):
    """Exact binomial endpoints for label coverage, through the Distribution interface."""

    def __init__(self, k: int, n: int, base: Distribution) -> None:
        super().__init__(base.estimate, np.array([base.estimate, base.estimate]), 0, "exact")
        self.k, self.n = k, n

    def lower(self, alpha: float) -> float:
        return 0.0 if self.k == 0 else float(betaincinv(self.k, self.n - self.k + 1, alpha))

    def upper(self, alpha: float) -> float:
        return 1.0 if self.k == self.n else float(betaincinv(self.k + 1, self.n - self.k, 1 - alpha))

    def share_beyond(self, threshold: float, op: str) -> float:
        return 1.0


def coverage_result(es: EvalSet, g: Expanded, check: Check, d: Decision, confidence: float) -> GateResult:
    dist = check.distribution
    assert dist is not None
    cand = Estimate(dist.estimate, dist.interval(confidence), 0)
    base = None
    if es.baseline is not None:
        base = Estimate(es.baseline.n_labeled / es.baseline.n_rows, None, 0)
    tested = Estimate(dist.estimate, d.ci, 0)
    return GateResult(
        id=g.id, metric=g.spec.metric, label=g.label, class_name=None, average=None, slice=None,
        bar=Bar(g.spec.bar_kind, g.spec.bar_value), quantity="candidate", op=g.op, threshold=g.threshold,
        direction="higher", candidate=cand, baseline=base, delta=None, tested=tested, n=es.candidate.n_rows,
        support=None, status=d.status, severity=g.spec.severity, reason=d.reason,
        message=gate_message(g, d, tested, check) + f" ({es.candidate.n_labeled:,} of {es.candidate.n_rows:,} rows labeled)",
        confidence=confidence, p_value=None, needed_n=d.needed_n,
    )
