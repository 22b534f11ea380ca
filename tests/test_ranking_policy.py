"""``task: ranking`` policies: the data block, the ranking: options, the gates; one line per bad field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gate.errors import PolicyError
from gate.policy.load import build_policy, load_policy
from gate.ranking import Measure, RankingOptions

RANKING = {"version": 1, "name": "r", "task": "ranking", "gates": [{"metric": "ndcg", "k": 10, "min": 0.3}]}


def with_gate(**gate):
    return {**RANKING, "gates": [{"metric": "ap", "min": 0.2}, gate]}


def error_of(doc) -> str:
    with pytest.raises(PolicyError) as exc:
        build_policy(doc, source="policy.yml")
    return exc.value.message


def test_defaults_are_trec_eval_but_missing_queries_zero() -> None:
    policy = build_policy(RANKING, source="policy.yml")
    assert policy.task == "ranking" and policy.ranking is not None
    assert policy.ranking.options == RankingOptions(missing_queries="zero")
    assert policy.ranking.options.relevance_threshold == 1 and policy.ranking.options.ties == "trec"
    assert policy.ranking.options.empty_queries == "zero"
    assert policy.ranking.measures == (Measure("ndcg", 10),)
    (gate,) = policy.gates
    assert (gate.name, gate.direction, gate.bar_kind, gate.bar_value) == ("ndcg@10", "higher", "min", 0.3)
    assert not policy.needs_baseline


def test_every_field_is_read() -> None:
    doc = {**RANKING, "data": {"query_id": "qid", "item_id": "docid", "score": "sim", "relevance": "rel",
                               "qrels": "judged/qrels.txt", "slices": ["locale"]},
           "ranking": {"gain": "exponential", "relevance_threshold": 2, "ties": "average", "empty_queries": "skip",
                       "missing_queries": "skip"},
           "gates": [{"metric": "ndcg", "k": 5, "max_drop": 0.01, "slice": "locale"},
                     {"metric": "r_precision", "min_gain": 0}, {"metric": "hit_rate", "k": 3, "max_relative_drop": 0.1},
                     {"metric": "reciprocal_rank", "max": 0.99, "severity": "warning", "name": "mrr"}]}
    policy = build_policy(doc, source="policies/r.yml")
    spec = policy.ranking
    assert spec is not None
    assert spec.data.run_columns == ("qid", "docid", "sim") and spec.data.judgement_columns == ("qid", "docid", "rel")
    assert spec.data.qrels == str(Path("policies/judged/qrels.txt"))      # relative to the policy file
    assert spec.options == RankingOptions(2, "average", "skip", "skip")
    assert spec.measures == (Measure("ndcg", 5, "exponential"), Measure("r_precision"), Measure("hit_rate", 3),
                             Measure("reciprocal_rank"))
    assert [g.name for g in policy.gates] == ["ndcg@5 (exponential)", "r_precision", "hit_rate@3", "mrr"]
    assert policy.needs_baseline and policy.gates[0].slice == "locale"


def test_absolute_qrels_path_and_mapping_policy_keep_the_path() -> None:
    doc = {**RANKING, "data": {"qrels": "/data/qrels.txt"}}
    assert build_policy(doc, source="p/r.yml").ranking.data.qrels == "/data/qrels.txt"
    assert build_policy({**RANKING, "data": {"qrels": "q.txt"}}, source="<policy>").ranking.data.qrels == "q.txt"


@pytest.mark.parametrize("doc,expected", [
    (with_gate(metric="ndgc", k=10, min=0.1),
     "policy.yml: gates[1].metric: unknown ranking metric 'ndgc' (did you mean 'ndcg'?)"),
    (with_gate(metric="map", min=0.1),
     "policy.yml: gates[1].metric: unknown ranking metric 'map' (did you mean 'ap'?)"),
    (with_gate(metric="accuracy", min=0.1), "policy.yml: gates[1].metric: unknown ranking metric 'accuracy' "
     "(use one of ap, ndcg, precision, recall, reciprocal_rank, hit_rate, r_precision)"),
    (with_gate(metric="ndcg", k=0, min=0.1), "policy.yml: gates[1].k: must be between 1 and 1000000 (got 0)"),
    (with_gate(metric="ndcg", k=2.5, min=0.1), "policy.yml: gates[1].k: must be an integer (got number 2.5)"),
    (with_gate(metric="r_precision", k=5, min=0.1),
     "policy.yml: gates[1].k: r_precision takes no k (its cutoff is R, the number of relevant items; drop k)"),
    (with_gate(metric="ndcg", k=5), "policy.yml: gates[1]: give exactly one bar "
     "(min, max, max_drop, max_relative_drop, min_gain); found none"),
    (with_gate(metric="ndcg", min=0.1, max_drop=0.1), "policy.yml: gates[1]: give exactly one bar "
     "(min, max, max_drop, max_relative_drop, min_gain); found min and max_drop"),
    (with_gate(metric="ndcg", max_drop=-0.1), "policy.yml: gates[1].max_drop: must be >= 0 (got -0.1)"),
    (with_gate(metric="ap", min=0.1, **{"class": "x"}),
     "policy.yml: gates[1].class: does not apply to task: ranking (remove it (slice: selects queries by "
     "an attribute))"),
    (with_gate(metric="ap", min=0.1, average="macro"),
     "policy.yml: gates[1].average: does not apply to task: ranking (remove it (slice: selects queries "
     "by an attribute))"),
    (with_gate(metric="ap", min=0.1, kk=3), "policy.yml: gates[1]: unknown field 'kk'; did you mean 'k'?"),
    ({**RANKING, "data": {"slices": ["locale"]}, "gates": [{"metric": "ap", "min": 0.1, "slice": "region"}]},
     "policy.yml: gates[0].slice: 'region' is not listed in data.slices (locale) (add it to data.slices)"),
    ({**RANKING, "ranking": {"gain": "exp"}},
     "policy.yml: ranking.gain: must be one of linear, exponential (got 'exp')"),
    ({**RANKING, "ranking": {"ties": "random"}}, "policy.yml: ranking.ties: must be one of trec, average (got 'random')"),
    ({**RANKING, "ranking": {"relevance_threshold": 0}},
     "policy.yml: ranking.relevance_threshold: must be > 0 (got 0)"),
    ({**RANKING, "ranking": {"empty_queries": "drop"}},
     "policy.yml: ranking.empty_queries: must be one of zero, skip, error (got 'drop')"),
    ({**RANKING, "ranking": {"missing_queries": "error"}},
     "policy.yml: ranking.missing_queries: must be one of zero, skip (got 'error')"),
    ({**RANKING, "ranking": {"missing": "zero"}},
     "policy.yml: ranking: unknown field 'missing'; did you mean 'missing_queries'?"),
    ({**RANKING, "data": {"label": "y"}}, "policy.yml: data.label: does not apply to task: ranking (remove it)"),
    ({**RANKING, "data": {"id": "q"}},
     "policy.yml: data.id: does not apply to task: ranking (name the query column data.query_id)"),
    ({**RANKING, "data": {"query_id": "x", "item_id": "x"}}, "policy.yml: data: query_id, item_id and score "
     "must name different columns (name three distinct columns)"),
    ({**RANKING, "data": {"qrels": ""}}, "policy.yml: data.qrels: must not be empty"),
    ({**RANKING, "positive_class": "a"}, "policy.yml: positive_class: does not apply to task: ranking "
     "(remove it)"),
    ({**RANKING, "bootstrap": {"stratify": True}}, "policy.yml: bootstrap.stratify: is not "
     "available for task: ranking (remove it or set stratify: false)"),
    ({**RANKING, "bootstrap": {"adaptive": True}}, "policy.yml: bootstrap.adaptive: is not "
     "available for task: ranking (remove it or set adaptive: false)"),
])
def test_bad_ranking_policy(doc, expected: str) -> None:
    assert error_of(doc) == expected


BINARY = {"version": 1, "name": "b", "task": "binary", "positive_class": "1", "gates": [{"metric": "recall", "min": 0.5}]}


@pytest.mark.parametrize("doc,expected", [
    ({**BINARY, "ranking": {"ties": "trec"}},
     "policy.yml: ranking: the ranking: section applies only to task: ranking (remove it, or set task: ranking)"),
    ({**BINARY, "data": {"query_id": "q"}},
     "policy.yml: data.query_id: applies only to task: ranking (remove it, or set task: ranking)"),
    ({**BINARY, "gates": [{"metric": "recall", "min": 0.5, "k": 3}]},
     "policy.yml: gates[0].k: applies only to task: ranking (remove it)"),
])
def test_ranking_fields_in_a_classification_policy(doc, expected: str) -> None:
    assert error_of(doc) == expected


ROOT = Path(__file__).resolve().parents[1]


def test_bundled_ranking_policy_loads() -> None:
    policy = load_policy(ROOT / "policies" / "ranking.yml")
    assert policy.task == "ranking" and len(policy.gates) == 7
    assert policy.ranking.data.qrels == str(ROOT / "policies" / ".." / "examples" / "ranking" / "qrels.csv")
    assert policy.ranking.options == RankingOptions(missing_queries="zero")


def test_example_data_is_what_the_generator_writes(tmp_path: Path) -> None:
    """examples/ranking/ is rebuilt byte for byte by its script (the docstrings it reads are those of the
    scikit-learn version the files were made with)."""
    sklearn = pytest.importorskip("sklearn")
    if sklearn.__version__ != "1.9.1":
        pytest.skip(f"the example was made with scikit-learn 1.9.1 (installed: {sklearn.__version__})")
    subprocess.run([sys.executable, str(ROOT / "examples" / "ranking" / "make_ranking.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True, timeout=300)
    for name in ("bm25.run", "tfidf.run", "qrels.csv"):
        assert (tmp_path / name).read_bytes() == (ROOT / "examples" / "ranking" / name).read_bytes(), name
