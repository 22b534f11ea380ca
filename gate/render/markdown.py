"""Markdown renderer: the PR/MR comment and job-summary body (``report.md``).

Layout: verdict line (Unicode emoji, policy, counts) → warnings → the GFM gate table (worst first) →
collapsible ``<details>`` sections (per-class, confusion matrices, PR curves with an optional Mermaid
``xychart-beta`` chart next to a plain table of the same points, data summary, reproducibility) → a
truncation note when something had to be dropped → the hidden marker line
``<!-- model-gate:v1 key=<key> -->`` (always the last line, always kept).

Untrusted strings (class names, slice keys/values, file names, the policy name, engine messages that
quote them) are made inert: code spans whose fence is longer than any backtick run inside, newlines
→ space, ``|`` escaped as ``\\|`` everywhere, ``<``, ``>``, ``&`` HTML-escaped, control characters
replaced. Free-text messages are tokenised: plain words stay prose, any token carrying Markdown-active
characters (``@ # ! : * _ ~ ` \\ |`` …) becomes its own code span (see :func:`prose`).

Size: the result is at most ``max_chars`` characters (default 65,000, under GitHub's 65,536 limit).
When over, details sections are dropped first (least important first), then gate-table rows from the
bottom (passing gates first, as the table is worst first), and a line says what was dropped.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from gate.render import text as T
from gate.report import ClassRow, ConfusionMatrix, Curve, GateResult, QueryComparison, Report

MAX_CHARS = 65_000
MAX_KEY = 128
MARKER_PREFIX = "<!-- model-gate:v1 key="
CHARTS = ("mermaid", "none")
#: PR-curve charts/tables shown per comment (the HTML report has all of them)
MAX_CURVE_CLASSES = 10
RECALL_GRID = tuple(i / 10 for i in range(11))


# ---------------------------------------------------------------------------------------------------
# escaping
# ---------------------------------------------------------------------------------------------------

def _escape_pipes(s: str) -> str:
    """Escape every ``|`` as ``\\|``. A backslash run right before a pipe is doubled first, so that the
    pipe's own escape cannot be cancelled (``\\|`` in a name must not become an escaped backslash
    followed by a live cell separator)."""
    return re.sub(r"(\\*)\|", lambda m: m.group(1) * 2 + "\\|", s)


def code(s: str) -> str:
    """An untrusted string as an inert GFM code span (safe in table cells and prose)."""
    s = html.escape(T.one_line(s), quote=False)
    s = _escape_pipes(s)
    if not s:
        return "*(empty)*"
    longest = max((len(r) for r in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if (s.startswith("`") or s.endswith("`") or (s.startswith(" ") and s.endswith(" "))) else ""
    return f"{fence}{pad}{s}{pad}{fence}"


_SAFE_TOKEN = re.compile(r"(?:[^\W_]|[.,;()=+\-%/≥≤−–Δ×·'\"<>&\[\]])+:?")
_QUOTED = re.compile(r"`([^`]+)`")
#: GitLab references: ``%milestone``, ``&epic`` (``#``, ``!``, ``~``, ``$``, ``@`` are never prose)
_REF_LIKE = re.compile(r"[%&][^\W_]")


def _prose_words(s: str) -> list[str]:
    out = []
    for tok in s.split():
        if (_SAFE_TOKEN.fullmatch(tok) and not tok.lower().startswith("www.")
                and not _REF_LIKE.search(tok)):
            t = html.escape(tok, quote=False)
            out.append(t.replace("[", "\\[").replace("]", "\\]"))
        else:
            out.append(code(tok))
    return out


def prose(s: str) -> str:
    """Free text that may quote untrusted names, rendered inert but readable.

    Spans the engine quoted in single backticks become code spans of their inside. The rest is split
    on whitespace: a word made only of letters, digits and harmless punctuation stays prose
    (``<``/``>``/``&`` HTML-escaped, ``[``/``]`` backslash-escaped so no link can form); any other word
    (``@x``, ``#1``, ``!12``, ``:x:``, ``%m``, ``&1``, ``$x``, ``~l``, ``*``, ``_``, ``|``, ``\\``, a
    stray backtick, ``www.…``) becomes its own code span."""
    s = T.one_line(s)
    out: list[str] = []
    pos = 0
    for m in _QUOTED.finditer(s):
        out += _prose_words(s[pos:m.start()])
        # glue to adjacent punctuation ("`a`," / "(`a`)"), never one code span directly to another:
        # touching backtick runs would merge and change where spans end
        c = code(m.group(1))
        if out and m.start() > 0 and not s[m.start() - 1].isspace() and not out[-1].endswith("`"):
            out[-1] += c
        else:
            out.append(c)
        pos = m.end()
        if pos < len(s) and not s[pos].isspace():
            word = s[pos:].split(None, 1)[0]
            pos += len(word)
            rest = _prose_words(word)
            if rest and not rest[0].startswith("`"):
                out[-1] += rest[0]
                out += rest[1:]
            else:
                out += rest
    out += _prose_words(s[pos:])
    return " ".join(out)


def segments(segs: Iterable[T.Segment]) -> str:
    """Render :class:`gate.render.text.Segment` s: names as code spans, free text via :func:`prose`."""
    return "".join(prose(s.text) if s.kind == "prose" else code(s.text) if s.untrusted else s.text
                   for s in segs)


def marker_key(key: str) -> str:
    """A stable, injection-proof marker key: percent-encoding (injective, so distinct policy names
    keep distinct keys) of everything but ``[A-Za-z0-9._~/:+=-]``; ``--`` is encoded too, so the key
    can never contain ``-->``, a newline or a space. Keys longer than ``MAX_KEY`` become a prefix plus
    ``~`` and 16 hex digits of the name's sha256."""
    k = quote(key.encode("utf-8", "surrogatepass"), safe="/:+=")
    k = k.replace("--", "-%2D")
    if len(k) > MAX_KEY:  # keep it short and still distinct: a prefix plus a digest of the whole key
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        k = re.sub(r"%[0-9A-F]?$", "", k[:MAX_KEY - 17]) + "~" + digest
    return k or "default"


def marker_line(key: str) -> str:
    return f"{MARKER_PREFIX}{marker_key(key)} -->"


# ---------------------------------------------------------------------------------------------------
# pieces
# ---------------------------------------------------------------------------------------------------

def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], align: Sequence[str] | None = None) -> list[str]:
    align = align or ["---"] * len(header)
    return [_row(header), _row(align), *(_row(r) for r in rows)]


def verdict_line(report: Report) -> str:
    kind = T.verdict_kind(report)
    word = {"pass": "passed", "warn": "passed with warnings", "fail": "failed"}[kind]
    return (f"{T.VERDICT_EMOJI[kind]} **model-gate {word}** — policy {code(report.policy_name)} · "
            f"{T.counts_text(report)}")


GATE_HEADER = ("", "Gate", "Candidate [CI]", "Baseline", "Δ [CI]", "Bar", "n", "Verdict")
GATE_ALIGN = (":-:", "---", "--:", "--:", "--:", "---", "--:", "---")


def gate_row(g: GateResult) -> list[str]:
    verdict = f"**{T.status_word(g)}**"
    reason = segments(T.reason_segments(g))
    if reason and g.status != "pass":
        verdict += f": {reason}"
    n = T.fmt_int(g.n)
    if g.status == "inconclusive" and g.needed_n is not None:
        n += f" (need ~{g.needed_n:,})"
    return [
        T.status_emoji(g),
        code(g.label or g.id),
        T.fmt_est(g.candidate),
        T.fmt(g.baseline.value) if g.baseline is not None else T.DASH,
        T.fmt_est(g.delta, signed=True) if g.delta is not None else T.DASH,
        T.bar_text(g),
        n,
        verdict,
    ]


def _details(summary: str, body: list[str]) -> str:
    return "\n".join([f"<details><summary>{summary}</summary>", "", *body, "", "</details>"])


def per_class_section(rows: Sequence[ClassRow]) -> str | None:
    if not rows:
        return None
    keys = ("precision", "recall", "f1")
    has_base = any(r.baseline is not None for r in rows)
    header = ["Class", "Support"]
    for k in keys:
        header += [f"{k} cand.", f"{k} base", f"{k} Δ"] if has_base else [k]
    body = []
    for r in rows:
        cells = [code(r.name), T.fmt_int(r.support)]
        for k in keys:
            c = r.candidate.get(k)
            if has_base:
                b = None if r.baseline is None else r.baseline.get(k)
                d = c - b if T.is_number(c) and T.is_number(b) else None
                cells += [T.fmt(c), T.fmt(b), T.fmt_signed(d)]
            else:
                cells.append(T.fmt(c))
        body.append(cells)
    align = [":--", "--:"] + ["--:"] * (len(header) - 2)
    return _details(f"Per-class metrics ({len(rows)} classes)", _table(header, body, align))


def queries_section(comparisons: Sequence[QueryComparison]) -> str | None:
    """task: ranking: per measure, how many queries improved, regressed or tied, and the queries that
    regressed most (ids are untrusted: code spans)."""
    if not comparisons:
        return None
    body = _table(["Measure", "Queries"], [[code(q.measure), T.query_counts_text(q)] for q in comparisons],
                  [":--", ":--"])
    for q in comparisons:
        if q.worst:
            body += ["", f"**Most regressed queries, {code(q.measure)}**", ""]
            body += _table(["Query", "Candidate", "Baseline", "Δ"],
                           [[code(w.query_id), T.fmt(w.candidate), T.fmt(w.baseline), T.fmt_signed(w.delta)]
                            for w in q.worst], [":--", "--:", "--:", "--:"])
    return _details("Per-query comparison (candidate vs baseline)", body)


def _confusion_table(title: str, classes: Sequence[str], counts: Sequence[Sequence[str]]) -> list[str]:
    header = ["true ＼ predicted", *(code(c) for c in classes)]
    body = [[code(c), *row] for c, row in zip(classes, counts)]
    return [f"**{title}**", "", *_table(header, body, [":--"] + ["--:"] * len(classes)), ""]


def confusion_section(mats: Sequence[ConfusionMatrix]) -> str | None:
    if not mats:
        return None
    body: list[str] = []
    for m in mats:
        body += _confusion_table(f"{m.model.capitalize()}", m.classes,
                                 [[T.fmt_count(c) for c in row] for row in m.counts])
    by_model = {m.model: m for m in mats}
    cand, base = by_model.get("candidate"), by_model.get("baseline")
    if cand is not None and base is not None and cand.classes == base.classes:
        diff = [[_signed_count(a - b) for a, b in zip(ra, rb)] for ra, rb in zip(cand.counts, base.counts)]
        body += _confusion_table("Difference (candidate − baseline)", cand.classes, diff)
    return _details("Confusion matrices (rows: true class, columns: predicted)", body[:-1])


def _signed_count(x: float) -> str:
    s = T.fmt_count(x)
    return s if s.startswith("-") or s == "0" else "+" + s


def _pick(curve: Curve, r: float) -> tuple[float, float] | None:
    """The curve point whose recall is nearest ``r`` (ties: the highest precision). Selection only,
    no interpolation."""
    best = None
    for x, y in zip(curve.x, curve.y):
        key = (abs(x - r), -y)
        if best is None or key < best[0]:
            best = (key, (x, y))
    return None if best is None else best[1]


def pr_section(curves: Sequence[Curve], chart: str) -> str | None:
    pr = [c for c in curves if c.kind == "pr"]
    if not pr:
        return None
    classes: list[str] = []
    for c in pr:
        if c.class_name not in classes:
            classes.append(c.class_name)
    shown = classes[:MAX_CURVE_CLASSES]
    body: list[str] = []
    if chart == "mermaid":
        body += ["In each chart the blue line is the candidate, the orange one the baseline "
                 "(points: nearest curve point to each recall step; same numbers as the table).", ""]
    for i, cls in enumerate(shown, 1):
        models = {c.model: c for c in pr if c.class_name == cls}
        order = [m for m in ("candidate", "baseline") if m in models] + sorted(
            m for m in models if m not in ("candidate", "baseline"))
        picks = {m: [_pick(models[m], r) for r in RECALL_GRID] for m in order}
        areas = ", ".join(f"{m} area {T.fmt(models[m].area)}" for m in order)
        body += [f"**Class {code(cls)}** ({areas})", ""]
        if chart == "mermaid":
            body += ["```mermaid",
                     '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#1f77b4, #ff7f0e"}}}}%%',
                     "xychart-beta",
                     f'    title "Precision-recall, class {i} of {len(shown)}"',
                     '    x-axis "Recall" [' + ", ".join(f'"{r:.1f}"' for r in RECALL_GRID) + "]",
                     '    y-axis "Precision" 0 --> 1']
            for m in order:
                body.append("    line [" + ", ".join(T.fmt(p[1]) if p else "0" for p in picks[m]) + "]")
            body += ["```", ""]
        header = ["Recall step"]
        for m in order:
            header += [f"{m} recall", f"{m} precision"]
        rows = []
        for k, r in enumerate(RECALL_GRID):
            row = [f"{r:.1f}"]
            for m in order:
                p = picks[m][k]
                row += [T.fmt(p[0]) if p else T.DASH, T.fmt(p[1]) if p else T.DASH]
            rows.append(row)
        body += [*_table(header, rows, ["--:"] * len(header)), ""]
    if len(classes) > len(shown):
        body.append(f"{len(classes) - len(shown)} more classes have PR curves in report.html / report.json.")
        body.append("")
    return _details("Precision-recall curves (candidate vs baseline)", body[:-1] if body[-1] == "" else body)


def data_section(report: Report) -> str:
    d = report.data
    sizes = T.data_labels(d.task)
    cls_list = ", ".join(code(c) for c in d.classes[:20])
    if len(d.classes) > 20:
        cls_list += f" … (+{len(d.classes) - 20} more)"
    rows = [
        ["Task", code(d.task)],
        ["Classes", f"{len(d.classes)}: {cls_list}"],
        ["Positive class", code(d.positive_class) if d.positive_class is not None else T.DASH],
        ["Pairing", code(d.pairing)],
        [sizes[0], T.fmt_int(d.n_candidate)],
        [sizes[1], T.fmt_int(d.n_baseline)],
        [sizes[2], T.fmt_pct(d.label_coverage)],
    ]
    body = _table(["", ""], rows, [":--", ":--"])
    if d.artifacts:
        body += [""] + _table(
            ["Role", "File", "Format", "Rows", "Labeled", "sha256"],
            [[code(a.role), code(a.path), code(a.format), T.fmt_int(a.rows), T.fmt_int(a.labeled_rows),
              code(a.sha256)] for a in d.artifacts])
    return _details("Data summary", body)


def repro_section(report: Report) -> str:
    r = report.reproducibility
    rows = [
        ["Seed", str(r.seed)],
        ["Resamples", T.fmt_int(r.resamples)],
        ["Method", code(r.method)],
        ["Resampling", code(r.resampling or "not recorded")],
        ["Confidence", T.fmt(r.confidence)],
        ["Stratified", "yes" if r.stratify else "no"],
        ["Multiple testing", code(r.multiple_testing)],
        ["Inconclusive gates", code(r.inconclusive)],
        ["Tool version", code(r.tool_version)],
        ["Policy", code(r.policy_path)],
        ["Policy sha256", code(r.policy_sha256)],
    ]
    body = _table(["", ""], rows, [":--", ":--"])
    if r.command:
        cmd = T.command_line(r.command)
        body += ["", "Reproduce locally:", "", "```sh", cmd, "```"]
    return _details("Reproducibility", body)


# ---------------------------------------------------------------------------------------------------
# assembly with a size budget
# ---------------------------------------------------------------------------------------------------

@dataclass
class _Section:
    name: str       # used in the truncation note
    text: str


def _present(sections: dict[str, str | None], order: Sequence[str]) -> list[_Section]:
    """The non-empty sections, in ``order``."""
    return [_Section(n, text) for n in order if (text := sections[n])]


def _assemble(head: list[str], table_head: list[str], rows: list[str], omitted_rows: str,
              sections: list[_Section], note: str, marker: str) -> str:
    parts = ["\n".join(head)]
    parts.append("\n".join([*table_head, *rows]) + ("\n\n" + omitted_rows if omitted_rows else ""))
    parts += [s.text for s in sections]
    if note:
        parts.append(note)
    parts.append(marker)
    return "\n\n".join(parts) + "\n"


#: drop order when over budget: least important first
DROP_ORDER = ("confusion", "curves", "per_class", "queries", "data", "reproducibility")
_NAMES = {"confusion": "confusion matrices", "curves": "PR curves", "per_class": "per-class metrics",
          "queries": "per-query comparison", "data": "data summary", "reproducibility": "reproducibility"}


def render(report: Report, *, chart: str = "mermaid", max_chars: int = MAX_CHARS, key: str | None = None,
           run_url: str | None = None) -> str:
    """The comment body. ``chart`` is ``"mermaid"`` or ``"none"`` (drops only the chart, never the
    numbers); ``key`` the marker key (default: the policy name); ``run_url`` (http/https only) is linked
    from the truncation note when something had to be dropped."""
    if chart not in CHARTS:
        raise ValueError(f"chart must be one of {CHARTS}, got {chart!r}")
    marker = marker_line(report.policy_name if key is None else key)
    link = _run_link(run_url)
    head = [verdict_line(report)]
    if report.warnings:
        head.append("")
        head += [f"- ⚠️ {prose(w)}" for w in report.warnings]
    gates = report.gates_worst_first()
    table_head = _table(GATE_HEADER, [], GATE_ALIGN) if gates else ["_No gates were evaluated._"]
    rows = [_row(gate_row(g)) for g in gates]
    sections = {
        "per_class": per_class_section(report.per_class),
        "queries": queries_section(report.queries),
        "confusion": confusion_section(report.confusion),
        "curves": pr_section(report.curves, chart),
        "data": data_section(report),
        "reproducibility": repro_section(report),
    }
    order = ("per_class", "queries", "confusion", "curves", "data", "reproducibility")  # display order
    kept = _present(sections, order)

    out = _assemble(head, table_head, rows, "", kept, "", marker)
    if len(out) <= max_chars:
        return out

    dropped: list[str] = []
    for name in DROP_ORDER:
        if not any(s.name == name for s in kept):
            continue
        kept = [s for s in kept if s.name != name]
        dropped.append(_NAMES[name])
        out = _assemble(head, table_head, rows, "", kept, _note(dropped, 0, max_chars, link), marker)
        if len(out) <= max_chars:
            return out

    # Even without any details the table is too long: gate rows must go (from the bottom; the table
    # is worst first, so passing gates go first). Rows being cut anyway, keep the small, important
    # sections (reproducibility, then data) as long as every non-passing gate row still fits.
    must_show = sum(1 for g in gates if g.status != "pass")
    full = {s.name: s for s in _present(sections, order)}
    best = None
    for keep in (("data", "reproducibility"), ("reproducibility",), ()):
        kept = [full[n] for n in order if n in keep and n in full]
        dropped = [_NAMES[n] for n in DROP_ORDER if n in full and n not in keep]
        fit = _fit_rows(head, table_head, rows, gates, kept, dropped, marker, max_chars, link)
        if fit is not None and (fit[0] >= must_show or not keep):
            best = fit[1]
            break
    if best is not None:
        return best
    # Not even the verdict line fits (absurd max_chars or policy name). Never cut text mid-way: a cut
    # code span would release what it neutralised. Trusted words only, then the marker alone.
    kind = T.verdict_kind(report)
    word = {"pass": "passed", "warn": "passed with warnings", "fail": "failed"}[kind]
    short = f"{T.VERDICT_EMOJI[kind]} **model-gate {word}** (report too large to show; see report.json)\n\n{marker}\n"
    return short if len(short) <= max_chars else marker + "\n"


def _fit_rows(head: list[str], table_head: list[str], rows: list[str], gates: Sequence[GateResult],
              kept: list[_Section], dropped: list[str], marker: str, max_chars: int,
              link: str) -> tuple[int, str] | None:
    """The largest number of leading gate rows that fits, with the assembled text (None: not even 0)."""
    lo, hi = 0, len(rows)
    best = None
    while lo <= hi:
        mid = (lo + hi) // 2
        cand = _assemble(head, table_head, rows[:mid], _omitted(gates[mid:]), kept,
                         _note(dropped, len(rows) - mid, max_chars, link), marker)
        if len(cand) <= max_chars:
            best, lo = (mid, cand), mid + 1
        else:
            hi = mid - 1
    return best


_PLURAL = {"pass": "passing", "fail": "failing", "inconclusive": "inconclusive",
           "fail (warning)": "failing (warning)", "inconclusive (warning)": "inconclusive (warning)"}


def _omitted(gates: Sequence[GateResult]) -> str:
    if not gates:
        return ""
    by: dict[str, int] = {}
    for g in gates:
        by[T.status_word(g)] = by.get(T.status_word(g), 0) + 1
    parts = ", ".join(f"{v} {_PLURAL.get(k, k)}" for k, v in sorted(by.items(), key=lambda kv: (kv[0] == "pass", kv[0])))
    return f"_{len(gates)} more gate rows not shown ({parts})._"


def _run_link(url: str | None) -> str:
    """A Markdown link to the CI run, or ``""``: http(s) only, characters that could end the link
    destination or the line percent-encoded."""
    if not url or not re.match(r"https?://[^\s]+$", url.strip()):
        return ""
    safe = quote(url.strip(), safe=":/?#[]@!$&'*+,;=%-._~")
    safe = safe.replace("(", "%28").replace(")", "%29").replace("`", "%60")
    return f"[the CI run]({safe})"


def _note(dropped: Sequence[str], rows_dropped: int, max_chars: int, link: str = "") -> str:
    what = []
    if dropped:
        what.append("dropped " + ", ".join(dropped))
    if rows_dropped:
        what.append(f"left out {rows_dropped} gate rows")
    where = f"the artifacts of {link}" if link else "the job artifacts"
    return (f"> ✂️ Shortened to fit {max_chars:,} characters: {'; '.join(what)}. "
            f"The full report is in report.json / report.html ({where}).")
