"""HTML renderer: one self-contained ``report.html`` (no network, no external JS/CSS/fonts).

Order: verdict → warnings → forest plot of every gate's tested interval against its bar
(``id="forest-plot"``, the picture a reviewer wants first) → the gate table → bootstrap distributions
of failing gates → PR/ROC curves → confusion matrices → reliability diagram → per-class table → data
→ reproducibility. Plots are inline SVG written by :mod:`gate.render.plots` (no plotting library: the
core install draws them); with ``plots=False`` the page has every table and says the plots are off.

Every untrusted string goes through :func:`html.escape` (after control characters are replaced); a
Content-Security-Policy meta tag forbids any network fetch or script, so even a bug in escaping could
not load anything.
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Iterable, Sequence

from gate.render import messages, notes
from gate.render import plots as P
from gate.render import text as T
from gate.report.model import GateResult, Report

PLOTS_HINT = "Plots are turned off for this page; every number is in the tables."

CSS = """
:root { --fail:#c62828; --inc:#ef6c00; --warn:#b8860b; --pass:#2e7d32; --muted:#5f6368; --line:#e0e0e0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: #202124; background: #fafafa; margin: 0; }
main { max-width: 1200px; margin: 0 auto; padding: 24px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
header.verdict { padding: 16px 20px; border-radius: 8px; border-left: 8px solid var(--pass); background: #e8f5e9; }
header.verdict.fail { border-color: var(--fail); background: #ffebee; }
header.verdict.warn { border-color: var(--inc); background: #fff3e0; }
header.verdict p { margin: 4px 0 0; color: var(--muted); }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
code { background: #f1f3f4; padding: 1px 4px; border-radius: 3px; overflow-wrap: break-word; }
pre { background: #f1f3f4; padding: 10px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; vertical-align: top; }
th { background: #f8f9fa; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.gates td:nth-child(6) { white-space: nowrap; }
table.gates td:last-child { min-width: 22em; }
tr.fail td.status { color: var(--fail); font-weight: 600; }
tr.inconclusive td.status { color: var(--inc); font-weight: 600; }
tr.warning td.status { color: var(--warn); font-weight: 600; }
tr.pass td.status { color: var(--pass); }
figure.plot { margin: 8px 0; overflow-x: auto; }
figure.plot svg { max-width: 100%; height: auto; }
.note { color: var(--muted); font-style: italic; }
ul.warnings li { color: #8a5300; }
details > summary { cursor: pointer; color: var(--muted); margin: 6px 0; }
.scroll { overflow-x: auto; }
"""


#: text symbols (not emoji: they render with ordinary fonts, also in headless browsers)
_SYMBOL = {"pass": "✔", "warn": "⚠", "fail": "✘"}


def esc(s: object) -> str:
    """Escape untrusted text for HTML text and attribute contexts (one line, controls replaced)."""
    return _html.escape(T.one_line(str(s)), quote=True)


def _name(s: str) -> str:
    return f"<code>{esc(s)}</code>"


_QUOTED = re.compile(r"`([^`]+)`")


def _prose(s: str) -> str:
    """Untrusted free text (a gate label around its data names, a note, a warning): spans it quoted in
    backticks become ``<code>``."""
    s = T.one_line(s)
    out, pos = [], 0
    for m in _QUOTED.finditer(s):
        out.append(_html.escape(s[pos:m.start()], quote=True))
        out.append(_name(m.group(1)))
        pos = m.end()
    out.append(_html.escape(s[pos:], quote=True))
    return "".join(out)


def _segments(segs: Iterable[T.Segment]) -> str:
    return "".join(_name(s.text) if s.kind == "name" else _prose(s.text) if s.kind == "prose" else esc(s.text)
                   for s in segs)


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], num: Sequence[bool] | None = None,
           row_classes: Sequence[str] | None = None, cls: str = "") -> str:
    num = num or [False] * len(header)
    cls_attr = f' class="{cls}"' if cls else ""
    out = [f'<div class="scroll"><table{cls_attr}>',
           ("<thead><tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr></thead>") if any(header) else "",
           "<tbody>"]
    for i, r in enumerate(rows):
        rc = f' class="{row_classes[i]}"' if row_classes else ""
        out.append(f"<tr{rc}>" + "".join(
            f'<td class="num">{c}</td>' if num[j] else f"<td>{c}</td>" for j, c in enumerate(r)) + "</tr>")
    out += ["</tbody>", "</table></div>"]
    return "\n".join(out)


def _row_class(g: GateResult) -> str:
    return g.outcome


def gate_table(report: Report) -> str:
    gates = report.gates_worst_first()
    if not gates:
        return '<p class="note">No gates were evaluated.</p>'
    header = ["Status", "Gate", "Candidate [CI]", "Baseline", "Δ [CI]", "Bar", "n", "Why"]
    rows = []
    for g in gates:
        n = T.fmt_int(g.n)
        extra = T.needed_text(g, T.sample_unit(report))
        why = _segments(messages.message_segments(g)) if g.status != "pass" else ""
        if extra:
            why += f" <span class=\"note\">({esc(extra)})</span>"
        rows.append([esc(T.status_word(g)), _name(g.label or g.id), esc(T.fmt_gate_est(g, "candidate")),
                     esc(T.fmt(g.baseline.value) if g.baseline else T.DASH),
                     esc(T.fmt_gate_est(g, "delta")), esc(T.bar_text(g)),
                     esc(n), why])
    return _status_cells(_table(header, rows, [False, False, True, True, True, False, True, False],
                                [_row_class(g) for g in gates], cls="gates"))


def _status_cells(html: str) -> str:
    """Mark the first cell of every gate row as the status cell (for colour)."""
    for c in ("pass", "fail", "inconclusive", "warning"):
        html = html.replace(f'<tr class="{c}"><td>', f'<tr class="{c}"><td class="status">')
    return html


def flips_table(report: Report) -> str:
    """The "what flipped" table (flip gates only)."""
    if not report.flips:
        return ""
    rows = [[_name(r.name), *T.flip_cells(r)] for r in report.flips]
    return "<h2>What flipped (candidate vs baseline)</h2>\n" + _table(list(T.FLIP_HEADER), rows, [False] + [True] * 4)


def per_class_table(report: Report) -> str:
    rows_in = report.per_class
    if not rows_in:
        return ""
    keys = ("precision", "recall", "f1")
    header = ["Class", "Support"]
    for k in keys:
        header += [f"{k} cand.", f"{k} base", f"{k} Δ"]
    rows = []
    for r in rows_in:
        cells = [_name(r.name), T.fmt_int(r.support)]
        for k in keys:
            b = None if r.baseline is None else r.baseline.get(k)
            cells += [T.fmt(r.candidate.get(k)), T.fmt(b), T.fmt_signed(r.delta(k))]
        rows.append(cells)
    return "<h2>Per-class metrics</h2>\n" + _table(header, rows, [False] + [True] * (len(header) - 1))


def query_tables(report: Report) -> str:
    """task: ranking: improved/regressed/tied per measure and the queries that regressed most."""
    out = [_table(["Measure", "Queries"], [[_name(q.measure), esc(T.query_counts_text(q))] for q in report.queries])]
    for q in report.queries:
        if q.worst:
            out.append(f"<h3>Most regressed queries · {_name(q.measure)}</h3>\n" + _table(
                ["Query", "Candidate", "Baseline", "Δ"],
                [[_name(w.query_id), T.fmt(w.candidate), T.fmt(w.baseline), T.fmt_signed(w.delta)] for w in q.worst],
                [False, True, True, True]))
    return "\n".join(out)


def confusion_tables(report: Report) -> str:
    out = []
    for m in report.confusion:
        header = ["true ↓ predicted →", *(_name(c) for c in m.classes)]
        rows = [[_name(c), *(T.fmt_count(v) for v in row)] for c, row in zip(m.classes, m.counts)]
        out.append(f"<h3>{esc(m.model)}</h3>\n" + _table(header, rows, [False] + [True] * len(m.classes)))
    return "\n".join(out)


def calibration_tables(report: Report) -> str:
    out = []
    for c in report.calibration:
        rows = [[T.fmt(a), T.fmt(b), T.fmt_count(w)] for a, b, w in zip(c.confidence, c.accuracy, c.weight)]
        out.append(f"<h3>{esc(c.model)} (ECE {esc(T.fmt(c.ece))})</h3>\n" +
                   _table(["Mean confidence", "Observed accuracy", "Weight"], rows, [True, True, True]))
    return "\n".join(out)


def curve_tables(report: Report) -> str:
    out = []
    for c in report.curves:
        xl, yl = ("recall", "precision") if c.kind == "pr" else ("fpr", "tpr")
        rows = [[T.fmt(x), T.fmt(y)] for x, y in zip(c.x, c.y)]
        out.append(f"<h3>{esc(c.kind.upper())} · {esc(c.model)} · class {_name(c.class_name)} "
                   f"(area {esc(T.fmt(c.area))})</h3>\n" + _table([xl, yl], rows, [True, True]))
    return "\n".join(out)


def data_section(report: Report) -> str:
    d = report.data
    sizes = T.data_labels(d.task)
    rows = [["Task", esc(d.task)], ["Classes", f"{len(d.classes)}: " + ", ".join(_name(c) for c in d.classes)],
            ["Positive class", _name(d.positive_class) if d.positive_class is not None else T.DASH],
            ["Pairing", esc(d.pairing)], [sizes[0], T.fmt_int(d.n_candidate)],
            [sizes[1], T.fmt_int(d.n_baseline)], [sizes[2], T.fmt_pct(d.label_coverage)]]
    out = ["<h2>Data</h2>", _table(["", ""], rows)]
    if d.artifacts:
        out.append(_table(["Role", "File", "Format", "Rows", "Labeled", "sha256"],
                          [[esc(a.role), _name(a.path), esc(a.format), T.fmt_int(a.rows),
                            T.fmt_int(a.labeled_rows), _name(a.sha256)] for a in d.artifacts],
                          [False, False, False, True, True, False]))
    return "\n".join(out)


def repro_section(report: Report) -> str:
    r = report.reproducibility
    rows = [["Seed", esc(r.seed)], ["Resamples", T.fmt_int(r.resamples)], ["Method", esc(r.method)],
            ["Resampling", esc(T.resampling_text(r) or "not recorded")], ["Confidence", T.fmt(r.confidence)], ["Sampling", esc(T.sampling_text(r))],
            *([["Resampled unit", unit]] if (unit := T.cluster_unit_text(r, f"<code>{esc(r.cluster)}</code>")) else []),
            ["Multiple testing", esc(r.multiple_testing)], ["Inconclusive gates", esc(r.inconclusive)],
            ["Tool version", esc(r.tool_version)], ["Policy", _name(r.policy_path)],
            ["Policy sha256", _name(r.policy_sha256)]]
    out = ["<h2>Reproducibility</h2>", _table(["", ""], rows)]
    if r.command:
        out.append("<p>Reproduce locally:</p>")
        out.append(f"<pre><code>{_html.escape(T.command_line(r.command), quote=False)}</code></pre>")
    return "\n".join(out)


def _figure(svg: str | None, fig_id: str = "", caption: str = "") -> str:
    if not svg:
        return ""
    idattr = f' id="{fig_id}"' if fig_id else ""
    cap = f"<figcaption class=\"note\">{caption}</figcaption>" if caption else ""
    return f'<figure class="plot"{idattr}>\n{svg}\n{cap}</figure>'


def _plot_section(title: str, fig_id: str, plot, summary: str, tables, report: Report) -> list[str]:
    """A heading, the plot (unless plots are off) and the same numbers as tables: collapsed under
    the plot, open when there is no plot."""
    out = [f"<h2>{esc(title)}</h2>"]
    if plot is not None:
        out.append(_figure(plot(report), fig_id))
    out.append(f"<details{'' if plot is not None else ' open'}><summary>{esc(summary)}</summary>\n"
               f"{tables(report)}\n</details>")
    return out


def render(report: Report, *, plots: bool | None = None) -> str:
    """The HTML page, plots included unless ``plots`` is ``False`` (``None``, the default, draws them)."""
    have_plots = plots is not False
    kind = T.verdict_kind(report)
    word = {"pass": "passed", "warn": "passed with warnings", "fail": "failed"}[kind]
    title = f"model-gate {word}: {T.one_line(report.policy_name)}"
    body: list[str] = [
        f'<header class="verdict {kind}">',
        f"<h1>{_SYMBOL[kind]} model-gate {esc(word)}</h1>",
        f"<p>policy {_name(report.policy_name)} · {esc(T.counts_text(report))} · "
        f"model-gate {esc(report.tool_version)}</p>",
        "</header>",
    ]
    if report.warnings:
        body.append('<ul class="warnings">' + "".join(f"<li>{esc(notes.text(w))}</li>" for w in report.warnings) + "</ul>")

    body.append("<h2>Gates at a glance</h2>")
    if not have_plots:
        body.append(f'<figure class="plot" id="forest-plot"><p class="note">{esc(PLOTS_HINT)}</p></figure>')
    elif report.gates:
        n = len(report.gates)
        cap = ("Each row is a gate's tested interval (bar: interval, dot: point estimate) minus its threshold; "
               "right of the dashed line clears the bar. Red: failed, orange: inconclusive, "
               "dark yellow: non-blocking warning, green: passed. " + P.forest_title(report) + ".")
        if n > P.MAX_FOREST_ROWS:
            cap += f" Showing the {P.MAX_FOREST_ROWS} worst of {n} gates; all are in the table below."
        body.append(_figure(P.forest(report), "forest-plot", esc(cap)))
    else:
        body.append('<figure class="plot" id="forest-plot"><p class="note">No gates were evaluated.</p></figure>')

    body.append("<h2>Gates</h2>")
    body.append(gate_table(report))

    if have_plots:
        dist = P.distributions(report)
        if dist:
            body.append("<h2>Bootstrap distributions of failing gates</h2>")
            body.append(_figure(dist, "distributions", esc(
                "Histogram of the bootstrap replicates of the tested quantity; dashed red: the bar, "
                "dotted: the interval, black: the observed value.")))

    if report.curves:
        body.append("<h2>Precision-recall and ROC curves</h2>")
        if have_plots:
            for cls, svg in P.curves(report):
                body.append(f"<h3>Class {_name(cls)}</h3>")
                body.append(_figure(svg))
        body.append(f"<details><summary>Curve points as tables</summary>\n{curve_tables(report)}\n</details>")

    if report.queries:
        body += _plot_section("Per-query comparison (candidate vs baseline)", "query-deltas",
                              P.query_deltas if have_plots else None, "Query counts and most regressed queries",
                              query_tables, report)
    if report.confusion:
        body += _plot_section("Confusion matrices", "confusion", P.confusion if have_plots else None,
                              "Counts as tables", confusion_tables, report)
    if report.calibration:
        body += _plot_section("Calibration", "calibration", P.calibration if have_plots else None,
                              "Reliability bins as tables", calibration_tables, report)

    body.append(flips_table(report))
    body.append(per_class_table(report))
    body.append(data_section(report))
    body.append(repro_section(report))
    if not have_plots:
        body.append(f'<p class="note">{esc(PLOTS_HINT)}</p>')

    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
    ]
    return "\n".join([*head, *(b for b in body if b), "</main>", "</body>", "</html>"]) + "\n"
