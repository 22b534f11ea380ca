"""Per-query ranking measures equal trec_eval's (through pytrec_eval) and scikit-learn's tie-averaged nDCG.

Reference: ``pytrec_eval`` (PyPI ``pytrec-eval-terrier``, which bundles trec_eval itself); the tests that
need it skip when it is not installed. Random cases (seeded) mix: heavy ties (integer scores), graded
relevance 0..3 with negative judgements, unjudged retrieved items, judged items never retrieved, queries
with no relevant item, judged queries missing from the run, run-only queries, one-item queries, item ids
whose text order differs from their numeric order (``d9`` > ``d10``), and cutoffs from 1 to more than the
list length; half of them hand the rows over shuffled. Compared, per query: 160 random runs (10 queries
each) x 46 measures x relevance thresholds 1 and 2 (about 117,000 values), the same runs with
``missing_queries: zero`` against trec_eval -c (about 31,000) and with ``empty_queries: skip|error``,
30 of them written as TREC files. ``ties: average`` is checked against the mean of trec_eval's values
over every order of the tied items (60 runs, about 8,000 values), and its nDCG against
``sklearn.metrics.ndcg_score`` (150 dense cases, about 5,600 values). Values match to 1e-12 (ties:
trec AP, P, recall, RR, hit rate and R-precision bit for bit; average ties to 1e-10).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import gate.ranking as rk
from gate.errors import InputError, PolicyError
from gate.ranking import runs, segments
from tests.ranking_reference import make_case, references

N_CASES = 160
KS = (1, 2, 3, 5, 10, 40)
TOL = 1e-12


@pytest.fixture(scope="module")
def pytrec_eval():
    return pytest.importorskip("pytrec_eval", reason="pytrec_eval (pip install pytrec-eval-terrier) not installed")


# ---------------------------------------------------------------------------------------------
# random cases: run and qrels as pytrec_eval's dicts {qid: {docid: score | rel}}


CASES = [make_case(s) for s in range(N_CASES)]


def to_rankings(run: dict, qrels: dict) -> rk.Rankings:
    """Long tables from the dicts: rows grouped by query, or shuffled when the run has an odd number of
    rows (both orders must give the same values)."""
    rows = [(q, d, s) for q, docs in run.items() for d, s in docs.items()]
    judged = [(q, d, r) for q, docs in qrels.items() for d, r in docs.items()]
    if len(rows) % 2:
        rng = np.random.default_rng(len(rows))
        rows, judged = [rows[i] for i in rng.permutation(len(rows))], [judged[i] for i in rng.permutation(len(judged))]
    rq, ri, rs = zip(*rows) if rows else ((), (), ())
    jq, ji, jr = zip(*judged)
    return rk.from_tables({"query_id": list(rq), "item_id": list(ri), "score": list(rs)},
                          {"query_id": list(jq), "item_id": list(ji), "relevance": list(jr)})


def ours_all(run: dict, qrels: dict, measures: list[rk.Measure], **options) -> list[dict[str, float]]:
    """Our per-query values of every measure, {query: value} each (one Rankings, one per_query call)."""
    results = rk.per_query(to_rankings(run, qrels), measures, rk.RankingOptions(**options))
    return [dict(zip(r.query_ids.tolist(), r.values.tolist())) for r in results]


def ours(run: dict, qrels: dict, measure: rk.Measure, **options) -> dict[str, float]:
    return ours_all(run, qrels, [measure], **options)[0]


def reference(pytrec_eval, run: dict, qrels: dict, m: rk.Measure, threshold: int = 1) -> dict[str, float]:
    return references(pytrec_eval, run, qrels, [m], threshold)[0]


def all_measures(ks=KS) -> list[rk.Measure]:
    out = [rk.Measure(n) for n in rk.MEASURES]
    out += [rk.Measure(n, k=k) for n in rk.MEASURES if n != "r_precision" for k in ks]
    return out + [rk.Measure("ndcg", k=k, gain="exponential") for k in (None, 3, 10)]


def assert_same(got: dict, want: dict, label: str, tol: float = TOL) -> None:
    assert sorted(got) == sorted(want), label
    g = np.array([got[q] for q in sorted(want)])
    w = np.array([want[q] for q in sorted(want)])
    np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=label)


# ---------------------------------------------------------------------------------------------
# trec_eval equality


@pytest.mark.parametrize("threshold", [1, 2])
def test_defaults_equal_trec_eval(pytrec_eval, threshold):
    compared = 0
    measures = all_measures()
    for seed, (run, qrels) in enumerate(CASES):
        got = ours_all(run, qrels, measures, relevance_threshold=threshold)
        for m, g, want in zip(measures, got, references(pytrec_eval, run, qrels, measures, threshold)):
            assert_same(g, want, f"case {seed} {m.label}")
            compared += len(want)
    assert compared >= 50_000


def test_trec_ties_are_bit_identical_for_count_measures(pytrec_eval):
    """AP, P, recall, RR, hit rate and R-precision add the same doubles in trec_eval's order: equal bits."""
    measures = [m for m in all_measures(ks=(1, 5, 40)) if m.name != "ndcg"]
    for run, qrels in CASES[:40]:
        for m, got, want in zip(measures, ours_all(run, qrels, measures), references(pytrec_eval, run, qrels, measures)):
            assert [got[q] for q in sorted(want)] == [want[q] for q in sorted(want)], m.label


def test_missing_queries_zero_is_trec_eval_c(pytrec_eval):
    """trec_eval -c scores judged queries the run did not answer 0; pytrec_eval has no -c, so its values
    are completed with zeros for those queries."""
    compared = 0
    measures = all_measures(ks=(1, 5))
    for seed, (run, qrels) in enumerate(CASES):
        missing = {q: 0.0 for q in set(qrels) - set(run)}
        got = ours_all(run, qrels, measures, missing_queries="zero")
        for m, g, want in zip(measures, got, references(pytrec_eval, run, qrels, measures)):
            assert_same(g, want | missing, f"case {seed} {m.label}")
            compared += len(want | missing)
    assert compared >= 30_000


def test_empty_queries_skip_and_error(pytrec_eval):
    compared = 0
    measures = all_measures(ks=(3,))
    for seed, (run, qrels) in enumerate(CASES):
        has_target = {q for q, docs in qrels.items() if any(r >= 1 for r in docs.values())}  # R > 0, a gain > 0
        got = ours_all(run, qrels, measures, empty_queries="skip")
        for m, g, want in zip(measures, got, references(pytrec_eval, run, qrels, measures)):
            assert_same(g, {q: v for q, v in want.items() if q in has_target}, f"case {seed} {m.label}")
            if set(want) - has_target:
                with pytest.raises(InputError, match="judged queries have no"):
                    ours(run, qrels, m, empty_queries="error")
                compared += 1
    assert compared >= 1_000


def test_ndcg_with_threshold_two_keeps_grade_one_gains(pytrec_eval):
    """A query whose judgements are all grade 1 has R = 0 at threshold 2 but a positive ideal DCG: trec_eval
    gives it a real nDCG, so it is not an empty query for ndcg."""
    run = {"q": {"a": 3.0, "b": 2.0}}
    qrels = {"q": {"a": 0, "b": 1}}
    for m in (rk.Measure("ndcg"), rk.Measure("ndcg", k=1), rk.Measure("ap")):
        want = reference(pytrec_eval, run, qrels, m, threshold=2)
        assert ours(run, qrels, m, relevance_threshold=2, empty_queries="skip") == (
            want if m.name == "ndcg" else {})
    assert ours(run, qrels, rk.Measure("ndcg"), relevance_threshold=2)["q"] == pytest.approx(1 / math.log2(3))


def test_counts_of_skipped_and_zeroed_queries():
    run = {"ok": {"a": 1.0}, "empty": {"a": 1.0}, "only_run": {"a": 1.0}}
    qrels = {"ok": {"a": 1}, "empty": {"a": 0}, "missing": {"a": 2}, "missing_empty": {"a": 0}}
    rankings = to_rankings(run, qrels)
    (default,) = rk.per_query(rankings, [rk.Measure("ap")])
    assert default.query_ids.tolist() == ["empty", "ok"] and default.values.tolist() == [0.0, 1.0]
    assert default.counts == rk.QueryCounts(judged=4, scored=2, empty_zeroed=1, empty_skipped=0,
                                            missing_zeroed=0, missing_skipped=2, run_only=1)
    (both,) = rk.per_query(rankings, [rk.Measure("ap")], rk.RankingOptions(empty_queries="skip",
                                                                             missing_queries="zero"))
    assert both.query_ids.tolist() == ["missing", "ok"] and both.values.tolist() == [0.0, 1.0]
    assert both.counts == rk.QueryCounts(judged=4, scored=2, empty_zeroed=0, empty_skipped=2,
                                         missing_zeroed=1, missing_skipped=0, run_only=1)
    assert default.mean == 0.5


# ---------------------------------------------------------------------------------------------
# ties: average


def tie_orders(docs: dict) -> list[list[str]]:
    """Every order of ``docs`` by score descending, tied items in every permutation."""
    groups = [[d for d in docs if docs[d] == s] for s in sorted(set(docs.values()), reverse=True)]
    return [list(itertools.chain(*p)) for p in itertools.product(*(itertools.permutations(g) for g in groups))]


def test_average_ties_equal_the_mean_over_tie_orders(pytrec_eval):
    """Each query's value under ``ties: average`` is trec_eval's value averaged over all orders of its tied
    items (every order made explicit with distinct scores)."""
    compared = 0
    for seed in range(60):
        run, qrels = make_case(1000 + 2 * seed + 1, n_queries=6, max_items=6)   # integer scores: heavy ties
        expanded_run, expanded_qrels, of = {}, {}, {}
        for q, docs in run.items():
            for t, order in enumerate(tie_orders(docs)):
                key = f"{q}#{t}"
                expanded_run[key] = {d: float(len(order) - i) for i, d in enumerate(order)}
                of[key] = q
                if q in qrels:
                    expanded_qrels[key] = qrels[q]
        for q in set(qrels) - set(run):
            expanded_qrels[q] = qrels[q]
        measures = all_measures(ks=(1, 2, 3))
        got = ours_all(run, qrels, measures, ties="average")
        for m, g, per_order in zip(measures, got, references(pytrec_eval, expanded_run, expanded_qrels, measures)):
            want = {q: float(np.mean([v for key, v in per_order.items() if of[key] == q]))
                    for q in {of[key] for key in per_order}}
            assert_same(g, want, f"case {seed} {m.label}", tol=1e-10)
            compared += len(want)
    assert compared >= 8_000


def test_average_ties_ndcg_equals_sklearn():
    """Dense queries (every retrieved item judged, every judged item retrieved): scikit-learn's ideal DCG
    comes from the y_true it is given, which then equals the judgements'."""
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(7)
    compared = 0
    for case in range(150):
        n_items = int(rng.integers(2, 30))
        n_queries = int(rng.integers(1, 8))
        y_true = rng.integers(0, 4, (n_queries, n_items)) * (rng.random((n_queries, n_items)) < 0.5)
        y_score = rng.integers(0, [2, 4, 10, 1000][case % 4], (n_queries, n_items)).astype(float)
        run = {f"q{i}": {f"d{j}": y_score[i, j] for j in range(n_items)} for i in range(n_queries)}
        qrels = {f"q{i}": {f"d{j}": int(y_true[i, j]) for j in range(n_items)} for i in range(n_queries)}
        for k, gain in itertools.product((None, 1, 3, 10, 50), ("linear", "exponential")):
            truth = y_true if gain == "linear" else 2.0 ** y_true - 1
            want = {f"q{i}": metrics.ndcg_score(truth[i:i + 1], y_score[i:i + 1], k=k) for i in range(n_queries)}
            got = ours(run, qrels, rk.Measure("ndcg", k=k, gain=gain), ties="average")
            assert_same(got, want, f"case {case} k={k} {gain}", tol=1e-12)
            compared += len(want)
    assert compared >= 5_000


def test_average_and_trec_agree_without_ties():
    run, qrels = make_case(4, n_queries=30)              # even seed: scores rounded to 0.1, some ties
    run = {q: {d: s + 1e-6 * i for i, (d, s) in enumerate(docs.items())} for q, docs in run.items()}
    for m in all_measures(ks=(2, 5)):
        a, b = ours(run, qrels, m, ties="average"), ours(run, qrels, m)
        assert_same(a, b, m.label, tol=1e-12)


# ---------------------------------------------------------------------------------------------
# inputs: tables, TREC files, ordering


def write_trec(tmp_path, run: dict, qrels: dict, rng) -> tuple:
    lines = [f"{q} Q0 {d} {int(rng.integers(1, 99))} {s!r} tag" for q, docs in run.items() for d, s in docs.items()]
    order = rng.permutation(len(lines))
    run_path, qrels_path = tmp_path / "run.txt", tmp_path / "qrels.txt"
    run_path.write_text("# a comment\n\n" + "\n".join(lines[i] for i in order) + "\n")
    qrels_path.write_text("\n".join(f"{q}\t0\t{d}\t{r}" for q, docs in qrels.items() for d, r in docs.items()))
    return run_path, qrels_path


def test_trec_files_equal_tables_and_trec_eval(pytrec_eval, tmp_path):
    """The rank column is ignored (random ranks, shuffled lines): files give the tables' values."""
    rng = np.random.default_rng(3)
    compared = 0
    for seed, (run, qrels) in enumerate(CASES[:30]):
        run_path, qrels_path = write_trec(tmp_path, run, qrels, rng)
        from_files = rk.from_trec(run_path, qrels_path)
        measures = all_measures(ks=(1, 5))
        for m, got, want in zip(measures, rk.per_query(from_files, measures), references(pytrec_eval, run, qrels, measures)):
            assert_same(dict(zip(got.query_ids.tolist(), got.values.tolist())), want, f"case {seed} {m.label}")
            compared += len(want)
    assert compared >= 5_000


def test_rankings_structure():
    run = {"q2": {"d9": 1.0, "d10": 1.0, "x": 2.0}, "q1": {"a": 0.5}, "q3": {"z": 1.0}}
    qrels = {"q1": {"a": 1, "b": 3}, "q2": {"d10": 2, "y": -1}, "q4": {"c": 1}}
    r = to_rankings(run, qrels)
    assert r.query_ids.tolist() == ["q1", "q2", "q4"]
    assert r.offsets.tolist() == [0, 1, 4, 4]
    assert r.item_ids.tolist() == ["a", "x", "d9", "d10"]      # score desc, then item id desc as text
    assert r.scores.tolist() == [0.5, 2.0, 1.0, 1.0]
    assert np.array_equal(r.relevance, [1.0, np.nan, np.nan, 2.0], equal_nan=True)
    assert r.judged_offsets.tolist() == [0, 2, 4, 5]
    assert r.judged_relevance.tolist() == [3.0, 1.0, 2.0, -1.0, 1.0]
    assert r.run_only_queries == 1 and r.unjudged_retrieved == 2
    with pytest.raises(ValueError):
        r.scores[0] = 9.0


def test_integer_ids_rank_ties_by_their_text():
    """Integer item ids: at equal score trec_eval compares docids as text, so 9 ranks above 10."""
    r = rk.from_tables({"query_id": [7, 7, 7], "item_id": [10, 9, 100], "score": [1.0, 1.0, 1.0]},
                       {"query_id": [7], "item_id": [10], "relevance": [1]})
    assert r.query_ids.tolist() == [7] and r.item_ids.tolist() == [9, 100, 10]
    (rr,) = rk.per_query(r, [rk.Measure("reciprocal_rank")])
    assert rr.values.tolist() == [1 / 3]


def test_key_collisions_fall_back_to_exact_matching(monkeypatch, pytrec_eval):
    """Every text id hashed to the same key: the join notices and matches on the ids themselves."""
    monkeypatch.setattr(runs, "item_keys", lambda ids: np.zeros(len(ids), np.uint64))
    measures = all_measures(ks=(3,))
    for seed, (run, qrels) in enumerate(CASES[:20]):
        for m, got, want in zip(measures, ours_all(run, qrels, measures), references(pytrec_eval, run, qrels, measures)):
            assert_same(got, want, f"case {seed} {m.label}")
    with pytest.raises(InputError, match="lists item 'a' twice"):
        rk.from_tables({"query_id": ["q", "q"], "item_id": ["a", "a"], "score": [1.0, 2.0]}, JUDGED)


@pytest.mark.parametrize("keys", ["hashed", "first letter"])
def test_same_item_in_neighbouring_queries_does_not_match(monkeypatch, keys):
    """Sorted by (query, item), q1's last row and q2's first row hold the same item: not a match."""
    if keys == "first letter":                                   # a known key order: x before y in q2
        monkeypatch.setattr(runs, "item_keys", lambda ids: np.array([ord(v[0]) for v in ids], np.uint64))
    r = to_rankings({"q2": {"x": 5.0}}, {"q1": {"x": 1}, "q2": {"y": 1}})
    assert np.isnan(r.relevance).tolist() == [True]
    (ap,) = rk.per_query(r, [rk.Measure("ap")], rk.RankingOptions(missing_queries="zero"))
    assert ap.values.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("cells", [segments.CELLS_PER_BLOCK, 7])
def test_skewed_list_lengths_sort_in_buckets(monkeypatch, cells):
    """Lists of very different lengths (padding buckets, small blocks) rank exactly as a plain sort."""
    monkeypatch.setattr(segments, "CELLS_PER_BLOCK", cells)
    rng = np.random.default_rng(11)
    lengths = np.concatenate(([300, 1, 0, 2], rng.integers(1, 40, 50)))
    queries = np.repeat(np.arange(len(lengths)), lengths)
    scores = rng.integers(0, 5, len(queries)).astype(float)
    items = np.array([f"i{j}" for j in rng.permutation(len(queries))])
    shuffle = rng.permutation(len(queries))
    r = rk.from_arrays(queries[shuffle], items[shuffle], scores[shuffle], np.arange(len(lengths)),
                       np.full(len(lengths), "i0"), np.ones(len(lengths)))
    by_item = sorted(zip(queries.tolist(), scores.tolist(), items.tolist()), key=lambda w: w[2], reverse=True)
    want = sorted(by_item, key=lambda w: (w[0], -w[1]))               # stable: item descending at ties
    assert r.item_ids.tolist() == [w[2] for w in want]
    assert r.lengths.tolist() == lengths.tolist()


# ---------------------------------------------------------------------------------------------
# input errors: one line naming the file, the line (or row) and the fix


RUN_OK = "q1 Q0 d1 1 0.5 tag\n"
QRELS_OK = "q1 0 d1 1\n"


@pytest.mark.parametrize("run_text, qrels_text, where, problem", [
    (RUN_OK + "q1 Q0 d2 2 0.4\n", QRELS_OK, ("run", "line 2"), "5 fields, expected 6"),
    (RUN_OK + "q1 Q0 d2 2 0.4 tag extra\n", QRELS_OK, ("run", "line 2"), "7 fields, expected 6"),
    (RUN_OK, "q1 0 d1\n", ("qrels", "line 1"), "3 fields, expected 4"),
    (RUN_OK + "q1 Q0 d2 2 high tag\n", QRELS_OK, ("run", "line 2"), "score 'high' is not a decimal number"),
    (RUN_OK + "q1 Q0 d2 2 \u0663.5 tag\n", QRELS_OK, ("run", "line 2"), "not a decimal number"),
    (RUN_OK + "q1 Q0 d2 2 nan tag\n", QRELS_OK, ("run", "line 2"), "'nan' is not a decimal number"),
    (RUN_OK + "q1 Q0 d2 2 -inf tag\n", QRELS_OK, ("run", "line 2"), "'-inf' is not"),
    (RUN_OK + "q1 Q0 d2 2 1e999 tag\n", QRELS_OK, ("run", "line 2"), "'1e999' is not"),
    (RUN_OK + "q1 Q0 d2 2 1_0 tag\n", QRELS_OK, ("run", "line 2"), "'1_0' is not"),
    (RUN_OK, QRELS_OK + "q1 0 d2 1.5\n", ("qrels", "line 2"), "relevance '1.5' is not an integer"),
    (RUN_OK, QRELS_OK + "q1 0 d2 \uff11\n", ("qrels", "line 2"), "is not an integer"),
    (RUN_OK, QRELS_OK + "q1 0 d2 99999999999999999999\n", ("qrels", "line 2"), "is not an integer"),
    ("# c\n" + RUN_OK + "q1 Q0 d1 2 0.4 tag\n", QRELS_OK, ("run", "line 3"), "lists item 'd1' twice (also at line 2)"),
    (RUN_OK, QRELS_OK + "\nq1 0 d1 0\n", ("qrels", "line 3"), "lists item 'd1' twice (also at line 1)"),
    (RUN_OK + "q1 Q0 d\x002 2 0.4 tag\n", QRELS_OK, ("run", "line 2"), "NUL byte"),
    (RUN_OK + "q1 Q0 " + "d" * 5000 + " 2 0.4 tag\n", QRELS_OK, ("run", "line 2"), "docid is longer than 4096 bytes"),
])
def test_trec_parse_errors(tmp_path, run_text, qrels_text, where, problem):
    paths = {"run": tmp_path / "run.txt", "qrels": tmp_path / "qrels.txt"}
    paths["run"].write_text(run_text, encoding="utf-8")
    paths["qrels"].write_text(qrels_text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        rk.from_trec(paths["run"], paths["qrels"])
    message = info.value.message
    assert message.startswith(f"{paths[where[0]]}: {where[1]}: ") and problem in message, message
    assert info.value.fix and "\n" not in message


def test_trec_crlf_tabs_and_comments(tmp_path):
    run, qrels = tmp_path / "run", tmp_path / "qrels"
    run.write_bytes(b"# run\r\nq1\tQ0\td1\t1\t0.5\ttag\r\n   \r\n  q1 Q0 d2 2 0.25 tag  \r\n#q1 Q0 d3 3 9 tag\r\n")
    qrels.write_bytes(b"q1 0 d2 1\r\nq1 0 d9 -1")                       # no final newline
    r = rk.from_trec(run, qrels)
    assert r.item_ids.tolist() == ["d1", "d2"] and r.scores.tolist() == [0.5, 0.25]
    assert np.array_equal(r.relevance, [np.nan, 1.0], equal_nan=True)
    assert r.judged_relevance.tolist() == [1.0, -1.0]
    (ap,) = rk.per_query(r, [rk.Measure("ap")])
    assert ap.values.tolist() == [0.5]


def test_trec_not_utf8(tmp_path):
    run, qrels = tmp_path / "run", tmp_path / "qrels"
    run.write_bytes(RUN_OK.encode() + b"q1 Q0 d\xff 2 0.4 tag\n")
    qrels.write_text(QRELS_OK)
    with pytest.raises(InputError, match=r"run: line 2: docid is not UTF-8"):
        rk.from_trec(run, qrels)


def test_trec_unicode_ids_and_missing_file(tmp_path):
    run, qrels = tmp_path / "run", tmp_path / "qrels"
    run.write_text("q\u00e9 Q0 \u00e9t\u00e9 1 2 t\nq\u00e9 Q0 ete 2 2 t\n", encoding="utf-8")
    qrels.write_text("q\u00e9 0 ete 1\n", encoding="utf-8")
    r = rk.from_trec(run, qrels)
    assert r.item_ids.tolist() == ["\u00e9t\u00e9", "ete"]          # U+00E9 > 'e': ranks first at a tie
    with pytest.raises(InputError, match="cannot be read"):
        rk.from_trec(tmp_path / "absent", qrels)


JUDGED = {"query_id": ["q"], "item_id": ["a"], "relevance": [1]}


@pytest.mark.parametrize("run, problem, where", [
    ({"query_id": ["q", "q"], "item_id": ["a", "b"], "score": [1.0, float("nan")]}, "'score' is nan", "row 2"),
    ({"query_id": ["q", "q"], "item_id": ["a", "b"], "score": [1.0, "2"]}, "is '2', not a number", "row 2"),
    ({"query_id": ["q", "q"], "item_id": ["a", "b"], "score": [1.0, True]}, "True, not a number", "row 2"),
    ({"query_id": ["q", "q"], "item_id": ["a", 3], "score": [1.0, 2.0]}, "'item_id' is 3, not an id", "row 2"),
    ({"query_id": ["q", "q"], "item_id": [7, True], "score": [1.0, 2.0]}, "'item_id' is True, not an id", "row 2"),
    ({"query_id": ["q"] * 3, "item_id": [np.int64(7), 8, np.bool_(False)], "score": [1.0, 2.0, 3.0]},
     "'item_id' is np.False_, not an id", "row 3"),
    ({"query_id": ["q"] * 3, "item_id": ["a", "b", "c"], "score": [1, np.float32(2), np.bool_(True)]},
     "is np.True_, not a number", "row 3"),
    ({"query_id": ["q", None], "item_id": ["a", "b"], "score": [1.0, 2.0]}, "is None, not an id", "row 2"),
    ({"query_id": np.array([1.0, 2.0]), "item_id": ["a", "b"], "score": [1.0, 2.0]}, "float64 values, not ids", None),
    ({"query_id": ["q", "q"], "item_id": ["a", "a"], "score": [1.0, 2.0]}, "lists item 'a' twice (also at row 1)",
     "row 2"),
    ({"query_id": ["q"] * 4, "item_id": ["a", "b", "a", "a"], "score": [1.0, 2.0, 3.0, 1.0]},
     "lists item 'a' twice (also at row 1)", "row 3"),                   # judged too: a run of 4 rows
    ({"query_id": ["q"], "item_id": ["a", "b"], "score": [1.0, 2.0]}, "different lengths", None),
    ({"query_id": ["q"], "doc": ["a"], "score": [1.0]}, "has no column 'item_id' (columns: 'query_id', 'doc',", None),
    ({"query_id": [1], "item_id": ["a"], "score": [1.0]}, "query ids are integers but the judgements' are text",
     None),
])
def test_table_errors(run, problem, where):
    with pytest.raises(InputError) as info:
        rk.from_tables(run, JUDGED)
    assert problem in info.value.message and info.value.where == where and info.value.fix
    assert info.value.source == "run"


def test_table_errors_in_judgements_and_custom_columns():
    run = {"qid": np.array(["q", "q"]), "doc": np.array(["a", "b"]), "s": np.array([1.0, 2.0])}
    judged = {"qid": ["q", "q"], "doc": ["b", "b"], "grade": [1, 0]}
    with pytest.raises(InputError, match=r"^qrels.csv: row 2: query 'q' lists item 'b' twice \(also at row 1\)"):
        rk.from_tables(run, judged, run_columns=("qid", "doc", "s"), judgement_columns=("qid", "doc", "grade"),
                       judgements_source="qrels.csv")
    judged["doc"] = ["b", "c"]
    r = rk.from_tables(run, judged, run_columns=("qid", "doc", "s"), judgement_columns=("qid", "doc", "grade"))
    assert r.item_ids.tolist() == ["b", "a"] and r.relevance[0] == 1.0
    with pytest.raises(InputError, match="has no judgements"):
        rk.from_tables(run, {"qid": [], "doc": [], "grade": []}, run_columns=("qid", "doc", "s"),
                       judgement_columns=("qid", "doc", "grade"))


def test_empty_run_scores_zero_when_asked():
    r = rk.from_tables({"query_id": [], "item_id": [], "score": []}, JUDGED)
    (ap,) = rk.per_query(r, [rk.Measure("ap")], rk.RankingOptions(missing_queries="zero"))
    assert ap.query_ids.tolist() == ["q"] and ap.values.tolist() == [0.0]
    (ap,) = rk.per_query(r, [rk.Measure("ap")])
    assert len(ap.values) == 0 and math.isnan(ap.mean) and ap.counts.missing_skipped == 1


@pytest.mark.parametrize("make, where", [
    (lambda: rk.Measure("mrr"), "measure"),
    (lambda: rk.Measure("ap", k=0), "ap k"),
    (lambda: rk.Measure("ap", k=2.5), "ap k"),
    (lambda: rk.Measure("r_precision", k=3), "r_precision k"),
    (lambda: rk.Measure("ap", gain="exponential"), "ap gain"),
    (lambda: rk.Measure("ndcg", gain="log"), "gain"),
    (lambda: rk.RankingOptions(relevance_threshold=0), "relevance_threshold"),
    (lambda: rk.RankingOptions(ties="random"), "ties"),
    (lambda: rk.RankingOptions(empty_queries="drop"), "empty_queries"),
    (lambda: rk.RankingOptions(missing_queries="error"), "missing_queries"),
])
def test_bad_options(make, where):
    with pytest.raises(PolicyError) as info:
        make()
    assert info.value.where == where and info.value.fix
