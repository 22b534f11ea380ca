"""The engine path through a real DuckDB: the same reports as the file path, whatever the source's
partitioning, file split or row order, and the file path's input errors (docs/scale.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

duckdb = pytest.importorskip("duckdb", reason="the engine path needs the duckdb extra (pip install '.[duckdb]')")
pytest.importorskip("sqlglot", reason="the engine path needs sqlglot (the duckdb extra)")
pytest.importorskip("pyarrow", reason="the tests write Parquet with pyarrow")

import gate  # noqa: E402
from gate.errors import GateError, InputError, UsageError  # noqa: E402
from gate.metrics.catalog import METRICS  # noqa: E402
from gate.render.notes import text as note_text  # noqa: E402
from tests.engine_data import (  # noqa: E402
    CONFUSION_POLICY,
    POLICY,
    ROOT,
    example_parquet,
    paired,
    report_dict,
    write_file,
    write_hive,
)


def _without_artifacts(doc: dict) -> dict:
    doc = json.loads(json.dumps(doc))
    doc["data"].pop("artifacts")
    return doc


@pytest.mark.parametrize("name", ["affairs", "multiclass", "canary"])
def test_bundled_examples_through_duckdb_equal_the_file_path(name, tmp_path):
    """Exact gates (confusion-matrix and ranking metrics, label coverage) are equal to the last bit;
    so is everything else in report.json but the artifacts (the engine names its source and digests
    the cells) and the probability metrics (brier), whose per-row sums the file path adds in file
    order: those agree to 1e-12 and are equal once the file is in canonical order (test below)."""
    policy, cand, base = example_parquet(name, tmp_path)
    by_file = report_dict(gate.check(policy, cand, base))
    by_engine = report_dict(gate.check(policy, f"parquet:{cand}", f"parquet:{base}"))
    probability = [i for i, g in enumerate(by_file["gates"]) if METRICS[g["metric"]].family == "probability"]
    for i in probability:
        assert by_engine["gates"][i]["tested"]["value"] == pytest.approx(by_file["gates"][i]["tested"]["value"],
                                                                         abs=1e-12)
        by_file["gates"][i] = by_engine["gates"][i] = None
    assert _without_artifacts(by_engine) == _without_artifacts(by_file)
    assert [a["rows"] for a in by_engine["data"]["artifacts"]] == [a["rows"] for a in by_file["data"]["artifacts"]]
    assert [a["format"] for a in by_engine["data"]["artifacts"]] == ["parquet-dataset"] * 2
    assert name == "canary" or not probability      # the canary's brier gate is the only one


def test_partitionings_file_splits_and_row_orders_give_one_report(tmp_path):
    """One Parquet file, two hive-partitioned datasets (other shuffles, other file counts, read as a
    directory and as a glob), a DuckDB table, a query and a relation: byte-identical report.json
    but for the artifacts' paths, which name each source."""
    cand, base = paired()
    single = [write_file(t, tmp_path / f"{r}.parquet") for r, t in (("c", cand), ("b", base))]
    hive1 = [write_hive(t, tmp_path / f"h1{r}", seed=1) for r, t in (("c", cand), ("b", base))]
    hive2 = [write_hive(t, tmp_path / f"h2{r}", seed=2, files_per_part=1) for r, t in (("c", cand), ("b", base))]
    db = tmp_path / "evals.db"
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE cand AS SELECT * FROM read_parquet('{hive1[0]}/**/*.parquet') ORDER BY random()")
    con.execute(f"CREATE TABLE base AS SELECT * FROM '{single[1]}'")
    con.close()
    runs = {
        "file": (f"parquet:{single[0]}", f"parquet:{single[1]}", {}),
        "hive dir": (f"parquet:{hive1[0]}", f"parquet:{hive1[1]}", {}),
        "hive glob": (f"parquet:{hive2[0]}/*/*.parquet", f"parquet:{hive2[1]}/**/*.parquet", {}),
        "tables": (f"duckdb:{db}?table=cand", f"duckdb:{db}?table=base", {}),
    }
    reports = {k: report_dict(gate.check(POLICY, c, b, **kw), drop_paths=True) for k, (c, b, kw) in runs.items()}
    rel_con = duckdb.connect()
    reports["relations"] = report_dict(gate.check(
        POLICY, rel_con.sql(f"SELECT * FROM '{hive2[0]}/*/*.parquet'"),
        rel_con.sql(f"SELECT * FROM '{single[1]}' ORDER BY id DESC")), drop_paths=True)
    first = reports["file"]
    for name, doc in reports.items():
        for a, b in zip(doc["data"]["artifacts"], first["data"]["artifacts"]):
            a["format"] = b["format"]           # parquet-dataset / duckdb-table / duckdb-relation
        assert doc == first, name
    assert first["data"]["pairing"] == "paired" and first["data"]["artifacts"][0]["rows"] == 3000
    assert len(first["gates"]) == 7 and {g["status"] for g in first["gates"]} <= {"pass", "fail", "inconclusive"}


def _canonical(table, policy_classes: list[str]):
    """The file's rows in the engine path's canonical order: by the encoded values (class index,
    prediction, score, weight, slice) of the candidate, then of the baseline."""
    import pyarrow.compute as pc
    labeled = table.filter(pc.invert(pc.is_null(table.column("label"))))
    code = {c: i for i, c in enumerate(policy_classes)}
    keys = [[code[v] for v in labeled.column(c).to_pylist()] for c in ("label", "prediction")]
    keys += [labeled.column("score").to_numpy(), labeled.column("weight").to_numpy(), labeled.column("region").to_pylist()]
    return np.lexsort([np.unique(np.asarray(k), return_inverse=True)[1].ravel() for k in keys][::-1]), labeled


def test_probability_and_weighted_gates_equal_the_file_path_in_canonical_order(tmp_path):
    """With sample weights and probability gates (ECE's bias-bounded interval included), the file path's bootstrap follows the file's row
    order; written in the canonical order, the file gives exactly the engine's report (and the
    engine's is the same whatever order its source is in). Predictions only from the candidate
    here, the baseline scoring the same rows identically."""
    cand, _ = paired(n=2000, seed=4, unlabeled=0.0)
    order, labeled = _canonical(cand, ["0", "1"])
    policy = {**POLICY, "data": {"slices": ["region"], "weight": "weight"},
              "gates": POLICY["gates"][:1] + [{"metric": "brier", "max": 0.5}, {"metric": "log_loss", "max": 1.0},
                                              {"metric": "ece", "max": 0.2}]}
    sorted_file = write_file(labeled.take(order), tmp_path / "sorted.parquet")
    shuffled = write_file(labeled, tmp_path / "shuffled.parquet", seed=9)
    by_file = report_dict(gate.check(policy, sorted_file))
    by_engine = report_dict(gate.check(policy, f"parquet:{shuffled}"))
    assert _without_artifacts(by_engine) == _without_artifacts(by_file)
    assert by_engine["gates"][1]["metric"] == "brier" and by_engine["gates"][1]["candidate"]["ci"] is not None
    assert by_engine["gates"][3]["interval_method"] == "bias-bounded"     # ECE's interval, same on both paths


def test_confusion_gates_equal_a_shuffled_file_exactly(tmp_path):
    """Confusion-matrix gates draw a multinomial over sorted cells: the file path in any row order
    and the engine agree to the last bit (ten classes, paired)."""
    cand, base = paired(n=4000, seed=6, classes=10, unlabeled=0.0)
    files = [write_file(t, tmp_path / f"{r}.parquet", seed=s) for r, t, s in (("c", cand, 1), ("b", base, 2))]
    by_file = report_dict(gate.check(CONFUSION_POLICY, *files))
    by_engine = report_dict(gate.check(CONFUSION_POLICY, *(f"parquet:{f}" for f in files)))
    assert _without_artifacts(by_engine) == _without_artifacts(by_file)
    assert len(by_engine["gates"]) == 12


def test_point_estimates_are_scikit_learns(tmp_path):
    from sklearn.metrics import precision_score, recall_score, roc_auc_score
    cand, base = paired(n=2500, seed=8)
    files = [write_file(t, tmp_path / f"{r}.parquet") for r, t in (("c", cand), ("b", base))]
    report = gate.check(POLICY, *(f"parquet:{f}" for f in files))
    rows = [r for r in cand.to_pylist() if r["label"] is not None]
    y, w = [int(r["label"]) for r in rows], [r["weight"] for r in rows]
    by_gate = {g.metric: g for g in report.gates if g.slice is None}
    assert by_gate["recall"].candidate.value == pytest.approx(
        recall_score(y, [int(r["prediction"]) for r in rows], sample_weight=w), rel=1e-12)
    b_rows = {r["id"]: r for r in base.to_pylist()}
    b_pred = [int(b_rows[r["id"]]["prediction"]) for r in rows]
    assert by_gate["precision"].baseline.value == pytest.approx(precision_score(y, b_pred, sample_weight=w), rel=1e-12)
    assert by_gate["roc_auc"].candidate.value == pytest.approx(
        roc_auc_score(y, [r["score"] for r in rows], sample_weight=w), rel=1e-12)
    assert by_gate["label_coverage"].candidate.value == pytest.approx(len(rows) / 2500)


def test_disjoint_ids_are_independent_and_intersect_warns_like_the_file_path(tmp_path):
    import pyarrow.compute as pc
    cand, base = paired(n=1200, seed=10)
    canary = base.set_column(0, "id", pc.binary_join_element_wise("c-", base.column("id"), ""))
    files = {"cand": write_file(cand, tmp_path / "c.parquet"), "canary": write_file(canary, tmp_path / "k.parquet"),
             "half": write_file(base.slice(0, 700), tmp_path / "h.parquet")}
    report = gate.check(POLICY, f"parquet:{files['cand']}", f"parquet:{files['canary']}")
    assert report.data.pairing == "independent" and report.data.n_baseline == report.data.n_candidate
    policy = {**POLICY, "bootstrap": {**POLICY["bootstrap"], "pairing": "intersect"}}
    by_file = gate.check(policy, files["cand"], files["half"])
    by_engine = gate.check(policy, f"parquet:{files['cand']}", f"parquet:{files['half']}")
    assert by_engine.warnings == by_file.warnings and "dropped 500 of 1,200 candidate rows" in note_text(by_engine.warnings[0])
    assert [g.tested.value for g in by_engine.gates] == [g.tested.value for g in by_file.gates]
    exact = [i for i, g in enumerate(by_file.gates) if METRICS[g.metric].family in ("confusion", "coverage")]
    assert [by_engine.gates[i].tested for i in exact] == [by_file.gates[i].tested for i in exact] and len(exact) == 6


def _errors(files_file: tuple[str, str], files_engine: tuple[str, str], policy=POLICY) -> tuple[GateError, GateError]:
    with pytest.raises(GateError) as by_file:
        gate.check(policy, *files_file)
    with pytest.raises(GateError) as by_engine:
        gate.check(policy, *files_engine)
    return by_file.value, by_engine.value


@pytest.mark.parametrize("case", ["partial overlap", "duplicate id", "missing column", "label clash", "one-sided label"])
def test_input_errors_say_what_the_file_path_says(case, tmp_path):
    import pyarrow as pa
    import pyarrow.compute as pc
    cand, base = paired(n=600, seed=12)
    policy = POLICY
    if case == "partial overlap":
        rest = base.slice(400)
        base = pa.concat_tables([base.slice(0, 400),
                                 rest.set_column(0, "id", pc.binary_join_element_wise("x", rest.column("id"), ""))])
    elif case == "duplicate id":
        ids = cand.column("id").to_pylist()
        ids[7] = ids[3]
        cand = cand.set_column(0, "id", pa.array(ids))
    elif case == "missing column":
        policy = {**POLICY, "data": {"slices": ["region", "device"]}}
    else:
        labels = base.column("label").to_pylist()
        first = next(i for i, v in enumerate(labels) if v is not None)
        labels[first] = None if case == "one-sided label" else str(1 - int(labels[first]))
        base = base.set_column(1, "label", pa.array(labels))
    files = tuple(write_file(t, tmp_path / f"{r}.parquet") for r, t in (("c", cand), ("b", base)))
    by_file, by_engine = _errors(files, tuple(f"parquet:{f}" for f in files), policy)
    assert isinstance(by_engine, InputError) and by_engine.fix == by_file.fix
    if case == "duplicate id":
        assert by_engine.problem == "id 'r000003' appears 2 times" and by_engine.source == f"parquet:{files[0]}"
    elif case in ("label clash", "one-sided label"):
        assert by_engine.problem == by_file.problem      # the id of the one differing row
    else:
        assert by_engine.problem == by_file.problem


def test_too_many_cells_is_a_one_line_error_not_an_approximation(tmp_path, monkeypatch):
    """Over the limit, scores are binned only where every score gate has a bound (binned gates:
    tests/test_engines_binned.py); otherwise, or when even the binned cells are too many, the run
    stops with a one-line input error that says why."""
    cand, base = paired(n=3000, seed=14)
    files = [write_file(t, tmp_path / f"{r}.parquet") for r, t in (("c", cand), ("b", base))]
    monkeypatch.setenv("MODEL_GATE_MAX_ENGINE_CELLS", "1000")
    with pytest.raises(InputError) as err:       # paired (score bin, score bin) pairs: still over 1,000
        gate.check(POLICY, *(f"parquet:{f}" for f in files))
    assert "more than 1,000 distinct combinations" in err.value.message
    assert "even with the scores in 1,000 quantile bins" in err.value.message
    assert "MODEL_GATE_ENGINE_SCORE_BINS=250" in err.value.message and "MODEL_GATE_MAX_ENGINE_CELLS=4000" in err.value.message
    policy, *multiclass = example_parquet("multiclass", tmp_path)      # 900 rows, continuous class scores
    monkeypatch.setenv("MODEL_GATE_MAX_ENGINE_CELLS", "100")
    with pytest.raises(InputError) as err:
        gate.check(policy, *(f"parquet:{f}" for f in multiclass))
    assert "cannot be binned: multiclass scores are not binned" in err.value.message
    assert "MODEL_GATE_MAX_ENGINE_CELLS=400" in err.value.message
    monkeypatch.setenv("MODEL_GATE_MAX_ENGINE_CELLS", "1000")
    confusion_only = {**POLICY, "gates": POLICY["gates"][:2]}      # no score fetched: a few cells
    assert gate.check(confusion_only, *(f"parquet:{f}" for f in files)).verdict in ("pass", "fail")


def test_over_the_cell_limit_the_pairing_counts_decide_first(tmp_path, monkeypatch):
    """Past the limit the joint pass is not trusted for anything: the id counts alone decide, so a
    partial overlap is still reported as one, and disjoint ids (canary traffic) are grouped side by
    side, each side within the limit though both together are over it."""
    import pyarrow as pa
    import pyarrow.compute as pc
    cand, base = paired(n=3000, seed=18)
    canary = base.set_column(0, "id", pc.binary_join_element_wise("k", base.column("id"), ""))
    half = pa.concat_tables([base.slice(0, 2000), canary.slice(2000)])
    files = {n: write_file(t, tmp_path / f"{n}.parquet") for n, t in (("c", cand), ("k", canary), ("h", half))}
    per_side = max(duckdb.execute(f"SELECT COUNT(*) FROM (SELECT DISTINCT label, prediction, score, weight, region "
                              f"FROM '{files[n]}')").fetchone()[0] for n in ("c", "k"))
    unlimited = report_dict(gate.check(POLICY, f"parquet:{files['c']}", f"parquet:{files['k']}"))
    monkeypatch.setenv("MODEL_GATE_MAX_ENGINE_CELLS", str(per_side))
    limited = report_dict(gate.check(POLICY, f"parquet:{files['c']}", f"parquet:{files['k']}"))
    assert limited == unlimited and limited["data"]["pairing"] == "independent"
    with pytest.raises(InputError, match="candidate has 3000 ids, baseline 3000, and they share 2000"):
        gate.check(POLICY, f"parquet:{files['c']}", f"parquet:{files['h']}")


def test_duckdbs_own_progress_bar_is_off(tmp_path):
    """DuckDB prints a progress bar to stdout for queries over ~2 s, which would corrupt --format
    json's report on stdout: model-gate's connections turn it off (its own progress is on stderr).
    In a subprocess, as the CLI runs (under pytest's capture DuckDB starts with it off anyway)."""
    code = ("import duckdb\n"
            "from gate.engines.sources import DuckDBEngine, EngineSource\n"
            "engine = DuckDBEngine({'v': EngineSource('query', 'SELECT 1 AS x', 'q')})\n"
            "q = \"SELECT current_setting('enable_progress_bar')\"\n"
            "print(duckdb.connect().execute(q).fetchall(), engine.con.execute(q).fetchall())\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.stdout.strip() == "[(True,)] [(False,)]", run.stderr


def test_usage_errors(tmp_path):
    cand, base = paired(n=300, seed=16)
    f = write_file(cand, tmp_path / "c.parquet")
    with pytest.raises(UsageError, match="names a DuckDB database but no table"):
        gate.check(POLICY, f"duckdb:{tmp_path}/x.db", f"parquet:{f}")
    with pytest.raises(InputError, match="no such DuckDB database file"):
        gate.check(POLICY, f"duckdb:{tmp_path}/x.db?table=t", f"parquet:{f}")
    with pytest.raises(UsageError, match="--engine local reads files"):
        gate.check(POLICY, f"parquet:{f}", f, engine="local")
    with pytest.raises(UsageError, match="reads Parquet datasets, tables and queries"):
        gate.check(POLICY, str(ROOT / "examples/affairs/candidate.csv"), f, engine="duckdb")
    with pytest.raises(InputError, match="DuckDB: .*(No files found|does not exist)"):
        gate.check(POLICY, f"parquet:{tmp_path}/none/*.parquet", f"parquet:{f}")


def test_scale_doc_python_blocks_run(monkeypatch):
    """docs/scale.md's Python examples, from the repository root (as tests/test_api.py does for
    docs/api.md, which must also run without the duckdb extra)."""
    import re
    monkeypatch.chdir(ROOT)
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs/scale.md").read_text(encoding="utf-8"), flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/scale.md", "exec"), {})


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB", "CI_", "INPUT_"))}
    return subprocess.run([sys.executable, "-m", "gate.cli.main", "check", *args], capture_output=True, text=True,
                          env={**keep, **(env or {})}, cwd=ROOT, timeout=300)


def test_cli_reads_datasets_tables_and_queries(tmp_path):
    policy, cand, base = example_parquet("affairs", tmp_path)
    db = tmp_path / "evals.db"
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE preds AS SELECT 'base' AS model, * FROM '{base}' UNION ALL "
                f"SELECT 'cand' AS model, * FROM '{cand}'")
    con.close()
    by_file = _cli("--policy", policy, "--candidate", cand, "--baseline", base, "--format", "json")
    by_query = _cli("--policy", policy, "--database", str(db), "--format", "json",
                    "--candidate-query", "SELECT * EXCLUDE (model) FROM preds WHERE model = 'cand'",
                    "--baseline-query", "SELECT * EXCLUDE (model) FROM preds WHERE model = 'base'")
    assert by_file.returncode == by_query.returncode == 0, by_query.stderr
    a, b = json.loads(by_file.stdout), json.loads(by_query.stdout)
    assert b["data"]["artifacts"][0]["path"] == "<candidate query>"
    assert b["reproducibility"]["command"][-2:] == ["--database", str(db)]
    for doc in (a, b):
        doc["data"].pop("artifacts")
        doc["reproducibility"].pop("command")
    assert a == b
    out = tmp_path / "out"
    run = _cli("--policy", policy, "--candidate", f"parquet:{cand}", "--baseline", f"parquet:{base}",
               "--out-dir", str(out), "--quiet")
    assert run.returncode == 0 and sorted(p.name for p in out.iterdir()) == ["junit.xml", "report.html", "report.json",
                                                                           "report.md"]


@pytest.mark.parametrize("args, expected", [
    (["--candidate-query", "SELECT * FROM no_such_table"], "DuckDB: Catalog Error"),
    (["--candidate", "parquet:x.parquet", "--candidate-query", "SELECT 1"],
     "argument --candidate-query: not allowed with argument --candidate"),
    (["--candidate-query", "  "], "--candidate-query is empty"),
    (["--candidate", "duckdb:x.db"], "names a DuckDB database but no table"),
    (["--candidate", "spark:db.preds", "--engine", "duckdb"], "spark:db.preds is read by spark, not duckdb"),
])
def test_cli_errors_are_one_line_exit_2(args, expected, tmp_path):
    policy = tmp_path / "p.yml"
    policy.write_text(json.dumps({**POLICY, "gates": POLICY["gates"][:1]}))
    run = _cli("--policy", str(policy), *args)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in run.stderr


def test_duckdb_memory_limit_spills_to_a_private_directory(tmp_path, monkeypatch):
    """MODEL_GATE_DUCKDB_MEMORY sets DuckDB's memory limit and a temporary directory of its own,
    removed with the engine; the report is the one without a limit; a malformed value is a usage
    error naming the variable."""
    import gc

    from gate.engines.sources import DuckDBEngine, EngineSource
    cand, base = paired(n=2000, seed=21)
    files = [f"parquet:{write_file(t, tmp_path / f'{r}.parquet')}" for r, t in (("c", cand), ("b", base))]
    unlimited = report_dict(gate.check(POLICY, *files))
    monkeypatch.setenv("MODEL_GATE_DUCKDB_MEMORY", "300M")
    assert report_dict(gate.check(POLICY, *files)) == unlimited
    engine = DuckDBEngine({"v": EngineSource("query", "SELECT 1 AS x", "q")})
    (limit, spill), = engine.con.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory')"
                                         ).fetchall()
    assert limit == "300.0 MiB" and os.path.isdir(spill) and os.path.basename(spill).startswith("model-gate-duckdb.")
    engine.con.close()
    del engine
    gc.collect()
    assert not os.path.exists(spill)
    monkeypatch.setenv("MODEL_GATE_DUCKDB_MEMORY", "lots")
    with pytest.raises(UsageError, match="MODEL_GATE_DUCKDB_MEMORY must be a positive whole number of bytes") as bad:
        gate.check(POLICY, *files)
    # unset means DuckDB's own limit, not a limit of 0 bytes
    assert str(bad.value).endswith("(unset it to use the default, DuckDB's own memory limit)")


def test_a_probability_outside_0_1_names_the_cell_not_a_cell_index(tmp_path):
    """Brier/ECE need scores in [0, 1]: on the engine path the message describes the offending cell
    (its values and how many rows hold them) and the score column, as every other engine input
    error does; it used to name 'labeled row N', N an index into the sorted cells, no row of the
    source. The file path names the file's row."""
    import pyarrow as pa
    cand, _ = paired(n=300, seed=14, unlabeled=0.0)
    scores = cand.column("score").to_pylist()
    scores[5] = 1.5
    cand = cand.set_column(cand.column_names.index("score"), "score", pa.array(scores))
    path = write_file(cand, tmp_path / "c.parquet")
    policy = {**POLICY, "data": {"weight": "weight"}, "gates": [{"metric": "brier", "max": 0.5}]}
    by_file, by_engine = _errors((path,), (f"parquet:{path}",), policy)
    assert by_file.where == "row 6, column 'score'" and by_file.problem == "score 1.5 is outside [0, 1]"
    assert by_engine.problem == by_file.problem and by_engine.fix == by_file.fix
    assert by_engine.where.startswith("the 1 rows with ") and "score=1.5" in by_engine.where
    assert by_engine.where.endswith(", column 'score'")
