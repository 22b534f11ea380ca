"""Policy loading: YAML (``safe_load`` semantics) → JSON Schema validation → typed, checked objects.

Every problem is a :class:`gate.errors.PolicyError` whose message names the file, the YAML path
(``gates[2].max_drop``) and what is allowed. Unknown metric and field names get a did-you-mean.

Untrusted-input rules: the file must be a regular file within :data:`gate.data.limits.MAX_POLICY_BYTES`;
integers longer than :data:`MAX_INT_DIGITS` digits and non-finite numbers (``.nan``, ``.inf``,
``1e400``) are refused wherever they appear; every string is NFC-normalised (the data's labels are
too, so ``classes:`` and the files agree); class names that differ only by invisible characters are
refused.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import hashlib
import json
import math
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from gate.data.limits import MAX_CLASSES, MAX_POLICY_BYTES
from gate.data.readers import FileKind, read_file_bytes
from gate.errors import PolicyError, clip, show
from gate.metrics.catalog import (
    ALL_PARAMS,
    METRICS,
    PARAM_DEFAULTS,
    REQUIRED_PARAMS,
    MetricDef,
    suggest,
)
from gate.policy.schema_check import conforms

if TYPE_CHECKING:
    import jsonschema

    from gate.multilabel.policy import MultilabelData
    from gate.ranking.policy import RankingSpec

BARS = ("min", "max", "max_drop", "max_relative_drop", "min_gain")
COMPARATIVE_BARS = ("max_drop", "max_relative_drop", "min_gain")


_Block = TypeVar("_Block", bound="DataBlock")


@dataclass(frozen=True)
class DataBlock:
    """What every task's ``data:`` block names: the score column and the slice columns. Each task
    extends it (:class:`DataSpec`, ``gate.ranking.policy.RankingData``,
    ``gate.multilabel.policy.MultilabelData``) and reads its block with :meth:`from_block`."""

    score: str = "score"
    slices: tuple[str, ...] = ()

    @classmethod
    def from_block(cls: type[_Block], block: Mapping[str, Any], **extra: Any) -> _Block:
        """The block of a schema-valid document (slices as a tuple), plus ``extra`` fields."""
        values = dict(block)
        if "slices" in values:
            values["slices"] = tuple(str(v) for v in values["slices"])
        return cls(**values, **extra)


@dataclass(frozen=True)
class ExampleColumns(DataBlock):
    """The columns of a table of examples (classification and multilabel): the id, the label and
    prediction columns, the per-class score columns' prefix, the weight, and the score threshold
    that turns scores into predictions."""

    id: str = "id"
    label: str = "label"
    prediction: str = "prediction"
    score_prefix: str = "score_"
    weight: str = "weight"
    threshold: float | None = None


@dataclass(frozen=True)
class DataSpec(ExampleColumns):
    """Column mapping of the prediction artifacts (SPEC §2)."""

    cluster: str | None = None    # resample whole clusters of rows (session, user, patient) instead of rows
    explicit: frozenset[str] = frozenset()  # keys the policy set (a set column must exist)


@dataclass(frozen=True)
class BootstrapSpec:
    """``sampling`` is the design the test set was drawn under, which the bootstrap reproduces:
    ``iid`` (the default: rows drawn from the traffic, so the class counts vary from one test set to
    the next) or ``stratified`` (a fixed number of rows drawn per class; resamples keep each class's
    count). Stratified resampling of an i.i.d. test set removes the prevalence variance and
    under-covers (docs/validity.md §11)."""

    resamples: int = 2000
    confidence: float = 0.95
    method: str = "percentile"
    seed: int = 0
    pairing: str = "auto"
    sampling: str = "iid"
    adaptive: bool = False     # stop drawing for a gate group once its decisions are settled

    @property
    def stratify(self) -> bool:
        """Resamples keep each true class's count (``sampling: stratified``)."""
        return self.sampling == "stratified"


@dataclass(frozen=True)
class DecisionSpec:
    """``inconclusive``: what an inconclusive blocking gate does to the verdict (fail|warn|pass).
    ``max_undefined_fraction``: above this share of undefined resamples a gate is inconclusive."""

    inconclusive: str = "fail"
    multiple_testing: str = "holm"
    require_baseline: bool = True
    max_undefined_fraction: float = 0.01


@dataclass(frozen=True)
class GateSpec:
    """One gate as written in the policy (before expansion over classes and slices)."""

    index: int
    metric: str
    bar_kind: str
    bar_value: float
    class_name: str | None = None       # "*" means every class
    predicted: str | None = None
    average: str | None = None
    slice: str | None = None
    severity: str = "error"
    min_support: int = 0
    name: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    line: int | None = None             # 1-based line of the gate's entry in the policy file (None: not from a file)

    @property
    def path(self) -> str:
        return f"gates[{self.index}]"

    @property
    def comparative(self) -> bool:
        return self.bar_kind in COMPARATIVE_BARS

    @property
    def direction(self) -> str:
        return METRICS[self.metric].direction

    @property
    def needs_baseline(self) -> bool:
        """A comparative bar, or a flip metric (flips are measured against the baseline)."""
        return self.comparative or (self.metric in METRICS and METRICS[self.metric].family == "flip")


@dataclass(frozen=True)
class Policy:
    name: str
    task: str
    positive_class: str | None
    classes: tuple[str, ...] | None
    data: DataSpec
    bootstrap: BootstrapSpec
    decision: DecisionSpec
    gates: tuple[GateSpec, ...]
    path: str
    sha256: str
    deprecated: tuple[str, ...] = ()   # deprecated fields it used (``stratify``): the report warns of them
    ranking: RankingSpec | None = None     # task: ranking only (gate.ranking.policy)
    multilabel: MultilabelData | None = None     # task: multilabel only (gate.multilabel.policy)

    @property
    def needs_baseline(self) -> bool:
        return any(g.needs_baseline for g in self.gates)


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read, validate and type a policy file. Raises PolicyError with a one-line cause."""
    path = Path(path)
    source = str(path)
    raw_bytes = read_file_bytes(path, POLICY_FILE)
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"not UTF-8 text (byte {exc.start})", source=source,
                          fix="save the policy as UTF-8") from None
    doc, lines = parse_yaml_with_gate_lines(text, source)
    return build_policy(doc, source=source, sha256=hashlib.sha256(raw_bytes).hexdigest(), gate_lines=lines)


POLICY_FILE = FileKind(PolicyError, "a policy file", "pass the path of a YAML file", "check the --policy path",
                       MAX_POLICY_BYTES)


def parse_yaml(text: str, source: str) -> Any:
    """``yaml.safe_load`` that also rejects duplicate keys (a silent footgun in policies)."""
    return parse_yaml_with_gate_lines(text, source)[0]


def parse_yaml_with_gate_lines(text: str, source: str) -> tuple[Any, tuple[int, ...]]:
    """:func:`parse_yaml`'s document and the 1-based line where each item of its top-level ``gates``
    list starts (the ``- metric: ...`` line; empty when there is no such list), so annotations can
    point at a gate in the policy file. One parse: the node tree is kept, then constructed."""
    try:
        return _load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise PolicyError(f"invalid YAML: {problem}", source=source, where=where,
                          fix=getattr(exc, "fix", "fix the YAML syntax")) from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"invalid YAML: {exc}", source=source, fix="fix the YAML syntax") from None
    except RecursionError:
        raise PolicyError("invalid YAML: nested too deeply", source=source, fix="fix the YAML syntax") from None


def _load(text: str) -> tuple[Any, tuple[int, ...]]:
    """What ``yaml.load`` does (the loader is made from the text, which already reads it, so a bad
    character raises here), keeping the node tree for :func:`_gate_lines`."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        return (None if node is None else loader.construct_document(node)), _gate_lines(node)
    finally:
        loader.dispose()


def _gate_lines(node: yaml.Node | None) -> tuple[int, ...]:
    """Start lines of the items of a top-level mapping's ``gates`` sequence (a duplicate ``gates``
    key is refused while constructing, so the first one is the one)."""
    if not isinstance(node, yaml.MappingNode):
        return ()
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "gates" and isinstance(value, yaml.SequenceNode):
            return tuple(item.start_mark.line + 1 for item in value.value)
    return ()


MAX_POLICY_NODES = 100_000
MAX_POLICY_DEPTH = 64


def _check_structure(doc: Any, source: str) -> None:
    """Reject what YAML aliases can build but a policy never needs: a value that contains itself
    (``gates: &a [*a]``), very deep nesting, or an alias bomb that expands to a huge document."""
    seen = 0
    stack: list[tuple[Any, int, frozenset[int]]] = [(doc, 0, frozenset())]
    while stack:
        node, depth, ancestors = stack.pop()
        seen += 1
        if seen > MAX_POLICY_NODES:
            raise PolicyError(f"the policy expands to more than {MAX_POLICY_NODES:,} values", source=source,
                              fix="check YAML anchors and aliases (*name)")
        if not isinstance(node, (dict, list)):
            continue
        if id(node) in ancestors:
            raise PolicyError("a YAML alias refers to a value that contains it (the policy would be infinite)",
                              source=source, fix="check YAML anchors and aliases (*name)")
        if depth >= MAX_POLICY_DEPTH:
            raise PolicyError(f"the policy is nested more than {MAX_POLICY_DEPTH} levels deep", source=source)
        inner = ancestors | {id(node)}
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1, inner) for child in children)


class _StrictLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(None, None, "a mapping key must be a plain value, not a list "
                                                    "or mapping", key_node.start_mark) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

MAX_INT_DIGITS = 100    # longer integers are no seed, count or label (and int() refuses > 4300 digits)


class _ValueError(yaml.constructor.ConstructorError):
    """A YAML value refused while it is built, with its own fix."""

    def __init__(self, problem: str, mark: Any, fix: str) -> None:
        super().__init__(None, None, problem, mark)
        self.fix = fix


def _construct_int(loader: _StrictLoader, node: yaml.ScalarNode) -> int:
    """YAML integers (decimal, 0x, 0o, 0b, sexagesimal) of at most :data:`MAX_INT_DIGITS` digits;
    a longer one is refused before it is converted (decimal conversion would raise past 4300)."""
    digits = sum(ch.isalnum() for ch in str(node.value)) - str(node.value).lower().startswith(("0x", "0o", "0b"))
    if digits > MAX_INT_DIGITS:
        raise _ValueError(f"an integer of {digits:,} digits is too long (at most {MAX_INT_DIGITS})", node.start_mark,
                          "quote it if it is a name or label; numbers in a policy are far shorter")
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_MAX_INT = 10 ** MAX_INT_DIGITS
MAX_SEED = 2**63 - 1     # bootstrap.seed's schema maximum


def seed_argument(text: str) -> int:
    """``--seed`` (an argparse ``type``): a whole number of at most 30 digits and at most
    :data:`MAX_SEED`; a negative one is returned for the caller's own message. A 5,000-digit
    argument is refused without converting it, and the message shows it clipped."""
    if not re.fullmatch(r"[+-]?[0-9]{1,30}", text.strip(), re.ASCII) or int(text) > MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 2**63 - 1 (got {show(text)})")
    return int(text)


def _clean(node: Any, path: str, source: str) -> Any:
    """The document with every string (and mapping key) in NFC form. Refuses what no policy field
    can mean and what breaks later steps: NaN or infinite numbers (``.nan`` passes JSON Schema
    bounds, since every comparison with it is false), integers of more than :data:`MAX_INT_DIGITS`
    digits (a mapping given to the Python API may hold one), strings with lone surrogates (no
    UTF-8 report can hold them), and keys that become equal under NFC. Recursion is safe: the
    depth was bounded by :func:`_check_structure`."""
    where = path or "top level"
    if isinstance(node, str):
        try:
            node.encode("utf-8")
        except UnicodeEncodeError:
            raise PolicyError("holds an unpaired UTF-16 surrogate (a \\ud800-style escape)", source=source,
                              where=where, fix="write the text as UTF-8") from None
        return unicodedata.normalize("NFC", node)
    if isinstance(node, float) and not math.isfinite(node):
        shown = ".nan" if math.isnan(node) else (".inf" if node > 0 else "-.inf")
        raise PolicyError(f"must be a finite number (got {shown})", source=source, where=where,
                          fix="write a plain number")
    if isinstance(node, int) and not isinstance(node, bool) and not -_MAX_INT < node < _MAX_INT:
        raise PolicyError(f"is an integer of more than {MAX_INT_DIGITS} digits", source=source, where=where,
                          fix="write a plain number")
    if isinstance(node, dict):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            key = _clean(key, path, source)
            if key in out:
                raise PolicyError(f"key '{clip(key)}' appears twice (in two Unicode forms)", source=source,
                                  where=where, fix="give every key once")
            out[key] = _clean(value, f"{path}.{key}" if path else str(key), source)
        return out
    if isinstance(node, list):
        return [_clean(value, f"{path}[{i}]", source) for i, value in enumerate(node)]
    return node


def schema() -> dict[str, Any]:
    """The policy JSON Schema shipped in the package."""
    return json.loads(resources.files("gate.policy").joinpath("schema.json").read_text("utf-8"))


def build_policy(doc: Any, *, source: str, sha256: str = "", gate_lines: Sequence[int] = ()) -> Policy:
    """Validate a parsed YAML document and build the typed Policy. ``gate_lines`` are the policy
    file's line of each gate (:func:`parse_yaml_with_gate_lines`); a gate beyond them has none."""
    if doc is None:
        raise PolicyError("the policy is empty", source=source,
                          fix="start from one of the examples in policies/")
    if not isinstance(doc, dict):
        raise PolicyError(f"the policy must be a mapping of fields, got {_kind(doc)}", source=source,
                          fix="start from one of the examples in policies/")
    _check_structure(doc, source)
    doc = _clean(doc, "", source)
    _validate_schema(doc, source)
    task = doc["task"]
    if task == "multilabel":
        return _multilabel_policy(doc, source, sha256, gate_lines)
    from gate.multilabel.policy import check_other_task_doc
    check_other_task_doc(doc, source)
    if task == "ranking":
        return _ranking_policy(doc, source, sha256)
    from gate.ranking.policy import check_classification_doc
    check_classification_doc(doc, source)
    positive = _label_text(doc.get("positive_class"))
    classes = None if "classes" not in doc else tuple(canonical_label(str(c)) for c in doc["classes"])
    if classes is not None:
        _check_class_names(classes, source)
    if task == "binary":
        if positive is None:
            raise PolicyError("a binary policy needs positive_class", source=source,
                              where="positive_class", fix="name the label of the positive class")
        if classes is not None and (len(classes) != 2 or positive not in classes):
            raise PolicyError("a binary policy's classes must be two labels including positive_class",
                              source=source, where="classes")
    elif positive is not None:
        raise PolicyError("applies only to task: binary", source=source,
                          where="positive_class", fix="remove it, or use class: on each gate")
    data = _data_spec(doc.get("data", {}))
    if task == "multiclass" and data.threshold is not None:
        raise PolicyError("applies only to task: binary", source=source,
                          where="data.threshold", fix="remove it; multiclass predictions are the argmax")
    gates = tuple(dataclasses.replace(_gate_spec(i, g, task, classes, data, source),
                                      line=gate_lines[i] if i < len(gate_lines) else None)
                  for i, g in enumerate(doc["gates"]))
    bootstrap, deprecated = _bootstrap_spec(doc.get("bootstrap", {}), source)
    _check_cluster_sampling(data, bootstrap, source)
    return Policy(
        name=doc["name"], task=task, positive_class=positive, classes=classes, data=data,
        bootstrap=bootstrap, decision=DecisionSpec(**doc.get("decision", {})),
        gates=gates, path=source, sha256=sha256, deprecated=deprecated,
    )


def _check_cluster_sampling(data: DataSpec, bootstrap: BootstrapSpec, source: str) -> None:
    """``data.cluster`` with ``sampling: stratified`` is refused: a stratified resample keeps each
    class's count of rows, but a cluster holds rows of several classes, so no draw of whole
    clusters can keep them (and a test set drawn per class is not one drawn by cluster)."""
    if data.cluster and bootstrap.sampling == "stratified":
        raise PolicyError("stratified keeps each class's count of rows, but data.cluster resamples whole "
                          "clusters, which hold rows of several classes", source=source, where="bootstrap.sampling",
                          fix="use sampling: iid (the default) with data.cluster; stratified is only right for a "
                              "test set drawn per class, not by cluster")


def _bootstrap_spec(section: Mapping[str, Any], source: str) -> tuple[BootstrapSpec, tuple[str, ...]]:
    """The bootstrap section and the deprecated fields it used: ``stratify: true|false`` is read as
    ``sampling: stratified|iid`` (``true`` is reported as deprecated; contradicting ``sampling`` is an error)."""
    values = _whole(section, ("resamples", "seed"))
    if "stratify" not in values:
        return BootstrapSpec(**values), ()
    stratify = values.pop("stratify")
    implied = "stratified" if stratify else "iid"
    if values.get("sampling", implied) != implied:
        raise PolicyError(f"{str(stratify).lower()} contradicts sampling: {values['sampling']}",
                          source=source, where="bootstrap.stratify", fix="remove the deprecated stratify; keep sampling")
    values["sampling"] = implied
    return BootstrapSpec(**values), ("stratify",) if stratify else ()


def _ranking_policy(doc: dict, source: str, sha256: str) -> Policy:
    """A ``task: ranking`` policy: its data block, options and gates come from :mod:`gate.ranking.policy`."""
    from gate.ranking.policy import check_bootstrap, ranking_gates, ranking_spec

    spec = ranking_spec(doc, source)
    check_bootstrap(doc, source)
    bootstrap, _ = _bootstrap_spec(doc.get("bootstrap", {}), source)
    return Policy(
        name=doc["name"], task="ranking", positive_class=None, classes=None,
        data=DataSpec(score=spec.data.score, slices=spec.data.slices, explicit=frozenset(doc.get("data", {}))),
        bootstrap=bootstrap, decision=DecisionSpec(**doc.get("decision", {})),
        gates=ranking_gates(doc, spec), path=source, sha256=sha256, ranking=spec,
    )


def _multilabel_policy(doc: dict, source: str, sha256: str, gate_lines: Sequence[int]) -> Policy:
    """A ``task: multilabel`` policy: its data block and gates come from :mod:`gate.multilabel.policy`."""
    from gate.multilabel.policy import check_bootstrap, multilabel_data, multilabel_gates

    data = multilabel_data(doc, source)
    check_bootstrap(doc, source)
    bootstrap, _ = _bootstrap_spec(doc.get("bootstrap", {}), source)
    gates = tuple(dataclasses.replace(g, line=gate_lines[i] if i < len(gate_lines) else None)
                  for i, g in enumerate(multilabel_gates(doc, data, source)))
    return Policy(
        name=doc["name"], task="multilabel", positive_class=None, classes=data.labels,
        data=DataSpec(id=data.id, score=data.score, score_prefix=data.score_prefix, weight=data.weight,
                      threshold=data.threshold, slices=data.slices, explicit=frozenset(doc.get("data", {}))),
        bootstrap=bootstrap, decision=DecisionSpec(**doc.get("decision", {})),
        gates=gates, path=source, sha256=sha256, multilabel=data,
    )


def _whole(section: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """``section`` with its integer fields as ``int``: JSON Schema counts ``200.0`` as an integer,
    but a resample count or a seed must be one for numpy."""
    return {k: int(v) if k in keys and isinstance(v, float) else v for k, v in section.items()}


def _data_spec(d: Mapping[str, Any]) -> DataSpec:
    return DataSpec.from_block(d, explicit=frozenset(d))


def _gate_spec(i: int, g: Mapping[str, Any], task: str, classes: tuple[str, ...] | None,
               data: DataSpec, source: str) -> GateSpec:
    """One classification gate, checked in a fixed order so that the first problem is the one
    reported: the metric, its bar, its parameters, its scope (class / average) and the bars that
    scope admits, then the slice."""
    where = f"gates[{i}]"
    metric = g["metric"]
    mdef = _metric_def(metric, where, source)
    kind = one_bar(g, where, source)
    _check_params(g, metric, mdef, where, source)
    class_name, average = _class_and_average(g, metric, mdef, where, source)
    _check_scope(g, metric, mdef, kind, task, class_name, average, where, source)
    if class_name is not None and class_name != "*" and classes is not None and class_name not in classes:
        raise PolicyError(f"'{class_name}' is not one of the policy's classes "
                          f"({', '.join(classes)})", source=source, where=f"{where}.class")
    predicted = None if "predicted" not in g else _label_text(g["predicted"])
    if "slice" in g and data.slices and g["slice"] not in data.slices:
        raise PolicyError(f"'{g['slice']}' is not listed in data.slices ({', '.join(data.slices)})",
                          source=source, where=f"{where}.slice", fix="add it to data.slices")
    params = {k: g.get(k, PARAM_DEFAULTS.get(k)) for k in mdef.params}
    if metric == "expected_cost":
        params["costs"] = cost_matrix(g["costs"], task, classes, f"{where}.costs", source)
    return GateSpec(
        index=i, metric=metric, bar_kind=kind, bar_value=float(g[kind]), class_name=class_name,
        predicted=predicted, average=average, slice=g.get("slice"), severity=g.get("severity", "error"),
        min_support=int(g.get("min_support", 0)), name=g.get("name"), params=params,
    )


def _metric_def(metric: str, where: str, source: str) -> MetricDef:
    """The catalogue entry of ``metric``; an unknown name suggests the closest one."""
    if metric not in METRICS:
        guess = suggest(metric)
        hint = f"did you mean '{guess}'?" if guess else "see the metric table in the README"
        raise PolicyError(f"unknown metric '{metric}'", source=source, where=f"{where}.metric", fix=hint)
    return METRICS[metric]


def one_bar(g: Mapping[str, Any], where: str, source: str) -> str:
    """The one bar (``min``, ``max``, ``max_drop``, ...) gate ``g`` gives: none or two is an error.
    Every task's gates follow this rule (classification, ranking, multilabel)."""
    bars = [b for b in BARS if b in g]
    if len(bars) != 1:
        found = " and ".join(bars) if bars else "none"
        raise PolicyError(f"give exactly one bar ({', '.join(BARS)}); found {found}",
                          source=source, where=where)
    return bars[0]


def refuse_bootstrap_options(doc: Mapping[str, Any], source: str, task: str, why: str,
                             refused: Sequence[tuple[str, Any, str]] = ()) -> None:
    """The bootstrap options a task's resampling unit (a query, a multilabel example) does not have,
    refused when turned on: ``stratify`` and ``adaptive``, ``sampling: stratified`` (``why`` says
    why), and each ``(key, value, fix)`` of ``refused``."""
    section = doc.get("bootstrap", {})
    for key in ("stratify", "adaptive"):
        if section.get(key):
            raise PolicyError(f"is not available for task: {task}", source=source, where=f"bootstrap.{key}",
                              fix=f"remove it or set {key}: false")
    if section.get("sampling") == "stratified":
        raise PolicyError(f"stratified is not available for task: {task} ({why})", source=source,
                          where="bootstrap.sampling", fix="remove it or write sampling: iid")
    for key, value, fix in refused:
        if section.get(key) == value:
            raise PolicyError(f"{value} is not available for task: {task}", source=source, where=f"bootstrap.{key}",
                              fix=fix)


def _check_params(g: Mapping[str, Any], metric: str, mdef: MetricDef, where: str, source: str) -> None:
    """Parameters of other metrics are refused; the metric's required ones must be given."""
    for key in g:
        if key in ALL_PARAMS and key not in mdef.params:
            raise PolicyError(f"does not apply to metric '{metric}'", source=source,
                              where=f"{where}.{key}", fix="remove it")
    for key in REQUIRED_PARAMS.get(metric, ()):
        if key not in g:
            raise PolicyError(f"metric '{metric}' needs '{key}'", source=source, where=where)


def _class_and_average(g: Mapping[str, Any], metric: str, mdef: MetricDef, where: str,
                       source: str) -> tuple[str | None, str | None]:
    """``(class, average)`` as written: a whole-matrix metric takes no class, an average must be one
    the metric has, and a gate gives one of them at most."""
    class_name = None if "class" not in g else _label_text(g["class"])
    average = g.get("average")
    if mdef.scope == "matrix" and class_name is not None:
        raise PolicyError(f"'{metric}' is a whole-matrix metric; it takes no class", source=source,
                          where=f"{where}.class", fix="remove class:")
    if average is not None and average not in mdef.averages:
        allowed = ", ".join(mdef.averages) or "none"
        raise PolicyError(f"'{average}' is not available for '{metric}' (allowed: {allowed})",
                          source=source, where=f"{where}.average")
    if average is not None and class_name is not None:
        raise PolicyError("give either class or average, not both", source=source, where=where)
    return class_name, average


def _check_scope(g: Mapping[str, Any], metric: str, mdef: MetricDef, kind: str, task: str,
                 class_name: str | None, average: str | None, where: str, source: str) -> None:
    """The bars and scopes a metric family admits: a data metric (label_coverage) takes min or max
    only, on all rows; a flip rate min or max only (it already compares); a per-class metric of a
    multiclass policy needs a class or an average (brier and the flip rates have a whole-set value)."""
    if mdef.scope == "data":
        if kind not in ("min", "max") or "slice" in g or class_name is not None:
            raise PolicyError(f"'{metric}' takes only min or max, with no class or slice",
                              source=source, where=where)
    if mdef.family == "flip" and kind not in ("min", "max"):
        raise PolicyError(f"'{metric}' takes only min or max: it already compares with the baseline",
                          source=source, where=f"{where}.{kind}", fix="write max: <the largest acceptable share>")
    if (task == "multiclass" and mdef.scope == "class" and class_name is None and average is None
            and metric != "brier" and mdef.family != "flip"):
        raise PolicyError(f"multiclass '{metric}' needs class: <name>, class: \"*\" or average",
                          source=source, where=where, fix="add class: or average:")


BINARY_COSTS = (("tn", "fp"), ("fn", "tp"))     # [true][predicted], negative class first


def cost_matrix(costs: Any, task: str, classes: tuple[str, ...] | None, where: str,
                source: str) -> tuple[tuple[float, ...], ...]:
    """``expected_cost``'s ``costs`` as a true × predicted matrix (class indices: binary negative,
    positive). Binary: a mapping of fn/fp/tn/tp (a missing key costs 0). Multiclass: a square list of
    rows in the order of the policy's ``classes:`` (required, since it fixes that order)."""
    if task == "binary":
        if not isinstance(costs, Mapping):
            raise PolicyError("a binary cost is a mapping such as {fn: 50, fp: 5}", source=source, where=where,
                              fix="write costs: {fn: <cost of a miss>, fp: <cost of a false alarm>}")
        return tuple(tuple(float(costs.get(k, 0.0)) for k in row) for row in BINARY_COSTS)
    if classes is None or not isinstance(costs, list):
        raise PolicyError("a multiclass cost is a true × predicted matrix in the order of classes:", source=source,
                          where=where if classes is not None else "classes",
                          fix="list classes: and give costs: one row per true class, one column per predicted class")
    k = len(classes)
    if len(costs) != k or any(len(row) != k for row in costs):
        shape = f"{len(costs)} rows of {', '.join(str(len(r)) for r in costs)}"
        raise PolicyError(f"must be {k} × {k} (one row and column per class in classes:), got {shape}",
                          source=source, where=where)
    return tuple(tuple(float(x) for x in row) for row in costs)


def _validate_schema(doc: dict, source: str) -> None:
    """A policy that surely conforms (:func:`gate.policy.schema_check.conforms`) needs no jsonschema
    (~0.04 s to import, more to build the validator); any other goes through jsonschema, whose errors
    every message is worded from, so a policy error reads the same whichever path saw the policy."""
    spec = schema()
    if conforms(doc, spec):
        return
    import jsonschema

    validator = jsonschema.Draft202012Validator(spec)
    errors = sorted(validator.iter_errors(doc), key=lambda e: (len(e.absolute_path), _path_text(e)))
    if not errors:
        return
    err = _most_specific(errors)
    raise PolicyError(_schema_problem(err), source=source, where=_path_text(err) or "top level")


def _most_specific(errors: list[jsonschema.ValidationError]) -> jsonschema.ValidationError:
    """Prefer errors from the deepest path, then the first in document order."""
    deepest = max(len(e.absolute_path) for e in errors)
    return next(e for e in errors if len(e.absolute_path) == deepest)


def _path_text(err: jsonschema.ValidationError) -> str:
    out = ""
    for part in err.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _schema_problem(err: jsonschema.ValidationError) -> str:
    v, s, inst = err.validator, err.validator_value, err.instance
    if v == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = sorted(set(inst) - set(allowed), key=str)
        name = str(extra[0]) if extra else "?"
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else f"; allowed: {', '.join(allowed)}"
        return f"unknown field '{name}'{hint}"
    if v == "required":
        missing = [k for k in s if k not in inst]
        return f"missing required field '{missing[0] if missing else s[0]}'"
    if v == "enum":
        return f"must be one of {', '.join(map(str, s))} (got {_show(inst)})"
    if v == "const":
        return f"must be {s} (got {_show(inst)})"
    if v == "type":
        wanted = " or ".join(s) if isinstance(s, list) else s
        got = "null" if inst is None else f"{_kind(inst)} {_show(inst)}"
        return f"must be {_article(wanted)} (got {got})"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        lo = _bound(err.schema.get("minimum", err.schema.get("exclusiveMinimum")))
        hi = _bound(err.schema.get("maximum", err.schema.get("exclusiveMaximum")))
        if "exclusiveMinimum" in err.schema and "exclusiveMaximum" in err.schema:
            return f"must be strictly between {lo} and {hi} (got {_show(inst)})"
        if lo is not None and hi is not None:
            return f"must be between {lo} and {hi} (got {_show(inst)})"
        op = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[v]
        return f"must be {op} {s} (got {_show(inst)})"
    if v == "oneOf" and err.absolute_path and err.absolute_path[-1] == "costs":
        return ("must be a mapping of numbers with keys fn, fp, tn, tp (binary) or a list of rows of numbers "
                f"(multiclass), got {_show(inst)}")
    if v == "minItems":
        return f"must have at least {s} item{'s' if s != 1 else ''}"
    if v == "minLength":
        return "must not be empty"
    if v == "maxLength":
        return f"must be at most {s} characters"
    if v == "uniqueItems":
        return "items must be distinct"
    return err.message.splitlines()[0]


def _bound(x: Any) -> Any:
    """A schema bound as written for people: ``2**63 - 1`` rather than 9223372036854775807."""
    if isinstance(x, int) and x > 2**32 and (x + 1) & x == 0:
        return f"2**{x.bit_length()} - 1"
    return x


def _article(wanted: str) -> str:
    names = {"number": "a number", "integer": "an integer", "string": "a string", "boolean": "true or false",
             "object": "a mapping", "array": "a list", "string or integer": "a string or an integer"}
    return names.get(wanted, wanted)


def _kind(x: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "list",
            dict: "mapping", type(None): "null"}.get(type(x), type(x).__name__)


def _show(x: Any) -> str:
    text = json.dumps(x, default=str) if not isinstance(x, str) else repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_class_names(classes: tuple[str, ...], source: str) -> None:
    if len(set(classes)) != len(classes):
        raise PolicyError("class names must be distinct as text (e.g. 1 and '1' collide)",
                          source=source, where="classes")
    limit = MAX_CLASSES.value()
    if len(classes) > limit:
        raise PolicyError(f"lists {len(classes):,} classes, more than the limit of {MAX_CLASSES.shown(limit)}",
                          source=source, where="classes", fix=MAX_CLASSES.fix())
    twins = invisible_twins(classes)
    if twins:
        raise PolicyError(lookalike_problem(twins), source=source, where="classes", fix=lookalike_fix())


def _label_text(x: Any) -> str | None:
    """Class labels are compared as text: YAML ``1`` and CSV ``"1"`` are the same class."""
    return None if x is None else canonical_label(str(x))


_INTEGRAL_FLOAT = re.compile(r"([+-]?[0-9]+)\.0+", re.ASCII)


def canonical_label(text: str) -> str:
    """The text a label is compared as: surrounding whitespace dropped, NFC form (``é`` typed as
    ``e`` + U+0301 is ``é``), and an integral float written as an integer (``"1.0"`` → ``"1"``:
    pandas writes integer labels as floats once a column has an empty cell, which label latency
    makes common). Only ASCII digits make a number: ``"١.0"`` stays as it is."""
    text = text.strip()
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    match = _INTEGRAL_FLOAT.fullmatch(text)
    return match.group(1) if match else text


# Characters that render as nothing: format characters (Cf: U+200B-U+200F, U+2060, U+FEFF, the
# bidi controls U+202A-U+202E and U+2066-U+2069, ...), controls (Cc), the combining grapheme joiner,
# variation selectors and the Hangul fillers.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc"})
_INVISIBLE_EXTRA = frozenset([0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, *range(0xFE00, 0xFE10),
                              *range(0xE0100, 0xE01F0)])
def lookalike_fix(members: str = "labels") -> str:
    return f"remove the invisible characters (zero-width, bidi, ...) from the {members}"


def visible_form(text: str) -> str:
    """What a reader sees of a name: its NFC form without invisible characters, every Unicode space
    as a plain space. Two names with the same visible form print identically."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(" " if ch.isspace() else ch for ch in unicodedata.normalize("NFC", text)
                   if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES and ord(ch) not in _INVISIBLE_EXTRA)


def invisible_twins(names: Iterable[str]) -> tuple[str, str] | None:
    """The first two distinct names that look the same (same :func:`visible_form`), else None."""
    seen: dict[str, str] = {}
    for name in names:
        first = seen.setdefault(visible_form(name), name)
        if first != name:
            return first, name
    return None


def lookalike_problem(twins: tuple[str, str]) -> str:
    return f"{show(twins[0])} and {show(twins[1])} differ only by invisible characters"
