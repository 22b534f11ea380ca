"""``task: multilabel``: tables → ``N × L`` examples → per-example terms → example bootstrap → decisions →
one Report.

Each model's per-example statistics are computed once (:func:`gate.multilabel.terms`); every metric is
then a function of example weights (:func:`gate.multilabel.metric`), so a resample is a weight row.
The example is the resampling unit (all its labels together):

- pairing follows classification (``bootstrap.pairing``): ``auto`` pairs two tables with the same id
  set (both models share each resample's weights) and resamples disjoint id sets independently;
  a partial overlap is an input error; ``paired`` requires the same ids, ``independent`` gives the
  baseline weights of its own, ``intersect`` keeps the shared ids. Paired tables must agree on the
  truth of every shared example;
- below :data:`gate.resampling.stats.POISSON_MIN_UNITS` examples each resample draws N of N examples with
  replacement (per side when independent); above, every example gets a Poisson(1) weight from
  :mod:`gate.resampling.poisson` (a pure function of seed, resample and example). Resamples come in chunks of
  :data:`CHUNK`, each from its own seed, so the result never depends on threads;
- a slice gate's weights are zero outside the slice; ``data.weight`` multiplies every weight.

Decisions are the shared stage (:func:`decide`): the same interval methods, Holm family, guards and
GateResult as the other tasks, so every renderer and publisher works as it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from gate.data.align import intersect_warning, intersect_without_shared, pairing_mismatch
from gate.errors import InputError, clip
from gate.inference.decide import Decision
from gate.inference.gate_results import Measured, Pending, decide_gates
from gate.inference.series import Series
from gate.metrics.compiler import Target
from gate.multilabel import metrics as ml
from gate.multilabel.inputs import Examples, read_examples
from gate.multilabel.policy import MultilabelData, MultilabelGateSpec
from gate.policy.expand import Expanded, bar_rule, unique_ids
from gate.policy.load import Policy
from gate.report.model import DataSummary, GateResult, Note, Report, Resampling, gate_counts, verdict_of
from gate.report.notes import policy_warnings, resample_warnings
from gate.report.reproducibility import reproducibility
from gate.resampling import poisson
from gate.resampling.stats import POISSON_MIN_UNITS, parallel_map

CHUNK = 64                  # resamples per weight matrix (bounds it: CHUNK × examples)
QUANTUM = 2.0 ** -30        # LRAP values enter the weighted sums as multiples of this (exact sums)
SPAWN_KEY = 16              # the multilabel bootstrap's streams: SeedSequence(seed, spawn_key=(SPAWN_KEY, ...))


@dataclass(frozen=True, eq=False)
class Side:
    """One model's examples (in unit order) and their statistics; its units start at ``offset``."""

    examples: Examples
    terms: ml.MultilabelTerms
    offset: int


@dataclass(frozen=True, eq=False)
class MultilabelGate:
    """An expanded gate: the policy gate, its label index or average, and its slice value."""

    expanded: Expanded
    label: int | None
    average: str | None
    slice_value: str | None

    @property
    def spec(self) -> MultilabelGateSpec:
        return cast(MultilabelGateSpec, self.expanded.spec)


def check_multilabel(policy: Policy, candidate: Any, baseline: Any = None, *, seed: int | None = None,
                     command: Sequence[str] = ()) -> Report:
    """The Report of a ``task: multilabel`` policy (see the module docstring)."""
    data = policy.multilabel
    assert data is not None
    seed = policy.bootstrap.seed if seed is None else seed
    slices = sorted({g.slice for g in policy.gates if g.slice is not None})
    read = [read_examples(src, role, data, slices) for role, src in
            [("candidate", candidate)] + ([("baseline", baseline)] if baseline is not None else [])]
    sides, pairing, notes = pair(policy, read)
    gates = expand(policy, sides[0].examples)
    _check_needs(policy, data, sides)
    n_units = sum(s.examples.ids.size for s in sides) if pairing == "independent" else sides[0].examples.ids.size
    series, scheme = bootstrap(gates, sides, n_units, policy.bootstrap.resamples, seed)
    results = decide(policy, gates, series, sides[0])
    verdict = verdict_of(results, policy.decision.inconclusive)
    return Report(
        policy_name=policy.name, verdict=verdict, exit_code=1 if verdict == "fail" else 0,
        gates=tuple(results), counts=gate_counts(results), data=summary(sides, pairing),
        warnings=tuple(policy_warnings(policy) + notes + resample_warnings(policy, results)),
        reproducibility=reproducibility(
            policy, seed, command, Resampling(schemes=(scheme,), per="example", units=n_units, pairing=pairing),
            sampling="iid"),
    )


# ---------------------------------------------------------------------------------------------
# pairing


def pair(policy: Policy, read: list[Examples]) -> tuple[list[Side], str, list[Note]]:
    """The sides in unit order (a paired baseline in the candidate's order), the pairing and its warnings."""
    cand = read[0]
    if len(read) == 1:
        return [_side(cand, 0)], "none", []
    base = _same_labels(cand, read[1])
    mode, source = policy.bootstrap.pairing, policy.path
    shared = np.intersect1d(cand.ids, base.ids)
    same = shared.size == cand.ids.size == base.ids.size
    if mode == "independent" or (mode == "auto" and shared.size == 0):
        return [_side(cand, 0), _side(base, cand.ids.size)], "independent", []
    notes: list[Note] = []
    if mode == "intersect":
        if shared.size == 0:
            raise intersect_without_shared(cand.ids.size, base.ids.size, source)
        if not same:
            notes.append(intersect_warning(shared.size, cand.ids.size - shared.size, cand.ids.size,
                                           base.ids.size - shared.size, base.ids.size))
        cand = cand.take(np.flatnonzero(np.isin(cand.ids, shared)))
    elif not same:
        raise pairing_mismatch(mode, cand.ids.size, base.ids.size, shared.size, source)
    base = base.take(_positions(base.ids, cand.ids))
    _same_truth(cand, base)
    return [_side(cand, 0), _side(base, 0)], "paired", notes


def _side(examples: Examples, offset: int) -> Side:
    t = ml.terms(examples.truth, examples.pred, examples.scores)
    if t.lrap is not None:       # exact weighted sums (integer weights): see the module docstring
        t = dataclasses.replace(t, lrap=np.round(t.lrap / QUANTUM) * QUANTUM)
    return Side(examples, t, offset)


def _positions(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    order = np.argsort(ids)
    return order[np.searchsorted(ids, wanted, sorter=order)]


def _same_labels(cand: Examples, base: Examples) -> Examples:
    """The baseline with its label columns in the candidate's order; different label sets are an error."""
    if set(cand.labels) != set(base.labels):
        only = sorted(set(cand.labels) ^ set(base.labels))
        raise InputError(f"has labels {', '.join(clip(x, 20) for x in base.labels[:8])}, the candidate "
                         f"{', '.join(clip(x, 20) for x in cand.labels[:8])} (e.g. '{clip(only[0])}' is only in one)",
                         source=base.artifact.path, fix="give both models the same label set (or list it in data.labels)")
    cols = [base.labels.index(lab) for lab in cand.labels]
    pick = lambda a: None if a is None else a[:, cols]  # noqa: E731
    return dataclasses.replace(base, labels=cand.labels, truth=base.truth[:, cols], pred=pick(base.pred),
                               scores=pick(base.scores))


def _same_truth(cand: Examples, base: Examples) -> None:
    diff = np.argwhere(cand.truth != base.truth)
    if diff.size:
        row, col = diff[0]
        raise InputError(f"example '{clip(base.ids[row])}' has label '{clip(base.labels[col])}' = "
                         f"{int(base.truth[row, col])}, the candidate {int(cand.truth[row, col])}",
                         source=base.artifact.path, fix="evaluate both models on the same labelled examples")


def _check_needs(policy: Policy, data: MultilabelData, sides: list[Side]) -> None:
    """Every gate's metric has what it needs: predictions (or a threshold) and, for the ranking
    metrics, scores."""
    for g in policy.gates:
        for side in sides:
            if g.metric in ml.SCORE_METRICS and side.examples.scores is None:
                raise InputError(f"'{g.metric}' needs scores, but there are none", source=side.examples.artifact.path,
                                 fix=f"add the {data.score_prefix}<label> columns (long: {data.score})")
            if g.metric not in ml.SCORE_METRICS and side.examples.pred is None:
                raise InputError(f"'{g.metric}' needs predictions, but there are none", source=side.examples.artifact.path,
                                 fix=f"add the {data.prediction_prefix}<label> columns, or set data.threshold "
                                     "to predict score >= threshold")


# ---------------------------------------------------------------------------------------------
# gates


def expand(policy: Policy, cand: Examples) -> list[MultilabelGate]:
    """One gate per (policy gate, label of ``class: "*"``, slice value), in policy order; ids unique."""
    out: list[MultilabelGate] = []
    for spec in policy.gates:
        assert isinstance(spec, MultilabelGateSpec)
        for label in _labels_of(policy, spec, cand.labels):
            values = [None] if spec.slice is None else sorted(set(cand.slices[spec.slice].tolist()))
            out += [_gate(spec, label, cand.labels, value) for value in values]
    ids = unique_ids([g.expanded.id for g in out])
    return [dataclasses.replace(g, expanded=dataclasses.replace(g.expanded, id=i)) for g, i in zip(out, ids)]


def _labels_of(policy: Policy, spec: MultilabelGateSpec, labels: tuple[str, ...]) -> list[int | None]:
    if spec.class_name is None:
        return [None]
    if spec.class_name == "*":
        return list(range(len(labels)))
    if spec.class_name not in labels:
        raise InputError(f"label '{clip(spec.class_name)}' is named in the policy but absent from the data "
                         f"(labels found: {', '.join(clip(x, 20) for x in labels[:10])})", source=policy.path,
                         where=f"{spec.path}.class", fix="fix the label name")
    return [labels.index(spec.class_name)]


def _gate(spec: MultilabelGateSpec, label: int | None, labels: tuple[str, ...], value: str | None) -> MultilabelGate:
    name = spec.name or spec.metric
    quals, text = [], name
    if label is not None:
        quals.append(f"class={labels[label]}")
        text += f" for label '{labels[label]}'"
    if spec.average is not None:
        quals.append(f"average={spec.average}")
        text += f" ({spec.average})"
    if "beta" in spec.params:
        quals.append(f"beta={spec.params['beta']:g}")
        text += f" beta={spec.params['beta']:g}"
    if value is not None:
        quals.append(f"{spec.slice}={value}")
        text += f" in {spec.slice}={value or '(empty)'}"
    quantity, op, threshold = bar_rule(spec)
    target = Target(spec.metric, label, spec.average, dict(spec.params), spec.slice, value)
    expanded = Expanded(spec, target, name + (f"[{','.join(quals)}]" if quals else ""), text,
                        None if label is None else labels[label],
                        None if spec.slice is None or value is None else {spec.slice: value}, quantity, op, threshold)
    return MultilabelGate(expanded, label, spec.average, value)


# ---------------------------------------------------------------------------------------------
# the example bootstrap


def weights_chunk(first: int, count: int, n_units: int, strata: list[tuple[int, int]], seed: int) -> np.ndarray:
    """Resamples ``first .. first + count`` as a ``count × n_units`` weight matrix (see the module
    docstring): Poisson(1) weights at or above POISSON_MIN_UNITS, else N-of-N draws per stratum."""
    if n_units >= POISSON_MIN_UNITS:
        key = int(np.random.SeedSequence(seed, spawn_key=(SPAWN_KEY,)).generate_state(1, np.uint64)[0])
        return np.stack([poisson.weights(key, r, n_units) for r in range(first, first + count)]).astype(np.float64)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SPAWN_KEY, first // CHUNK)))
    out = np.zeros((count, n_units))
    for start, size in strata:
        drawn = rng.integers(0, size, (count, size))
        for r in range(count):
            out[r, start:start + size] = np.bincount(drawn[r], minlength=size)
    return out


def scheme_of(n_units: int) -> str:
    """The draw scheme (gate.report.model.RESAMPLING_SCHEMES): Poisson weights from POISSON_MIN_UNITS examples."""
    return "poisson" if n_units >= POISSON_MIN_UNITS else "index"


def bootstrap(gates: list[MultilabelGate], sides: list[Side], n_units: int, resamples: int,
              seed: int) -> tuple[dict[tuple[str, str], Series], str]:
    """Every (gate id, role) series: the point value and ``resamples`` replicates."""
    strata = [(s.offset, s.examples.ids.size) for s in sides if s.offset or s is sides[0]]
    base = {(g.expanded.id, s.examples.role): _base_weights(g, s) for g in gates for s in sides}

    def values(w_units: np.ndarray) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
        out, weighted = {}, {}
        for g in gates:
            for s in sides:
                key, subset = (g.expanded.id, s.examples.role), (s.examples.role, g.spec.slice, g.slice_value)
                if subset not in weighted:      # gates on the same examples share one weight matrix
                    weighted[subset] = w_units[:, s.offset:s.offset + s.examples.ids.size] * base[key]
                out[key] = ml.metric(s.terms, g.spec.metric, weighted[subset], average=g.average, label=g.label,
                                     beta=float(g.spec.params.get("beta", 1.0)))
        return out

    point = values(np.ones((1, n_units)))
    chunks = parallel_map(lambda first: values(weights_chunk(first, min(CHUNK, resamples - first), n_units,
                                                             strata, seed)), list(range(0, resamples, CHUNK)))
    series = {}
    for key, (v, u) in point.items():
        reps = np.concatenate([c[key][0] for c in chunks])
        undefined = np.concatenate([c[key][1] for c in chunks]) | ~np.isfinite(reps)
        series[key] = Series(float(v[0]), bool(u[0]), reps, undefined)
    return series, scheme_of(n_units)


def _base_weights(g: MultilabelGate, side: Side) -> np.ndarray:
    """The example weights of one gate on one side: ``data.weight`` (or 1), 0 outside its slice."""
    ex = side.examples
    w = np.ones(ex.ids.size) if ex.weight is None else ex.weight.astype(np.float64)
    if g.slice_value is not None:
        assert g.spec.slice is not None
        w = w * (ex.slices[g.spec.slice] == g.slice_value)
    return w


# ---------------------------------------------------------------------------------------------
# decisions


def decide(policy: Policy, gates: list[MultilabelGate], series: dict[tuple[str, str], Series],
           cand: Side) -> list[GateResult]:
    """The shared decision stage (:func:`gate.inference.gate_results.decide_gates`), each gate's size
    its examples in the candidate; then the multilabel fields it does not know (direction, label,
    average, label support, policy line)."""
    measured = [Measured(g.expanded, series[(g.expanded.id, "candidate")], series.get((g.expanded.id, "baseline")),
                         int(np.count_nonzero(_base_weights(g, cand)))) for g in gates]
    results = decide_gates(policy, measured, notes=_notes)
    return [_multilabel_fields(g, r, cand) for g, r in zip(gates, results)]


def _notes(p: Pending, d: Decision, interval_method: str) -> list[Note]:
    """Undefined resamples (a resample whose metric has a zero denominator)."""
    undefined = 0 if p.tested is None else int(np.count_nonzero(p.tested.reps_undefined))
    assert p.measured.candidate is not None
    if undefined:
        return [Note("undefined_resamples", {"undefined": undefined, "total": len(p.measured.candidate.reps),
                                             "cause": "zero_denominator"})]
    return []


def _multilabel_fields(g: MultilabelGate, r: GateResult, cand: Side) -> GateResult:
    support = None if g.label is None else int(np.count_nonzero(cand.examples.truth[_base_weights(g, cand) > 0, g.label]))
    notes = r.notes
    if support == 0:
        notes += (Note("label_without_positives", {"label": g.expanded.class_name or ""}),)
    return dataclasses.replace(r, direction=g.spec.direction, class_name=g.expanded.class_name, average=g.average,
                               support=support, policy_line=g.spec.line, notes=notes)


def summary(sides: list[Side], pairing: str) -> DataSummary:
    """Task, labels, pairing, examples per model and each label's positives in the candidate."""
    cand = sides[0].examples
    return DataSummary(task="multilabel", classes=cand.labels, positive_class=None, pairing=pairing,
                       n_candidate=int(cand.ids.size),
                       n_baseline=None if len(sides) == 1 else int(sides[1].examples.ids.size), label_coverage=1.0,
                       artifacts=tuple(s.examples.artifact for s in sides),
                       class_support={lab: int(cand.truth[:, j].sum()) for j, lab in enumerate(cand.labels)})
