"""Calibration gates (ECE, Brier, log-loss) over continuous scores on the engine path, past the cell
limit: each cell carries its scores' exact sums and its smallest and largest score from a real
DuckDB, ECE and Brier then equal the file path's to rounding, log-loss is within its bound, every
replicate's error is within its replicate's bound, and the report does not depend on the
partitioning (docs/scale.md, "Binned calibration gates"; Spark: tests/test_engines_spark.py)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

duckdb = pytest.importorskip("duckdb", reason="the engine path needs the duckdb extra (pip install '.[duckdb]')")
pytest.importorskip("sqlglot", reason="the engine path needs sqlglot (the duckdb extra)")
pa = pytest.importorskip("pyarrow", reason="the tests write Parquet with pyarrow")

import gate  # noqa: E402
from gate.engines import sql  # noqa: E402
from gate.engines.bins import BINNED_METRICS  # noqa: E402
from gate.metrics.catalog import METRICS  # noqa: E402
from gate.metrics.compiler import confidence_bins, ece_bins, ece_edges  # noqa: E402
from tests.engine_data import ROOT, report_dict, write_file, write_hive  # noqa: E402
from tests.helpers.binned_data import CALIBRATION, CALIBRATION_POLICY, LIMITS, continuous, file_and_engine  # noqa: E402


@pytest.fixture
def limits(monkeypatch):
    for k, v in LIMITS.items():
        monkeypatch.setenv(k, v)


def _files(tmp_path, tables):
    return [write_file(t, tmp_path / f"{r}.parquet") for r, t in zip("cb", tables)]


def test_every_metric_on_a_binary_tasks_scores_has_a_binned_bound():
    """So past the cell limit no score gate is computed on binned scores without a bound."""
    reads_scores = {m for m, d in METRICS.items() if d.family in ("ranking", "probability")}
    assert reads_scores == set(BINNED_METRICS)


def test_the_ece_edges_are_the_ece_bins_boundaries():
    edges = ece_edges()
    assert len(edges) == 14
    for k, e in enumerate(edges, start=1):
        assert ece_bins(np.array([e]))[0] == k
        assert ece_bins(np.array([np.nextafter(e, -np.inf)]))[0] == k - 1
        assert abs(e - k / 15) < 1e-15


def _python_sums(values: np.ndarray) -> tuple[int, int, float, float]:
    """The sums score_sums promises, in exact Python integers: Σ⌊s·2^52⌋ and Σ⌊fl(s·s)·2^52⌋ over
    the scores in [0, 1], and min/max over all."""
    unit = [float(v) for v in values if 0.0 <= v <= 1.0]
    return (sum(math.floor(v * 2.0 ** 52) for v in unit), sum(math.floor((v * v) * 2.0 ** 52) for v in unit),
            float(np.min(values)), float(np.max(values)))


@pytest.mark.parametrize("case", ["random", "edges", "tiny and huge"])
def test_duckdbs_score_sums_are_pythons_to_the_last_bit(case):
    rng = np.random.default_rng(5)
    if case == "random":
        values = rng.random(20000)
    elif case == "edges":
        values = np.array([0.0, 1.0, 0.5, np.nextafter(1.0, 0.0), np.nextafter(0.0, 1.0), 1 / 3, *ece_edges()] * 50)
    else:
        values = np.concatenate([rng.random(500) * 1e-300, 1.0 - rng.random(500) * 1e-15, [-0.25, 1.5, 7.0]])
    con = duckdb.connect()
    con.register("v", pa.table({"g": rng.integers(0, 3, values.size), "s": values}))
    query = sql.cells(["g"], 100, view="v", sums=["s"])
    rows = con.execute(sql.render(query, "duckdb")).fetchall()
    for g, total, squares, low, high, count in rows:
        mine = values[np.asarray(con.execute("SELECT g FROM v").fetchnumpy()["g"]) == g]
        assert (int(total), int(squares), low, high) == _python_sums(mine) and count == mine.size


@pytest.mark.parametrize("prediction", [True, False], ids=["prediction column", "predictions from scores"])
def test_binned_calibration_gates_are_within_their_bound(tmp_path, limits, prediction):
    by_file, by_engine = file_and_engine(tmp_path, CALIBRATION_POLICY, continuous(seed=11, prediction=prediction))
    for exact, binned in zip(by_file["gates"], by_engine["gates"]):
        if binned["metric"] not in CALIBRATION + ("roc_auc",):
            assert binned == exact      # confusion-matrix gates: to the last bit
            continue
        bound = binned["error_bound"]
        assert binned["interval_method"] == exact["interval_method"] + "+binned" and 0 < bound < 0.1
        for key in ("candidate", "baseline", "tested"):
            e, b = exact[key]["value"], binned[key]["value"]
            if e is None:
                continue
            assert abs(b - e) <= bound
            if binned["metric"] in ("ece", "brier"):       # exact sums: the file path's value, to rounding
                assert b == pytest.approx(e, abs=1e-12)
        lo, hi = binned["tested"]["ci"]
        e_lo, e_hi = exact["tested"]["ci"]
        assert lo <= e_lo and e_hi <= hi and hi - lo >= 2 * bound
        assert any("quantile bins" in note for note in binned["notes"])
    for exact, binned in zip(by_file["calibration"], by_engine["calibration"]):       # the reliability diagrams
        assert binned["model"] == exact["model"] and binned["weight"] == exact["weight"]
        for key in ("confidence", "accuracy", "ece"):
            assert binned[key] == pytest.approx(exact[key], abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_every_replicate_is_within_its_own_bound(seed):
    """The coupling argument of gate/metrics/binned.py, replicate by replicate: rows weighed by
    Poisson(1) each, their cells by the sum of their rows' weights (a Poisson(m) draw); the exact
    metric of the weighted rows (scikit-learn's Brier and log-loss with sample weights, ECE by its
    definition) is within the bound computed from the cells' weights (validation/binned_bounds.py)."""
    pytest.importorskip("sklearn", reason="the reference values are scikit-learn's")
    from validation.binned_bounds import calibration_cells, calibration_edges, calibration_replicates
    rng = np.random.default_rng(seed)
    n = 4000
    y = (rng.random(n) < [0.1, 0.5, 0.9, 0.3][seed]).astype(np.int64)
    s = np.clip(1 / (1 + np.exp(-(2 * y - 1 + rng.normal(0, 1.5, n)))), 0, 1)
    s[: n // 20] = rng.choice([0.0, 1.0, 1 / 3, ece_edges()[4]], n // 20)      # exact 0/1, ties, an ECE edge
    side, cell = calibration_cells(y, s, calibration_edges(s, 12))
    assert (confidence_bins(side)[cell] == ece_bins(s)).all()      # a cell lies inside one ECE bin
    for metric, (error, _, share) in calibration_replicates(y, s, 12, rng, resamples=200).items():
        assert 0 < error and 0 < share <= 1, metric     # the replicates do differ, never beyond their bound


@pytest.mark.parametrize("pairing", ["auto", "independent"])
def test_independent_traffic_sums_each_side_on_its_own(tmp_path, limits, pairing):
    """Disjoint ids (a canary on other traffic; ``auto``: the joint pass finds no shared id) or
    ``pairing: independent`` (each side grouped on its own): the sums come with each side's cells."""
    import pyarrow.compute as pc
    cand, base = continuous(seed=14)
    if pairing == "auto":
        base = base.set_column(0, "id", pc.binary_join_element_wise("k", base.column("id"), ""))
    policy = {**CALIBRATION_POLICY, "bootstrap": {**CALIBRATION_POLICY["bootstrap"], "pairing": pairing}}
    files = _files(tmp_path, (cand, base))
    by_file = report_dict(gate.check(policy, *files))
    by_engine = report_dict(gate.check(policy, *(f"parquet:{f}" for f in files)))
    assert by_engine["data"]["pairing"] == "independent"
    for exact, binned in zip(by_file["gates"], by_engine["gates"]):
        if binned["metric"] in CALIBRATION:
            assert abs(binned["tested"]["value"] - exact["tested"]["value"]) <= binned["error_bound"]
            if binned["metric"] != "log_loss":
                assert binned["candidate"]["value"] == pytest.approx(exact["candidate"]["value"], abs=1e-12)


def test_partitionings_and_row_orders_give_one_report(tmp_path, limits):
    """The sums are integers, so the engine's order of adding them does not matter."""
    cand, base = continuous(seed=12)
    runs = {
        "file": [f"parquet:{f}" for f in _files(tmp_path, (cand, base))],
        "shuffled": [f"parquet:{write_file(t, tmp_path / f's{r}.parquet', seed=9)}" for r, t in zip("cb", (cand, base))],
        "hive": [f"parquet:{write_hive(t, tmp_path / f'h{r}', seed=4)}" for r, t in zip("cb", (cand, base))],
    }
    reports = {k: report_dict(gate.check(CALIBRATION_POLICY, *v), drop_paths=True) for k, v in runs.items()}
    first = reports.pop("file")
    assert sum("error_bound" in g for g in first["gates"]) == 8      # 7 calibration gates (two slices), one ranking
    for name, doc in reports.items():
        assert doc == first, name


@pytest.mark.parametrize("bad, shown", [(1.5, "1.5"), (math.inf, "inf"), (-0.0001, "-0.0001")])
def test_a_score_outside_0_1_inside_a_bin_is_one_line_exit_2(tmp_path, bad, shown):
    """A bin's lower edge says nothing of the scores above it: the cells' smallest and largest
    scores are checked, with the file path's message naming the cell."""
    cand, base = continuous(seed=13)
    scores = cand.column("score").to_numpy().copy()
    scores[int(np.argsort(scores)[len(scores) // 2])] = bad      # a median row: inside a bin, not its edge
    cand = cand.set_column(cand.schema.get_field_index("score"), "score", pa.array(scores))
    files = _files(tmp_path, (cand, base))
    env = {**LIMITS, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(CALIBRATION_POLICY))
    proc = subprocess.run([sys.executable, "-m", "gate.cli.main", "check", "--policy", str(policy),
                           "--candidate", f"parquet:{files[0]}", "--baseline", f"parquet:{files[1]}"],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert f"score {shown} is outside [0, 1]" in lines[0] and "rows with" in lines[0] and "column 'score'" in lines[0]


@pytest.mark.parametrize("policy", ["ranking", "calibration"])
def test_a_nan_score_in_a_pyarrow_parquet_file_is_the_file_paths_error(tmp_path, limits, policy):
    """pyarrow's Parquet statistics leave NaN out of min/max; DuckDB would then fold isnan(score) to
    false and put the NaN in the top bin. It is the file path's input error instead, naming the cell."""
    from tests.helpers.binned_data import BINNED_POLICY
    chosen = CALIBRATION_POLICY if policy == "calibration" else BINNED_POLICY
    cand, base = continuous(seed=15)
    scores = cand.column("score").to_numpy().copy()
    scores[100] = np.nan
    cand = cand.set_column(cand.schema.get_field_index("score"), "score", pa.array(scores))
    files = _files(tmp_path, (cand, base))
    with pytest.raises(gate.errors.InputError) as by_file:
        gate.check(chosen, *files)
    with pytest.raises(gate.errors.InputError) as by_engine:
        gate.check(chosen, *(f"parquet:{f}" for f in files))
    assert by_engine.value.problem == by_file.value.problem == "score is nan"
    assert by_engine.value.fix == by_file.value.fix and "rows with" in by_engine.value.where


def test_binned_cells_with_calibration_sums_are_drawn_as_poisson_pieces(tmp_path, limits, monkeypatch):
    """On the Poisson path a binned cell of m examples is weighed by Poisson pieces of its examples
    (their sum is Poisson(m)), not written out example by example: the same distribution, so the
    calibration gates' bootstrap spread is the file path's (per-row Poisson weights) to Monte-Carlo
    error, and their widened intervals hold the file path's."""
    import gate.resampling.stats as stats
    monkeypatch.setattr(stats, "POISSON_MIN_UNITS", 1000)
    written_out = []
    real = stats.expand_plan

    def spy(plan, strata):
        written_out.append(plan.n_units)
        return real(plan, strata)
    monkeypatch.setattr(stats, "expand_plan", spy)
    by_file, by_engine = file_and_engine(tmp_path, {**CALIBRATION_POLICY, "bootstrap": {"resamples": 2000, "seed": 7}},
                                         continuous(seed=16))
    assert "poisson" in by_engine["reproducibility"]["resampling_facts"]["schemes"]
    assert not written_out      # no cells written out as examples (the file path has none to write)
    for exact, binned in zip(by_file["gates"], by_engine["gates"]):
        if binned["metric"] not in ("brier", "log_loss") or binned["quantity"] != "candidate":
            continue
        (lo, hi), (e_lo, e_hi) = binned["tested"]["ci"], exact["tested"]["ci"]
        unwidened = hi - lo - 2 * binned["error_bound"]
        assert lo <= e_lo and e_hi <= hi
        assert unwidened == pytest.approx(e_hi - e_lo, rel=0.15)
