"""Power and sample size of every gate (``model-gate plan``; issue 16).

From one evaluation's report, for each gate with an interval, under the two assumptions of the
"n examples would decide it" hint (:func:`gate.inference.decide.needed_examples`): the standard error on each
side of the estimate is the interval's half-width there over its normal quantile, and it shrinks
like 1/√n. With ``z_p = Φ⁻¹(power)`` (80% by default), ``s_pass``/``s_fail`` the standard errors
read off the pass-side end (nominal tail α) and the fail-side end (its multiplicity-adjusted tail):

- **needed n**: the examples that decide the gate with that power *at the observed effect* (on the
  side the estimate leans; :func:`gate.inference.decide.sample_size`); None with the estimate on the bar.
  With ``data.cluster`` it counts clusters (the gate's ``clusters``, its resampling units): the
  cluster bootstrap's spread shrinks like 1/√(clusters), and more rows in the same clusters shrink
  it less (docs/validity.md, the planner with clusters);
- **pass from / fail from**: the smallest true values at the current n that the gate passes (fails)
  with that power, ``t ± (z_α + z_p)·s_pass`` and ``t ∓ (z_α' + z_p)·s_fail``; their distances from
  the bar are the minimal detectable effects. For a ``max_drop: δ`` gate, ``δ`` plus the fail-side
  distance is the minimal detectable drop.

Gates forced inconclusive without an interval (undefined, no examples) get no figures and say why;
a guard that left an interval (min_support, degenerate resamples) is noted beside the figures (each
gate's ``remark`` is a code; ``model-gate plan`` words it, gate/render/messages.py). The
figures come from the report alone: no new resampling. The standard error is the one at the estimate:
where the spread depends on the value (a proportion far from ½), the power at a "from" value further
from ½ than the estimate is somewhat below the nominal one (tests/test_plan.py measures 0.7–0.8).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from scipy.special import ndtri

from gate.inference.decide import POWER, sample_size
from gate.report.model import GateResult, Report

DECIDED = ("clears_bar", "misses_bar", "straddles_bar")    # reasons of gates no guard forced


@dataclass(frozen=True)
class GatePlan:
    """One gate's figures (see the module docstring); the bar is ``quantity op threshold``. ``remark``
    says why figures are missing or qualified: ``no_interval`` (none: no interval, or no examples),
    ``guarded`` (a guard forced the gate: the figures describe the interval only), ``no_spread`` (the
    interval has no spread on one side: no figures), else ``""``."""

    id: str
    label: str
    status: str
    quantity: str
    op: str
    threshold: float
    bar_kind: str
    bar_value: float
    estimate: float | None
    n: int
    needed_n: int | None
    pass_from: float | None
    fail_from: float | None
    remark: str = ""
    clusters: int | None = None     # data.cluster: the clusters of the gate's rows; needed_n counts clusters

    @property
    def minimal_detectable_drop(self) -> float | None:
        """For a ``max_drop`` gate: the smallest drop in quality the gate fails with the power."""
        if self.bar_kind != "max_drop" or self.fail_from is None:
            return None
        return abs(self.fail_from)


@dataclass(frozen=True)
class Plan:
    power: float
    gates: tuple[GatePlan, ...]
    report: Report

    @property
    def rows_per_cluster(self) -> float | None:
        """With clusters (``reproducibility.unit: cluster``): the mean labeled rows per cluster, the size
        of the new clusters the figures assume more data comes as; None otherwise. ``model-gate plan``
        words it (gate/render/messages.py)."""
        r = self.report.reproducibility
        if r.unit != "cluster" or not r.clusters:
            return None
        return max((g.n for g in self.gates), default=0) / r.clusters


def plan_report(report: Report, power: float = POWER) -> Plan:
    """The figures of every gate of ``report`` (``0 < power < 1``)."""
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be strictly between 0 and 1, got {power}")
    alpha = (1.0 - report.reproducibility.confidence) / 2.0
    return Plan(power, tuple(_gate_plan(g, alpha, power) for g in report.gates), report)


def _gate_plan(g: GateResult, alpha: float, power: float) -> GatePlan:
    """Figures of one gate; an interval end on the estimate (zero spread) or a missing interval
    gives none."""
    base = GatePlan(id=g.id, label=g.label, status=g.status, quantity=g.quantity, op=g.op, threshold=g.threshold,
                    bar_kind=g.bar.kind, bar_value=g.bar.value, estimate=g.tested.value, n=g.n, needed_n=None,
                    pass_from=None, fail_from=None, clusters=g.clusters)
    ci, est = g.tested.ci, g.tested.value
    if ci is None or est is None or g.n <= 0:
        return dataclasses.replace(base, remark="no_interval")
    if g.reason not in DECIDED:      # a guard forced it: the figures describe the interval only
        base = dataclasses.replace(base, remark="guarded")
    fail_alpha = (1.0 - g.confidence) / 2.0
    sign = 1.0 if g.op == ">=" else -1.0          # +1: higher passes
    lo, hi = ci
    pass_half, fail_half = (est - lo, hi - est) if sign > 0 else (hi - est, est - lo)
    if not (math.isfinite(pass_half) and math.isfinite(fail_half)) or pass_half <= 0 or fail_half <= 0:
        return dataclasses.replace(base, remark="no_spread")
    z_power = float(ndtri(power))
    z_pass, z_fail = float(ndtri(1.0 - alpha)), float(ndtri(1.0 - fail_alpha))
    t = g.threshold
    pass_from = t + sign * (z_pass + z_power) * pass_half / z_pass
    fail_from = t - sign * (z_fail + z_power) * fail_half / z_fail
    distance = abs(est - t)
    leans_pass = sign * (est - t) >= 0
    units = g.n if g.clusters is None else g.clusters
    needed = None if distance == 0 or units <= 0 else sample_size(units, pass_half if leans_pass else fail_half,
                                                                  distance, alpha if leans_pass else fail_alpha, power)
    return dataclasses.replace(base, needed_n=needed, pass_from=pass_from, fail_from=fail_from)
