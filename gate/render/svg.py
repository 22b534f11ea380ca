"""A small, dependency-free SVG writer for ``report.html``'s plots (:mod:`gate.render.plots`).

Rules every plot relies on:

- **Deterministic**: the output is a pure function of the calls made (no ids, no timestamps, no
  randomness); numbers are written with :func:`num` (two decimals, no ``-0``), so the same report
  gives the same bytes on every run and platform.
- **Escaped**: every string that reaches the markup goes through :func:`esc` — one line, invisible
  characters and lone surrogates replaced (:func:`gate.render.text.one_line`), then ``& < > " '``
  escaped — whether it is ours or the user's (class names, slice values, policy names).
- **Readable back**: each plot area is a ``<rect class="frame">`` carrying its data ranges in
  ``data-xlim``/``data-ylim`` and each drawn series is a ``<polyline>`` with a ``data-series`` name,
  so a test can invert the pixel mapping and compare the drawn points with the Report's.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gate.render import text as T

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
CHAR_WIDTH = 0.6   # average advance of a DejaVu Sans glyph, in font sizes (for layout estimates)


def num(v: float) -> str:
    """A coordinate as text: two decimals, trailing zeros dropped, ``-0`` written ``0``."""
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def esc(s: object) -> str:
    """Any text for SVG content or a quoted attribute: one line, invisible characters replaced by
    U+FFFD, then the five XML-special characters escaped."""
    return html.escape(T.one_line(str(s)), quote=True)


def text_width(s: str, size: float) -> float:
    """Estimated width in pixels of ``s`` at font ``size`` (layout only; never exact)."""
    return len(s) * size * CHAR_WIDTH


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick positions within [lo, hi]: steps of 1, 2, 2.5 or 5 × 10^k, about ``count`` of
    them; a degenerate range gets the single tick ``lo``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(count, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9)
    ticks = []
    k = first
    while k * step <= hi + step * 1e-9:
        ticks.append(round(k * step, 12) + 0.0)
        k += 1
    return ticks


def tick_text(t: float, ticks: Sequence[float]) -> str:
    """A tick label with as many decimals as the step needs (``0.25`` steps: two)."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else abs(t) or 1.0
    decimals = 0
    while decimals < 8 and abs(round(step, decimals) - step) > step * 1e-6:
        decimals += 1
    s = f"{t:.{decimals}f}"
    return "0" if s.lstrip("-").strip("0.") == "" else s.replace("-", "−")


@dataclass(frozen=True)
class Axes:
    """A plot area: pixel frame (left, top, width, height) and the data ranges it shows."""

    left: float
    top: float
    width: float
    height: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]

    def px(self, v: float) -> float:
        """Data x → pixel x (clamped a little outside the frame, so off-range values stay drawable)."""
        lo, hi = self.xlim
        f = (v - lo) / (hi - lo) if hi > lo else 0.5
        return self.left + min(max(f, -0.05), 1.05) * self.width

    def py(self, v: float) -> float:
        """Data y → pixel y (up is larger), clamped like :meth:`px`."""
        lo, hi = self.ylim
        f = (v - lo) / (hi - lo) if hi > lo else 0.5
        return self.top + self.height - min(max(f, -0.05), 1.05) * self.height

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height


class Canvas:
    """An SVG document built element by element; :meth:`render` returns the ``<svg>`` markup."""

    def __init__(self, width: float, height: float, name: str) -> None:
        self.width, self.height, self.name = width, height, name
        self.parts: list[str] = []

    def raw(self, markup: str) -> None:
        """Append markup built by this module's own helpers (never user text)."""
        self.parts.append(markup)

    def line(self, x1: float, y1: float, x2: float, y2: float, color: str, width: float = 1.0,
             dash: str = "", cls: str = "") -> None:
        extra = (f' stroke-dasharray="{dash}"' if dash else "") + (f' class="{cls}"' if cls else "")
        self.parts.append(f'<line x1="{num(x1)}" y1="{num(y1)}" x2="{num(x2)}" y2="{num(y2)}" '
                          f'stroke="{color}" stroke-width="{num(width)}"{extra}/>')

    def polyline(self, points: Iterable[tuple[float, float]], color: str, width: float = 1.5,
                 dash: str = "", series: str = "") -> None:
        pts = " ".join(f"{num(x)},{num(y)}" for x, y in points)
        extra = (f' stroke-dasharray="{dash}"' if dash else "") + (f' data-series="{esc(series)}"' if series else "")
        self.parts.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="{num(width)}" '
                          f'stroke-linejoin="round"{extra}/>')

    def rect(self, x: float, y: float, w: float, h: float, fill: str, stroke: str = "",
             title: str = "", cls: str = "", data: str = "") -> None:
        extra = (f' stroke="{stroke}" stroke-width="0.5"' if stroke else "") + (f' class="{cls}"' if cls else "") + data
        body = f"<title>{esc(title)}</title>" if title else ""
        tag = f'<rect x="{num(x)}" y="{num(y)}" width="{num(max(w, 0.0))}" height="{num(max(h, 0.0))}" fill="{fill}"{extra}'
        self.parts.append(f"{tag}>{body}</rect>" if body else f"{tag}/>")

    def circle(self, cx: float, cy: float, r: float, fill: str, series: str = "") -> None:
        extra = f' data-series="{esc(series)}"' if series else ""
        self.parts.append(f'<circle cx="{num(cx)}" cy="{num(cy)}" r="{num(r)}" fill="{fill}"{extra}/>')

    def cross(self, cx: float, cy: float, r: float, color: str) -> None:
        """An ×: the marker of a value that could not be computed."""
        self.line(cx - r, cy - r, cx + r, cy + r, color, 1.5)
        self.line(cx - r, cy + r, cx + r, cy - r, color, 1.5)

    def text(self, x: float, y: float, s: str, size: float = 11, anchor: str = "start", color: str = "#202124",
             bold: bool = False, rotate: bool = False) -> None:
        """Text centred vertically on ``y``; ``rotate`` turns it 90° counter-clockwise about (x, y)."""
        extra = (' font-weight="bold"' if bold else "") + (f' transform="rotate(-90 {num(x)} {num(y)})"' if rotate else "")
        self.parts.append(f'<text x="{num(x)}" y="{num(y)}" dy="0.35em" font-size="{num(size)}" '
                          f'text-anchor="{anchor}" fill="{color}"{extra}>{esc(s)}</text>')

    def render(self) -> str:
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{esc(self.name)} plot" '
                f'width="{num(self.width)}" height="{num(self.height)}" '
                f'viewBox="0 0 {num(self.width)} {num(self.height)}" font-family="{FONT}">')
        return "\n".join([head, '<rect width="100%" height="100%" fill="#ffffff"/>', *self.parts, "</svg>"])


def frame(c: Canvas, ax: Axes, *, title: str = "", xlabel: str = "", ylabel: str = "", xticks: bool = True,
          yticks: bool = True, grid: str = "#eeeeee", title_color: str = "#202124") -> None:
    """The plot area's frame (with its data ranges as attributes), grid, ticks, labels and title."""
    xs = nice_ticks(*ax.xlim) if xticks else []
    ys = nice_ticks(*ax.ylim) if yticks else []
    for t in xs:
        c.line(ax.px(t), ax.top, ax.px(t), ax.bottom, grid, 0.6)
        c.text(ax.px(t), ax.bottom + 10, tick_text(t, xs), 9, "middle", "#444444")
    for t in ys:
        c.line(ax.left, ax.py(t), ax.right, ax.py(t), grid, 0.6)
        c.text(ax.left - 4, ax.py(t), tick_text(t, ys), 9, "end", "#444444")
    lims = (f' data-xlim="{ax.xlim[0]!r},{ax.xlim[1]!r}" data-ylim="{ax.ylim[0]!r},{ax.ylim[1]!r}"')
    c.rect(ax.left, ax.top, ax.width, ax.height, "none", "#888888", cls="frame", data=lims)
    if title:
        c.text(ax.left + ax.width / 2, ax.top - 12, title, 11, "middle", title_color, bold=True)
    if xlabel:
        c.text(ax.left + ax.width / 2, ax.bottom + 26, xlabel, 10, "middle")
    if ylabel:
        c.text(ax.left - 34, ax.top + ax.height / 2, ylabel, 10, "middle", rotate=True)


@dataclass(frozen=True)
class LegendItem:
    """One legend row: a line sample (``dash`` optional) or, with ``dot``, a marker."""

    text: str
    color: str
    dash: str = ""
    dot: bool = False


def legend(c: Canvas, ax: Axes, items: Sequence[LegendItem], corner: str) -> None:
    """A boxed legend inside the plot area at ``corner`` (``"lower left"``, ``"upper right"``, ...)."""
    if not items:
        return
    w = 34 + max(text_width(i.text, 9) for i in items)
    h = 6 + 14 * len(items)
    x = ax.left + 6 if "left" in corner else ax.right - 6 - w
    y = ax.top + 6 if "upper" in corner else ax.bottom - 6 - h
    c.rect(x, y, w, h, "#ffffff", "#cccccc")
    for k, item in enumerate(items):
        yy = y + 10 + 14 * k
        if item.dot:
            c.circle(x + 14, yy, 3, item.color)
        else:
            c.line(x + 5, yy, x + 25, yy, item.color, 1.6, item.dash)
        c.text(x + 30, yy, item.text, 9)


def hex_color(rgb: Sequence[float]) -> str:
    """``(r, g, b)`` in 0..255 → ``#rrggbb`` (rounded half to even, so the same on every platform)."""
    return "#" + "".join(f"{min(max(round(v), 0), 255):02x}" for v in rgb)


def colormap(stops: Sequence[str], f: float) -> str:
    """The colour at ``f`` in [0, 1] of a map given by evenly spaced ``#rrggbb`` stops, linear in RGB."""
    f = min(max(f, 0.0), 1.0) if math.isfinite(f) else 0.5
    pos = f * (len(stops) - 1)
    i = min(int(pos), len(stops) - 2)
    t = pos - i
    a = [int(stops[i][k:k + 2], 16) for k in (1, 3, 5)]
    b = [int(stops[i + 1][k:k + 2], 16) for k in (1, 3, 5)]
    return hex_color([x + (y - x) * t for x, y in zip(a, b)])


#: ColorBrewer 2.0 schemes (Cynthia A. Brewer, Apache-2.0 licence), the stops matplotlib's
#: ``Blues`` and ``RdYlGn`` colormaps interpolate
BLUES = ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b")
RDYLGN = ("#a50026", "#d73027", "#f46d43", "#fdae61", "#fee08b", "#ffffbf", "#d9ef8b", "#a6d96a", "#66bd63",
          "#1a9850", "#006837")
