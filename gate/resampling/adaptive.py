"""``bootstrap.adaptive``: draw a gate group's resamples in rounds and stop once every gate in it is
settled — the full draw would decide it the same way (:func:`settled`). The replicates drawn are
then a prefix of the full draw's (same chunk seeds), whatever the thread count."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from gate.inference.gate_results import Measured, pending
from gate.inference.intervals import Distribution
from gate.inference.series import Series, prefix
from gate.policy.load import Policy

if TYPE_CHECKING:
    from gate.resampling.stats import Bootstrap

Consumer = Callable[[int, list[np.ndarray]], None]   # (first resample, the chunk's block sums)

ROUND = 500           # resamples per round (whole chunks, at least 2 so that a round keeps two threads
                      # busy; fixed, so results do not depend on threads)
MIN_RESAMPLES = 500   # never stop a gate group before this many resamples
Z = 3.0               # endpoints must be this many Monte-Carlo SE from the bar
TAIL = 10             # ... and the endpoint's tail must hold this many replicates


def draw(policy: Policy, boot: Bootstrap, consume: Consumer, gates: Sequence[Measured],
         series: Mapping[tuple[str, str], Series], jack_weights: np.ndarray | None, m_max: int) -> int:
    """Draw ``boot``'s chunks in rounds of about ROUND resamples (chunks are threaded within a
    round); after each round (once MIN_RESAMPLES are drawn) stop when every gate of the component is
    settled (:func:`settled`; ``gates`` are the component's gates with their sizes and score
    intervals, ``series`` the replicates ``consume`` fills, ``m_max`` the policy's blocking gates).
    Returns the resamples drawn. Rounds are whole chunks, and chunk ``i`` always uses the same seed, so the replicates are
    the first ``drawn`` of the full draw whatever the thread count."""
    B = boot.resamples
    per_round = max(2, -(-ROUND // boot.chunk))
    first = 0
    while first < boot.n_chunks:
        last = min(first + per_round, boot.n_chunks)
        boot.run(consume, first=first, last=last)
        first = last
        drawn = min(last * boot.chunk, B)
        if drawn < B and drawn >= min(MIN_RESAMPLES, B) and all(
                settled(policy, _drawn(g, series, drawn), jack_weights, m_max) for g in gates):
            return drawn
    return B


def _drawn(m: Measured, series: Mapping[tuple[str, str], Series], drawn: int) -> Measured:
    """``m`` with its gate's series as drawn so far (their first ``drawn`` replicates)."""
    base = series.get((m.gate.id, "baseline"))
    return replace(m, candidate=prefix(series[(m.gate.id, "candidate")], drawn),
                   baseline=None if base is None else prefix(base, drawn))


def endpoint_se(dist: Distribution, tail: float, sigma: float) -> float:
    """Monte-Carlo SE of a bootstrap quantile at tail level ``tail`` from ``b`` replicates: the
    order-statistic formula sqrt(q(1−q)/b)/f(ξ_q) with a normal density f of SD σ* (≈ 2.67·σ*/√b at
    q = 0.025). The basic endpoint (2θ̂ − quantile) has the same SE."""
    from scipy.special import ndtri
    q = min(max(tail, 1e-12), 0.5)
    density = math.exp(-0.5 * float(ndtri(q)) ** 2) / math.sqrt(2.0 * math.pi)
    return sigma * math.sqrt(q * (1.0 - q)) / (density * math.sqrt(dist.replicates.size))


def tail(dist: Distribution, alpha: float) -> float:
    """The quantile level (as a tail share ≤ ½) that the endpoint at ``alpha`` reads."""
    if dist.method == "bca" and not dist.bca_fallback:
        from scipy.special import ndtri
        level = dist._bca_level(float(ndtri(alpha)))
        return min(level, 1.0 - level)
    return alpha


def settled(policy: Policy, m: Measured, jack_weights: np.ndarray | None, m_max: int) -> bool:
    """Would the full draw decide gate ``m.gate`` the same way (with probability ≳ 99.8%), from the
    replicates ``m`` holds so far (the first ``drawn``)? True when the
    decision does not depend on the replicates (forced by a guard), or when, from the first ``drawn``
    replicates, the undefined share is safely below its limit and either the pass-side endpoint (at α)
    clears the bar by more than Z Monte-Carlo SE, or both endpoints miss it by that much with
    the fail side at the most conservative level α/m (m = every blocking gate of the policy), each
    endpoint's tail holding at least TAIL replicates. Straddling gates are never settled.
    Holm orders the family by bootstrap p-values: a gate settled as failing at α/m has p ≲ α/m, below
    that of any gate that does not fail at α/m, so stopping keeps the order that decides (its reported
    p-value and interval come from the replicates drawn). A gate decided on score intervals is settled
    from the start."""
    if m.score is not None:             # decided on counts, not on the replicates
        return True
    g = m.gate
    so_far = pending(policy, m, jack_weights)
    forced = so_far.check.forced
    if forced is not None:              # settled when more replicates cannot lift the guard
        return forced.code in ("no_baseline", "no_examples", "min_support") or (
            so_far.tested is not None and so_far.tested.point_undefined)
    dist = so_far.dist
    assert dist is not None
    total = max(dist.total, 1)
    p = dist.undefined / total
    if p + max(Z * math.sqrt(p * (1.0 - p) / total), 3.0 / total) >= policy.decision.max_undefined_fraction:
        return False
    sigma = dist.standard_error()
    if not math.isfinite(sigma):
        return False
    alpha = (1.0 - policy.bootstrap.confidence) / 2.0
    blocking = g.spec.severity == "error"
    fail_alpha = alpha / m_max if blocking and policy.decision.multiple_testing != "none" and m_max > 0 else alpha
    b, t = dist.replicates.size, g.threshold
    if g.op == ">=":
        sign, pass_edge, fail_edge = 1.0, dist.lower(alpha), dist.upper(fail_alpha)
    else:
        sign, pass_edge, fail_edge = -1.0, dist.upper(alpha), dist.lower(fail_alpha)
    pass_tail, fail_tail = tail(dist, alpha), tail(dist, fail_alpha)
    se_pass, se_fail = endpoint_se(dist, pass_tail, sigma), endpoint_se(dist, fail_tail, sigma)
    if b * pass_tail < TAIL:
        return False
    if sign * (pass_edge - t) > Z * se_pass:
        return True
    return (b * fail_tail >= TAIL and sign * (t - fail_edge) > Z * se_fail
            and sign * (t - pass_edge) > Z * se_pass)
