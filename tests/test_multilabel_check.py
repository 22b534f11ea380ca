"""``task: multilabel`` through the whole check (gate.check → Report): every gate's reported value equals
scikit-learn on random and edge-case sets (a label nobody has, every label on, heavy score ties, one
label, sample weights), for the candidate, the baseline and their delta; the intervals agree with a
plain numpy example-resampling bootstrap of scikit-learn; a regression in one label is caught by
``class: "*"``; long and wide tables give the same report; pairing and seeds behave as the other tasks."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

import gate
from gate.multilabel import check as ml_check
from gate.render.json_report import render as render_json
from gate.render.notes import text as note_text
from gate.render.text import resampling_text

LABEL_FNS = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score,
             "fbeta": skm.fbeta_score, "jaccard": skm.jaccard_score}
AVERAGES = ("micro", "macro", "weighted", "samples")


def make_set(seed: int) -> dict:
    """Truth, two models' scores and predictions (score >= 0.5), and maybe sample weights."""
    rng = np.random.default_rng(seed)
    n = int(rng.choice([8, 40, 150]))
    n_labels = int(rng.choice([1, 2, 3, 6]))
    y = (rng.random((n, n_labels)) < rng.uniform(0.1, 0.6, n_labels)).astype(int)
    if seed % 5 == 1:
        y[:, 0] = 0                                  # a label nobody has
    if seed % 5 == 2:
        y[: n // 3] = 1                              # examples with every label on
    models = []
    for shift in (0.45, 0.3):
        s = np.clip(shift * y + rng.normal(0.3, 0.2, y.shape), 0, 1)
        models.append(np.round(s, 1) if seed % 3 == 0 else s)     # heavy ties in a third of the sets
    weight = rng.uniform(0.2, 3.0, n) if seed % 4 == 3 else None
    return {"y": y, "scores": models, "weight": weight, "labels": [f"L{j}" for j in range(n_labels)]}


def plain_set(seed: int, n: int = 200, n_labels: int = 3) -> dict:
    """A set without edge cases (every label common, no ties, no weights)."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, n_labels)) < 0.4).astype(int)
    scores = [np.clip(shift * y + rng.normal(0.3, 0.2, y.shape), 0, 1) for shift in (0.45, 0.35)]
    return {"y": y, "scores": scores, "weight": None, "labels": [f"L{j}" for j in range(n_labels)]}


def wide_table(d: dict, scores: np.ndarray) -> dict:
    cols: dict = {"id": [f"x{i}" for i in range(len(d["y"]))]}
    for j, lab in enumerate(d["labels"]):
        cols[f"label_{lab}"] = d["y"][:, j].tolist()
        cols[f"score_{lab}"] = scores[:, j].tolist()
    if d["weight"] is not None:
        cols["weight"] = d["weight"].tolist()
    return cols


def every_gate() -> list[dict]:
    gates = []
    for name in LABEL_FNS:
        extra = {"beta": 2.0} if name == "fbeta" else {}
        gates += [{"metric": name, "average": a, "max_drop": 1.0, **extra} for a in AVERAGES]
        gates.append({"metric": name, "class": "*", "max_drop": 1.0, **extra})
    gates += [{"metric": m, "max_drop": 5.0} for m in
              ("hamming_loss", "subset_accuracy", "label_ranking_average_precision", "coverage_error")]
    return gates


def policy(gates: list[dict], **bootstrap) -> dict:
    return {"version": 1, "name": "ml", "task": "multilabel", "data": {"threshold": 0.5},
            "bootstrap": {"resamples": 200, "seed": 5, **bootstrap}, "gates": gates}


def sklearn_value(g, y, scores, weight) -> tuple[float, bool]:
    """(scikit-learn's value, whether it depends on zero_division: a denominator is zero somewhere)."""
    pred = (scores >= 0.5).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if g.metric in LABEL_FNS:
            if y.shape[1] == 1:     # scikit-learn reads one column as binary: two copies are multilabel, same values
                y, pred = np.hstack([y, y]), np.hstack([pred, pred])
            fn, kw = LABEL_FNS[g.metric], ({"beta": 2.0} if g.metric == "fbeta" else {})
            if g.class_name is not None:
                j = int(g.class_name[1:])
                one = lambda z: fn(y, pred, average=None, sample_weight=weight, zero_division=z, **kw)[j]  # noqa: E731
            else:
                one = lambda z: fn(y, pred, average=g.average, sample_weight=weight, zero_division=z, **kw)  # noqa: E731
            no_support = g.average == "weighted" and not y.any()    # no label to weight: undefined here, 0 there
            return float(one(0)), bool(one(0) != one(1) or no_support)
        if y.shape[1] == 1:         # ... and a never-relevant label scored below all changes no ranking value
            y, scores = np.hstack([y, 0 * y]), np.hstack([scores, np.full_like(scores, -1.0)])
        fns = {"hamming_loss": lambda: skm.hamming_loss(y[:, :pred.shape[1]], pred, sample_weight=weight),
               "subset_accuracy": lambda: skm.accuracy_score(y[:, :pred.shape[1]], pred, sample_weight=weight),
               "label_ranking_average_precision":
                   lambda: skm.label_ranking_average_precision_score(y, scores, sample_weight=weight),
               "coverage_error": lambda: skm.coverage_error(y, scores, sample_weight=weight)}
        return float(fns[g.metric]()), False


def assert_matches(estimate_value, expected: tuple[float, bool], what) -> None:
    value, undefined = expected
    if estimate_value is None:
        assert undefined, f"{what}: reported undefined, scikit-learn gives {value}"
    else:
        assert estimate_value == pytest.approx(value, abs=1e-8), what


@pytest.mark.parametrize("seed", range(30))
def test_every_reported_value_equals_sklearn(seed):
    d = make_set(seed)
    cand, base = d["scores"]
    report = gate.check(policy(every_gate()), wide_table(d, cand), wide_table(d, base))
    assert report.data.task == "multilabel" and report.data.pairing == "paired"
    assert len(report.gates) == 5 * (len(AVERAGES) + len(d["labels"])) + 4
    for g in report.gates:
        c_ref = sklearn_value(g, d["y"], cand, d["weight"])
        b_ref = sklearn_value(g, d["y"], base, d["weight"])
        assert_matches(g.candidate.value, c_ref, (g.id, "candidate"))
        assert g.baseline is not None
        assert_matches(g.baseline.value, b_ref, (g.id, "baseline"))
        if g.candidate.value is not None and g.baseline.value is not None:
            assert g.delta is not None and g.delta.value == pytest.approx(c_ref[0] - b_ref[0], abs=1e-8)
        assert g.direction == ("lower" if g.metric in ("hamming_loss", "coverage_error") else "higher")


def test_undefined_label_is_inconclusive_not_zero():
    """A label nobody has: recall is undefined (scikit-learn reports 0 with a warning); the gate says so."""
    d = make_set(1)                                    # seed % 5 == 1: label L0 has no positive
    report = gate.check(policy([{"metric": "recall", "class": "L0", "min": 0.0}]), wide_table(d, d["scores"][0]))
    g = report.gates[0]
    assert g.candidate.value is None and g.status == "inconclusive" and g.support == 0
    assert g.notes[-1].code == "label_without_positives" and "no positive example" in note_text(g.notes[-1])


def plain_bootstrap(y, scores, metric, B, seed):
    """A numpy index bootstrap of scikit-learn's metric: N of N examples with replacement."""
    rng = np.random.default_rng(seed)
    n = len(y)
    out = np.empty(B)
    for b in range(B):
        i = rng.integers(0, n, n)
        out[b] = metric(y[i], scores[i])
    return out


def per_example_bootstrap(y, scores, metric, B, seed):
    """The same bootstrap for a metric that is the mean of one value per example (label ranking
    average precision): scikit-learn scores each example once (its LRAP loops over examples in
    Python, 2,000 full calls cost a minute), and a resample's value is the mean of its examples'
    values. That identity is checked against scikit-learn's full call on the first resamples."""
    rng = np.random.default_rng(seed)
    n = len(y)
    each = np.array([metric(y[k:k + 1], scores[k:k + 1]) for k in range(n)])
    picks = rng.integers(0, n, (B, n))
    for i in picks[:3]:
        assert each[i].mean() == pytest.approx(metric(y[i], scores[i]), abs=1e-12)
    return each[picks].mean(axis=1)


REFERENCE = {
    "f1 micro": ({"metric": "f1", "average": "micro", "min": 0},
                 lambda y, s: skm.f1_score(y, (s >= 0.5).astype(int), average="micro")),
    "hamming": ({"metric": "hamming_loss", "max": 1}, lambda y, s: skm.hamming_loss(y, (s >= 0.5).astype(int))),
    "lrap": ({"metric": "label_ranking_average_precision", "min": 0}, skm.label_ranking_average_precision_score),
    "coverage": ({"metric": "coverage_error", "max": 99}, skm.coverage_error),
}


@pytest.mark.parametrize("poisson", [False, True], ids=["index", "poisson"])
@pytest.mark.parametrize("name", list(REFERENCE))
def test_intervals_agree_with_a_plain_bootstrap_of_sklearn(name, poisson, monkeypatch):
    """The percentile interval's endpoints equal a plain example-resampling bootstrap's within
    Monte-Carlo error (each endpoint's SE ≈ 2.67·σ/√B; the two runs are independent), on the index
    path and on the Poisson(1) path (its size threshold lowered so a small set takes it)."""
    if poisson:
        monkeypatch.setattr(ml_check, "POISSON_MIN_UNITS", 10)
    rng = np.random.default_rng(42)
    n, n_labels, B = 250, 4, 2000
    y = (rng.random((n, n_labels)) < 0.35).astype(int)
    s = np.clip(0.35 * y + rng.normal(0.3, 0.2, y.shape), 0, 1)
    gate_doc, metric = REFERENCE[name]
    d = {"y": y, "weight": None, "labels": [f"L{j}" for j in range(n_labels)]}
    report = gate.check(policy([gate_doc], resamples=B, seed=9), wide_table(d, s))
    assert report.reproducibility.resampling.schemes == (("poisson",) if poisson else ("index",))
    assert ("Poisson(1) weights" in resampling_text(report.reproducibility)) == poisson
    lo, hi = report.gates[0].candidate.ci
    ref = (per_example_bootstrap if name == "lrap" else plain_bootstrap)(y, s, metric, B, 123)
    ref_lo, ref_hi = np.percentile(ref, [2.5, 97.5])
    tolerance = 4 * np.sqrt(2) * 2.67 * ref.std() / np.sqrt(B)
    assert abs(lo - ref_lo) < tolerance and abs(hi - ref_hi) < tolerance, (lo, hi, ref_lo, ref_hi, tolerance)


def test_a_regression_in_one_label_is_caught_by_class_star():
    rng = np.random.default_rng(3)
    n = 600
    y = (rng.random((n, 3)) < 0.4).astype(int)
    base = np.clip(0.5 * y + rng.normal(0.25, 0.12, y.shape), 0, 1)
    cand = base.copy()
    broken = rng.random(n) < 0.3                      # the candidate misses 30% of label L1's positives
    cand[broken & (y[:, 1] == 1), 1] = 0.1
    d = {"y": y, "weight": None, "labels": ["L0", "L1", "L2"]}
    report = gate.check(policy([{"metric": "recall", "class": "*", "max_drop": 0.05}], resamples=1000),
                        wide_table(d, cand), wide_table(d, base))
    status = {g.class_name: g.status for g in report.gates}
    assert status["L1"] == "fail" and report.verdict == "fail" and report.exit_code == 1
    for g in report.gates:
        if g.class_name != "L1":
            assert g.delta is not None and g.delta.value == 0.0     # untouched labels: no change at all


def test_long_table_gives_the_wide_tables_report():
    d = make_set(7)                  # sample weights (an example's weight repeated on each of its rows)
    assert d["weight"] is not None
    wide = wide_table(d, d["scores"][0])
    rows = [(f"x{i}", lab, int(d["y"][i, j]), float(d["scores"][0][i, j]))
            for i in range(len(d["y"])) for j, lab in reversed(list(enumerate(d["labels"])))]
    rng = np.random.default_rng(0)
    rows = [rows[k] for k in rng.permutation(len(rows))]
    long = {"id": [r[0] for r in rows], "label": [r[1] for r in rows], "y": [r[2] for r in rows],
            "score": [r[3] for r in rows], "weight": [float(d["weight"][int(r[0][1:])]) for r in rows]}
    doc = policy([{**{k: v for k, v in g.items() if k != "max_drop"}, "min": -1.0} for g in every_gate()])
    a = gate.check(doc, wide)
    doc_long = {**doc, "data": {"layout": "long", "threshold": 0.5, "labels": d["labels"]}}
    b = gate.check(doc_long, long)
    sorted_ids = sorted(wide["id"]) == wide["id"]
    assert [g.id for g in a.gates] == [g.id for g in b.gates]
    for ga, gb in zip(a.gates, b.gates):
        assert ga.candidate.value == pytest.approx(gb.candidate.value, abs=1e-12) if ga.candidate.value is not None \
            else gb.candidate.value is None
        if sorted_ids:         # same example order: the same resamples, the same intervals
            assert ga.candidate.ci == gb.candidate.ci


def test_deterministic_and_seeded():
    d = plain_set(4)
    args = (policy(every_gate()), wide_table(d, d["scores"][0]), wide_table(d, d["scores"][1]))
    first, again = (render_json(gate.check(*args)) for _ in range(2))
    assert first == again
    other = render_json(gate.check(*args, seed=6))
    assert json.loads(other)["gates"] != json.loads(first)["gates"]


def test_disjoint_ids_are_resampled_independently():
    d = plain_set(11)
    cand, base = wide_table(d, d["scores"][0]), wide_table(d, d["scores"][1])
    base["id"] = [f"other{i}" for i in range(len(base["id"]))]
    report = gate.check(policy([{"metric": "f1", "average": "micro", "max_drop": 0.5}]), cand, base)
    paired = gate.check(policy([{"metric": "f1", "average": "micro", "max_drop": 0.5}]),
                        cand, wide_table(d, d["scores"][1]))
    assert report.data.pairing == "independent" and paired.data.pairing == "paired"
    g, p = report.gates[0], paired.gates[0]
    assert g.delta.value == pytest.approx(p.delta.value)
    width = lambda e: e.ci[1] - e.ci[0]  # noqa: E731
    assert width(g.delta) > width(p.delta)       # pairing removes the shared examples' variance


def test_intersect_keeps_the_shared_examples():
    d = plain_set(12)
    cand, base = wide_table(d, d["scores"][0]), wide_table(d, d["scores"][1])
    base = {k: v[3:] for k, v in base.items()}
    doc = policy([{"metric": "hamming_loss", "max_drop": 0.5}], pairing="intersect")
    report = gate.check(doc, cand, base)
    assert report.data.n_candidate == len(cand["id"]) - 3 and report.data.pairing == "paired"
    assert any("pairing: intersect" in note_text(w) for w in report.warnings)
    y, s = d["y"][3:], d["scores"][0][3:]
    assert report.gates[0].candidate.value == pytest.approx(skm.hamming_loss(y, (s >= 0.5).astype(int)))


def test_slices_gate_each_value_on_its_examples():
    d = plain_set(13)
    cand = wide_table(d, d["scores"][0])
    cand["group"] = ["a" if i % 3 else "b" for i in range(len(cand["id"]))]
    doc = policy([{"metric": "subset_accuracy", "min": 0.0, "slice": "group"}])
    doc["data"]["slices"] = ["group"]
    report = gate.check(doc, cand)
    pred = (d["scores"][0] >= 0.5).astype(int)
    for g in report.gates:
        keep = np.array(cand["group"]) == g.slice["group"]
        assert g.n == keep.sum()
        assert g.candidate.value == pytest.approx(skm.accuracy_score(d["y"][keep], pred[keep]))


def test_cli_writes_every_output(tmp_path, capsys):
    """``model-gate check`` on the bundled example: exit code, every renderer, the JSON report's task."""
    from gate.cli.main import main
    code = main(["check", "--policy", "policies/multilabel.yml", "--candidate", "examples/multilabel/candidate.csv",
                 "--baseline", "examples/multilabel/baseline.csv", "--out-dir", str(tmp_path), "--seed", "3"])
    assert code in (0, 1)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["data"]["task"] == "multilabel" and report["data"]["classes"] == ["even", "prime", "big", "loop"]
    recall = [g for g in report["gates"] if g["metric"] == "recall"]
    assert [g["class"] for g in recall] == ["even", "prime", "big", "loop"]
    for name in ("report.md", "junit.xml", "report.html"):
        assert "recall for label" in (tmp_path / name).read_text()
    assert "hamming_loss" in capsys.readouterr().out


def test_label_names_are_escaped_in_every_renderer():
    """Label names come from column headers (untrusted): markup in one never reaches the outputs raw."""
    from gate.render import html, junit, markdown
    hostile = "<img src=x onerror=alert(1)>"
    cols = {"id": ["a", "b", "c", "d"], f"label_{hostile}": [1, 0, 1, 0], "label_ok": [0, 1, 1, 0],
            f"prediction_{hostile}": [1, 0, 0, 0], "prediction_ok": [0, 1, 1, 1]}
    report = gate.check(policy([{"metric": "recall", "class": "*", "min": 0.1}]) | {"data": {}}, cols)
    assert [g.class_name for g in report.gates] == [hostile, "ok"]
    for text in (markdown.render(report), html.render(report, plots=False), junit.render(report)):
        assert hostile not in text


def test_jsonl_and_parquet_read_like_csv(tmp_path):
    """JSON Lines with true/false labels and Parquet with integer columns give the CSV's values."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq
    d = plain_set(21, n=60)
    table = wide_table(d, d["scores"][0])
    csv_path, jsonl_path, parquet_path = tmp_path / "c.csv", tmp_path / "c.jsonl", tmp_path / "c.parquet"
    names = list(table)
    csv_path.write_text(",".join(names) + "\n" + "".join(
        ",".join(str(table[k][i]) for k in names) + "\n" for i in range(60)))
    jsonl_path.write_text("".join(json.dumps({k: (bool(v[i]) if k.startswith("label_") else v[i])
                                              for k, v in table.items()}) + "\n" for i in range(60)))
    pq.write_table(pa.table(table), parquet_path)
    doc = policy([{"metric": "jaccard", "min": 0.0}, {"metric": "coverage_error", "max": 9.0}])
    values = [[g.candidate.value for g in gate.check(doc, path).gates] for path in (csv_path, jsonl_path, parquet_path)]
    assert values[0] == values[1] == values[2]
    pred = (d["scores"][0] >= 0.5).astype(int)
    assert values[0][0] == pytest.approx(skm.jaccard_score(d["y"], pred, average="samples"))
