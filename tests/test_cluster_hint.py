"""With ``data.cluster`` the "n would decide it" hint, ``GateResult.needed_n`` and ``model-gate plan``'s
N FOR POWER count clusters, not rows (issue 16): the cluster bootstrap's spread shrinks like
1/√(clusters), so the hint is the clusters that decide the gate with 80% power, and every renderer
says "clusters". Checked against the formula on the reported interval, and by simulation
(docs/validity.md §17: at the hinted number of clusters about 80% of reruns decide)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.special import ndtri

from gate.api import check, plan
from gate.render import junit, markdown
from gate.render.text import needed_text
from gate.report.reader import report_from_dict

BAR = 0.80


def clustered_table(seed: int, clusters: int, accuracy: float = 0.82, icc: float = 0.3) -> dict:
    """Rows of ``clusters`` users (1 + Poisson(9) rows each), each row correct with its user's
    probability p ~ Beta: intra-cluster correlation ``icc``, population accuracy ``accuracy``; a
    ``device`` column splits the rows."""
    rng = np.random.default_rng(seed)
    kappa = 1 / icc - 1
    cl = np.repeat(np.arange(clusters), 1 + rng.poisson(9, clusters))
    p = rng.beta(accuracy * kappa, (1 - accuracy) * kappa, clusters)
    y = rng.integers(0, 2, cl.size)
    pred = np.where(rng.random(cl.size) < p[cl], y, 1 - y)
    device = np.where(rng.random(clusters) < 0.4, "mobile", "desktop")[cl]     # a user keeps a device
    return {"id": [f"r{i}" for i in range(cl.size)], "label": y.tolist(), "prediction": pred.tolist(),
            "user": [f"u{c:04d}" for c in cl], "device": device.tolist()}


def policy(gates: list, cluster: bool = True, resamples: int = 1000) -> dict:
    return {"version": 1, "name": "hint", "task": "binary", "positive_class": 1,
            "data": {"cluster": "user"} if cluster else {},
            "bootstrap": {"resamples": resamples, "seed": 5}, "gates": gates}


def straddling(gates: list, clusters: int = 100):
    """The first seed's table whose first gate is inconclusive with a hint, and its report."""
    for seed in range(40):
        t = clustered_table(seed, clusters)
        r = check(policy(gates), t)
        if r.gates[0].status == "inconclusive" and r.gates[0].needed_n is not None:
            return t, r
    raise AssertionError("no straddling test set")


def expected_hint(g, units: int) -> int:
    """The power formula on the reported interval: units·(h/d)²·((z_a + z_0.8)/z_a)², h the
    half-width on the side the estimate leans to (the pass side at α = 2.5% here)."""
    est, (lo, hi) = g.tested.value, g.tested.ci
    leans_pass = est >= g.threshold
    half, tail = (est - lo, 0.025) if leans_pass else (hi - est, (1 - g.confidence) / 2)
    z = float(ndtri(1 - tail))
    return math.ceil(units * (half / abs(est - g.threshold)) ** 2 * ((z + float(ndtri(0.8))) / z) ** 2)


def test_the_hint_counts_the_gates_clusters():
    table, report = straddling([{"metric": "accuracy", "min": BAR}])
    g = report.gates[0]
    users = len(set(table["user"]))
    assert g.clusters == users and g.needed_unit == "cluster" and g.n == len(table["id"])
    assert g.needed_n == expected_hint(g, users)
    assert g.needed_n < expected_hint(g, g.n)          # the rows' count would be ~10x larger


def test_a_slice_gate_counts_the_clusters_of_its_slice():
    gates = [{"metric": "accuracy", "min": BAR, "slice": "device"}]
    table = clustered_table(3, 300)
    report = check(policy(gates), table)
    for g in report.gates:
        value = g.slice["device"]
        assert g.clusters == len({u for u, d in zip(table["user"], table["device"]) if d == value})
        if g.needed_n is not None:
            assert g.needed_n == expected_hint(g, g.clusters)


def test_without_clusters_the_hint_counts_examples():
    table = clustered_table(0, 100)
    report = check(policy([{"metric": "accuracy", "min": 0.83}], cluster=False), table)
    g = report.gates[0]
    assert g.clusters is None and g.needed_unit == "example"
    if g.needed_n is not None:
        assert g.needed_n == expected_hint(g, g.n)


def test_label_coverage_with_clusters_counts_clusters():
    table = clustered_table(1, 200)
    table["label"] = [v if i % 9 else None for i, v in enumerate(table["label"])]    # 1 in 9 unlabeled
    share = sum(v is not None for v in table["label"]) / len(table["label"])
    report = check(policy([{"metric": "label_coverage", "min": round(share, 3)}]), table)
    g = report.gates[0]
    assert g.clusters == 200
    if g.needed_n is not None:
        assert g.needed_n == expected_hint(g, 200)


def test_every_renderer_says_clusters_and_the_json_keeps_the_count():
    _, report = straddling([{"metric": "accuracy", "min": BAR}])
    g = report.gates[0]
    assert needed_text(g) == f"~{g.needed_n:,} clusters would likely decide it"
    assert f"~{g.needed_n:,} clusters would likely decide it" in markdown.render(report)
    assert f"needed n: ~{g.needed_n} clusters" in junit.render(report)
    doc = json.loads(json.dumps(report.to_dict()))
    assert doc["gates"][0]["clusters"] == g.clusters
    assert report_from_dict(doc).gates[0].clusters == g.clusters
    del doc["gates"][0]["clusters"]                  # a report written before the field: examples
    assert report_from_dict(doc).gates[0].needed_unit == "example"


def test_plan_counts_clusters():
    table, report = straddling([{"metric": "accuracy", "min": BAR}])
    result = plan(policy([{"metric": "accuracy", "min": BAR}]), table)
    g = result.gates[0]
    assert g.clusters == report.gates[0].clusters and g.needed_n == report.gates[0].needed_n
    from gate.cli.plan import render
    text = render(result)
    assert f"{g.needed_n:,} clusters" in text and "N FOR POWER counts clusters" in text


@pytest.mark.parametrize("icc", [0.3])
def test_at_the_hinted_clusters_about_80_percent_of_reruns_decide(icc):
    """The simulation of docs/validity.md §17 (validation/clustered.py, study ``plan``), small: starting
    test sets of 100 clusters whose gate straddles; each rerun draws the hinted number of clusters from
    the population whose accuracy is the starting estimate. Counting rows instead (the hint before it
    counted clusters, read as clusters of ~10 rows) would decide nearly every rerun."""
    pytest.importorskip("scipy")
    from validation import clustered as V
    decided = []
    for rep in range(400):
        rec = V.plan_rep(icc, 100, rep, 300)
        assert rec["unit_clusters"] == 100
        if "rerun" in rec:
            decided.append(rec["rerun"] != "inconclusive")
        if len(decided) == 60:
            break
    share = sum(decided) / len(decided)
    assert len(decided) == 60 and 0.65 <= share <= 0.93, share
