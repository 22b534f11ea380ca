"""Gate expansion: a policy gate over ``class: "*"`` and slice values becomes one :class:`Expanded`
per (class, slice value), each with a unique id, a human label, and its bar as (quantity, op, threshold).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from gate.data.align import EvalSet
from gate.errors import InputError, PolicyError
from gate.metrics.catalog import METRICS
from gate.metrics.compiler import Target
from gate.policy.load import GateSpec, Policy


@dataclass(frozen=True)
class Expanded:
    """A policy gate expanded over classes and slice values."""

    spec: GateSpec
    target: Target
    id: str
    label: str
    class_name: str | None
    slice: dict[str, str] | None
    quantity: str
    op: str
    threshold: float


def expand_gates(policy: Policy, es: EvalSet) -> list[Expanded]:
    """One Expanded per (gate, class, slice value), in policy order; ids made unique."""
    gates = [_expanded(policy, es, spec, class_index, slice_value) for spec in policy.gates
             for class_index in _class_indices(policy, es, spec) for slice_value in _slice_values(es, spec)]
    return [replace(g, id=i) for g, i in zip(gates, unique_ids([g.id for g in gates]))]


def unique_ids(ids: Sequence[str]) -> list[str]:
    """``ids`` in order, the n-th repeat of an id (n ≥ 2) suffixed ``#n``: two gates written the same
    way stay two gates in the report."""
    seen: dict[str, int] = {}
    out = []
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
        out.append(i if seen[i] == 1 else f"{i}#{seen[i]}")
    return out


def _class_indices(policy: Policy, es: EvalSet, spec: GateSpec) -> list[int | None]:
    mdef = METRICS[spec.metric]
    if mdef.scope != "class" or spec.average is not None:
        return [None]
    if spec.class_name == "*":
        return list(range(es.n_classes))
    if spec.class_name is None:     # binary class metrics are about the positive class; flips about every example
        return [1] if es.task == "binary" and mdef.family != "flip" else [None]
    return [_class_index(policy, es, spec.class_name, f"{spec.path}.class")]


def _class_index(policy: Policy, es: EvalSet, name: str, where: str) -> int:
    if name not in es.classes:
        raise InputError(f"'{name}' is named in the policy but absent from the data "
                         f"(classes found: {', '.join(es.classes[:10])})", source=policy.path, where=where,
                         fix="fix the class name, or list it in the policy's classes: if it is just rare")
    return es.classes.index(name)


def _slice_values(es: EvalSet, spec: GateSpec) -> list[str | None]:
    if spec.slice is None:
        return [None]
    values = set(es.candidate.slices[spec.slice].tolist())
    if es.baseline is not None:
        values |= set(es.baseline.slices[spec.slice].tolist())
    return sorted(values)


def _expanded(policy: Policy, es: EvalSet, spec: GateSpec, class_index: int | None,
              slice_value: str | None) -> Expanded:
    predicted_index = None
    if spec.predicted is not None:
        predicted_index = _class_index(policy, es, spec.predicted, f"{spec.path}.predicted")
    target = Target(spec.metric, class_index, spec.average, dict(spec.params), spec.slice, slice_value,
                    predicted_index)
    class_name = None if class_index is None else es.classes[class_index]
    quals, label = [], spec.name or spec.metric
    if spec.metric == "confusion":
        if predicted_index is None:     # load_policy requires it; a Policy built in Python may lack it
            raise PolicyError("metric 'confusion' needs 'predicted'", source=policy.path, where=spec.path)
        label = f"confusion '{class_name}' predicted as '{es.classes[predicted_index]}'"
        quals.append(f"class={class_name}")
        quals.append(f"predicted={es.classes[predicted_index]}")
    elif class_name is not None:
        label += f" for class '{class_name}'"
        quals.append(f"class={class_name}")
    if spec.average is not None:
        label += f" ({spec.average})"
        quals.append(f"average={spec.average}")
    for key in ("beta", "at_recall", "at_precision", "interpolation"):
        if key in spec.params and spec.metric != "confusion":
            quals.append(f"{key}={spec.params[key]}")
            label += f" {key}={spec.params[key]}"
    if spec.params.get("adjusted"):
        quals.append("adjusted")
        label += " (adjusted)"
    if slice_value is not None:
        label += f" in {spec.slice}={slice_value or '(empty)'}"
        quals.append(f"{spec.slice}={slice_value}")
    gate_id = (spec.name or spec.metric) + (f"[{','.join(quals)}]" if quals else "")
    quantity, op, threshold = bar_rule(spec)
    return Expanded(spec, target, gate_id, label, class_name,
                    None if spec.slice is None or slice_value is None else {spec.slice: slice_value},
                    quantity, op, threshold)


def bar_rule(spec: GateSpec) -> tuple[str, str, float]:
    """(quantity, operator, threshold) of a bar, following the metric's direction: a drop in quality of
    a lower-is-better metric is a rise in its value."""
    higher = spec.direction == "higher"
    v = spec.bar_value
    if spec.bar_kind == "min":
        return "candidate", ">=", v
    if spec.bar_kind == "max":
        return "candidate", "<=", v
    if spec.bar_kind == "max_drop":
        return ("delta", ">=", -v) if higher else ("delta", "<=", v)
    if spec.bar_kind == "min_gain":
        return ("delta", ">=", v) if higher else ("delta", "<=", -v)
    return ("relative_delta", ">=", -v) if higher else ("relative_delta", "<=", v)
