"""``task: ranking`` end to end: files or tables → ``gate.check`` / ``model-gate check`` → Report.

References: trec_eval through pytrec_eval (means over queries, with ``-c`` semantics for
``missing_queries: zero`` completed by zeros), and a plain numpy query-resampling bootstrap of
pytrec_eval's per-query values for the intervals (agreement within Monte-Carlo error).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gate
import gate.ranking as rk
from gate.errors import InputError, UsageError
from gate.render.notes import text as note_text
from tests.ranking_reference import make_case, references, write_qrels, write_run

MEASURES = [rk.Measure("ap"), rk.Measure("ap", 5), rk.Measure("ndcg"), rk.Measure("ndcg", 10),
            rk.Measure("ndcg", 50), rk.Measure("precision", 5), rk.Measure("precision", 50), rk.Measure("recall", 10),
            rk.Measure("reciprocal_rank"), rk.Measure("hit_rate", 3), rk.Measure("r_precision")]


@pytest.fixture(scope="module")
def pytrec_eval():
    return pytest.importorskip("pytrec_eval", reason="pytrec_eval (pip install pytrec-eval-terrier) not installed")


def policy(gates: list[dict], **extra) -> dict:
    return {"version": 1, "name": "ranking test", "task": "ranking", "bootstrap": {"resamples": 200, "seed": 1},
            "gates": gates, **extra}


def gates_of(measures: list[rk.Measure], bar: str = "min", value: float = 0.0) -> list[dict]:
    return [{"metric": m.name, **({"k": m.k} if m.k else {}), bar: value} for m in measures]


def trec_files(tmp_path: Path, run: dict, qrels: dict, name: str = "run.txt") -> tuple[Path, Path]:
    write_run(tmp_path / name, run)
    write_qrels(tmp_path / "qrels.txt", qrels)
    return tmp_path / name, tmp_path / "qrels.txt"


def expected_means(pytrec_eval, run: dict, qrels: dict, missing: str) -> list[tuple[float, int]]:
    """trec_eval's mean of each measure and the number of queries averaged: the queries in both run
    and qrels, plus (``zero``) the judged queries the run lacks, scored 0 as trec_eval -c does."""
    out = []
    for values in references(pytrec_eval, run, qrels, MEASURES):
        if missing == "zero":
            values = values | {q: 0.0 for q in set(qrels) - set(run)}
        out.append((float(np.mean(list(values.values()))), len(values)))
    return out


# ---------------------------------------------------------------------------------------------
# point values: the report's means are trec_eval's


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("missing", ["zero", "skip"])
def test_means_equal_trec_eval(pytrec_eval, tmp_path: Path, seed: int, missing: str) -> None:
    """Ties (seeds alternate integer and 1-decimal scores), graded and negative judgements, queries with no
    relevant item, judged queries missing from the run, run-only queries, k beyond every list (50)."""
    run, qrels = make_case(1000 + seed, n_queries=40)
    run_path, qrels_path = trec_files(tmp_path, run, qrels)
    report = gate.check(policy(gates_of(MEASURES), ranking={"missing_queries": missing}), str(run_path),
                        qrels=str(qrels_path))
    assert len(set(qrels) - set(run)) > 0 and report.data.task == "ranking"
    for result, (mean, n) in zip(report.gates, expected_means(pytrec_eval, run, qrels, missing)):
        assert result.candidate.value == pytest.approx(mean, abs=1e-12), result.label
        assert result.n == n, result.label


def test_tables_and_inline_relevance_equal_trec_files(tmp_path: Path) -> None:
    """The same run as TREC files, CSV run + CSV judgements, one CSV with an inline relevance column
    (judged-but-not-retrieved rows have an empty score), and in-memory mappings with integer ids."""
    run, qrels = make_case(7, n_queries=30)
    pol = policy(gates_of(MEASURES))
    run_path, qrels_path = trec_files(tmp_path, run, qrels)
    want = [g.candidate.value for g in gate.check(pol, str(run_path), qrels=str(qrels_path)).gates]
    rows = [(q, d, s) for q, docs in run.items() for d, s in docs.items()]
    judged = [(q, d, r) for q, docs in qrels.items() for d, r in docs.items()]
    (tmp_path / "run.csv").write_text("query_id,item_id,score\n" + "".join(f"{q},{d},{s}\n" for q, d, s in rows))
    (tmp_path / "qrels.csv").write_text("query_id,item_id,relevance\n" + "".join(f"{q},{d},{r}\n" for q, d, r in judged))
    relevance = {(q, d): r for q, d, r in judged}
    inline = [f"{q},{d},{s},{relevance.get((q, d), '')}\n" for q, d, s in rows]
    inline += [f"{q},{d},,{r}\n" for q, d, r in judged if d not in run.get(q, {})]
    (tmp_path / "inline.csv").write_text("query_id,item_id,score,relevance\n" + "".join(inline))
    numeric = {"query_id": [int(q[1:]) for q, _, _ in rows], "item_id": [int(d[1:]) for _, d, _ in rows],
               "score": [s for _, _, s in rows]}
    numeric_qrels = {"query_id": [int(q[1:]) for q, _, _ in judged], "item_id": [int(d[1:]) for _, d, _ in judged],
                     "relevance": [r for _, _, r in judged]}
    for candidate, judgements in ((tmp_path / "run.csv", tmp_path / "qrels.csv"), (tmp_path / "inline.csv", None),
                                  (tmp_path / "run.csv", qrels_path)):
        got = [g.candidate.value for g in gate.check(pol, str(candidate), qrels=judgements and str(judgements)).gates]
        assert got == pytest.approx(want, abs=1e-12), (candidate, judgements)
    # integer ids: trec_eval breaks ties by the docid's text ("d9" > "d10" and "9" > "10" alike)
    got = [g.candidate.value for g in gate.check(pol, numeric, qrels=numeric_qrels).gates]
    assert got == pytest.approx(want, abs=1e-12)


# ---------------------------------------------------------------------------------------------
# intervals: a plain numpy bootstrap over queries of pytrec_eval's per-query values


def two_runs(n_queries: int, seed: int, shift: float = 0.0, drop: int = 0) -> tuple[dict, dict, dict]:
    """A baseline and a candidate on the same judged queries: noisy scores around the relevance
    (the candidate's noise ``shift`` larger); the candidate returns nothing for the last ``drop`` queries."""
    rng = np.random.default_rng(seed)
    qrels, base, cand = {}, {}, {}
    for qi in range(n_queries):
        q = f"q{qi:04d}"
        rel = rng.choice([0, 0, 0, 1, 1, 2], 20)
        qrels[q] = {f"d{j}": int(r) for j, r in enumerate(rel)}
        noise = rng.normal(0, 1.0 + rng.random(), 20)
        base[q] = {f"d{j}": round(float(r + noise[j]), 6) for j, r in enumerate(rel)}
        extra = rng.normal(0, 1.0 + shift, 20) if shift else 0.0
        if qi < n_queries - drop:
            cand[q] = {f"d{j}": round(float(r + noise[j] * 0.9 + extra[j] if shift else r + noise[j] * 0.9), 6)
                       for j, r in enumerate(rel)}
    return cand, base, qrels


def numpy_bootstrap(values: np.ndarray, b: int, seed: int, confidence: float = 0.95) -> tuple[float, float, float]:
    """Percentile interval and SD of the mean of ``values`` (rows: queries; paired columns are differenced
    by the caller) over ``b`` multinomial resamples of the queries."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(values), size=(b, len(values)))
    means = values[idx].mean(axis=1)
    alpha = (1 - confidence) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha)), float(means.std(ddof=1))


def test_intervals_agree_with_a_numpy_query_bootstrap(pytrec_eval, tmp_path: Path) -> None:
    """Paired: the candidate's nDCG@10 interval and the paired delta's, against numpy's multinomial
    query bootstrap of trec_eval's per-query values. Endpoints agree within 4 Monte-Carlo SE of the
    difference of two bootstrap quantiles (≈ 2.67·σ*/√B each), SDs within 8%."""
    cand, base, qrels = two_runs(400, seed=5, shift=0.3)
    cand_path, qrels_path = trec_files(tmp_path, cand, qrels, "cand.txt")
    base_path, _ = trec_files(tmp_path, base, qrels, "base.txt")
    b = 4000
    pol = policy([{"metric": "ndcg", "k": 10, "min": 0.0}, {"metric": "ndcg", "k": 10, "max_drop": 1.0}],
                 bootstrap={"resamples": b, "seed": 3}, decision={"multiple_testing": "none"})
    report = gate.check(pol, str(cand_path), str(base_path), qrels=str(qrels_path))
    (c_ref,), (b_ref,) = (references(pytrec_eval, r, qrels, [rk.Measure("ndcg", 10)]) for r in (cand, base))
    queries = sorted(qrels)
    c_vals, b_vals = np.array([c_ref[q] for q in queries]), np.array([b_ref[q] for q in queries])
    for result, values in ((report.gates[0], c_vals), (report.gates[1], c_vals - b_vals)):
        lo, hi, sd = numpy_bootstrap(values, b, seed=11)
        ours = np.array(result.distribution)
        assert ours.std(ddof=1) == pytest.approx(sd, rel=0.08), result.label
        tol = 4 * np.sqrt(2) * 2.67 * sd / np.sqrt(b)
        nominal = (np.quantile(ours, 0.025), np.quantile(ours, 0.975))
        assert abs(nominal[0] - lo) < tol and abs(nominal[1] - hi) < tol, (result.label, nominal, (lo, hi), tol)
    assert report.data.pairing == "paired"
    # paired: the delta's spread is far below the spread of two independent means
    independent = np.sqrt(c_vals.var() / len(c_vals) + b_vals.var() / len(b_vals))
    assert np.std(report.gates[1].distribution) < 0.6 * independent


def test_disjoint_queries_are_resampled_independently(pytrec_eval, tmp_path: Path) -> None:
    """Canary-style: the two runs answer disjoint halves of the judged queries (missing_queries: skip);
    the delta's bootstrap SD is that of two independent means."""
    cand, base, qrels = two_runs(600, seed=8)
    cand = {q: v for i, (q, v) in enumerate(cand.items()) if i % 2 == 0}
    base = {q: v for i, (q, v) in enumerate(base.items()) if i % 2 == 1}
    cand_path, qrels_path = trec_files(tmp_path, cand, qrels, "cand.txt")
    base_path, _ = trec_files(tmp_path, base, qrels, "base.txt")
    pol = policy([{"metric": "ap", "max_drop": 1.0}], bootstrap={"resamples": 3000, "seed": 2},
                 ranking={"missing_queries": "skip"})
    report = gate.check(pol, str(cand_path), str(base_path), qrels=str(qrels_path))
    (c_ref,), (b_ref,) = (references(pytrec_eval, r, qrels, [rk.Measure("ap")]) for r in (cand, base))
    c_vals, b_vals = np.array(list(c_ref.values())), np.array(list(b_ref.values()))
    sd = np.hypot(numpy_bootstrap(c_vals, 3000, 1)[2], numpy_bootstrap(b_vals, 3000, 2)[2])
    (result,) = report.gates
    assert report.data.pairing == "independent"
    assert result.delta.value == pytest.approx(c_vals.mean() - b_vals.mean(), abs=1e-12)
    assert np.std(result.distribution, ddof=1) == pytest.approx(sd, rel=0.08)


# ---------------------------------------------------------------------------------------------
# decisions


def check_files(tmp_path: Path, cand: dict, base: dict, qrels: dict, gates: list[dict], **extra):
    cand_path, qrels_path = trec_files(tmp_path, cand, qrels, "cand.txt")
    base_path, _ = trec_files(tmp_path, base, qrels, "base.txt")
    return gate.check(policy(gates, **extra), str(cand_path), str(base_path), qrels=str(qrels_path))


def test_a_regression_is_caught_and_an_equal_model_is_not_failed(tmp_path: Path) -> None:
    cand, base, qrels = two_runs(300, seed=1, shift=1.5)
    gates = [{"metric": "ndcg", "k": 10, "max_drop": 0.01}, {"metric": "ap", "max_relative_drop": 0.02}]
    worse = check_files(tmp_path, cand, base, qrels, gates)
    assert [g.status for g in worse.gates] == ["fail", "fail"] and worse.verdict == "fail" and worse.exit_code == 1
    assert worse.gates[0].delta.value < -0.05 and worse.gates[0].delta.ci[1] < -0.01
    # the baseline against itself: every resample's delta is exactly 0, a degenerate distribution that
    # cannot show how uncertain the delta is, so the gates are inconclusive, never a pass on no
    # evidence (docs/validity.md §10); with inconclusive: warn the build passes
    same = check_files(tmp_path, base, base, qrels, gates, decision={"inconclusive": "warn"})
    assert [(g.status, g.reason) for g in same.gates] == [("inconclusive", "degenerate_resamples")] * 2
    assert same.verdict == "pass" and same.exit_code == 0
    assert same.gates[0].delta.value == 0 and same.gates[0].delta.ci == (0.0, 0.0)


def test_dropping_queries_cannot_hide_under_missing_queries_zero(tmp_path: Path) -> None:
    """The candidate equals the baseline but returns nothing for its 15% hardest queries: scored 0 it fails
    the drop bar; with missing_queries: skip the same run would even look better."""
    _, base, qrels = two_runs(300, seed=4)
    per_query = rk.per_query(rk.from_tables(
        {"query_id": [q for q, d in base.items() for _ in d], "item_id": [i for d in base.values() for i in d],
         "score": [s for d in base.values() for s in d.values()]},
        {"query_id": [q for q, d in qrels.items() for _ in d], "item_id": [i for d in qrels.values() for i in d],
         "relevance": [r for d in qrels.values() for r in d.values()]}), [rk.Measure("ap")])[0]
    hardest = set(per_query.query_ids[np.argsort(per_query.values)[:45]].tolist())
    cand = {q: docs for q, docs in base.items() if q not in hardest}
    gates = [{"metric": "ap", "max_drop": 0.02}]
    zero = check_files(tmp_path, cand, base, qrels, gates)
    assert zero.gates[0].status == "fail" and zero.verdict == "fail"
    assert zero.gates[0].n == 300 and any("returned nothing for 45 of 300" in note_text(w) for w in zero.warnings)
    skip = check_files(tmp_path, cand, base, qrels, gates, ranking={"missing_queries": "skip"})
    assert skip.gates[0].status == "pass" and skip.gates[0].delta.value > 0 and skip.gates[0].n == 255


def test_slices_gate_each_query_attribute_value(pytrec_eval, tmp_path: Path) -> None:
    """slice: on a query attribute of the judgements table: one gate per value, each the mean over its queries."""
    cand, base, qrels = two_runs(120, seed=9)
    locale = {q: ("de", "en", "fr")[i % 3] for i, q in enumerate(qrels)}
    lines = [f"{q},{d},{r},{locale[q]}\n" for q, docs in qrels.items() for d, r in docs.items()]
    (tmp_path / "qrels.csv").write_text("query_id,item_id,relevance,locale\n" + "".join(lines))
    write_run(tmp_path / "cand.txt", cand)
    pol = policy([{"metric": "ndcg", "k": 5, "min": 0.1, "slice": "locale"}], data={"slices": ["locale"]})
    report = gate.check(pol, str(tmp_path / "cand.txt"), qrels=str(tmp_path / "qrels.csv"))
    (ref,) = references(pytrec_eval, cand, qrels, [rk.Measure("ndcg", 5)])
    assert [g.slice for g in report.gates] == [{"locale": v} for v in ("de", "en", "fr")]
    assert [g.id for g in report.gates] == ["ndcg@5[locale=de]", "ndcg@5[locale=en]", "ndcg@5[locale=fr]"]
    for g in report.gates:
        values = [v for q, v in ref.items() if locale[q] == g.slice["locale"]]
        assert g.candidate.value == pytest.approx(np.mean(values), abs=1e-12) and g.n == 40
    lines[5] = lines[5].replace(",de\n", ",en\n")
    (tmp_path / "qrels.csv").write_text("query_id,item_id,relevance,locale\n" + "".join(lines))
    with pytest.raises(InputError, match=r"qrels.csv: line 7: query 'q0000' has locale 'en' here but 'de'"):
        gate.check(pol, str(tmp_path / "cand.txt"), qrels=str(tmp_path / "qrels.csv"))


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_methods_and_determinism(tmp_path: Path, method: str) -> None:
    cand, base, qrels = two_runs(150, seed=2, shift=0.2)
    gates = [{"metric": "ndcg", "k": 10, "max_drop": 0.05}, {"metric": "recall", "k": 5, "min": 0.2}]
    extra = {"bootstrap": {"resamples": 500, "seed": 4, "method": method}}
    first = check_files(tmp_path, cand, base, qrels, gates, **extra)
    again = check_files(tmp_path, cand, base, qrels, gates, **extra)
    assert first.to_json() == again.to_json()
    other = check_files(tmp_path, cand, base, qrels, gates, bootstrap={**extra["bootstrap"], "seed": 5})
    assert other.to_json() != first.to_json()
    for g in first.gates:
        lo, hi = g.candidate.ci
        assert lo < g.candidate.value < hi and g.status in ("pass", "fail", "inconclusive")
        assert g.interval_method == method      # the report names the interval that decided it


def test_pairing_paired_and_intersect(tmp_path: Path) -> None:
    cand, base, qrels = two_runs(100, seed=3, drop=10)
    gates = [{"metric": "ap", "max_drop": 0.05}]
    with pytest.raises(InputError, match=r"ap: the runs score different queries \(10 only in one, e.g. 'q0090'\)"):
        check_files(tmp_path, cand, base, qrels, gates, bootstrap={"pairing": "paired", "resamples": 200},
                    ranking={"missing_queries": "skip"})
    report = check_files(tmp_path, cand, base, qrels, gates, bootstrap={"pairing": "intersect", "resamples": 200},
                         ranking={"missing_queries": "skip"})
    assert report.gates[0].n == 90 and report.data.pairing == "paired"


# ---------------------------------------------------------------------------------------------
# the command line and bad input


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gate.cli.main", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_cli_check_with_qrels_writes_every_report(tmp_path: Path) -> None:
    cand, base, qrels = two_runs(80, seed=6, shift=1.5)
    trec_files(tmp_path, cand, qrels, "cand.txt")
    trec_files(tmp_path, base, qrels, "base.txt")
    (tmp_path / "p.yml").write_text(json.dumps(policy([{"metric": "ndcg", "k": 10, "max_drop": 0.01}])))
    done = run_cli("check", "--policy", "p.yml", "--candidate", "cand.txt", "--baseline", "base.txt",
                   "--qrels", "qrels.txt", "--out-dir", "out", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "FAIL" in done.stdout and "ndcg@10" in done.stdout
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["data"]["task"] == "ranking" and report["gates"][0]["status"] == "fail"
    assert [a["role"] for a in report["data"]["artifacts"]] == ["candidate", "baseline", "judgements"]
    assert report["reproducibility"]["command"][-2:] == ["--qrels", "qrels.txt"]
    for name in ("report.md", "junit.xml", "report.html"):
        assert "ndcg@10" in (tmp_path / "out" / name).read_text()


@pytest.mark.parametrize("files,args,expected", [
    ({"run.txt": "q1 Q0 d1 1 0.5 x\n"}, ["--candidate", "run.txt"],
     "model-gate: error: run.txt: is a TREC run file, and no judgements were given (pass --qrels FILE (qrels= in Python) "
     "or set data.qrels in the policy)"),
    ({"run.txt": "q1 Q0 d1 1 0.5 x\n"}, ["--candidate", "run.txt", "--qrels", "nope.txt"],
     "model-gate: error: nope.txt: file not found (check the path)"),
    ({"run.txt": "q1 Q0 d1 1 high x\n", "q.txt": "q1 0 d1 1\n"}, ["--candidate", "run.txt", "--qrels", "q.txt"],
     "model-gate: error: run.txt: line 1: score 'high' is not a decimal number (write a decimal number in ASCII digits "
     "(no NaN or infinity))"),
    ({"run.csv": "query_id,item_id,score\nq1,d1,0.5\nq1,d2,abc\n", "q.txt": "q1 0 d1 1\n"},
     ["--candidate", "run.csv", "--qrels", "q.txt"],
     "model-gate: error: run.csv: line 3: 'score' is 'abc', not a number (give a finite number)"),
    ({"run.csv": "query_id,item_id,score\nq1,d1,0.5\nq1,d2,nan\n", "q.txt": "q1 0 d1 1\n"},
     ["--candidate", "run.csv", "--qrels", "q.txt"],
     "model-gate: error: run.csv: line 3: 'score' is nan (give a finite number (no NaN or infinity))"),
    ({"run.csv": "qid,item_id,score\nq1,d1,0.5\n", "q.txt": "q1 0 d1 1\n"}, ["--candidate", "run.csv", "--qrels", "q.txt"],
     "model-gate: error: run.csv: has no column 'query_id' (columns: 'qid', 'item_id', 'score') (name the query, item, "
     "score and relevance columns in the policy's data:)"),
    ({"run.csv": "query_id,item_id,score\nq1,d1,0.5\n"}, ["--candidate", "run.csv"],
     "model-gate: error: run.csv: has no column 'relevance' (columns: 'query_id', 'item_id', 'score') (name the relevance "
     "column data.relevance, or pass --qrels FILE)"),
    ({"run.csv": "query_id,item_id,score\nq1,d1,0.5\nq1,d1,0.4\n", "q.txt": "q1 0 d1 1\n"},
     ["--candidate", "run.csv", "--qrels", "q.txt"],
     "model-gate: error: run.csv: line 3: query 'q1' lists item 'd1' twice (also at line 2) (keep one row per (query, item))"),
    ({"run.csv": "query_id,item_id,score\n,d1,0.5\n", "q.txt": "q1 0 d1 1\n"},
     ["--candidate", "run.csv", "--qrels", "q.txt"],
     "model-gate: error: run.csv: line 2: 'query_id' is empty (give every row an id)"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, files: dict, args: list, expected: str) -> None:
    (tmp_path / "p.yml").write_text(json.dumps(policy([{"metric": "ap", "min": 0.1}])))
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    done = run_cli("check", "--policy", "p.yml", *args, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == expected


def test_qrels_with_a_classification_policy_is_a_usage_error() -> None:
    pol = {"version": 1, "name": "b", "task": "binary", "positive_class": "1", "gates": [{"metric": "recall", "min": 0.5}]}
    with pytest.raises(UsageError, match="qrels applies only to task: ranking"):
        gate.check(pol, {"id": [1, 2], "label": ["1", "0"], "prediction": ["1", "0"]}, qrels="q.txt")


def test_report_json_reads_back_for_publish(tmp_path: Path) -> None:
    """``model-gate publish`` reads report.json as untrusted data: a ranking report passes its checks and
    renders the same Markdown."""
    from gate.report.model import Report
    cand, base, qrels = two_runs(60, seed=12, shift=0.5)
    report = check_files(tmp_path, cand, base, qrels, [{"metric": "ndcg", "k": 10, "max_drop": 0.02},
                                                       {"metric": "hit_rate", "k": 1, "min": 0.2}])
    back = Report.from_dict(json.loads(report.to_json()))
    assert back.to_json() == report.to_json() and back.to_markdown() == report.to_markdown()


# ---------------------------------------------------------------------------------------------
# the per-query comparison in the report


def test_query_comparison_counts_worst_and_histogram(pytrec_eval, tmp_path: Path) -> None:
    cand, base, qrels = two_runs(200, seed=13, shift=0.8)
    report = check_files(tmp_path, cand, base, qrels, [{"metric": "ndcg", "k": 10, "max_drop": 0.02},
                                                       {"metric": "precision", "k": 3, "min": 0.1}])
    assert [q.measure for q in report.queries] == ["ndcg@10", "precision@3"]
    for q, m in zip(report.queries, (rk.Measure("ndcg", 10), rk.Measure("precision", 3))):
        (c,), (b,) = (references(pytrec_eval, r, qrels, [m]) for r in (cand, base))
        delta = {qid: c[qid] - b[qid] for qid in qrels}
        assert (q.improved, q.regressed, q.tied) == (sum(d > 0 for d in delta.values()), sum(d < 0 for d in delta.values()),
                                                     sum(d == 0 for d in delta.values()))
        want = sorted((d, qid) for qid, d in delta.items() if d < 0)[:10]
        assert [w.query_id for w in q.worst] == [qid for _, qid in want]
        assert [w.delta for w in q.worst] == pytest.approx([d for d, _ in want], abs=1e-12)
        assert sum(q.histogram_counts) == 200 and len(q.histogram_edges) == len(q.histogram_counts) + 1
        assert q.histogram_edges[0] == pytest.approx(-max(abs(d) for d in delta.values()))
    assert report.queries[1].tied > 0
    markdown, html = report.to_markdown(), _html(report)
    assert "Per-query comparison (candidate vs baseline)" in markdown and "Most regressed queries" in html
    worst = report.queries[0].worst[0]
    assert f"| `{worst.query_id}` | {worst.candidate:.3f} | {worst.baseline:.3f} | {worst.delta:+.3f} |" in markdown


def _html(report) -> str:
    from gate.render import html
    return html.render(report, plots=False)


def test_query_ids_are_escaped_in_every_renderer(tmp_path: Path) -> None:
    """Query ids come from the user's files: a hostile one stays inert in Markdown, HTML and the console."""
    from gate.render import console
    hostile = "q<img src=x onerror=alert(1)>|`@here"
    qrels = {hostile: {"a": 1, "b": 0}, "q2": {"a": 1, "b": 1}}
    cand = {hostile: {"a": 0.1, "b": 0.9}, "q2": {"a": 0.5, "b": 0.4}}
    base = {hostile: {"a": 0.9, "b": 0.1}, "q2": {"a": 0.5, "b": 0.4}}
    rows = lambda run: {"query_id": [q for q, d in run.items() for _ in d], "item_id": [i for d in run.values() for i in d],  # noqa: E731
                        "score": [s for d in run.values() for s in d.values()]}
    judged = {"query_id": [q for q, d in qrels.items() for _ in d], "item_id": [i for d in qrels.values() for i in d],
              "relevance": [r for d in qrels.values() for r in d.values()]}
    report = gate.check(policy([{"metric": "ap", "max_drop": 0.5}]), rows(cand), rows(base), qrels=judged)
    assert report.queries[0].worst[0].query_id == hostile
    html, markdown = _html(report), report.to_markdown()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img" not in markdown and "@here" not in markdown.replace("`@here", "")
    assert "\\|" in markdown.split("Most regressed")[1]
    text = console.render(report)
    assert "per query, ap: 0 improved, 1 regressed, 1 tied" in text


def test_tampered_query_histogram_is_refused(tmp_path: Path) -> None:
    from gate.report.reader import ReportFormatError, report_from_dict
    cand, base, qrels = two_runs(40, seed=14, shift=0.5)
    data = json.loads(check_files(tmp_path, cand, base, qrels, [{"metric": "ap", "min": 0.1}]).to_json())
    data["queries"][0]["histogram_counts"].append(3)
    with pytest.raises(ReportFormatError, match=r"queries\[0\].histogram_edges: has 21 edges for 21 bins"):
        report_from_dict(data)


def test_the_resampling_product_is_exact(tmp_path: Path, monkeypatch) -> None:
    """Rounded to 2^-30, the values make BLAS's product exact (thread counts cannot change a replicate);
    numpy's fixed-order einsum on the unrounded values (the path beyond EXACT_UNITS queries) agrees to 1e-9."""
    from gate.ranking import check as ranking_check
    cand, base, qrels = two_runs(120, seed=15, shift=0.4)
    gates = [{"metric": "ndcg", "k": 10, "max_drop": 0.02}, {"metric": "ap", "min": 0.1}]
    blas = check_files(tmp_path, cand, base, qrels, gates)
    monkeypatch.setattr(ranking_check, "EXACT_UNITS", 0)
    loops = check_files(tmp_path, cand, base, qrels, gates)
    for a, b in zip(blas.gates, loops.gates):
        assert a.distribution != b.distribution
        np.testing.assert_allclose(a.distribution, b.distribution, rtol=0, atol=1e-9)


def test_large_csv_fast_path_equals_the_table_path(tmp_path: Path) -> None:
    """A plain CSV of 1 MB or more is parsed by pyarrow into typed columns (gate.ranking.fast_csv): the
    report equals the one from the same rows in memory, and a bad cell still gets its exact line."""
    pytest.importorskip("pyarrow", reason="pyarrow not installed (the parquet extra)")
    from gate.ranking import fast_csv
    rng = np.random.default_rng(16)
    n_q, n_i = 5000, 12
    q = np.repeat(np.arange(n_q), n_i)
    items = np.tile(np.arange(n_i), n_q)
    score = np.round(rng.random(n_q * n_i), 5)
    rel = rng.choice([0, 1, 2], n_q * n_i)
    lines = [f"q{a},{b:03d},{s},{r}\n" for a, b, s, r in zip(q, items, score, rel)]
    text = "query_id,item_id,score,relevance\n" + "".join(lines)
    assert len(text) > fast_csv.FAST_BYTES
    (tmp_path / "run.csv").write_text(text)
    assert fast_csv.read_fast(tmp_path / "run.csv", ("score", "relevance")) is not None
    pol = policy([{"metric": "ndcg", "k": 5, "min": 0.1}, {"metric": "ap", "min": 0.1}])
    memory = {"query_id": [f"q{a}" for a in q], "item_id": [f"{b:03d}" for b in items], "score": score.tolist(),
              "relevance": rel.tolist()}
    from_file, from_memory = gate.check(pol, str(tmp_path / "run.csv")), gate.check(pol, memory)
    assert [g.to_dict() for g in from_file.gates] == [g.to_dict() for g in from_memory.gates]
    lines[4000] = lines[4000].replace(f",{score[4000]},", ",0x1F,")
    (tmp_path / "bad.csv").write_text("query_id,item_id,score,relevance\n" + "".join(lines))
    assert fast_csv.read_fast(tmp_path / "bad.csv", ("score", "relevance")) is None
    with pytest.raises(InputError, match=r"bad.csv: line 4002: 'score' is '0x1F', not a number"):
        gate.check(pol, str(tmp_path / "bad.csv"))


def test_large_csv_without_pyarrow_takes_the_table_path(tmp_path: Path, monkeypatch) -> None:
    """The core install (no pyarrow): the fast path steps aside and read_table's csv-module path reads the file."""
    from gate.ranking import fast_csv
    lines = "".join(f"q{i // 10},d{i % 10},{(i * 7919) % 1000 / 1000},{i % 3}\n" for i in range(60_000))
    (tmp_path / "run.csv").write_text("query_id,item_id,score,relevance\n" + lines)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    assert fast_csv.read_fast(tmp_path / "run.csv", ("score", "relevance")) is None
    report = gate.check(policy([{"metric": "precision", "k": 3, "min": 0.1}]), str(tmp_path / "run.csv"))
    assert report.gates[0].n == 6000 and report.gates[0].candidate.value is not None


def test_the_end_to_end_bench_runs_small(pytrec_eval) -> None:
    """bench/ranking_check.py at a small size: it times both sides and its delta intervals agree with the
    numpy bootstrap of pytrec_eval's values (Monte-Carlo noise only)."""
    pytest.importorskip("pyarrow", reason="pyarrow not installed (the bench writes its CSV files with it)")
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, str(root / "bench" / "ranking_check.py"), "--queries", "400",
                           "--resamples", "1000"], capture_output=True, text=True, timeout=300, cwd=root)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].startswith("model-gate          wall") and lines[2].startswith("pytrec_eval + numpy wall")
    gaps = [float(part.split()[-1]) for part in lines[3].split(": ", 1)[1].split(", ")]
    assert len(gaps) == 6 and max(gaps) < 0.02


def test_policy_options_reach_the_values(pytrec_eval, tmp_path: Path) -> None:
    """ranking: options change the report's means as the tool that defines each alternative does:
    relevance_threshold 2 = trec_eval -l 2, gain exponential = trec_eval on 2^rel - 1 qrels,
    empty_queries: skip drops queries without a relevant item, ties: average = scikit-learn's ndcg_score."""
    from sklearn.metrics import ndcg_score
    run, qrels = make_case(2024, n_queries=40)
    run_path, qrels_path = trec_files(tmp_path, run, qrels)

    def means(measures, **options):
        report = gate.check(policy(gates_of(measures), ranking=options), str(run_path), qrels=str(qrels_path))
        return [(g.candidate.value, g.n) for g in report.gates]

    def reference(measures, values, keep=lambda q: True):
        out = []
        for v in values:
            v = {q: x for q, x in (v | {q: 0.0 for q in set(qrels) - set(run)}).items() if keep(q)}
            out.append((pytest.approx(float(np.mean(list(v.values()))), abs=1e-12), len(v)))
        return out

    two = [rk.Measure("ap"), rk.Measure("precision", 5)]
    assert means(two, relevance_threshold=2) == reference(two, references(pytrec_eval, run, qrels, two, threshold=2))
    exp = [rk.Measure("ndcg", 10, "exponential")]
    assert means([rk.Measure("ndcg", 10)], gain="exponential") == reference(exp, references(pytrec_eval, run, qrels, exp))
    relevant = {q for q, docs in qrels.items() if any(r >= 1 for r in docs.values())}
    assert means(two, empty_queries="skip") == reference(two, references(pytrec_eval, run, qrels, two),
                                                         keep=lambda q: q in relevant)
    # ties: average on a dense case (every judged item retrieved) is scikit-learn's tie-averaged nDCG
    rng = np.random.default_rng(3)
    dense_qrels = {f"q{i}": {f"d{j}": int(r) for j, r in enumerate(rng.choice([0, 1, 2, 3], 8))} for i in range(30)}
    dense_run = {q: {d: float(rng.integers(0, 3)) for d in docs} for q, docs in dense_qrels.items()}
    dense_qrels = {q: docs for q, docs in dense_qrels.items() if any(docs.values())}
    dense_run = {q: dense_run[q] for q in dense_qrels}
    run_path, qrels_path = trec_files(tmp_path, dense_run, dense_qrels, "dense.txt")
    report = gate.check(policy([{"metric": "ndcg", "k": 5, "min": 0}], ranking={"ties": "average"}), str(run_path),
                        qrels=str(qrels_path))
    want = np.mean([ndcg_score([[dense_qrels[q][d] for d in sorted(dense_qrels[q])]],
                               [[dense_run[q][d] for d in sorted(dense_qrels[q])]], k=5) for q in dense_qrels])
    assert report.gates[0].candidate.value == pytest.approx(want, abs=1e-12)


def test_inputs_read_concurrently_report_the_first_bad_one_in_order(tmp_path: Path, monkeypatch) -> None:
    """The judgements and both runs are read on threads; the error is the one a sequential read gives
    (judgements, then candidate, then baseline), even when a later input fails first (the judgements'
    bad row is at the end of a long file, the runs' on their first row)."""
    monkeypatch.setenv("MODEL_GATE_THREADS", "2")
    lines = "".join(f"q{i} 0 d{i} 1\n" for i in range(20_000))
    (tmp_path / "q.txt").write_text(lines + "q1 0 d1 high\n")
    for role in ("cand", "base"):
        (tmp_path / f"{role}.csv").write_text(f"query_id,item_id,score\nq1,d1,{role}\n")
    args = (policy([{"metric": "ap", "min": 0.1}]), str(tmp_path / "cand.csv"), str(tmp_path / "base.csv"))
    for fixed, named in ((None, "q.txt"), ("q.txt", "cand.csv"), ("cand.csv", "base.csv")):
        if fixed == "q.txt":
            (tmp_path / "q.txt").write_text(lines)
        elif fixed:
            (tmp_path / fixed).write_text("query_id,item_id,score\nq1,d1,0.5\n")
        with pytest.raises(InputError) as err:
            gate.check(*args, qrels=str(tmp_path / "q.txt"))
        assert str(err.value).startswith(str(tmp_path / named)), str(err.value)


def test_large_csv_errors_name_the_file_line_after_empty_cells(tmp_path: Path) -> None:
    """On the fast CSV path row i is line i + 2 without an array of lines: after the rows with an empty
    score or relevance are set aside, a bad score and a repeated (query, item) still name their lines."""
    pytest.importorskip("pyarrow", reason="pyarrow not installed (the parquet extra)")
    from gate.ranking import fast_csv
    n = 100_000
    rows = [[f"q{i // 10}", f"d{i % 10}", f"{(i * 7919) % 1000 / 1000}", f"{i % 3}"] for i in range(n)]
    for i in range(0, n, 7):
        rows[i][2] = ""                                  # judged, not retrieved
    for i in range(3, n, 11):
        rows[i][3] = ""                                  # retrieved, unjudged
    pol = policy([{"metric": "ap", "min": 0.1}])

    def check(edit: dict[int, tuple[int, str]]) -> str:
        lines = [list(r) for r in rows]
        for i, (col, value) in edit.items():
            lines[i][col] = value
        (tmp_path / "run.csv").write_text("query_id,item_id,score,relevance\n" + "".join(",".join(r) + "\n" for r in lines))
        assert fast_csv.read_fast(tmp_path / "run.csv", ("score", "relevance")) is not None
        with pytest.raises(InputError) as err:
            gate.check(pol, str(tmp_path / "run.csv"))
        return str(err.value)

    assert "run.csv: line 50003: 'score' is inf" in check({50_001: (2, "inf")})
    assert "run.csv: line 40004: 'relevance' is nan" in check({40_002: (3, "nan")})
    assert "run.csv: line 45003: query 'q4500' lists item 'd0' twice (also at line 45002)" in check({45_001: (1, "d0")})
