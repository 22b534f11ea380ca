"""The fast paths equal the slow reference paths on small inputs.

- rank cells (negative-only tie-group runs collapsed) give every ranking metric exactly as the
  uncollapsed tie groups do, on arbitrary resample weights;
- RankStats (shared cumulative counts) equals the formulas for AP / PR-AUC / ROC-AUC;
- the Bootstrap's block sums equal the reference accumulation (``StatPlan.accumulate``) on the very
  resamples it drew, for the multinomial and the index path, with ties, sample weights, strata,
  multi-entry blocks, ECE bins and per-example sums;
- each replicate equals a straightforward per-resample scikit-learn computation on the same counts;
- report.json is byte-identical for 1 and 2 threads, and paired gates share resamples;
- the pyarrow CSV reader and the vectorised alignment return what the csv module and the per-row
  loops return, and raise the same messages.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

from gate.data.align import EvalSet, Side
from gate.metrics import formulas as f
from gate.metrics.compiler import (
    QuantityBuilder,
    RankStats,
    Target,
    collapse_negative_runs,
    descending_groups,
    negatives,
    positives,
)
from gate.report.model import Artifact
from gate.resampling.stats import Bootstrap, StatPlan, compress, jackknife_sums
from tests.helpers.evalsets import ALIGN_POLICY, assert_same_outcome
from tests.helpers.imports import c_kernel, hide_module, hide_pyarrow

RANKING = {
    "average_precision": f.average_precision,
    "pr_auc": f.pr_auc,
    "roc_auc": f.roc_auc,
    "voc11": lambda p, n: f.interpolated_ap(p, n, "voc11"),
    "coco101": lambda p, n: f.interpolated_ap(p, n, "coco101"),
    "p_at_r": lambda p, n: f.precision_at_recall(p, n, 0.7),
    "r_at_p": lambda p, n: f.recall_at_precision(p, n, 0.6),
}


def group_sums(group: np.ndarray, positive: np.ndarray, w: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
    """(pos, neg) per group for every row of w (b, n)."""
    pos = np.stack([np.bincount(group, weights=row * positive, minlength=g) for row in w])
    neg = np.stack([np.bincount(group, weights=row * (1 - positive), minlength=g) for row in w])
    return pos, neg


@pytest.mark.parametrize("seed", range(12))
def test_rank_cells_give_every_ranking_metric_exactly(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.choice([1, 5, 30, 300]))
    scores = np.round(rng.random(n), int(rng.choice([1, 2, 6])))
    positive = (rng.random(n) < rng.choice([0.0, 0.1, 0.5, 1.0])).astype(np.int64)
    group = descending_groups(scores)
    cells = collapse_negative_runs(group, positive)
    w = rng.multinomial(n, np.ones(n) / n, size=25).astype(float)
    w[0] = 1.0                                   # the point estimate
    w[1] = rng.uniform(0, 3, n)                  # sample weights
    full = group_sums(group, positive, w, int(group.max()) + 1)
    collapsed = group_sums(cells, positive, w, int(cells.max()) + 1)
    assert collapsed[0].shape[1] <= 2 * np.count_nonzero(np.bincount(group, weights=positive) > 0) + 1
    for name, metric in RANKING.items():
        v1, u1 = metric(*full)
        v2, u2 = metric(*collapsed)
        assert np.array_equal(u1, u2), name
        np.testing.assert_allclose(v2, v1, rtol=0, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("accel", ["kernel", "numpy"])
def test_rank_stats_equal_the_formulas(monkeypatch, seed, accel):
    if accel == "kernel":
        c_kernel()
    monkeypatch.setenv("MODEL_GATE_ACCEL", accel)
    rng = np.random.default_rng(seed)
    g = int(rng.choice([1, 3, 50, 400]))
    pos = rng.poisson(rng.choice([0.05, 0.5, 2.0]), (30, g))
    neg = rng.poisson(rng.choice([0.0, 0.5, 3.0]), (30, g))
    pos[0] = 0                                   # no positives in a resample
    neg[1] = 0                                   # no negatives
    for sums in (np.concatenate([neg, pos], axis=1), np.concatenate([neg, pos], axis=1) * 0.37):
        stats = RankStats(sums)
        p, n = positives(sums).astype(float), negatives(sums).astype(float)
        for name, metric in (("average_precision", f.average_precision), ("pr_auc", f.pr_auc),
                             ("roc_auc", f.roc_auc)):
            v1, u1 = metric(p, n)
            v2, u2 = stats.metric(name)
            assert np.array_equal(u1, u2), name
            np.testing.assert_allclose(v2, v1, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("seed", range(4))
def test_rank_stats_kernel_gives_the_numpy_floats_bit_for_bit(monkeypatch, seed):
    """Reports must not depend on whether the C kernel was built."""
    c_kernel()
    rng = np.random.default_rng(seed)
    g = [1, 7, 5000, 20_000][seed]                   # 20,000: more than one slice of the numpy path
    counts = np.concatenate([rng.poisson(2.0, (16, g)), rng.poisson(0.3, (16, g))], axis=1)
    for sums in (counts, counts * 0.37, counts[:, ::-1].copy()):
        values = {}
        for accel in ("kernel", "numpy"):
            monkeypatch.setenv("MODEL_GATE_ACCEL", accel)
            stats = RankStats(sums)
            values[accel] = [stats.metric(m)[0] for m in ("average_precision", "pr_auc", "roc_auc")]
        for a, b in zip(values["kernel"], values["numpy"]):
            assert a.tobytes() == b.tobytes()


def _rank_sums_in_one_pass(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """The reference for the numpy ranking sums: whole-row ``np.cumsum``s (strictly left to right),
    the formulation the sliced numpy path replaced."""
    tps, fps = np.cumsum(pos, axis=1), np.cumsum(neg, axis=1)
    alls = tps + fps
    prec = np.ones(alls.shape)
    np.divide(tps, alls, out=prec, where=alls > 0)
    prev = np.concatenate([np.ones((prec.shape[0], 1)), prec[:, :-1]], axis=1)
    pos_f = pos.astype(np.float64)
    return np.stack([np.cumsum(x, axis=1)[:, -1].astype(np.float64)
                     for x in (pos, neg, pos_f * prec, pos_f * (prec + prev), pos * fps, pos * neg)])


@pytest.mark.parametrize("groups", [1, 6, 7, 8, 50, 20_000])
@pytest.mark.parametrize("slice_", [7, 4096])
def test_sliced_rank_sums_give_the_one_pass_floats_bit_for_bit(monkeypatch, groups, slice_):
    """The numpy ranking sums run in cache-sized slices of groups; the carried running sums must give
    exactly the floats of one pass (counts and fractional weights, slices that divide the groups
    evenly or not), since the compiled kernel and the reports depend on that order."""
    import gate.metrics.compiler
    monkeypatch.setattr(gate.metrics.compiler, "RANK_SLICE", slice_)
    rng = np.random.default_rng(groups + slice_)
    counts = np.concatenate([rng.poisson(2.0, (12, groups)), rng.poisson(0.4, (12, groups))], axis=1)
    counts[0] = 0                                   # a resample that drew nothing
    for sums in (counts, counts * 0.37, rng.uniform(0, 3, counts.shape)):
        neg, pos = negatives(sums), positives(sums)
        got = gate.metrics.compiler._rank_sums(pos, neg)
        assert got.tobytes() == _rank_sums_in_one_pass(pos, neg).tobytes()


# ---------------------------------------------------------------------------------------------
# block sums on the drawn resamples


def evalset(seed: int, n: int = 400, k: int = 3, weights: bool = False, independent: bool = False,
            decimals: int = 2) -> EvalSet:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(0, 1, (n, k)) + 1.5 * np.eye(k)[y]
    s = np.round(np.exp(logits) / np.exp(logits).sum(1, keepdims=True), decimals)
    s = s / s.sum(1, keepdims=True)
    w = rng.uniform(0.2, 2, n) if weights else None

    def side(role: str, scores: np.ndarray, yy: np.ndarray = y) -> Side:
        art = Artifact(role, f"<{role}>", "", "memory", yy.size, yy.size)
        return Side(role, art, np.arange(yy.size), yy, np.argmax(scores, 1), scores, w, {}, yy.size, yy.size)
    cand = side("candidate", s)
    base_scores = np.roll(s, 1, axis=0) if not independent else s[: n // 2]
    base = side("baseline", base_scores, y if not independent else y[: n // 2])
    if weights and independent:
        base = dataclasses.replace(base, weight=w[: n // 2])
    return EvalSet("multiclass", tuple("abc"[:k]), cand, base, "independent" if independent else "paired")


def build(es: EvalSet, countable_only: bool = False) -> tuple[StatPlan, dict]:
    """Blocks of every family; ``countable_only``: confusion and per-class ranking blocks only (one
    entry per example, values that depend on the code: the Poisson path merges identical examples)."""
    offsets = {"candidate": 0, "baseline": es.candidate.y.size if es.pairing == "independent" else 0}
    n_units = es.candidate.y.size + (es.baseline.y.size if es.pairing == "independent" else 0)
    plan = StatPlan(n_units)
    qb = QuantityBuilder(es, plan, offsets)
    targets = [Target("f1", None, "macro", {}), Target("recall", 1, None, {}),
               Target("average_precision", 2, None, {}), Target("pr_auc", 0, None, {}),
               Target("roc_auc", 1, None, {}), Target("average_precision", None, "micro", {}),
               Target("roc_auc", None, "macro", {}), Target("ece", None, None, {}),
               Target("brier", None, None, {}), Target("interpolated_ap", 1, None, {"interpolation": "coco101"})]
    if countable_only:
        targets = [t for t in targets if t.metric not in ("ece", "brier") and t.average != "micro"]
    quantities = {(i, role): qb.quantity(role, t) for i, t in enumerate(targets) for role in ("candidate", "baseline")}
    return plan, quantities


def unit_counts(boot: Bootstrap, child: np.random.SeedSequence, b: int) -> np.ndarray:
    """The per-unit counts of the resamples a chunk drew (index path), redrawn from the same stream."""
    rng = np.random.Generator(np.random.PCG64(child))
    return np.stack([np.bincount(boot._order[boot.positions(rng)], minlength=boot.n) for _ in range(b)])


@pytest.mark.parametrize("weights,independent,stratify", [(False, False, False), (True, False, False),
                                                          (False, True, False), (False, False, True),
                                                          (True, True, True)])
def test_index_path_sums_equal_the_reference_accumulation(weights, independent, stratify):
    es = evalset(3, weights=weights, independent=independent)
    plan, _ = build(es)
    strata = np.zeros(plan.n_units, dtype=np.int64)
    if stratify:
        strata[: es.candidate.y.size] = es.candidate.y
    boot = Bootstrap(plan, strata, 7, 5, path="index")
    assert boot.path == "index"
    child = np.random.SeedSequence(123)
    start, sums = boot.chunk_sums(0, child)
    w = unit_counts(boot, child, sums[0].shape[0])
    if stratify:   # a stratified resample keeps every stratum's size
        for s in np.unique(strata):
            assert np.all(w[:, strata == s].sum(1) == np.count_nonzero(strata == s))
    ref = plan.accumulate(w.astype(float))
    for got, want in zip(sums, ref):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


@pytest.mark.parametrize("weights", [False, True])
def test_multinomial_path_sums_equal_the_reference_accumulation(weights):
    es = evalset(4, n=3000, weights=weights)
    plan = StatPlan(es.candidate.y.size)
    qb = QuantityBuilder(es, plan, {"candidate": 0, "baseline": 0})
    for role in ("candidate", "baseline"):
        qb.quantity(role, Target("f1", None, "macro", {}))
    strata = np.zeros(plan.n_units, dtype=np.int64)
    boot = Bootstrap(plan, strata, 9, 5)
    assert boot.path == "multinomial" or weights      # few cells unless weights make them distinct
    boot = Bootstrap(plan, strata, 9, 5, path="multinomial")
    cells = boot.cells
    np.testing.assert_allclose(cells.plan.accumulate(cells.multiplicity[None, :].astype(float))[0],
                               plan.accumulate(np.ones((1, plan.n_units)))[0], atol=1e-9)
    child = np.random.SeedSequence(7)
    _, sums = boot.chunk_sums(0, child)
    rng = np.random.Generator(np.random.PCG64(child))
    members, probs, n_s = boot._groups[0]
    w = np.zeros((sums[0].shape[0], cells.multiplicity.size))
    w[:, members] = rng.multinomial(n_s, probs, size=w.shape[0])
    for got, want in zip(sums, cells.plan.accumulate(w)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


def test_jackknife_sums_equal_the_dense_rows():
    es = evalset(5, n=300)
    plan, _ = build(es)
    cells = compress(plan, np.zeros(plan.n_units, dtype=np.int64))
    sums, weights = jackknife_sums(cells, 3, max_rows=50)          # delete-d: sparse removal
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([3, 0x6A6B])))
    positions = np.repeat(np.arange(cells.multiplicity.size), cells.multiplicity)
    groups = rng.permutation(positions.size) % 50
    removed = np.zeros((50, cells.multiplicity.size))
    np.add.at(removed, (groups, positions), 1.0)
    for got, want in zip(sums, cells.plan.accumulate(cells.multiplicity[None, :] - removed)):
        np.testing.assert_allclose(got, want, atol=1e-9)


def test_replicates_equal_scikit_learn_on_the_same_resamples():
    """Per resample: scikit-learn with sample_weight = the resample's counts (the index resample)."""
    es = evalset(6, n=500, k=2)
    binary = {}
    for role, side in (("candidate", es.candidate), ("baseline", es.baseline)):
        scores = side.scores[:, 1].copy()
        binary[role] = dataclasses.replace(side, scores=scores, pred=(scores >= 0.5).astype(np.int64))
    es = dataclasses.replace(es, task="binary", **binary)
    plan = StatPlan(es.candidate.y.size)
    qb = QuantityBuilder(es, plan, {"candidate": 0, "baseline": 0})
    names = ["average_precision", "pr_auc", "roc_auc", "f1", "recall", "balanced_accuracy"]
    qs = {(m, r): qb.quantity(r, Target(m, None if m == "balanced_accuracy" else 1, None, {}))
          for m in names for r in ("candidate", "baseline")}
    boot = Bootstrap(plan, np.zeros(plan.n_units, dtype=np.int64), 12, 9, path="index")
    child = np.random.SeedSequence(77)
    _, sums = boot.chunk_sums(0, child)
    w = unit_counts(boot, child, sums[0].shape[0])
    y = es.candidate.y
    for (m, role), q in qs.items():
        side = es.candidate if role == "candidate" else es.baseline
        got, _ = q(sums)
        for r in range(w.shape[0]):
            sw = w[r].astype(float)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if m == "average_precision":
                    want = skm.average_precision_score(y, side.scores, sample_weight=sw)
                elif m == "pr_auc":
                    keep = sw > 0
                    prec, rec, _ = skm.precision_recall_curve(y[keep], side.scores[keep], sample_weight=sw[keep])
                    want = skm.auc(rec, prec)
                elif m == "roc_auc":
                    want = skm.roc_auc_score(y, side.scores, sample_weight=sw)
                elif m == "f1":
                    want = skm.f1_score(y, side.pred, sample_weight=sw)
                elif m == "recall":
                    want = skm.recall_score(y, side.pred, sample_weight=sw)
                else:
                    want = skm.balanced_accuracy_score(y, side.pred, sample_weight=sw)
            assert got[r] == pytest.approx(want, abs=1e-12), (m, role, r)


# ---------------------------------------------------------------------------------------------
# engine-level: determinism, pairing


def _policy(resamples: int = 300, method: str = "percentile", brier: bool = True):
    from gate.policy.load import build_policy
    doc = {"version": 1, "name": "fast", "task": "binary", "positive_class": "1", "classes": ["0", "1"],
           "bootstrap": {"resamples": resamples, "seed": 4, "method": method},
           "gates": [{"metric": "average_precision", "max_drop": 0.02}, {"metric": "roc_auc", "min": 0.6},
                     {"metric": "f1", "max_drop": 0.02}, {"metric": "recall", "min": 0.5}]
           + ([{"metric": "brier", "max_drop": 0.01}] if brier else [])}
    return build_policy(doc, source="<test>")


def _binary(n: int = 3000, same: bool = False) -> EvalSet:
    rng = np.random.default_rng(8)
    y = (rng.random(n) < 0.2).astype(np.int64)
    c = np.round(1 / (1 + np.exp(-(1.5 * y - 1 + rng.normal(0, 1, n)))), 3)
    b = c.copy() if same else np.round(1 / (1 + np.exp(-(1.2 * y - 1 + rng.normal(0, 1, n)))), 3)

    def side(role, s):
        art = Artifact(role, f"<{role}>", "", "memory", n, n)
        return Side(role, art, np.arange(n), y, (s >= 0.5).astype(np.int64), s, None, {}, n, n)
    return EvalSet("binary", ("0", "1"), side("candidate", c), side("baseline", b), "paired")


@pytest.mark.parametrize("method,poisson", [("percentile", False), ("bca", False), ("percentile", True)])
def test_report_is_byte_identical_for_any_thread_count(monkeypatch, method, poisson):
    import gate.resampling.stats
    from gate.engine import evaluate
    from gate.render import json_report
    if poisson:
        monkeypatch.setattr(gate.resampling.stats, "POISSON_MIN_UNITS", 0)
    out = []
    for threads in ("1", "2", "3"):
        monkeypatch.setenv("MODEL_GATE_THREADS", threads)
        out.append(json_report.render(evaluate(_policy(method=method), _binary())))
    assert out[0] == out[1] == out[2]
    assert ("Poisson" in gate.resampling.stats.Bootstrap(*_one_plan(), 10, 1, allow_poisson=True).describe()) == poisson


@pytest.mark.parametrize("brier", [True, False])     # per-example weights / pieces of identical examples
def test_report_is_byte_identical_with_or_without_the_compiled_kernel(monkeypatch, brier):
    """Poisson path (forced at this size): the kernel and the numpy path draw the same weights and
    sum the ranking metrics in the same order, so report.json is the same bytes."""
    c_kernel()
    import gate.resampling.stats
    from gate.engine import evaluate
    from gate.render import json_report
    monkeypatch.setattr(gate.resampling.stats, "POISSON_MIN_UNITS", 0)
    out = {}
    for accel in ("kernel", "numpy"):
        monkeypatch.setenv("MODEL_GATE_ACCEL", accel)
        out[accel] = json_report.render(evaluate(_policy(brier=brier), _binary()))
    assert "Poisson" in out["numpy"]
    assert out["kernel"] == out["numpy"]


def _one_plan():
    es = _binary()
    plan = StatPlan(es.candidate.y.size)
    QuantityBuilder(es, plan, {"candidate": 0, "baseline": 0}).quantity("candidate", Target("roc_auc", 1, None, {}))
    return plan, np.zeros(plan.n_units, dtype=np.int64)


def test_paired_gates_share_resamples():
    """Identical models: every delta replicate is exactly 0 (candidate and baseline drawn together)."""
    from gate.engine import evaluate
    report = evaluate(_policy(), _binary(same=True))
    for g in report.gates:
        if g.quantity == "delta":
            assert g.delta.value == 0 and set(g.distribution) == {0.0}, g.id


# ---------------------------------------------------------------------------------------------
# readers and alignment


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(params=["pyarrow", "core install", "core install, no C compiler"])
def csv_reader(request, monkeypatch) -> str:
    """The fast CSV path that :func:`_both` compares: pyarrow's (the scanner hidden), or the core install's (pyarrow hidden:
    the compiled scanner's FieldCells, or without it ``str.split`` into TextCells, and their vectorised
    alignment)."""
    import gate.data.readers as readers
    if request.param == "pyarrow":       # (the compiled scanner, when built, reads before pyarrow)
        pytest.importorskip("pyarrow")
        hide_module(monkeypatch, "gate.data._csvscan")
        monkeypatch.setattr(readers, "_SCANNER", {})
    else:
        hide_pyarrow(monkeypatch)
        monkeypatch.setattr(readers, "_SCANNER", {})
    if request.param == "core install":
        pytest.importorskip("gate.data._csvscan", reason="the CSV scanner was not built (no C compiler at install time)")
    elif request.param == "core install, no C compiler":
        hide_module(monkeypatch, "gate.data._csvscan")
    return request.param


def _both(monkeypatch, fn):
    """fn() with the fast paths (pyarrow's or the core install's CSV reader at any size, see
    ``csv_reader``) and with the csv module / row loops."""
    import gate.data.readers as readers
    monkeypatch.setattr(readers, "FAST_CSV_MIN_BYTES", 0)
    fast = fn()
    monkeypatch.setattr(readers, "FAST_CSV_MIN_BYTES", 1 << 62)
    slow = fn()
    return fast, slow


def _csv_rows(n=40, seed=0, label=lambda i, y: str(y), score=lambda i, s: f"{s:.4f}", idf=lambda i: f"x{i}"):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(int)
    s = np.clip(0.4 * y + rng.random(n) * 0.6, 0, 1)
    return "id,label,score,seg\n" + "".join(f"{idf(i)},{label(i, y[i])},{score(i, s[i])},{'ab'[i % 2]}\n"
                                           for i in range(n))


@pytest.mark.parametrize("text", [
    _csv_rows(),
    _csv_rows(label=lambda i, y: "" if i % 7 == 0 else f" {y} "),          # unlabeled rows, padded labels
    _csv_rows(label=lambda i, y: f"{y}.0"),                                # integral floats
    "id,label,score\r\n" + "".join(f"r{i},{i % 2},0.{i}\r\n" for i in range(30)),
    _csv_rows().replace("\n", "\n\n", 3),                                  # blank lines: slow path
    _csv_rows().replace("x3,", '"x3",'),                                   # quotes: slow path
])
def test_fast_csv_reader_returns_what_the_csv_module_returns(tmp_path, monkeypatch, csv_reader, text):
    from gate.data.readers import read_table
    path = _write(tmp_path / "p.csv", text)
    fast, slow = _both(monkeypatch, lambda: read_table(path))
    assert fast.n_rows == slow.n_rows and list(fast.columns) == list(slow.columns)
    for name in slow.columns:
        assert list(fast.columns[name]) == list(slow.columns[name]), name
    assert [fast.where(i) for i in range(fast.n_rows)] == [slow.where(i) for i in range(slow.n_rows)]


POLICY = ALIGN_POLICY


def _evalset_from(tmp_path, cand_text, base_text, monkeypatch):
    from gate.data.align import build_evalset
    from gate.data.readers import read_table
    from gate.policy.load import load_policy
    pol = _write(tmp_path / "p.yml", POLICY)
    c, b = _write(tmp_path / "c.csv", cand_text), _write(tmp_path / "b.csv", base_text)
    import gate.data.align as align
    monkeypatch.setattr(align, "FAST_JOIN_MIN_ROWS", 0)

    def run():
        try:
            es = build_evalset(load_policy(str(pol)), read_table(c), read_table(b))
        except Exception as exc:   # noqa: BLE001 - the message is what we compare
            return type(exc).__name__, str(exc)
        return es
    return _both(monkeypatch, run)


@pytest.mark.parametrize("case", ["ok", "unlabeled", "floats", "bad_label", "bad_score", "nan_score",
                                  "dup_id", "empty_id", "padded_id", "missing_id", "label_clash", "shuffled",
                                  "shuffled_unlabeled", "float_text_id", "tab_id"])
def test_vectorised_alignment_matches_the_row_loops(tmp_path, monkeypatch, csv_reader, case):
    cand = _csv_rows(label=(lambda i, y: "" if i % 5 == 0 else str(y)) if case == "unlabeled" else
                     (lambda i, y: f"{y}.0") if case == "floats" else
                     (lambda i, y: "7" if i == 9 else str(y)) if case == "bad_label" else (lambda i, y: str(y)),
                     score=(lambda i, s: "n/a" if i == 4 else f"{s:.4f}") if case == "bad_score" else
                     (lambda i, s: "nan" if i == 6 else f"{s:.4f}") if case == "nan_score" else (lambda i, s: f"{s:.4f}"),
                     idf=(lambda i: "x1" if i == 3 else f"x{i}") if case == "dup_id" else
                     (lambda i: "" if i == 2 else f"x{i}") if case == "empty_id" else
                     (lambda i: f" x{i}" if i == 2 else f"x{i}") if case == "padded_id" else
                     (lambda i: "7.00" if i == 7 else f"x{i}") if case == "float_text_id" else
                     (lambda i: "x3\t" if i == 3 else f"x{i}") if case == "tab_id" else (lambda i: f"x{i}"))
    base = _csv_rows(seed=1, label=(lambda i, y: "" if i % 5 == 0 else str(y)) if case == "unlabeled" else
                     (lambda i, y: str(1 - y) if i == 11 else str(y)) if case == "label_clash" else (lambda i, y: str(y)),
                     idf=(lambda i: f"z{i}" if i == 8 else f"x{i}") if case == "missing_id" else (lambda i: f"x{i}"))
    if case == "label_clash":   # same labels as the candidate except row 11
        base = "\n".join(",".join([c.split(",")[0], c.split(",")[1] if i != 12 else str(1 - int(c.split(",")[1]))]
                                  + b.split(",")[2:]) if i else c
                         for i, (c, b) in enumerate(zip(cand.splitlines(), base.splitlines()))) + "\n"
    if case.startswith("shuffled"):   # the candidate's rows in the reverse order: paired
        cand = _csv_rows(label=(lambda i, y: "" if i % 5 == 0 else str(y)) if case == "shuffled_unlabeled"
                         else (lambda i, y: str(y)))
        header, *rows = cand.splitlines()
        base = "\n".join([header] + rows[::-1]) + "\n"
    fast, slow = _evalset_from(tmp_path, cand, base, monkeypatch)
    assert_same_outcome(fast, slow)
    if case.startswith("shuffled"):
        assert not isinstance(fast, tuple) and fast.pairing == "paired"


# ---------------------------------------------------------------------------------------------
# Poisson(1) weights (large single-stratum plans)


@pytest.mark.parametrize("accel", ["kernel", "numpy"])
def test_poisson_path_sums_equal_the_reference_accumulation(monkeypatch, accel):
    """The Poisson path's block sums (fused kernel or numpy bincounts) equal the reference
    accumulation of the same counter-based weights, resample by resample."""
    import gate.resampling.stats
    from gate.resampling import poisson
    if accel == "kernel":
        c_kernel()
    monkeypatch.setenv("MODEL_GATE_ACCEL", accel)
    monkeypatch.setattr(gate.resampling.stats, "MAX_CHUNK", 4)
    for weights, countable_only in ((True, False), (False, False), (False, True)):
        es = evalset(3, n=3000, weights=weights, decimals=1)
        plan, _ = build(es, countable_only)
        boot = Bootstrap(plan, np.zeros(plan.n_units, dtype=np.int64), 10, 5, path="poisson")
        assert boot.poisson and boot.chunk == 4 and ("compiled" in boot.describe()) == (accel == "kernel")
        start, sums = boot.chunk_sums(1, np.random.SeedSequence(9))
        pieces = boot.pieces()
        assert pieces.per_example == (not countable_only)
        assert (pieces.sizes.max() > 1) == countable_only       # identical examples drawn together
        real = pieces.first >= 0
        w = np.zeros((sums[0].shape[0], boot.n))
        for r in range(w.shape[0]):     # a piece's weight on one of its (identical) examples
            np.add.at(w[r], boot._order[pieces.first[real]], poisson.weights(boot.key, start + r, pieces.sizes)[real])
        for got, want in zip(sums, plan.accumulate(w)):
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


def test_poisson_intervals_match_the_multinomial_ones():
    """Same data, B = 3000 each: the 2.5%/97.5% endpoints and SDs of ΔAP, ΔROC-AUC, ΔF1 agree within
    Monte-Carlo error (endpoint SD ≈ 2.67σ/√B per bootstrap; 4 SDs of the difference allowed)."""
    es = _binary(n=20000)
    plan = StatPlan(es.candidate.y.size)
    qb = QuantityBuilder(es, plan, {"candidate": 0, "baseline": 0})
    qs = {(m, r): qb.quantity(r, Target(m, 1, None, {})) for m in ("average_precision", "roc_auc", "f1")
          for r in ("candidate", "baseline")}
    B = 3000
    reps = {}
    for path in ("index", "poisson"):
        out = {key: np.empty(B) for key in qs}
        boot = Bootstrap(plan, np.zeros(plan.n_units, dtype=np.int64), B, 21, path=path)

        def consume(start, acc, out=out):
            for key, q in qs.items():
                out[key][start:start + acc[0].shape[0]] = q(acc)[0]
        boot.run(consume)
        reps[path] = {m: out[(m, "candidate")] - out[(m, "baseline")] for m in ("average_precision", "roc_auc", "f1")}
    assert_intervals_agree(reps["index"], reps["poisson"], B)


@pytest.mark.parametrize("accent", ["é", "Z"])
@pytest.mark.parametrize("hash_join_min", [0, 10 ** 9])
def test_id_join_gives_every_candidate_its_baseline_position(monkeypatch, hash_join_min, accent):
    """Both id joins (pyarrow's hash join from HASH_JOIN_MIN ids, the numpy sort join below it and in
    the core install; the sort join compares all-ASCII ids as bytes, others as text) give a dict
    lookup's positions, -1 for ids the baseline lacks; ids the sort join cannot compare (a NUL) give
    None, and the per-row join runs."""
    import gate.data.align
    if hash_join_min == 0:
        pytest.importorskip("pyarrow")
    monkeypatch.setattr(gate.data.align, "HASH_JOIN_MIN", hash_join_min)
    rng = np.random.default_rng(5)
    base = np.array([f"r{i}" for i in rng.permutation(3000)] + [accent, "a b", "10", "010", "z"], dtype=object)
    cand = np.array([f"r{i}" for i in rng.integers(0, 3500, 2500)] + ["010", accent, "x", "z"], dtype=object)
    where = {v: i for i, v in enumerate(base.tolist())}
    got = gate.data.align._fast_order(cand, base)
    assert got is not None
    np.testing.assert_array_equal(got, [where.get(v, -1) for v in cand.tolist()])
    same = gate.data.align._fast_order(base.copy(), base)      # the same ids in the same order
    np.testing.assert_array_equal(same, np.arange(base.size))
    shifted = gate.data.align._fast_order(np.roll(base, 1), base)
    np.testing.assert_array_equal(shifted, np.roll(np.arange(base.size), 1))
    if hash_join_min:
        nul = np.array(["a\x00", "b"], dtype=object)
        assert gate.data.align._fast_order(nul, np.array(["a", "b"], dtype=object)) is None
        inner = np.array(["a\x00b", "a", accent], dtype=object)         # a NUL inside an id compares as any byte
        np.testing.assert_array_equal(gate.data.align._fast_order(inner, inner[::-1].copy()), [2, 1, 0])
        assert gate.data.align._fast_order(np.array([1, 2], dtype=object), np.array(["1"], dtype=object)) is None


def _canary(n_c: int = 12000, n_b: int = 9000) -> EvalSet:
    """Independent samples (a canary): the candidate and the baseline scored different rows."""
    rng = np.random.default_rng(12)

    def side(role: str, n: int, signal: float) -> Side:
        y = (rng.random(n) < 0.2).astype(np.int64)
        s = np.round(1 / (1 + np.exp(-(signal * y - 1 + rng.normal(0, 1, n)))), 6)   # few ties: no multinomial
        art = Artifact(role, f"<{role}>", "", "memory", n, n)
        return Side(role, art, np.arange(n), y, (s >= 0.5).astype(np.int64), s, None, {}, n, n)
    return EvalSet("binary", ("0", "1"), side("candidate", n_c, 1.5), side("baseline", n_b, 1.2), "independent")


def _canary_draws(path: str | None, stratify: bool, B: int) -> tuple[Bootstrap, dict[str, np.ndarray]]:
    """ΔAP, ΔROC-AUC and ΔF1 replicates of the canary, with the engine's units and strata."""
    from gate.engine import _strata
    from gate.policy.load import build_policy
    es = _canary()
    n_c = es.candidate.y.size
    plan = StatPlan(n_c + es.baseline.y.size)
    qb = QuantityBuilder(es, plan, {"candidate": 0, "baseline": n_c})
    metrics = ("average_precision", "roc_auc", "f1")
    qs = {(m, r): qb.quantity(r, Target(m, 1, None, {})) for m in metrics for r in ("candidate", "baseline")}
    policy = build_policy({"version": 1, "name": "c", "task": "binary", "positive_class": "1", "classes": ["0", "1"],
                           "bootstrap": {"stratify": stratify}, "gates": [{"metric": "recall", "min": 0.1}]},
                          source="<test>")
    boot = Bootstrap(plan, _strata(policy, es, plan.n_units), B, 21, path=path, allow_poisson=True,
                     samples_only=not stratify)
    out = {key: np.empty(B) for key in qs}

    def consume(start, acc):
        for key, q in qs.items():
            out[key][start:start + acc[0].shape[0]] = q(acc)[0]
    boot.run(consume)
    return boot, {m: out[(m, "candidate")] - out[(m, "baseline")] for m in metrics}


def test_a_large_canary_takes_the_poisson_path_stratified_or_not(monkeypatch):
    """Independent samples (two strata that only separate the samples) take Poisson(1) weights above
    the size threshold, as a paired check does; a stratified bootstrap, or one below that threshold,
    takes Poisson weights completed to each stratum's size from a lower one
    (tests/test_completed_poisson.py); below both, index resampling."""
    import gate.resampling.stats
    monkeypatch.setattr(gate.resampling.stats, "POISSON_MIN_UNITS", 1000)
    monkeypatch.setattr(gate.resampling.stats, "COMPLETED_MIN_UNITS", 1000)
    assert _canary_draws(None, False, 100)[0].scheme == "poisson"
    assert _canary_draws(None, True, 100)[0].scheme == "completed_poisson"
    monkeypatch.setattr(gate.resampling.stats, "POISSON_MIN_UNITS", 10 ** 9)
    assert _canary_draws(None, False, 100)[0].scheme == "completed_poisson"
    monkeypatch.setattr(gate.resampling.stats, "COMPLETED_MIN_UNITS", 10 ** 9)
    assert _canary_draws(None, False, 100)[0].scheme == "index"
    assert _canary_draws(None, True, 100)[0].scheme == "index"


def test_canary_poisson_intervals_match_the_index_ones():
    """Same canary, B = 3000 each: index resampling within each sample vs independent Poisson(1)
    weights; the 2.5%/97.5% endpoints and SDs of ΔAP, ΔROC-AUC, ΔF1 agree within Monte-Carlo error
    (endpoint SD ≈ 2.67σ/√B per bootstrap; 4 SDs of the difference allowed)."""
    B = 3000
    boot_i, index = _canary_draws("index", False, B)
    boot_p, pois = _canary_draws("poisson", False, B)
    assert boot_p.poisson and not boot_i.poisson
    assert_intervals_agree(index, pois, B)


def assert_intervals_agree(index: dict[str, np.ndarray], other: dict[str, np.ndarray], B: int) -> None:
    """Each metric's 2.5%/97.5% endpoints within 4 SDs of their difference (endpoint SD ≈ 2.67σ/√B per
    bootstrap) and its SD within 10% of index resampling's."""
    for m in index:
        a, b = index[m], other[m]
        sd = a.std()
        tol = 4 * np.sqrt(2) * 2.67 * sd / np.sqrt(B)
        for q in (0.025, 0.975):
            assert abs(np.quantile(a, q) - np.quantile(b, q)) < tol, (m, q)
        assert abs(b.std() / sd - 1) < 0.1, m


def test_canary_report_on_poisson_weights_is_the_same_with_and_without_the_kernel(monkeypatch):
    """A canary's report on the Poisson path is byte-identical whether the C kernel or numpy computed it,
    for any thread count, and it says which resampling it used."""
    c_kernel()
    import gate.resampling.stats
    from gate.engine import evaluate
    from gate.render import json_report
    monkeypatch.setattr(gate.resampling.stats, "POISSON_MIN_UNITS", 0)
    out = []
    for accel, threads in (("kernel", "2"), ("numpy", "1"), ("numpy", "2")):
        monkeypatch.setenv("MODEL_GATE_ACCEL", accel)
        monkeypatch.setenv("MODEL_GATE_THREADS", threads)
        out.append(json_report.render(evaluate(_policy(brier=False), _canary(4000, 3000))))
    assert out[0] == out[1] == out[2]
    assert "Poisson" in out[0]


@pytest.mark.parametrize("cells", [
    ["7", "10", "0", "-3"], ["007", "10"], ["-0", "1"], ["0x10", "5"], ["0X1f"], ["9223372036854775807", "1"],
    ["-9223372036854775808", "2"], ["0x1000000000000000"] + ["1"] * 3, ["1", "10", "100", "999999999999999999"],
    ["00", "1"], ["-07"], ["0x1000000000000000", "0x1000000000000000", "0x10"],
])
def test_plain_integer_ids_are_recognised_as_the_text_round_trip_does(cells):
    """The length-sum check of inputs._plain_integers agrees with writing the integers back as text,
    on leading zeros, -0, hex (shorter than decimal at 2**60), the int64 extremes."""
    pa = pytest.importorskip("pyarrow", reason="the fast CSV path is pyarrow's (the parquet extra)")
    import pyarrow.compute as pc

    from gate.ranking.inputs import _arrow_ids, _plain_integers, _round_trips
    rng = np.random.default_rng(len(cells))
    for arrow in (pa.array(cells), pa.array(["5"] + cells)[1:], pa.array(list(rng.permutation(cells)) * 50)):
        ints = pc.cast(arrow, pa.int64())
        assert _plain_integers(arrow, ints) == _round_trips(arrow, ints)
        expected = all(str(int(c, 0) if c.lower().startswith(("0x", "-0x")) else int(c)) == c for c in arrow.to_pylist())
        assert (_arrow_ids(arrow).dtype.kind == "i") == expected
