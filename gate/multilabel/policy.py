"""``task: multilabel`` policies: the data block (wide or long tables) and the gates, checked after the
JSON Schema (:func:`gate.policy.build_policy` hands a multilabel document to :func:`multilabel_policy`).

.. code-block:: yaml

    task: multilabel
    data: {id: id, labels: [even, prime, big], threshold: 0.5}     # wide: label_<L>, score_<L>, prediction_<L>
    gates:
      - {metric: f1, average: micro, max_drop: 0.01}
      - {metric: recall, class: "*", max_drop: 0.05}
      - {metric: hamming_loss, max: 0.1}

Rules (each violation a one-line :class:`~gate.errors.PolicyError` naming the field):

- ``data.layout: wide`` (default): one row per example, ``label_<L>`` 0/1 columns and ``score_<L>``
  and/or ``prediction_<L>`` per label (prefixes ``label_prefix``, ``score_prefix``,
  ``prediction_prefix``); the labels are ``data.labels`` or, without it, every ``label_<L>`` column.
  ``data.layout: long``: one row per (example, label), columns ``id``, ``label``, ``y`` (0/1) and
  ``score`` and/or ``prediction``. ``data.threshold`` derives predictions as ``score >= threshold``.
- per-label metrics (:data:`~gate.multilabel.names.LABEL_METRICS`) need ``class: L``, ``class: "*"``
  (one gate per label) or ``average: micro | macro | weighted | samples``; ``jaccard`` alone is the
  samples average (the Jaccard index of each example's label sets); ``fbeta`` needs ``beta``. The
  example metrics take neither. ``hamming_loss`` and ``coverage_error`` are lower-is-better.
- classification and ranking fields (``positive_class``, ``classes``, ``ranking:``, ``k``,
  ``predicted``, ...) are refused, as are the multilabel data fields in other tasks.
- ``min_support`` counts the gate's examples (the resampling unit), for per-label gates too.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gate.errors import PolicyError, clip
from gate.multilabel.names import AVERAGES, LABEL_METRICS, LOWER_IS_BETTER, METRICS
from gate.policy.load import ExampleColumns, GateSpec, one_bar, refuse_bootstrap_options

MULTILABEL_DATA_KEYS = ("layout", "labels", "label_prefix", "prediction_prefix", "y")
FOREIGN_DATA_KEYS = ("query_id", "item_id", "relevance", "qrels")
FOREIGN_GATE_KEYS = ("predicted", "adjusted", "normalize", "interpolation", "at_recall", "at_precision",
                     "costs", "k")


@dataclass(frozen=True)
class MultilabelData(ExampleColumns):
    """Column names of a multilabel table (see the module docstring); the id, label (long layout),
    prediction, score, weight, threshold and slice fields are :class:`~gate.policy.load.ExampleColumns`'."""

    layout: str = "wide"
    labels: tuple[str, ...] | None = None
    label_prefix: str = "label_"
    prediction_prefix: str = "prediction_"
    y: str = "y"


@dataclass(frozen=True)
class MultilabelGateSpec(GateSpec):
    """A multilabel gate; its direction comes from the metric (hamming and coverage error: lower)."""

    @property
    def direction(self) -> str:
        return "lower" if self.metric in LOWER_IS_BETTER else "higher"

    @property
    def needs_baseline(self) -> bool:
        return self.comparative


def check_other_task_doc(doc: Mapping[str, Any], source: str) -> None:
    """A binary, multiclass or ranking policy must not carry the multilabel fields."""
    for key in MULTILABEL_DATA_KEYS:
        if key in doc.get("data", {}):
            raise PolicyError("applies only to task: multilabel", source=source, where=f"data.{key}",
                              fix="remove it, or set task: multilabel")
    for i, gate in enumerate(doc["gates"]):
        if gate.get("average") == "samples":
            raise PolicyError("samples applies only to task: multilabel", source=source,
                              where=f"gates[{i}].average", fix="use micro, macro or weighted")


def multilabel_data(doc: Mapping[str, Any], source: str) -> MultilabelData:
    """The data block of a schema-valid ``task: multilabel`` document."""
    for key in ("positive_class", "classes", "ranking"):
        if key in doc:
            fix = "list the labels in data.labels" if key == "classes" else "remove it"
            raise PolicyError("does not apply to task: multilabel", source=source, where=key, fix=fix)
    values = dict(doc.get("data", {}))
    for key in FOREIGN_DATA_KEYS:
        if key in values:
            raise PolicyError("does not apply to task: multilabel", source=source,
                              where=f"data.{key}", fix="remove it")
    if "cluster" in values:     # the schema admits it for classification; multilabel draws examples only
        raise PolicyError("is not available for task: multilabel: its bootstrap resamples single "
                          "examples (all their labels together)", source=source, where="data.cluster",
                          fix="remove it (the intervals then assume independent examples)")
    labels = {"labels": tuple(str(v) for v in values.pop("labels"))} if "labels" in values else {}
    return MultilabelData.from_block(values, **labels)


def multilabel_gates(doc: Mapping[str, Any], data: MultilabelData, source: str) -> tuple[MultilabelGateSpec, ...]:
    """The policy's gates, each checked (see the module docstring)."""
    return tuple(_gate(i, g, data, source) for i, g in enumerate(doc["gates"]))


def _gate(i: int, g: Mapping[str, Any], data: MultilabelData, source: str) -> MultilabelGateSpec:
    where = f"gates[{i}]"
    metric = g["metric"]
    if metric not in METRICS:
        close = difflib.get_close_matches(metric, METRICS, n=1, cutoff=0.5)
        fix = f"did you mean '{close[0]}'?" if close else "use one of " + ", ".join(METRICS)
        raise PolicyError(f"'{clip(metric)}' is not available for task: multilabel", source=source,
                          where=f"{where}.metric", fix=fix)
    for key in FOREIGN_GATE_KEYS:
        if key in g:
            raise PolicyError("does not apply to task: multilabel", source=source,
                              where=f"{where}.{key}", fix="remove it")
    kind = one_bar(g, where, source)
    class_name, average = _scope(where, g, metric, source)
    params = _params(where, g, metric, source)
    if "slice" in g and data.slices and g["slice"] not in data.slices:
        raise PolicyError(f"'{clip(g['slice'])}' is not listed in data.slices ({', '.join(data.slices)})",
                          source=source, where=f"{where}.slice", fix="add it to data.slices")
    return MultilabelGateSpec(
        index=i, metric=metric, bar_kind=kind, bar_value=float(g[kind]), class_name=class_name, average=average,
        slice=g.get("slice"), severity=g.get("severity", "error"), min_support=int(g.get("min_support", 0)),
        name=g.get("name"), params=params)


def _scope(where: str, g: Mapping[str, Any], metric: str, source: str) -> tuple[str | None, str | None]:
    """(class, average): a per-label metric needs exactly one of them (``jaccard`` alone: samples);
    an example metric takes neither."""
    class_name = None if "class" not in g else str(g["class"])
    average = g.get("average")
    if metric not in LABEL_METRICS:
        if class_name is not None or average is not None:
            key = "class" if class_name is not None else "average"
            raise PolicyError(f"'{metric}' is computed over every label; it takes no {key}", source=source,
                              where=f"{where}.{key}", fix=f"remove {key}:")
        return None, None
    if class_name is not None and average is not None:
        raise PolicyError("give either class or average, not both", source=source, where=where)
    if class_name is None and average is None:
        if metric == "jaccard":
            return None, "samples"
        raise PolicyError(f"multilabel '{metric}' needs class: <label>, class: \"*\" or average "
                          f"({', '.join(AVERAGES)})", source=source, where=where, fix="add class: or average:")
    return class_name, average


def _params(where: str, g: Mapping[str, Any], metric: str, source: str) -> dict[str, Any]:
    if metric == "fbeta":
        if "beta" not in g:
            raise PolicyError("metric 'fbeta' needs 'beta'", source=source, where=where, fix="add beta: 2 (or 0.5, ...)")
        return {"beta": float(g["beta"])}
    if "beta" in g:
        raise PolicyError(f"does not apply to metric '{metric}'", source=source, where=f"{where}.beta",
                          fix="remove it")
    return {}


def check_bootstrap(doc: Mapping[str, Any], source: str) -> None:
    """Bootstrap options the example bootstrap does not have: ``sampling: stratified`` (examples have
    no single class), ``adaptive`` and ``method: bca`` are refused."""
    refuse_bootstrap_options(doc, source, "multilabel", "an example has several labels, no one class",
                             refused=(("method", "bca", "use percentile or basic"),))
