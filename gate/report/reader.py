"""Read a ``report.json`` back into a :class:`gate.report.Report`, treating it as hostile data.

``model-gate publish`` runs with a write token on a report that an unprivileged job (possibly a fork's
pull request) produced, so the file is validated before anything is rendered or posted:

- **JSON**: NaN/Infinity literals, numbers that overflow to infinity, integers of more than 18
  digits, duplicate keys in an object and nesting deeper than the interpreter allows are refused;
- **schema** (:func:`check_schema`): the document must be valid against the JSON Schema shipped in
  the package, ``gate/report/schema.json`` (the one ``docs/report-schema.md`` is generated from):
  every field a 1.0 writer writes is present, strings are strings, numbers are numbers and not
  booleans, integers are integers (``1.0`` is not), enumerations hold one of their values (also the
  fields renderers print as trusted words: metric, average, model, role); unknown fields are
  ignored, as a 1.x reader must;
- **types beyond the schema**: strings hold no lone surrogates, arrays that must line up (curve
  x/y, confusion rows) do; the typed reads that build the Report check each field again;
- **consistency** (:func:`check_consistency`): ``counts``, ``verdict`` and ``exit_code`` must be what
  the gates and the decision rule recorded in ``reproducibility.inconclusive`` imply, and each gate's
  ``status`` must agree with its tested interval and bar. A report whose gates say 15 failed cannot
  post a green commit status by claiming ``verdict: pass``.

Every problem raises :class:`ReportFormatError` naming the field (``gates[3].status``), so the CLI
can print one line and exit 2. The enumerations below are read from the schema, so the two cannot
disagree.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any

import jsonschema

from gate.report.model import (
    NOTE_KINDS,
    RESAMPLING_SCHEMES,
    SEVERITIES,
    STATUSES,
    Artifact,
    Bar,
    Calibration,
    ClassRow,
    ConfusionMatrix,
    Curve,
    DataSummary,
    Estimate,
    FlipRow,
    GateResult,
    Guard,
    Note,
    QueryComparison,
    QueryDelta,
    Report,
    Reproducibility,
    Resampling,
    exit_code_of,
    gate_counts,
    verdict_of,
)

MAX_INT_DIGITS = 18
_MISSING = object()

SCHEMA_FILE = "schema.json"


@functools.lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The JSON Schema of ``report.json`` shipped in the package (``gate/report/schema.json``, draft
    2020-12, ``$id`` ending in the schema version it describes)."""
    loaded: dict[str, Any] = json.loads(resources.files("gate.report").joinpath(SCHEMA_FILE).read_text("utf-8"))
    return loaded


def _enum(*path: str) -> tuple[str, ...]:
    """The values the schema allows at ``path``: each key is looked up in ``properties`` (through an
    array's ``items``) or, for a ``$defs`` name, there; an object's allowed keys for ``counts``."""
    node: Any = schema()
    for key in path:
        node = node.get("items", node)
        node = node["properties"][key] if key in node.get("properties", {}) else schema()["$defs"][key]
    return tuple(v for v in node.get("enum", node.get("propertyNames", {}).get("enum", ())) if v is not None)


VERDICTS = _enum("verdict")
OPS = _enum("gate", "op")
QUANTITIES = _enum("gate", "quantity")
DIRECTIONS = _enum("gate", "direction")
BAR_KINDS = _enum("gate", "bar", "kind")
TASKS = _enum("data", "task")
PAIRINGS = _enum("data", "pairing")
INCONCLUSIVE_RULES = _enum("reproducibility", "inconclusive")
MULTIPLE_TESTING = _enum("reproducibility", "multiple_testing")
METHODS = _enum("reproducibility", "method")
CURVE_KINDS = _enum("curves", "kind")
MODELS = _enum("confusion", "model")
AVERAGES = _enum("gate", "average")
COUNT_KEYS = _enum("counts")
INTERVAL_METHODS = _enum("gate", "interval_method")
SAMPLINGS = _enum("reproducibility", "sampling")
UNITS = _enum("reproducibility", "unit")
PER_UNITS = _enum("reproducibility", "resampling_facts", "per")
FACT_PAIRINGS = _enum("reproducibility", "resampling_facts", "pairing")
ROLES = _enum("data", "artifacts", "role")
SPARED_BY = _enum("gate", "spared_by")
GUARD_CODES = _enum("guard", "code")
GUARD_CAUSES = _enum("guard", "cause")


class ReportFormatError(ValueError):
    """``field`` (a path such as ``gates[3].status``, or ``""`` for the document) is not what a
    model-gate report holds; ``problem`` says how."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}" if field else problem)


# ---------------------------------------------------------------------------------------------------
# JSON text
# ---------------------------------------------------------------------------------------------------

class _Bad:
    """A JSON value this module refuses (NaN, an overflowing number, a huge integer, a duplicated
    key's value). Parsing keeps it in place, so the error names the field once a reader reaches it;
    an unknown field holding one is ignored like any unknown field."""

    def __init__(self, problem: str) -> None:
        self.problem = problem


def _no_constant(name: str) -> _Bad:
    return _Bad(f"holds the JSON extension literal {name} (a report holds only finite numbers; "
                "undefined values are null)")


def _finite_float(literal: str) -> float | _Bad:
    value = float(literal)
    return value if math.isfinite(value) else _Bad(f"holds the number {literal[:40]}, which "
                                                   "overflows to infinity")


def _small_int(literal: str) -> int | _Bad:
    digits = len(literal.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        return _Bad(f"holds an integer of {digits} digits (at most {MAX_INT_DIGITS} are allowed)")
    return int(literal)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        out[key] = _Bad("appears twice in its object (a reader would pick one silently)") \
            if key in out else value
    return out


def parse_json(raw: bytes) -> Any:
    """The JSON document in ``raw`` (UTF-8, an optional BOM refused like any other stray byte), with
    the JSON rules of this module. Raises :class:`ReportFormatError`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReportFormatError("", f"is not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float,
                          parse_int=_small_int, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise ReportFormatError("", f"is not valid JSON ({exc.msg} at line {exc.lineno} column "
                                    f"{exc.colno})") from None
    except RecursionError:
        raise ReportFormatError("", "is nested too deeply to be a model-gate report") from None


# ---------------------------------------------------------------------------------------------------
# typed access
# ---------------------------------------------------------------------------------------------------

def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return {str: "a string", int: "an integer", float: "a number", list: "an array",
            dict: "an object"}.get(type(value), type(value).__name__)


def _wrong(path: str, expected: str, value: Any) -> ReportFormatError:
    """The error for ``value`` at ``path`` not being ``expected`` (a refused JSON value says why)."""
    if isinstance(value, _Bad):
        return ReportFormatError(path, value.problem)
    return ReportFormatError(path, f"must be {expected}, got {_kind(value)}")


def text(value: Any, path: str, choices: Sequence[str] | None = None) -> str:
    """A string without lone surrogates; with ``choices``, one of them."""
    if not isinstance(value, str):
        raise _wrong(path, "a string", value)
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ReportFormatError(path, "holds a lone UTF-16 surrogate (not a Unicode character)")
    if choices is not None and value not in choices:
        raise ReportFormatError(path, f"must be one of {', '.join(choices)} (got {value[:60]!r})")
    return value


def number(value: Any, path: str) -> float:
    """A finite JSON number (an integer is accepted; ``true``/``false`` are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _wrong(path, "a number", value)
    return float(value)


def integer(value: Any, path: str, lo: int = 0) -> int:
    """An integer ``>= lo`` (``1.0`` is refused: the writer writes integers as integers)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(path, "an integer", value)
    if value < lo:
        raise ReportFormatError(path, f"must be >= {lo} (got {value})")
    return value


def optional(read: Callable[..., Any]) -> Callable[..., Any]:
    """``read`` that lets ``null`` through as None."""
    def opt(value: Any, path: str, *args: Any) -> Any:
        return None if value is None else read(value, path, *args)
    return opt


class Obj:
    """A JSON object at ``path``; each accessor checks the field's type and names it on failure."""

    def __init__(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise _wrong(path, "an object", value)
        self.value = value
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def field(self, key: str, read: Callable[..., Any], *args: Any, default: Any = _MISSING) -> Any:
        """``read(value, path, *args)`` of field ``key``. A missing field is ``default`` (returned as
        is) or, without one, an error."""
        if key not in self.value:
            if default is _MISSING:
                raise ReportFormatError(self.at(key), "is missing")
            return default
        return read(self.value[key], self.at(key), *args)

    def obj(self, key: str) -> Obj:
        return self.field(key, Obj)

    def array(self, key: str, read: Callable[..., Any], *args: Any, default: Any = _MISSING) -> tuple[Any, ...]:
        """The array field ``key`` with ``read(item, "key[i]", *args)`` applied to every item."""
        return tuple(self.field(key, _array, read, *args, default=default))


def _array(value: Any, path: str, read: Callable[..., Any], *args: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _wrong(path, "an array", value)
    return [read(v, f"{path}[{i}]", *args) for i, v in enumerate(value)]


def _object_of(value: Any, path: str, read: Callable[..., Any]) -> dict[str, Any]:
    """An object of ``string key → read(value)``."""
    o = Obj(value, path)
    return {text(k, path): read(v, o.at(k)) for k, v in o.value.items()}


# ---------------------------------------------------------------------------------------------------
# the schema
# ---------------------------------------------------------------------------------------------------

_TYPE_WORDS = {"string": "a string", "integer": "an integer", "number": "a number", "array": "an array",
               "object": "an object", "boolean": "true or false", "null": "null"}


def _is_integer(_checker: Any, value: Any) -> bool:
    """JSON Schema counts ``1.0`` as an integer; the writer writes integers as integers, so here
    only an int is one (and, as everywhere in JSON Schema, never ``true``/``false``)."""
    return isinstance(value, int) and not isinstance(value, bool)


@functools.lru_cache(maxsize=1)
def validator() -> Any:
    """A draft 2020-12 validator of :func:`schema`, with :func:`_is_integer`."""
    base = jsonschema.Draft202012Validator
    strict = jsonschema.validators.extend(base, type_checker=base.TYPE_CHECKER.redefine("integer", _is_integer))
    return strict(schema())


def _json_path(parts: Any) -> str:
    """``gates[3].tested.ci`` from a jsonschema error's path (``""`` for the document)."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _shown(value: Any) -> str:
    return repr(value[:60]) if isinstance(value, str) else str(value)


def _schema_error(error: Any) -> ReportFormatError:
    """One jsonschema error as the line the CLI prints: the field's path and what it must be. A
    subschema's ``x-expected`` names what a value must be when its type alone does not say it."""
    path, value, keyword = _json_path(error.absolute_path), error.instance, error.validator
    if isinstance(value, _Bad):
        return ReportFormatError(path, value.problem)
    if keyword == "required":
        missing = next(k for k in error.validator_value if k not in value)
        return ReportFormatError(f"{path}.{missing}" if path else missing, "is missing")
    if keyword in ("enum", "const"):
        choices = error.validator_value if keyword == "enum" else [error.validator_value]
        return ReportFormatError(path, f"must be one of {', '.join(str(c) for c in choices if c is not None)} "
                                       f"(got {_shown(value)})")
    if keyword == "minimum":
        return ReportFormatError(path, f"must be >= {error.validator_value} (got {value})")
    types = error.schema.get("type", "object")
    expected = error.schema.get("x-expected") or _TYPE_WORDS[types if isinstance(types, str) else types[0]]
    got = repr(value[:20]) if keyword == "pattern" else _kind(value)
    return ReportFormatError(path, f"must be {expected}, got {got}")


def check_schema(doc: Any) -> None:
    """Raise :class:`ReportFormatError` for the first place where ``doc`` breaks the shipped schema
    (in the schema's order of fields, so the same document always names the same field)."""
    error = next(iter(validator().iter_errors(doc)), None)
    if error is not None:
        raise _schema_error(error)


# ---------------------------------------------------------------------------------------------------
# the parts of a report
# ---------------------------------------------------------------------------------------------------

def _interval(value: Any, path: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise _wrong(path, "[lo, hi] (two numbers)", value)
    return number(value[0], path + "[0]"), number(value[1], path + "[1]")


def estimate(value: Any, path: str) -> Estimate:
    o = Obj(value, path)
    return Estimate(value=o.field("value", optional(number)),
                    ci=o.field("ci", optional(_interval)),
                    undefined_resamples=o.field("undefined_resamples", integer))


def _nominal_ci(value: Any, path: str) -> tuple[float, float]:
    """``[lo, hi]``; an end the writer could not write as a number (null) reads as NaN, which the
    sentence shows as ``n/a`` as it did before the report was written."""
    if not isinstance(value, list) or len(value) != 2:
        raise _wrong(path, "[lo, hi] (two numbers or nulls)", value)
    lo, hi = (optional(number)(v, f"{path}[{i}]") for i, v in enumerate(value))
    return (math.nan if lo is None else lo), (math.nan if hi is None else hi)


def guard_of(value: Any, path: str) -> Guard:
    o = Obj(value, path)
    code = o.field("code", text, GUARD_CODES)
    return Guard(code, o.field("cause", text, GUARD_CAUSES),
                 **{k: o.field(k, optional(integer)) for k in ("size", "min_support", "undefined", "resamples", "distinct")})


def _guard(o: Obj, reason: str) -> Guard | None:
    """``guard``; a report older than 1.3 has none, so a guard's reason code stands for it (worded
    without its numbers)."""
    if "guard" in o.value:
        return o.field("guard", optional(guard_of))
    return Guard(reason) if reason in GUARD_CODES else None


def _note_value(value: Any, path: str, kind: Any) -> int | float | str:
    """One value of a note, as :data:`gate.report.model.NOTE_KINDS` types it (a tuple: its choices)."""
    if kind is int:
        return integer(value, path)
    if kind is float:      # null: a value that was not a finite number (its words say nan)
        return math.nan if value is None else number(value, path)
    return text(value, path, kind if isinstance(kind, tuple) else None)


def note(value: Any, path: str, words: str) -> Note:
    """A note's facts: a ``code`` and exactly the values that code carries, each of its type (so no
    renderer meets a missing or mistyped value in an untrusted report). A code this version does not
    know (a newer 1.x writer's) is read as its worded string ``words``, verbatim (code ``text``)."""
    o = Obj(value, path)
    code = o.field("code", text)
    if code not in NOTE_KINDS:
        return Note("text", {"text": words or code})
    kinds = NOTE_KINDS[code]
    values = o.obj("values")
    if set(values.value) != set(kinds):
        want = ", ".join(sorted(kinds)) or "none"
        raise ReportFormatError(values.path, f"a {code} note carries the values {want}")
    return Note(code, {key: values.field(key, _note_value, kind) for key, kind in kinds.items()})


def notes_of(o: Obj, words: str, facts: str) -> tuple[Note, ...]:
    """The notes of field ``facts`` (schema 1.4; the renderers word them again, so the strings of
    ``words`` only stand in for a code this version does not know, by position); a report older than
    1.4 has only the strings, each kept verbatim as a ``text`` note (untrusted, like any data).
    ``Report.to_dict()`` (the facts without the words) is read too."""
    strings = o.array(words, text, default=())
    if facts not in o.value:
        return tuple(Note("text", {"text": s}) for s in strings)
    raw = o.field(facts, _array, lambda v, path: (v, path))
    return tuple(note(v, path, strings[i] if i < len(strings) else "") for i, (v, path) in enumerate(raw))


def _slice(value: Any, path: str) -> dict[str, str]:
    return _object_of(value, path, text)


def metric_names() -> tuple[str, ...]:
    """The catalogue's metric names, the ranking measures and the multilabel metrics: renderers print ``metric`` and ``average``
    as our own words."""
    from gate.metrics.catalog import METRICS
    from gate.multilabel.names import METRICS as MULTILABEL
    from gate.ranking.options import MEASURES
    return tuple(dict.fromkeys((*METRICS, *MEASURES, *MULTILABEL)))


def gate(value: Any, path: str) -> GateResult:
    o = Obj(value, path)
    bar = o.obj("bar")
    bar_value = bar.field("value", number)
    candidate = o.field("candidate", estimate)
    gate_id = o.field("id", text)
    reason = o.field("reason", text)
    o.field("message", text, default="")      # worded again from the facts (gate/render/messages.py)
    return GateResult(
        id=gate_id, metric=o.field("metric", text, metric_names()), label=o.field("label", text),
        class_name=o.field("class", optional(text)),
        average=o.field("average", optional(text), AVERAGES),
        slice=o.field("slice", optional(_slice)),
        bar=Bar(bar.field("kind", text, BAR_KINDS), bar_value),
        quantity=o.field("quantity", text, QUANTITIES),
        op=o.field("op", text, OPS),
        threshold=o.field("threshold", number),
        direction=o.field("direction", text, DIRECTIONS),
        candidate=candidate, baseline=o.field("baseline", optional(estimate)),
        delta=o.field("delta", optional(estimate)),
        tested=o.field("tested", estimate),
        n=o.field("n", integer), support=o.field("support", optional(integer)),
        status=o.field("status", text, STATUSES), severity=o.field("severity", text, SEVERITIES),
        reason=reason,
        confidence=o.field("confidence", number),
        p_value=o.field("p_value", optional(number)),
        needed_n=o.field("needed_n", optional(integer)),
        notes=notes_of(o, "notes", "note_facts"),
        policy_line=o.field("policy_line", optional(integer), 1, default=None),
        interval_method=o.field("interval_method", text, INTERVAL_METHODS, default="percentile"),
        nominal_ci=o.field("nominal_ci", optional(_nominal_ci), default=None),
        spared_by=o.field("spared_by", optional(text), SPARED_BY, default=None),
        guard=_guard(o, reason),
        labeled=o.field("labeled", optional(integer), default=None),
        clusters=o.field("clusters", optional(integer), 0, default=None),
        error_bound=o.field("error_bound", _error_bound, default=None),
    )


def _error_bound(value: Any, path: str) -> float:
    """A binned gate's error bound (schema 1.3): a number ≥ 0, or null for an unbounded one (the
    writer's infinity; an exact gate has no field at all)."""
    if value is None:
        return math.inf
    bound = number(value, path)
    if bound < 0:
        raise ReportFormatError(path, f"must be at least 0, got {bound!r}")
    return bound


def _scores(value: Any, path: str) -> dict[str, float | None]:
    return _object_of(value, path, optional(number))


def class_row(value: Any, path: str) -> ClassRow:
    o = Obj(value, path)
    return ClassRow(name=o.field("class", text), support=o.field("support", integer),
                    candidate=o.field("candidate", _scores),
                    baseline=o.field("baseline", optional(_scores)))


def _numbers(value: Any, path: str) -> tuple[float, ...]:
    if not isinstance(value, list):
        raise _wrong(path, "an array of numbers", value)
    return tuple(number(v, f"{path}[{i}]") for i, v in enumerate(value))


def _same_length(o: Obj, arrays: dict[str, tuple[Any, ...]], first: str) -> None:
    for key, values in arrays.items():
        if len(values) != len(arrays[first]):
            raise ReportFormatError(o.at(key), f"has {len(values)} entries but {first} has "
                                               f"{len(arrays[first])}")


def confusion(value: Any, path: str) -> ConfusionMatrix:
    o = Obj(value, path)
    classes = o.array("classes", text)
    counts = o.array("counts", _numbers)
    _same_length(o, {"classes": classes, "counts": counts}, "classes")
    for i, row in enumerate(counts):
        if len(row) != len(classes):
            raise ReportFormatError(f"{o.at('counts')}[{i}]", f"has {len(row)} cells for "
                                                              f"{len(classes)} classes")
    return ConfusionMatrix(model=o.field("model", text, MODELS), classes=classes, counts=counts)


def flip_row(value: Any, path: str) -> FlipRow:
    o = Obj(value, path)
    return FlipRow(name=o.field("class", text), examples=o.field("examples", number),
                   negative=o.field("negative_flips", number), positive=o.field("positive_flips", number),
                   churn=o.field("churn", number))


def curve(value: Any, path: str) -> Curve:
    o = Obj(value, path)
    xs, ys = o.field("x", _numbers), o.field("y", _numbers)
    _same_length(o, {"x": xs, "y": ys}, "x")
    return Curve(kind=o.field("kind", text, CURVE_KINDS), model=o.field("model", text, MODELS),
                 class_name=o.field("class", text), x=xs, y=ys,
                 area=o.field("area", optional(number)))


def calibration(value: Any, path: str) -> Calibration:
    o = Obj(value, path)
    arrays = {k: o.field(k, _numbers) for k in ("confidence", "accuracy", "weight")}
    _same_length(o, arrays, "confidence")
    return Calibration(model=o.field("model", text, MODELS), bin_edges=o.field("bin_edges", _numbers),
                       ece=o.field("ece", optional(number)), **arrays)


def query_delta(value: Any, path: str) -> QueryDelta:
    o = Obj(value, path)
    return QueryDelta(query_id=o.field("query_id", text), candidate=o.field("candidate", number),
                      baseline=o.field("baseline", number), delta=o.field("delta", number))


def query_comparison(value: Any, path: str) -> QueryComparison:
    """A ranking report's per-query comparison; the histogram has one count per pair of edges."""
    o = Obj(value, path)
    edges, counts = o.field("histogram_edges", _numbers), o.array("histogram_counts", integer)
    if len(edges) != (len(counts) + 1 if counts else 0):
        raise ReportFormatError(o.at("histogram_edges"), f"has {len(edges)} edges for {len(counts)} bins")
    return QueryComparison(measure=o.field("measure", text), improved=o.field("improved", integer),
                           regressed=o.field("regressed", integer), tied=o.field("tied", integer),
                           worst=o.array("worst", query_delta), histogram_edges=edges, histogram_counts=counts)


def artifact(value: Any, path: str) -> Artifact:
    o = Obj(value, path)
    return Artifact(role=o.field("role", text, ROLES), path=o.field("path", text), sha256=o.field("sha256", text),
                    format=o.field("format", text), rows=o.field("rows", integer),
                    labeled_rows=o.field("labeled_rows", integer))


def data_summary(value: Any, path: str) -> DataSummary:
    o = Obj(value, path)
    return DataSummary(
        task=o.field("task", text, TASKS), classes=o.array("classes", text),
        positive_class=o.field("positive_class", optional(text)),
        pairing=o.field("pairing", text, PAIRINGS), n_candidate=o.field("n_candidate", integer),
        n_baseline=o.field("n_baseline", optional(integer)),
        label_coverage=_nan_if_null(o.field("label_coverage", optional(number))),
        artifacts=o.array("artifacts", artifact),
        class_support=o.field("class_support", _object_of, integer),
    )


def _nan_if_null(value: float | None) -> float:
    """A number the writer writes as null when it is not finite (e.g. label coverage of no rows)."""
    return math.nan if value is None else value


def _flag(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _wrong(path, "true or false", value)
    return value


def reproducibility(value: Any, path: str) -> Reproducibility:
    """The reproducibility section; ``sampling`` (absent before it existed) must agree with ``stratify``."""
    o = Obj(value, path)
    r = _reproducibility(o)
    if r.sampling and (r.sampling == "stratified") != r.stratify:
        raise ReportFormatError(f"{path}.sampling", f"is {r.sampling!r} but stratify is {str(r.stratify).lower()}")
    if (r.unit == "cluster") != (r.clusters is not None) or (r.unit == "cluster") != bool(r.cluster):
        raise ReportFormatError(f"{path}.unit", "cluster and clusters are given exactly when unit is 'cluster'")
    return r


def _resampling(o: Obj) -> Resampling:
    """``resampling_facts`` (schema 1.5; the renderers word them again); a report older than 1.5 has
    only the sentence ``resampling``, kept verbatim (untrusted, like any data)."""
    if "resampling_facts" not in o.value:
        return Resampling(legacy=o.field("resampling", text))
    f = o.obj("resampling_facts")
    count = optional(integer)
    return Resampling(groups=f.field("groups", count), schemes=f.array("schemes", text, RESAMPLING_SCHEMES),
                      per=f.field("per", text, PER_UNITS), units=f.field("units", count),
                      pairing=f.field("pairing", text, FACT_PAIRINGS), stopped=f.field("stopped", count),
                      drawn=f.field("drawn", count), planned=f.field("planned", count))


def _reproducibility(o: Obj) -> Reproducibility:
    return Reproducibility(
        seed=o.field("seed", integer), resamples=o.field("resamples", integer),
        method=o.field("method", text, METHODS), confidence=o.field("confidence", number),
        stratify=o.field("stratify", _flag),
        multiple_testing=o.field("multiple_testing", text, MULTIPLE_TESTING),
        inconclusive=o.field("inconclusive", text, INCONCLUSIVE_RULES),
        tool_version=o.field("tool_version", text), policy_path=o.field("policy_path", text),
        policy_sha256=o.field("policy_sha256", text), command=o.array("command", text),
        resampling=_resampling(o),
        sampling=o.field("sampling", text, SAMPLINGS, default=""),
        unit=o.field("unit", text, UNITS, default=""),
        cluster=o.field("cluster", text, default=""),
        clusters=o.field("clusters", optional(integer), 1, default=None),
    )


def _counts(value: Any, path: str) -> dict[str, int]:
    o = Obj(value, path)
    for key in o.value:
        text(key, path, COUNT_KEYS)
    return {k: o.field(k, integer) for k in COUNT_KEYS}


def _schema_version(value: Any, path: str) -> str:
    version = text(value, path)
    if version.split(".")[0] != "1":
        raise ReportFormatError(path, f"must be 1.x (this model-gate reads schema 1), got {version[:20]!r}")
    return version


def report_from_dict(value: Any) -> Report:
    """A Report from parsed ``report.json`` data: every field read is type-checked, then the whole is
    checked for consistency (:func:`check_consistency`)."""
    check_schema(value)
    o = Obj(value, "")
    report = Report(
        schema_version=o.field("schema_version", _schema_version),
        policy_name=o.obj("policy").field("name", text),
        verdict=o.field("verdict", text, VERDICTS),
        exit_code=o.field("exit_code", integer),
        gates=o.array("gates", gate),
        counts=o.field("counts", _counts),
        data=o.field("data", data_summary),
        reproducibility=o.field("reproducibility", reproducibility),
        per_class=o.array("per_class", class_row),
        confusion=o.array("confusion", confusion),
        curves=o.array("curves", curve),
        calibration=o.array("calibration", calibration),
        warnings=notes_of(o, "warnings", "warning_facts"),
        flips=o.array("flips", flip_row, default=()),
        queries=o.array("queries", query_comparison, default=()),
    )
    check_consistency(report)
    return report


def load_report(raw: bytes) -> Report:
    """A Report from the bytes of a ``report.json`` (see the module docstring for the rules)."""
    return report_from_dict(parse_json(raw))


# ---------------------------------------------------------------------------------------------------
# consistency
# ---------------------------------------------------------------------------------------------------

def _status_problem(g: GateResult) -> str | None:
    """Why ``g.status`` contradicts its own tested interval and bar, or None. A pass needs an interval
    wholly on the passing side (``lo >= threshold`` for ``>=``); a fail one wholly on the failing
    side (ends equal to the threshold are allowed: both are rounded to 12 digits in the file).
    Inconclusive is always possible (guards such as min_support force it)."""
    ci = g.tested.ci
    if g.status == "inconclusive":
        return None
    if ci is None:
        return f"says {g.status!r} but its tested interval is null"
    lo, hi = ci
    passing_end, failing_end = (lo, hi) if g.op == ">=" else (hi, lo)
    clears = passing_end >= g.threshold if g.op == ">=" else passing_end <= g.threshold
    misses = failing_end <= g.threshold if g.op == ">=" else failing_end >= g.threshold
    if g.status == "pass" and not clears:
        return (f"says 'pass' but its tested interval [{lo:g}, {hi:g}] does not clear the bar "
                f"{g.op} {g.threshold:g}")
    if g.status == "fail" and not misses:
        return (f"says 'fail' but its tested interval [{lo:g}, {hi:g}] does not miss the bar "
                f"{g.op} {g.threshold:g}")
    return None


def check_consistency(report: Report) -> None:
    """Raise :class:`ReportFormatError` when the report's summary fields are not what its gates imply
    (see the module docstring)."""
    for i, g in enumerate(report.gates):
        problem = _status_problem(g)
        if problem:
            raise ReportFormatError(f"gates[{i}].status", problem)
    counts = gate_counts(report.gates)
    for key in COUNT_KEYS:
        if report.counts.get(key) != counts[key]:
            raise ReportFormatError(f"counts.{key}", f"says {report.counts.get(key)} but the gates hold "
                                                     f"{counts[key]}")
    verdict = verdict_of(report.gates, report.reproducibility.inconclusive)
    if report.verdict != verdict:
        failed = len(report.failed)
        raise ReportFormatError("verdict", f"says {report.verdict!r} but the gates make it {verdict!r} "
                                           f"({failed} blocking gate{'s' * (failed != 1)} failed, "
                                           f"decision.inconclusive: {report.reproducibility.inconclusive})")
    exit_code = exit_code_of(verdict)
    if report.exit_code != exit_code:
        raise ReportFormatError("exit_code", f"says {report.exit_code} but verdict {verdict!r} means "
                                             f"{exit_code}")
