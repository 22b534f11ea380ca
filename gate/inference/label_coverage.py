"""The ``label_coverage`` gate: labeled / all candidate rows, decided on the exact Clopper–Pearson
interval and test (:class:`gate.inference.exact.ClopperPearson`) instead of a bootstrap. Its exact p-value
takes its place in the Holm family like any bootstrap gate's, so the verdict does not depend on
where the gate stands in the policy.

Clopper–Pearson assumes every row is labeled (or not) independently. With ``data.cluster`` rows
arrive and get labeled by cluster (a session's rows together), so the gate is decided instead on a
cluster bootstrap of the ratio Σ labeled / Σ rows over the file's clusters (every row, labeled or
not, in its cluster), with the policy's interval method (percentile/basic; BCa with a
delete-one-cluster jackknife) and its p-value.
"""

from __future__ import annotations

import numpy as np

from gate.data.align import EvalSet
from gate.inference.decide import Check, Decision
from gate.inference.exact import ClopperPearson
from gate.inference.intervals import Distribution, IntervalSource, acceleration
from gate.policy.expand import Expanded
from gate.report.model import Bar, Estimate, GateResult

CHUNK = 128          # cluster-bootstrap resamples per multinomial draw (bounds the (chunk × clusters) array)
SPAWN_KEY = 0x6C63   # the coverage bootstrap's own seed stream: SeedSequence(seed, spawn_key=(SPAWN_KEY,))


def coverage_check(es: EvalSet, g: Expanded, *, seed: int = 0, resamples: int = 2000,
                   method: str = "percentile") -> Check:
    source: IntervalSource = ClopperPearson(es.candidate.n_labeled, es.candidate.n_rows)
    units = None
    if es.candidate.cluster_rows is not None:
        source = cluster_coverage(es.candidate.cluster_rows, seed, resamples, method)
        units = int(es.candidate.cluster_rows.shape[1])
    return Check(source, g.op, g.threshold, g.spec.severity == "error", es.candidate.n_rows, units=units)


def cluster_coverage(per_cluster: np.ndarray, seed: int, resamples: int, method: str) -> Distribution:
    """The labeled share Σ labeled / Σ rows resampled by whole clusters (``per_cluster``: labeled
    rows and rows of each cluster, in sorted cluster order): each resample draws as many clusters
    as there are, uniformly with replacement. Deterministic in ``seed``; BCa's acceleration comes
    from the delete-one-cluster jackknife."""
    labeled, rows = per_cluster
    c = rows.size
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(SPAWN_KEY,))))
    reps = []
    for first in range(0, resamples, CHUNK):
        w = rng.multinomial(c, np.full(c, 1.0 / c), size=min(CHUNK, resamples - first)).astype(np.float64)
        reps.append((w @ labeled) / (w @ rows))      # every resample draws c ≥ 1 clusters of ≥ 1 row
    estimate = float(labeled.sum() / rows.sum())
    accel = 0.0
    if method == "bca" and c > 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            jack = (labeled.sum() - labeled) / (rows.sum() - rows)
        accel = acceleration(jack, np.ones(c))
    return Distribution(estimate, np.concatenate(reps), 0, method, accel)


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
        confidence=confidence, p_value=d.p_value, needed_n=d.needed_n, policy_line=g.spec.line,
        interval_method=dist.method, labeled=es.candidate.n_labeled, clusters=check.units,
    )
