"""The pipeline: policy + artifacts → aligned arrays → sufficient statistics → bootstrap → decisions →
one :class:`gate.report.Report`.

``evaluate`` works on an already aligned :class:`gate.data.align.EvalSet`; :func:`gate.api.check` (what
``model-gate check`` calls) reads and aligns the inputs first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from gate import memory, timing
from gate.data.align import EvalSet, Side
from gate.errors import InputError
from gate.inference.binned import BinnedInterval
from gate.inference.calibration import EceBias, EceInterval, ece_bias
from gate.inference.decide import Decision
from gate.inference.gate_results import Fixed, Measured, Pending, decide_gates
from gate.inference.guards import NO_EXAMPLES
from gate.inference.label_coverage import coverage_check, coverage_result
from gate.inference.score import score_intervals
from gate.inference.series import Series
from gate.inference.sizes import sizes
from gate.metrics.binned import ALL_BOUNDED, bound_quantity
from gate.metrics.catalog import METRICS
from gate.metrics.compiler import ClassGroups, QuantityBuilder
from gate.metrics.flips import flip_rows
from gate.policy.expand import Expanded, expand_gates
from gate.policy.load import Policy
from gate.report.model import GateResult, Note, Report, Resampling, exit_code_of, gate_counts, verdict_of
from gate.report.notes import gate_notes, policy_warnings, resample_warnings
from gate.report.reproducibility import reproducibility
from gate.report.summaries import data_summary, report_extras
from gate.resampling import adaptive
from gate.resampling.stats import StatPlan, compress, default_threads, parallel_map

Quantity = Callable[[list], tuple[np.ndarray, np.ndarray]]   # block sums -> (values, undefined)

def evaluate(policy: Policy, es: EvalSet, *, seed: int | None = None, command: Sequence[str] = ()) -> Report:
    """The Report of ``policy`` on ``es``: expand the gates, compile their quantities to statistic
    blocks, bootstrap them, decide (:mod:`gate.inference.gate_results`) and assemble the report."""
    seed = policy.bootstrap.seed if seed is None else seed
    gates = expand_gates(policy, es)
    _check_inputs(policy, es, gates)
    independent = es.baseline if es.pairing == "independent" else None     # its own units after the candidate's
    offsets = {"candidate": 0, "baseline": es.candidate.y.size if independent is not None else 0}
    n_units = es.candidate.y.size + (independent.y.size if independent is not None else 0)
    # binned cells (gate/engines/bins.py): their weighted blocks are drawn as Poisson pieces, not written out
    plan = StatPlan(n_units, multiplicity=_multiplicity(es), weighted_pieces=es.candidate.score_bins is not None)
    groups = ClassGroups().warm(es, default_threads())    # the sorts every ranking block and curve shares
    builder = QuantityBuilder(es, plan, offsets, groups, defer=True)   # ranking blocks: built by plan.realize
    bootstrapped = [g for g in gates if METRICS[g.spec.metric].family not in ("coverage", "flip")
                    or (METRICS[g.spec.metric].family == "flip" and es.baseline is not None)]
    quantities = {}
    for g in bootstrapped:
        quantities[(g.id, "candidate")] = builder.quantity("candidate", g.target)
        if es.baseline is not None and METRICS[g.spec.metric].family != "flip":    # a flip rate is already paired
            quantities[(g.id, "baseline")] = builder.quantity("baseline", g.target)
        if _binned(es, g):          # the binning's error bound, per replicate (gate/inference/binned.py)
            for role in ("candidate", "baseline") if es.baseline is not None else ("candidate",):
                quantities[(g.id, BOUND + role)] = bound_quantity(builder, role, g.target)
    plan.realize(default_threads())
    clusters = cluster_codes(es)
    codes = None if clusters is None else clusters[:es.candidate.y.size]     # the candidate's rows first
    measured = {g.id: _measured(es, g, codes) for g in bootstrapped}
    series, jack_weights, resampling = _run_bootstrap(policy, es, plan, quantities, seed, n_units, measured,
                                                      clusters, gates)
    results = _decide(policy, es, gates, series, jack_weights, measured, seed)
    verdict = verdict_of(results, policy.decision.inconclusive)
    extras = report_extras(es, groups)
    if any(METRICS[g.spec.metric].family == "flip" for g in gates):
        extras["flips"] = flip_rows(es)
    warnings = policy_warnings(policy) + list(es.warnings) + resample_warnings(policy, results)
    return Report(
        policy_name=policy.name, verdict=verdict, exit_code=exit_code_of(verdict),
        gates=tuple(results), counts=gate_counts(results), data=data_summary(es), warnings=tuple(warnings),
        reproducibility=reproducibility(policy, seed, command, resampling, stratify=policy.bootstrap.stratify,
                                        sampling=policy.bootstrap.sampling, **_unit_fields(policy, clusters)),
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


def cluster_codes(es: EvalSet) -> np.ndarray | None:
    """``data.cluster``: every unit's cluster as a code, numbered in sorted order of the cluster
    texts (so the draw depends on the clusters, not on the order of the rows); None without
    clusters. Paired sides share the candidate's units (their clusters agree, checked when aligned);
    an independent baseline's clusters are numbered after the candidate's, so a cluster name that
    both sides use still makes two clusters, one per sample."""
    if es.candidate.cluster is None:
        return None
    codes = np.unique(es.candidate.cluster, return_inverse=True)[1].ravel().astype(np.int64)
    if es.pairing == "independent" and es.baseline is not None and es.baseline.cluster is not None:
        base = np.unique(es.baseline.cluster, return_inverse=True)[1].ravel().astype(np.int64)
        codes = np.concatenate([codes, base + (int(codes.max()) + 1 if codes.size else 0)])
    return codes


def _unit_fields(policy: Policy, clusters: np.ndarray | None) -> dict:
    """The reproducibility block's resampling unit: examples, or ``data.cluster``'s clusters and how
    many there are (both sides'; ``clusters``: :func:`cluster_codes`)."""
    if clusters is None or policy.data.cluster is None:
        return {"unit": "example"}
    return {"unit": "cluster", "cluster": policy.data.cluster, "clusters": int(np.unique(clusters).size)}


def _run_bootstrap(policy: Policy, es: EvalSet, plan: StatPlan, quantities: dict[tuple[str, str], Quantity],
                   seed: int, n_units: int, measured: dict[str, Measured], clusters: np.ndarray | None,
                   all_gates: Sequence[Expanded] = ()) -> tuple[dict[tuple[str, str], Series], np.ndarray | None,
                                                                Resampling]:
    """Point estimates from the observed counts (reference accumulation), then the replicates from
    :class:`gate.resampling.stats.Bootstrap` (chunked, threaded, deterministic whatever the thread count).

    Blocks that one gate reads (its candidate and baseline quantities) share every resample; blocks
    of unrelated gates are resampled independently (component ``c`` draws from
    ``SeedSequence(seed, spawn_key=(c,))``). Each gate is decided on its own (marginal) bootstrap
    distribution, which is the same either way, and independent components can take the cheapest
    exact draw each (e.g. a multinomial over one class's rank cells instead of N indices).
    With ``bootstrap.adaptive`` each component is drawn in rounds and stops once every gate in it is
    settled (:func:`gate.resampling.adaptive.settled`; ``measured``: the bootstrapped gates' sizes and score
    intervals); its replicates are then a prefix of the full draw's (same chunk seeds). ``clusters``:
    each unit's cluster code (:func:`cluster_codes`), None without ``data.cluster``.
    ``MODEL_GATE_TIMING=1`` prints the phases' wall and CPU times to stderr. Returns the series, the
    jackknife's unit weights (BCa; else None) and the resampling's description."""
    from gate.resampling.stats import components

    t0 = time.perf_counter()
    series, reads = _points(plan, quantities, policy.bootstrap.resamples)
    if not quantities:
        return series, None, Resampling(groups=0)
    strata = _strata(policy, es, n_units)
    by_gate: dict[str, set[int]] = {}
    for (gate_id, _), blocks in reads.items():
        by_gate.setdefault(gate_id, set()).update(blocks)
    comps = components(len(plan.blocks), list(by_gate.values()))
    tj = time.perf_counter()
    jack_weights = _jackknife(policy, plan, strata, clusters, quantities, series, seed)
    t_jack = time.perf_counter() - tj
    draw = _Draw(policy, plan, strata, clusters, seed, quantities, reads, series, jack_weights,
                 m_max=sum(1 for g in all_gates if g.spec.severity == "error"))   # the largest possible family
    t1, c1 = time.perf_counter(), time.process_time()
    draw.run_all(comps, measured)
    for key, blocks in reads.items():       # quantities that read no block (none today): constant
        if not blocks:
            series[key].reps[:] = series[key].point
            series[key].reps_undefined[:] = series[key].point_undefined
    t2, c2 = time.perf_counter(), time.process_time()
    B, on = policy.bootstrap.resamples, policy.bootstrap.adaptive
    timing.print_line(timing.bootstrap_line(tj - t0, t2 - t1, draw.t_tables, c2 - c1, draw.described, t_jack,
                                            (draw.total_drawn, len(comps) * B) if on else None))
    return series, jack_weights, draw.description(len(comps))


def _points(plan: StatPlan, quantities: dict[tuple[str, str], Quantity],
            resamples: int) -> tuple[dict[tuple[str, str], Series], dict[tuple[str, str], set[int]]]:
    """Each quantity's point estimate on the observed data (every unit weighing 1), its series with
    room for ``resamples`` replicates, and the blocks it reads (which group gates into components)."""
    point_acc = plan.point()
    series: dict[tuple[str, str], Series] = {}
    reads: dict[tuple[str, str], set[int]] = {}
    for key, q in quantities.items():
        probe = _ReadRecorder(point_acc)
        v, u = q(probe)
        reads[key] = probe.read
        series[key] = Series(float(v[0]), bool(u[0]), np.empty(resamples), np.zeros(resamples, dtype=bool))
    return series, reads


def _jackknife(policy: Policy, plan: StatPlan, strata: np.ndarray, clusters: np.ndarray | None,
               quantities: dict[tuple[str, str], Quantity], series: dict[tuple[str, str], Series],
               seed: int) -> np.ndarray | None:
    """BCa only: every series' leave-one-cell-out values (leave-one-cluster-out with ``clusters``;
    set on ``series``) and the cells' weights. Run before the draw: adaptive stopping reads BCa
    endpoints."""
    from gate.resampling.stats import cluster_jackknife_sums, jackknife_sums

    if policy.bootstrap.method != "bca":
        return None
    if clusters is not None:
        acc, jack_weights = cluster_jackknife_sums(plan, clusters, seed)
    else:
        acc, jack_weights = jackknife_sums(compress(plan, strata), seed)
    for key, q in quantities.items():
        v, u = q(acc)
        series[key] = replace(series[key], jack=np.where(u, np.nan, v))
    return jack_weights


@dataclass
class _Draw:
    """The draw of every component's replicates into ``series`` (filled in place), with what the
    timing line and the report's resampling description say about it."""

    policy: Policy
    plan: StatPlan
    strata: np.ndarray
    clusters: np.ndarray | None
    seed: int
    quantities: dict[tuple[str, str], Quantity]
    reads: dict[tuple[str, str], set[int]]
    series: dict[tuple[str, str], Series]
    jack_weights: np.ndarray | None
    m_max: int
    described: list[str] = field(default_factory=list)
    schemes: set[str] = field(default_factory=set)
    t_tables: float = 0.0
    stopped: int = 0
    total_drawn: int = 0

    def prepare(self, c: int, blocks: list[int]) -> tuple:
        """Component ``c``'s Bootstrap over ``blocks``, the consumer that writes its quantities'
        replicates, and those quantities."""
        from gate.resampling.stats import Bootstrap, Sums, subplan

        members = set(blocks)
        qs = {key: q for key, q in self.quantities.items() if self.reads[key] and self.reads[key] <= members}
        # Poisson(1) weights keep ratio metrics' distribution but not a raw count's (support, counts)
        allow_poisson = not any(g.metric == "support" or (g.metric == "confusion" and g.params.get("normalize") == "none")
                                for g in self.policy.gates)
        boot = Bootstrap(subplan(self.plan, blocks), self.strata, self.policy.bootstrap.resamples,
                         np.random.SeedSequence(self.seed, spawn_key=(c,)),
                         allow_poisson=allow_poisson, samples_only=not self.policy.bootstrap.stratify,
                         clusters=self.clusters)
        boot.build()        # the Poisson path's pieces here, on the preparing thread (a sort per pair of views)
        series, n_blocks = self.series, len(self.plan.blocks)

        def consume(start: int, acc: list[np.ndarray]) -> None:
            full = Sums([None] * n_blocks)
            for i, b in enumerate(blocks):
                full[b] = acc[i]
            stop = start + acc[0].shape[0]
            for key, q in qs.items():
                v, u = q(full)
                series[key].reps[start:stop] = v
                series[key].reps_undefined[start:stop] = u | ~np.isfinite(v)
        return boot, consume, qs

    def run_all(self, comps: list[list[int]], measured: dict[str, Measured]) -> None:
        """Groups are prepared (code tables, pieces: sorts) and drawn in waves of two per thread, so
        the pool stays busy while at most one wave's tables are in memory."""
        from gate.resampling.stats import run_all

        wave = 2 * default_threads()
        for first in range(0, len(comps), wave):
            tw = time.perf_counter()
            prepared = parallel_map(lambda c: self.prepare(c, comps[c]), list(range(first, min(first + wave, len(comps)))))
            self.described += [boot.describe() for boot, _, _ in prepared]
            self.t_tables += time.perf_counter() - tw
            self.schemes |= {boot.scheme for boot, _, _ in prepared}
            memory.release()        # the preparing threads' temporaries (sorts, joint codes, pieces), before the draw
            if not self.policy.bootstrap.adaptive:
                run_all([(boot, consume) for boot, consume, _ in prepared])
                continue
            for boot, consume, qs in prepared:
                self._adaptive(boot, consume, qs, measured)

    def _adaptive(self, boot, consume, qs: dict, measured: dict[str, Measured]) -> None:
        """Draw one component in rounds (:func:`gate.resampling.adaptive.draw`); when it stopped early, its
        series keep the replicates drawn."""
        in_comp = [m for gate_id, m in measured.items() if (gate_id, "candidate") in qs]
        drawn = adaptive.draw(self.policy, boot, consume, in_comp, self.series, self.jack_weights, self.m_max)
        self.total_drawn += drawn
        if drawn < self.policy.bootstrap.resamples:
            self.stopped += 1
            for key in qs:
                s = self.series[key]
                self.series[key] = replace(s, reps=s.reps[:drawn], reps_undefined=s.reps_undefined[:drawn], drawn=drawn)

    def description(self, n_comps: int) -> Resampling:
        """The report's ``reproducibility.resampling``: the gate groups, their draw schemes, and
        with ``bootstrap.adaptive`` how many stopped early."""
        adaptive = self.policy.bootstrap.adaptive
        return Resampling(groups=n_comps, schemes=tuple(sorted(self.schemes)),
                          stopped=self.stopped if adaptive else None, drawn=self.total_drawn if adaptive else None,
                          planned=n_comps * self.policy.bootstrap.resamples if adaptive else None)


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
            jack_weights: np.ndarray | None, measured: dict[str, Measured], seed: int) -> list[GateResult]:
    """Every gate's measurements handed to the shared decision stage (:mod:`gate.inference.gate_results`):
    label coverage on its exact interval, a flip rate without a baseline as measured nothing, the
    rest (``measured``: sizes, clusters and score intervals) with their series."""
    items: list[Measured | Fixed] = []
    for g in gates:
        family = METRICS[g.spec.metric].family
        if family == "coverage":
            items.append(_coverage(policy, es, g, seed))
        elif family == "flip" and es.baseline is None:
            items.append(Measured(g, None, None))
        else:
            m = replace(measured[g.id], candidate=series[(g.id, "candidate")], baseline=series.get((g.id, "baseline")))
            items.append(_with_bounds(policy, es, m, series) if _binned(es, g) else m)

    def notes(p: Pending, d: Decision, interval_method: str) -> list[Note]:
        return gate_notes(policy, p, d, interval_method, p.measured.clusters)

    return decide_gates(policy, items, jack_weights=jack_weights, notes=notes)


BOUND = "binning bound: "     # series keys (gate id, BOUND + role): a binned gate's error bound


def _binned(es: EvalSet, g: Expanded) -> bool:
    """A ranking or calibration gate on scores the engine path binned (gate/engines/bins.py)."""
    return g.spec.metric in ALL_BOUNDED and es.candidate.score_bins is not None


def _with_bounds(policy: Policy, es: EvalSet, m: Measured, series: dict[tuple[str, str], Series]) -> Measured:
    """A binned gate's measurements with the interval rule that widens by the binning's bound (around
    the gate's own rule: ECE's bias-bounded interval)."""
    g = m.gate
    assert m.candidate is not None
    bins = tuple(s.score_bins or 0 for s in (es.candidate, es.baseline) if s is not None)
    rule = BinnedInterval(m.candidate, series[(g.id, BOUND + "candidate")], m.baseline,
                          series.get((g.id, BOUND + "baseline")), policy.bootstrap.method, bins, m.interval)
    return replace(m, interval=rule)


def _clusters_in(es: EvalSet, codes: np.ndarray, g: Expanded) -> int:
    """How many of the candidate's clusters (``codes``: each row's) have rows in the gate's slice."""
    t = g.target
    rows = codes if t.slice_col is None else codes[es.candidate.slices[t.slice_col] == t.slice_value]
    return int(np.unique(rows).size)


def _measured(es: EvalSet, g: Expanded, codes: np.ndarray | None) -> Measured:
    """A bootstrapped gate's sizes (:func:`gate.inference.sizes.sizes`; with ``codes``, the candidate
    rows' cluster codes, also the clusters its rows hold) and score intervals (:mod:`gate.inference.score`,
    when its quantity is an eligible proportion); its series come after the draw."""
    n, support, smallest = sizes(es, g)
    t = g.target
    score = score_intervals(es, t.metric, g.quantity, t.class_index, t.average, t.slice_col, t.slice_value)
    clusters = None if codes is None else _clusters_in(es, codes, g)
    return Measured(g, None, None, n, support, smallest, score, NO_EXAMPLES, _interval_rule(es, g), clusters)


def _interval_rule(es: EvalSet, g: Expanded) -> EceInterval | None:
    """ECE's bias-bounded interval rule (gate/inference/calibration.py), from each side's rows in
    the gate's subset; None for every other metric (the policy's bootstrap method)."""
    if g.spec.metric != "ece":
        return None
    t = g.target

    def bias(side: Side) -> EceBias:
        rows = (np.arange(side.y.size) if t.slice_col is None
                else np.flatnonzero(side.slices[t.slice_col] == t.slice_value))
        return ece_bias(side, rows)

    return EceInterval(bias(es.candidate), None if es.baseline is None else bias(es.baseline))


def _coverage(policy: Policy, es: EvalSet, g: Expanded, seed: int) -> Fixed:
    """label_coverage, decided on its exact interval (a cluster bootstrap with ``data.cluster``:
    :mod:`gate.inference.label_coverage`) in the same family."""
    b = policy.bootstrap
    check = coverage_check(es, g, seed=seed, resamples=b.resamples, method=b.method)
    return Fixed(check, lambda d: coverage_result(es, g, check, d, b.confidence))
