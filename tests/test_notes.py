"""Notes and warnings are facts (gate.report.model.Note) worded in one place, gate/render/notes.py.

Each code's words are pinned (the sentences model-gate wrote before they became facts, taken from
reports of the bundled examples and the code that built them); report.json keeps the words and adds
the facts; reading report.json back rebuilds the facts so every renderer gives the same bytes; an
older report.json (strings only) keeps its strings verbatim; the reader refuses a malformed fact.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
import yaml

import gate
from gate.render import console, html, junit, markdown
from gate.render import notes as words
from gate.report.model import NOTE_KINDS, Note
from gate.report.reader import ReportFormatError, load_report

REPO = Path(__file__).resolve().parents[1]

WORDED = [
    (Note("undefined_resamples", {"undefined": 3, "total": 2000, "cause": ""}),
     "undefined in 3 of 2000 resamples (excluded from the interval)"),
    (Note("undefined_resamples", {"undefined": 4, "total": 200, "cause": "no_query"}),
     "undefined in 4 of 200 resamples (no query drawn; excluded from the interval)"),
    (Note("undefined_resamples", {"undefined": 5, "total": 300, "cause": "zero_denominator"}),
     "undefined in 5 of 300 resamples (a denominator is zero; excluded from the interval)"),
    (Note("small_class", {"size": 89, "side": "class", "limit": 100, "interval_method": "clopper-pearson",
                          "metric": "recall"}),
     "only 89 examples of the class: with fewer than 100, clopper-pearson intervals of recall can under-cover "
     "(see docs/validity.md)"),
    (Note("small_class", {"size": 12, "side": "outside", "limit": 200, "interval_method": "percentile",
                          "metric": "roc_auc"}),
     "only 12 examples outside it: with fewer than 200, percentile intervals of roc_auc can under-cover "
     "(see docs/validity.md)"),
    (Note("smallest_class", {"size": 84, "limit": 100, "interval_method": "percentile",
                             "metric": "balanced_accuracy"}),
     "the smallest class has only 84 examples here: with fewer than 100, percentile intervals of "
     "balanced_accuracy can under-cover (see docs/validity.md)"),
    (Note("bca_fallback"), "BCa undefined (every resample on one side of the estimate); percentile endpoints used"),
    (Note("monte_carlo_error", {"se": 0.001412}),
     "decided within Monte-Carlo error of the bar (endpoint SE ≈ 0.0014); more bootstrap.resamples would make "
     "it firmer"),
    (Note("few_clusters", {"clusters": 4, "limit": 100}),
     "only 4 clusters: with fewer than 100, cluster-bootstrap intervals can under-cover (see docs/validity.md)"),
    (Note("adaptive_stop", {"drawn": 512, "resamples": 2000, "z": 3.0}),
     "adaptive: decided after 512 of 2000 resamples (endpoints more than 3 Monte-Carlo SE from the bar)"),
    (Note("ece_interval", {"low": 0.00421, "high": 0.0231}),
     "ECE interval: the bootstrap's spread around the estimate less its upward bias, bounded in [0.0042, 0.023] "
     "from the bins' noise (bias-bounded, see docs/validity.md)"),
    (Note("ece_conservative", {"excess": 0.0123, "width": 0.0201, "confidence": 0.95}),
     "conservative: bins near calibration widen this ECE interval by 0.012 (its bootstrap width is 0.02), so it "
     "covers more than 95% and may stay inconclusive longer (see docs/validity.md)"),
    (Note("binned_scores", {"bins": 1001, "other_bins": 0, "bound": 0.00022, "method": "percentile+binned"}),
     "computed on scores in 1,001 quantile bins (over the engine's cell limit): the exact value can differ by at "
     "most ±0.00022, and the interval is widened by that much (percentile+binned, see docs/scale.md)"),
    (Note("binned_scores", {"bins": 1001, "other_bins": 998, "bound": math.inf, "method": "basic+binned"}),
     "computed on scores in 1,001 and 998 quantile bins (over the engine's cell limit): the exact value can "
     "differ by at most an unbounded amount, and the interval is widened by that much (basic+binned, see "
     "docs/scale.md)"),
    (Note("label_without_positives", {"label": "sports"}),
     "label 'sports' has no positive example here: its recall and F-scores are undefined (scikit-learn reports 0)"),
    (Note("same_data", {"candidate": "examples/affairs/candidate.csv", "baseline": "examples/affairs/candidate.csv"}),
     "the candidate and the baseline are the same file (examples/affairs/candidate.csv): every comparative gate "
     "compares the model with itself"),
    (Note("same_data", {"candidate": "a.csv", "baseline": "b.csv"}),
     "the candidate and the baseline are identical files (a.csv and b.csv): every comparative gate compares the "
     "model with itself"),
    (Note("intersect", {"shared": 1499, "candidate_dropped": 1048, "candidate_rows": 2547, "baseline_dropped": 0,
                        "baseline_rows": 1499}),
     "pairing: intersect: compared on the 1,499 ids both files hold; dropped 1,048 of 2,547 candidate rows and "
     "0 of 1,499 baseline rows"),
    (Note("default_threshold", {"role": "candidate"}),
     "candidate: no prediction column and no data.threshold; predicting the positive class when score >= 0.5"),
    (Note("noisy_adjustment", {"gates": 5, "adjustment": "holm", "resamples": 200, "needed": 1000}),
     "5 blocking gates share the holm adjustment: with 200 resamples the adjusted endpoints are noisy and the "
     "family-wise false-fail rate can exceed its level; set bootstrap.resamples to at least 1000 (docs/validity.md)"),
    (Note("stratify_deprecated"),
     "bootstrap.stratify is deprecated: write bootstrap.sampling: stratified, which is right only when the test set "
     "itself was drawn per class (a fixed number of rows of each class); for a test set sampled from traffic use "
     "sampling: iid (docs/validity.md §11)"),
    (Note("missing_queries", {"role": "candidate", "missing": 45, "judged": 300, "rule": "zero"}),
     "the candidate returned nothing for 45 of 300 judged queries: scored 0 (missing_queries: zero)"),
    (Note("missing_queries", {"role": "baseline", "missing": 2, "judged": 30, "rule": "skip"}),
     "the baseline returned nothing for 2 of 30 judged queries: left out (missing_queries: skip)"),
    (Note("unjudged_queries", {"role": "baseline", "queries": 7}),
     "the baseline ranks 7 queries the judgements do not mention (ignored)"),
    (Note("text", {"text": "kept `as` <written>"}), "kept `as` <written>"),
]


@pytest.mark.parametrize(("note", "expected"), WORDED, ids=[f"{n.code}-{i}" for i, (n, _) in enumerate(WORDED)])
def test_every_note_code_is_worded(note, expected):
    assert set(note.values) == set(NOTE_KINDS[note.code])      # the example carries exactly its code's values
    assert words.text(note) == expected


def test_every_code_has_one_wording_and_a_pinned_example():
    """Adding a note kind is one NOTE_KINDS entry and one WORDS entry; this fails until both (and an
    example above) are there."""
    assert set(words.WORDS) == set(NOTE_KINDS)
    assert {n.code for n, _ in WORDED} == set(NOTE_KINDS)


def test_an_unknown_code_of_a_hand_built_note_is_shown_as_the_code():
    assert words.text(Note("future_kind", {"x": 1})) == "future kind"


@pytest.fixture(scope="module")
def noted(tmp_path_factory):
    """An engine report with gate notes and report warnings: affairs paired on the intersection with a
    shortened baseline (intersect warning), few resamples for Holm (noisy_adjustment), clusters
    (few_clusters) and small classes."""
    lines = (REPO / "examples/affairs/baseline.csv").read_text("utf-8").splitlines(keepends=True)
    cut = tmp_path_factory.mktemp("notes") / "baseline.csv"
    cut.write_text("".join(lines[:1500]), "utf-8")
    policy = yaml.safe_load((REPO / "policies/affairs.yml").read_text("utf-8"))
    policy["bootstrap"].update(resamples=200, pairing="intersect")
    policy["data"]["cluster"] = "age_band"
    report = gate.check(policy, str(REPO / "examples/affairs/candidate.csv"), str(cut))
    codes = {n.code for g in report.gates for n in g.notes} | {w.code for w in report.warnings}
    assert {"intersect", "noisy_adjustment", "few_clusters", "smallest_class"} <= codes, codes
    return dataclasses.replace(report, timing=None)    # as a report read back has none (JUnit shows it)


def _outputs(report):
    return (report.to_json(), markdown.render(report), html.render(report, plots=False), junit.render(report),
            console.render(report))


def test_report_json_keeps_the_words_and_adds_the_facts(noted):
    doc = json.loads(noted.to_json())
    assert doc["warnings"] == [words.text(w) for w in noted.warnings]
    assert doc["warning_facts"] == [w.to_dict() for w in noted.warnings]
    assert list(doc).index("warning_facts") == list(doc).index("warnings") + 1
    for g, out in zip(noted.gates, doc["gates"]):
        assert out["notes"] == [words.text(n) for n in g.notes]
        assert out["note_facts"] == [{"code": n.code, "values": dict(n.values)} for n in g.notes]


def test_a_report_read_back_renders_the_same_bytes(noted):
    again = load_report(noted.to_json().encode("utf-8"))
    assert again.warnings == noted.warnings
    assert [g.notes for g in again.gates] == [g.notes for g in noted.gates]
    assert _outputs(again) == _outputs(noted)


def _old(report) -> dict:
    """The report as a 1.3 writer wrote it: the words, no facts."""
    doc = json.loads(report.to_json())
    doc["schema_version"] = "1.3"
    del doc["warning_facts"]
    for g in doc["gates"]:
        del g["note_facts"]
    return doc


def test_an_old_report_keeps_its_strings_verbatim(noted):
    doc = _old(noted)
    old = load_report(json.dumps(doc).encode("utf-8"))
    assert [w.code for w in old.warnings] == ["text"] * len(doc["warnings"])
    assert [words.text(w) for w in old.warnings] == doc["warnings"]
    assert [[words.text(n) for n in g.notes] for g in old.gates] == [g["notes"] for g in doc["gates"]]
    # the same sentences, so the same Markdown, HTML, JUnit and console
    assert _outputs(old)[1:] == _outputs(noted)[1:]


def test_a_code_this_version_does_not_know_reads_as_its_words(noted):
    doc = json.loads(noted.to_json())
    doc["warning_facts"][0] = {"code": "from_the_future", "values": {"n": 3}}
    read = load_report(json.dumps(doc).encode("utf-8"))
    assert read.warnings[0] == Note("text", {"text": doc["warnings"][0]})


@pytest.mark.parametrize(("values", "field"), [
    ({"shared": 1, "candidate_dropped": 1, "candidate_rows": 2, "baseline_dropped": 0}, "warning_facts[0].values"),
    ({"shared": "1", "candidate_dropped": 1, "candidate_rows": 2, "baseline_dropped": 0, "baseline_rows": 1},
     "warning_facts[0].values.shared"),
    ({"shared": 1, "candidate_dropped": 1, "candidate_rows": 2, "baseline_dropped": 0, "baseline_rows": 1.5},
     "warning_facts[0].values.baseline_rows"),
])
def test_a_malformed_fact_is_refused_naming_its_field(noted, values, field):
    doc = json.loads(noted.to_json())
    assert doc["warning_facts"][0]["code"] == "intersect"
    doc["warning_facts"][0]["values"] = values
    with pytest.raises(ReportFormatError) as exc:
        load_report(json.dumps(doc).encode("utf-8"))
    assert exc.value.field == field


def test_a_choice_value_outside_its_choices_is_refused(noted):
    doc = json.loads(noted.to_json())
    doc["warning_facts"][0] = {"code": "missing_queries",
                               "values": {"role": "candidate", "missing": 1, "judged": 2, "rule": "<b>"}}
    with pytest.raises(ReportFormatError, match="must be one of zero, skip"):
        load_report(json.dumps(doc).encode("utf-8"))
