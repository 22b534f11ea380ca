"""Defect 3 of issue 16: the sampling design is explicit (``bootstrap.sampling: iid | stratified``),
i.i.d. by default, with ``stratify:`` a deprecated alias."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gate
from gate.errors import PolicyError
from gate.policy.load import build_policy
from gate.render import notes
from gate.report.model import Note
from gate.report.reader import ReportFormatError


def _doc(**bootstrap) -> dict:
    return {"version": 1, "name": "s", "task": "binary", "positive_class": "1", "classes": ["0", "1"],
            "bootstrap": {"resamples": 400, "seed": 1, **bootstrap},
            "gates": [{"metric": "prevalence", "class": "1", "min": 0.02}, {"metric": "f1", "min": 0.5}]}


def _data(n: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < 0.05).astype(int)
    pred = np.where(rng.uniform(size=n) < 0.9, y, 1 - y)
    return y, pred


@pytest.mark.parametrize(("bootstrap", "sampling", "warned"), [
    ({}, "iid", False), ({"sampling": "stratified"}, "stratified", False), ({"stratify": True}, "stratified", True),
    ({"stratify": False}, "iid", False), ({"sampling": "iid", "stratify": False}, "iid", False)])
def test_sampling_and_the_deprecated_alias(bootstrap, sampling, warned):
    policy = build_policy(_doc(**bootstrap), source="p.yml")
    assert policy.bootstrap.sampling == sampling
    y, pred = _data()
    report = gate.check_arrays(policy, y, pred)
    assert report.reproducibility.to_dict()["sampling"] == sampling
    assert report.reproducibility.stratify == (sampling == "stratified")
    assert (Note("stratify_deprecated") in report.warnings) == warned
    assert any("bootstrap.stratify is deprecated" in notes.text(w) for w in report.warnings) == warned


def test_contradicting_stratify_and_sampling_is_a_policy_error():
    with pytest.raises(PolicyError, match="stratify: true contradicts sampling: iid") as err:
        build_policy(_doc(sampling="iid", stratify=True), source="p.yml")
    assert "bootstrap.stratify" in str(err.value)
    with pytest.raises(PolicyError, match="must be one of iid, stratified"):
        build_policy(_doc(sampling="cluster"), source="p.yml")


def test_iid_resamples_let_the_class_mix_vary_and_stratified_ones_keep_it():
    """Under iid the prevalence replicates have the binomial SD √(π(1−π)/n); stratified keeps every
    resample's class counts, so the prevalence is known, and the gate is decided, not degenerate."""
    y, pred = _data()
    n, p = y.size, y.mean()
    runs = {}
    for sampling in ("iid", "stratified"):
        report = gate.check_arrays(build_policy(_doc(sampling=sampling), source="p.yml"), y, pred)
        runs[sampling] = report.gates[0]
    sd = float(np.std(runs["iid"].distribution, ddof=1))
    assert sd == pytest.approx(math.sqrt(p * (1 - p) / n), rel=0.1)
    assert set(runs["stratified"].distribution) == {p}
    assert runs["stratified"].status == "pass"


POS_SCORES, NEG_SCORES = np.array([0.3, 0.6, 0.9]), np.array([0.0, 0.05, 0.1])


def _brier_run(design: str, sampling: str, seed: int) -> bool:
    """One test set (n = 4,000, π = 0.05) drawn i.i.d. or as exactly 200 positives, scores drawn
    uniformly from three levels per class; is the population Brier score inside the 95% interval?
    The classes' Brier terms differ 25-fold, so the class mix carries most of the variance."""
    rng = np.random.default_rng(seed)
    n, prevalence = 4000, 0.05
    y = (rng.uniform(size=n) < prevalence).astype(int) if design == "iid" else np.repeat([1, 0], [200, n - 200])
    score = np.where(y == 1, rng.choice(POS_SCORES, n), rng.choice(NEG_SCORES, n))
    truth = prevalence * np.mean((1 - POS_SCORES) ** 2) + (1 - prevalence) * np.mean(NEG_SCORES ** 2)
    doc = _doc(sampling=sampling, resamples=300, seed=seed)
    doc["gates"] = [{"metric": "brier", "max": float(truth)}]
    lo, hi = gate.check_arrays(build_policy(doc, source="p.yml"), y, (score >= 0.5).astype(int), score
                               ).gates[0].candidate.ci
    return lo <= truth <= hi


def test_stratified_resampling_of_an_iid_test_set_under_covers():
    """The design that matches the test set covers; stratifying an i.i.d. test set does not."""
    runs = 200
    cover = {(d, s): sum(_brier_run(d, s, r) for r in range(runs)) / runs
             for d, s in (("iid", "iid"), ("iid", "stratified"), ("stratified", "stratified"))}
    assert cover[("iid", "iid")] >= 0.92, cover
    assert cover[("stratified", "stratified")] >= 0.92, cover
    assert cover[("iid", "stratified")] <= 0.85, cover


def test_report_sampling_round_trips_and_must_agree_with_stratify():
    y, pred = _data()
    d = gate.check_arrays(build_policy(_doc(sampling="stratified"), source="p.yml"), y, pred).to_dict()
    assert gate.Report.from_dict(d).reproducibility.sampling == "stratified"
    d["reproducibility"]["stratify"] = False
    with pytest.raises(ReportFormatError, match="reproducibility.sampling"):
        gate.Report.from_dict(d)
