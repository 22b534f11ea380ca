"""The one wording of every note and warning: a gate's notes (:attr:`gate.report.model.GateResult.notes`)
and the report's warnings (:attr:`gate.report.model.Report.warnings`) are facts,
:class:`gate.report.model.Note` (a code and its values); :func:`text` words one for every renderer
(report.json's ``notes`` / ``warnings`` strings, console, Markdown, HTML, JUnit).

The words are plain text with the values in them as they are: a class, column or file name in a
note is data, and each renderer escapes the whole sentence its own way (as it always has), so
untrusted values stay escaped. A note read back verbatim from an old report.json (code ``text``) is
its own words. Numbers use fixed, platform-stable formatting.

Adding a note kind: its code and values in :data:`gate.report.model.NOTE_KINDS`, its wording in
:data:`WORDS` (tests/test_notes.py fails until both are there).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from gate.report.model import Note

Values = Mapping[str, Any]

SEE_VALIDITY = "(see docs/validity.md)"

_UNDEFINED_WHY = {"": "", "no_query": "no query drawn; ", "zero_denominator": "a denominator is zero; "}


def _undefined_resamples(v: Values) -> str:
    """A resample where the metric was undefined is left out of the interval; ``cause`` says why
    (ranking: no query drawn; multilabel: a zero denominator)."""
    why = _UNDEFINED_WHY.get(v["cause"], "")
    return f"undefined in {v['undefined']} of {v['total']} resamples ({why}excluded from the interval)"


def _small_class(v: Values) -> str:
    """The smaller side of a one-vs-rest split is below the calibrated limit."""
    side = "examples of the class" if v["side"] == "class" else "examples outside it"
    return (f"only {v['size']} {side}: with fewer than {v['limit']}, {v['interval_method']} intervals "
            f"of {v['metric']} can under-cover {SEE_VALIDITY}")


def _smallest_class(v: Values) -> str:
    return (f"the smallest class has only {v['size']} examples here: with fewer than {v['limit']}, "
            f"{v['interval_method']} intervals of {v['metric']} can under-cover {SEE_VALIDITY}")


def _intersect(v: Values) -> str:
    return (f"pairing: intersect: compared on the {v['shared']:,} ids both files hold; dropped "
            f"{v['candidate_dropped']:,} of {v['candidate_rows']:,} candidate rows and "
            f"{v['baseline_dropped']:,} of {v['baseline_rows']:,} baseline rows")


def _same_data(v: Values) -> str:
    """The same path twice is "the same file"; two paths with equal contents "identical files"."""
    what = (f"the same file ({v['candidate']})" if v["candidate"] == v["baseline"] else
            f"identical files ({v['candidate']} and {v['baseline']})")
    return f"the candidate and the baseline are {what}: every comparative gate compares the model with itself"


def _noisy_adjustment(v: Values) -> str:
    return (f"{v['gates']} blocking gates share the {v['adjustment']} adjustment: with "
            f"{v['resamples']} resamples the adjusted endpoints are noisy and the family-wise "
            f"false-fail rate can exceed its level; set bootstrap.resamples to at least {v['needed']} (docs/validity.md)")


def _missing_queries(v: Values) -> str:
    rule = "scored 0 (missing_queries: zero)" if v["rule"] == "zero" else "left out (missing_queries: skip)"
    return f"the {v['role']} returned nothing for {v['missing']} of {v['judged']} judged queries: {rule}"


def _binned_scores(v: Values) -> str:
    bins = f"{v['bins']:,}" + (f" and {v['other_bins']:,}" if v["other_bins"] else "")
    bound = float(v["bound"])
    shown = f"±{bound:.2g}" if math.isfinite(bound) else "an unbounded amount"
    return (f"computed on scores in {bins} quantile bins (over the engine's cell limit): the exact value can differ "
            f"by at most {shown}, and the interval is widened by that much ({v['method']}, see docs/scale.md)")


#: the wording of every code of :data:`gate.report.model.NOTE_KINDS`
WORDS: dict[str, Callable[[Values], str]] = {
    "undefined_resamples": _undefined_resamples,
    "small_class": _small_class,
    "smallest_class": _smallest_class,
    "bca_fallback": lambda v: "BCa undefined (every resample on one side of the estimate); percentile endpoints used",
    "monte_carlo_error": lambda v: (f"decided within Monte-Carlo error of the bar (endpoint SE ≈ {v['se']:.2g}); "
                                    "more bootstrap.resamples would make it firmer"),
    "few_clusters": lambda v: (f"only {v['clusters']} clusters: with fewer than {v['limit']}, cluster-bootstrap "
                               f"intervals can under-cover {SEE_VALIDITY}"),
    "adaptive_stop": lambda v: (f"adaptive: decided after {v['drawn']} of {v['resamples']} resamples "
                                f"(endpoints more than {v['z']:g} Monte-Carlo SE from the bar)"),
    "ece_interval": lambda v: ("ECE interval: the bootstrap's spread around the estimate less its upward bias, "
                               f"bounded in [{v['low']:.2g}, {v['high']:.2g}] from the bins' noise "
                               "(bias-bounded, see docs/validity.md)"),
    "ece_conservative": lambda v: (f"conservative: bins near calibration widen this ECE interval by {v['excess']:.2g} "
                                   f"(its bootstrap width is {v['width']:.2g}), so it covers more than "
                                   f"{v['confidence']:.0%} and may stay inconclusive longer (see docs/validity.md)"),
    "binned_scores": _binned_scores,
    "label_without_positives": lambda v: (f"label '{v['label']}' has no positive example here: its recall and "
                                          "F-scores are undefined (scikit-learn reports 0)"),
    "same_data": _same_data,
    "intersect": _intersect,
    "default_threshold": lambda v: (f"{v['role']}: no prediction column and no data.threshold; predicting the "
                                    "positive class when score >= 0.5"),
    "noisy_adjustment": _noisy_adjustment,
    "stratify_deprecated": lambda v: (
        "bootstrap.stratify is deprecated: write bootstrap.sampling: stratified, which is right only "
        "when the test set itself was drawn per class (a fixed number of rows of each class); "
        "for a test set sampled from traffic use sampling: iid (docs/validity.md §11)"),
    "missing_queries": _missing_queries,
    "unjudged_queries": lambda v: (f"the {v['role']} ranks {v['queries']} queries the judgements do not mention "
                                   "(ignored)"),
    "text": lambda v: str(v["text"]),
}


def text(note: Note) -> str:
    """The note's sentence, plain (each renderer escapes it). A code this version does not know
    (only a hand-built Note can have one: report.json's reader reads such a code as its words, a
    ``text`` note) is shown as the code."""
    word = WORDS.get(note.code)
    return word(note.values) if word is not None else note.code.replace("_", " ")
