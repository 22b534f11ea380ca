"""The notes and warnings a classification report carries about its own sampling: small classes whose
intervals can under-cover (thresholds calibrated in docs/validity.md §2 and §8), undefined
resamples, BCa's fallback, decisions within Monte-Carlo error of the bar, adaptive stopping, and
too few resamples for a Holm/Bonferroni family. Each is a fact, :class:`gate.report.model.Note`;
gate/render/notes.py words them."""

from __future__ import annotations

import math

from gate.inference.calibration import excess_width
from gate.inference.decide import Check, Decision
from gate.inference.gate_results import Pending
from gate.inference.intervals import Distribution
from gate.metrics.catalog import METRICS
from gate.policy.expand import Expanded
from gate.policy.load import Policy
from gate.report.model import GateResult, Note
from gate.resampling import adaptive

SMALL_CLUSTERS = 100         # data.cluster: note gates resampling fewer clusters (docs/validity.md, cluster bootstrap)
SMALL_SUPPORT = 100          # warn below this many examples on the smaller side of the gated class
SMALL_SUPPORT_RANKING = 200  # ... for AP / PR-AUC / ROC-AUC, and for every metric with method: basic
                             # (calibrated in docs/validity.md §2 and §8)
ECE_EXCESS = 0.4             # note an ECE interval whose bias bounds add more than this share of its bootstrap
                             # width: it over-covers (docs/validity.md §15: the un-noted runs cover 0.93–0.97)
MC_SE_FACTOR = 2.67          # SD of a 95% percentile endpoint ≈ 2.67·σ*/√B (statistics reference §2.4)


DEPRECATED_NOTES = {"stratify": "stratify_deprecated"}
"""The note of each deprecated policy field (:attr:`gate.policy.load.Policy.deprecated`)."""


def policy_warnings(policy: Policy) -> list[Note]:
    """A note for each deprecated field the policy used (``bootstrap.stratify``: ``stratify_deprecated``)."""
    return [Note(DEPRECATED_NOTES[field]) for field in policy.deprecated]


def resample_warnings(policy: Policy, results: list[GateResult]) -> list[Note]:
    """Holm/Bonferroni put a family of m blocking gates' fail-side endpoints at the α/(2m) tail, which
    B resamples estimate from about B·α/(2m) replicates: docs/validity.md finds B ≥ 200·m keeps the
    family-wise false-fail rate near its nominal level. Gates decided on exact or score intervals
    (label_coverage, proportions) need no resamples and are not counted."""
    m = sum(1 for r in results if r.blocking and r.interval_method.split("+")[0] in ("percentile", "basic", "bca")
            and r.p_value is not None)
    needed = 200 * m
    if policy.decision.multiple_testing == "none" or m < 2 or policy.bootstrap.resamples >= needed:
        return []
    return [Note("noisy_adjustment", {"gates": m, "adjustment": policy.decision.multiple_testing,
                                      "resamples": policy.bootstrap.resamples, "needed": needed})]


def gate_notes(policy: Policy, p: Pending, d: Decision, interval_method: str,
               clusters: int | None = None) -> list[Note]:
    """A classification gate's notes (coverage gates have none): undefined resamples, a small class
    whose intervals can under-cover, BCa's fallback, a decision within Monte-Carlo error of the bar,
    too few clusters (``clusters``: the clusters in the gate's rows, with ``data.cluster``) and
    where ``bootstrap.adaptive`` stopped. The bootstrap distribution is not noted on when a score
    interval decided the gate; ``interval_method`` names the interval."""
    m, check = p.measured, p.check
    g, support, smallest = m.gate, m.support, m.smallest
    dist = None if m.score is not None else p.dist
    notes = sampling_notes(policy, g, check, dist, d, support, smallest, interval_method)
    if p.dist is not None:
        notes += conservative_notes(p.dist, policy.bootstrap.confidence)
    if clusters is not None and p.dist is not None:
        notes += cluster_notes(clusters)
    drawn = m.candidate.drawn if m.candidate is not None else None
    if drawn is not None:
        notes.append(Note("adaptive_stop", {"drawn": drawn, "resamples": policy.bootstrap.resamples,
                                            "z": float(adaptive.Z)}))
    return notes


def sampling_notes(policy: Policy, g: Expanded, check: Check, dist: Distribution | None, d: Decision,
                    support: int | None, smallest: int, interval_method: str) -> list[Note]:
    """The notes on the bootstrap distribution ``dist`` (None: a score interval decided)."""
    notes: list[Note] = []
    if dist is not None and dist.undefined:
        notes.append(Note("undefined_resamples", {"undefined": dist.undefined, "total": dist.total, "cause": ""}))
    family = METRICS[g.spec.metric].family
    if support is not None and family in ("confusion", "ranking", "probability"):
        # the smaller side of the one-vs-rest split: a rare class, or a class that is almost everything
        outside = max(check.n - support, 0)
        minority, side = (support, "class") if support <= outside else (outside, "outside")
        limit = SMALL_SUPPORT_RANKING if family == "ranking" or policy.bootstrap.method == "basic" else SMALL_SUPPORT
        if minority < limit:           # 0 included: e.g. F1 is 0, not undefined, with no positives
            notes.append(Note("small_class", {"size": minority, "side": side, "limit": limit,
                                              "interval_method": interval_method, "metric": g.spec.metric}))
    elif family in ("confusion", "ranking", "probability"):
        # whole-matrix metrics and averages depend on every class: the rarest one sets the regime
        limit = SMALL_SUPPORT_RANKING if family == "ranking" or policy.bootstrap.method == "basic" else SMALL_SUPPORT
        if smallest < limit:
            notes.append(Note("smallest_class", {"size": smallest, "limit": limit,
                                                 "interval_method": interval_method, "metric": g.spec.metric}))
    if dist is not None and dist.bca_fallback:
        notes.append(Note("bca_fallback"))
    if dist is not None and d.status in ("pass", "fail") and d.ci is not None:
        mc_se = MC_SE_FACTOR * dist.standard_error() / math.sqrt(max(dist.replicates.size, 1))
        edge = d.ci[0] if (d.status == "pass") == (check.op == ">=") else d.ci[1]
        if math.isfinite(mc_se) and abs(edge - check.threshold) < 3 * mc_se:
            notes.append(Note("monte_carlo_error", {"se": float(mc_se)}))
    return notes


def conservative_notes(dist: Distribution, confidence: float) -> list[Note]:
    """An ECE gate whose bias bounds (gate/inference/calibration.py) widen its interval by more than
    ECE_EXCESS of the bootstrap's own central width is noted as conservative: its bins sit near
    calibration, where the plug-in's bias is only known to lie in a range, and the interval covers
    more than ``confidence`` (docs/validity.md §15 calibrates the share on the un-noted runs)."""
    widths = excess_width(dist, (1.0 - confidence) / 2.0)
    if widths is None:
        return []
    excess, width = widths
    if not (math.isfinite(excess) and math.isfinite(width)) or excess <= ECE_EXCESS * width:
        return []
    return [Note("ece_conservative", {"excess": float(excess), "width": float(width), "confidence": float(confidence)})]


def cluster_notes(clusters: int) -> list[Note]:
    """With ``data.cluster``, a gate whose rows hold fewer than SMALL_CLUSTERS ``clusters`` is noted:
    a bootstrap of so few units runs narrow (docs/validity.md: 50 clusters covered 90.5–95.5%)."""
    if clusters >= SMALL_CLUSTERS:
        return []
    return [Note("few_clusters", {"clusters": clusters, "limit": SMALL_CLUSTERS})]
