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

from gate.render import messages, notes
from gate.render import text as T
from gate.report import comment_state
from gate.report.comment_state import Changes, CommentState
from gate.report.model import (
    ClassRow,
    ConfusionMatrix,
    Curve,
    Estimate,
    FlipRow,
    GateResult,
    QueryComparison,
    Report,
)
from gate.report.run_context import RunContext

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


_SAFE_TOKEN = re.compile(r"(?:[^\W_]|[.,;()=+\-%/≥≤−–Δ×·'\"<>&\[\]])+:?|:")   # a lone ":" too (no :x: forms)
_QUOTED = re.compile(r"`([^`]+)`")
#: GitLab references: ``%milestone``, ``&epic`` (``#``, ``!``, ``~``, ``$``, ``@`` are never prose)
_REF_LIKE = re.compile(r"[%&][^\W_]")


def _prose_words(s: str) -> list[str]:
    out = []
    for tok in s.split():
        if (_SAFE_TOKEN.fullmatch(tok.replace("_", "a")) and not tok.lower().startswith("www.")
                and not _REF_LIKE.search(tok)):
            # an identifier like average_precision stays a word: "_" escaped, so no emphasis forms
            t = html.escape(tok, quote=False).replace("_", "\\_")
            out.append(t.replace("[", "\\[").replace("]", "\\]"))
        else:
            out.append(code(tok))
    return out


def prose(s: str) -> str:
    """Free text that may quote untrusted names, rendered inert but readable.

    Spans quoted in single backticks (notes and warnings quote names so) become code spans of their
    inside. The rest is split on whitespace: a word made only of letters, digits and harmless
    punctuation stays prose
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


def _prose_piece(s: str) -> str:
    """:func:`prose`, keeping one space at either edge when the piece had whitespace there (segments
    are joined without separators)."""
    body = prose(s)
    lead = " " if s[:1].isspace() and body else ""
    trail = " " if s[-1:].isspace() and body else ""
    return lead + body + trail if body else (" " if s.strip() == "" and s else "")


def literal(s: str) -> str:
    """Our own words and numbers as literal Markdown text: ``<``/``>``/``&`` HTML-escaped, and the
    characters that start emphasis, links, code or tables (``\\ * _ [ ] ` | ~``) backslash-escaped."""
    return re.sub(r"([\\*_\[\]`|~])", r"\\\1", html.escape(s, quote=False))


def segments(segs: Iterable[T.Segment]) -> str:
    """Render :class:`gate.render.text.Segment` s: names as code spans, free text via :func:`prose`,
    our own text via :func:`literal`. Two code spans never touch (their backtick runs would merge): a
    space goes between them."""
    out = ""
    for s in segs:
        piece = _prose_piece(s.text) if s.kind == "prose" else code(s.text) if s.untrusted else literal(s.text)
        out += (" " if out.endswith("`") and piece.startswith("`") else "") + piece
    return out


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


def marker_line(key: str, state: str = "") -> str:
    """``<!-- model-gate:v1 key=<key> -->``, with `` state=<token>`` before ``-->`` when the comment
    carries its state (a :mod:`gate.report.comment_state` token: base64, so never ``--``)."""
    extra = f" state={state}" if state and _STATE_TOKEN.fullmatch(state) else ""
    return f"{MARKER_PREFIX}{marker_key(key)}{extra} -->"


_STATE_TOKEN = re.compile(r"[0-9]+\.[A-Za-z0-9+/=]+")
_MARKER = re.compile(r"<!-- model-gate:v1 key=(?P<key>[^\s]+)(?: state=(?P<state>[^\s]*))? -->")


def parse_marker(line: str) -> tuple[str, str] | None:
    """(encoded key, state token or ``""``) of a marker line, or None when it is not one."""
    m = _MARKER.fullmatch(line.strip())
    return None if m is None else (m.group("key"), m.group("state") or "")


def previous_state(body: str | None, key: str) -> tuple[CommentState | None, str]:
    """The state carried by the marker line for ``key`` in a previous comment ``body``, and a notice
    when there was one that cannot be used (forged, corrupt, too large, another version). No
    previous comment, or one without state, is simply (None, "")."""
    if not body:
        return None, ""
    want = marker_key(key)
    tokens = [p[1] for line in body.splitlines() if (p := parse_marker(line)) and p[0] == want]
    if not tokens or not tokens[-1]:
        return None, ""
    try:
        return comment_state.decode(tokens[-1]), ""
    except comment_state.StateError as exc:
        return None, (f"{T.WARNING_EMOJI} The previous comment's hidden state was ignored ({exc}); "
                      "changes since the previous run are not shown.")


# ---------------------------------------------------------------------------------------------------
# pieces
# ---------------------------------------------------------------------------------------------------

def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], align: Sequence[str] | None = None) -> list[str]:
    align = align or ["---"] * len(header)
    return [_row(header), _row(align), *(_row(r) for r in rows)]


_VERDICT_WORD = {"pass": "passed", "warn": "passed with warnings", "fail": "failed"}


def verdict_line(report: Report) -> str:
    kind = T.verdict_kind(report)
    return (f"{T.VERDICT_EMOJI[kind]} **model-gate {_VERDICT_WORD[kind]}** — policy "
            f"{code(report.policy_name)} · {T.counts_text(report)}")


def _file_name(path: str) -> str:
    return re.split(r"[/\\]", path)[-1] or path


def context_line(report: Report, context: RunContext) -> str:
    """``Commit `abc1234` · baseline `base.csv` (sha256 `0123456789ab`) · resampled by 412 clusters of
    `user_id` · [workflow run](…) · [artifact](…) · [HTML report](…)``: only the parts that are known
    (the clusters only with ``data.cluster``). The baseline is the report's
    baseline artifact (file name and the first 12 hex digits of its sha256); without one it says
    so, as the comparison gates then had nothing to compare with."""
    parts = []
    if context.commit:
        parts.append(f"Commit {code(context.commit[:7])}")
    base = [a for a in report.data.artifacts if a.role == "baseline"]
    if base:
        parts.append(f"baseline {code(_file_name(base[0].path))} (sha256 {code(base[0].sha256[:12])})")
    elif report.data.artifacts:
        parts.append("no baseline")
    r = report.reproducibility
    if r.unit == "cluster":
        parts.append(f"resampled by {T.fmt_int(r.clusters)} clusters of {code(r.cluster)}")
    for label, url in (("workflow run", context.run_url), ("artifact", context.artifact_url),
                       ("HTML report", context.report_url)):
        safe = _url(url)
        if safe:
            parts.append(f"[{label}]({safe})")
    if not parts:
        return ""
    parts[0] = parts[0][0].upper() + parts[0][1:]
    return " · ".join(parts)


_STATUS_FLOW = {"pass": "pass", "fail": "fail", "inconclusive": "inconclusive"}


def changes_lines(ch: Changes) -> list[str]:
    """"What changed since the previous run": verdict, status flips, new and removed gates, then
    moved numbers (only those that differ at the shown precision), at most :data:`MAX_CHANGES`
    lines. An unchanged run says so in one line."""
    items: list[str] = []
    if ch.verdict:
        items.append(f"verdict: **{ch.verdict[0]}** → **{ch.verdict[1]}**")
    for g, before in ch.status:
        items.append(f"{gate_cell(g)}: {_STATUS_FLOW[before]} → **{g.status}**")
    items += [f"new gate: {gate_cell(g)} (**{g.status}**)" for g in ch.new]
    items += [f"gate removed: {code(gid)}" for gid in ch.removed]
    for v in ch.values:
        signed = v.quantity == "delta"
        f = T.fmt_signed if signed else T.fmt
        before, after = f(v.before), f(v.after)
        if before != after:
            what = "Δ" if signed else "candidate"
            items.append(f"{gate_cell(v.gate)} {what} {before} → {after}")
    if not items:
        return ["**Since the previous run:** no change."]
    shown = items[:MAX_CHANGES]
    more = len(items) - len(shown)
    lines = ["**Since the previous run:**", *(f"- {i}" for i in shown)]
    if more:
        lines.append(f"- … and {more} more changes")
    return lines


GATE_HEADER = ("", "Gate", "Candidate [CI]", "Δ [CI]", "Bar", "Verdict")
GATE_ALIGN = (":-:", "---", "--:", "--:", "---", "---")
#: passing gates stay in the main table up to this many; more collapse into a <details> table
MAX_PASSING_SHOWN = 5
#: lines of "what changed since the previous run" shown before "… and N more"
MAX_CHANGES = 10


def gate_cell(g: GateResult, classes: Sequence[str] = ()) -> str:
    """The gate's name: our words plain, data names (classes, slice keys and values) as code spans."""
    return segments(T.label_segments(g, classes))


def estimate_cell(e: Estimate | None, *, signed: bool = False, method: str | None = None) -> str:
    """``0.870<br>[0.840,&nbsp;0.900]``: the value on the first line, the interval on the second,
    which never breaks inside (a narrow column then costs one deliberate line, not a split bracket);
    ``method`` names a score interval that decided the gate, small, on a third line."""
    if e is None or e.value is None and e.ci is None:
        return T.DASH
    f = T.fmt_signed if signed else T.fmt
    ci = T.fmt_ci(e.ci, signed=signed)
    return (f(e.value) + (f"<br>{ci.replace(', ', ',&nbsp;')}" if ci else "")
            + (f"<br><sub>{method}</sub>" if method else ""))


def _score_interval(g: GateResult, column: str) -> str | None:
    """The score interval's name when it decided the gate on this column (``Clopper–Pearson``)."""
    return T.SCORE_INTERVALS.get(g.interval_method) if g.quantity == column else None


def bar_cell(g: GateResult) -> str:
    """The bar, its comparison and number kept together: ``drop ≤&nbsp;0.020``."""
    text = T.bar_text(g)
    cmp_at = max(text.rfind("≥"), text.rfind("≤"))
    return text[:cmp_at] + text[cmp_at:].replace(" ", "&nbsp;") if cmp_at >= 0 else text


def gate_row(g: GateResult, classes: Sequence[str] = ()) -> list[str]:
    """One compact table row: icon, gate, candidate [CI], Δ [CI], bar, the status word. The reason
    goes in the list under the table (:func:`reason_item`), so a row stays two lines at most in a
    760 px column."""
    return [
        T.status_emoji(g),
        gate_cell(g, classes),
        estimate_cell(g.candidate, method=_score_interval(g, "candidate")),
        estimate_cell(g.delta, signed=True, method=_score_interval(g, "delta")),
        bar_cell(g),
        f"**{T.status_word(g)}**",
    ]


def reason_item(g: GateResult, classes: Sequence[str] = ()) -> str:
    """``- ❌ <why>`` for a gate that did not pass, with how many labels would decide an
    inconclusive one."""
    why = segments(messages.message_segments(g, classes))
    need = T.needed_text(g)
    return f"- {T.status_emoji(g)} **{T.status_word(g)}**: {why}" + (f"; {need}" if need else "")


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
                cells += [T.fmt(c), T.fmt(b), T.fmt_signed(r.delta(k))]
            else:
                cells.append(T.fmt(c))
        body.append(cells)
    align = [":--", "--:"] + ["--:"] * (len(header) - 2)
    return _details(f"Per-class metrics ({len(rows)} classes)", _table(header, body, align))


def flips_section(rows: Sequence[FlipRow]) -> str | None:
    """What flipped between the paired baseline and the candidate, per true class (flip gates only)."""
    if not rows:
        return None
    body = [[code(r.name), *T.flip_cells(r)] for r in rows]
    return _details("What flipped (candidate vs baseline, per true class)",
                    _table(T.FLIP_HEADER, body, [":--"] + ["--:"] * 4))


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
    # "true ↓ predicted →": arrows every common font has (U+FF3C "＼" showed as an empty box)
    header = ["true ↓ predicted →", *(code(c) for c in classes)]
    body = [[code(c), *row] for c, row in zip(classes, counts)]
    return [f"**{title}**", "", *_table(header, body, [":--"] + ["--:"] * len(classes)), ""]


def confusion_section(mats: Sequence[ConfusionMatrix], difference: ConfusionMatrix | None = None) -> str | None:
    """Each model's confusion matrix, then ``difference`` (:attr:`Report.confusion_difference`)."""
    if not mats:
        return None
    body: list[str] = []
    for m in mats:
        body += _confusion_table(f"{m.model.capitalize()}", m.classes,
                                 [[T.fmt_count(c) for c in row] for row in m.counts])
    if difference is not None:
        body += _confusion_table(f"Difference ({difference.model})", difference.classes,
                                 [[_signed_count(c) for c in row] for row in difference.counts])
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
    """PR curves per class (at most :data:`MAX_CURVE_CLASSES`), candidate vs baseline: a Mermaid chart
    (unless ``chart`` is ``"none"``) and the same points as a table; None without PR curves."""
    pr = [c for c in curves if c.kind == "pr"]
    if not pr:
        return None
    classes = list(dict.fromkeys(c.class_name for c in pr))
    shown = classes[:MAX_CURVE_CLASSES]
    body: list[str] = []
    if chart == "mermaid":
        body += ["In each chart the blue line is the candidate, the orange one the baseline "
                 "(points: nearest curve point to each recall step; same numbers as the table).", ""]
    for i, cls in enumerate(shown, 1):
        body += _pr_class(cls, {c.model: c for c in pr if c.class_name == cls}, chart, f"{i} of {len(shown)}")
    if len(classes) > len(shown):
        body.append(f"{len(classes) - len(shown)} more classes have PR curves in report.html / report.json.")
        body.append("")
    return _details("Precision-recall curves (candidate vs baseline)", body[:-1] if body[-1] == "" else body)


_Picks = dict[str, list[tuple[float, float] | None]]


def _pr_class(cls: str, models: dict[str, Curve], chart: str, position: str) -> list[str]:
    """One class's heading, chart and table; the models in order candidate, baseline, then others."""
    order = [m for m in ("candidate", "baseline") if m in models] + sorted(
        m for m in models if m not in ("candidate", "baseline"))
    picks: _Picks = {m: [_pick(models[m], r) for r in RECALL_GRID] for m in order}
    areas = ", ".join(f"{m} area {T.fmt(models[m].area)}" for m in order)
    lines = [f"**Class {code(cls)}** ({areas})", ""]
    if chart == "mermaid":
        lines += _pr_chart(order, picks, position)
    return lines + [*_pr_table(order, picks), ""]


def _pr_chart(order: Sequence[str], picks: _Picks, position: str) -> list[str]:
    """The Mermaid xychart of the picked points (a missing point drawn at 0)."""
    lines = ["```mermaid",
             '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#1f77b4, #ff7f0e"}}}}%%',
             "xychart-beta",
             f'    title "Precision-recall, class {position}"',
             '    x-axis "Recall" [' + ", ".join(f'"{r:.1f}"' for r in RECALL_GRID) + "]",
             '    y-axis "Precision" 0 --> 1']
    lines += ["    line [" + ", ".join(T.fmt(p[1]) if p else "0" for p in picks[m]) + "]" for m in order]
    return lines + ["```", ""]


def _pr_table(order: Sequence[str], picks: _Picks) -> list[str]:
    """The picked points per recall step, each model's recall and precision (``—`` when missing)."""
    header = ["Recall step"] + [f"{m} {what}" for m in order for what in ("recall", "precision")]
    rows = []
    for k, r in enumerate(RECALL_GRID):
        row = [f"{r:.1f}"]
        for m in order:
            p = picks[m][k]
            row += [T.fmt(p[0]) if p else T.DASH, T.fmt(p[1]) if p else T.DASH]
        rows.append(row)
    return _table(header, rows, ["--:"] * len(header))


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
        ["Resampling", code(T.resampling_text(r) or "not recorded")],
        ["Confidence", T.fmt(r.confidence)],
        ["Sampling", T.sampling_text(r)],
        *([["Resampled unit", unit]] if (unit := T.cluster_unit_text(r, code(r.cluster))) else []),
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


@dataclass(frozen=True)
class Budget:
    """A size limit in characters and, optionally, UTF-8 bytes (GitHub's job summary counts bytes)."""

    max_chars: int = MAX_CHARS
    max_bytes: int | None = None

    def fits(self, text: str) -> bool:
        return len(text) <= self.max_chars and (
            self.max_bytes is None or len(text.encode("utf-8")) <= self.max_bytes)

    def describe(self) -> str:
        if self.max_bytes is not None and self.max_bytes < self.max_chars:
            return f"{self.max_bytes:,} bytes"
        return f"{self.max_chars:,} characters"


@dataclass(frozen=True)
class _Layout:
    """The parts of a comment that do not depend on how much has to be cut."""

    head: list[str]
    gates: list[GateResult]          # worst first
    rows: list[str]                  # one table row per gate, same order
    reasons: list[str]               # one list item per gate that did not pass, same order
    collapse: bool                   # passing gates go into a <details> table
    marker: str


def _tables(lay: _Layout, shown: int) -> str:
    """Main table (+ reasons) and the collapsed passing table, for the first ``shown`` gates."""
    gates, rows = lay.gates[:shown], lay.rows[:shown]
    if not lay.gates:
        return "_No gates were evaluated._"
    head = _table(GATE_HEADER, [], GATE_ALIGN)
    main = [r for g, r in zip(gates, rows) if not (lay.collapse and g.status == "pass")]
    passing = [r for g, r in zip(gates, rows) if lay.collapse and g.status == "pass"]
    out = []
    if main:
        out.append("\n".join(head + main))
    elif lay.collapse and not any(g.status != "pass" for g in lay.gates):
        out.append(f"All {len(lay.gates)} gates pass.")
    reasons = lay.reasons[:sum(1 for g in gates if g.status != "pass")]
    if reasons:
        out.append("\n".join(reasons))
    omitted = _omitted(lay.gates[shown:])
    if passing:
        total = sum(1 for g in lay.gates if g.status == "pass")
        summary = f"{T.STATUS_EMOJI['pass']} {total} passing gates"
        out.append(_details(summary, head + passing + ([""] + [omitted] if omitted else [])))
    elif omitted:
        out.append(omitted)
    return "\n\n".join(out)


def _assemble(lay: _Layout, shown: int, sections: list[_Section], note: str) -> str:
    parts = ["\n".join(lay.head), _tables(lay, shown), *(s.text for s in sections)]
    if note:
        parts.append(note)
    parts.append(lay.marker)
    return "\n\n".join(parts) + "\n"


#: drop order when over budget: least important first
DROP_ORDER = ("confusion", "curves", "per_class", "queries", "flips", "data", "reproducibility")
_NAMES = {"confusion": "confusion matrices", "curves": "PR curves", "per_class": "per-class metrics",
          "queries": "per-query comparison", "flips": "what flipped", "data": "data summary",
          "reproducibility": "reproducibility"}
SECTION_ORDER = ("flips", "per_class", "queries", "confusion", "curves", "data", "reproducibility")  # display order


def render(report: Report, *, chart: str = "mermaid", max_chars: int = MAX_CHARS,
           max_bytes: int | None = None, key: str | None = None, run_url: str | None = None,
           context: RunContext | None = None, previous: CommentState | None = None,
           state_notice: str = "") -> str:
    """The comment (or job-summary) body.

    ``chart`` is ``"mermaid"`` or ``"none"`` (drops only the chart, never the numbers); ``key`` the
    marker key (default: the policy name); ``context`` the commit and links shown at the top
    (``run_url`` alone also works; it is linked from the truncation note); ``previous`` the state of
    the comment this one replaces, to list what changed; ``state_notice`` a fixed sentence saying why
    a previous state was ignored. The marker line carries this report's state
    (:mod:`gate.report.comment_state`). The result fits ``max_chars`` characters and ``max_bytes`` UTF-8
    bytes: details sections go first (least important first), then gate rows from the bottom
    (passing gates first, the table being worst first), and a line says what was dropped."""
    if chart not in CHARTS:
        raise ValueError(f"chart must be one of {CHARTS}, got {chart!r}")
    budget = Budget(max_chars, max_bytes)
    context = context or RunContext(run_url=run_url)
    link = _run_link(context.run_url or run_url)
    lay = _layout(report, key, context, previous, state_notice, budget)
    full = _sections(report, chart)
    out = _assemble(lay, len(lay.gates), full, "")
    if budget.fits(out):
        return out
    return (_without_details(lay, full, budget, link) or _without_rows(lay, full, budget, link)
            or _too_large(report, key, lay, budget))


def _sections(report: Report, chart: str) -> list[_Section]:
    """The details sections the report has, in display order."""
    sections = {
        "per_class": per_class_section(report.per_class),
        "flips": flips_section(report.flips),
        "queries": queries_section(report.queries),
        "confusion": confusion_section(report.confusion, report.confusion_difference),
        "curves": pr_section(report.curves, chart),
        "data": data_section(report),
        "reproducibility": repro_section(report),
    }
    return _present(sections, SECTION_ORDER)


def _without_details(lay: _Layout, full: list[_Section], budget: Budget, link: str) -> str | None:
    """Every gate row with the details sections dropped one by one, least important first
    (:data:`DROP_ORDER`), until the body fits; None when it does not fit even without any."""
    kept: list[_Section] = list(full)
    dropped: list[str] = []
    for name in DROP_ORDER:
        if not any(s.name == name for s in kept):
            continue
        kept = [s for s in kept if s.name != name]
        dropped.append(_NAMES[name])
        out = _assemble(lay, len(lay.gates), kept, _note(dropped, 0, budget, link))
        if budget.fits(out):
            return out
    return None


def _without_rows(lay: _Layout, full: list[_Section], budget: Budget, link: str) -> str | None:
    """Even without any details the table is too long: gate rows go from the bottom (the table is
    worst first, so passing gates go first). Rows being cut anyway, the small, important sections
    (reproducibility, then data) stay as long as every non-passing gate row still fits. None when
    not even the verdict line fits."""
    must_show = sum(1 for g in lay.gates if g.status != "pass")
    by_name = {s.name: s for s in full}
    for keep in (("data", "reproducibility"), ("reproducibility",), ()):
        kept = [by_name[n] for n in SECTION_ORDER if n in keep and n in by_name]
        dropped = [_NAMES[n] for n in DROP_ORDER if n in by_name and n not in keep]
        fit = _fit_rows(lay, kept, dropped, budget, link)
        if fit is not None and (fit[0] >= must_show or not keep):
            return fit[1]
    return None


def _too_large(report: Report, key: str | None, lay: _Layout, budget: Budget) -> str:
    """Not even the verdict line fits (absurd budget or policy name). Never cut text mid-way: a cut
    code span would release what it neutralised. Trusted words only, then the marker alone."""
    kind = T.verdict_kind(report)
    short = (f"{T.VERDICT_EMOJI[kind]} **model-gate {_VERDICT_WORD[kind]}** (report too large to "
             f"show; see report.json)\n\n{lay.marker}\n")
    bare = marker_line(report.policy_name if key is None else key)   # the state is optional
    short = short.replace(lay.marker, bare) if not budget.fits(short) else short
    return short if budget.fits(short) else bare + "\n"


def _layout(report: Report, key: str | None, context: RunContext, previous: CommentState | None,
            state_notice: str, budget: Budget) -> _Layout:
    """Everything but the cutting. The state rides in the marker only while it takes at most an
    eighth of the budget (the next run then just cannot compare; the content comes first)."""
    gates = report.gates_worst_first()
    classes = report.data.classes
    head = [verdict_line(report)]
    ctx = context_line(report, context)
    if ctx:
        head += ["", ctx]
    if previous is not None:
        head += ["", *changes_lines(comment_state.changes(previous, report))]
    elif state_notice:
        head += ["", f"> {state_notice}"]
    if report.warnings:
        head.append("")
        head += [f"- {T.WARNING_EMOJI} {prose(notes.text(w))}" for w in report.warnings]
    passing = sum(1 for g in gates if g.status == "pass")
    state = comment_state.encode(comment_state.state_of(report))
    if len(state) > budget.max_chars // 8:
        state = ""
    return _Layout(head=head, gates=gates, rows=[_row(gate_row(g, classes)) for g in gates],
                   reasons=[reason_item(g, classes) for g in gates if g.status != "pass"],
                   collapse=passing > MAX_PASSING_SHOWN,
                   marker=marker_line(report.policy_name if key is None else key, state))


def _fit_rows(lay: _Layout, kept: list[_Section], dropped: list[str], budget: Budget,
              link: str) -> tuple[int, str] | None:
    """The largest number of leading gate rows that fits, with the assembled text (None: not even 0)."""
    lo, hi = 0, len(lay.rows)
    best = None
    while lo <= hi:
        mid = (lo + hi) // 2
        cand = _assemble(lay, mid, kept, _note(dropped, len(lay.rows) - mid, budget, link))
        if budget.fits(cand):
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


def _url(url: str | None) -> str:
    """A URL safe as a Markdown link destination, or ``""``: http(s) only, characters that could end
    the destination or the line percent-encoded."""
    if not url or not re.match(r"https?://[^\s]+$", url.strip()):
        return ""
    safe = quote(url.strip(), safe=":/?#[]@!$&'*+,;=%-._~")
    return safe.replace("(", "%28").replace(")", "%29").replace("`", "%60")


def _run_link(url: str | None) -> str:
    """A Markdown link to the CI run, or ``""``."""
    safe = _url(url)
    return f"[the CI run]({safe})" if safe else ""


def _note(dropped: Sequence[str], rows_dropped: int, budget: Budget, link: str = "") -> str:
    what = []
    if dropped:
        what.append("dropped " + ", ".join(dropped))
    if rows_dropped:
        what.append(f"left out {rows_dropped} gate rows")
    where = f"the artifacts of {link}" if link else "the job artifacts"
    return (f"> ✂️ Shortened to fit {budget.describe()}: {'; '.join(what)}. "
            f"The full report is in report.json / report.html ({where}).")
