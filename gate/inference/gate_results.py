"""The decision stage every task shares: what each gate measured → one multiplicity-adjusted
:func:`gate.inference.decide.decide_all` over the policy → the decided :class:`gate.report.GateResult`\\ s.

A task (classification in :mod:`gate.engine`, ranking in :mod:`gate.ranking.check`, multilabel)
draws its bootstrap its own way and hands this stage, per expanded gate, a :class:`Measured`: the
candidate's and baseline's :class:`gate.inference.series.Series`, the gate's size (labeled examples, judged
queries, ...) and, for a proportion decided on counts, its score intervals. Per gate the stage

1. forms the tested quantity (:func:`gate.inference.series.combine`: candidate, delta or relative delta) and
   its bootstrap distribution, or takes the score interval;
2. applies the guards (:mod:`gate.inference.guards`: no baseline, no examples, ``min_support``, undefined,
   too many undefined resamples, degenerate replicates) — a guarded gate is inconclusive;
3. builds its :class:`gate.inference.decide.Check`;

then decides every check at once (the blocking, unguarded ones form the Holm/Bonferroni family, so
the order of gates never matters) and assembles each GateResult: the candidate's, baseline's and
delta's estimates, the tested interval, severity (a comparative gate without a baseline only
warns), the adjusted confidence and the task's notes. A gate decided outside the bootstrap (label
coverage's exact interval) joins the same family as a :class:`Fixed`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from gate.inference.decide import Check, Decision, decide_all
from gate.inference.guards import NO_EXAMPLES, guard, size_guard
from gate.inference.intervals import Distribution
from gate.inference.score import ScoreIntervals
from gate.inference.series import UNDEFINED, Series, combine, distribution, estimate
from gate.policy.expand import Expanded
from gate.policy.load import Policy
from gate.report.model import Bar, Estimate, GateResult, Guard, Note

NO_BASELINE = Guard("no_baseline")


class IntervalRule(Protocol):
    """A gate's own interval rule, in place of ``bootstrap.method`` (ECE's bias-bounded interval:
    :class:`gate.inference.calibration.EceInterval`; binned scores: :class:`gate.inference.binned.BinnedInterval`):
    every interval of the gate, and the tested one, comes from :meth:`distribution`; the result
    names ``method`` and carries :meth:`notes`."""

    @property
    def method(self) -> str: ...

    def notes(self, kind: str) -> tuple[Note, ...]:
        """The rule's notes on a gate whose tested quantity is ``kind``."""
        ...

    def distribution(self, kind: str, s: Series, candidate: float, baseline: float | None) -> Distribution:
        """The distribution of ``s``, the ``kind`` quantity (candidate, baseline, delta, relative_delta)."""
        ...

    def error_bound(self, kind: str) -> float | None:
        """The most the exact data's ``kind`` quantity can differ from the computed one (binned
        scores, gate/inference/binned.py); None when the gate is exact."""
        ...


@dataclass(frozen=True)
class Measured:
    """One expanded gate's measurements. ``n`` is its size (labeled examples in its subset, or judged
    queries); ``support`` the positives of the gated class (None for a gate without a class);
    ``smallest`` the examples of the subset's smallest class (classification's notes read it);
    ``score`` the score intervals that decide a proportion instead of the bootstrap (gate/inference/score.py);
    ``empty`` what the no-examples guard counts none of when ``n`` is 0 (``examples`` or ``queries``); ``interval`` the gate's own interval
    rule (None: the policy's bootstrap method); ``clusters`` the clusters its rows hold with
    ``data.cluster`` (the resampling units the "n would decide it" hint counts; None without). ``candidate`` is None when nothing
    could be measured: a gate that compares each example's two predictions (a flip rate) without a
    baseline. A comparative gate's ``baseline`` is None when no baseline was given."""

    gate: Expanded
    candidate: Series | None
    baseline: Series | None
    n: int = 0
    support: int | None = None
    smallest: int = 0
    score: ScoreIntervals | None = None
    empty: str = NO_EXAMPLES
    interval: IntervalRule | None = None
    clusters: int | None = None


@dataclass(frozen=True)
class Pending:
    """A gate ready to be decided: its check, the tested quantity's series (None without a baseline)
    and its bootstrap distribution (None when the tested point is undefined; a score interval may
    decide instead, see ``measured.score``). ``measured.candidate`` is always a Series here."""

    measured: Measured
    check: Check
    tested: Series | None
    dist: Distribution | None


@dataclass(frozen=True)
class Fixed:
    """A gate decided on its own interval (not a Series): its check, and how to build its result
    from the decision."""

    check: Check
    result: Callable[[Decision], GateResult]


# the task's notes for one decided gate: (pending, decision, interval method) -> notes
Notes = Callable[[Pending, Decision, str], Sequence[Note]]


def pending(policy: Policy, m: Measured, jack_weights: np.ndarray | None) -> Pending:
    """Steps 1–3 of the module docstring for one gate. A gate that needs a baseline it does not have
    is inconclusive (``no_baseline``), never blocking, and measured nothing (its sizes read 0)."""
    g = m.gate
    if m.candidate is None or (m.baseline is None and g.quantity != "candidate"):
        nothing = replace(m, candidate=m.candidate or UNDEFINED, n=0, support=None, smallest=0, score=None)
        return Pending(nothing, Check(None, g.op, g.threshold, False, 0, NO_BASELINE), None, None)
    tested = combine(g.quantity, m.candidate, m.baseline)
    dist = None if tested.point_undefined else _distribution(policy, m, tested, jack_weights)
    blocking = g.spec.severity == "error"
    if m.score is not None:
        forced = size_guard(g, m.n, m.support, m.empty)
        return Pending(m, Check(m.score.tested, g.op, g.threshold, blocking, m.n, forced, m.clusters), tested, dist)
    forced = guard(policy, g, tested, dist, m.n, m.support, m.empty)
    return Pending(m, Check(dist, g.op, g.threshold, blocking, m.n, forced, m.clusters), tested, dist)


def _distribution(policy: Policy, m: Measured, tested: Series, jack_weights: np.ndarray | None) -> Distribution:
    """The tested quantity's distribution: the gate's own interval rule, else the policy's method."""
    if m.interval is None:
        return distribution(tested, policy.bootstrap.method, jack_weights)
    assert m.candidate is not None
    return m.interval.distribution(m.gate.quantity, tested, m.candidate.point,
                                   None if m.baseline is None else m.baseline.point)


def decide_gates(policy: Policy, gates: Sequence[Measured | Fixed], *, jack_weights: np.ndarray | None = None,
                 notes: Notes | None = None) -> list[GateResult]:
    """The decided GateResults of ``gates``, in order (see the module docstring). ``jack_weights``:
    the jackknife's unit weights (BCa only); ``notes``: the task's notes for each Measured gate."""
    items = [g if isinstance(g, Fixed) else pending(policy, g, jack_weights) for g in gates]
    decisions = decide_all([p.check for p in items], policy.bootstrap.confidence, policy.decision.multiple_testing)
    return [p.result(d) if isinstance(p, Fixed) else _result(policy, p, d, jack_weights, notes)
            for p, d in zip(items, decisions)]


def _result(policy: Policy, p: Pending, d: Decision, jack_weights: np.ndarray | None,
            notes: Notes | None) -> GateResult:
    m, g, check = p.measured, p.measured.gate, p.check
    method, confidence = policy.bootstrap.method, policy.bootstrap.confidence
    candidate, baseline, delta = _estimates(p, method, confidence, jack_weights)
    interval_method = method if m.interval is None else m.interval.method
    if m.score is not None:
        candidate, baseline, delta = _score_estimates(m.score, candidate, baseline, delta, g.quantity, confidence)
        interval_method = m.score.tested.method
    tested = _tested(p, d)
    severity = g.spec.severity if check.forced is None or check.forced.code != "no_baseline" else "warning"
    nominal = _nominal(check, confidence)
    return GateResult(
        id=g.id, metric=g.spec.metric, label=g.label, class_name=g.class_name, average=g.spec.average,
        slice=g.slice, bar=Bar(g.spec.bar_kind, g.spec.bar_value), quantity=g.quantity, op=g.op,
        threshold=g.threshold, direction=g.spec.direction, candidate=candidate, baseline=baseline,
        delta=delta, tested=tested, n=m.n, support=m.support, status=d.status, severity=severity,
        reason=d.reason, confidence=1.0 - 2.0 * d.fail_alpha, p_value=d.p_value, needed_n=d.needed_n,
        notes=(*(notes(p, d, interval_method) if notes is not None else ()), *_rule_notes(m)), policy_line=g.spec.line,
        interval_method=interval_method, clusters=m.clusters,
        distribution=tuple(float(x) for x in (p.dist.replicates if p.dist is not None else ())),
        nominal_ci=nominal, spared_by=_spared_by(check, d, nominal, policy.decision.multiple_testing),
        guard=check.forced,
        error_bound=_error_bound(m, g.quantity),
    )


def _estimates(p: Pending, method: str, confidence: float,
               jack_weights: np.ndarray | None) -> tuple[Estimate, Estimate | None, Estimate | None]:
    """The candidate's, baseline's and delta's bootstrap estimates (the delta is the tested series
    when the bar is on the delta, else formed from the two sides; None without a baseline)."""
    m = p.measured
    assert m.candidate is not None
    base = m.baseline if p.tested is not None else None
    rule = m.interval

    def of(kind: str, s: Series) -> Estimate:
        if rule is None or s.point_undefined:
            return estimate(s, method, confidence, jack_weights)
        assert m.candidate is not None
        dist = rule.distribution(kind, s, m.candidate.point, None if base is None else base.point)
        return Estimate(s.point, dist.interval(confidence) if dist.usable else None, dist.undefined)

    candidate = of("candidate", m.candidate)
    baseline = None if base is None else of("baseline", base)
    if base is None:
        return candidate, baseline, None
    delta_series = p.tested if m.gate.quantity == "delta" and p.tested is not None else combine("delta", m.candidate, base)
    return candidate, baseline, of("delta", delta_series)


def _rule_notes(m: Measured) -> tuple[Note, ...]:
    return () if m.interval is None else m.interval.notes(m.gate.quantity)


def _error_bound(m: Measured, quantity: str) -> float | None:
    """A binned gate's bound on the tested quantity (gate/inference/binned.py); None for exact gates."""
    return None if m.interval is None else m.interval.error_bound(quantity)


def _tested(p: Pending, d: Decision) -> Estimate:
    """The tested quantity's estimate with the decision's (adjusted) interval; a gate decided on a
    score interval counts no undefined resamples."""
    if p.tested is None:
        return Estimate(None, None, 0)
    undefined = 0 if p.measured.score is not None else int(np.count_nonzero(p.tested.reps_undefined))
    return Estimate(None if p.tested.point_undefined else p.tested.point, d.ci, undefined)


def _score_estimates(score: ScoreIntervals, candidate: Estimate, baseline: Estimate | None, delta: Estimate | None,
                     quantity: str, confidence: float) -> tuple[Estimate, Estimate | None, Estimate | None]:
    """The candidate's, baseline's and delta's intervals from the score intervals that decide the
    gate (the estimates are the same counts' proportions): the candidate's Clopper–Pearson interval,
    the baseline's when the gate is a paired delta, and the delta's Newcombe interval."""
    candidate = Estimate(candidate.value, score.candidate.interval(confidence), 0)
    if baseline is not None and score.baseline is not None:
        baseline = Estimate(baseline.value, score.baseline.interval(confidence), 0)
    if delta is not None and quantity == "delta":
        delta = Estimate(delta.value, score.tested.interval(confidence), 0)
    return candidate, baseline, delta


def _spared_by(check: Check, d: Decision, nominal: tuple[float, float] | None, multiple_testing: str) -> str | None:
    """The multiple-testing adjustment that alone kept an undecided, unguarded gate from failing: its
    interval at the nominal level (else the decision's) misses the bar, the adjusted one does not.
    None otherwise, and always under ``multiple_testing: none``."""
    ci = nominal if nominal is not None else d.ci
    if d.status != "inconclusive" or check.forced is not None or ci is None or multiple_testing == "none":
        return None
    missed = ci[1] < check.threshold if check.op == ">=" else ci[0] > check.threshold
    return multiple_testing if missed else None


def _nominal(check: Check, confidence: float) -> tuple[float, float] | None:
    """The check's interval at the nominal (unadjusted) level, as the tables show it."""
    d = check.distribution
    return d.interval(confidence) if d is not None and d.usable else None
