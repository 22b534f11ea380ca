"""The ECE study (docs/validity.md, "ECE: the bias-bounded interval", issue 16 defect 2): ``max:`` ceilings at the true binned ECE
and ``max_drop:`` at the true ECE delta, on the real engine.

Population: a score level q ∈ {0, 0.01, …, 1} with P(q) ∝ Beta(1.5, 3) density; the label is
y ~ Bernoulli(q), so the *baseline*, which scores q, is perfectly calibrated (binned ECE exactly 0).
The *candidate* scores ``round(sigmoid(k·logit q), 2)`` on the same examples: ``k = 1`` calibrated
(ECE 0, the candidate equals the baseline), ``k = 1.25`` mildly and ``k = 2`` clearly overconfident.
The estimand is the population binned ECE of the SPEC's definition (15 equal-width bins, L1),
``Σ_b |E[(y − score)·1[bin b]]|``, computed exactly on the weighted cell table. Gates: ``max: <true
ECE>`` (candidate) and ``max_drop: <true ECE of candidate − baseline>`` (the baseline's ECE is 0, so
the true delta is the candidate's ECE; for k = 1 the delta is identically 0 and every run is
inconclusive by the degenerate-resample guard). Each replication also records what the percentile
bootstrap of the plug-in decided from the same replicates (the rule before this change), and
whether the report noted the interval as conservative (gate/report/notes.py, ``conservative_notes``).

Two more designs, at N = 1,000 and 5,000:

- ``weights``: the binary test sets with a sample weight per example, drawn independently of
  (label, score) from {5, 10, 20, 40} (so the weighted population ECE is the unweighted one and the
  weights' scale is arbitrary: the bias bounds must not read the weight total as a number of examples).
- ``multiclass``: three classes, top-label ECE. The true top-class probability t ∈ {0.34, …, 1} has
  P(t) ∝ Beta(3, 1.5) on (t − 1/3)/(2/3); the predicted class is uniform and the label equals it with
  probability t, else one of the other two. The baseline states t (top-label calibrated), the
  candidate ``1/3 + (2/3)·((t − 1/3)/(2/3))^(1/k)`` (rounded to 2 decimals; the other two classes share
  the rest), overconfident for k > 1.

    nice python -m validation.validity run --study ece --reps 300 --resamples 1000 --workers 2
"""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np
from scipy.stats import beta, binom

from gate.data.align import EvalSet
from gate.engine import evaluate
from gate.metrics.compiler import ECE_BINS, ece_bins
from validation.issue16 import _policy, _rng, _row
from validation.population import _side

ECE_SIZES = (200, 1_000, 5_000)
SHARPNESS = (1.0, 1.25, 2.0)
LEVELS = np.arange(101) / 100
DESIGNS = ("binary", "weights", "multiclass")
EXTRA_SIZES = (1_000, 5_000)            # the weights and multiclass designs
MULTI_SHARPNESS = (1.0, 1.5)
MULTI_LEVELS = np.arange(34, 101) / 100
WEIGHTS = np.array([5.0, 10.0, 20.0, 40.0])
CONSERVATIVE = "conservative:"          # the note's first word (gate/report/notes.py)


def _candidate_scores(k: float) -> np.ndarray:
    q = np.clip(LEVELS, 1e-9, 1 - 1e-9)
    return np.round(1.0 / (1.0 + np.exp(-k * np.log(q / (1 - q)))), 2)


@cache
def cells(k: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(label, candidate score, baseline score, probability) of the population's 202 cells."""
    p = beta.pdf(np.clip(LEVELS, 0.005, 0.995), 1.5, 3)
    p = p / p.sum()
    y = np.concatenate([np.zeros(101), np.ones(101)]).astype(np.int64)
    prob = np.concatenate([p * (1 - LEVELS), p * LEVELS])
    s_b = np.concatenate([LEVELS, LEVELS])
    s_c = np.concatenate([_candidate_scores(k)] * 2)
    return y, s_c, s_b, prob


def true_ece(y: np.ndarray, s: np.ndarray, prob: np.ndarray) -> float:
    return float(np.abs(np.bincount(ece_bins(s), weights=prob * (y - s), minlength=ECE_BINS)).sum())


@cache
def truth(k: float, design: str = "binary") -> dict[str, float]:
    if design == "multiclass":
        conf_c, conf_b, t, prob = multi_levels(k)
        c = float(np.abs(np.bincount(ece_bins(conf_c), weights=prob * (t - conf_c), minlength=ECE_BINS)).sum())
        b = float(np.abs(np.bincount(ece_bins(conf_b), weights=prob * (t - conf_b), minlength=ECE_BINS)).sum())
        return {"candidate": c, "baseline": b, "delta": c - b}
    y, s_c, s_b, prob = cells(k)
    c, b = true_ece(y, s_c, prob), true_ece(y, s_b, prob)
    return {"candidate": c, "baseline": b, "delta": c - b}


@cache
def multi_levels(k: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(candidate's stated confidence, baseline's, true top-class probability t, P(t)) per level."""
    t = MULTI_LEVELS
    u = (t - 1 / 3) / (2 / 3)
    prob = beta.pdf(np.clip(u, 0.005, 0.995), 3, 1.5)
    conf_c = np.round(1 / 3 + (2 / 3) * u ** (1 / k), 2)
    return conf_c, t.copy(), t, prob / prob.sum()


def _multi_side(role: str, y: np.ndarray, top: np.ndarray, conf: np.ndarray):
    scores = np.repeat(((1 - conf) / 2)[:, None], 3, axis=1)
    scores[np.arange(y.size), top] = conf
    return _side(role, y, top, scores)


def _multiclass_set(k: float, n: int, rng: np.random.Generator) -> EvalSet:
    conf_c, conf_b, t, prob = multi_levels(k)
    level = rng.choice(t.size, n, p=prob)
    top = rng.integers(0, 3, n)
    right = rng.random(n) < t[level]
    y = np.where(right, top, (top + rng.integers(1, 3, n)) % 3)
    return EvalSet("multiclass", ("a", "b", "c"), _multi_side("candidate", y, top, conf_c[level]),
                   _multi_side("baseline", y, top, conf_b[level]), "paired")


def _binary_set(k: float, n: int, rng: np.random.Generator, weighted: bool) -> EvalSet:
    y, s_c, s_b, prob = cells(k)
    idx = np.repeat(np.arange(prob.size), rng.multinomial(n, prob))
    cand = _side("candidate", y[idx], (s_c[idx] >= 0.5).astype(np.int64), s_c[idx])
    base = _side("baseline", y[idx], (s_b[idx] >= 0.5).astype(np.int64), s_b[idx])
    if weighted:
        w = WEIGHTS[rng.integers(0, WEIGHTS.size, n)]
        cand, base = dataclasses.replace(cand, weight=w), dataclasses.replace(base, weight=w)
    return EvalSet("binary", ("negative", "positive"), cand, base, "paired")


def ece_rep(design: str, k: float, n: int, rep: int, resamples: int) -> dict:
    salt = DESIGNS.index(design)
    rng = _rng(15, int(k * 100), n, rep) if design == "binary" else _rng(15, 100 + salt, int(k * 100), n, rep)
    es = _multiclass_set(k, n, rng) if design == "multiclass" else _binary_set(k, n, rng, design == "weights")
    t = truth(k, design)
    gates = [{"metric": "ece", "max": t["candidate"]}, {"metric": "ece", "max_drop": max(t["delta"], 0.0)}]
    report = evaluate(_policy(gates, resamples), es, seed=rep)
    rows = {}
    for key, g, value in (("max", report.gates[0], t["candidate"]), ("max_drop", report.gates[1], t["delta"])):
        rows[key] = {**_row(g, value), "noted": any(note.startswith(CONSERVATIVE) for note in g.notes)}
    return {"study": "ece", "design": design, "k": k, "n": n, "rep": rep, "resamples": resamples, "gates": rows}


def tasks(reps: int, sizes: tuple[int, ...] | None) -> list[tuple]:
    out = [("binary", k, n, r) for k in SHARPNESS for n in (sizes or ECE_SIZES) for r in range(reps)]
    out += [("weights", k, n, r) for k in SHARPNESS for n in (sizes or EXTRA_SIZES) for r in range(reps)]
    out += [("multiclass", k, n, r) for k in MULTI_SHARPNESS for n in (sizes or EXTRA_SIZES) for r in range(reps)]
    return out


# ---------------------------------------------------------------------------------------------
# aggregates and text (docs/validity.md, "ECE: the bias-bounded interval")

NAMES = {"max": "ECE `max: <true>`", "max_drop": "ΔECE `max_drop: <true Δ>`"}


def aggregate() -> dict | None:
    """Per (k, N, gate) decision and coverage counts (validation.issue16_report._count), or None
    without a replication file."""
    from collections import defaultdict

    from validation.issue16_report import _count
    from validation.validity import load
    rows = load("ece")
    if not rows:
        return None
    cells: dict = defaultdict(list)
    for r in rows:
        for key, g in r["gates"].items():
            cells[f"{r.get('design', 'binary')}|{r['k']}|{r['n']}|{key}"].append(g)
    return {"cells": {k: {**_count(v), **_noted(v)} for k, v in cells.items()}, "replications": len(rows),
            "cpu_seconds": round(sum(r.get("cpu_s", 0) for r in rows), 1),
            "resamples": sorted({r["resamples"] for r in rows}),
            "truth": {str(k): truth(k)["candidate"] for k in SHARPNESS},
            "truth_multiclass": {str(k): truth(k, "multiclass")["candidate"] for k in MULTI_SHARPNESS}}


def _noted(rows: list[dict]) -> dict:
    """How many runs the report noted as conservative, and the coverage of the others."""
    plain = [g for g in rows if not g.get("noted") and g["covered"] is not None]
    return {"noted": sum(bool(g.get("noted")) for g in rows), "unnoted_ci": len(plain),
            "unnoted_covered": sum(bool(g["covered"]) for g in plain)}


INTRO = """\
**Defect 2 of issue 16.** The gate's ECE is the SPEC's binned plug-in (15 equal-width bins, L1,
top-label for multiclass); what its interval claims to bound is the **population binned calibration
error** Σ_b |E[(correct − confidence)·1[bin b]]|, i.e. Σ_b P(bin b)·|accuracy_b − confidence_b| over
the same 15 bins (not the continuous calibration error, which binning can only under-estimate). The
plug-in is biased upward (each bin's |mean| picks up noise: √(2/π) standard errors for a calibrated
bin), and the percentile bootstrap of it adds the bias a second time. The interval is now
**bias-bounded** (`interval_method: bias-bounded`, gate/inference/calibration.py): the bootstrap replicates'
spread and shape, re-centred on the plug-in less a bound on its bias — for the lower end the largest
bias the bins plausibly carry (each bin's bias at |d_b| − 2.5 s.e., the full √(2/π) s.e. for a bin
indistinguishable from calibrated), for the upper end the bias of each bin half a standard error
further from calibrated than observed; a delta pairs the two sides' bounds so that the interval widens. The point estimate is unchanged.

Population (validation/ece_study.py): score level q ∈ {{0, 0.01, …, 1}} with P(q) ∝ Beta(1.5, 3),
label ~ Bernoulli(q); the baseline scores q (perfectly calibrated, binned ECE exactly 0); the candidate
scores round(sigmoid(k·logit q), 2) on the same examples: k = 1 (calibrated), 1.25 (mildly
overconfident, ECE {t125:.4f}), 2 (clearly overconfident, ECE {t2:.4f}). Gates: `max:` at the candidate's
true ECE, and `max_drop:` at the true delta (paired; for k = 1 the two models are identical, the delta
is identically 0 and the degenerate-resample guard makes every run inconclusive). Design `weights`:
the same binary test sets (N = 1,000 and 5,000) with a sample weight per example drawn from
{{5, 10, 20, 40}} independently of label and score (the weighted population ECE is the unweighted one;
the weights' scale must not matter). Design `multiclass`: three classes, top-label ECE; the true
top-class probability t ∈ {{0.34, …, 1}} (P ∝ Beta(3, 1.5) on (t − 1/3)/(2/3)), the label equals the
predicted (uniform) class with probability t; the baseline states t, the candidate
1/3 + (2/3)·((t − 1/3)/(2/3))^(1/k): k = 1 calibrated, k = 1.5 overconfident (top-label ECE {m15:.4f}).
{reps:,} replications, B = {b}, {cpu:.0f} CPU-minutes. "before" is the percentile interval of the same
replicates (the rule before this change). A false fail of the ceiling is a lower end above the true
ECE; a false pass of the delta is an upper end below the true delta.

**The conservative note.** A gate whose bias bounds widen its interval by more than 40% of the
bootstrap's own central 95% width (gate/report/notes.py, `ECE_EXCESS`; the added width is the gap
between the two bias bounds, summed over both sides for a delta) gets the note *"conservative: bins
near calibration widen this ECE interval by … so it covers more than 95% and may stay inconclusive
longer"*. The last two columns check the rule: how many runs were noted, and the coverage of the others,
which should lie within [0.93, 0.97] (± 3 MC s.e., s.e. at 0.95)."""

READING = """\
**Reading.** Before, a calibrated model failed `max: <true ECE>` in every run and even the clearly
miscalibrated one in 8–65% of them; the ΔECE against a better-calibrated baseline passed
falsely in most runs (the baseline's plug-in is the more inflated one). With the bias-bounded
interval the wrong decision each gate guards against (a ceiling's false fail, a delta's false pass)
happens in at most {worst:.1f}% of the unwarned runs of any cell, binary, weighted or multiclass. The
price is width: where bins sit within a few standard errors of calibrated the interval is wider than a
nominal 95% one (coverage above 0.97 in the cells marked ↑), so a gate near its bar stays inconclusive
longer — over-coverage, not a wrong verdict. The report now says so: {noted:,} of {runs:,} gate runs were
noted as conservative, and the {plain:,} runs that were not cover {plain_cov:.1f}% ({plain_cells} cells
with un-noted runs; per cell in the last column). No method gives nominal coverage for every
calibration curve (no estimator of |μ| is unbiased near μ = 0); this one errs on the side of not
deciding, and says when it does — but not everywhere: the un-noted runs' pooled coverage is above
0.97, and {worst_cell}: {worst_k} of {worst_n} un-noted runs covered, which a true coverage of 0.97
gives with probability {worst_p:.3f} (within 3 MC s.e. of the band, but a miss of the 40% rule). Sample
weights: before this change the bins' standard errors read the weight total as a number of examples,
so weights of 5–40 (as here) shrank the bias bounds about 4-fold: this study's `weights` design run
against the engine before it (commit 0dacd11, 60 runs per cell, B = 500, 75 s) failed the calibrated
model's `max: <true ECE>` in 60 of 60 runs at N = 1,000 and 59 of 60 at 5,000, and passed k = 2's
ΔECE falsely in 30 and 37 of 60. The standard errors are now a weighted mean's (Σ w²(z − d)²/(Σ w)²),
scale-free, and the `weights` rows behave like the unweighted ones. Not studied: slices, more than three
classes, weights that depend on the label or score."""


def _row_text(design: str, k: float, n: int, key: str, c: dict) -> tuple[str, bool, bool]:
    """One table row; whether the wrong decision the gate guards against (a false fail of the
    ceiling, a false pass of the delta) is within α/2 + 3 MC s.e. among unwarned runs; and whether the
    runs not noted as conservative cover within [0.93, 0.97] ± 3 MC s.e. (s.e. at 0.95; no such run: true)."""
    from validation.issue16_report import _cov, _rate, _within
    runs = c["runs"]
    wrong = "fail" if key == "max" else "pass"
    unw = c.get("unwarned", 0)
    ok = _within(c.get(f"unwarned_{wrong}", 0), unw)
    cov = c.get("covered", 0) / c["ci"] if c.get("ci") else float("nan")
    mark = " ↑" if cov > 0.97 else (" ↓" if cov < 0.93 else "")
    rates = " | ".join(f"{_rate(c.get(w, 0), runs)} ({_rate(c.get(f'old_{w}', 0), runs)})" for w in ("fail", "pass"))
    unwarned = _rate(c.get(f"unwarned_{wrong}", 0), unw) if unw else "— (all warned)"
    plain, covered = c.get("unnoted_ci", 0), c.get("unnoted_covered", 0)
    band = 3 * (0.95 * 0.05 / plain) ** 0.5 if plain else 0.0
    nominal = not plain or 0.93 - band <= covered / plain <= 0.97 + band
    plain_text = _rate(covered, plain) if plain else "—"
    return (f"| {NAMES[key]} | {design} | {k:g} | {n:,} | {runs} | {rates} | {_cov(c)}{mark} | {c.get('warned', 0)} | "
            f"{unwarned} | {c.get('noted', 0)} | {plain_text} ({plain}) |"), ok, nominal


def _reading_numbers(agg: dict) -> dict:
    """The reading's figures: the worst unwarned wrong-decision rate (%), and the noted and un-noted runs."""
    worst, noted, runs, plain, covered, cells = 0.0, 0, 0, 0, 0, 0
    for key, c in agg["cells"].items():
        wrong = "fail" if key.endswith("|max") else "pass"
        if c.get("unwarned"):
            worst = max(worst, 100 * c.get(f"unwarned_{wrong}", 0) / c["unwarned"])
        noted, runs = noted + c.get("noted", 0), runs + c["runs"]
        plain, covered = plain + c.get("unnoted_ci", 0), covered + c.get("unnoted_covered", 0)
        cells += bool(c.get("unnoted_ci"))
    top = max(((c["unnoted_covered"] / c["unnoted_ci"], key, c) for key, c in agg["cells"].items()
               if c.get("unnoted_ci", 0) >= 100), default=None, key=lambda t: t[0])
    worst_cell, worst_k, worst_n, worst_p = "no cell has 100 un-noted runs", 0, 0, float("nan")
    if top is not None:
        _, key, c = top
        design, k, n, gate = key.split("|")
        worst_cell = f"the most over-covering cell with ≥ 100 un-noted runs is {NAMES[gate]}, {design}, k = {float(k):g}, N = {int(n):,}"
        worst_k, worst_n = c["unnoted_covered"], c["unnoted_ci"]
        worst_p = float(binom.sf(worst_k - 1, worst_n, 0.97))
    return {"worst": worst, "noted": noted, "runs": runs, "plain": plain,
            "plain_cov": 100 * covered / plain if plain else float("nan"), "plain_cells": cells,
            "worst_cell": worst_cell, "worst_k": worst_k, "worst_n": worst_n, "worst_p": worst_p}


def render(agg: dict | None) -> list[str]:
    if not agg:
        return []
    t = agg["truth"]
    multi = agg.get("truth_multiclass", {})
    out = ["## 15. ECE: the bias-bounded interval", "",
           INTRO.format(t125=t["1.25"], t2=t["2.0"], reps=agg["replications"], b=agg["resamples"][0],
                        cpu=agg["cpu_seconds"] / 60, m15=multi.get("1.5", float("nan"))), "",
           "| gate | design | k | N | runs | false fail % (before) | false pass % (before) | coverage % | warned | "
           "false fail (ceiling) / pass (delta) among unwarned % | noted conservative | coverage among "
           "un-noted % (runs) |",
           "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    bad, wide = [], []
    grid = [("binary", SHARPNESS, ECE_SIZES), ("weights", SHARPNESS, EXTRA_SIZES),
            ("multiclass", MULTI_SHARPNESS, EXTRA_SIZES)]
    for key in NAMES:
        for design, ks, sizes in grid:
            for k in ks:
                for n in sizes:
                    c = agg["cells"].get(f"{design}|{k}|{n}|{key}")
                    if c is None:
                        continue
                    line, ok, nominal = _row_text(design, k, n, key, c)
                    out.append(line)
                    where = f"{NAMES[key]}, {design}, k = {k:g}, N = {n:,}"
                    bad += [] if ok else [where]
                    wide += [] if nominal else [where]
    out += ["", "Acceptance (false fail of the ceiling, false pass of the delta ≤ α/2 + 3 MC s.e. among unwarned "
            "runs): " + ("holds in every cell." if not bad else "fails in: " + "; ".join(bad) + "."),
            "Coverage of the runs the report does not note as conservative within [0.93, 0.97] ± 3 MC s.e.: "
            + ("holds in every cell." if not wide else "fails in: " + "; ".join(wide) + "."), "",
            READING.format(**_reading_numbers(agg)), ""]
    return out
