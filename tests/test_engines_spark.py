"""The engine path on a real Spark session (local mode): the same aggregation as DuckDB's (one sqlglot
query printed in Spark's dialect), so the same report.json byte for byte, from a Parquet dataset, a
DataFrame and a catalog table; Spark errors are one-line input errors. Skipped without pyspark or a
Java runtime (.ci/run installs both in its full phase)."""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("pyspark", reason="Spark tests need pyspark (pip install '.[spark]')")
pytest.importorskip("duckdb", reason="Spark's reports are compared with DuckDB's (pip install '.[duckdb]')")
if shutil.which("java") is None:
    pytest.skip("Spark needs a Java runtime (apt-get install default-jre-headless)", allow_module_level=True)

import gate  # noqa: E402
from gate.errors import InputError  # noqa: E402
from tests.engine_data import POLICY, example_parquet, paired, report_dict, write_file, write_hive  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession
    session = (SparkSession.builder.master("local[1]").appName("model-gate-tests")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2").config("spark.sql.session.timeZone", "UTC")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_gives_duckdbs_report_byte_for_byte(spark, tmp_path):
    """A hive-partitioned dataset (shuffled, three files per partition) read by Spark, and the bundled
    affairs example: report.json identical to DuckDB's, paths included (the same specs)."""
    from gate.render import json_report
    cand, base = paired(n=2000, seed=21)
    dirs = [write_hive(t, tmp_path / r, seed=s) for r, t, s in (("c", cand, 1), ("b", base, 2))]
    policy, a_cand, a_base = example_parquet("affairs", tmp_path)
    for pol, c, b in ((POLICY, *dirs), (policy, a_cand, a_base)):
        by_spark = gate.check(pol, f"parquet:{c}", f"parquet:{b}", engine="spark")
        by_duckdb = gate.check(pol, f"parquet:{c}", f"parquet:{b}", engine="duckdb")
        assert json_report.render(by_spark) == json_report.render(by_duckdb)
        assert by_spark.data.pairing == "paired"


def test_dataframes_and_catalog_tables(spark, tmp_path):
    """A DataFrame and a temp view named as spark:NAME; the same report as DuckDB on the same rows
    (but for the artifacts' paths and formats, which name the sources)."""
    cand, base = paired(n=1500, seed=22)
    files = [write_file(t, tmp_path / f"{r}.parquet") for r, t in (("c", cand), ("b", base))]
    spark.read.parquet(files[1]).createOrReplaceTempView("baseline_preds")
    by_spark = report_dict(gate.check(POLICY, spark.read.parquet(files[0]), "spark:baseline_preds"), drop_paths=True)
    by_duckdb = report_dict(gate.check(POLICY, *(f"parquet:{f}" for f in files)), drop_paths=True)
    assert [a["format"] for a in by_spark["data"]["artifacts"]] == ["spark-dataframe", "spark-table"]
    for a in by_spark["data"]["artifacts"] + by_duckdb["data"]["artifacts"]:
        a.pop("format")
    assert by_spark == by_duckdb


def test_spark_errors_are_input_errors(spark, tmp_path):
    cand, base = paired(n=300, seed=23)
    files = [write_file(t, tmp_path / f"{r}.parquet") for r, t in (("c", cand), ("b", base))]
    with pytest.raises(InputError, match=r"^spark:no_such_table: Spark: .*no_such_table"):
        gate.check(POLICY, "spark:no_such_table", f"parquet:{files[1]}")
    dup = cand.take([0, 0, 1, 2])
    with pytest.raises(InputError, match="id 'r000000' appears 2 times"):
        gate.check(POLICY, f"parquet:{write_file(dup, tmp_path / 'dup.parquet')}", f"parquet:{files[1]}",
                   engine="spark")


@pytest.mark.parametrize("policy", ["ranking", "calibration"])
def test_binned_scores_give_duckdbs_report_byte_for_byte(spark, tmp_path, monkeypatch, policy):
    """Past the cell limit Spark bins the scores at the same edges as DuckDB (values at positions of
    the sorted scores, one sqlglot query) and groups by the same comparisons: report.json identical,
    binned gates included, from a hive-partitioned dataset split differently for each engine. The
    calibration gates' score sums are exact integers in both engines (DECIMAL(38, 0))."""
    from gate.render import json_report
    from tests.helpers.binned_data import BINNED_POLICY, CALIBRATION_POLICY, LIMITS, continuous
    chosen = CALIBRATION_POLICY if policy == "calibration" else BINNED_POLICY
    for k, v in LIMITS.items():
        monkeypatch.setenv(k, v)
    cand, base = continuous(seed=24)
    spark_dirs = [write_hive(t, tmp_path / f"s{r}", seed=s) for r, t, s in (("c", cand, 1), ("b", base, 2))]
    duck_dirs = [write_hive(t, tmp_path / f"d{r}", seed=s, files_per_part=1) for r, t, s in (("c", cand, 3), ("b", base, 4))]
    by_spark = gate.check(chosen, *(f"parquet:{d}" for d in spark_dirs), engine="spark")
    by_duckdb = gate.check(chosen, *(f"parquet:{d}" for d in spark_dirs), engine="duckdb")
    assert any(g.error_bound is not None for g in by_spark.gates)
    assert json_report.render(by_spark) == json_report.render(by_duckdb)
    other_split = gate.check(chosen, *(f"parquet:{d}" for d in duck_dirs), engine="duckdb")
    assert report_dict(other_split, drop_paths=True) == report_dict(by_spark, drop_paths=True)


def test_clusters_give_duckdbs_report_byte_for_byte(spark, tmp_path):
    """data.cluster on Spark: the same per-cluster cells as DuckDB, the same cluster bootstrap."""
    from gate.render import json_report
    from tests.helpers.binned_data import clustered
    policy = {**POLICY, "data": {"cluster": "user", "slices": ["region"]}}
    cand, base = clustered(n=1500, seed=25)
    dirs = [write_hive(t, tmp_path / r, seed=s) for r, t, s in (("c", cand, 1), ("b", base, 2))]
    by_spark = gate.check(policy, *(f"parquet:{d}" for d in dirs), engine="spark")
    by_duckdb = gate.check(policy, *(f"parquet:{d}" for d in dirs), engine="duckdb")
    assert by_spark.reproducibility.unit == "cluster"
    assert json_report.render(by_spark) == json_report.render(by_duckdb)
