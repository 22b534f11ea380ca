"""``task: ranking`` policies: the data block, the ``ranking:`` options and the gates, checked after the
JSON Schema (:func:`gate.policy.build_policy` hands a ranking document to :func:`build_ranking_policy`).

.. code-block:: yaml

    task: ranking
    data: {query_id: qid, item_id: docid, score: score, qrels: judgements.tsv, slices: [locale]}
    ranking: {gain: linear, relevance_threshold: 1, ties: trec, empty_queries: zero, missing_queries: zero}
    gates:
      - {metric: ndcg, k: 10, max_drop: 0.01}
      - {metric: ap, min: 0.3, slice: locale}

Rules (each violation a one-line :class:`~gate.errors.PolicyError` naming the field):

- metrics are :data:`gate.ranking.MEASURES`, each higher-is-better; ``k`` is the cutoff (``r_precision``
  takes none: its cutoff is R); bars are the classification ones (``min``, ``max``, ``max_drop``,
  ``max_relative_drop``, ``min_gain``), exactly one per gate;
- classification fields (``positive_class``, ``classes``, ``data.label``, ``class:``, ``average:``,
  ``beta:``, ...) are refused, and the ranking fields (``ranking:``, ``data.query_id``, ``k:``, ...) are
  refused in a classification policy;
- ``ranking.missing_queries`` defaults to ``zero`` (trec_eval ``-c``), not trec_eval's ``skip``: a
  model that returns nothing for a judged query scores 0 there instead of leaving the average.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate.errors import PolicyError, clip
from gate.policy.load import BARS, DataBlock, GateSpec, one_bar, refuse_bootstrap_options
from gate.ranking.options import MEASURES, Measure, RankingOptions

RANKING_DATA_KEYS = ("query_id", "item_id", "relevance", "qrels")
CLASSIFICATION_DATA_KEYS = ("id", "label", "prediction", "score_prefix", "weight", "threshold")
CLASSIFICATION_GATE_KEYS = ("class", "predicted", "average", "beta", "adjusted", "normalize", "interpolation",
                            "at_recall", "at_precision")
OPTION_DEFAULTS = {"gain": "linear", "relevance_threshold": 1, "ties": "trec", "empty_queries": "zero",
                   "missing_queries": "zero"}


@dataclass(frozen=True)
class RankingData(DataBlock):
    """Column names of the run tables (and of a judgements table) and where the judgements are.

    ``qrels``: the judgements file as written in the policy, resolved against the policy file's folder
    (None: ``--qrels`` / ``qrels=`` gives it, or each run carries an inline ``relevance`` column).
    ``slices`` (of :class:`~gate.policy.load.DataBlock`): query attribute columns gates may slice on."""

    query_id: str = "query_id"
    item_id: str = "item_id"
    relevance: str = "relevance"
    qrels: str | None = None

    @property
    def run_columns(self) -> tuple[str, str, str]:
        return self.query_id, self.item_id, self.score

    @property
    def judgement_columns(self) -> tuple[str, str, str]:
        return self.query_id, self.item_id, self.relevance


@dataclass(frozen=True)
class RankingSpec:
    """What a ranking policy adds to :class:`gate.policy.Policy`: its data block, its options (the
    per-query rules), and the measure of every gate (same order as ``Policy.gates``)."""

    data: RankingData
    options: RankingOptions
    gain: str
    measures: tuple[Measure, ...]


def check_classification_doc(doc: Mapping[str, Any], source: str) -> None:
    """A binary/multiclass policy must not carry ranking fields (they would be silently ignored)."""
    if "ranking" in doc:
        raise PolicyError("the ranking: section applies only to task: ranking", source=source, where="ranking",
                          fix="remove it, or set task: ranking")
    for key in RANKING_DATA_KEYS:
        if key in doc.get("data", {}):
            raise PolicyError("applies only to task: ranking", source=source, where=f"data.{key}",
                              fix="remove it, or set task: ranking")
    for i, gate in enumerate(doc["gates"]):
        if "k" in gate:
            raise PolicyError("applies only to task: ranking", source=source, where=f"gates[{i}].k",
                              fix="remove it")


def ranking_spec(doc: Mapping[str, Any], source: str) -> RankingSpec:
    """The ranking part of a schema-valid ``task: ranking`` document (see the module docstring)."""
    for key in ("positive_class", "classes"):
        if key in doc:
            raise PolicyError("does not apply to task: ranking", source=source, where=key, fix="remove it")
    data = _data(doc.get("data", {}), source)
    values = {**OPTION_DEFAULTS, **doc.get("ranking", {})}
    gain = values.pop("gain")
    try:
        options = RankingOptions(**values)
    except PolicyError as exc:      # the schema checks the same ranges; kept for mappings built in Python
        raise PolicyError(exc.problem, source=source, where=f"ranking.{exc.where}", fix=exc.fix) from None
    measures = tuple(_measure(i, g, gain, data, source) for i, g in enumerate(doc["gates"]))
    return RankingSpec(data, options, gain, measures)


def _data(d: Mapping[str, Any], source: str) -> RankingData:
    if "cluster" in d:
        raise PolicyError("does not apply to task: ranking: the query is already the resampling unit "
                          "(each query's items are resampled together)", source=source, where="data.cluster",
                          fix="remove it")
    for key in CLASSIFICATION_DATA_KEYS:
        if key in d:
            fix = "name the query column data.query_id" if key == "id" else "remove it"
            raise PolicyError("does not apply to task: ranking", source=source, where=f"data.{key}",
                              fix=fix)
    qrels = {"qrels": resolve_beside(d["qrels"], source)} if "qrels" in d else {}
    data = RankingData.from_block({k: v for k, v in d.items() if k != "qrels"}, **qrels)
    names = {"query_id": data.query_id, "item_id": data.item_id, "score": data.score}
    if len(set(names.values())) < len(names):
        raise PolicyError("query_id, item_id and score must name different columns",
                          source=source, where="data", fix="name three distinct columns")
    return data


def resolve_beside(path: str, policy_source: str) -> str:
    """``path`` as written in a policy file: relative paths are relative to the policy file's folder
    (a policy given as a mapping has none: relative to the working directory)."""
    if Path(path).is_absolute() or policy_source.startswith("<") or policy_source == "arguments":
        return path
    return str(Path(policy_source).parent / path)


def _measure(i: int, g: Mapping[str, Any], gain: str, data: RankingData, source: str) -> Measure:
    where = f"gates[{i}]"
    metric = g["metric"]
    if metric not in MEASURES:
        close = difflib.get_close_matches(metric, MEASURES, n=1, cutoff=0.5)
        fix = f"did you mean '{close[0]}'?" if close else "use one of " + ", ".join(MEASURES)
        raise PolicyError(f"unknown ranking metric '{clip(metric)}'", source=source, where=f"{where}.metric", fix=fix)
    for key in CLASSIFICATION_GATE_KEYS:
        if key in g:
            raise PolicyError("does not apply to task: ranking", source=source, where=f"{where}.{key}",
                              fix="remove it (slice: selects queries by an attribute)")
    one_bar(g, where, source)
    if "slice" in g and data.slices and g["slice"] not in data.slices:
        raise PolicyError(f"'{clip(g['slice'])}' is not listed in data.slices ({', '.join(data.slices)})",
                          source=source, where=f"{where}.slice", fix="add it to data.slices")
    if metric == "r_precision" and "k" in g:
        raise PolicyError("r_precision takes no k", source=source, where=f"{where}.k",
                          fix="its cutoff is R, the number of relevant items; drop k")
    return Measure(metric, g.get("k"), gain if metric == "ndcg" else "linear")


@dataclass(frozen=True)
class RankingGateSpec(GateSpec):
    """A ranking gate: ``measure`` is what it averages over queries (every ranking measure is
    higher-is-better, so a drop is a fall in value)."""

    measure: Measure = Measure("ap")

    @property
    def direction(self) -> str:
        return "higher"


def ranking_gates(doc: Mapping[str, Any], spec: RankingSpec) -> tuple[RankingGateSpec, ...]:
    """The policy's gates, each with its measure (``name`` defaults to the measure's label, e.g. ``ndcg@10``)."""
    out = []
    for i, (g, measure) in enumerate(zip(doc["gates"], spec.measures)):
        kind = next(b for b in BARS if b in g)
        out.append(RankingGateSpec(
            index=i, metric=measure.name, bar_kind=kind, bar_value=float(g[kind]), slice=g.get("slice"),
            severity=g.get("severity", "error"), min_support=int(g.get("min_support", 0)),
            name=g.get("name", measure.label), params={"k": measure.k} if measure.k is not None else {},
            measure=measure))
    return tuple(out)


def check_bootstrap(doc: Mapping[str, Any], source: str) -> None:
    """Bootstrap options without a meaning for queries: ``stratify`` and ``sampling: stratified``
    (queries have no class) and ``adaptive`` (ranking draws every resample; it is cheap) are
    refused when turned on."""
    refuse_bootstrap_options(doc, source, "ranking", "queries have no class")
