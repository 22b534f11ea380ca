"""Sequential reruns (docs/validity.md §16, issue 16): what "collect more and rerun" does to the error
rate of a gate whose truth sits exactly on its bar.

One replication is one user: a test set of N₀ = 400 examples, a gate at the true value (accuracy
``min: 0.80`` decided on Clopper–Pearson, or F1 ``min: 0.70`` on the percentile bootstrap); while the
gate is inconclusive, the user collects more examples — the total the report's hint names ("~n labeled examples would likely
decide it"), but at most twice what they have (at least 10% more) — and reruns on all of them, for at
most 5 looks (so at most 400, 800, 1,600, 3,200, 6,400 examples). Any pass or fail is an error here (the truth is on the bar). The
cumulative rates after 1, 2, 3 and 5 looks are read off the same trajectories; the run is repeated
at ``bootstrap.confidence: 0.99`` (= 1 − 0.05/5: Bonferroni over 5 planned looks).

    nice python -m validation.validity run --study looks --reps 300 --resamples 1000 --workers 2
"""

from __future__ import annotations

import math

import numpy as np

import gate
from validation.issue16 import _rng

N0 = 400
MAX_LOOKS = 5
CAP = 16 * N0
CONFIDENCES = (0.95, 0.99)
BARS = {"accuracy": 0.80, "f1": 0.70}


def _f1_cells() -> np.ndarray:
    """Cell probabilities (tp, fn, fp, tn) whose F1 is exactly BARS["f1"], with recall 0.8 at
    prevalence 0.3 (as validation.issue16's planner cases)."""
    tp, fn = 0.3 * 0.8, 0.3 * 0.2
    fp = 2 * tp / BARS["f1"] - 2 * tp - fn
    return np.array([tp, fn, fp, 1 - tp - fn - fp])


def _stream(metric: str, key: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """CAP i.i.d. examples (label, prediction) from the population whose metric is on the bar."""
    rng = _rng(17, *key)
    if metric == "accuracy":
        y = rng.integers(0, 2, CAP)
        pred = np.where(rng.uniform(size=CAP) < BARS["accuracy"], y, 1 - y)
        return y, pred
    cell = rng.choice(4, size=CAP, p=_f1_cells())
    return np.array([1, 1, 0, 0])[cell], np.array([1, 0, 1, 0])[cell]


def _next_n(n: int, needed: int | None) -> int:
    """The user's next total: the hint's n, but at most twice today's (at least 10% more), at most CAP."""
    target = 2 * n if needed is None else min(needed, 2 * n)
    return min(max(target, math.ceil(1.1 * n)), CAP)


def looks_rep(metric: str, confidence: float, rep: int, resamples: int) -> dict:
    y, pred = _stream(metric, (0 if metric == "accuracy" else 1, int(confidence * 1000), rep))
    n, statuses, sizes = N0, [], []
    for look in range(MAX_LOOKS):
        g = gate.check_arrays({"metric": metric, "min": BARS[metric]}, y[:n], pred[:n], seed=rep * 10 + look,
                              n_resamples=resamples, confidence_level=confidence).gates[0]
        statuses.append(g.status)
        sizes.append(n)
        if g.status != "inconclusive" or n >= CAP:
            break
        n = _next_n(n, g.needed_n)
    return {"study": "looks", "metric": metric, "confidence": confidence, "rep": rep, "resamples": resamples,
            "statuses": statuses, "sizes": sizes, "method": g.interval_method}


def tasks(reps: int) -> list[tuple]:
    return [(m, c, r) for m in BARS for c in CONFIDENCES for r in range(reps)]


# ---------------------------------------------------------------------------------------------
# aggregates and text (docs/validity.md §16)

LOOK_COUNTS = (1, 2, 3, 5)


def aggregate() -> dict | None:
    """Per (metric, confidence): runs, and for K looks the trajectories that passed / failed by look K."""
    from validation.validity import load
    rows = load("looks")
    if not rows:
        return None
    out: dict = {}
    for r in rows:
        c = out.setdefault(f"{r['metric']}|{r['confidence']}", {"runs": 0, "method": r["method"],
                                                                **{f"{w}_{k}": 0 for w in ("pass", "fail")
                                                                   for k in LOOK_COUNTS}})
        c["runs"] += 1
        for k in LOOK_COUNTS:
            seen = r["statuses"][:k]
            c[f"pass_{k}"] += "pass" in seen
            c[f"fail_{k}"] += "fail" in seen
    return {"cells": out, "replications": len(rows), "resamples": sorted({r["resamples"] for r in rows}),
            "cpu_seconds": round(sum(r.get("cpu_s", 0) for r in rows), 1)}


INTRO = """\
"Collect more and rerun" is a sequential test: every rerun of an inconclusive gate is another chance
to cross a bar by noise, so the error rates of a gate decided at *some* look exceed the α/2 = 2.5% of
a single look. Simulation (validation/looks_study.py): a test set of N₀ = 400 from a population whose
metric is exactly on the bar (accuracy `min: 0.80`, Clopper–Pearson; F1 `min: 0.70`, percentile
bootstrap); while the gate is inconclusive the user collects up to the total the hint names — at most
twice what they have — and reruns on everything, for at most 5 looks (400 → 6,400 examples). Any
pass (false pass) or fail (false fail) is an error. {reps:,} trajectories, B = {b}, {cpu:.1f} CPU-minutes;
the same at `bootstrap.confidence: 0.99`, which is 1 − 0.05/5: Bonferroni over 5 planned looks."""

READING = """\
**Reading.** Each rerun adds one to two points on each side: by the fifth look a gate whose truth is
on its bar has failed in 6.7–9.7% and passed in 6.0–8.0% of trajectories, three to four times the
single look's 2.5% — the inflation of repeated significance testing (Armitage, McPherson & Rowe
1969), below 5 × 2.5% because the looks share their data. **What to do**: decide up front how many
times you may rerun, K, and split α over the looks: `bootstrap.confidence: 1 − 0.05/K` (0.975 for 2
looks, 0.983 for 3, 0.99 for 5) kept the total within 2.5% + 3 MC s.e. here (2.0–3.7% by look 5), at
the price of wider intervals at every look (Bonferroni is conservative; group-sequential boundaries
such as O'Brien–Fleming would spend α less evenly, not implemented); or size the test set once with
`model-gate plan` (80% power at the observed effect) and run the gate once at that fixed n, which
keeps the single-look rate. Rerunning on ever larger sets until the gate decides, at the default
confidence, does not."""


def render(agg: dict | None) -> list[str]:
    from validation.issue16_report import _rate, _within
    if not agg:
        return []
    out = ["## 16. Sequential reruns: \"collect more and rerun\"", "",
           INTRO.format(reps=agg["replications"], b=agg["resamples"][0], cpu=agg["cpu_seconds"] / 60), "",
           "| gate | interval | `confidence` | runs | " + " | ".join(
               f"false fail / pass % by look {k}" for k in LOOK_COUNTS) + " |",
           "|---|---|--:|--:|" + "--:|" * len(LOOK_COUNTS)]
    bad = []
    for metric in BARS:
        for conf in CONFIDENCES:
            c = agg["cells"].get(f"{metric}|{conf}")
            if c is None:
                continue
            runs = c["runs"]
            cells = [f"{_rate(c[f'fail_{k}'], runs)} / {_rate(c[f'pass_{k}'], runs)}" for k in LOOK_COUNTS]
            out.append(f"| {metric} `min: {BARS[metric]:.2f}` | {c['method']} | {conf:g} | {runs} | " + " | ".join(cells) + " |")
            if conf == 0.99 and not all(_within(c[f"{w}_5"], runs) for w in ("fail", "pass")):
                bad.append(f"{metric} at 0.99")
    out += ["", "Bonferroni over 5 looks (confidence 0.99), by look 5: "
            + ("false fail and false pass ≤ α/2 + 3 MC s.e. for both gates." if not bad
               else "exceeds α/2 + 3 MC s.e. for " + ", ".join(bad) + "."), "", READING, ""]
    return out
