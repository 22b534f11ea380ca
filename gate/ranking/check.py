"""``task: ranking``: runs and judgements → per-query values → query bootstrap → decisions → one Report.

Each model's per-query values are computed once (:func:`gate.ranking.per_query`, one pass for every
measure the gates use). The query is the resampling unit: resample ``r`` gives query ``q`` the Poisson(1)
weight ``w[r, q]`` (:func:`gate.resampling.poisson.weights`, a pure function of (seed, r, q), so chunking and
threads never change a replicate), and a gate's replicate is the weighted mean ``Σ w·v / Σ w`` over its
queries (undefined when every weight is 0). The weight belongs to the query id:

- when both runs score the same queries the two means share every weight: a paired bootstrap of the
  difference;
- queries only one run scores (``missing_queries: skip``, or disjoint canary traffic) carry their own,
  independent weights, so disjoint runs are resampled independently;
- ``bootstrap.pairing: independent`` gives the baseline's queries weights of their own, ``paired``
  requires both runs to score the same queries, ``intersect`` keeps only the queries both score.

Decisions are the shared stage :func:`gate.inference.gate_results.decide_gates` (the classification guards with
the query count as the size, :class:`gate.inference.intervals.Distribution`: percentile, basic, BCa with a
leave-one-query-out jackknife; Holm, Bonferroni), giving the same :class:`gate.report.GateResult`, so
every renderer and publisher works as it is.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from gate import timing
from gate.errors import InputError
from gate.inference.decide import Decision
from gate.inference.gate_results import Measured, Pending, decide_gates
from gate.inference.series import Series
from gate.metrics.compiler import Target
from gate.policy.expand import Expanded, bar_rule, unique_ids
from gate.policy.load import Policy
from gate.ranking.inputs import Columns, Input, query_attribute, read_judgements, read_run_input, same_id_kinds
from gate.ranking.measures import PerQuery, per_query
from gate.ranking.options import Measure
from gate.ranking.policy import RankingGateSpec, RankingSpec
from gate.ranking.queries import comparisons
from gate.ranking.runs import Rankings, from_arrays
from gate.report.model import DataSummary, GateResult, Note, Report, Resampling, exit_code_of, gate_counts, verdict_of
from gate.report.reproducibility import reproducibility
from gate.resampling import poisson
from gate.resampling.stats import parallel_map

CHUNK = 64                 # resamples per matrix product (bounds the weight matrix: CHUNK × queries)
QUANTUM = 2.0 ** -30       # values enter the resampling product as multiples of this (see bootstrap)
EXACT_UNITS = 1 << 22      # ... exactly while Σ weights stays below 2^23 (Poisson(1) weights: ~units)
SPAWN_KEY = 15             # the ranking bootstrap's stream: SeedSequence(seed, spawn_key=(SPAWN_KEY,))


@dataclass(frozen=True, eq=False)
class Side:
    """One model: its rankings (judged queries, ranked lists) and per-query values of every measure."""

    role: str
    input: Input
    rankings: Rankings
    values: dict[Measure, PerQuery]


@dataclass(frozen=True, eq=False)
class RankingGate:
    """An expanded gate: the policy gate, its slice value and, per side, the queries it averages."""

    expanded: Expanded
    measure: Measure
    queries: dict[str, np.ndarray]        # role -> query ids (sorted)
    values: dict[str, np.ndarray]         # role -> per-query values, aligned with queries


def check_ranking(policy: Policy, candidate: Any, baseline: Any = None, *, qrels: Any = None,
                  seed: int | None = None, command: Sequence[str] = ()) -> Report:
    """The Report of a ``task: ranking`` policy (see the module docstring); ``qrels`` overrides
    ``data.qrels``; without either, each run carries an inline relevance column."""
    spec = policy.ranking
    assert spec is not None
    seed = policy.bootstrap.seed if seed is None else seed
    clock = timing.Clock()
    sides, judged = read_sides(spec, candidate, baseline, qrels)
    clock.lap("read + per-query values")
    gates = expand(policy, spec, sides, judged)
    if policy.bootstrap.pairing == "intersect":
        gates = intersected(gates)
    units, pairing = query_units(policy, gates)
    jackknife = policy.bootstrap.method == "bca"
    series = bootstrap(gates, units, policy.bootstrap.resamples, seed, jackknife)
    clock.lap(f"bootstrap ({units.size:,} units)")
    results = decide(policy, gates, series, np.ones(units.size) if jackknife else None)
    clock.lap("decisions")
    clock.report(" (ranking)")
    verdict = verdict_of(results, policy.decision.inconclusive)
    return Report(
        policy_name=policy.name, verdict=verdict, exit_code=exit_code_of(verdict),
        gates=tuple(results), counts=gate_counts(results), data=summary(sides, judged, pairing),
        warnings=tuple(warnings(sides)),
        queries=comparisons(sides[0].values, sides[1].values) if len(sides) > 1 else (),
        reproducibility=reproducibility(
            policy, seed, command, Resampling(schemes=("poisson",), per="query", units=int(units.size), pairing=pairing),
            unit="query"),
    )


# ---------------------------------------------------------------------------------------------
# inputs → per-query values


def read_sides(spec: RankingSpec, candidate: Any, baseline: Any, qrels: Any) -> tuple[list[Side], Input | None]:
    """Read the judgements and the runs and compute every measure's per-query values per run."""
    judged, inputs = read_inputs(spec, candidate, baseline, qrels)
    measures = list(dict.fromkeys(spec.measures))

    def side(run: Input) -> Side:
        judgements = run.judged if judged is None else judged.columns
        assert judgements is not None
        rankings = _rankings(run.columns, judgements)
        return Side(run.artifact.role, run, rankings, dict(zip(measures, per_query(rankings, measures, spec.options))))

    return parallel_map(side, inputs), judged


def read_inputs(spec: RankingSpec, candidate: Any, baseline: Any, qrels: Any) -> tuple[Input | None, list[Input]]:
    """The judgements (None when inline in the runs) and the runs, read concurrently (pyarrow's parse
    and most of the column checks release the GIL). The first input in the order judgements,
    candidate, baseline with a problem raises, as a sequential read would."""
    qrels = spec.data.qrels if qrels is None else qrels
    roles = [("candidate", candidate)] + ([("baseline", baseline)] if baseline is not None else [])
    jobs: list[Callable[[], Input]] = [functools.partial(read_run_input, src, role, spec.data, inline=qrels is None)
                                       for role, src in roles]
    if qrels is not None:
        jobs.insert(0, functools.partial(read_judgements, qrels, spec.data))
    read = parallel_map(lambda job: job(), jobs)
    return (read[0], read[1:]) if qrels is not None else (None, read)


def _rankings(run: Columns, judged: Columns) -> Rankings:
    run, judged = same_id_kinds(run, judged)
    return from_arrays(run.query, run.item, run.value, judged.query, judged.item, judged.value,
                       run_origin=run.origin, judgements_origin=judged.origin)


def expand(policy: Policy, spec: RankingSpec, sides: list[Side], judged: Input | None) -> list[RankingGate]:
    """One :class:`RankingGate` per (policy gate, slice value), in policy order; ids made unique."""
    out: list[RankingGate] = []
    attributes: dict[str, dict[Any, str]] = {}
    for gate_spec in policy.gates:
        assert isinstance(gate_spec, RankingGateSpec)
        column = gate_spec.slice
        if column is not None and column not in attributes:
            attributes[column] = query_attribute(column, judged or sides[0].input, sides[0].input, spec.data)
        for value in ([""] if column is None else sorted(set(attributes[column].values()))):
            out.append(_gate(gate_spec, sides, None if column is None else (column, value, attributes[column])))
    ids = unique_ids([g.expanded.id for g in out])
    return [replace(g, expanded=replace(g.expanded, id=i)) for g, i in zip(out, ids)]


def _gate(spec: RankingGateSpec, sides: list[Side], slice_of: tuple[str, str, dict[Any, str]] | None) -> RankingGate:
    label = spec.name or spec.measure.label
    gate_id, slice_dict = label, None
    queries, values = {}, {}
    for side in sides:
        pq = side.values[spec.measure]
        keep = np.ones(len(pq.query_ids), bool)
        if slice_of is not None:
            column, value, attribute = slice_of
            keep = np.array([attribute.get(q) == value for q in pq.query_ids.tolist()], bool)
        queries[side.role], values[side.role] = pq.query_ids[keep], pq.values[keep]
    if slice_of is not None:
        column, value, _ = slice_of
        label += f" in {column}={value or '(empty)'}"
        gate_id += f"[{column}={value}]"
        slice_dict = {column: value}
    quantity, op, threshold = bar_rule(spec)
    target = Target(spec.metric, None, None, dict(spec.params), spec.slice, None if slice_of is None else slice_of[1])
    expanded = Expanded(spec, target, gate_id, label, None, slice_dict, quantity, op, threshold)
    return RankingGate(expanded, spec.measure, queries, values)


# ---------------------------------------------------------------------------------------------
# the query bootstrap


@dataclass(frozen=True, eq=False)
class Units:
    """The resampling units: ``keys[role]`` holds the sorted query ids whose units start at
    ``offset[role]``; only ``candidate`` is there (both runs share its units) unless ``pairing:
    independent`` gives the baseline units of its own."""

    keys: dict[str, np.ndarray]           # role -> the sorted query ids that role's units stand for
    offset: dict[str, int]                # role -> the first unit of that role's ids
    size: int

    def of(self, role: str, queries: np.ndarray) -> np.ndarray:
        key = "baseline" if role == "baseline" and "baseline" in self.keys else "candidate"
        return self.offset[key] + np.searchsorted(self.keys[key], queries)


def intersected(gates: list[RankingGate]) -> list[RankingGate]:
    """``bootstrap.pairing: intersect``: each comparative gate keeps only the queries both runs score
    (new gates; the others as they are)."""
    return [_intersected(g) if "baseline" in g.queries else g for g in gates]


def _intersected(g: RankingGate) -> RankingGate:
    shared = np.intersect1d(g.queries["candidate"], g.queries["baseline"])
    keep = {role: np.isin(g.queries[role], shared) for role in ("candidate", "baseline")}
    return replace(g, queries={role: q[keep[role]] for role, q in g.queries.items()},
                   values={role: v[keep[role]] for role, v in g.values.items()})


def query_units(policy: Policy, gates: list[RankingGate]) -> tuple[Units, str]:
    """The units and the pairing the report names (see the module docstring); under ``pairing:
    intersect`` the gates must already be :func:`intersected`."""
    mode = policy.bootstrap.pairing
    both = [g for g in gates if "baseline" in g.queries]
    if mode == "paired":
        for g in both:
            if not np.array_equal(g.queries["candidate"], g.queries["baseline"]):
                only = np.setxor1d(g.queries["candidate"], g.queries["baseline"])
                raise InputError(f"{g.expanded.label}: the runs score different queries ({len(only)} only in one, "
                                 f"e.g. '{only[0]}'), so they cannot be paired", source=policy.path,
                                 where="bootstrap.pairing",
                                 fix="use pairing: auto or intersect, or ranking.missing_queries: zero")
    if mode == "independent" and both:
        cand = np.unique(np.concatenate([g.queries["candidate"] for g in gates]))
        base = np.unique(np.concatenate([g.queries["baseline"] for g in both]))
        return Units({"candidate": cand, "baseline": base}, {"candidate": 0, "baseline": cand.size},
                     cand.size + base.size), "independent"
    ids = np.unique(np.concatenate([q for g in gates for q in g.queries.values()]))
    return Units({"candidate": ids}, {"candidate": 0}, ids.size), _pairing_name(both)


def _pairing_name(both: list[RankingGate]) -> str:
    """paired when some query is scored by both runs (of a comparative gate), independent when none is."""
    if not both:
        return "none"
    shared = any(np.intersect1d(g.queries["candidate"], g.queries["baseline"]).size for g in both)
    return "paired" if shared else "independent"


def stream_key(seed: int) -> int:
    """The 64-bit key of the ranking bootstrap's Poisson weights for ``seed``."""
    return int(np.random.SeedSequence(seed, spawn_key=(SPAWN_KEY,)).generate_state(1, np.uint64)[0])


def bootstrap(gates: list[RankingGate], units: Units, resamples: int, seed: int,
              jackknife: bool) -> dict[tuple[str, str], Series]:
    """Every (gate id, role) series: the point mean, ``resamples`` weighted-mean replicates and (for
    BCa) the leave-one-unit-out means (every unit weighs 1 in the jackknife). One (units × 2·series) matrix holds each series' values and its
    indicator, so a chunk of resamples is one matrix product.

    The product is exact, so BLAS's summation order (which depends on its thread count) cannot change
    a replicate: the weights are small integers, and the values enter the product rounded to multiples
    of :data:`QUANTUM` (2^-30, an error below 5e-10 per query; every measure lies in [0, 1]), so every
    partial sum is a multiple of 2^-30 below 2^23 (up to :data:`EXACT_UNITS` queries), which float64
    holds exactly. Beyond that, numpy's own (single-threaded, fixed-order) einsum loop is used."""
    keys = [(g.expanded.id, role) for g in gates for role in g.queries]
    matrix = np.zeros((units.size, 2 * len(keys)))
    j = 0
    for g in gates:
        for role in g.queries:
            at = units.of(role, g.queries[role])
            matrix[at, j], matrix[at, len(keys) + j] = g.values[role], 1.0
            j += 1
    key = stream_key(seed)
    exact = units.size <= EXACT_UNITS
    rounded = np.round(matrix / QUANTUM) * QUANTUM if exact else matrix

    means, bounds = np.ones(units.size, np.uint8), np.array([0, units.size])   # Poisson(1) everywhere

    def chunk(first: int) -> np.ndarray:
        """The sums of resamples ``first ..`` (CHUNK of them): every Poisson(1) weight looked up in the
        mean-1 table directly (``bounds``: the same weights as ``weights(key, r, units.size)``, without
        an index array per resample), written into one preallocated matrix."""
        rows = range(first, min(first + CHUNK, resamples))
        w = np.empty((len(rows), units.size))
        for i, r in enumerate(rows):
            w[i] = poisson.weights(key, r, means, bounds)
        return w @ rounded if exact else np.einsum("rn,ns->rs", w, rounded, optimize=False)

    sums = np.concatenate(parallel_map(chunk, list(range(0, resamples, CHUNK))))
    with np.errstate(divide="ignore", invalid="ignore"):
        reps = sums[:, :len(keys)] / sums[:, len(keys):]
    totals, counts = matrix[:, :len(keys)].sum(axis=0), matrix[:, len(keys):].sum(axis=0)
    out = {}
    for j, k in enumerate(keys):
        point = totals[j] / counts[j] if counts[j] else math.nan
        jack = None
        if jackknife:
            with np.errstate(divide="ignore", invalid="ignore"):
                jack = (totals[j] - matrix[:, j]) / (counts[j] - matrix[:, len(keys) + j])
        out[k] = Series(float(point), not counts[j], reps[:, j].copy(), ~np.isfinite(reps[:, j]), jack)
    return out


# ---------------------------------------------------------------------------------------------
# decisions


def decide(policy: Policy, gates: list[RankingGate], series: dict[tuple[str, str], Series],
           jack_weights: np.ndarray | None = None) -> list[GateResult]:
    """The GateResults of the shared decision stage (:func:`gate.inference.gate_results.decide_gates`): each
    gate's size is its candidate's query count; ``jack_weights``: the jackknife's unit weights (BCa)."""
    measured = [Measured(g.expanded, series[(g.expanded.id, "candidate")], series.get((g.expanded.id, "baseline")),
                         len(g.queries["candidate"]), empty="queries") for g in gates]
    return decide_gates(policy, measured, jack_weights=jack_weights, notes=_notes)


def _notes(p: Pending, d: Decision, interval_method: str) -> list[Note]:
    """Undefined resamples (a resample that drew none of the gate's queries)."""
    undefined = 0 if p.tested is None else int(np.count_nonzero(p.tested.reps_undefined))
    assert p.measured.candidate is not None
    total = len(p.measured.candidate.reps)
    if undefined:
        return [Note("undefined_resamples", {"undefined": undefined, "total": total, "cause": "no_query"})]
    return []


# ---------------------------------------------------------------------------------------------
# the report's data section and warnings


def summary(sides: list[Side], judged: Input | None, pairing: str) -> DataSummary:
    """Task, pairing, judged queries per run, the share of judged queries the candidate answered
    (reported as coverage), and the artifacts (runs, then the judgements file)."""
    cand = sides[0].rankings
    base = sides[1].rankings if len(sides) > 1 else None
    answered = float(np.count_nonzero(cand.lengths)) / max(cand.n_queries, 1)
    artifacts = tuple(s.input.artifact for s in sides) + ((judged.artifact,) if judged is not None else ())
    return DataSummary(task="ranking", classes=(), positive_class=None, pairing=pairing,
                       n_candidate=cand.n_queries, n_baseline=None if base is None else base.n_queries,
                       label_coverage=answered, artifacts=artifacts, class_support={})


def warnings(sides: list[Side]) -> list[Note]:
    """What the query rules did, per run: judged queries it returned nothing for, and queries only it has."""
    out: list[Note] = []
    for side in sides:
        counts = next(iter(side.values.values())).counts
        missing = counts.missing_zeroed + counts.missing_skipped
        if missing:
            out.append(Note("missing_queries", {"role": side.role, "missing": missing, "judged": counts.judged,
                                                "rule": "zero" if counts.missing_zeroed else "skip"}))
        if counts.run_only:
            out.append(Note("unjudged_queries", {"role": side.role, "queries": counts.run_only}))
    return out
