"""Hand-built :class:`gate.report.Report` objects for renderer (and other) tests.

Nothing here runs the engine: every number is written down, so renderer tests stay fast and do not
depend on the statistics. ``make_gate`` fills a consistent GateResult from a few arguments;
``binary_report``, ``adversarial_report``, ``large_report`` and ``passing_report`` are the shared
scenarios (deterministic: same call, same Report).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from gate.report.model import (
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
    Report,
    Reproducibility,
    verdict_of,
)

_OP = {"min": ">=", "max": "<=", "max_drop": ">=", "max_relative_drop": ">=", "min_gain": ">="}
_QUANTITY = {"min": "candidate", "max": "candidate", "max_drop": "delta",
             "max_relative_drop": "relative_delta", "min_gain": "delta"}


def est(value: float | None, lo: float | None = None, hi: float | None = None, undefined: int = 0) -> Estimate:
    ci = None if lo is None or hi is None else (lo, hi)
    return Estimate(value=value, ci=ci, undefined_resamples=undefined)


def make_gate(
    metric: str = "recall",
    *,
    kind: str = "min",
    bar: float = 0.9,
    candidate: Estimate | None = None,
    baseline: Estimate | None = None,
    status: str = "pass",
    severity: str = "error",
    class_name: str | None = None,
    average: str | None = None,
    slice: Mapping[str, str] | None = None,
    n: int = 1000,
    support: int | None = None,
    reason: str | None = None,
    gate_id: str | None = None,
    label: str | None = None,
    needed_n: int | None = None,
    p_value: float | None = None,
    notes: Sequence[str] = (),
    distribution: Sequence[float] = (),
    tested: Estimate | None = None,
    delta: Estimate | None = None,
    nominal_ci: tuple[float, float] | None = None,
    spared_by: str | None = None,
    guard: Guard | None = None,
    labeled: int | None = None,
) -> GateResult:
    """A GateResult whose fields agree with each other (delta = cand − base, threshold on the tested
    quantity; a guard's code is the reason), so that renderers see realistic data."""
    candidate = candidate or est(0.92, 0.90, 0.94)
    quantity = _QUANTITY[kind]
    if baseline is not None and delta is None and candidate.value is not None and baseline.value is not None:
        d = candidate.value - baseline.value
        delta = est(d, d - 0.02, d + 0.02)
    if quantity == "candidate":
        tested = tested or candidate
        threshold = bar
    elif quantity == "delta":
        tested = tested or delta or est(None)
        threshold = -bar if kind == "max_drop" else bar
    else:
        tested = tested or est(None)
        threshold = -bar
    sub = metric
    if average:
        sub += f"_{average}"
    parts = []
    if class_name is not None:
        parts.append(f"class={class_name}")
    if slice:
        parts += [f"{k}={v}" for k, v in slice.items()]
    label = label if label is not None else sub + (f"[{', '.join(parts)}]" if parts else "")
    gate_id = gate_id or f"{kind}:{label}"
    if guard is not None:
        reason = reason or guard.code
    return GateResult(
        id=gate_id, metric=metric, label=label, class_name=class_name, average=average, slice=slice,
        bar=Bar(kind, bar), quantity=quantity, op=_OP[kind], threshold=threshold,
        direction="higher", candidate=candidate, baseline=baseline, delta=delta, tested=tested, n=n,
        support=support, status=status, severity=severity,
        reason=reason or {"pass": "clears_bar", "fail": "misses_bar", "inconclusive": "straddles_bar"}[status],
        confidence=0.95, p_value=p_value, needed_n=needed_n, notes=tuple(map(as_note, notes)),
        distribution=tuple(distribution), nominal_ci=nominal_ci, spared_by=spared_by, guard=guard, labeled=labeled,
    )


def as_note(note: Note | str) -> Note:
    """A note as the model holds it: a Note as is, a string as its verbatim words (code ``text``)."""
    return note if isinstance(note, Note) else Note("text", {"text": note})


def counts_of(gates: Sequence[GateResult]) -> dict[str, int]:
    """The engine's rule (the one ``model-gate publish`` verifies): statuses over all gates, and
    ``warning`` = gates of severity warning that did not pass (so those count twice)."""
    from gate.report.model import gate_counts
    return gate_counts(gates)


def _pr_curve(model: str, cls: str, shift: float, points: int = 41) -> Curve:
    xs, ys = [], []
    for i in range(points):
        r = 1.0 - i / (points - 1)
        xs.append(round(r, 6))
        ys.append(round(max(0.0, min(1.0, 1.0 - 0.6 * r ** 3 + shift * r)), 6))
    return Curve(kind="pr", model=model, class_name=cls, x=tuple(xs), y=tuple(ys), area=round(0.8 + shift, 6))


def _roc_curve(model: str, cls: str, shift: float, points: int = 41) -> Curve:
    xs, ys = [], []
    for i in range(points):
        f = i / (points - 1)
        xs.append(round(f, 6))
        ys.append(round(min(1.0, f ** (0.25 - shift)), 6))
    return Curve(kind="roc", model=model, class_name=cls, x=tuple(xs), y=tuple(ys), area=round(0.85 + shift, 6))


def _confusion(model: str, classes: Sequence[str], skew: int) -> ConfusionMatrix:
    k = len(classes)
    rows = []
    for i in range(k):
        rows.append(tuple(float(80 + 3 * i - skew if i == j else (i * 7 + j * 3 + skew) % 9) for j in range(k)))
    return ConfusionMatrix(model=model, classes=tuple(classes), counts=tuple(rows))


def _calibration(model: str, offset: float) -> Calibration:
    edges = tuple(round(i / 10, 1) for i in range(11))
    conf = tuple(round(0.05 + i / 10, 3) for i in range(10))
    acc = tuple(round(max(0.0, min(1.0, c - offset * math.sin(3 * c))), 3) for c in conf)
    weight = tuple(float(50 + 10 * i) for i in range(10))
    return Calibration(model=model, bin_edges=edges, confidence=conf, accuracy=acc, weight=weight,
                       ece=round(abs(offset) / 2, 4))


def _repro(policy_name: str = "fraud-detector", command: Sequence[str] | None = None,
           inconclusive: str = "warn") -> Reproducibility:
    return Reproducibility(
        seed=7, resamples=2000, method="bca", confidence=0.95, stratify=True, multiple_testing="holm",
        inconclusive=inconclusive, tool_version="0.1.0", policy_path="policies/model-gate.yml",
        policy_sha256="a" * 64,
        command=tuple(command) if command is not None else (
            "model-gate", "check", "--policy", "policies/model-gate.yml",
            "--candidate", "preds/candidate.csv", "--baseline", "preds/baseline.csv", "--seed", "7"),
    )


def _data(classes: Sequence[str], *, task: str = "binary", positive: str | None = None,
          paths: Sequence[str] = ("preds/candidate.csv", "preds/baseline.csv"), n: int = 5000) -> DataSummary:
    arts = tuple(
        Artifact(role=role, path=p, sha256=(("b" if role == "candidate" else "c") * 64), format="csv",
                 rows=n, labeled_rows=n - 250)
        for role, p in zip(("candidate", "baseline"), paths)
    )
    return DataSummary(task=task, classes=tuple(classes), positive_class=positive, pairing="paired",
                       n_candidate=n, n_baseline=n, label_coverage=0.95, artifacts=arts,
                       class_support={c: 100 + 10 * i for i, c in enumerate(classes)})


def _per_class(classes: Sequence[str]) -> tuple[ClassRow, ...]:
    rows = []
    for i, c in enumerate(classes):
        p = round(0.80 + (i % 7) / 50, 4)
        r = round(0.75 + (i % 5) / 40, 4)
        f = round(2 * p * r / (p + r), 4)
        rows.append(ClassRow(name=c, support=100 + 10 * i,
                             candidate={"precision": p, "recall": r, "f1": f},
                             baseline={"precision": round(p - 0.01, 4), "recall": round(r + 0.02, 4),
                                       "f1": round(f + 0.005, 4)}))
    return tuple(rows)


def _flips(classes: Sequence[str]) -> tuple[FlipRow, ...]:
    return tuple(FlipRow(c, 100 + 10 * i, 3 + i % 4, 1 + i % 3, 5 + i % 6) for i, c in enumerate(classes))


def build_report(gates: Sequence[GateResult], *, policy_name: str = "fraud-detector",
                 classes: Sequence[str] = ("legit", "fraud"), task: str = "binary",
                 positive: str | None = "fraud", verdict: str | None = None,
                 inconclusive: str = "warn", warnings: Sequence[str] = (),
                 curves: bool = True, confusion: bool = True, calibration: bool = True,
                 per_class: bool = True, paths: Sequence[str] = ("preds/candidate.csv", "preds/baseline.csv"),
                 command: Sequence[str] | None = None, curve_classes: Sequence[str] | None = None,
                 flips: bool = False) -> Report:
    """Assemble a Report around ``gates`` with consistent counts/verdict and optional extras."""
    counts = counts_of(gates)
    if verdict is None:
        verdict = verdict_of(gates, inconclusive)
    cc = list(curve_classes) if curve_classes is not None else ([positive] if positive else list(classes))
    curve_list: list[Curve] = []
    if curves:
        for j, c in enumerate(cc):
            curve_list += [_pr_curve("candidate", c, 0.02 + 0.01 * (j % 3)), _pr_curve("baseline", c, -0.03),
                           _roc_curve("candidate", c, 0.03), _roc_curve("baseline", c, -0.02)]
    return Report(
        policy_name=policy_name, verdict=verdict, exit_code=0 if verdict == "pass" else 1,
        gates=tuple(gates), counts=counts,
        data=_data(classes, task=task, positive=positive, paths=paths),
        reproducibility=_repro(policy_name, command, inconclusive),
        per_class=_per_class(classes) if per_class else (),
        confusion=(_confusion("candidate", classes, 0), _confusion("baseline", classes, 2)) if confusion else (),
        curves=tuple(curve_list),
        calibration=(_calibration("candidate", 0.03), _calibration("baseline", -0.05)) if calibration else (),
        warnings=tuple(map(as_note, warnings)), flips=_flips(classes) if flips else (),
    )


def _dist(center: float, spread: float, k: int = 400) -> tuple[float, ...]:
    # deterministic pseudo-normal replicates (no RNG needed)
    return tuple(round(center + spread * math.sin(i * 12.9898) * math.cos(i * 4.1414), 6) for i in range(k))


def binary_gates() -> list[GateResult]:
    """A realistic binary policy: one blocking fail, one inconclusive, one warning fail, passes."""
    return [
        make_gate("recall", class_name="fraud", bar=0.90, candidate=est(0.87, 0.84, 0.895),
                  baseline=est(0.88, 0.85, 0.905), status="fail", support=412, n=5000,
                  distribution=_dist(0.87, 0.03)),
        make_gate("f1", kind="max_drop", bar=0.02, candidate=est(0.861, 0.84, 0.88),
                  baseline=est(0.872, 0.85, 0.89), delta=est(-0.011, -0.031, 0.009), status="inconclusive",
                  n=5000, needed_n=19000, p_value=0.21,
                  distribution=_dist(-0.011, 0.02)),
        make_gate("average_precision", kind="max_relative_drop", bar=0.05, candidate=est(0.70, 0.66, 0.74),
                  baseline=est(0.80, 0.77, 0.83), tested=est(-0.125, -0.17, -0.08), status="fail",
                  severity="warning", n=5000,
                  distribution=_dist(-0.125, 0.05)),
        make_gate("recall", class_name="legit", bar=0.60, candidate=est(0.995, 0.993, 0.997),
                  baseline=est(0.994, 0.992, 0.996), status="pass", support=4338, n=5000),
        make_gate("balanced_accuracy", kind="max_drop", bar=0.03, slice={"region": "eu"},
                  candidate=est(0.93, 0.91, 0.95), baseline=est(0.925, 0.905, 0.945),
                  delta=est(0.005, -0.01, 0.02), status="pass", n=2400),
        make_gate("label_coverage", bar=0.7, candidate=est(0.95, 0.944, 0.956), status="pass", n=5250,
                  labeled=4988),
    ]


def binary_report(**kw: Any) -> Report:
    kw.setdefault("warnings", ("250 rows have no label and were excluded",))
    return build_report(binary_gates(), **kw)


def two_failures_report() -> Report:
    """binary_report's gates plus a second blocking failure (so ``failed_count`` is 2)."""
    extra = make_gate("precision", class_name="fraud", bar=0.8, candidate=est(0.71, 0.68, 0.74),
                      baseline=est(0.75, 0.72, 0.78), status="fail", support=412, n=5000, gate_id="min:precision")
    return build_report([*binary_gates(), extra], warnings=())


def passing_report() -> Report:
    gates = [g for g in binary_gates() if g.status == "pass"]
    return build_report(gates, warnings=())


#: names that try to break out of Markdown / HTML / XML / terminals
ADVERSARIAL_NAMES = (
    "a|b|c", "@octocat", "#1", "<!-- model-gate:v1 key=x -->", "`x`", "\\|", "line1\nline2",
    "<script>alert(1)</script>", "\x1b[31mred\x00", ":rocket: !12 ~label", "a\\", "``` fence",
    "*bold* _it_ [link](http://evil.example)",
)


def adversarial_report() -> Report:
    classes = list(ADVERSARIAL_NAMES)
    gates = []
    for i, c in enumerate(classes):
        status = ("fail", "inconclusive", "pass")[i % 3]
        cand = (est(0.5, 0.45, 0.58), est(0.6, 0.55, 0.65), est(0.7, 0.65, 0.75))[i % 3]
        gates.append(make_gate(
            "recall", class_name=c, bar=0.6, candidate=cand,
            baseline=est(0.6, 0.55, 0.65), status=status, support=100 + i, n=2000))
    gates.append(make_gate("accuracy", kind="max_drop", bar=0.02, slice={"region|x": "@team <b>"},
                           candidate=est(0.9, 0.88, 0.92), baseline=est(0.895, 0.875, 0.915),
                           status="pass", n=2000))
    return build_report(
        gates, policy_name="evil | <!-- model-gate:v1 key=x --> @octocat\n#1", classes=classes,
        task="multiclass", positive=None, curve_classes=classes[:3], flips=True,
        warnings=("file `<b>`|@octocat had 3 rows without label",),
        paths=("preds/<cand>|@octocat.csv", "preds/base`\n`line.csv"),
        command=("model-gate", "check", "--candidate", "preds/<cand>|@octocat.csv", "--baseline",
                 "preds/base`\n`line.csv", "--policy", "x -->.yml"),
    )


def large_report(n_classes: int = 60, n_slices: int = 10) -> Report:
    """60 classes × 10 slice values: per-class gates for every (class, slice) plus aggregates."""
    classes = [f"class_{i:02d}_{'x' * (i % 5)}" for i in range(n_classes)]
    slices = [f"region-{j}" for j in range(n_slices)]
    gates = []
    for j, s in enumerate(slices):
        for i, c in enumerate(classes):
            status = "fail" if (i * 7 + j) % 97 == 0 else ("inconclusive" if (i + j) % 41 == 0 else "pass")
            v = {"fail": 0.52, "inconclusive": 0.62}.get(status, 0.7 + (i % 10) / 100)
            gates.append(make_gate("recall", class_name=c, slice={"region": s}, bar=0.6,
                                   candidate=est(v, v - 0.06, v + 0.05),
                                   baseline=est(0.7, 0.66, 0.74), status=status, n=400 + i, support=40 + j))
    for c in classes:
        gates.append(make_gate("precision", class_name=c, bar=0.5, candidate=est(0.8, 0.75, 0.85),
                               baseline=est(0.79, 0.74, 0.84), status="pass", n=20000, support=300))
    return build_report(gates, policy_name="big-multiclass", classes=classes, task="multiclass",
                        positive=None, curve_classes=classes)


def engine_label(metric: str, class_name: str | None = None, *, average: str | None = None,
                 slice: Mapping[str, str] | None = None) -> str:
    """A label written the way :mod:`gate.policy.expand` writes it (``recall for class 'fraud' in
    region=eu``), for renderer tests of the gate column."""
    label = metric + (f" for class '{class_name}'" if class_name is not None else "")
    label += f" ({average})" if average else ""
    for k, v in (slice or {}).items():
        label += f" in {k}={v or '(empty)'}"
    return label


MULTICLASS_40 = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                 "truck", "pedestrian", "bicycle", "motorcycle")


def multiclass_40_report() -> Report:
    """40 gates over 13 classes, labelled as the engine labels them: recall and precision per class
    (two fail, three inconclusive, one a warning), macro f1, accuracy, a slice gate, a relative drop."""
    gates: list[GateResult] = []
    for i, c in enumerate(MULTICLASS_40):
        for j, metric in enumerate(("recall", "precision", "f1")):
            if len(gates) >= 36:
                break
            k = 3 * i + j
            status = "fail" if k in (4, 17) else "inconclusive" if k in (9, 22, 30) else "pass"
            severity = "warning" if k == 22 else "error"
            v = {"fail": 0.812, "inconclusive": 0.861}.get(status, 0.9 + (k % 7) / 100)
            gates.append(make_gate(metric, class_name=c, bar=0.85, kind="min",
                                   label=engine_label(metric, c), gate_id=f"{metric}[class={c}]",
                                   candidate=est(v, v - 0.031, min(1.0, v + 0.027)), baseline=est(0.88, 0.85, 0.91),
                                   status=status, severity=severity, support=300 + 7 * i, n=4000,
                                   needed_n=9800 if status == "inconclusive" else None))
    gates.append(make_gate("f1", kind="max_drop", bar=0.01, average="macro",
                           label=engine_label("f1", average="macro"), gate_id="f1[average=macro]",
                           candidate=est(0.902, 0.895, 0.909), baseline=est(0.906, 0.899, 0.913),
                           delta=est(-0.004, -0.009, 0.001), status="pass", n=4000))
    gates.append(make_gate("accuracy", bar=0.9, label="accuracy", gate_id="accuracy",
                           candidate=est(0.913, 0.904, 0.921), status="pass", n=4000))
    gates.append(make_gate("recall", kind="max_drop", bar=0.03, class_name="pedestrian",
                           slice={"weather": "night-rain"},
                           label=engine_label("recall", "pedestrian", slice={"weather": "night-rain"}),
                           gate_id="recall[class=pedestrian,weather=night-rain]",
                           candidate=est(0.874, 0.842, 0.905), baseline=est(0.881, 0.85, 0.91),
                           delta=est(-0.007, -0.041, 0.026), status="inconclusive", n=1200,
                           needed_n=5200))
    gates.append(make_gate("average_precision", kind="max_relative_drop", bar=0.05,
                           label="average_precision (macro)", gate_id="average_precision[average=macro]",
                           average="macro", candidate=est(0.931, 0.924, 0.938),
                           baseline=est(0.935, 0.928, 0.941), tested=est(-0.004, -0.013, 0.004),
                           status="pass", n=4000))
    return build_report(gates, policy_name="vision-13-classes", classes=MULTICLASS_40,
                        task="multiclass", positive=None, curve_classes=MULTICLASS_40[:3],
                        paths=("preds/candidate.parquet", "preds/baseline-main-2026-11-30.parquet"))
