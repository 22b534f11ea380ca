"""``reproducibility.resampling`` is a fact (:class:`gate.report.model.Resampling`, schema 1.5's
``resampling_facts``) that gate/render/text.py words: the sentence report.json, report.md and
report.html show is the one the stages used to write, a report read back gives the same facts and
words, and a report older than 1.5 (the sentence only) keeps its sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.cli.main import main
from gate.render import markdown
from gate.render.text import SCHEME_WORDS, resampling_text
from gate.report.model import RESAMPLING_SCHEMES, Reproducibility, Resampling
from gate.report.reader import load_report, report_from_dict, schema

ROOT = Path(__file__).resolve().parent.parent


def _worded(facts: Resampling) -> str:
    r = Reproducibility(seed=1, resamples=2000, method="percentile", confidence=0.95, stratify=False,
                        multiple_testing="holm", inconclusive="warn", tool_version="0", policy_path="p.yml",
                        policy_sha256="0" * 64, command=(), resampling=facts)
    return resampling_text(r)


@pytest.mark.parametrize(("facts", "words"), [
    (Resampling(groups=0), "none (no bootstrapped gate)"),
    (Resampling(groups=1, schemes=("multinomial",)), "1 independent gate group: multinomial over cells"),
    (Resampling(groups=3, schemes=("index", "multinomial", "poisson")),
     "3 independent gate groups: Poisson(1) weights, index resampling, multinomial over cells"),
    (Resampling(groups=2, schemes=("cluster_index", "cluster_poisson")),
     "2 independent gate groups: Poisson(1) weights per cluster, cluster resampling"),
    (Resampling(groups=4, schemes=("poisson",), stopped=3, drawn=3500, planned=8000),
     "4 independent gate groups: Poisson(1) weights; adaptive: 3 of 4 stopped early once decided "
     "(3500 of 8000 resamples drawn)"),
    (Resampling(schemes=("poisson",), per="query", units=1204, pairing="paired"),
     "Poisson(1) weights per query, 1,204 queries (paired)"),
    (Resampling(schemes=("index",), per="example", units=900, pairing="independent"),
     "index resampling per example, 900 examples (independent)"),
    (Resampling(), ""),
    (Resampling(legacy="an old sentence"), "an old sentence"),
])
def test_each_fact_is_worded(facts, words):
    assert _worded(facts) == words


def test_every_scheme_is_in_the_schema_and_has_words():
    facts = schema()["properties"]["reproducibility"]["properties"]["resampling_facts"]["properties"]
    assert tuple(facts["schemes"]["items"]["enum"]) == RESAMPLING_SCHEMES
    assert set(SCHEME_WORDS) == set(RESAMPLING_SCHEMES)


@pytest.mark.parametrize("example", ["affairs", "ranking"])
def test_a_real_report_reads_back_with_the_same_facts_and_words(tmp_path, example):
    runs = {"affairs": ["--policy", "policies/affairs.yml", "--candidate", "examples/affairs/candidate.csv",
                        "--baseline", "examples/affairs/baseline.csv"],
            "ranking": ["--policy", "policies/ranking.yml", "--candidate", "examples/ranking/bm25.run",
                        "--baseline", "examples/ranking/tfidf.run"]}
    args = [str(ROOT / a) if a.startswith(("policies/", "examples/")) else a for a in runs[example]]
    assert main(["check", *args, "--out-dir", str(tmp_path / "out"), "--quiet"]) in (0, 1)
    path = tmp_path / "out" / "report.json"
    doc = json.loads(path.read_text(encoding="utf-8"))["reproducibility"]
    report = load_report(path.read_bytes())
    assert report.reproducibility.resampling.to_dict() == doc["resampling_facts"]
    assert resampling_text(report.reproducibility) == doc["resampling"]
    assert doc["resampling"] and not report.reproducibility.resampling.legacy


def test_a_1_4_report_keeps_its_sentence_escaped(tmp_path):
    assert main(["check", "--policy", str(ROOT / "policies/affairs.yml"),
                 "--candidate", str(ROOT / "examples/affairs/candidate.csv"),
                 "--baseline", str(ROOT / "examples/affairs/baseline.csv"),
                 "--out-dir", str(tmp_path / "out"), "--quiet"]) in (0, 1)
    doc = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    doc["schema_version"] = "1.4"
    del doc["reproducibility"]["resampling_facts"]
    doc["reproducibility"]["resampling"] = "2 groups`<b>x</b>\u202e"
    report = report_from_dict(doc)
    assert report.reproducibility.resampling == Resampling(legacy="2 groups`<b>x</b>\u202e")
    shown = markdown.render(report)
    assert "<b>x</b>" not in shown and "\u202e" not in shown
    doc["reproducibility"]["resampling"] = 7
    with pytest.raises(ValueError, match="resampling"):
        report_from_dict(doc)
