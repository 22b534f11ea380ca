"""Shared data for the engine tests (DuckDB and Spark): random paired predictions as pyarrow tables,
written as one Parquet file or as hive-partitioned datasets in shuffled order, and Parquet copies of
the bundled examples. Not a test module: both test files import it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = {"affairs": ("candidate.csv", "baseline.csv"), "multiclass": ("candidate.csv", "baseline.csv"),
            "canary": ("candidate.csv.gz", "baseline.csv")}

POLICY = {
    "version": 1, "name": "engines", "task": "binary", "positive_class": "1", "classes": ["0", "1"],
    "data": {"slices": ["region"]},
    "bootstrap": {"resamples": 300, "seed": 3},
    "gates": [{"metric": "recall", "min": 0.5}, {"metric": "precision", "max_drop": 0.05},
              {"metric": "roc_auc", "max_drop": 0.05}, {"metric": "accuracy", "slice": "region", "min": 0.5},
              {"metric": "label_coverage", "min": 0.5}],
}
CONFUSION_POLICY = {
    "version": 1, "name": "confusion", "task": "multiclass",
    "bootstrap": {"resamples": 300, "seed": 5},
    "gates": [{"metric": "recall", "class": "*", "min": 0.3}, {"metric": "accuracy", "max_drop": 0.02},
              {"metric": "f1", "average": "macro", "min": 0.3}],
}


def paired(n: int = 3000, seed: int = 0, classes: int = 2, unlabeled: float = 0.1):
    """Candidate and baseline tables over the same ids: label (None when unlabeled), prediction,
    a score with 2 decimals (few distinct values: exact cells), weight 1 or 2, region."""
    import pyarrow as pa
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    labels = [None if u else str(v) for v, u in zip(y, rng.random(n) < unlabeled)]
    ids = [f"r{i:06d}" for i in range(n)]
    region = rng.choice(["eu", "us", "apac"], n)
    weight = rng.choice([1.0, 2.0], n)
    out = []
    for skill in (0.8, 0.7):
        correct = rng.random(n) < skill
        pred = np.where(correct, y, (y + 1 + rng.integers(0, max(classes - 1, 1), n)) % classes)
        score = np.round(np.clip(np.where(pred == 1, 0.6, 0.4) + rng.normal(0, 0.2, n), 0, 1), 2)
        out.append(pa.table({"id": ids, "label": labels, "prediction": [str(p) for p in pred],
                             "score": score, "weight": weight, "region": region}))
    return out[0], out[1]


def write_file(table, path: Path, seed: int | None = None) -> str:
    """One Parquet file (rows shuffled with ``seed`` when given)."""
    import pyarrow.parquet as pq
    if seed is not None:
        table = table.take(np.random.default_rng(seed).permutation(table.num_rows))
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return str(path)


def write_hive(table, root: Path, seed: int, files_per_part: int = 3) -> str:
    """A hive-partitioned dataset (``region=eu/part-0.parquet``...), rows shuffled, several files each."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    rng = np.random.default_rng(seed)
    table = table.take(rng.permutation(table.num_rows))
    for value in sorted(set(table.column("region").to_pylist())):
        part = table.filter(pc.equal(table.column("region"), value)).drop_columns(["region"])
        (root / f"region={value}").mkdir(parents=True, exist_ok=True)
        for k, chunk in enumerate(np.array_split(np.arange(part.num_rows), files_per_part)):
            pq.write_table(part.take(chunk), root / f"region={value}" / f"part-{k}.parquet")
    return str(root)


def example_parquet(name: str, tmp: Path) -> tuple[str, str, str]:
    """(policy, candidate.parquet, baseline.parquet) of a bundled example, CSV columns as read by pyarrow."""
    import pyarrow.csv as pcsv
    out = []
    for role, file in zip(("candidate", "baseline"), EXAMPLES[name]):
        t = pcsv.read_csv(ROOT / "examples" / name / file,
                          convert_options=pcsv.ConvertOptions(strings_can_be_null=True))
        out.append(write_file(t, tmp / name / f"{role}.parquet"))
    return str(ROOT / "policies" / f"{name}.yml"), out[0], out[1]


def report_dict(report, drop_paths: bool = False) -> dict:
    """report.json as a dict; ``drop_paths``: without the artifacts' paths (they name the source)."""
    from gate.render import json_report
    doc = json.loads(json_report.render(report))
    if drop_paths:
        for a in doc["data"]["artifacts"]:
            a.pop("path")
    return doc
