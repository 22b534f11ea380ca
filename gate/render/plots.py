"""Plots for ``report.html``: hand-written inline SVG (:mod:`gate.render.svg`), no plotting library.

Each function takes the :class:`gate.report.Report` and returns SVG markup (no XML declaration) or
``None`` when there is nothing to draw. Plots only draw numbers the Report holds (the one exception
is laying the failing gates' bootstrap replicates into 40 histogram bins, which is drawing, not
statistics); the forest plot shows each gate's tested interval as its *margin to the bar*
(``value − threshold``, sign-flipped for ``<=`` bars) so that every gate shares one axis where
right of 0 means "clears the bar".

Deterministic output (the same report gives the same bytes) and every string escaped, invisible
characters included: both are the SVG writer's rules. Non-finite numbers are never drawn: a gate
without a value gets an × at the bar, a curve or bin point that is not finite is left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TypeVar

from gate.render import svg as S
from gate.render import text as T
from gate.report.model import Curve, GateResult, QueryComparison, Report

MAX_FOREST_ROWS = 150
MAX_CURVE_CLASSES = 12
MAX_DISTRIBUTIONS = 12
MAX_TICK_CLASSES = 30
MAX_ANNOTATED_CELLS = 12
HISTOGRAM_BINS = 40

COLORS = {"fail": "#c62828", "inconclusive": "#ef6c00", "warning": "#b8860b", "pass": "#2e7d32",
          "candidate": "#1f77b4", "baseline": "#7f7f7f"}
NOMINAL_GREY = "#8c8c8c"
BASELINE_DASH = "6 3"
DOTTED = "2 3"

Item = TypeVar("Item")


def available() -> bool:
    """Plots need nothing beyond the core install (kept for callers that asked matplotlib)."""
    return True


def label(s: str, width: int = 40) -> str:
    """An untrusted string shortened for a plot (the SVG writer escapes it)."""
    return T.shorten(T.one_line(s), width)


def gate_color(g: GateResult) -> str:
    return COLORS[g.outcome]


def _finite(values: Sequence[float | None]) -> list[float]:
    return [v for v in values if T.is_number(v)]


def _model_style(model: str) -> tuple[str, str]:
    """(colour, dash) of a model's line: candidate solid blue, baseline dashed grey."""
    return COLORS.get(model, "#444444"), "" if model == "candidate" else BASELINE_DASH


# ---------------------------------------------------------------------------------------------------
# forest plot
# ---------------------------------------------------------------------------------------------------

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


def _margins(g: GateResult, pair: tuple[float, float] | None) -> tuple[float, float] | None:
    """An interval as margins to the bar (sorted; None unless both ends are finite)."""
    if pair is None or not all(T.is_number(v) for v in pair):
        return None
    sign = 1.0 if g.op == ">=" else -1.0
    a, b = sorted(((pair[0] - g.threshold) * sign, (pair[1] - g.threshold) * sign))
    return a, b


def _margin(g: GateResult) -> float | None:
    v = g.tested.value
    return (v - g.threshold) * (1.0 if g.op == ">=" else -1.0) if T.is_number(v) else None


def _forest_range(gates: Sequence[GateResult]) -> tuple[float, float]:
    """The x range: every drawn margin and 0 (the bar), padded by 8% (at least 0.02 wide)."""
    xs = [0.0]
    for g in gates:
        for pair in (_margins(g, nominal_interval(g)), _margins(g, g.tested.ci)):
            xs += list(pair or ())
        m = _margin(g)
        xs += [m] if m is not None else []
    lo, hi = min(xs), max(xs)
    pad = max(hi - lo, 0.02) * 0.08
    return lo - pad, hi + pad


def _forest_row(c: S.Canvas, ax: S.Axes, g: GateResult, y: float) -> None:
    """One gate: thin grey nominal interval above, thick coloured tested interval with end caps,
    the point estimate as a dot (× at the bar when there is none)."""
    color = gate_color(g)
    m = _margin(g)
    if m is None:
        c.cross(ax.px(0.0), y, 4, color)
        return
    nominal = _margins(g, nominal_interval(g))
    if nominal is not None:
        c.line(ax.px(nominal[0]), y - 6, ax.px(nominal[1]), y - 6, NOMINAL_GREY, 1.0, cls="nominal")
    tested = _margins(g, g.tested.ci)
    if tested is not None:
        c.line(ax.px(tested[0]), y, ax.px(tested[1]), y, color, 3.0, cls="tested")
        for end in tested:
            c.line(ax.px(end), y - 5, ax.px(end), y + 5, color, 1.2)
    c.circle(ax.px(m), y, 3.5, color, series=f"margin:{g.id}")


def forest(report: Report) -> str | None:
    """Every gate's tested interval against its bar (worst gates at the top), the gate's name on the
    left and its estimate, bar and status on the right, in the gate's colour."""
    gates = report.gates_worst_first()[:MAX_FOREST_ROWS]
    if not gates:
        return None
    names = [label(g.label or g.id, 48) for g in gates]
    notes = [f"{T.fmt_est(g.tested, signed=g.quantity != 'candidate')}  bar {T.bar_text(g)}  {T.status_word(g)}"
             for g in gates]
    left = 16 + max(S.text_width(n, 10) for n in names)
    right = 16 + max(S.text_width(n, 9) for n in notes)
    row = 22.0
    ax = S.Axes(left, 40, 420, row * len(gates), _forest_range(gates), (0.0, float(len(gates))))
    c = S.Canvas(left + ax.width + right, ax.bottom + 50, "forest")
    S.frame(c, ax, title="", xlabel="margin to the bar: tested value − threshold (flipped for ≤ bars); "
            "right of 0 clears the bar", yticks=False, grid="#dddddd")
    c.text(c.width / 2, 16, forest_title(report), 11, "middle", bold=True)
    c.line(ax.px(0.0), ax.top, ax.px(0.0), ax.bottom, "#222222", 1.0, "4 3")
    for k, (g, name, note) in enumerate(zip(gates, names, notes)):
        y = ax.top + row * (k + 0.5)
        c.text(ax.left - 6, y, name, 10, "end", gate_color(g))
        c.text(ax.right + 8, y, note, 9, "start", gate_color(g))
        _forest_row(c, ax, g, y)
    return c.render()


# ---------------------------------------------------------------------------------------------------
# PR and ROC curves
# ---------------------------------------------------------------------------------------------------

def _curve_classes(curves: Sequence[Curve]) -> list[str]:
    out: list[str] = []
    for c in curves:
        if c.class_name not in out:
            out.append(c.class_name)
    return out


def curve_points(c: Curve) -> list[tuple[float, float]]:
    """The points of a curve that can be drawn (both coordinates finite), in the Report's order."""
    return [(x, y) for x, y in zip(c.x, c.y) if T.is_number(x) and T.is_number(y)]


_CURVE_PANELS = (("pr", "recall", "precision", "Precision-recall", "lower left"),
                 ("roc", "false positive rate", "true positive rate", "ROC", "lower right"))


def _curve_panel(c: S.Canvas, ax: S.Axes, report: Report, cls: str, panel: tuple[str, str, str, str, str]) -> None:
    kind, xl, yl, title, corner = panel
    S.frame(c, ax, title=f"{title}: {label(cls, 30)}", xlabel=xl, ylabel=yl)
    if kind == "roc":
        c.line(ax.px(0), ax.py(0), ax.px(1), ax.py(1), "#bbbbbb", 0.8, DOTTED)
    items = []
    for curve in report.curves:
        if curve.class_name != cls or curve.kind != kind:
            continue
        color, dash = _model_style(curve.model)
        c.polyline([(ax.px(x), ax.py(y)) for x, y in curve_points(curve)], color, 1.6, dash,
                   series=f"{kind}:{curve.model}")
        items.append(S.LegendItem(f"{label(curve.model, 20)} (area {T.fmt(curve.area)})", color, dash))
    S.legend(c, ax, items, corner)


def curves(report: Report) -> list[tuple[str, str]]:
    """``[(class name, svg)]``: PR and ROC side by side, candidate vs baseline, one figure per class."""
    out = []
    for cls in _curve_classes(report.curves)[:MAX_CURVE_CLASSES]:
        c = S.Canvas(790, 340, "curves")
        for j, panel in enumerate(_CURVE_PANELS):
            _curve_panel(c, S.Axes(60 + 395 * j, 34, 320, 260, (0.0, 1.0), (0.0, 1.02)), report, cls, panel)
        out.append((cls, c.render()))
    return out


# ---------------------------------------------------------------------------------------------------
# confusion matrices
# ---------------------------------------------------------------------------------------------------

def quality_of_difference(diff: Sequence[Sequence[float]]) -> list[list[float]]:
    """The colour of each cell of candidate − baseline counts, by quality rather than sign: on the
    diagonal (correct predictions) more is better, off it (errors) fewer is better, so an
    off-diagonal cell's sign is flipped. The cell text still shows the signed count."""
    return [[v if i == j else -v for j, v in enumerate(row)] for i, row in enumerate(diff)]


def difference_color(quality: float, limit: float) -> str:
    """RdYlGn at ``0.5 + quality / (2·limit)``: green = better, red = worse, pale yellow = same."""
    return S.colormap(S.RDYLGN, 0.5 + quality / (2 * limit))


Panel = tuple[str, Sequence[str], list[list[float]], bool]


def _heatmap_panels(report: Report) -> list[Panel]:
    """(title, classes, counts, diverging): each model's matrix, then candidate − baseline."""
    mats = list(report.confusion)
    panels: list[Panel] = [(m.model, m.classes, [list(r) for r in m.counts], False) for m in mats]
    by = {m.model: m for m in mats}
    if "candidate" in by and "baseline" in by and by["candidate"].classes == by["baseline"].classes:
        cand, base = by["candidate"], by["baseline"]
        diff = [[a - b for a, b in zip(ra, rb)] for ra, rb in zip(cand.counts, base.counts)]
        panels.append(("candidate − baseline (green = better)", cand.classes, diff, True))
    return panels


def _colorbar(c: S.Canvas, x: float, top: float, height: float, color: Callable[[float], str],
              ticks: Sequence[tuple[float, str]]) -> None:
    """A vertical colour scale of 32 steps; ``ticks`` are (fraction from the bottom, text)."""
    step = height / 32
    for k in range(32):
        c.rect(x, top + height - step * (k + 1), 12, step + 0.3, color((k + 0.5) / 32))
    c.rect(x, top, 12, height, "none", "#888888")
    for f, s in ticks:
        c.text(x + 16, top + height * (1 - f), s, 9)


def _heatmap(c: S.Canvas, left: float, top: float, side: float, panel: Panel) -> None:
    title, classes, counts, diverging = panel
    n = max(len(classes), 1)
    cell = side / n
    finite = [abs(v) for row in counts for v in row if T.is_number(v)]
    top_value = max(finite, default=1.0) or 1.0
    quality = quality_of_difference(counts) if diverging else counts

    def color(v: float) -> str:
        return difference_color(v, top_value) if diverging else S.colormap(S.BLUES, v / top_value)

    for i, row in enumerate(counts):
        for j, v in enumerate(row):
            q = quality[i][j]
            fill = color(q) if T.is_number(q) else "#ffffff"
            c.rect(left + j * cell, top + i * cell, cell, cell, fill,
                   title=f"true {classes[i]}, predicted {classes[j]}: {T.fmt_count(v)}")
            if n <= MAX_ANNOTATED_CELLS:
                s = ("+" if diverging and T.is_number(v) and v > 0 else "") + T.fmt_count(v)
                dark = not diverging and T.is_number(v) and abs(v) > 0.6 * top_value
                c.text(left + (j + 0.5) * cell, top + (i + 0.5) * cell, s, 9, "middle", "#ffffff" if dark else "#000000")
    c.rect(left, top, side, side, "none", "#888888")
    c.text(left + side / 2, top - 12, label(title, 40), 11, "middle", bold=True)
    names = [label(name, 16) for name in classes] if n <= MAX_TICK_CLASSES else []
    for k, short in enumerate(names):
        c.text(left - 4, top + (k + 0.5) * cell, short, 9, "end")
        c.text(left + (k + 0.5) * cell, top + side + 4, short, 9, "end", rotate=True)
    room = 14 + max((S.text_width(s, 9) for s in names), default=0.0)
    c.text(left + side / 2, top + side + room, "predicted", 10, "middle")
    c.text(left - room, top + side / 2, "true", 10, "middle", rotate=True)
    scale = (lambda f: color((2 * f - 1) * top_value)) if diverging else (lambda f: color(f * top_value))
    ticks = ([(0.0, "worse"), (0.5, "same"), (1.0, "better")] if diverging
             else [(0.0, "0"), (1.0, T.fmt_count(top_value))])
    _colorbar(c, left + side + 10, top, side, scale, ticks)


def confusion(report: Report) -> str | None:
    """Heatmaps: candidate, baseline, and their difference (candidate − baseline), the difference
    coloured by quality (:func:`quality_of_difference`); counts printed in cells up to 12 classes,
    class names on the axes up to 30."""
    panels = _heatmap_panels(report)
    if not panels:
        return None
    k = max(len(p[1]) for p in panels)
    side = 240.0 if k <= 12 else min(240.0 + 6 * k, 640.0)
    pitch = side + 180
    c = S.Canvas(pitch * len(panels) + 20, side + 160, "confusion")
    for idx, panel in enumerate(panels):
        _heatmap(c, 120 + pitch * idx, 36, side, panel)
    return c.render()


# ---------------------------------------------------------------------------------------------------
# reliability diagram
# ---------------------------------------------------------------------------------------------------

def calibration(report: Report) -> str | None:
    """Reliability diagram: mean confidence vs observed accuracy per bin (marker area ∝ bin weight)."""
    cals = list(report.calibration)
    if not cals:
        return None
    c = S.Canvas(420, 380, "calibration")
    ax = S.Axes(60, 34, 340, 300, (0.0, 1.0), (0.0, 1.0))
    S.frame(c, ax, title="Reliability diagram", xlabel="mean predicted confidence",
            ylabel="observed accuracy / fraction positive")
    c.line(ax.px(0), ax.py(0), ax.px(1), ax.py(1), "#bbbbbb", 1.0, DOTTED)
    items = [S.LegendItem("perfect calibration", "#bbbbbb", DOTTED)]
    for cal in cals:
        color, dash = _model_style(cal.model)
        points = [(x, y, w) for x, y, w in zip(cal.confidence, cal.accuracy, cal.weight)
                  if T.is_number(x) and T.is_number(y)]
        c.polyline([(ax.px(x), ax.py(y)) for x, y, _ in points], color, 1.4, dash, series=f"calibration:{cal.model}")
        heaviest = max(_finite(list(cal.weight)), default=1.0) or 1.0
        for x, y, w in points:
            area = 12 + 60 * (w / heaviest if T.is_number(w) else 0.0)   # matplotlib's scatter sizes, in px²
            c.circle(ax.px(x), ax.py(y), math.sqrt(area / math.pi), color)
        items.append(S.LegendItem(f"{label(cal.model, 20)} (ECE {T.fmt(cal.ece)})", color, dash))
    S.legend(c, ax, items, "upper left")
    return c.render()


# ---------------------------------------------------------------------------------------------------
# small multiples: bootstrap distributions, per-query deltas
# ---------------------------------------------------------------------------------------------------

def _small_multiples(items: Sequence[Item], name: str,
                     draw: Callable[[S.Canvas, S.Axes, Item, int], None]) -> str:
    """One panel per item, three per row: ``draw(canvas, axes, item, i)`` fills panel ``i``; the
    axes passed fix the panel's frame, and ``draw`` sets the data ranges (:func:`_panel_axes`)."""
    cols = min(3, len(items))
    rows = (len(items) + cols - 1) // cols
    c = S.Canvas(280 * cols + 30, 210 * rows, name)
    for i, item in enumerate(items):
        r, k = divmod(i, cols)
        draw(c, S.Axes(44 + 280 * k, 34 + 210 * r, 230, 130, (0.0, 1.0), (0.0, 1.0)), item, i)
    return c.render()


def histogram(values: Sequence[float], bins: int = HISTOGRAM_BINS) -> tuple[list[float], list[int]]:
    """``(edges, counts)`` of ``bins`` equal bins over the finite values' range (the last bin closed);
    a single distinct value gets one bin of width 1e-9 around it; no finite value: no bins."""
    xs = sorted(_finite(list(values)))
    if not xs:
        return [], []
    lo, hi = xs[0], xs[-1]
    if hi <= lo:
        return [lo - 5e-10, lo + 5e-10], [len(xs)]
    width = (hi - lo) / bins
    counts = [0] * bins
    for v in xs:
        counts[min(int((v - lo) / width), bins - 1)] += 1
    return [lo + width * k for k in range(bins)] + [hi], counts


def _bars(c: S.Canvas, ax: S.Axes, edges: Sequence[float], counts: Sequence[int]) -> None:
    for a, b, n in zip(edges, edges[1:], counts):
        c.rect(ax.px(a), ax.py(n), ax.px(b) - ax.px(a), ax.bottom - ax.py(n), "#9ecae1", "#6baed6", cls="bin")


def _panel_axes(ax: S.Axes, xs: Sequence[float], top: float) -> S.Axes:
    """The panel's frame with its x range over ``xs`` (padded by 5%) and y range 0..1.05·top."""
    finite = _finite(list(xs))
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    pad = max(hi - lo, 1e-9) * 0.05
    return S.Axes(ax.left, ax.top, ax.width, ax.height, (lo - pad, hi + pad), (0.0, max(top, 1) * 1.05))


_QUANTITY_AXIS = {"candidate": "value", "delta": "candidate − baseline", "relative_delta": "relative change"}


def _distribution_panel(c: S.Canvas, ax: S.Axes, g: GateResult, i: int) -> None:
    edges, counts = histogram(g.distribution)
    marks = [g.threshold, *(g.tested.ci or ()), g.tested.value]
    ax = _panel_axes(ax, [*edges, *(m for m in marks if m is not None)], max(counts, default=1))
    S.frame(c, ax, title=label(g.label or g.id, 36), xlabel=_QUANTITY_AXIS.get(g.quantity, g.quantity),
            yticks=False, title_color=gate_color(g))
    _bars(c, ax, edges, counts)
    if T.is_number(g.threshold):
        c.line(ax.px(g.threshold), ax.top, ax.px(g.threshold), ax.bottom, COLORS["fail"], 1.4, "5 3", cls="bar")
    for end in _finite(list(g.tested.ci or ())):
        c.line(ax.px(end), ax.top, ax.px(end), ax.bottom, "#555555", 1.0, DOTTED, cls="interval")
    if T.is_number(g.tested.value):
        c.line(ax.px(g.tested.value), ax.top, ax.px(g.tested.value), ax.bottom, "#000000", 1.2, cls="observed")
    if i == 0:
        S.legend(c, ax, [S.LegendItem("bar", COLORS["fail"], "5 3"), S.LegendItem("observed", "#000000")],
                 "upper left")


def distributions(report: Report) -> str | None:
    """Bootstrap replicates of the tested quantity for failing gates, with the bar and interval."""
    gates = [g for g in report.gates_worst_first() if g.status == "fail" and g.distribution][:MAX_DISTRIBUTIONS]
    if not gates:
        return None
    return _small_multiples(gates, "distributions", _distribution_panel)


def _query_panel(c: S.Canvas, ax: S.Axes, q: QueryComparison, i: int) -> None:
    edges, counts = list(q.histogram_edges), list(q.histogram_counts)
    ax = _panel_axes(ax, [*edges, 0.0], max(counts, default=1))
    S.frame(c, ax, title=label(q.measure, 36), xlabel="candidate − baseline, per query")
    _bars(c, ax, edges, counts)
    c.line(ax.px(0.0), ax.top, ax.px(0.0), ax.bottom, "#000000", 1.0)


def query_deltas(report: Report) -> str | None:
    """task: ranking: a histogram of the per-query deltas (candidate − baseline) of each measure, drawn
    from the report's bins (the renderer does not recompute them)."""
    comparisons = [q for q in report.queries if q.histogram_counts][:MAX_DISTRIBUTIONS]
    if not comparisons:
        return None
    return _small_multiples(comparisons, "query-deltas", _query_panel)
