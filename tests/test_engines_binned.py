"""Ranking gates over continuous scores on the engine path, past the cell limit: the scores are cut
into quantile bins in a real DuckDB, the binned gates are within their reported bound of the file
path's exact values and decided on intervals widened by it, the exact gates of the same run equal
the file path's to the last bit, and the report is the same whatever the partitioning or row order
(docs/scale.md, "Binned ranking gates"; Spark: tests/test_engines_spark.py)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

duckdb = pytest.importorskip("duckdb", reason="the engine path needs the duckdb extra (pip install '.[duckdb]')")
pytest.importorskip("sqlglot", reason="the engine path needs sqlglot (the duckdb extra)")
pytest.importorskip("pyarrow", reason="the tests write Parquet with pyarrow")

import gate  # noqa: E402
from gate.errors import UsageError  # noqa: E402
from tests.engine_data import ROOT, report_dict, write_file, write_hive  # noqa: E402
from tests.helpers.binned_data import BINNED, BINNED_POLICY, LIMITS, continuous, file_and_engine  # noqa: E402


@pytest.fixture
def limits(monkeypatch):
    for k, v in LIMITS.items():
        monkeypatch.setenv(k, v)


def _files(tmp_path, tables, name=""):
    return [write_file(t, tmp_path / f"{name}{r}.parquet") for r, t in zip("cb", tables)]


@pytest.mark.parametrize("prediction", [True, False], ids=["prediction column", "predictions from scores"])
def test_binned_gates_are_within_their_bound_and_exact_gates_equal_the_file_path(tmp_path, limits, prediction):
    by_file, by_engine = file_and_engine(tmp_path, BINNED_POLICY, continuous(seed=1, prediction=prediction))
    for exact, binned in zip(by_file["gates"], by_engine["gates"]):
        if binned["metric"] not in BINNED:
            assert binned == exact      # confusion-matrix gates and label coverage: to the last bit
            continue
        bound = binned["error_bound"]
        assert binned["interval_method"] == "percentile+binned" and 0 < bound < 0.15     # 30 bins: coarse
        for key in ("candidate", "baseline"):
            e, b = exact[key]["value"], binned[key]["value"]
            if e is not None:
                assert abs(b - e) <= bound
        assert abs(binned["tested"]["value"] - exact["tested"]["value"]) <= bound
        lo, hi = binned["tested"]["ci"]
        assert lo <= binned["tested"]["value"] <= hi and hi - lo >= 2 * bound    # widened by the bound
        assert any("quantile bins" in note for note in binned["notes"])
        assert "error_bound" not in exact


def test_the_decision_accounts_for_the_bound(tmp_path, limits):
    """A bar between the binned interval and its widening: decided on the bootstrap alone, but
    inconclusive once every value within the bound is allowed."""
    files = _files(tmp_path, continuous(seed=2))
    report = gate.check({**BINNED_POLICY, "gates": [{"metric": "roc_auc", "min": 0.5}]},
                        *(f"parquet:{f}" for f in files))
    g = report.gates[0]
    assert g.error_bound is not None and g.tested.ci is not None
    lo = g.tested.ci[0]
    inside = lo + 0.5 * g.error_bound        # above the widened lower end, below the unwidened one
    decided = gate.check({**BINNED_POLICY, "gates": [{"metric": "roc_auc", "min": round(inside, 6)}]},
                         *(f"parquet:{f}" for f in files)).gates[0]
    assert decided.status == "inconclusive" and decided.reason == "straddles_bar"
    clear = gate.check({**BINNED_POLICY, "gates": [{"metric": "roc_auc", "min": round(lo - 0.001, 6)}]},
                       *(f"parquet:{f}" for f in files)).gates[0]
    assert clear.status == "pass"


def test_partitionings_and_row_orders_give_one_binned_report(tmp_path, limits):
    """The bin edges are values at positions of the sorted scores, so the same rows give the same
    bins and the same report.json whatever the file split, partitioning or row order."""
    cand, base = continuous(seed=3)
    runs = {
        "file": [f"parquet:{f}" for f in _files(tmp_path, (cand, base))],
        "shuffled": [f"parquet:{write_file(t, tmp_path / f's{r}.parquet', seed=9)}" for r, t in zip("cb", (cand, base))],
        "hive": [f"parquet:{write_hive(t, tmp_path / f'h{r}', seed=4)}" for r, t in zip("cb", (cand, base))],
        "hive, one file each": [f"parquet:{write_hive(t, tmp_path / f'k{r}', seed=5, files_per_part=1)}"
                                for r, t in zip("cb", (cand, base))],
    }
    reports = {k: report_dict(gate.check(BINNED_POLICY, *v), drop_paths=True) for k, v in runs.items()}
    first = reports.pop("file")
    assert any("error_bound" in g for g in first["gates"])
    for name, doc in reports.items():
        assert doc == first, name


def test_independent_traffic_is_binned_per_side(tmp_path, limits):
    """Disjoint ids (a canary on other traffic): each side's scores in its own bins; the delta's
    bound adds the two sides' bounds."""
    import pyarrow.compute as pc
    cand, base = continuous(seed=4)
    base = base.set_column(0, "id", pc.binary_join_element_wise("k", base.column("id"), ""))
    files = _files(tmp_path, (cand, base))
    by_file = report_dict(gate.check(BINNED_POLICY, *files))
    by_engine = report_dict(gate.check(BINNED_POLICY, *(f"parquet:{f}" for f in files)))
    assert by_engine["data"]["pairing"] == "independent"
    auc = by_engine["gates"][0]
    assert abs(auc["tested"]["value"] - by_file["gates"][0]["tested"]["value"]) <= auc["error_bound"]


def test_no_binning_under_the_limit(tmp_path):
    """Under the cell limit nothing is binned: the same continuous scores give the file path's
    exact report (no error_bound anywhere)."""
    files = _files(tmp_path, continuous(n=1500, seed=5))
    policy = {**BINNED_POLICY, "gates": BINNED_POLICY["gates"][:3]}
    by_engine = report_dict(gate.check(policy, *(f"parquet:{f}" for f in files)))
    assert all("error_bound" not in g and g["interval_method"] == "percentile" for g in by_engine["gates"])


@pytest.mark.parametrize("value", ["1", "zero", "0", "1000000000"])
def test_a_bin_count_that_makes_no_sense_is_one_line_exit_2(tmp_path, value):
    files = _files(tmp_path, continuous(n=3000, seed=6))
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(BINNED_POLICY))
    env = {**os.environ, "MODEL_GATE_MAX_ENGINE_CELLS": "1000", "MODEL_GATE_ENGINE_SCORE_BINS": value}
    run = subprocess.run([sys.executable, "-m", "gate.cli.main", "check", "--policy", str(policy),
                          "--candidate", f"parquet:{files[0]}", "--baseline", f"parquet:{files[1]}",
                          "--out-dir", str(tmp_path / "out")],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "MODEL_GATE_ENGINE_SCORE_BINS" in lines[0] and "Traceback" not in run.stderr
    assert not (tmp_path / "out" / "report.json").exists()


def test_text_scores_are_not_binned(tmp_path, monkeypatch):
    """Scores stored as text would sort as text: binning them is an input error, not a wrong bin."""
    import pyarrow as pa
    cand, base = continuous(n=6000, seed=7)
    cand = cand.set_column(2, "score", pa.array([repr(float(s)) for s in cand.column("score").to_pylist()]))
    files = _files(tmp_path, (cand, base))
    for k, v in LIMITS.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(gate.errors.InputError, match="column 'score' is not numeric, so its scores cannot be binned"):
        gate.check(BINNED_POLICY, *(f"parquet:{f}" for f in files))
    monkeypatch.setenv("MODEL_GATE_ENGINE_SCORE_BINS", "1")
    with pytest.raises(UsageError, match="MODEL_GATE_ENGINE_SCORE_BINS must be between 2 and 100,000"):
        gate.check(BINNED_POLICY, *(f"parquet:{f}" for f in files))


def test_the_bounds_hold_against_scikit_learn():
    """validation/binned_bounds.py on small samples: every binned ranking metric within its bound of
    the exact value (scikit-learn's for ROC-AUC, AP, PR-AUC), including the adversarial orders that
    make ROC-AUC's bound tight (error = bound)."""
    from validation.binned_bounds import study
    results = study(rows=3000, seeds=2, bins=(5, 50))
    assert all(r["error"] <= r["bound"] * (1 + 1e-9) + 1e-12 for r in results)
    tight = [r for r in results if r["kind"].startswith("adversarial") and r["metric"] == "roc_auc"]
    assert tight and all(r["error"] == pytest.approx(r["bound"], rel=1e-6) for r in tight)
    assert all(math.isfinite(r["bound"]) for r in results)


@pytest.mark.parametrize("method, shown", [("basic", "basic+binned"), ("bca", "percentile+binned")])
def test_other_bootstrap_methods(tmp_path, limits, method, shown):
    """basic widens by twice the estimate's bound more (its endpoints reflect about the estimate);
    BCa's levels depend on the data, so a binned gate under BCa takes the percentile interval."""
    files = [f"parquet:{f}" for f in _files(tmp_path, continuous(seed=8))]
    policy = {**BINNED_POLICY, "bootstrap": {**BINNED_POLICY["bootstrap"], "method": method}}
    report = gate.check(policy, *files)
    binned = [g for g in report.gates if g.metric in BINNED]
    assert binned and all(g.interval_method == shown and g.error_bound is not None for g in binned)


def test_a_binned_report_reads_back(tmp_path, limits):
    """report.json with error_bound (schema 1.3) is read back by model-gate publish's reader as
    the same report; an unbounded gate (null) reads back as unbounded."""
    from gate.report.reader import report_from_dict
    files = [f"parquet:{f}" for f in _files(tmp_path, continuous(seed=9))]
    report = gate.check(BINNED_POLICY, *files)
    doc = json.loads(report.to_json())
    assert report_from_dict(doc).to_dict() == report.to_dict()
    doc["gates"][0]["error_bound"] = None
    assert report_from_dict(doc).gates[0].error_bound == math.inf
    doc["gates"][0]["error_bound"] = -1
    with pytest.raises(ValueError, match="error_bound"):
        report_from_dict(doc)
