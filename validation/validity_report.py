"""Aggregate the validity study's replications (``validation/results/*.jsonl``) into tables and write
``docs/validity.md``. The aggregates are also saved to ``validation/results/summary.json`` (committed;
the raw per-replication files are large and are not).

    python -m validation.validity report
"""

from __future__ import annotations

import json
import math
import platform
from collections import defaultdict

import numpy as np

from validation.population import METRICS, binary_population
from validation.validity import CONFIDENCE, FWER_CLASSES, METHODS, POWER_LOSSES, PREVALENCES, RESULTS, ROOT, load

DECIDED = ("clears_bar", "misses_bar", "straddles_bar")
ALPHA_HALF = (1 - CONFIDENCE) / 2
SHORT = {"recall": "recall", "f1": "F1", "balanced_accuracy": "bal. acc.", "average_precision": "AP",
         "pr_auc": "PR-AUC", "roc_auc": "ROC-AUC"}
SUPPORT_BINS = ((0, 10), (10, 20), (20, 30), (30, 50), (50, 100), (100, 200), (200, 500), (500, 10**9))


RANKING = ("average_precision", "pr_auc", "roc_auc")


def warned(metric: str, positives: int, n: int, method: str = "percentile", proposed: bool = False) -> bool:
    """The engine's small-support warning (gate/engine.py ``_notes``) for a test set with ``positives``
    of ``n`` examples. Whole-matrix metrics (balanced accuracy) have no class count in the engine yet;
    ``proposed=True`` applies the same rule to their smallest class (the change suggested in §8)."""
    from gate.report.notes import SMALL_SUPPORT, SMALL_SUPPORT_RANKING
    if metric == "balanced_accuracy" and not proposed:
        return False
    minority = min(positives, n - positives)
    limit = SMALL_SUPPORT_RANKING if metric in RANKING or method == "basic" else SMALL_SUPPORT
    return minority < limit


def se(p: float, n: int) -> float:
    return math.sqrt(max(p * (1 - p), 1e-12) / n) if n else float("nan")


def _truths() -> dict[float, dict[str, float]]:
    return {p: binary_population(p).truth_c for p in PREVALENCES}


# ---------------------------------------------------------------------------------------------
# aggregation


def aggregate_coverage(recs: list[dict], truths: dict[float, dict[str, float]]) -> dict:
    cells: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    by_support: dict = defaultdict(lambda: defaultdict(int))
    reps: dict = defaultdict(int)
    positives: dict = defaultdict(list)
    for r in recs:
        key = (r["n"], r["prevalence"])
        reps[key] += 1
        positives[key].append(r["positives"])
        sbin = next(i for i, (lo, hi) in enumerate(SUPPORT_BINS) if lo <= r["positives"] < hi)
        for m in METRICS:
            for kind in ("cand", "delta"):
                row = r["metrics"][m][kind]
                truth = truths[r["prevalence"]][m] if kind == "cand" else 0.0
                c = cells[key][(m, kind)]
                decided = row["reason"] in DECIDED
                c["runs"] += 1
                c["decided"] += decided
                c["warned"] += row["warned"]
                if row["point"] is not None:
                    c["point_defined"] += 1
                    c["point_fail"] += row["point"] < truth - 1e-12
                for method in METHODS:
                    ci = row["ci"].get(method)
                    if not decided or ci is None or ci[0] is None or ci[1] is None:
                        continue
                    lo, hi = ci
                    covered = lo - 1e-12 <= truth <= hi + 1e-12
                    false_fail = hi < truth - 1e-12
                    c[f"{method}/n"] += 1
                    c[f"{method}/cover"] += covered
                    c[f"{method}/below"] += false_fail          # whole interval below the truth
                    c[f"{method}/above"] += lo > truth + 1e-12
                    for rule, proposed in (("nowarn", False), ("nowarn_proposed", True)):
                        if not warned(m, r["positives"], r["n"], method, proposed):
                            c[f"{method}/{rule}_ff"] += false_fail
                            c[f"{method}/{rule}_runs"] += 1
                    b = by_support[(m, kind, method, sbin)]
                    b["n"] += 1
                    b["cover"] += covered
                    b["below"] += false_fail
                if not decided or row["ci"].get("percentile") is None:
                    for rule, proposed in (("nowarn", False), ("nowarn_proposed", True)):
                        if not warned(m, r["positives"], r["n"], "percentile", proposed):
                            c[f"percentile/{rule}_runs"] += 1
            if m == "roc_auc" and r.get("delong"):
                for kind in ("cand", "delta"):
                    lo, hi = r["delong"][kind]
                    truth = truths[r["prevalence"]][m] if kind == "cand" else 0.0
                    c = cells[key][("roc_auc", kind)]
                    c["delong/n"] += 1
                    c["delong/cover"] += lo <= truth <= hi
                    c["delong/below"] += hi < truth
    out = {"cells": {}, "support": {}}
    for key, metrics in cells.items():
        n, p = key
        entry = {"reps": reps[key], "positives_mean": float(np.mean(positives[key])),
                 "positives_min": int(np.min(positives[key])), "metrics": {}}
        for (m, kind), c in metrics.items():
            entry["metrics"][f"{m}/{kind}"] = dict(c)
        out["cells"][f"{n}/{p}"] = entry
    for (m, kind, method, sbin), b in by_support.items():
        out["support"][f"{m}/{kind}/{method}/{sbin}"] = dict(b)
    return out


def aggregate_power(recs: list[dict]) -> dict:
    acc: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))
    for r in recs:
        for m in METRICS:
            a = acc[(r["n"], m)][r["loss"]]
            a["runs"] += 1
            a["fail"] += r["status"][m] == "fail"
            a["point_fail"] += r["point"][m] is not None and r["point"][m] < 0
            a["truth"] = -r["truth"][m]       # the true drop (positive = candidate worse)
    return {f"{n}/{m}": {str(loss): dict(v) for loss, v in sorted(levels.items())} for (n, m), levels in acc.items()}


def aggregate_fwer(recs: list[dict]) -> dict:
    acc: dict = defaultdict(lambda: defaultdict(int))
    for r in recs:
        for key, res in r["results"].items():
            a = acc[f"{r['n']}/{r['resamples']}/{key}"]
            a["runs"] += 1
            a["any_fail"] += res["fails"] > 0
            a["fails"] += res["fails"]
            a["passes"] += res["passes"]
    return {k: dict(v) for k, v in acc.items()}


def mde80(levels: dict[str, dict], field: str = "fail") -> float | None:
    """Smallest true drop detected in 80% of runs: linear interpolation of P(fail) over the drop."""
    pts = sorted((v["truth"], v[field] / v["runs"]) for v in levels.values() if v["runs"])
    prev = None
    for drop, power in pts:
        if power >= 0.8:
            if prev is None or drop <= 0:
                return drop if drop > 0 else None
            d0, p0 = prev
            return d0 + (0.8 - p0) * (drop - d0) / (power - p0) if power > p0 else drop
        prev = (drop, power)
    return None


# ---------------------------------------------------------------------------------------------
# formatting


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _cov_cell(c: dict, method: str) -> str:
    n = c.get(f"{method}/n", 0)
    if not n:
        return "–"
    cov = c[f"{method}/cover"] / n
    text = f"{cov:.3f}"
    if cov < CONFIDENCE - 3 * se(CONFIDENCE, n):
        text = f"**{text}**"
    return text


def _sizes(agg: dict) -> list[int]:
    return sorted({int(k.split("/")[0]) for k in agg["cells"]})


def coverage_table(agg: dict, kind: str) -> list[str]:
    lines = ["| N | prevalence | positives (mean) | reps | " + " | ".join(SHORT[m] for m in METRICS) + " |",
             "|---|---|---|---|" + "---|" * len(METRICS)]
    for n in _sizes(agg):
        for p in PREVALENCES:
            cell = agg["cells"].get(f"{n}/{p}")
            if not cell:
                continue
            parts = []
            for m in METRICS:
                c = cell["metrics"][f"{m}/{kind}"]
                cov = " / ".join(_cov_cell(c, method) for method in METHODS)
                refused = 1 - c["decided"] / c["runs"]
                if refused >= 0.005:
                    cov += f" ({_pct(refused)}% ⊘)"
                parts.append(cov)
            lines.append(f"| {n:,} | {p} | {cell['positives_mean']:.1f} | {cell['reps']} | " + " | ".join(parts) + " |")
    return lines


def false_fail_table(agg: dict, kind: str, acceptance: list, rule: str = "nowarn") -> list[str]:
    lines = ["| N | prevalence | reps | " + " | ".join(SHORT[m] for m in METRICS) + " |",
             "|---|---|---|" + "---|" * len(METRICS)]
    for n in _sizes(agg):
        for p in PREVALENCES:
            cell = agg["cells"].get(f"{n}/{p}")
            if not cell:
                continue
            parts = []
            for m in METRICS:
                c = cell["metrics"][f"{m}/{kind}"]
                runs = c["runs"]
                ff = c.get("percentile/below", 0) / runs
                nw_runs = c.get(f"percentile/{rule}_runs", 0)
                nw = c.get(f"percentile/{rule}_ff", 0) / nw_runs if nw_runs else None
                point = c.get("point_fail", 0) / max(c.get("point_defined", 0), 1)
                text = f"{_pct(ff)}"
                if nw is not None and nw_runs < runs:
                    text += f" (unwarned {_pct(nw)} of {nw_runs})"
                elif nw_runs == 0:
                    text += " (all warned)"
                text += f"; pt {_pct(point)}"
                bound = ALPHA_HALF + 3 * se(ALPHA_HALF, nw_runs) if nw_runs else None
                ok = nw is None or nw <= bound
                acceptance.append((kind, n, p, m, nw, nw_runs, bound, ok))
                parts.append(text if ok else f"**{text}** ✗")
            lines.append(f"| {n:,} | {p} | {cell['reps']} | " + " | ".join(parts) + " |")
    return lines


def support_table(agg: dict, method: str, kind: str) -> list[str]:
    head = [f"{lo}–{hi - 1}" if hi < 10**9 else f"≥ {lo}" for lo, hi in SUPPORT_BINS]
    lines = ["| metric | " + " | ".join(head) + " |", "|---|" + "---|" * len(head)]
    for m in METRICS:
        parts = []
        for i in range(len(SUPPORT_BINS)):
            b = agg["support"].get(f"{m}/{kind}/{method}/{i}")
            if not b or b["n"] < 20:
                parts.append("–")
                continue
            cov = b["cover"] / b["n"]
            ff = b["below"] / b["n"]
            bad = ff > ALPHA_HALF + 3 * se(ALPHA_HALF, b["n"]) or cov < CONFIDENCE - 3 * se(CONFIDENCE, b["n"])
            text = f"{cov:.3f} / {_pct(ff)}% (n={b['n']})"
            parts.append(f"**{text}**" if bad else text)
        lines.append(f"| {SHORT[m]} {'Δ' if kind == 'delta' else ''} | " + " | ".join(parts) + " |")
    return lines


def delong_table(agg: dict) -> list[str]:
    lines = ["| N | prevalence | ROC-AUC: bootstrap pct / BCa / DeLong | ΔROC-AUC: bootstrap pct / BCa / DeLong | "
             "false-fail ΔROC-AUC: pct / DeLong (%) |", "|---|---|---|---|---|"]
    for n in _sizes(agg):
        for p in PREVALENCES:
            cell = agg["cells"].get(f"{n}/{p}")
            if not cell:
                continue
            parts = []
            for kind in ("cand", "delta"):
                c = cell["metrics"][f"roc_auc/{kind}"]
                parts.append(" / ".join([_cov_cell(c, "percentile"), _cov_cell(c, "bca"), _cov_cell(c, "delong")]))
            c = cell["metrics"]["roc_auc/delta"]
            dl = c.get("delong/below", 0) / c["delong/n"] if c.get("delong/n") else float("nan")
            pc = c.get("percentile/below", 0) / c["percentile/n"] if c.get("percentile/n") else float("nan")
            parts.append(f"{_pct(pc)} / {_pct(dl)}")
            lines.append(f"| {n:,} | {p} | " + " | ".join(parts) + " |")
    return lines


def power_table(agg: dict) -> list[str]:
    sizes = sorted({int(k.split("/")[0]) for k in agg})
    lines = ["| metric | " + " | ".join(f"N = {n:,}" for n in sizes) + " |", "|---|" + "---|" * len(sizes)]
    for m in METRICS:
        parts = []
        for n in sizes:
            levels = agg.get(f"{n}/{m}")
            if not levels:
                parts.append("–")
                continue
            gate, point = mde80(levels), mde80(levels, "point_fail")
            null = levels.get("0.0")
            ff = f"{_pct(null['fail'] / null['runs'])}% / {_pct(null['point_fail'] / null['runs'])}%" if null else "–"
            g = "> tested" if gate is None else f"{gate:.3f}"
            pt = "> tested" if point is None else f"{point:.3f}"
            parts.append(f"{g} (pt {pt}; at 0: {ff})")
        lines.append(f"| {SHORT[m]} | " + " | ".join(parts) + " |")
    return lines


def power_curve_table(agg: dict, n: int) -> list[str]:
    lines = ["| loss in d | " + " | ".join(f"{SHORT[m]}: drop → P(fail)" for m in METRICS) + " |",
             "|---|" + "---|" * len(METRICS)]
    losses = POWER_LOSSES.get(n, ())
    for loss in losses:
        parts = []
        for m in METRICS:
            v = agg.get(f"{n}/{m}", {}).get(str(loss))
            parts.append("–" if not v else f"{v['truth']:.4f} → {v['fail'] / v['runs']:.2f}")
        lines.append(f"| {loss} | " + " | ".join(parts) + " |")
    return lines


def fwer_table(agg: dict) -> list[str]:
    lines = ["| design | N (per class) | B | reps | none | bonferroni | holm |", "|---|---|---|---|---|---|---|"]
    keys = sorted({tuple(int(x) for x in k.split("/")[:2]) for k in agg})
    for design, label in (("floor", "20 × recall `min: <true value>`"),
                          ("delta", "20 × recall `max_drop: 0` vs an equal baseline")):
        for n, b in keys:
            row = [agg.get(f"{n}/{b}/{design}/{mt}") for mt in ("none", "bonferroni", "holm")]
            if not row[0]:
                continue
            cells = []
            for a in row:
                rate = a["any_fail"] / a["runs"]
                cells.append(f"{_pct(rate)}% ± {_pct(se(rate, a['runs']))}")
            lines.append(f"| {label} | {n:,} ({n // FWER_CLASSES:,}) | {b:,} | {row[0]['runs']} | " + " | ".join(cells) + " |")
    return lines


# ---------------------------------------------------------------------------------------------


def build_summary() -> dict:
    truths = _truths()
    all_cov = load("coverage")
    cov = [r for r in all_cov if r["resamples"] == 1000]
    default_b = [r for r in all_cov if r["resamples"] == 2000]
    summary = {"coverage": aggregate_coverage(cov, truths), "power": aggregate_power(load("power")),
               "coverage_b2000": aggregate_coverage(default_b, truths) if default_b else None,
               "fwer": aggregate_fwer(load("fwer")), "truths": {str(k): v for k, v in truths.items()},
               "cpu_seconds": {s: round(sum(r.get("cpu_s", 0) for r in load(s)), 1)
                               for s in ("coverage", "power", "fwer")},
               "resamples": sorted({r["resamples"] for r in all_cov})}
    pops = {str(p): {"threshold": binary_population(p).threshold} for p in PREVALENCES}
    summary["populations"] = pops
    summary["machine"] = {"python": platform.python_version(), "numpy": np.__version__,
                          "machine": platform.machine()}
    return summary


def write_report(summary: dict | None = None) -> None:
    """Rebuild summary.json from the raw replications when they are present (they are not committed:
    ~20 MB), else render from the committed summary.json; the issue-16 studies (§10–§13) are
    re-aggregated from their own files whenever those are present."""
    if summary is None:
        from validation import issue16_report
        if (RESULTS / "coverage.jsonl").exists():
            summary = build_summary()
        else:
            summary = json.loads((RESULTS / "summary.json").read_text())
        fresh = issue16_report.aggregate()       # the issue-16 studies' own files, when present
        if fresh is not None:
            summary["issue16"] = fresh
        from validation import ece_study, looks_study
        for key, study in (("ece", ece_study), ("looks", looks_study)):
            fresh_study = study.aggregate()      # the ECE and sequential-looks studies' own files, when present
            if fresh_study is not None:
                summary[key] = fresh_study
        (RESULTS / "summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True))
    from validation.validity_text import render
    (ROOT / "docs" / "validity.md").write_text(render(summary), encoding="utf-8")
    print("wrote docs/validity.md")
