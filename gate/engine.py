"""The pipeline: policy + artifacts → aligned arrays → sufficient statistics → bootstrap → decisions →
one :class:`gate.report.Report`.

``evaluate`` works on an already aligned :class:`gate.align.EvalSet`; :func:`gate.api.check` (what
``model-gate check`` calls) reads and aligns the inputs first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from gate import __version__
from gate.align import EvalSet, check_probabilities
from gate.coverage import coverage_check, coverage_result
from gate.decide import Check, Decision
from gate.errors import InputError
from gate.expand import Expanded, expand_gates
from gate.extras import data_summary, report_extras
from gate.flips import flip_rows
from gate.gate_results import Fixed, Measured, Pending, decide_gates, pending
from gate.guards import NO_EXAMPLES
from gate.intervals import Distribution
from gate.metrics.catalog import METRICS
from gate.metrics.plan import QuantityBuilder, warm_class_groups
from gate.policy import Policy
from gate.report import GateResult, Report, Reproducibility, exit_code_of, gate_counts, verdict_of
from gate.score import ScoreIntervals, score_intervals
from gate.series import Series, prefix
from gate.stats import StatPlan, compress, default_threads, parallel_map

SMALL_SUPPORT = 100          # warn below this many examples on the smaller side of the gated class
SMALL_SUPPORT_RANKING = 200  # ... for AP / PR-AUC / ROC-AUC, and for every metric with method: basic
                             # (calibrated in docs/validity.md §2 and §8)
MC_SE_FACTOR = 2.67          # SD of a 95% percentile endpoint ≈ 2.67·σ*/√B (statistics reference §2.4)
ADAPTIVE_ROUND = 500         # bootstrap.adaptive: resamples per round (whole chunks, at least 2 so that
                             # a round keeps two threads busy; fixed, so results do not depend on threads)
ADAPTIVE_MIN = 500           # ... never stop a gate group before this many resamples
ADAPTIVE_Z = 3.0             # ... endpoints must be this many Monte-Carlo SE from the bar
ADAPTIVE_TAIL = 10           # ... and the endpoint's tail must hold this many replicates


def evaluate(policy: Policy, es: EvalSet, *, seed: int | None = None, command: Sequence[str] = ()) -> Report:
    seed = policy.bootstrap.seed if seed is None else seed
    gates = expand_gates(policy, es)
    _check_inputs(policy, es, gates)
    independent = es.baseline if es.pairing == "independent" else None     # its own units after the candidate's
    offsets = {"candidate": 0, "baseline": es.candidate.y.size if independent is not None else 0}
    n_units = es.candidate.y.size + (independent.y.size if independent is not None else 0)
    plan = StatPlan(n_units)
    warm_class_groups(es, default_threads())      # the sorts every ranking block and curve shares
    builder = QuantityBuilder(es, plan, offsets)
    bootstrapped = [g for g in gates if METRICS[g.spec.metric].family not in ("coverage", "flip")
                    or (METRICS[g.spec.metric].family == "flip" and es.baseline is not None)]
    quantities = {}
    for g in bootstrapped:
        quantities[(g.id, "candidate")] = builder.quantity("candidate", g.target)
        if es.baseline is not None and METRICS[g.spec.metric].family != "flip":    # a flip rate is already paired
            quantities[(g.id, "baseline")] = builder.quantity("baseline", g.target)
    series, jack_weights, resampling = _run_bootstrap(policy, es, plan, quantities, seed, n_units, bootstrapped,
                                                      gates)
    results = _decide(policy, es, gates, series, jack_weights)
    verdict = verdict_of(results, policy.decision.inconclusive)
    extras = report_extras(es)
    if any(METRICS[g.spec.metric].family == "flip" for g in gates):
        extras["flips"] = flip_rows(es)
    warnings = list(policy.warnings) + list(es.warnings) + _resample_warnings(policy, results)
    return Report(
        policy_name=policy.name, verdict=verdict, exit_code=exit_code_of(verdict),
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
                   all_gates: Sequence[Expanded] = ()) -> tuple[dict[tuple[str, str], Series], np.ndarray | None, str]:
    """Point estimates from the observed counts (reference accumulation), then the replicates from
    :class:`gate.stats.Bootstrap` (chunked, threaded, deterministic whatever the thread count).

    Blocks that one gate reads (its candidate and baseline quantities) share every resample; blocks
    of unrelated gates are resampled independently (component ``c`` draws from
    ``SeedSequence(seed, spawn_key=(c,))``). Each gate is decided on its own (marginal) bootstrap
    distribution, which is the same either way, and independent components can take the cheapest
    exact draw each (e.g. a multinomial over one class's rank cells instead of N indices).
    With ``bootstrap.adaptive`` each component is drawn in rounds and stops once every gate in it is
    settled (:func:`_settled`); its replicates are then a prefix of the full draw's (same chunk seeds).
    ``MODEL_GATE_TIMING=1`` prints the phases' wall and CPU times to stderr. Returns the series, the
    jackknife's unit weights (BCa; else None) and the resampling's description."""
    import os
    import sys
    import time

    from gate.stats import Bootstrap, Sums, components, jackknife_sums, run_all, subplan

    timing = os.environ.get("MODEL_GATE_TIMING", "") not in ("", "0")
    t0 = time.perf_counter()
    B = policy.bootstrap.resamples
    point_acc = plan.accumulate(np.ones((1, n_units)))
    series: dict[tuple[str, str], Series] = {}
    reads: dict[tuple[str, str], set[int]] = {}
    for key, q in quantities.items():
        probe = _ReadRecorder(point_acc)
        v, u = q(probe)
        reads[key] = probe.read
        series[key] = Series(float(v[0]), bool(u[0]), np.empty(B), np.zeros(B, dtype=bool))
    if not quantities:
        return series, None, "none (no bootstrapped gate)"
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
            series[key] = replace(series[key], jack=np.where(u, np.nan, v))
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
                    series[key] = replace(s, reps=s.reps[:drawn], reps_undefined=s.reps_undefined[:drawn], drawn=drawn)
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
    return series, jack_weights, described_draw


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
    cand, base = series[(g.id, "candidate")], series.get((g.id, "baseline"))
    n, support, _ = _sizes(es, g)
    so_far = pending(policy, Measured(g, prefix(cand, drawn), None if base is None else prefix(base, drawn), n,
                                      support), jack_weights)
    forced = so_far.check.forced
    if forced is not None:              # settled when more replicates cannot lift the guard
        return forced[0] in ("no_baseline", "no_examples", "min_support") or (
            so_far.tested is not None and so_far.tested.point_undefined)
    dist = so_far.dist
    assert dist is not None
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


# ---------------------------------------------------------------------------------------------
# decisions and gate results


def _decide(policy: Policy, es: EvalSet, gates: list[Expanded], series: dict[tuple[str, str], Series],
            jack_weights: np.ndarray | None) -> list[GateResult]:
    """Every gate's measurements handed to the shared decision stage (:mod:`gate.gate_results`):
    label coverage on its exact interval, a flip rate without a baseline as measured nothing, the
    rest from their series, sizes and score intervals."""
    confidence = policy.bootstrap.confidence
    items: list[Measured | Fixed] = []
    for g in gates:
        family = METRICS[g.spec.metric].family
        if family == "coverage":
            items.append(_coverage(es, g, confidence))
        elif family == "flip" and es.baseline is None:
            items.append(Measured(g, None, None))
        else:
            n, support, smallest = _sizes(es, g)
            items.append(Measured(g, series[(g.id, "candidate")], series.get((g.id, "baseline")), n, support,
                                  smallest, _score(es, g), NO_EXAMPLES))
    return decide_gates(policy, items, jack_weights=jack_weights, notes=lambda p, d, im: _notes(policy, p, d, im))


def _coverage(es: EvalSet, g: Expanded, confidence: float) -> Fixed:
    """label_coverage, decided on its exact interval (:mod:`gate.coverage`) in the same family."""
    check = coverage_check(es, g)
    return Fixed(check, lambda d: coverage_result(es, g, check, d, confidence))


def _sizes(es: EvalSet, g: Expanded) -> tuple[int, int | None, int]:
    """(labeled examples in the candidate's subset, positives of the gated class in it or None for a
    class-less gate, examples of the subset's smallest class, 0 when a class is absent)."""
    side = es.candidate
    mask = np.ones(side.y.size, dtype=bool) if g.target.slice_col is None else (
        side.slices[g.target.slice_col] == g.target.slice_value)
    n = int(np.count_nonzero(mask))
    smallest = int(np.bincount(side.y[mask], minlength=es.n_classes).min())
    if g.target.class_index is None:
        return n, None, smallest
    return n, int(np.count_nonzero(side.y[mask] == g.target.class_index)), smallest


def _score(es: EvalSet, g: Expanded) -> ScoreIntervals | None:
    """The gate's score intervals (:mod:`gate.score`) when its quantity is an eligible proportion."""
    t = g.target
    return score_intervals(es, t.metric, g.quantity, t.class_index, t.average, t.slice_col, t.slice_value)


def _notes(policy: Policy, p: Pending, d: Decision, interval_method: str) -> list[str]:
    """A classification gate's notes (coverage gates have none): undefined resamples, a small class
    whose intervals can under-cover, BCa's fallback, a decision within Monte-Carlo error of the bar,
    and where ``bootstrap.adaptive`` stopped. The bootstrap distribution is not noted on when a score
    interval decided the gate; ``interval_method`` names the interval."""
    m, check = p.measured, p.check
    g, support, smallest = m.gate, m.support, m.smallest
    dist = None if m.score is not None else p.dist
    notes = _sampling_notes(policy, g, check, dist, d, support, smallest, interval_method)
    drawn = m.candidate.drawn if m.candidate is not None else None
    if drawn is not None:
        notes.append(f"adaptive: decided after {drawn} of {policy.bootstrap.resamples} resamples "
                     f"(endpoints more than {ADAPTIVE_Z:g} Monte-Carlo SE from the bar)")
    return notes


def _sampling_notes(policy: Policy, g: Expanded, check: Check, dist: Distribution | None, d: Decision,
                    support: int | None, smallest: int, interval_method: str) -> list[str]:
    """The notes on the bootstrap distribution ``dist`` (None: a score interval decided)."""
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
