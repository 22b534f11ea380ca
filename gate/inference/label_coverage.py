"""The ``label_coverage`` gate: labeled / all candidate rows, decided on the exact Clopper–Pearson
interval and test (:class:`gate.inference.exact.ClopperPearson`) instead of a bootstrap. Its exact p-value
takes its place in the Holm family like any bootstrap gate's, so the verdict does not depend on
where the gate stands in the policy.
"""

from __future__ import annotations

from gate.data.align import EvalSet
from gate.inference.decide import Check, Decision
from gate.inference.exact import ClopperPearson
from gate.policy.expand import Expanded
from gate.render.messages import gate_message
from gate.report.model import Bar, Estimate, GateResult


def coverage_check(es: EvalSet, g: Expanded) -> Check:
    exact = ClopperPearson(es.candidate.n_labeled, es.candidate.n_rows)
    return Check(exact, g.op, g.threshold, g.spec.severity == "error", es.candidate.n_rows)


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
        confidence=confidence, p_value=d.p_value, needed_n=d.needed_n, policy_line=g.spec.line,
        interval_method=dist.method,
    )
