"""The pipeline: policy + artifacts → aligned arrays → sufficient statistics → bootstrap → decisions →
one :class:`gate.report.Report`.

``evaluate`` works on an already aligned :class:`gate.align.EvalSet`; :func:`gate.api.check` (what
``model-gate check`` calls) reads and aligns the inputs first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from gate import __version__, counted
from gate.align import EvalSet, check_probabilities
from gate.coverage import coverage_check, coverage_result
from gate.decide import Check, Decision, decide_all
from gate.errors import InputError
from gate.expand import Expanded, expand_gates
from gate.extras import data_summary, report_extras
from gate.flips import flip_rows
from gate.intervals import Distribution, acceleration
from gate.messages import gate_message
from gate.metrics.catalog import METRICS
from gate.metrics.plan import QuantityBuilder, warm_class_groups
from gate.policy import Policy
from gate.report import Bar, Estimate, GateResult, Report, Reproducibility, gate_counts, verdict_of
from gate.score import ScoreIntervals, score_intervals
from gate.stats import StatPlan, compress, default_threads, parallel_map

SMALL_SUPPORT = 100          # warn below this many examples on the smaller side of the gated class
SMALL_SUPPORT_RANKING = 200  # ... for AP / PR-AUC / ROC-AUC, and for every metric with method: basic
                             # (calibrated in docs/validity.md §2 and §8)
DEGENERATE_VALUES = 5        # a bootstrapped quantity whose defined replicates take fewer distinct values
                             # is inconclusive: its interval would be a few tied points (docs/validity.md §10)
MC_SE_FACTOR = 2.67          # SD of a 95% percentile endpoint ≈ 2.67·σ*/√B (statistics reference §2.4)
ADAPTIVE_ROUND = 500         # bootstrap.adaptive: resamples per round (whole chunks, at least 2 so that
                             # a round keeps two threads busy; fixed, so results do not depend on threads)
ADAPTIVE_MIN = 500           # ... never stop a gate group before this many resamples
ADAPTIVE_Z = 3.0             # ... endpoints must be this many Monte-Carlo SE from the bar
ADAPTIVE_TAIL = 10           # ... and the endpoint's tail must hold this many replicates


@dataclass
class _Series:
    """Point value and replicates of one quantity."""

    point: float
    point_undefined: bool
    reps: np.ndarray = field(default_factory=lambda: np.zeros(0))
    reps_undefined: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    jack: np.ndarray | None = None
    drawn: int | None = None    # bootstrap.adaptive: resamples drawn when its group stopped early


def evaluate(policy: Policy, es: EvalSet, *, seed: int | None = None, command: Sequence[str] = ()) -> Report:
    seed = policy.bootstrap.seed if seed is None else seed
    gates = expand_gates(policy, es)
    _check_inputs(policy, es, gates)
    independent = es.baseline if es.pairing == "independent" else None     # its own units after the candidate's
    offsets = {"candidate": 0, "baseline": es.candidate.y.size if independent is not None else 0}
    n_units = es.candidate.y.size + (independent.y.size if independent is not None else 0)
    plan = StatPlan(n_units, multiplicity=_multiplicity(es))
    warm_class_groups(es, default_threads())      # the sorts every ranking block and curve shares
    builder = QuantityBuilder(es, plan, offsets)
    bootstrapped = [g for g in gates if METRICS[g.spec.metric].family not in ("coverage", "flip")
                    or (METRICS[g.spec.metric].family == "flip" and es.baseline is not None)]
    quantities = {}
    for g in bootstrapped:
        quantities[(g.id, "candidate")] = builder.quantity("candidate", g.target)
        if es.baseline is not None and METRICS[g.spec.metric].family != "flip":    # a flip rate is already paired
            quantities[(g.id, "baseline")] = builder.quantity("baseline", g.target)
    series, resampling = _run_bootstrap(policy, es, plan, quantities, seed, n_units, bootstrapped, gates)
    results = _decide(policy, es, gates, series)
    verdict = verdict_of(results, policy.decision.inconclusive)
    extras = report_extras(es)
    if any(METRICS[g.spec.metric].family == "flip" for g in gates):
        extras["flips"] = flip_rows(es)
    warnings = list(policy.warnings) + list(es.warnings) + _resample_warnings(policy, results)
    return Report(
        policy_name=policy.name, verdict=verdict, exit_code=1 if verdict == "fail" else 0,
        gates=tuple(results), counts=gate_counts(results), data=data_summary(es), warnings=tuple(warnings),
        reproducibility=Reproducibility(
            seed=seed, resamples=policy.bootstrap.resamples, method=policy.bootstrap.method,
            confidence=policy.bootstrap.confidence, stratify=policy.bootstrap.stratify,
            sampling=policy.bootstrap.sampling,
            multiple_testing=policy.decision.multiple_testing, inconclusive=policy.decision.inconclusive,
            tool_version=__version__, policy_path=policy.path, policy_sha256=policy.sha256,
            command=tuple(command), resampling=resampling),
        **extras,
    )


def _multiplicity(es: EvalSet) -> np.ndarray | None:
    """Examples per unit: the counts of the engine path's cells (candidate, then an independent
    baseline's; paired cells are one unit for both sides), None when every row is one example."""
    c, b = es.candidate, es.baseline if es.pairing == "independent" else None
    if c.counts is None and (b is None or b.counts is None):
        return None
    parts = [c.counts if c.counts is not None else np.ones(c.y.size, dtype=np.int64)]
    if b is not None:
        parts.append(b.counts if b.counts is not None else np.ones(b.y.size, dtype=np.int64))
    return np.concatenate(parts).astype(np.int64)


def _resample_warnings(policy: Policy, results: list[GateResult]) -> list[str]:
    """Holm/Bonferroni put a family of m blocking gates' fail-side endpoints at the α/(2m) tail, which
    B resamples estimate from about B·α/(2m) replicates: docs/validity.md finds B ≥ 200·m keeps the
    family-wise false-fail rate near its nominal level. Gates decided on exact or score intervals
    (label_coverage, proportions) need no resamples and are not counted."""
    m = sum(1 for r in results if r.blocking and r.interval_method in ("percentile", "basic", "bca")
            and r.p_value is not None)
    needed = 200 * m
    if policy.decision.multiple_testing == "none" or m < 2 or policy.bootstrap.resamples >= needed:
        return []
    return [f"{m} blocking gates share the {policy.decision.multiple_testing} adjustment: with "
            f"{policy.bootstrap.resamples} resamples the adjusted endpoints are noisy and the family-wise "
            f"false-fail rate can exceed its level; set bootstrap.resamples to at least {needed} (docs/validity.md)"]


def _check_inputs(policy: Policy, es: EvalSet, gates: list[Expanded]) -> None:
    families = {METRICS[g.spec.metric].family for g in gates}
    sides = [s for s in (es.candidate, es.baseline) if s is not None]
    if "ranking" in families or "probability" in families:
        for side in sides:
            if side.scores is None:
                metric = next(g.spec.metric for g in gates if METRICS[g.spec.metric].family in ("ranking", "probability"))
                column = policy.data.score if es.task == "binary" else f"{policy.data.score_prefix}<class>"
                raise InputError(f"'{metric}' needs scores, but there is no '{column}' column", source=side.artifact.path,
                                 fix="add the score column(s) or map them in data:")
    if "probability" in families:
        for side in sides:
            check_probabilities(side, side.artifact.path, es.task)
    if "flip" in families and es.pairing == "independent":
        metric = next(g.spec.metric for g in gates if METRICS[g.spec.metric].family == "flip")
        raise InputError(f"'{metric}' compares each example's two predictions, but the candidate and the baseline "
                         "hold different ids (independent traffic)", source=policy.path,
                         fix="give both files the same ids (or bootstrap.pairing: intersect), or remove the flip gate")


# ---------------------------------------------------------------------------------------------
# bootstrap


def _strata(policy: Policy, es: EvalSet, n_units: int) -> np.ndarray:
    """Resampling strata: one per side (an independent baseline is resampled on its own), and within
    a side one per true class under ``sampling: stratified`` (each resample keeps the class counts)."""
    k = es.n_classes
    strata = np.zeros(n_units, dtype=np.int64)
    n_c = es.candidate.y.size
    stratified = policy.bootstrap.sampling == "stratified"
    if stratified:
        strata[:n_c] = es.candidate.y
    if es.pairing == "independent" and es.baseline is not None:
        strata[n_c:] = k + (es.baseline.y if stratified else 0)
    return strata


def _run_bootstrap(policy: Policy, es: EvalSet, plan: StatPlan, quantities: dict, seed: int,
                   n_units: int, bootstrapped: Sequence[Expanded] = (),
                   all_gates: Sequence[Expanded] = ()) -> tuple[dict[tuple[str, str], _Series], str]:
    """Point estimates from the observed counts (reference accumulation), then the replicates from
    :class:`gate.stats.Bootstrap` (chunked, threaded, deterministic whatever the thread count).

    Blocks that one gate reads (its candidate and baseline quantities) share every resample; blocks
    of unrelated gates are resampled independently (component ``c`` draws from
    ``SeedSequence(seed, spawn_key=(c,))``). Each gate is decided on its own (marginal) bootstrap
    distribution, which is the same either way, and independent components can take the cheapest
    exact draw each (e.g. a multinomial over one class's rank cells instead of N indices).
    With ``bootstrap.adaptive`` each component is drawn in rounds and stops once every gate in it is
    settled (:func:`_settled`); its replicates are then a prefix of the full draw's (same chunk seeds).
    ``MODEL_GATE_TIMING=1`` prints the phases' wall and CPU times to stderr."""
    import os
    import sys
    import time

    from gate.stats import Bootstrap, Sums, components, jackknife_sums, run_all, subplan

    timing = os.environ.get("MODEL_GATE_TIMING", "") not in ("", "0")
    t0 = time.perf_counter()
    B = policy.bootstrap.resamples
    point_acc = plan.point()
    series: dict[tuple[str, str], _Series] = {}
    reads: dict[tuple[str, str], set[int]] = {}
    for key, q in quantities.items():
        probe = _ReadRecorder(point_acc)
        v, u = q(probe)
        reads[key] = probe.read
        series[key] = _Series(float(v[0]), bool(u[0]), np.empty(B), np.zeros(B, dtype=bool))
    if not quantities:
        return series, "none (no bootstrapped gate)"
    strata = _strata(policy, es, n_units)
    by_gate: dict[str, set[int]] = {}
    for (gate_id, _), blocks in reads.items():
        by_gate.setdefault(gate_id, set()).update(blocks)
    comps = components(len(plan.blocks), list(by_gate.values()))
    # Poisson(1) weights keep ratio metrics' distribution but not a raw count's (support, counts)
    allow_poisson = not any(g.metric == "support" or (g.metric == "confusion" and g.params.get("normalize") == "none")
                            for g in policy.gates)
    tj = time.perf_counter()
    jack_weights = None
    if policy.bootstrap.method == "bca":      # before the draw: adaptive stopping reads BCa endpoints
        cells = compress(plan, strata)
        acc, jack_weights = jackknife_sums(cells, seed)
        for key, q in quantities.items():
            v, u = q(acc)
            series[key].jack = np.where(u, np.nan, v)
        series[("__jack_weights__", "")] = _Series(0.0, False, jack_weights, np.zeros(jack_weights.size, dtype=bool))
    t_jack = time.perf_counter() - tj
    adaptive = policy.bootstrap.adaptive
    m_max = sum(1 for g in all_gates if g.spec.severity == "error")   # the largest possible family
    stopped, total_drawn = 0, 0
    t1 = time.perf_counter()
    c1 = time.process_time()

    def prepare(c: int) -> tuple:
        blocks = comps[c]
        members = set(blocks)
        qs = {key: q for key, q in quantities.items() if reads[key] and reads[key] <= members}
        boot = Bootstrap(subplan(plan, blocks), strata, B, np.random.SeedSequence(seed, spawn_key=(c,)),
                         allow_poisson=allow_poisson, samples_only=not policy.bootstrap.stratify)

        def consume(start: int, acc: list[np.ndarray]) -> None:
            full = Sums([None] * len(plan.blocks))
            for i, b in enumerate(blocks):
                full[b] = acc[i]
            stop = start + acc[0].shape[0]
            for key, q in qs.items():
                v, u = q(full)
                series[key].reps[start:stop] = v
                series[key].reps_undefined[start:stop] = u | ~np.isfinite(v)
        return boot, consume, qs, boot.describe()

    # groups are prepared (code tables, pieces: sorts) and drawn in waves of two per thread, so the
    # pool stays busy while at most one wave's tables are in memory
    wave = 2 * default_threads()
    described, schemes, t_tables = [], set(), 0.0
    for first in range(0, len(comps), wave):
        tw = time.perf_counter()
        prepared = parallel_map(prepare, list(range(first, min(first + wave, len(comps)))))
        t_tables += time.perf_counter() - tw
        described += [p[3] for p in prepared]
        schemes |= {p[0].scheme for p in prepared}
        if not adaptive:
            run_all([(boot, consume) for boot, consume, _, _ in prepared])
        for boot, consume, qs, _ in (prepared if adaptive else ()):
            in_comp = [g for g in bootstrapped if (g.id, "candidate") in qs]
            drawn = _draw_adaptive(policy, es, boot, consume, in_comp, series, jack_weights, m_max)
            total_drawn += drawn
            if drawn < B:
                stopped += 1
                for key in qs:
                    s = series[key]
                    s.reps, s.reps_undefined, s.drawn = s.reps[:drawn], s.reps_undefined[:drawn], drawn
    for key, blocks in reads.items():       # quantities that read no block (none today): constant
        if not blocks:
            series[key].reps[:] = series[key].point
            series[key].reps_undefined[:] = series[key].point_undefined
    t2, c2 = time.perf_counter(), time.process_time()
    if timing:
        print(f"model-gate timing: prepare {tj - t0:.3f} s, bootstrap {t2 - t1:.3f} s (tables {t_tables:.3f} s; "
              f"cpu {c2 - c1:.3f} s; "
              f"{len(comps)} independent components: {' | '.join(described)}), "
              f"jackknife {t_jack:.3f} s"
              + (f"; adaptive: drew {total_drawn} of {len(comps) * B} resamples" if adaptive else ""), file=sys.stderr)
    groups = f"{len(comps)} independent gate group{'s' if len(comps) != 1 else ''}"
    described_draw = f"{groups}: {', '.join(sorted(schemes))}"
    if adaptive:
        described_draw += (f"; adaptive: {stopped} of {len(comps)} stopped early once decided "
                           f"({total_drawn} of {len(comps) * B} resamples drawn)")
    return series, described_draw


def _draw_adaptive(policy: Policy, es: EvalSet, boot, consume, gates: list[Expanded], series: dict,
                   jack_weights: np.ndarray | None, m_max: int) -> int:
    """Draw ``boot``'s chunks in rounds of about ADAPTIVE_ROUND resamples (chunks are threaded within a round); after each round (once
    ADAPTIVE_MIN are drawn) stop when every gate of the component is settled. Returns the resamples
    drawn. Rounds are whole chunks, and chunk ``i`` always uses the same seed, so the replicates are
    the first ``drawn`` of the full draw whatever the thread count."""
    B = boot.resamples
    per_round = max(2, -(-ADAPTIVE_ROUND // boot.chunk))
    first = 0
    while first < boot.n_chunks:
        last = min(first + per_round, boot.n_chunks)
        boot.run(consume, first=first, last=last)
        first = last
        drawn = min(last * boot.chunk, B)
        if drawn < B and drawn >= min(ADAPTIVE_MIN, B) and all(
                _settled(policy, es, g, series, drawn, jack_weights, m_max) for g in gates):
            return drawn
    return B


def _prefix(s: _Series, n: int) -> _Series:
    return _Series(s.point, s.point_undefined, s.reps[:n], s.reps_undefined[:n], s.jack)


def _endpoint_se(dist: Distribution, tail: float, sigma: float) -> float:
    """Monte-Carlo SE of a bootstrap quantile at tail level ``tail`` from ``b`` replicates: the
    order-statistic formula sqrt(q(1−q)/b)/f(ξ_q) with a normal density f of SD σ* (≈ 2.67·σ*/√b at
    q = 0.025). The basic endpoint (2θ̂ − quantile) has the same SE."""
    from scipy.special import ndtri
    q = min(max(tail, 1e-12), 0.5)
    density = math.exp(-0.5 * float(ndtri(q)) ** 2) / math.sqrt(2.0 * math.pi)
    return sigma * math.sqrt(q * (1.0 - q)) / (density * math.sqrt(dist.replicates.size))


def _tail(dist: Distribution, alpha: float) -> float:
    """The quantile level (as a tail share ≤ ½) that the endpoint at ``alpha`` reads."""
    if dist.method == "bca" and not dist.bca_fallback:
        from scipy.special import ndtri
        level = dist._bca_level(float(ndtri(alpha)))
        return min(level, 1.0 - level)
    return alpha


def _settled(policy: Policy, es: EvalSet, g: Expanded, series: dict, drawn: int,
             jack_weights: np.ndarray | None, m_max: int) -> bool:
    """Would the full draw decide gate ``g`` the same way (with probability ≳ 99.8%)? True when the
    decision does not depend on the replicates (forced by a guard), or when, from the first ``drawn``
    replicates, the undefined share is safely below its limit and either the pass-side endpoint (at α)
    clears the bar by more than ADAPTIVE_Z Monte-Carlo SE, or both endpoints miss it by that much with
    the fail side at the most conservative level α/m (m = every blocking gate of the policy), each
    endpoint's tail holding at least ADAPTIVE_TAIL replicates. Straddling gates are never settled.
    Holm orders the family by bootstrap p-values: a gate settled as failing at α/m has p ≲ α/m, below
    that of any gate that does not fail at α/m, so stopping keeps the order that decides (its reported
    p-value and interval come from the replicates drawn). A gate decided on score intervals is settled
    from the start."""
    if _score(es, g) is not None:       # decided on counts, not on the replicates
        return True
    cand = _prefix(series[(g.id, "candidate")], drawn)
    base = series.get((g.id, "baseline"))
    if g.quantity != "candidate" and base is None:
        return True
    tested = _combine(g.quantity, cand, None if base is None else _prefix(base, drawn))
    if tested.point_undefined:
        return True
    dist = _distribution(tested, policy.bootstrap.method, jack_weights)
    n, support, _ = _sizes(es, g)
    forced = _guard(policy, g, tested, dist, n, support)
    if forced is not None:
        return forced[0] in ("no_examples", "min_support")
    total = max(dist.total, 1)
    p = dist.undefined / total
    if p + max(ADAPTIVE_Z * math.sqrt(p * (1.0 - p) / total), 3.0 / total) >= policy.decision.max_undefined_fraction:
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
    pass_tail, fail_tail = _tail(dist, alpha), _tail(dist, fail_alpha)
    se_pass, se_fail = _endpoint_se(dist, pass_tail, sigma), _endpoint_se(dist, fail_tail, sigma)
    if b * pass_tail < ADAPTIVE_TAIL:
        return False
    if sign * (pass_edge - t) > ADAPTIVE_Z * se_pass:
        return True
    return (b * fail_tail >= ADAPTIVE_TAIL and sign * (t - fail_edge) > ADAPTIVE_Z * se_fail
            and sign * (t - pass_edge) > ADAPTIVE_Z * se_pass)


class _ReadRecorder(list):
    """The point-estimate sums, recording which blocks a quantity reads (to group blocks)."""

    def __init__(self, items: list[np.ndarray]) -> None:
        super().__init__(items)
        self.read: set[int] = set()

    def __getitem__(self, i):
        self.read.add(i)
        return super().__getitem__(i)


def _combine(kind: str, cand: _Series, base: _Series | None) -> _Series:
    """The tested quantity's series: candidate, delta (c − b) or relative delta ((c − b)/b)."""
    if kind == "candidate":
        return cand
    assert base is not None

    def op(c: np.ndarray | float, b: np.ndarray | float):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.subtract(c, b) if kind == "delta" else np.divide(np.subtract(c, b), b)

    point = float(op(cand.point, base.point))
    undefined = cand.point_undefined or base.point_undefined or not math.isfinite(point)
    reps = op(cand.reps, base.reps)
    reps_undefined = cand.reps_undefined | base.reps_undefined | ~np.isfinite(reps)
    jack = None if cand.jack is None or base.jack is None else op(cand.jack, base.jack)
    return _Series(point, undefined, reps, reps_undefined, jack)


def _distribution(s: _Series, method: str, jack_weights: np.ndarray | None) -> Distribution:
    reps = s.reps[~s.reps_undefined]
    a = 0.0
    if method == "bca" and s.jack is not None and jack_weights is not None:
        a = acceleration(s.jack, jack_weights)
    return Distribution(s.point, reps, int(np.count_nonzero(s.reps_undefined)), method, a)


# ---------------------------------------------------------------------------------------------
# decisions and gate results


@dataclass
class _Measured:
    """What one bootstrapped gate measured: both sides' series, the tested quantity, subset sizes."""

    cand: _Series
    base: _Series | None
    tested: _Series | None
    n: int = 0
    support: int | None = None
    smallest: int = 0
    dist: Distribution | None = None     # the tested quantity's bootstrap distribution
    score: ScoreIntervals | None = None  # the score intervals that decide it instead (gate/score.py)


def _decide(policy: Policy, es: EvalSet, gates: list[Expanded], series: dict) -> list[GateResult]:
    method, confidence = policy.bootstrap.method, policy.bootstrap.confidence
    jack = series.get(("__jack_weights__", ""))
    jack_weights = None if jack is None else jack.reps
    checks: list[Check] = []
    measured: list[_Measured | None] = []
    for g in gates:
        if METRICS[g.spec.metric].family == "coverage":
            checks.append(coverage_check(es, g))
            measured.append(None)
            continue
        if METRICS[g.spec.metric].family == "flip" and es.baseline is None:
            checks.append(Check(None, g.op, g.threshold, False, 0, ("no_baseline", "no baseline to compare with")))
            measured.append(_Measured(_Series(math.nan, True), None, None))
            continue
        cand = series[(g.id, "candidate")]
        base = series.get((g.id, "baseline"))
        if g.quantity != "candidate" and base is None:
            checks.append(Check(None, g.op, g.threshold, False, 0, ("no_baseline", "no baseline to compare with")))
            measured.append(_Measured(cand, base, None))
            continue
        tested = _combine(g.quantity, cand, base)
        dist = None if tested.point_undefined else _distribution(tested, method, jack_weights)
        n, support, smallest = _sizes(es, g)
        score = _score(es, g)
        if score is not None:
            forced = _size_guard(g, n, support)
            checks.append(Check(score.tested, g.op, g.threshold, g.spec.severity == "error", n, forced))
        else:
            forced = _guard(policy, g, tested, dist, n, support)
            checks.append(Check(dist, g.op, g.threshold, g.spec.severity == "error", n, forced))
        measured.append(_Measured(cand, base, tested, n, support, smallest, dist, score))
    decisions = decide_all(checks, confidence, policy.decision.multiple_testing)
    results = []
    for g, check, m, d in zip(gates, checks, measured, decisions):
        if m is None:
            results.append(coverage_result(es, g, check, d, confidence))
        else:
            results.append(_gate_result(policy, g, check, m, d, method, confidence, jack_weights))
    return results


def _sizes(es: EvalSet, g: Expanded) -> tuple[int, int | None, int]:
    """(labeled examples in the candidate's subset, positives of the gated class in it or None for a
    class-less gate, examples of the subset's smallest class, 0 when a class is absent)."""
    side = es.candidate
    mask = np.ones(side.y.size, dtype=bool) if g.target.slice_col is None else (
        side.slices[g.target.slice_col] == g.target.slice_value)
    counts = None if side.counts is None else side.counts[mask]
    n = counted.total(side.counts, mask)
    smallest = int(counted.bincount(side.y[mask], es.n_classes, None, counts).min())
    if g.target.class_index is None:
        return n, None, smallest
    return n, counted.total(counts, side.y[mask] == g.target.class_index), smallest


def _score(es: EvalSet, g: Expanded) -> ScoreIntervals | None:
    """The gate's score intervals (:mod:`gate.score`) when its quantity is an eligible proportion."""
    t = g.target
    return score_intervals(es, t.metric, g.quantity, t.class_index, t.average, t.slice_col, t.slice_value)


def _size_guard(g: Expanded, n: int, support: int | None) -> tuple[str, str] | None:
    """Inconclusive without examples, or below the gate's ``min_support`` (whatever the interval)."""
    size = support if support is not None else n
    if n == 0:
        return "no_examples", "no labeled examples in this subset"
    if g.spec.min_support and size < g.spec.min_support:
        what = f"{size} examples of the class" if support is not None else f"{size} examples"
        return "min_support", f"only {what}, below min_support {g.spec.min_support}; not decided"
    return None


def _guard(policy: Policy, g: Expanded, tested: _Series, dist: Distribution | None, n: int,
           support: int | None) -> tuple[str, str] | None:
    """Why a bootstrapped gate cannot be decided, or None. Besides the size guards: an undefined
    estimate, too many undefined resamples, and a *degenerate* distribution — defined replicates
    taking fewer than DEGENERATE_VALUES distinct values (e.g. a paired delta where the two models
    disagree on no resampled example: every replicate is 0 and the interval [0, 0] would pass any
    ``max_drop``). A quantity the sampling design fixes (support or prevalence under
    ``sampling: stratified``) is exempt: it is known, not estimated."""
    sized = _size_guard(g, n, support)
    if sized is not None:
        return sized
    if tested.point_undefined or dist is None:
        return "undefined", _undefined_reason(g, support)
    share = dist.undefined / max(dist.total, 1)
    if share > policy.decision.max_undefined_fraction:
        return ("undefined_resamples", f"undefined in {dist.undefined} of {dist.total} resamples "
                f"({share:.1%}); too few examples to resample reliably")
    if not dist.usable:
        return "undefined", "the bootstrap distribution could not be formed"
    distinct = np.unique(dist.replicates).size
    fixed = policy.bootstrap.sampling == "stratified" and g.spec.metric in ("support", "prevalence")
    if distinct < DEGENERATE_VALUES and not fixed:
        return ("degenerate_resamples", f"the {dist.replicates.size} resamples take only {distinct} distinct "
                f"value{'s' if distinct != 1 else ''}: the bootstrap cannot measure this uncertainty "
                "(too few examples differ)")
    return None


def _undefined_reason(g: Expanded, support: int | None) -> str:
    if support == 0:
        return "undefined: the class has no true examples here"
    if g.spec.metric == "roc_auc":
        return "undefined: ROC-AUC needs both positive and negative examples"
    return "undefined on this data (a denominator is zero)"


def _estimate(s: _Series, method: str, confidence: float, jack_weights: np.ndarray | None) -> Estimate:
    if s.point_undefined:
        return Estimate(None, None, int(np.count_nonzero(s.reps_undefined)))
    dist = _distribution(s, method, jack_weights)
    ci = dist.interval(confidence) if dist.usable else None
    return Estimate(s.point, ci, dist.undefined)


def _gate_result(policy: Policy, g: Expanded, check: Check, m: _Measured, d: Decision, method: str,
                 confidence: float, jack_weights: np.ndarray | None) -> GateResult:
    cand, base, tested, n, support = m.cand, m.base, m.tested, m.n, m.support
    candidate = _estimate(cand, method, confidence, jack_weights)
    baseline = None if base is None else _estimate(base, method, confidence, jack_weights)
    delta_series = tested if g.quantity == "delta" else (_combine("delta", cand, base) if base is not None else None)
    delta = None if delta_series is None else _estimate(delta_series, method, confidence, jack_weights)
    if tested is None:
        tested_est = Estimate(None, None, 0)
    else:
        undefined = 0 if m.score is not None else int(np.count_nonzero(tested.reps_undefined))
        tested_est = Estimate(None if tested.point_undefined else tested.point, d.ci, undefined)
    interval_method = method
    if m.score is not None:
        candidate, baseline, delta = _score_estimates(m.score, candidate, baseline, delta, g.quantity, confidence)
        interval_method = m.score.tested.method
    notes = _notes(g, check, None if m.score else m.dist, d, support, m.smallest, policy, interval_method)
    if cand.drawn is not None:
        notes.append(f"adaptive: decided after {cand.drawn} of {policy.bootstrap.resamples} resamples "
                     f"(endpoints more than {ADAPTIVE_Z:g} Monte-Carlo SE from the bar)")
    severity = g.spec.severity if check.forced is None or check.forced[0] != "no_baseline" else "warning"
    adjusted_conf = 1.0 - 2.0 * d.fail_alpha
    return GateResult(
        id=g.id, metric=g.spec.metric, label=g.label, class_name=g.class_name, average=g.spec.average,
        slice=g.slice, bar=Bar(g.spec.bar_kind, g.spec.bar_value), quantity=g.quantity, op=g.op,
        threshold=g.threshold, direction=g.spec.direction, candidate=candidate, baseline=baseline,
        delta=delta, tested=tested_est, n=n or 0, support=support, status=d.status, severity=severity,
        reason=d.reason, confidence=adjusted_conf,
        message=gate_message(g, d, tested_est, check, _nominal(check, confidence), policy.decision.multiple_testing),
        p_value=d.p_value, needed_n=d.needed_n, notes=tuple(notes), policy_line=g.spec.line,
        interval_method=interval_method,
        distribution=tuple(float(x) for x in (m.dist.replicates if m.dist else ())),
    )


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


def _nominal(check: Check, confidence: float) -> tuple[float, float] | None:
    d = check.distribution
    return d.interval(confidence) if d is not None and d.usable else None


def _notes(g: Expanded, check: Check, dist: Distribution | None, d: Decision, support: int | None, smallest: int,
           policy: Policy, interval_method: str) -> list[str]:
    """``dist``: the check's bootstrap distribution, None when a score interval decided the gate
    (coverage gates are not noted here); ``interval_method`` names the interval in the notes."""
    notes = []
    if dist is not None and dist.undefined:
        notes.append(f"undefined in {dist.undefined} of {dist.total} resamples (excluded from the interval)")
    family = METRICS[g.spec.metric].family
    if support is not None and family in ("confusion", "ranking", "probability"):
        # the smaller side of the one-vs-rest split: a rare class, or a class that is almost everything
        outside = max(check.n - support, 0)
        minority, side = (support, "examples of the class") if support <= outside else (outside, "examples outside it")
        limit = SMALL_SUPPORT_RANKING if family == "ranking" or policy.bootstrap.method == "basic" else SMALL_SUPPORT
        if minority < limit:           # 0 included: e.g. F1 is 0, not undefined, with no positives
            notes.append(f"only {minority} {side}: with fewer than {limit}, {interval_method} intervals "
                         f"of {g.spec.metric} can under-cover (see docs/validity.md)")
    elif family in ("confusion", "ranking", "probability"):
        # whole-matrix metrics and averages depend on every class: the rarest one sets the regime
        limit = SMALL_SUPPORT_RANKING if family == "ranking" or policy.bootstrap.method == "basic" else SMALL_SUPPORT
        if smallest < limit:
            notes.append(f"the smallest class has only {smallest} examples here: with fewer than {limit}, "
                         f"{interval_method} intervals of {g.spec.metric} can under-cover (see docs/validity.md)")
    if dist is not None and dist.bca_fallback:
        notes.append("BCa undefined (every resample on one side of the estimate); percentile endpoints used")
    if dist is not None and d.status in ("pass", "fail") and d.ci is not None:
        mc_se = MC_SE_FACTOR * dist.standard_error() / math.sqrt(max(dist.replicates.size, 1))
        edge = d.ci[0] if (d.status == "pass") == (check.op == ">=") else d.ci[1]
        if math.isfinite(mc_se) and abs(edge - check.threshold) < 3 * mc_se:
            notes.append(f"decided within Monte-Carlo error of the bar (endpoint SE ≈ {mc_se:.2g}); "
                         "more bootstrap.resamples would make it firmer")
    return notes
