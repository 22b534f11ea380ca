"""Plots for ``report.html``: matplotlib (optional extra ``plots``), Agg-free SVG backend, inline SVG.

Each function takes the :class:`gate.report.Report` and returns SVG markup (no XML declaration) or
``None`` when there is nothing to draw. Plots only draw numbers the Report holds; the forest plot
shows each gate's tested interval as its *margin to the bar* (``value − threshold``, sign-flipped for
``<=`` bars) so that every gate shares one axis where right of 0 means "clears the bar".

Deterministic output: no pyplot global state (a fresh ``Figure`` per plot), ``svg.hashsalt`` fixed
per figure, ``svg.fonttype = 'none'`` (text stays text, no glyph paths), ``metadata={'Date': None}``.
Untrusted labels are made single-line, shortened, and ``$`` is escaped so mathtext never parses them.
"""

from __future__ import annotations

import atexit
import glob
import io
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

from gate.render import text as T
from gate.report.model import Curve, GateResult, QueryComparison, Report

MAX_FOREST_ROWS = 150
MAX_CURVE_CLASSES = 12
MAX_DISTRIBUTIONS = 12
MAX_TICK_CLASSES = 30
MAX_ANNOTATED_CELLS = 12

COLORS = {"fail": "#c62828", "inconclusive": "#ef6c00", "warning": "#b8860b", "pass": "#2e7d32",
          "candidate": "#1f77b4", "baseline": "#7f7f7f"}


def _private_cache_unless_built() -> None:
    """matplotlib builds a font cache in its config dir on first use. Rendering a report must not
    write outside --out-dir, so unless a font cache already exists there (reading it writes nothing),
    point matplotlib at a private temporary dir that is removed when the process exits."""
    if os.environ.get("MPLCONFIGDIR"):
        return
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if glob.glob(os.path.join(base, "matplotlib", "fontlist-*.json")):
        return
    private = tempfile.mkdtemp(prefix="model-gate-mpl-")
    atexit.register(shutil.rmtree, private, True)
    os.environ["MPLCONFIGDIR"] = private


def _mpl() -> Any:
    """Import matplotlib lazily (it is optional). Raises ImportError when it is not installed."""
    if "matplotlib" not in sys.modules:
        _private_cache_unless_built()
    import matplotlib  # noqa: F401  (explicit first, so a missing package fails here)
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure
    return matplotlib, Figure, FigureCanvasSVG


def available() -> bool:
    try:
        _mpl()
    except ImportError:
        return False
    return True


def label(s: str, width: int = 40) -> str:
    """An untrusted string made safe for matplotlib text."""
    return T.shorten(T.one_line(s), width).replace("$", r"\$")


def gate_color(g: GateResult) -> str:
    return COLORS[g.outcome]


_RC = {
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": False,
    "text.usetex": False,
}


def _svg(fig: Any, salt: str) -> str:
    matplotlib, _, FigureCanvasSVG = _mpl()
    FigureCanvasSVG(fig)
    buf = io.StringIO()
    with matplotlib.rc_context({**_RC, "svg.hashsalt": f"model-gate-{salt}"}):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    svg = buf.getvalue()
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{salt} plot" ', 1)
    return svg.strip()


def _figure(w: float, h: float, layout: str | None = None) -> Any:
    matplotlib, Figure, _ = _mpl()
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(w, h), dpi=72, layout=layout)


def forest(report: Report) -> str | None:
    """Every gate's tested interval against its bar (worst gates at the top)."""
    gates = report.gates_worst_first()[:MAX_FOREST_ROWS]
    if not gates:
        return None
    matplotlib, _, _ = _mpl()
    with matplotlib.rc_context(_RC):
        fig = _figure(11.0, 1.2 + 0.32 * len(gates))
        ax = fig.add_subplot(1, 1, 1)
        ys = list(range(len(gates)))[::-1]
        xs_all = [0.0]
        for y, g in zip(ys, gates):
            sign = 1.0 if g.op == ">=" else -1.0
            c = gate_color(g)
            v = g.tested.value
            if v is None:
                ax.plot([0], [y], marker="x", color=c, markersize=7)
                continue
            nominal = nominal_interval(g)
            if nominal is not None:  # thin grey: the interval the comment's table shows
                nlo, nhi = sorted(((nominal[0] - g.threshold) * sign, (nominal[1] - g.threshold) * sign))
                ax.plot([nlo, nhi], [y + 0.22, y + 0.22], color="#8c8c8c", linewidth=1.0)
                xs_all += [nlo, nhi]
            if g.tested.ci is not None:
                lo, hi = sorted(((g.tested.ci[0] - g.threshold) * sign, (g.tested.ci[1] - g.threshold) * sign))
                ax.plot([lo, hi], [y, y], color=c, linewidth=2.2, solid_capstyle="butt")
                ax.plot([lo, hi], [y, y], color=c, linestyle="none", marker="|", markersize=8)
                xs_all += [lo, hi]
            m = (v - g.threshold) * sign
            xs_all.append(m)
            ax.plot([m], [y], marker="o", color=c, markersize=5)
        ax.axvline(0.0, color="#222222", linewidth=1.0, linestyle="--")
        lo_x, hi_x = min(xs_all), max(xs_all)
        pad = max(hi_x - lo_x, 0.02) * 0.08
        ax.set_xlim(lo_x - pad, hi_x + pad)  # 0 (the bar) is always inside: xs_all holds it
        ax.set_ylim(-0.8, len(gates) - 0.2)
        ax.set_yticks(ys)
        ax.set_yticklabels([label(g.label or g.id, 48) for g in gates])
        for ytl, g in zip(ax.get_yticklabels(), gates):
            ytl.set_color(gate_color(g))
        trans = ax.get_yaxis_transform()
        for y, g in zip(ys, gates):
            signed = g.quantity != "candidate"
            txt = (f"{T.fmt_est(g.tested, signed=signed)}  bar {T.bar_text(g)}  {T.status_word(g)}")
            ax.text(1.01, y, txt, transform=trans, va="center", ha="left", fontsize=8, color=gate_color(g))
        ax.set_xlabel("margin to the bar: tested value − threshold (flipped for ≤ bars); right of 0 clears the bar")
        ax.set_title(forest_title(report))
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        return _svg(fig, "forest")


def nominal_interval(g: GateResult) -> tuple[float, float] | None:
    """The interval the comment's table shows for the quantity this gate tests: candidate [CI] for
    min/max bars, Δ [CI] for drop/gain bars (None for relative drops: the table has no column)."""
    est = {"candidate": g.candidate, "delta": g.delta}.get(g.quantity)
    return None if est is None else est.ci


def forest_title(report: Report) -> str:
    """Which intervals the forest plot draws, in words that match the table: thick coloured = the
    decision interval (pass side at the nominal level; fail side Holm/Bonferroni-adjusted when the
    policy adjusts), thin grey = the nominal interval of the comment's table."""
    level = f"{100 * report.reproducibility.confidence:g}%"
    mt = report.reproducibility.multiple_testing
    if mt == "none":
        return f"Gates against their bars: {level} intervals, nominal (thick = thin = the table's)"
    return (f"Gates against their bars. Thick: decision interval ({level} pass side, fail side "
            f"{mt.capitalize()}-adjusted); thin grey: nominal {level} interval, as in the table")


def _curve_classes(curves: Sequence[Curve]) -> list[str]:
    out: list[str] = []
    for c in curves:
        if c.class_name not in out:
            out.append(c.class_name)
    return out


def curves(report: Report) -> list[tuple[str, str]]:
    """``[(class name, svg)]``: PR and ROC, candidate vs baseline, one figure per class."""
    if not report.curves:
        return []
    matplotlib, _, _ = _mpl()
    out = []
    for i, cls in enumerate(_curve_classes(report.curves)[:MAX_CURVE_CLASSES]):
        with matplotlib.rc_context(_RC):
            fig = _figure(10.0, 4.2)
            for j, (kind, xl, yl, title) in enumerate((("pr", "recall", "precision", "Precision-recall"),
                                                       ("roc", "false positive rate", "true positive rate", "ROC"))):
                ax = fig.add_subplot(1, 2, j + 1)
                drawn = False
                for c in report.curves:
                    if c.class_name != cls or c.kind != kind:
                        continue
                    col = COLORS.get(c.model, None)
                    ax.plot(c.x, c.y, color=col, linewidth=1.6,
                            linestyle="-" if c.model == "candidate" else "--",
                            label=f"{label(c.model, 20)} (area {T.fmt(c.area)})")
                    drawn = True
                if kind == "roc":
                    ax.plot([0, 1], [0, 1], color="#bbbbbb", linewidth=0.8, linestyle=":")
                ax.set_xlim(0, 1)
                ax.set_ylim(0, 1.02)
                ax.set_xlabel(xl)
                ax.set_ylabel(yl)
                ax.set_title(f"{title}: {label(cls, 30)}")
                ax.grid(color="#eeeeee", linewidth=0.6)
                if drawn:
                    ax.legend(loc="lower left" if kind == "pr" else "lower right", fontsize=8)
            out.append((cls, _svg(fig, f"curves-{i}")))
    return out


def quality_of_difference(diff: Sequence[Sequence[float]]) -> list[list[float]]:
    """The colour of each cell of candidate − baseline counts, by quality rather than sign: on the
    diagonal (correct predictions) more is better, off it (errors) fewer is better, so an
    off-diagonal cell's sign is flipped. The cell text still shows the signed count."""
    return [[v if i == j else -v for j, v in enumerate(row)] for i, row in enumerate(diff)]


def confusion(report: Report) -> str | None:
    """Heatmaps: candidate, baseline, and their difference (candidate − baseline), the difference
    coloured by quality (:func:`quality_of_difference`)."""
    mats = list(report.confusion)
    if not mats:
        return None
    matplotlib, _, _ = _mpl()
    panels: list[tuple[str, Sequence[str], list[list[float]], bool]] = [
        (m.model, m.classes, [list(r) for r in m.counts], False) for m in mats]
    by = {m.model: m for m in mats}
    if "candidate" in by and "baseline" in by and by["candidate"].classes == by["baseline"].classes:
        cand, base = by["candidate"], by["baseline"]
        diff = [[a - b for a, b in zip(ra, rb)] for ra, rb in zip(cand.counts, base.counts)]
        panels.append(("candidate − baseline (green = better)", cand.classes, diff, True))
    k = max(len(p[1]) for p in panels)
    side = 3.6 if k <= 12 else min(3.6 + 0.08 * k, 9.0)
    with matplotlib.rc_context(_RC):
        fig = _figure(side * len(panels) + 1.2, side + 0.8, layout="constrained")
        for idx, (title, classes, counts, diverging) in enumerate(panels):
            ax = fig.add_subplot(1, len(panels), idx + 1)
            if diverging:
                quality = quality_of_difference(counts)
                lim = max((abs(v) for row in quality for v in row), default=1.0) or 1.0
                im = ax.imshow(quality, cmap="RdYlGn", vmin=-lim, vmax=lim, interpolation="nearest")
                bar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, ticks=[-lim, 0, lim])
                bar.ax.set_yticklabels(["worse", "same", "better"])
            else:
                im = ax.imshow(counts, cmap="Blues", interpolation="nearest")
                fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
            n = len(classes)
            if n <= MAX_TICK_CLASSES:
                names = [label(c, 16) for c in classes]
                ax.set_xticks(range(n))
                ax.set_xticklabels(names, rotation=90)
                ax.set_yticks(range(n))
                ax.set_yticklabels(names)
            if n <= MAX_ANNOTATED_CELLS:
                top = max((abs(v) for row in counts for v in row), default=1.0) or 1.0
                for i, row in enumerate(counts):
                    for j, v in enumerate(row):
                        s = T.fmt_count(v)
                        if diverging and v > 0:
                            s = "+" + s
                        dark = not diverging and abs(v) > 0.6 * top   # RdYlGn's ends stay light enough
                        ax.text(j, i, s, ha="center", va="center", fontsize=7,
                                color="white" if dark else "black")
            ax.set_xlabel("predicted")
            ax.set_ylabel("true")
            ax.set_title(label(title, 40))
        return _svg(fig, "confusion")


def calibration(report: Report) -> str | None:
    """Reliability diagram: mean confidence vs observed accuracy per bin (marker area ∝ bin weight)."""
    cals = list(report.calibration)
    if not cals:
        return None
    matplotlib, _, _ = _mpl()
    with matplotlib.rc_context(_RC):
        fig = _figure(5.6, 5.0)
        ax = fig.add_subplot(1, 1, 1)
        ax.plot([0, 1], [0, 1], color="#bbbbbb", linestyle=":", linewidth=1.0, label="perfect calibration")
        for c in cals:
            top = max(c.weight, default=1.0) or 1.0
            col = COLORS.get(c.model, None)
            ax.plot(c.confidence, c.accuracy, color=col, linewidth=1.4,
                    linestyle="-" if c.model == "candidate" else "--",
                    label=f"{label(c.model, 20)} (ECE {T.fmt(c.ece)})")
            ax.scatter(c.confidence, c.accuracy, s=[12 + 60 * w / top for w in c.weight], color=col, zorder=3)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("mean predicted confidence")
        ax.set_ylabel("observed accuracy / fraction positive")
        ax.set_title("Reliability diagram")
        ax.grid(color="#eeeeee", linewidth=0.6)
        ax.legend(loc="upper left", fontsize=8)
        return _svg(fig, "calibration")


def _small_multiples(items: Sequence[Any], salt: str, draw: Any) -> str:
    """One panel per item, three per row: ``draw(ax, item, i)`` fills panel ``i``."""
    matplotlib, _, _ = _mpl()
    cols = min(3, len(items))
    rows = (len(items) + cols - 1) // cols
    with matplotlib.rc_context(_RC):
        fig = _figure(3.8 * cols, 2.9 * rows)
        for i, item in enumerate(items):
            draw(fig.add_subplot(rows, cols, i + 1), item, i)
        fig.tight_layout()
        return _svg(fig, salt)


def distributions(report: Report) -> str | None:
    """Bootstrap replicates of the tested quantity for failing gates, with the bar and interval."""
    gates = [g for g in report.gates_worst_first() if g.status == "fail" and g.distribution][:MAX_DISTRIBUTIONS]
    if not gates:
        return None

    def draw(ax: Any, g: GateResult, i: int) -> None:
        ax.hist(list(g.distribution), bins=40, color="#9ecae1", edgecolor="#6baed6", linewidth=0.4)
        ax.axvline(g.threshold, color=COLORS["fail"], linestyle="--", linewidth=1.4, label="bar")
        if g.tested.ci is not None:
            for b in g.tested.ci:
                ax.axvline(b, color="#555555", linestyle=":", linewidth=1.0)
        if g.tested.value is not None:
            ax.axvline(g.tested.value, color="#000000", linewidth=1.2, label="observed")
        ax.set_title(label(g.label or g.id, 36), color=gate_color(g))
        ax.set_xlabel({"candidate": "value", "delta": "candidate − baseline",
                       "relative_delta": "relative change"}.get(g.quantity, g.quantity))
        ax.set_yticks([])
        if i == 0:
            ax.legend(fontsize=7, loc="upper left")
    return _small_multiples(gates, "distributions", draw)


def query_deltas(report: Report) -> str | None:
    """task: ranking: a histogram of the per-query deltas (candidate − baseline) of each measure, drawn
    from the report's bins (the renderer does not recompute them)."""
    comparisons = [q for q in report.queries if q.histogram_counts][:MAX_DISTRIBUTIONS]
    if not comparisons:
        return None

    def draw(ax: Any, q: QueryComparison, i: int) -> None:
        edges = list(q.histogram_edges)
        ax.bar(edges[:-1], list(q.histogram_counts), width=[b - a for a, b in zip(edges, edges[1:])],
               align="edge", color="#9ecae1", edgecolor="#6baed6", linewidth=0.4)
        ax.axvline(0.0, color="#000000", linewidth=1.0)
        ax.set_title(label(q.measure, 36))
        ax.set_xlabel("candidate − baseline, per query")
    return _small_multiples(comparisons, "query-deltas", draw)
