"""``data.cluster``: the cluster bootstrap (issue 16), checked against a plain numpy cluster bootstrap
with scikit-learn's metrics on correlated data, against coverage, row order, bad inputs and the
Poisson path.

The reference resamples clusters the textbook way: draw as many clusters as there are, uniformly with
replacement, concatenate their rows and compute the metric with scikit-learn. Intervals are compared
within Monte-Carlo error: with B resamples a 95% percentile endpoint has a standard error of about
2.67·σ/√B (σ the bootstrap SD), so two independent runs differ by more than 4·√2 of that rarely.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from scipy.special import ndtr
from sklearn.metrics import accuracy_score, average_precision_score, brier_score_loss, f1_score

import gate.resampling.stats
from gate.api import check
from gate.errors import InputError, PolicyError
from gate.inference.intervals import Distribution, acceleration
from gate.render.notes import text as note_text
from gate.render.text import resampling_text

B = 1000
ENDPOINT_TOL = 4 * math.sqrt(2) * 2.67 / math.sqrt(B)    # in units of the bootstrap SD


def clustered(seed: int, clusters: int = 150, size: int = 8, icc_scale: float = 1.2) -> dict:
    """Candidate and baseline tables whose rows share a per-cluster latent (labels and scores)."""
    rng = np.random.default_rng(seed)
    cl = np.repeat(np.arange(clusters), rng.integers(1, 2 * size, clusters))
    n = cl.size
    latent = rng.normal(size=clusters)[cl] * icc_scale
    y = (rng.normal(size=n) + latent > 0.3).astype(int)
    skill = rng.normal(size=clusters)[cl]
    cand_s = 1 / (1 + np.exp(-((2 * y - 1) * (1 + 0.6 * skill) + rng.normal(size=n))))
    base_s = 1 / (1 + np.exp(-((2 * y - 1) * (0.8 + 0.6 * skill) + rng.normal(size=n))))
    ids = [f"r{i}" for i in range(n)]
    users = [f"u{c:03d}" for c in cl]
    device = np.where(rng.random(n) < 0.4, "mobile", "desktop")
    cand = {"id": ids, "label": y.tolist(), "prediction": (cand_s > 0.5).astype(int).tolist(),
            "score": cand_s.tolist(), "user": users, "device": device.tolist()}
    base = dict(cand, prediction=(base_s > 0.5).astype(int).tolist(), score=base_s.tolist())
    return {"cand": cand, "base": base, "cl": cl, "y": y, "cs": cand_s, "bs": base_s, "device": device}


def policy(gates: list, cluster: str | None = "user", **bootstrap) -> dict:
    return {"version": 1, "name": "cluster", "task": "binary", "positive_class": 1,
            "data": {"cluster": cluster} if cluster else {},
            "bootstrap": {"resamples": B, "seed": 3, **bootstrap},
            "decision": {"multiple_testing": "none"}, "gates": gates}


def reference(d: dict, stat, seed: int = 99, rows: np.ndarray | None = None) -> np.ndarray:
    """Plain numpy cluster bootstrap of ``stat(index array)``, over the clusters with rows in ``rows``."""
    rng = np.random.default_rng(seed)
    rows = np.arange(d["cl"].size) if rows is None else rows
    members = {c: rows[d["cl"][rows] == c] for c in np.unique(d["cl"][rows])}
    keys = sorted(members)
    out = np.empty(B)
    for r in range(B):
        drawn = rng.integers(0, len(keys), len(keys))
        out[r] = stat(np.concatenate([members[keys[k]] for k in drawn]))
    return out


def pred(s: np.ndarray) -> np.ndarray:
    return (s > 0.5).astype(int)


METRICS = {
    "accuracy": ({"metric": "accuracy", "min": 0.1}, lambda d, i: accuracy_score(d["y"][i], pred(d["cs"][i]))),
    "average_precision": ({"metric": "average_precision", "min": 0.1},
                          lambda d, i: average_precision_score(d["y"][i], d["cs"][i])),
    "brier": ({"metric": "brier", "max": 0.9}, lambda d, i: brier_score_loss(d["y"][i], d["cs"][i])),
    "f1_drop": ({"metric": "f1", "max_drop": 0.5},
                lambda d, i: f1_score(d["y"][i], pred(d["cs"][i])) - f1_score(d["y"][i], pred(d["bs"][i]))),
    "negative_flip_rate": ({"metric": "negative_flip_rate", "max": 0.9},
                           lambda d, i: np.mean((pred(d["bs"][i]) == d["y"][i]) & (pred(d["cs"][i]) != d["y"][i]))),
}


@pytest.mark.parametrize("name", sorted(METRICS))
def test_intervals_equal_a_numpy_cluster_bootstrap_within_mc_error(name):
    """Confusion, ranking, calibration, paired-delta and flip gates: the gate's replicates have the
    reference's SD (within 15%: its MC relative error is ~2.2% per run) and its 95% interval's
    endpoints lie within MC error of the reference's percentile endpoints."""
    d = clustered(1)
    gate_spec, stat = METRICS[name]
    report = check(policy([gate_spec]), d["cand"], d["base"])
    g = report.gates[0]
    ref = reference(d, lambda i: stat(d, i))
    sd = ref.std()
    reps = np.asarray(g.distribution)
    assert reps.std() == pytest.approx(sd, rel=0.15)
    lo, hi = np.quantile(ref, [0.025, 0.975])
    assert abs(g.tested.ci[0] - lo) < ENDPOINT_TOL * sd and abs(g.tested.ci[1] - hi) < ENDPOINT_TOL * sd
    assert g.interval_method == "percentile"        # no binomial score interval on correlated trials


def test_a_slice_gate_resamples_the_clusters_with_rows_in_the_slice():
    d = clustered(2)
    report = check(policy([{"metric": "accuracy", "slice": "device", "min": 0.1}]), d["cand"], d["base"])
    g = next(r for r in report.gates if r.slice and "mobile" in str(r.slice))
    rows = np.flatnonzero(d["device"] == "mobile")
    ref = reference(d, lambda i: accuracy_score(d["y"][i], pred(d["cs"][i])), rows=rows)
    assert np.std(g.distribution) == pytest.approx(ref.std(), rel=0.15)
    lo, hi = np.quantile(ref, [0.025, 0.975])
    assert abs(g.tested.ci[0] - lo) < ENDPOINT_TOL * ref.std() and abs(g.tested.ci[1] - hi) < ENDPOINT_TOL * ref.std()


def test_bca_uses_the_delete_one_cluster_jackknife():
    """The BCa interval is the percentile-bias-accelerated one with a = the acceleration of the
    delete-one-cluster jackknife of accuracy (computed here with scikit-learn)."""
    d = clustered(3)
    report = check(policy([{"metric": "accuracy", "min": 0.1}], method="bca"), d["cand"])
    g = report.gates[0]
    keys = np.unique(d["cl"])
    jack = np.array([accuracy_score(d["y"][d["cl"] != c], pred(d["cs"][d["cl"] != c])) for c in keys])
    a = acceleration(jack, np.ones(keys.size))
    assert abs(a) > 1e-4
    expected = Distribution(g.candidate.value, np.asarray(g.distribution), 0, "bca", a).interval(0.95)
    assert g.tested.ci == pytest.approx(expected, abs=1e-12)


def test_iid_interval_is_too_narrow_on_clustered_data_and_the_cluster_interval_is_not():
    """Coverage of the true accuracy over 120 test sets of 100 clusters × 10 rows, each row correct
    with probability Φ(μ + u_c), u_c ~ N(0, 1) (intra-cluster correlation of correctness ≈ 0.2, design
    effect ≈ 2.8): the i.i.d. bootstrap covers ~75%, the cluster bootstrap ~93%."""
    mu, reps = 0.8, 120
    truth = float(ndtr(mu / math.sqrt(2.0)))
    hits = {"iid": 0, "cluster": 0}
    for r in range(reps):
        rng = np.random.default_rng(1000 + r)
        cl = np.repeat(np.arange(100), 10)
        correct = rng.random(cl.size) < ndtr(mu + rng.normal(size=100))[cl]
        y = rng.integers(0, 2, cl.size)
        table = {"label": y.tolist(), "prediction": np.where(correct, y, 1 - y).tolist(),
                 "user": [f"u{c}" for c in cl]}
        for mode, cluster in (("iid", None), ("cluster", "user")):
            p = policy([{"metric": "accuracy", "min": 0.0}], cluster=cluster, resamples=300, seed=r)
            lo, hi = check(p, table).gates[0].tested.ci
            hits[mode] += lo <= truth <= hi
    assert hits["iid"] / reps < 0.85
    assert hits["cluster"] / reps > 0.88


def test_identical_report_for_shuffled_rows(monkeypatch):
    """Clusters are numbered by their sorted names and rows within a code by cluster, so the draw,
    the intervals and the whole JSON report (but the inputs' digests) do not depend on row order."""
    from gate.render import json_report
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    d = clustered(4)
    gates = [{"metric": "accuracy", "min": 0.1}, {"metric": "average_precision", "max_drop": 0.5},
             {"metric": "brier", "max": 0.9}, {"metric": "negative_flip_rate", "max": 0.9},
             {"metric": "recall", "slice": "device", "min": 0.1}]
    perm = np.random.default_rng(0).permutation(d["cl"].size)
    shuffled = [{k: [v[i] for i in perm] for k, v in d[side].items()} for side in ("cand", "base")]
    texts = []
    for cand, base in ((d["cand"], d["base"]), tuple(shuffled)):
        doc = json.loads(json_report.render(check(policy(gates, method="bca"), cand, base)))
        for artifact in doc["data"]["artifacts"]:
            artifact["sha256"] = ""
        texts.append(json.dumps(doc, sort_keys=True))
    assert texts[0] == texts[1]
    assert '"unit": "cluster"' in texts[0] and '"cluster": "user"' in texts[0]


def test_the_poisson_path_equals_the_index_path_in_distribution(monkeypatch):
    """Above the size threshold a cluster is drawn as one Poisson(1) weight for all its rows: the
    same limit distribution as drawing whole clusters (checked on a small set by lowering the
    thresholds): SDs within 15%, endpoints within MC error, the report names the draw."""
    d = clustered(5, clusters=400)
    gates = [{"metric": "accuracy", "min": 0.1}, {"metric": "brier", "max": 0.9}]
    index = check(policy(gates), d["cand"])
    monkeypatch.setattr(gate.resampling.stats, "POISSON_MIN_UNITS", 10)
    monkeypatch.setattr(gate.resampling.stats, "POISSON_MIN_CLUSTERS", 10)
    pois = check(policy(gates), d["cand"])
    assert "cluster_poisson" in pois.reproducibility.resampling.schemes
    assert "cluster_index" in index.reproducibility.resampling.schemes
    assert "Poisson(1) weights per cluster" in resampling_text(pois.reproducibility)
    assert "cluster resampling" in resampling_text(index.reproducibility)
    for a, b in zip(index.gates, pois.gates):
        sd = np.std(a.distribution)
        assert np.std(b.distribution) == pytest.approx(sd, rel=0.15)
        assert abs(a.tested.ci[0] - b.tested.ci[0]) < ENDPOINT_TOL * sd
        assert abs(a.tested.ci[1] - b.tested.ci[1]) < ENDPOINT_TOL * sd


def test_independent_baseline_clusters_are_resampled_on_their_own():
    """Disjoint ids (canary traffic): each side's clusters are drawn within its own sample, so the
    delta's SD is the root of the two sides' SD² (within MC error), and the report counts both."""
    d = clustered(6)
    base = dict(d["base"], id=[f"b{i}" for i in range(d["cl"].size)])
    report = check(policy([{"metric": "accuracy", "max_drop": 0.5}]), d["cand"], base)
    assert report.reproducibility.clusters == 2 * np.unique(d["cl"]).size
    g = report.gates[0]
    c_ref = reference(d, lambda i: accuracy_score(d["y"][i], pred(d["cs"][i])), seed=1)
    b_ref = reference(d, lambda i: accuracy_score(d["y"][i], pred(d["bs"][i])), seed=2)
    assert np.std(g.distribution) == pytest.approx(math.hypot(c_ref.std(), b_ref.std()), rel=0.15)


def test_label_coverage_uses_a_cluster_bootstrap():
    """Labels that arrive by cluster (whole users labeled or not): Clopper–Pearson on the rows is far
    too narrow; with data.cluster the gate's interval is the cluster bootstrap's (numpy reference)."""
    rng = np.random.default_rng(7)
    cl = np.repeat(np.arange(80), 10)
    labeled = (rng.random(80) < 0.7)[cl]
    y = rng.integers(0, 2, cl.size)
    table = {"label": [int(v) if k else None for v, k in zip(y, labeled)], "prediction": y.tolist(),
             "user": [f"u{c:02d}" for c in cl]}
    gates = [{"metric": "label_coverage", "min": 0.5}]
    iid = check(policy(gates, cluster=None), table).gates[0]
    clus = check(policy(gates), table).gates[0]
    assert iid.interval_method == "clopper-pearson" and clus.interval_method == "percentile"
    per = np.bincount(cl, weights=labeled) / 10
    ref = np.array([per[np.random.default_rng(r).integers(0, 80, 80)].mean() for r in range(B)])
    lo, hi = np.quantile(ref, [0.025, 0.975])
    tol = ENDPOINT_TOL * ref.std()
    assert abs(clus.tested.ci[0] - lo) < tol and abs(clus.tested.ci[1] - hi) < tol
    assert (clus.tested.ci[1] - clus.tested.ci[0]) > 2 * (iid.tested.ci[1] - iid.tested.ci[0])


def test_adaptive_stopping_with_clusters_keeps_the_decision():
    d = clustered(8)
    gates = [{"metric": "accuracy", "min": 0.3}, {"metric": "brier", "max": 0.6}]
    full = check(policy(gates, resamples=3000), d["cand"])
    adaptive = check(policy(gates, resamples=3000, adaptive=True), d["cand"])
    assert adaptive.reproducibility.resampling.stopped is not None
    assert "adaptive" in resampling_text(adaptive.reproducibility)
    assert [g.status for g in full.gates] == [g.status for g in adaptive.gates] == ["pass", "pass"]
    drawn = len(adaptive.gates[0].distribution)
    assert drawn < 3000 and np.array_equal(adaptive.gates[0].distribution, full.gates[0].distribution[:drawn])


# --- bad input ---------------------------------------------------------------------------------


def test_a_shared_id_in_two_clusters_is_an_error_naming_it():
    d = clustered(9)
    base = dict(d["base"], user=list(d["base"]["user"]))
    base["user"][5] = "someone-else"
    with pytest.raises(InputError) as e:
        check(policy([{"metric": "accuracy", "max_drop": 0.5}]), d["cand"], base)
    assert "id 'r5' is in cluster" in str(e.value) and "someone-else" in str(e.value)


def test_a_labeled_row_without_cluster_is_an_error_naming_the_row():
    d = clustered(10)
    cand = dict(d["cand"], user=list(d["cand"]["user"]))
    cand["user"][3] = ""
    with pytest.raises(InputError) as e:
        check(policy([{"metric": "accuracy", "min": 0.5}]), cand)
    assert "the cluster is empty" in str(e.value) and "row 4" in str(e.value) and "user" in str(e.value)


def test_a_missing_cluster_column_is_an_error():
    d = clustered(11)
    with pytest.raises(InputError, match="has no column 'session'"):
        check(policy([{"metric": "accuracy", "min": 0.5}], cluster="session"), d["cand"])


def test_stratified_sampling_with_clusters_is_refused():
    d = clustered(12)
    with pytest.raises(PolicyError, match="sampling: stratified") as e:
        check(policy([{"metric": "accuracy", "min": 0.5}], sampling="stratified"), d["cand"])
    assert e.value.where == "bootstrap.sampling"


def test_ranking_policies_refuse_data_cluster():
    doc = {"version": 1, "name": "r", "task": "ranking", "data": {"cluster": "user", "qrels": "q.tsv"},
           "gates": [{"metric": "ndcg", "k": 10, "min": 0.1}]}
    with pytest.raises(PolicyError, match="the query is already the resampling unit"):
        check(doc, {"query_id": ["q"], "item_id": ["d"], "score": [1.0]})


def test_engine_sources_give_the_file_paths_cluster_bootstrap(tmp_path):
    """data.cluster through DuckDB (per-cluster cells, tests/test_engines_clusters.py): the file's
    intervals and reproducibility block."""
    pytest.importorskip("duckdb")
    pytest.importorskip("sqlglot")
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa
    d = clustered(13)
    pq.write_table(pa.table({k: d["cand"][k] for k in ("id", "label", "prediction", "user")}), tmp_path / "c.parquet")
    pol = policy([{"metric": "accuracy", "min": 0.5}])
    by_engine = check(pol, f"parquet:{tmp_path / 'c.parquet'}")
    by_file = check(pol, str(tmp_path / "c.parquet"))
    assert by_engine.reproducibility == by_file.reproducibility and by_engine.reproducibility.unit == "cluster"
    assert by_engine.gates == by_file.gates


def test_cli_bad_cluster_input_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "p.yaml").write_text("version: 1\nname: c\ntask: binary\npositive_class: 1\n"
                                     "data: {cluster: user}\ngates: [{metric: accuracy, min: 0.5}]\n")
    (tmp_path / "c.csv").write_text("id,label,prediction,user\na,1,1,u1\nb,0,0,\n")
    out = subprocess.run([sys.executable, "-m", "gate.cli.main", "check", "--policy", str(tmp_path / "p.yaml"),
                          "--candidate", str(tmp_path / "c.csv"), "--out-dir", str(tmp_path / "out")],
                         capture_output=True, text=True)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "c.csv" in lines[0] and "row 2 (line 3)" in lines[0] and "cluster" in lines[0]
    assert "Traceback" not in out.stderr


def test_plan_with_clusters_says_what_its_figures_assume():
    """model-gate plan reads the cluster bootstrap's wider intervals (the design effect is in them):
    on correlated rows the clusters needed for 80% power, in rows at today's cluster size, exceed the
    i.i.d. run's examples, and the plan says its figures count clusters like today's."""
    from gate.api import plan
    from gate.render.messages import plan_cluster_note
    d = clustered(14, clusters=200)
    gates = [{"metric": "f1", "min": 0.6}]
    iid = plan(policy(gates, cluster=None), d["cand"])
    clus = plan(policy(gates), d["cand"])
    assert iid.rows_per_cluster is None and plan_cluster_note(iid) == ""
    clusters = np.unique(d["cl"]).size
    assert clus.rows_per_cluster == pytest.approx(d["cl"].size / clusters)
    assert f"{clusters:,} clusters of user" in plan_cluster_note(clus)
    assert f"about {d['cl'].size / clusters:.1f} labeled rows each" in plan_cluster_note(clus)
    assert "N FOR POWER counts clusters" in plan_cluster_note(clus) and clus.gates[0].clusters == clusters
    assert clus.gates[0].needed_n * d["cl"].size / clusters > 1.3 * iid.gates[0].needed_n


def test_multiclass_macro_f1_equals_a_numpy_cluster_bootstrap():
    """task: multiclass resamples the same whole clusters: macro-F1's replicates against scikit-learn's
    f1_score(average="macro") on numpy cluster resamples."""
    rng = np.random.default_rng(15)
    cl = np.repeat(np.arange(120), rng.integers(2, 14, 120))
    taste = rng.integers(0, 3, 120)[cl]                     # a user's rows lean to one class
    y = np.where(rng.random(cl.size) < 0.6, taste, rng.integers(0, 3, cl.size))
    good = rng.random(120)[cl] < 0.75                        # a user the model reads well, or not
    p = np.where(good & (rng.random(cl.size) < 0.9), y, rng.integers(0, 3, cl.size))
    names = np.array(["a", "b", "c"])
    table = {"label": names[y].tolist(), "prediction": names[p].tolist(), "user": [f"u{c}" for c in cl]}
    doc = {"version": 1, "name": "mc", "task": "multiclass", "data": {"cluster": "user"},
           "bootstrap": {"resamples": B, "seed": 4}, "decision": {"multiple_testing": "none"},
           "gates": [{"metric": "f1", "average": "macro", "min": 0.1}]}
    g = check(doc, table).gates[0]
    ref = reference({"cl": cl}, lambda i: f1_score(y[i], p[i], average="macro", labels=[0, 1, 2]))
    assert np.std(g.distribution) == pytest.approx(ref.std(), rel=0.15)
    lo, hi = np.quantile(ref, [0.025, 0.975])
    assert abs(g.tested.ci[0] - lo) < ENDPOINT_TOL * ref.std() and abs(g.tested.ci[1] - hi) < ENDPOINT_TOL * ref.std()


def test_few_clusters_are_noted():
    """Below 100 clusters in a gate's rows the report notes that the interval can under-cover (the
    validity study finds 50 clusters ~2 points narrow); a slice counts its own clusters."""
    d = clustered(16, clusters=150)
    cand = dict(d["cand"], grp=np.where(d["cl"] < 30, "few", "many").tolist())
    report = check(policy([{"metric": "accuracy", "min": 0.1}, {"metric": "accuracy", "slice": "grp", "min": 0.1}]),
                   cand)
    notes = {str(g.slice): [note_text(n) for n in g.notes if "clusters" in note_text(n)] for g in report.gates}
    assert notes["None"] == []
    few = next(v for k, v in notes.items() if "few" in k)
    many = next(v for k, v in notes.items() if "many" in k)
    assert few == ["only 30 clusters: with fewer than 100, cluster-bootstrap intervals can under-cover "
                   "(see docs/validity.md)"] and many == []


def test_the_reports_name_the_unit_with_the_column_escaped():
    """The markdown reproducibility table and the comment's context line name the clusters; the column
    name is the policy's (untrusted): a code span in markdown, escaped in HTML; report.json round-trips."""
    from gate.render import html, json_report, markdown
    from gate.report.reader import load_report
    from gate.report.run_context import RunContext
    d = clustered(18, clusters=120)
    col = "user|<b>x</b>"
    cand = {k: v for k, v in d["cand"].items() if k != "user"} | {col: d["cand"]["user"]}
    report = check(policy([{"metric": "accuracy", "min": 0.1}], cluster=col), cand)
    md = markdown.render(report, context=RunContext(commit="abc1234"))
    assert "| Resampled unit | 120 clusters by `user\\|&lt;b&gt;x&lt;/b&gt;`, each resampled whole" in md
    assert "resampled by 120 clusters of `user\\|&lt;b&gt;x&lt;/b&gt;`" in md
    page = html.render(report, plots=False)
    assert "120 clusters by <code>user|&lt;b&gt;x&lt;/b&gt;</code>" in page and "<b>x</b>" not in page
    back = load_report(json_report.render(report).encode("utf-8")).reproducibility
    assert (back.unit, back.cluster, back.clusters) == ("cluster", col, 120)


def test_the_validity_study_replications_record_what_gate_check_reports():
    """One replication of each study of validation/clustered.py (docs/validity.md §17–§18): a gate row
    is [covered, upper endpoint below the truth], so a fail at the bar is never covered; the cluster
    replication records both bootstraps of the same test set, the ranking one every gate."""
    pytest.importorskip("pyarrow", reason="the study hands gate.check pyarrow tables (the parquet extra)")
    from validation import clustered as V
    rec = V.cluster_rep(0.3, 50, 0, 200)
    assert set(rec) >= {"iid", "cluster"} and len(rec["iid"]) == len(rec["cluster"]) == len(V.CLUSTER_GATES)
    rank = V.ranking_rep(50, "independent", 0, 200)
    assert len(rank["gates"]) == 2 * len(V.RANKING_MEASURES)
    for covered, fails in rec["iid"] + rec["cluster"] + rank["gates"]:
        assert not (covered and fails)
    for icc in (0.0, 0.3):       # the rows' marginals do not depend on ρ: prevalence 0.3, recall Φ(0.75)
        u = V.cluster_universe(icc)
        assert u["y"].mean() == pytest.approx(0.3, abs=0.01)
        assert u["truth_c"]["recall"] == pytest.approx(float(ndtr(0.75)), abs=0.01)
