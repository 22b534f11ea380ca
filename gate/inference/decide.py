"""Gate decisions from bootstrap distributions (SPEC §3, statistics reference §3).

Each gate compares one quantity (candidate value, delta, or relative delta) with a threshold and an
operator (``">="`` or ``"<="``). With one-sided tail ``α = (1 − confidence)/2``:

- **pass** when the pass-side endpoint clears the bar (``lower(α) ≥ t`` for ``>=``). Passing the
  gate means passing *every* check, an intersection–union test, so this side needs no multiplicity
  adjustment (Berger 1982).
- **fail** when the fail-side endpoint misses the bar (``upper(α_i) < t`` for ``>=``), where ``α_i``
  is adjusted over the family of blocking gates: ``none`` → α, ``bonferroni`` → α/m, ``holm`` → the
  step-down α/(m − j) in order of each gate's own p-value (its interval method's: percentile, basic,
  BCa or exact), stopping at the first gate that does not fail.
- **inconclusive** otherwise (the interval straddles the bar), or when forced by a guard (undefined
  estimate, too few examples, too many undefined resamples).

The reported interval of the tested quantity is ``(pass-side endpoint, fail-side endpoint)`` ordered
as (lo, hi), so "the whole interval clears/misses the bar" reads off it directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.special import ndtri

from gate.inference.intervals import IntervalSource
from gate.report.model import Guard

POWER = 0.8   # the chance that a rerun at the hinted size decides the gate, if the estimate is the truth


@dataclass
class Check:
    """One gate's decision input. ``forced`` is the guard that makes it inconclusive (its code is the
    decision's reason). ``units`` is the number of resampling units when they are not the ``n``
    examples (``data.cluster``: the clusters in the gate's rows); the "n would decide it" hint then
    counts units."""

    distribution: IntervalSource | None
    op: str
    threshold: float
    blocking: bool
    n: int
    forced: Guard | None = None
    units: int | None = None


@dataclass
class Decision:
    status: str
    reason: str
    ci: tuple[float, float] | None
    fail_alpha: float
    p_value: float | None
    needed_n: int | None


def decide_all(checks: list[Check], confidence: float, multiple_testing: str) -> list[Decision]:
    """Decide every check; the multiplicity family is the blocking checks that are not forced."""
    alpha = (1.0 - confidence) / 2.0
    fail_alpha = [alpha] * len(checks)
    family = [i for i, c in enumerate(checks) if c.blocking and c.forced is None and c.distribution is not None]
    p_values = {i: _p_value(checks[i]) for i in family}
    m = len(family)
    if multiple_testing == "bonferroni" and m:
        for i in family:
            fail_alpha[i] = alpha / m
    retained: set[int] = set()
    if multiple_testing == "holm" and m:
        stopped = False
        for j, i in enumerate(sorted(family, key=lambda i: (p_values[i], i))):
            fail_alpha[i] = alpha / (m - j)
            if stopped or not _misses(checks[i], fail_alpha[i]):
                stopped = True
                retained.add(i)
    return [_decide(c, alpha, fail_alpha[i], p_values.get(i), i in retained) for i, c in enumerate(checks)]


def _p_value(check: Check) -> float:
    d = check.distribution
    assert d is not None
    return d.p_value(check.threshold, check.op)


def _misses(check: Check, fail_alpha: float) -> bool:
    d = check.distribution
    assert d is not None
    if check.op == ">=":
        return d.upper(fail_alpha) < check.threshold
    return d.lower(fail_alpha) > check.threshold


def _clears(check: Check, alpha: float) -> bool:
    d = check.distribution
    assert d is not None
    if check.op == ">=":
        return d.lower(alpha) >= check.threshold
    return d.upper(alpha) <= check.threshold


def _decide(check: Check, alpha: float, fail_alpha: float, p_value: float | None, retained: bool) -> Decision:
    d = check.distribution
    if check.forced is not None or d is None:
        reason = check.forced.code if check.forced else "undefined"
        ci = _interval(check, alpha, fail_alpha) if d is not None and d.usable else None
        return Decision("inconclusive", reason, ci, fail_alpha, p_value, None)
    ci = _interval(check, alpha, fail_alpha)
    if _clears(check, alpha):
        return Decision("pass", "clears_bar", ci, fail_alpha, p_value, None)
    if not retained and _misses(check, fail_alpha):
        return Decision("fail", "misses_bar", ci, fail_alpha, p_value, None)
    return Decision("inconclusive", "straddles_bar", ci, fail_alpha, p_value,
                    needed_examples(check, ci, alpha, fail_alpha))


def _interval(check: Check, alpha: float, fail_alpha: float) -> tuple[float, float]:
    d = check.distribution
    assert d is not None
    if check.op == ">=":
        return d.lower(alpha), d.upper(fail_alpha)
    return d.lower(fail_alpha), d.upper(alpha)


def needed_examples(check: Check, ci: tuple[float, float], alpha: float, fail_alpha: float,
                    power: float = POWER) -> int | None:
    """How many labeled examples would decide a straddling gate with probability ``power`` (80%),
    if the estimate is the truth and the interval shrinks like 1/√n. With ``check.units`` (clusters)
    it counts units instead: a cluster bootstrap's spread shrinks like 1/√(clusters), and more rows in
    the same clusters would not shrink it as much (the design effect).

    On the side the estimate leans to (pass side at ``alpha``, fail side at ``fail_alpha``), with
    half-width ``h`` and tail quantile ``z_a = Φ⁻¹(1 − a)``, the standard error is ``h / z_a``; the
    gate is decided with that power once the distance ``d`` to the bar is ``(z_a + z_power)`` standard
    errors: ``n · (h / d)² · ((z_a + z_power) / z_a)²``. (Without the power term the interval edge
    would sit on the bar: a coin flip.) None when the estimate sits exactly on the bar."""
    d = check.distribution
    assert d is not None
    estimate, t = d.estimate, check.threshold
    distance = abs(estimate - t)
    size = check.n if check.units is None else check.units
    if distance == 0 or not math.isfinite(distance) or size <= 0:
        return None
    leans_pass = estimate >= t if check.op == ">=" else estimate <= t
    lo, hi = ci
    if check.op == ">=":
        half = estimate - lo if leans_pass else hi - estimate
    else:
        half = hi - estimate if leans_pass else estimate - lo
    if not math.isfinite(half) or half <= 0:
        return None
    return sample_size(size, half, distance, alpha if leans_pass else fail_alpha, power)


def sample_size(n: int, half: float, distance: float, tail: float, power: float = POWER) -> int:
    """Examples that put an interval end at tail level ``tail`` ``distance`` away from the estimate
    with probability ``power``, when today's ``n`` examples give that end a half-width ``half`` and
    the standard error shrinks like 1/√n: ``n · (h / d)² · ((z_tail + z_power) / z_tail)²``."""
    z_side = float(ndtri(1.0 - tail))
    inflation = ((z_side + float(ndtri(power))) / z_side) ** 2
    return int(math.ceil(n * (half / distance) ** 2 * inflation))
