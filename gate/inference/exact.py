"""Exact intervals for a proportion, as first-class results beside the bootstrap.

:class:`ClopperPearson` is the exact binomial interval and test for ``k`` successes in ``n`` trials
(``scipy.stats.binomtest(k, n).proportion_ci(method="exact")``), with the one-sided endpoints and
the p-value the decision rule asks of any :class:`gate.inference.intervals.IntervalSource`. Its p-value for
failing a bar is the exact binomial tail at the bar, so the gate fails at tail level α exactly when
the Clopper–Pearson endpoint at α misses the bar, and Holm orders it among bootstrap gates by a
real p-value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scipy.special import bdtr, bdtrc, betaincinv


@dataclass(frozen=True)
class ClopperPearson:
    """``k`` of ``n`` (``0 ≤ k ≤ n``, ``n ≥ 1``). ``lower(α)``: P(X ≥ k | p = lower) = α (0 when
    k = 0); ``upper(α)``: P(X ≤ k | p = upper) = α (1 when k = n)."""

    k: int
    n: int
    method: str = field(default="clopper-pearson", init=False)

    @property
    def estimate(self) -> float:
        return self.k / self.n

    @property
    def usable(self) -> bool:
        return self.n >= 1

    def lower(self, alpha: float) -> float:
        return 0.0 if self.k == 0 else float(betaincinv(self.k, self.n - self.k + 1, alpha))

    def upper(self, alpha: float) -> float:
        return 1.0 if self.k == self.n else float(betaincinv(self.k + 1, self.n - self.k, 1.0 - alpha))

    def interval(self, confidence: float) -> tuple[float, float]:
        alpha = (1.0 - confidence) / 2.0
        return self.lower(alpha), self.upper(alpha)

    def p_value(self, threshold: float, op: str) -> float:
        """Exact one-sided p-value against the bar: for ``>= t``, P(X ≤ k | p = t); for ``<= t``,
        P(X ≥ k | p = t). A bar outside (0, 1) is met or missed for certain (p-value 1 or 0)."""
        t = min(max(threshold, 0.0), 1.0)
        if op == ">=":
            return 1.0 if t == 0.0 or self.k == self.n else float(bdtr(self.k, self.n, t))
        return 1.0 if t == 1.0 or self.k == 0 else float(bdtrc(self.k - 1, self.n, t))
