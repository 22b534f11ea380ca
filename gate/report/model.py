"""The one data model every renderer and publisher reads.

The engine (:mod:`gate.engine`) builds exactly one :class:`Report`; renderers (console, JSON, Markdown,
JUnit, HTML) turn it into text and publishers transport that text. Nothing downstream of this module
computes a metric: every number a reader sees is a field here. The model holds facts, never sentences:
each gate's ``message`` (and every other sentence) is worded by the renderers (gate/render/messages.py),
as coverage.py's reporters word the numbers its results hold.

``Report.to_dict()`` is the facts of the documented ``report.json`` (see ``docs/report-schema.md``), which
:func:`gate.render.json_report.report_dict` completes with each gate's worded ``message``;
``Report.from_dict()`` reads it back through :mod:`gate.report.reader` (used by ``model-gate publish``,
which treats the file as untrusted data: types and consistency are validated, nothing is evaluated).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = "1.6"   # 1.1: gates[].policy_line; 1.2: gates[].interval_method, reproducibility.sampling, flips, queries,
                         # task ranking; 1.3: gates[].nominal_ci, spared_by, guard, labeled (the message's facts),
                         # error_bound (binned engine gates), clusters;
                         # 1.4: gates[].note_facts, warning_facts (the notes' and warnings' facts);
                         # 1.5: reproducibility.resampling_facts (how the resamples were drawn, as facts);
                         # 1.6: interval_method bias-bounded+binned, error_bound on binned calibration gates

STATUSES = ("pass", "fail", "inconclusive")
OUTCOME_ORDER = ("fail", "inconclusive", "warning", "pass")   # GateResult.outcome, worst first
SEVERITIES = ("error", "warning")


@dataclass(frozen=True)
class Estimate:
    """A metric value with its bootstrap confidence interval.

    ``value`` is the point estimate on the observed data (``None`` when the metric is undefined there,
    e.g. ROC-AUC with one class present). ``ci`` is ``(lo, hi)`` at the gate's (adjusted) confidence
    level, or ``None`` when it could not be formed. ``undefined_resamples`` counts bootstrap resamples
    where the metric was undefined; they are reported, never silently dropped.
    """

    value: float | None
    ci: tuple[float, float] | None = None
    undefined_resamples: int = 0

    def to_dict(self) -> dict[str, Any]:
        """``ci`` is null unless both ends are finite: an interval with an undefined end is none."""
        finite = self.ci is not None and all(math.isfinite(float(end)) for end in self.ci)
        return {
            "value": _num(self.value),
            "ci": [_num(self.ci[0]), _num(self.ci[1])] if self.ci is not None and finite else None,
            "undefined_resamples": self.undefined_resamples,
        }


@dataclass(frozen=True)
class Bar:
    """The gate's bar as written in the policy: ``kind`` is min|max|max_drop|max_relative_drop|min_gain."""

    kind: str
    value: float

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": _num(self.value)}


@dataclass(frozen=True)
class Guard:
    """Why a guard kept a gate from being decided, whatever its interval says (gate/inference/guards.py),
    as a code and its numbers; the renderers word it (gate/render/messages.py).

    ``code`` (also the gate's ``reason``) is ``no_baseline``, ``no_examples``, ``min_support``,
    ``undefined``, ``undefined_resamples`` or ``degenerate_resamples``; ``cause`` refines it (``""``
    where it needs none; both enumerations are report.json's, gate/report/schema.json): ``no_examples``
    counts ``examples`` or judged ``queries``; ``min_support`` counts examples of the gated ``class``
    or of the ``subset``; ``undefined`` says why the estimate is (the class has ``no_true_examples``,
    ROC-AUC saw ``one_class``, a ``zero_denominator``, or the bootstrap distribution could not be
    formed: ``no_distribution``). The numbers: ``size`` and
    ``min_support`` (min_support), ``undefined`` of ``resamples`` (undefined_resamples), ``distinct``
    values of ``resamples`` (degenerate_resamples); None where a code has none."""

    code: str
    cause: str = ""
    size: int | None = None
    min_support: int | None = None
    undefined: int | None = None
    resamples: int | None = None
    distinct: int | None = None

    @property
    def undefined_share(self) -> float:
        """undefined_resamples: the share of resamples where the metric was undefined (0 without numbers)."""
        return (self.undefined or 0) / max(self.resamples or 0, 1)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "cause": self.cause, "size": self.size, "min_support": self.min_support,
                "undefined": self.undefined, "resamples": self.resamples, "distinct": self.distinct}


#: every note kind: its code and the values it carries, each a type (``int``, ``float``, ``str``) or
#: the strings it may be. A stage builds ``Note(code, values)``; gate/render/notes.py words each code
#: (one entry there per code here; tests/test_notes.py checks both lists match). report.json's
#: reader checks a note against this table, so a renderer never meets a missing or mistyped value.
NOTE_KINDS: dict[str, dict[str, Any]] = {
    # a gate's notes (GateResult.notes)
    "undefined_resamples": {"undefined": int, "total": int, "cause": ("", "no_query", "zero_denominator")},
    "small_class": {"size": int, "side": ("class", "outside"), "limit": int, "interval_method": str, "metric": str},
    "smallest_class": {"size": int, "limit": int, "interval_method": str, "metric": str},
    "bca_fallback": {},
    "monte_carlo_error": {"se": float},
    "few_clusters": {"clusters": int, "limit": int},
    "adaptive_stop": {"drawn": int, "resamples": int, "z": float},
    "ece_interval": {"low": float, "high": float},
    "ece_conservative": {"excess": float, "width": float, "confidence": float},
    "binned_scores": {"bins": int, "other_bins": int, "bound": float, "method": str},
    "label_without_positives": {"label": str},
    # a report's warnings (Report.warnings)
    "same_data": {"candidate": str, "baseline": str},
    "intersect": {"shared": int, "candidate_dropped": int, "candidate_rows": int, "baseline_dropped": int,
                  "baseline_rows": int},
    "default_threshold": {"role": str},
    "noisy_adjustment": {"gates": int, "adjustment": str, "resamples": int, "needed": int},
    "stratify_deprecated": {},
    "missing_queries": {"role": str, "missing": int, "judged": int, "rule": ("zero", "skip")},
    "unjudged_queries": {"role": str, "queries": int},
    # a note kept as words: a report.json older than schema 1.4 (strings only) read back
    "text": {"text": str},
}


@dataclass(frozen=True)
class Note:
    """A note on a gate or a warning on the report, as a fact: ``code`` (a key of :data:`NOTE_KINDS`)
    and its ``values`` (the keys and types that table gives it). The model never holds the sentence:
    gate/render/notes.py words every code, for every renderer (report.json keeps both, ``notes`` /
    ``warnings`` worded and ``note_facts`` / ``warning_facts`` as here). ``text`` is a note read
    verbatim from a report older than schema 1.4, whose value is untrusted text like any data.
    Adding a kind: one entry in :data:`NOTE_KINDS`, one wording in gate/render/notes.py."""

    code: str
    values: Mapping[str, int | float | str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """The values as report.json holds them, so a note read back equals the one written: a finite
        float rounded as every report.json number is (a non-finite one kept: written as null), an
        integer (numpy's too) as an int, text as is."""
        object.__setattr__(self, "values", {k: _value(v) for k, v in self.values.items()})

    def to_dict(self) -> dict[str, Any]:
        """``{"code", "values"}``; a non-finite float is null."""
        return {"code": self.code,
                "values": {k: _num(v) if isinstance(v, float) else v for k, v in self.values.items()}}


@dataclass(frozen=True)
class GateResult:
    """One evaluated gate (a policy gate expanded over ``class: "*"`` and slice values).

    ``quantity`` says which estimate the bar applies to: ``"candidate"`` for min/max, ``"delta"`` for
    max_drop/min_gain, ``"relative_delta"`` for max_relative_drop. ``threshold`` is the bar expressed
    on that quantity and ``op`` the comparison that passing requires (``">="`` or ``"<="``), so a
    reader can state the rule without knowing metric directions. ``tested`` is the interval the
    decision used (for relative drops the interval of (cand − base)/base). ``needed_n`` estimates, for
    an inconclusive gate, how many labeled examples would likely decide it (``None`` otherwise);
    with ``data.cluster`` it counts clusters, not rows: ``clusters`` is then the number of clusters
    the gate's rows hold (its resampling units; ``None`` without ``data.cluster``).
    ``interval_method`` names the interval that decided it: a bootstrap method (``percentile``,
    ``basic``, ``bca``), a score/exact interval (``clopper-pearson``, ``newcombe``; gate/inference/score.py), or
    ``bias-bounded`` for ECE (gate/inference/calibration.py).
    ``distribution`` holds the bootstrap replicates of the tested quantity (not serialised to JSON;
    HTML plots use it). ``policy_line`` is the 1-based line of the gate's entry in the policy file
    (None when the policy did not come from a file, or the report predates schema 1.1); annotations
    point there.

    The facts the gate's sentence needs beyond those (the renderers word it, gate/render/messages.py):
    ``nominal_ci`` is the tested interval at the nominal level, as the tables show it (None when it
    could not be formed, or in a report older than schema 1.3: the sentence then shows ``tested.ci``);
    ``spared_by`` names the multiple-testing adjustment (``holm``, ``bonferroni``) that kept an
    inconclusive gate from failing (its nominal interval misses the bar), else None; ``guard`` says why
    a guard forced the gate inconclusive (None when none did); ``labeled`` counts the labeled rows of
    the ``n`` candidate rows for the ``label_coverage`` gate (None for every other gate). ``notes`` are
    :class:`Note` facts (small classes, undefined resamples, ...), worded by gate/render/notes.py.
    ``error_bound`` (schema 1.3; in report.json only when set) is, for a ranking or (1.6) calibration
    gate computed on the engine path's binned scores (``interval_method`` ``…+binned``), the most
    the exact data's tested value can differ from the binned one (gate/inference/binned.py): the
    tested interval is already widened by it. None: the gate is exact.
    """

    id: str
    metric: str
    label: str
    class_name: str | None
    average: str | None
    slice: Mapping[str, str] | None
    bar: Bar
    quantity: str
    op: str
    threshold: float
    direction: str
    candidate: Estimate
    baseline: Estimate | None
    delta: Estimate | None
    tested: Estimate
    n: int
    support: int | None
    status: str
    severity: str
    reason: str
    confidence: float
    p_value: float | None = None
    needed_n: int | None = None
    notes: tuple[Note, ...] = ()
    policy_line: int | None = None
    interval_method: str = "percentile"
    clusters: int | None = None
    distribution: tuple[float, ...] = field(default=(), repr=False, compare=False)
    nominal_ci: tuple[float, float] | None = None
    spared_by: str | None = None
    guard: Guard | None = None
    labeled: int | None = None
    error_bound: float | None = None

    @property
    def blocking(self) -> bool:
        """True when this gate's status can fail the build (severity error)."""
        return self.severity == "error"

    @property
    def outcome(self) -> str:
        """What the gate means for the build, the one classification every renderer shows:
        ``pass``; ``fail`` (a blocking gate that failed); ``inconclusive`` (a blocking gate the data
        could not decide); ``warning`` (a non-blocking gate that failed or was inconclusive)."""
        if self.status == "pass":
            return "pass"
        return self.status if self.blocking else "warning"

    @property
    def needed_unit(self) -> str:
        """What ``needed_n`` counts: ``"cluster"`` with ``data.cluster`` (more clusters decide a
        clustered gate, not more rows in the same ones), else ``"example"``."""
        return "example" if self.clusters is None else "cluster"

    def blocks(self, inconclusive_rule: str) -> bool:
        """True when this gate makes the verdict fail: a blocking failure, or a blocking
        inconclusive gate under ``decision.inconclusive: fail`` (``inconclusive_rule``)."""
        return self.outcome == "fail" or (self.outcome == "inconclusive" and inconclusive_rule == "fail")

    def to_dict(self) -> dict[str, Any]:
        """The gate's facts as report.json holds them; the JSON renderer adds the worded ``message``
        after ``reason`` (gate/render/json_report.py). ``nominal_ci`` keeps a non-finite end as null."""
        return {
            "id": self.id,
            "metric": self.metric,
            "label": self.label,
            "class": self.class_name,
            "average": self.average,
            "slice": None if self.slice is None else dict(self.slice),
            "bar": self.bar.to_dict(),
            "quantity": self.quantity,
            "op": self.op,
            "threshold": _num(self.threshold),
            "direction": self.direction,
            "value": _num(self.tested.value),
            "candidate": self.candidate.to_dict(),
            "baseline": None if self.baseline is None else self.baseline.to_dict(),
            "delta": None if self.delta is None else self.delta.to_dict(),
            "tested": self.tested.to_dict(),
            "n": self.n,
            "support": self.support,
            "status": self.status,
            "severity": self.severity,
            "reason": self.reason,
            "confidence": _num(self.confidence),
            "p_value": _num(self.p_value),
            "needed_n": self.needed_n,
            "note_facts": [n.to_dict() for n in self.notes],
            "policy_line": self.policy_line,
            "interval_method": self.interval_method,
            "nominal_ci": None if self.nominal_ci is None else [_num(self.nominal_ci[0]), _num(self.nominal_ci[1])],
            "spared_by": self.spared_by,
            "guard": None if self.guard is None else self.guard.to_dict(),
            "labeled": self.labeled,
            "clusters": self.clusters,
            **({} if self.error_bound is None else {"error_bound": _num(self.error_bound)}),
        }


@dataclass(frozen=True)
class ClassRow:
    """Per-class point estimates for the details table (``None`` for a missing baseline)."""

    name: str
    support: int
    candidate: Mapping[str, float | None]   # keys: precision, recall, f1
    baseline: Mapping[str, float | None] | None

    def delta(self, key: str) -> float | None:
        """Candidate − baseline of metric ``key``; None without a baseline or when either value is
        missing or not finite."""
        c = self.candidate.get(key)
        b = None if self.baseline is None else self.baseline.get(key)
        finite = all(isinstance(v, (int, float)) and math.isfinite(v) for v in (c, b))
        return float(c) - float(b) if finite and c is not None and b is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "class": self.name, "support": self.support,
            "candidate": {k: _num(v) for k, v in self.candidate.items()},
            "baseline": None if self.baseline is None else {k: _num(v) for k, v in self.baseline.items()},
        }


@dataclass(frozen=True)
class FlipRow:
    """One true class of the "what flipped" table (paired baseline): its (weighted) examples, the
    ones the baseline got right and the candidate gets wrong (``negative``), the reverse
    (``positive``), and every change of predicted class (``churn``; gate/metrics/flips.py)."""

    name: str
    examples: float
    negative: float
    positive: float
    churn: float

    def to_dict(self) -> dict[str, Any]:
        return {"class": self.name, "examples": _num(self.examples), "negative_flips": _num(self.negative),
                "positive_flips": _num(self.positive), "churn": _num(self.churn)}


@dataclass(frozen=True)
class ConfusionMatrix:
    """Weighted confusion matrix of one model: ``counts[i][j]`` = true class i predicted as j."""

    model: str
    classes: tuple[str, ...]
    counts: tuple[tuple[float, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "classes": list(self.classes),
                "counts": [[_num(c) for c in row] for row in self.counts]}


@dataclass(frozen=True)
class Curve:
    """A curve of one model for one class: ``kind`` is ``"pr"`` (x=recall, y=precision) or ``"roc"``
    (x=fpr, y=tpr). Points are thinned to at most a few hundred, keeping the end points."""

    kind: str
    model: str
    class_name: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    area: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "model": self.model, "class": self.class_name,
                "x": [_num(v) for v in self.x], "y": [_num(v) for v in self.y], "area": _num(self.area)}


@dataclass(frozen=True)
class Calibration:
    """Reliability diagram data of one model: per non-empty bin, mean confidence, observed accuracy
    (fraction positive / top-label correct) and weight."""

    model: str
    bin_edges: tuple[float, ...]
    confidence: tuple[float, ...]
    accuracy: tuple[float, ...]
    weight: tuple[float, ...]
    ece: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "bin_edges": [_num(v) for v in self.bin_edges],
                "confidence": [_num(v) for v in self.confidence],
                "accuracy": [_num(v) for v in self.accuracy],
                "weight": [_num(v) for v in self.weight], "ece": _num(self.ece)}


@dataclass(frozen=True)
class QueryDelta:
    """One query's value of a ranking measure for both models, and candidate − baseline."""

    query_id: str
    candidate: float
    baseline: float
    delta: float

    def to_dict(self) -> dict[str, Any]:
        return {"query_id": self.query_id, "candidate": _num(self.candidate), "baseline": _num(self.baseline),
                "delta": _num(self.delta)}


@dataclass(frozen=True)
class QueryComparison:
    """``task: ranking``: candidate vs baseline per query on one measure (``measure``, e.g. ``ndcg@10``),
    over the queries both runs score. ``improved``/``regressed``/``tied`` count queries whose delta is
    > 0, < 0 or exactly 0; ``worst`` lists the queries that regressed most (most first, at most
    :data:`gate.ranking.queries.WORST_QUERIES`); ``histogram_counts[i]`` counts deltas in
    ``[histogram_edges[i], histogram_edges[i + 1])`` (the last bin closed)."""

    measure: str
    improved: int
    regressed: int
    tied: int
    worst: tuple[QueryDelta, ...]
    histogram_edges: tuple[float, ...]
    histogram_counts: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"measure": self.measure, "improved": self.improved, "regressed": self.regressed, "tied": self.tied,
                "worst": [q.to_dict() for q in self.worst],
                "histogram_edges": [_num(e) for e in self.histogram_edges],
                "histogram_counts": list(self.histogram_counts)}


@dataclass(frozen=True)
class Artifact:
    """One input file as read: role is ``"candidate"`` or ``"baseline"``."""

    role: str
    path: str
    sha256: str
    format: str
    rows: int
    labeled_rows: int

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "path": self.path, "sha256": self.sha256, "format": self.format,
                "rows": self.rows, "labeled_rows": self.labeled_rows}


@dataclass(frozen=True)
class DataSummary:
    """What was evaluated. ``pairing`` is ``"paired"``, ``"independent"`` or ``"none"`` (no baseline)."""

    task: str
    classes: tuple[str, ...]
    positive_class: str | None
    pairing: str
    n_candidate: int
    n_baseline: int | None
    label_coverage: float
    artifacts: tuple[Artifact, ...]
    class_support: Mapping[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "classes": list(self.classes), "positive_class": self.positive_class,
                "pairing": self.pairing, "n_candidate": self.n_candidate, "n_baseline": self.n_baseline,
                "label_coverage": _num(self.label_coverage),
                "artifacts": [a.to_dict() for a in self.artifacts],
                "class_support": dict(self.class_support)}


RESAMPLING_SCHEMES = ("multinomial", "poisson", "index", "cluster_poisson", "cluster_index", "completed_poisson")
"""How a gate group's resamples are drawn (:attr:`gate.resampling.stats.Bootstrap.scheme`): a
multinomial over cells of identical examples, Poisson(1) weights or index draws of examples, the
same of whole clusters, or Poisson weights completed to each stratum's size, exactly the index
draw's multinomial. All are the ordinary bootstrap."""


@dataclass(frozen=True)
class Resampling:
    """How the bootstrap drew its resamples, as facts (gate/render/text.py words them).

    ``groups``: the independent gate groups of a classification check (gates that share no statistic
    are resampled independently, which leaves each gate's own distribution unchanged; 0 when no gate
    is bootstrapped) and ``schemes`` their draw schemes (:data:`RESAMPLING_SCHEMES`, sorted, each
    once). A ranking or multilabel check instead draws one weight per ``per`` unit (``"query"`` /
    ``"example"``) of its ``units``, ``pairing`` as its data section says, and has ``groups`` None.
    With ``bootstrap.adaptive``: ``stopped`` of the groups stopped early, ``drawn`` of ``planned``
    resamples were drawn (all three None without it). ``legacy``: a report older than 1.5, which has
    only the sentence (kept verbatim; every other field is then empty)."""

    groups: int | None = None
    schemes: tuple[str, ...] = ()
    per: str = ""
    units: int | None = None
    pairing: str = ""
    stopped: int | None = None
    drawn: int | None = None
    planned: int | None = None
    legacy: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"groups": self.groups, "schemes": list(self.schemes), "per": self.per, "units": self.units,
                "pairing": self.pairing, "stopped": self.stopped, "drawn": self.drawn, "planned": self.planned}


@dataclass(frozen=True)
class Reproducibility:
    """Everything needed to reproduce the run locally. ``command`` is the argv to re-run;
    ``resampling`` says how the bootstrap drew its resamples (:class:`Resampling`);
    ``sampling`` is the policy's sampling design (``stratify`` is true exactly when it is stratified)."""

    seed: int
    resamples: int
    method: str
    confidence: float
    stratify: bool
    multiple_testing: str
    inconclusive: str
    tool_version: str
    policy_path: str
    policy_sha256: str
    command: tuple[str, ...]
    resampling: Resampling = field(default_factory=Resampling)
    sampling: str = ""      # "iid" | "stratified" (bootstrap.sampling); "" in reports older than it
    unit: str = ""          # "example" | "cluster" | "query": what a resample draws; "" in reports older than it
    cluster: str = ""       # unit "cluster": the data.cluster column
    clusters: int | None = None     # unit "cluster": how many clusters

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "resamples": self.resamples, "method": self.method,
                "resampling_facts": self.resampling.to_dict(), "sampling": self.sampling or ("stratified" if self.stratify else "iid"),
                "unit": self.unit or "example", "cluster": self.cluster, "clusters": self.clusters,
                "confidence": _num(self.confidence), "stratify": self.stratify,
                "multiple_testing": self.multiple_testing, "inconclusive": self.inconclusive,
                "tool_version": self.tool_version, "policy_path": self.policy_path,
                "policy_sha256": self.policy_sha256, "command": list(self.command)}


@dataclass(frozen=True)
class RunTiming:
    """When a check ran and how long it took, measured by :func:`gate.api.check` around reading,
    aligning, bootstrapping and deciding (rendering and publishing excluded).

    ``started`` is ISO 8601 in UTC without a zone suffix (``2026-12-01T11:45:00``, as Surefire writes
    JUnit timestamps); ``seconds`` the wall-clock duration. Not part of report.json, which stays
    byte-identical across runs; junit.xml shows it. Under ``SOURCE_DATE_EPOCH`` (reproducible builds)
    :func:`RunTiming.measured` gives that instant and 0 seconds instead.
    """

    started: str
    seconds: float

    @classmethod
    def measured(cls, started_epoch: float, seconds: float, source_date_epoch: str | None) -> RunTiming:
        """The timing of a run that started at ``started_epoch`` (Unix seconds) and took ``seconds``,
        or, when ``source_date_epoch`` is set (an integer of Unix seconds, already checked), the fixed
        ``source_date_epoch`` and 0 seconds."""
        if source_date_epoch is not None:
            started_epoch, seconds = int(source_date_epoch), 0.0
        when = datetime.datetime.fromtimestamp(int(started_epoch), tz=datetime.timezone.utc)
        return cls(started=when.strftime("%Y-%m-%dT%H:%M:%S"), seconds=max(0.0, seconds))


@dataclass(frozen=True)
class Report:
    """The result of one ``model-gate check``.

    ``verdict`` is ``"pass"`` or ``"fail"``; ``exit_code`` is 0 or 1 accordingly (2 never reaches a
    Report: input errors stop before one exists). ``gates`` are in policy order; renderers put failed
    and inconclusive gates first. ``counts`` has keys pass/fail/inconclusive/warning (warning = gates
    of severity warning that did not pass). ``warnings`` are :class:`Note` facts about the run (same
    data, pairing dropped rows, a default threshold, too few resamples for the adjustment), worded by
    gate/render/notes.py. ``timing`` is the run's start and duration (None for a
    Report read back from report.json or built by hand; renderers then show the Unix epoch and 0).
    """

    policy_name: str
    verdict: str
    exit_code: int
    gates: tuple[GateResult, ...]
    counts: Mapping[str, int]
    data: DataSummary
    reproducibility: Reproducibility
    per_class: tuple[ClassRow, ...] = ()
    confusion: tuple[ConfusionMatrix, ...] = ()
    curves: tuple[Curve, ...] = ()
    calibration: tuple[Calibration, ...] = ()
    warnings: tuple[Note, ...] = ()
    schema_version: str = SCHEMA_VERSION
    timing: RunTiming | None = field(default=None, compare=False)
    flips: tuple[FlipRow, ...] = ()     # the "what flipped" table, when the policy has a flip gate
    queries: tuple[QueryComparison, ...] = ()     # task: ranking with a baseline

    @property
    def tool_version(self) -> str:
        return self.reproducibility.tool_version

    @property
    def passed(self) -> bool:
        """The verdict is pass (warnings and non-blocking inconclusive gates allowed)."""
        return self.verdict == "pass"

    @property
    def failed(self) -> tuple[GateResult, ...]:
        """The blocking gates that failed, in policy order (the ones that make the verdict fail)."""
        return tuple(g for g in self.gates if g.outcome == "fail")

    @property
    def inconclusive(self) -> tuple[GateResult, ...]:
        """The blocking gates the data could not decide, in policy order."""
        return tuple(g for g in self.gates if g.outcome == "inconclusive")

    @property
    def blocking_gates(self) -> tuple[GateResult, ...]:
        """The gates that make the verdict fail (:meth:`GateResult.blocks` under the report's
        ``decision.inconclusive``), in policy order; empty exactly when the verdict is pass."""
        return tuple(g for g in self.gates if g.blocks(self.reproducibility.inconclusive))

    def to_json(self) -> str:
        """report.json, byte for byte as ``model-gate check --out-dir`` writes it."""
        from gate.render import json_report

        return json_report.render(self)

    def to_markdown(self, *, chart: str = "mermaid") -> str:
        """report.md (the PR/MR comment body), as ``model-gate check --out-dir`` writes it."""
        from gate.render import markdown

        return markdown.render(self, chart=chart)

    def to_openmetrics(self) -> str:
        """Every gate's values, interval ends, bar and status as OpenMetrics 1.0 gauges, as
        ``model-gate check --openmetrics FILE`` writes them (see :mod:`gate.render.openmetrics`)."""
        from gate.render import openmetrics

        return openmetrics.render(self)

    @property
    def confusion_difference(self) -> ConfusionMatrix | None:
        """The candidate's confusion counts minus the baseline's (model ``"candidate − baseline"``),
        when both matrices are there over the same classes; else None."""
        by_model = {m.model: m for m in self.confusion}
        cand, base = by_model.get("candidate"), by_model.get("baseline")
        if cand is None or base is None or cand.classes != base.classes:
            return None
        counts = tuple(tuple(a - b for a, b in zip(ra, rb)) for ra, rb in zip(cand.counts, base.counts))
        return ConfusionMatrix("candidate − baseline", cand.classes, counts)

    def gates_worst_first(self) -> list[GateResult]:
        """Gates ordered for display by :attr:`GateResult.outcome`: blocking failures, inconclusive,
        warnings, passes; stable (policy order within each)."""
        return sorted(self.gates, key=lambda g: OUTCOME_ORDER.index(g.outcome))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "tool": {"name": "model-gate", "version": self.tool_version},
            "policy": {"name": self.policy_name, "path": self.reproducibility.policy_path,
                       "sha256": self.reproducibility.policy_sha256},
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "counts": dict(self.counts),
            "gates": [g.to_dict() for g in self.gates],
            "data": self.data.to_dict(),
            "reproducibility": self.reproducibility.to_dict(),
            "per_class": [r.to_dict() for r in self.per_class],
            "confusion": [c.to_dict() for c in self.confusion],
            "curves": [c.to_dict() for c in self.curves],
            "calibration": [c.to_dict() for c in self.calibration],
            "flips": [r.to_dict() for r in self.flips],
            "warning_facts": [w.to_dict() for w in self.warnings],
            "queries": [q.to_dict() for q in self.queries],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Report:
        """Read parsed ``report.json`` data back as untrusted input (see :mod:`gate.report.reader`:
        every field type-checked, counts/verdict/exit code checked against the gates). Raises
        :class:`gate.report.reader.ReportFormatError`, a ValueError naming the field."""
        from gate.report.reader import report_from_dict
        return report_from_dict(d)


def gate_counts(gates: Sequence[GateResult]) -> dict[str, int]:
    """A report's ``counts``: statuses over all gates, plus ``warning`` = gates of
    severity warning that did not pass."""
    counts = {s: sum(1 for g in gates if g.status == s) for s in STATUSES}
    counts["warning"] = sum(1 for g in gates if g.outcome == "warning")
    return counts


def verdict_of(gates: Sequence[GateResult], inconclusive_rule: str) -> str:
    """fail when a gate blocks (:meth:`GateResult.blocks`: a blocking gate failed, or was inconclusive
    under ``decision.inconclusive: fail``)."""
    return "fail" if any(g.blocks(inconclusive_rule) for g in gates) else "pass"


def exit_code_of(verdict: str) -> int:
    """The process exit code of a verdict: 1 for fail, 0 for pass (2, a usage or input error, has no
    report)."""
    return 1 if verdict == "fail" else 0


def _value(v: int | float | str) -> int | float | str:
    """A note's value (:meth:`Note.__post_init__`)."""
    if isinstance(v, str):
        return v
    if isinstance(v, float):
        return float(f"{v:.12g}") if math.isfinite(v) else float(v)
    return int(v)


def _num(x: float | None) -> float | None:
    """JSON-safe float: NaN/inf become None; values are rounded to 12 significant digits so that the
    JSON is stable across platforms' last-bit differences."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return float(f"{x:.12g}")

