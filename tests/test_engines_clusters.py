"""``data.cluster`` on the engine path (real DuckDB): the cells carry the cluster, so the cluster
bootstrap draws whole clusters of cells, each cell weighing its count — the file path's report,
to the last bit, from a fraction of the rows (docs/scale.md, "Clusters")."""

from __future__ import annotations

import json

import pytest

duckdb = pytest.importorskip("duckdb", reason="the engine path needs the duckdb extra (pip install '.[duckdb]')")
pytest.importorskip("sqlglot", reason="the engine path needs sqlglot (the duckdb extra)")
pytest.importorskip("pyarrow", reason="the tests write Parquet with pyarrow")

import gate  # noqa: E402
from gate.errors import InputError  # noqa: E402
from tests.engine_data import report_dict, write_file, write_hive  # noqa: E402
from tests.helpers.binned_data import clustered  # noqa: E402

CLUSTER_POLICY = {
    "version": 1, "name": "clusters", "task": "binary", "positive_class": "1", "classes": ["0", "1"],
    "data": {"cluster": "user", "slices": ["region"]},
    "bootstrap": {"resamples": 300, "seed": 11},
    "gates": [{"metric": "recall", "min": 0.5}, {"metric": "precision", "max_drop": 0.05},
              {"metric": "roc_auc", "max_drop": 0.05}, {"metric": "average_precision", "min": 0.5},
              {"metric": "accuracy", "slice": "region", "min": 0.5}, {"metric": "label_coverage", "min": 0.5}],
}


def _without_artifacts(doc: dict) -> dict:
    doc = json.loads(json.dumps(doc))
    doc["data"].pop("artifacts")
    return doc


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_cluster_bootstrap_through_duckdb_equals_the_file_path(tmp_path, method):
    cand, base = clustered(seed=1)
    files = [write_file(t, tmp_path / f"{r}.parquet") for r, t in (("c", cand), ("b", base))]
    policy = {**CLUSTER_POLICY, "bootstrap": {**CLUSTER_POLICY["bootstrap"], "method": method}}
    by_file = report_dict(gate.check(policy, *files))
    by_engine = report_dict(gate.check(policy, *(f"parquet:{f}" for f in files)))
    assert by_engine["reproducibility"]["unit"] == "cluster" and by_engine["reproducibility"]["clusters"] > 300
    assert _without_artifacts(by_engine) == _without_artifacts(by_file)
    assert [a["rows"] for a in by_engine["data"]["artifacts"]] == [a["rows"] for a in by_file["data"]["artifacts"]]
    unclustered = report_dict(gate.check({**policy, "data": {"slices": ["region"]}}, *(f"parquet:{f}" for f in files)))
    assert unclustered["gates"][0]["candidate"]["ci"] != by_engine["gates"][0]["candidate"]["ci"]    # clusters matter


def test_clusters_do_not_depend_on_the_partitioning(tmp_path):
    cand, base = clustered(seed=2)
    single = [f"parquet:{write_file(t, tmp_path / f'{r}.parquet')}" for r, t in (("c", cand), ("b", base))]
    hive = [f"parquet:{write_hive(t, tmp_path / f'h{r}', seed=3)}" for r, t in (("c", cand), ("b", base))]
    assert (report_dict(gate.check(CLUSTER_POLICY, *single), drop_paths=True)
            == report_dict(gate.check(CLUSTER_POLICY, *hive), drop_paths=True))


def test_cluster_errors_are_the_file_paths(tmp_path):
    """A labeled row without a cluster, and a shared id in two clusters: the file path's messages
    (the engine's naming the rows by their values, and a real id looked up in the engine)."""
    import pyarrow as pa
    cand, base = clustered(n=600, seed=4)
    labels, users = cand.column("label").to_pylist(), base.column("user").to_pylist()
    first = next(i for i, lab in enumerate(labels) if lab is not None)
    users[first] = "somebody-else"
    clash = base.set_column(base.schema.get_field_index("user"), "user", pa.array(users))
    files = [write_file(t, tmp_path / f"{r}.parquet") for r, t in (("c", cand), ("b", clash))]
    with pytest.raises(InputError) as by_file:
        gate.check(CLUSTER_POLICY, *files)
    with pytest.raises(InputError) as by_engine:
        gate.check(CLUSTER_POLICY, *(f"parquet:{f}" for f in files))
    assert by_engine.value.problem == by_file.value.problem and by_engine.value.fix == by_file.value.fix
    users = cand.column("user").to_pylist()
    users[first] = None
    empty = cand.set_column(cand.schema.get_field_index("user"), "user", pa.array(users))
    path = write_file(empty, tmp_path / "e.parquet")
    with pytest.raises(InputError, match="the cluster is empty") as err:
        gate.check(CLUSTER_POLICY, f"parquet:{path}", f"parquet:{files[0]}")
    assert "column 'user'" in err.value.message
