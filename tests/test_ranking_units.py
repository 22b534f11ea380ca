"""The ranking modules' own rules, each called directly (tests/test_ranking_metrics.py checks the
measures end to end against trec_eval):

- gate/ranking/trec.py: read_run / read_qrels equal pytrec_eval's parsers, line numbers skip blanks
  and comments, an overlong field and an out-of-range relevance are input errors;
- gate/ranking/columns.py: id and number columns (the types refused, the row named), factorize,
  runs_of_equal, item_keys independent of the array width;
- gate/ranking/positions.py: gains, and the tie-averaged summands equal the mean over every order
  of the tied items (brute force);
- gate/ranking/queries.py: improved/regressed/tied, the worst queries, the symmetric histogram;
- gate/ranking/policy.py: resolve_beside, check_bootstrap, check_classification_doc.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

import gate.ranking as rk
from gate.errors import InputError, PolicyError
from gate.ranking import columns, policy, positions, queries, trec
from gate.ranking.columns import Origin
from gate.ranking.measures import PerQuery, QueryCounts

RUN = """# a comment line
q1 Q0 d3 1 0.9 tag

q1 Q0 d1 2 0.25 tag
q2\tQ0\td7\t1\t-1.5e-1\ttag
q10 Q0 d3 1 3 tag
"""
QRELS = "q1 0 d1 2\nq1 0 d3 0\n# comment\nq2 0 d7 -1\nq10 0 d9 1\n"


# -- trec ------------------------------------------------------------------------------------

def test_trec_readers_equal_pytrec_evals_parsers(tmp_path):
    pytrec_eval = pytest.importorskip("pytrec_eval")
    (tmp_path / "run").write_text(RUN)
    (tmp_path / "qrels").write_text(QRELS)
    run, qrels = trec.read_run(tmp_path / "run"), trec.read_qrels(tmp_path / "qrels")
    ours_run: dict = {}
    for q, d, s in zip(run.query, run.item, run.value):
        ours_run.setdefault(q, {})[d] = float(s)
    ours_qrels: dict = {}
    for q, d, r in zip(qrels.query, qrels.item, qrels.value):
        ours_qrels.setdefault(q, {})[d] = int(r)
    with open(tmp_path / "run") as fh:
        assert ours_run == pytrec_eval.parse_run(line for line in fh if line.strip() and not line.startswith("#"))
    with open(tmp_path / "qrels") as fh:
        assert ours_qrels == pytrec_eval.parse_qrel(line for line in fh if line.strip() and not line.startswith("#"))
    assert run.origin.where(0) == "line 2" and run.origin.where(3) == "line 6"     # blank and comment skipped
    assert qrels.origin.where(3) == "line 5"


def test_an_overlong_field_and_a_huge_relevance_are_input_errors(tmp_path):
    long = tmp_path / "long.run"
    long.write_text(f"q1 Q0 {'d' * (trec.MAX_FIELD_BYTES + 1)} 1 0.5 t\n")
    with pytest.raises(InputError, match=f"docid is longer than {trec.MAX_FIELD_BYTES} bytes") as err:
        trec.read_run(long)
    assert "line 1" in err.value.message
    huge = tmp_path / "huge.qrels"
    huge.write_text("q1 0 d1 1\nq1 0 d2 99999999999999999999\n")
    with pytest.raises(InputError, match="relevance '99999999999999999999' is not an integer") as err:
        trec.read_qrels(huge)
    assert "line 2" in err.value.message


def test_readers_take_the_bytes_already_read():
    cols = trec.read_qrels("given.qrels", data=b"q 0 a 3\n")
    assert (cols.query.tolist(), cols.item.tolist(), cols.value.tolist()) == (["q"], ["a"], [3.0])
    assert cols.origin.source == "given.qrels"


# -- columns ---------------------------------------------------------------------------------

def test_id_columns_are_int64_or_text_and_nothing_else():
    o = Origin("t.csv", first_line=2)
    assert columns.id_column([3, 1], "q", o).dtype == np.int64
    assert columns.id_column(["a", "b"], "q", o).tolist() == ["a", "b"]
    big = np.array([2 ** 64 - 1], dtype=np.uint64)
    assert columns.id_column(big, "q", o).tolist() == [str(2 ** 64 - 1)]            # beyond int64: digits
    for bad, shown, row in (([1, "a"], "'a'", "line 3"), ([1, True], "True", "line 3"), (["a", 2.0], "2.0", "line 3")):
        with pytest.raises(InputError) as err:
            columns.id_column(bad, "q", o)
        assert f"'q' is {shown}, not an id" in err.value.message and row in err.value.message
    with pytest.raises(InputError, match="holds float64 values, not ids"):
        columns.id_column(np.array([1.0]), "q", o)


def test_number_columns_are_finite_floats_and_name_the_row():
    o = Origin("t")
    assert columns.number_column([1, 2.5], "s", o).tolist() == [1.0, 2.5]
    with pytest.raises(InputError, match=r"'s' is nan") as err:
        columns.number_column(np.array([0.0, np.nan]), "s", o)
    assert "row 2" in err.value.message
    with pytest.raises(InputError, match=r"'s' is False, not a number"):
        columns.number_column([0.5, False], "s", o)
    with pytest.raises(InputError, match="not one-dimensional"):
        columns.number_column(np.zeros((2, 2)), "s", o)


def test_factorize_equals_numpy_unique_on_grouped_and_ungrouped_ids():
    rng = np.random.default_rng(3)
    for ids in (np.repeat(rng.permutation(50), rng.integers(1, 5, 50)), rng.integers(0, 30, 400),
                np.array(["b", "b", "a", "c", "a"]), np.zeros(0, np.int64)):
        uniques, codes = columns.factorize(ids)
        want_u, want_codes = np.unique(ids, return_inverse=True)
        assert np.array_equal(uniques, want_u) and np.array_equal(codes, want_codes.ravel())


def test_runs_of_equal_and_width_independent_item_keys():
    starts, heads = columns.runs_of_equal(np.array([5, 5, 2, 2, 2, 5]))
    assert starts.tolist() == [0, 2, 5] and heads.tolist() == [5, 2, 5]
    narrow, wide = np.array(["ab", "x"]), np.array(["ab", "x", "a" * 40])
    assert np.array_equal(columns.item_keys(narrow), columns.item_keys(wide)[:2])
    assert len(set(columns.item_keys(np.array(["ab", "ba", "b", "a"])).tolist())) == 4
    assert columns.as_text(np.array([12, 3])).tolist() == ["12", "3"]


# -- positions -------------------------------------------------------------------------------

def test_gains_are_linear_or_exponential_and_zero_for_non_positive():
    rel = np.array([3.0, 1.0, 0.0, -1.0, np.nan])
    assert positions.gains(rel, "linear").tolist() == [3.0, 1.0, 0.0, 0.0, 0.0]
    assert positions.gains(rel, "exponential").tolist() == [7.0, 1.0, 0.0, 0.0, 0.0]


def _brute(scores: list[float], rel: list[int]) -> dict[str, np.ndarray]:
    """Per position, the mean over every order of tied items of: relevant, rel*precision@p, first relevant."""
    n = len(scores)
    groups = [list(g) for _, g in itertools.groupby(range(n), key=lambda i: scores[i])]
    out = {"relevant": np.zeros(n), "ap": np.zeros(n), "first": np.zeros(n)}
    orders = list(itertools.product(*(itertools.permutations(g) for g in groups)))
    for order in orders:
        seq = [rel[i] for g in order for i in g]
        seen = 0
        for p, r in enumerate(seq):
            if r:
                out["relevant"][p] += 1
                out["ap"][p] += (seen + 1) / (p + 1)
                out["first"][p] += seen == 0
                seen += 1
    return {k: v / len(orders) for k, v in out.items()}


def _dense(terms: positions.Terms, n: int) -> np.ndarray:
    out = np.zeros(n)
    out[terms.at] = terms.value
    return out


@pytest.mark.parametrize("scores,rel", [
    ([0.9, 0.5, 0.5, 0.5, 0.2, 0.2], [0, 1, 0, 1, 1, 0]),
    ([1.0, 1.0, 1.0, 1.0], [1, 0, 1, 1]),
    ([0.3, 0.2, 0.1], [0, 1, 1]),
])
def test_tie_averaged_summands_are_the_mean_over_every_order(scores, rel):
    items = [f"d{i}" for i in range(len(scores))]
    rankings = rk.from_tables({"query_id": ["q"] * len(items), "item_id": items, "score": scores},
                              {"query_id": ["q"] * len(items), "item_id": items, "relevance": rel})
    order = [int(s[1:]) for s in rankings.item_ids.tolist()]                # the run's rank order
    pos = positions.Positions(rankings, 1, "average")
    want = _brute([scores[i] for i in order], [rel[i] for i in order])
    n = len(scores)
    assert np.allclose(_dense(pos.relevant, n), want["relevant"])
    assert np.allclose(_dense(pos.ap_terms, n), want["ap"])
    assert np.allclose(_dense(pos.first_relevant, n), want["first"])
    assert pos.relevant_count.tolist() == [float(sum(rel))]


# -- queries ---------------------------------------------------------------------------------

def _per_query(ids: list[str], values: list[float]) -> PerQuery:
    counts = QueryCounts(len(ids), len(ids), 0, 0, 0, 0, 0)
    return PerQuery(rk.Measure("ap"), np.array(ids), np.array(values, dtype=float), counts)


def test_the_query_comparison_counts_and_lists_the_worst():
    rng = np.random.default_rng(0)
    ids = [f"q{i:02d}" for i in range(40)]
    cand = rng.random(40).round(1)
    base = rng.random(40).round(1)
    out = queries.comparison(rk.Measure("ap"), _per_query(ids, cand.tolist()),
                             _per_query(ids[5:] + ["extra"], base[5:].tolist() + [0.5]))
    delta = cand[5:] - base[5:]
    assert (out.improved, out.regressed, out.tied) == ((delta > 0).sum(), (delta < 0).sum(), (delta == 0).sum())
    worst = sorted((d, q) for d, q in zip(delta, ids[5:]) if d < 0)[:queries.WORST_QUERIES]
    assert [(w.delta, w.query_id) for w in out.worst] == [(float(d), q) for d, q in worst]
    assert sum(out.histogram_counts) == 35 and len(out.histogram_counts) == queries.BINS
    edges = out.histogram_edges
    assert edges[0] == -edges[-1] == -float(np.abs(delta).max()) and edges[queries.BINS // 2] == 0.0


def test_all_tied_queries_have_a_unit_histogram_and_no_worst():
    out = queries.comparison(rk.Measure("ap"), _per_query(["a", "b"], [0.5, 0.2]), _per_query(["a", "b"], [0.5, 0.2]))
    assert (out.improved, out.regressed, out.tied, out.worst) == (0, 0, 2, ())
    assert (out.histogram_edges[0], out.histogram_edges[-1]) == (-1.0, 1.0)
    assert queries.histogram(np.zeros(0)) == ((), ())


# -- policy ----------------------------------------------------------------------------------

def test_qrels_paths_resolve_beside_the_policy_file():
    assert policy.resolve_beside("j.tsv", "conf/p.yml") == str(Path("conf") / "j.tsv")
    assert policy.resolve_beside("/abs/j.tsv", "conf/p.yml") == "/abs/j.tsv"
    assert policy.resolve_beside("j.tsv", "<policy>") == "j.tsv"             # a mapping: the working directory


@pytest.mark.parametrize("section,where", [
    ({"stratify": True}, "bootstrap.stratify"), ({"adaptive": True}, "bootstrap.adaptive"),
    ({"sampling": "stratified"}, "bootstrap.sampling"),
])
def test_bootstrap_options_without_meaning_for_queries_are_refused(section, where):
    with pytest.raises(PolicyError) as err:
        policy.check_bootstrap({"bootstrap": section}, "p.yml")
    assert err.value.where == where
    policy.check_bootstrap({"bootstrap": {"stratify": False, "adaptive": False, "sampling": "iid"}}, "p.yml")


def test_ranking_fields_in_a_classification_document_are_refused():
    with pytest.raises(PolicyError) as err:
        policy.check_classification_doc({"data": {"qrels": "j"}, "gates": []}, "p.yml")
    assert err.value.where == "data.qrels"
    with pytest.raises(PolicyError) as err:
        policy.check_classification_doc({"gates": [{"metric": "recall"}, {"metric": "ap", "k": 3}]}, "p.yml")
    assert err.value.where == "gates[1].k"
