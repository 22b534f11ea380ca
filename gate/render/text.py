"""Helpers shared by every renderer: fixed-precision number formatting and the words for a gate
(each gate's sentence is :mod:`gate.render.messages`'s).

Nothing here computes a metric. Numbers come from :class:`gate.report.Report` and are only formatted
(fixed precision, so output is byte-stable across platforms). Text that came from users' data (class
names, slice keys/values, file names, labels quoting them) is returned as *segments* marked
untrusted, so each output format can neutralise it its own way (Markdown code spans, HTML escaping,
XML character stripping, terminal control-character stripping).
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple, TypeGuard

if TYPE_CHECKING:  # annotations only: validate and --help, which use one_line/visible, skip the model
    from gate.report.model import Estimate, FlipRow, GateResult, QueryComparison, Report, Reproducibility

DIGITS = 3
DASH = "—"  # shown for a missing / undefined number

#: Characters a reader cannot see or that act on the text around them, as a regex class body:
#: C0/C1 controls except tab and LF (ESC moves terminal cursors and sets colours), every format
#: character (Cf: bidi embeddings/overrides/isolates U+202A–U+202E and U+2066–U+2069, the marks
#: U+200E/U+200F/U+061C, zero-width space/joiners U+200B–U+200D, word joiner and invisible operators
#: U+2060–U+2064, BOM U+FEFF, soft hyphen, tag characters U+E0000–U+E007F, ...), the other default
#: ignorables (variation selectors, Hangul fillers, combining grapheme joiner), blank-looking
#: letters (U+2800, U+3164), line/paragraph separators and the noncharacters U+FFFE/U+FFFF.
#: ``tests/test_escaping.py`` checks the list against the Unicode database.
INVISIBLE_CHARS = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u206f\u2800\u3164"
    "\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\ufffe\uffff\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
_CONTROL = re.compile(f"[{INVISIBLE_CHARS}]")
_LINEBREAK = re.compile("\r\n|[\r\n\t\v\f\x85\u2028\u2029]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class Segment(NamedTuple):
    """A piece of a sentence. ``kind`` is ``"text"`` (our own words and numbers: trusted, written
    literally, each format escaping its own markup characters), ``"name"`` (an untrusted name: class,
    slice key/value, file) or ``"prose"`` (untrusted free text that may quote names: the parts of a
    gate's label around its data names, which hold the policy's gate name). Untrusted pieces must be
    neutralised by each output format."""

    text: str
    kind: str = "text"

    @property
    def untrusted(self) -> bool:
        return self.kind != "text"


def is_number(x: float | None) -> TypeGuard[float]:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def fmt(x: float | None, digits: int = DIGITS) -> str:
    """``0.870``; ``—`` for a missing or non-finite value."""
    if not is_number(x):
        return DASH
    s = f"{x:.{digits}f}"
    return "0." + "0" * digits if s == "-0." + "0" * digits else s  # never print -0.000


def fmt_signed(x: float | None, digits: int = DIGITS) -> str:
    """``+0.012`` / ``-0.030`` (ASCII minus, so it survives every output format)."""
    if not is_number(x):
        return DASH
    s = fmt(x, digits)
    return s if s.startswith("-") else "+" + s


def fmt_ci(ci: tuple[float, float] | None, *, signed: bool = False, digits: int = DIGITS) -> str:
    """``[0.840, 0.900]``; empty string when there is no interval."""
    if ci is None:
        return ""
    f = fmt_signed if signed else fmt
    return f"[{f(ci[0], digits)}, {f(ci[1], digits)}]"


def fmt_est(e: Estimate | None, *, signed: bool = False, digits: int = DIGITS) -> str:
    """``0.870 [0.840, 0.900]``; ``—`` when the estimate is missing or undefined."""
    if e is None:
        return DASH
    f = fmt_signed if signed else fmt
    head = f(e.value, digits)
    ci = fmt_ci(e.ci, signed=signed, digits=digits)
    return f"{head} {ci}" if ci else head


SCORE_INTERVALS = {"clopper-pearson": "Clopper–Pearson", "newcombe": "Newcombe"}


def interval_name(g: GateResult) -> str:
    """The interval that decided the gate, as a reader names it: ``percentile bootstrap`` (or basic,
    BCa), ``Clopper–Pearson`` or ``Newcombe``."""
    return SCORE_INTERVALS.get(g.interval_method, f"{g.interval_method} bootstrap")


def fmt_gate_est(g: GateResult, column: str) -> str:
    """The ``candidate`` or ``delta`` cell of a gate row: :func:`fmt_est`, and when that column holds
    the tested quantity and a score interval decided it, the interval's name (``… (Newcombe)``)."""
    e = g.candidate if column == "candidate" else g.delta
    if e is None:
        return DASH
    text = fmt_est(e, signed=column != "candidate")
    if g.quantity == column and g.interval_method in SCORE_INTERVALS:
        text += f" ({SCORE_INTERVALS[g.interval_method]})"
    return text


FLIP_HEADER = ("Class", "Examples", "Broke (baseline right → candidate wrong)", "Fixed (wrong → right)",
               "Changed prediction")


def flip_cells(r: FlipRow) -> list[str]:
    """A "what flipped" row after its class name: the examples and the three flip counts."""
    return [fmt_count(r.examples), fmt_count(r.negative), fmt_count(r.positive), fmt_count(r.churn)]


SCHEME_WORDS = {"multinomial": "multinomial over cells", "poisson": "Poisson(1) weights", "index": "index resampling",
                "cluster_poisson": "Poisson(1) weights per cluster", "cluster_index": "cluster resampling",
                "completed_poisson": "Poisson weights completed to each stratum's size"}


def resampling_text(r: Reproducibility) -> str:
    """How the resamples were drawn, as report.json's ``resampling`` and the reproducibility tables
    say it: ``3 independent gate groups: multinomial over cells, Poisson(1) weights`` (with
    ``bootstrap.adaptive``: ``; adaptive: K of G stopped early once decided (D of T resamples drawn)``),
    ``none (no bootstrapped gate)``, or for a ranking / multilabel check ``Poisson(1) weights per query,
    1,204 queries (paired)``; empty when not recorded. A report older than 1.5 keeps its own sentence."""
    f = r.resampling
    if f.legacy:
        return f.legacy
    if f.groups is None:
        if not f.schemes:
            return ""        # not recorded (a Reproducibility built without it)
        scheme = SCHEME_WORDS[f.schemes[0]]
        plural = "queries" if f.per == "query" else f"{f.per}s"
        return f"{scheme} per {f.per}, {fmt_int(f.units)} {plural} ({f.pairing})"
    if f.groups == 0:
        return "none (no bootstrapped gate)"
    words = sorted(SCHEME_WORDS[s] for s in f.schemes)
    text = f"{f.groups} independent gate group{'s' if f.groups != 1 else ''}: {', '.join(words)}"
    if f.stopped is not None:
        text += (f"; adaptive: {f.stopped} of {f.groups} stopped early once decided "
                 f"({f.drawn} of {f.planned} resamples drawn)")
    return text


def sampling_text(r: Reproducibility) -> str:
    """The sampling design as the reproducibility table shows it."""
    return "stratified by class" if r.stratify else "i.i.d."


def cluster_unit_text(r: Reproducibility, column: str) -> str | None:
    """The reproducibility row for a cluster bootstrap (None when the unit is not a cluster):
    ``1,204 clusters by user_id, each resampled whole``; ``column`` is the caller's escaped name."""
    if r.unit != "cluster":
        return None
    return f"{fmt_int(r.clusters)} clusters by {column}, each resampled whole (paired rows together)"


def fmt_int(n: int | None) -> str:
    return DASH if n is None else f"{n:,}"


def fmt_count(c: float | None) -> str:
    """A (possibly weighted) confusion-matrix count: ``12`` when integral, else ``12.50``."""
    if not is_number(c):
        return DASH
    assert c is not None
    if float(c).is_integer():
        return f"{int(c):,}"
    return f"{c:,.2f}"


def fmt_pct(x: float | None, digits: int = 1) -> str:
    return DASH if not is_number(x) else f"{100.0 * x:.{digits}f}%"


# ---------------------------------------------------------------------------------------------------
# untrusted text
# ---------------------------------------------------------------------------------------------------

def visible(s: str) -> str:
    """Untrusted text with every invisible character (:data:`INVISIBLE_CHARS`) and lone surrogate
    replaced by U+FFFD; tab and LF are kept (callers that need one line use :func:`one_line`)."""
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("\ufffd", str(s)))


def one_line(s: str) -> str:
    """Untrusted text on one line: line breaks/tabs → space, then :func:`visible`. Used by every
    format before its own escaping."""
    return visible(_LINEBREAK.sub(" ", str(s)))


def shorten(s: str, width: int) -> str:
    """Cut to ``width`` characters with an ellipsis."""
    return s if len(s) <= width else s[: max(width - 1, 0)] + "…"


# ---------------------------------------------------------------------------------------------------
# gate words
# ---------------------------------------------------------------------------------------------------

_BAR_WORDS = {
    # kind: (prefix, comparison)
    "min": ("", "≥"),
    "max": ("", "≤"),
    "max_drop": ("drop ", "≤"),
    "max_relative_drop": ("relative drop ", "≤"),
    "min_gain": ("gain ", "≥"),
}


def bar_text(g: GateResult) -> str:
    """The bar as written in the policy: ``≥ 0.900``, ``drop ≤ 0.020``, ``relative drop ≤ 5.0%``."""
    prefix, cmp = _BAR_WORDS.get(g.bar.kind, (g.bar.kind + " ", "="))
    value = fmt_pct(g.bar.value) if g.bar.kind == "max_relative_drop" else fmt(g.bar.value)
    return f"{prefix}{cmp} {value}"


def bar_text_ascii(g: GateResult) -> str:
    return bar_text(g).replace("≥", ">=").replace("≤", "<=")


def status_word(g: GateResult) -> str:
    """``pass`` / ``fail`` / ``inconclusive``, with `` (warning)`` for non-blocking gates that did not
    pass."""
    return f"{g.status} (warning)" if g.outcome == "warning" else g.status


def _data_names(g: GateResult, classes: Sequence[str]) -> list[tuple[str, list[Segment]]]:
    """What the engine writes for this gate's data names, and their segments: ``'fraud'`` for a
    class (a confusion gate's predicted class too, looked up in ``classes``) and ``key=value`` for
    its slice. Longest first, so a name inside another is not taken for it."""
    names = [g.class_name] if g.class_name else []
    if g.metric == "confusion":
        names += [c for c in classes if c not in names]
    out = [(f"'{n}'", [Segment(n, "name")]) for n in names]
    for key, value in (g.slice or {}).items():
        out.append((f"{key}={value or '(empty)'}",
                    [Segment(key, "name"), Segment("="), Segment(value, "name")]))
    return sorted(out, key=lambda item: len(item[0]), reverse=True)


def mark_names(text: str, g: GateResult, classes: Sequence[str] = ()) -> list[Segment]:
    """``text`` (the gate's label, which the policy stage builds from the gate's name, class and slice)
    with the gate's data names as ``"name"`` segments and the rest as ``"prose"``, so every format
    shows them the same way."""
    patterns = _data_names(g, classes)
    segs: list[Segment] = []
    pos = 0
    while True:
        hits = [(at, -len(p), p, named) for p, named in patterns if (at := text.find(p, pos)) >= 0]
        if not hits:
            break
        at, _, found, named = min(hits, key=lambda h: (h[0], h[1]))
        if at > pos:
            segs.append(Segment(text[pos:at], "prose"))
        segs += named
        pos = at + len(found)
    if pos < len(text):
        segs.append(Segment(text[pos:], "prose"))
    return segs


def label_segments(g: GateResult, classes: Sequence[str] = ()) -> list[Segment]:
    """The gate's label with its data names marked (:func:`mark_names`): ``recall for class
    'fraud' in region=eu`` → words, name, words, name = name. A label not built that way (a
    hand-made Report) is one prose segment when it is plain words, else one name segment (shown
    whole as code)."""
    segs = mark_names(g.label, g, classes)
    if not any(s.kind == "name" for s in segs) and not _PLAIN_LABEL.fullmatch(g.label):
        return [Segment(g.label, "name")]
    return segs


#: a label made only of words, numbers and light punctuation reads as prose; anything else (brackets,
#: markup characters) is shown whole as a name
_PLAIN_LABEL = re.compile(r"[\w .,()=%+'-]+")


def sample_unit(report: Report) -> str:
    """What a gate's n counts: ``labeled examples``, or ``judged queries`` for task: ranking."""
    return "judged queries" if report.data.task == "ranking" else "labeled examples"


def needed_text(g: GateResult, unit: str = "labeled examples") -> str:
    """``~1,900 labeled examples would likely decide it`` for an inconclusive gate, else ``""``
    (``unit``: :func:`sample_unit`; ``clusters`` when the gate counts clusters, ``data.cluster``)."""
    if g.status == "inconclusive" and g.needed_n is not None:
        return f"~{g.needed_n:,} {'clusters' if g.needed_unit == 'cluster' else unit} would likely decide it"
    return ""


def verdict_kind(report: Report) -> str:
    """``pass``, ``warn`` (pass with warnings or inconclusive gates) or ``fail``."""
    if report.verdict != "pass":
        return "fail"
    c = report.counts
    if c.get("inconclusive", 0) or c.get("warning", 0) or c.get("fail", 0):
        return "warn"
    return "pass"


VERDICT_EMOJI = {"pass": "✅", "warn": "⚠️", "fail": "❌"}
#: one distinct, high-contrast icon per status (shape and colour differ; the word is always shown
#: next to it, for screen readers and colour-blind readers): the grey ❔ used before was nearly
#: invisible on GitHub's light and dark themes
STATUS_EMOJI = {"pass": "✅", "fail": "❌", "inconclusive": "🔶"}
WARNING_EMOJI = "⚠️"


def status_emoji(g: GateResult) -> str:
    """✅ pass, ❌ blocking fail, 🔶 blocking inconclusive, ⚠️ a non-blocking gate that did not pass."""
    return WARNING_EMOJI if g.outcome == "warning" else STATUS_EMOJI[g.outcome]


def counts_text(report: Report) -> str:
    """``3 passed · 1 failed · 1 inconclusive · 1 warning`` (only the non-zero parts after passed)."""
    c = report.counts
    parts = [f"{c.get('pass', 0)} passed", f"{c.get('fail', 0)} failed"]
    if c.get("inconclusive", 0):
        parts.append(f"{c['inconclusive']} inconclusive")
    w = c.get("warning", 0)
    if w:
        parts.append(f"{w} warning" + ("s" if w != 1 else ""))
    return " · ".join(parts)


# ---------------------------------------------------------------------------------------------------
# the reproduce command
# ---------------------------------------------------------------------------------------------------

#: what the shell block shows as an ANSI-C escape: invisible characters, tab/LF, look-alike spaces
#: (a no-break space between words reads as a separator but is not one), lone surrogates, and
#: ``<``, ``>``, backtick (so no ``<!--``, HTML or code fence can form in a comment)
_SHELL_UNSAFE = re.compile(f"[{INVISIBLE_CHARS}\t\n<>`\xa0\u1680\u2000-\u200a\u202f\u205f\u3000\ud800-\udfff]")


def _ansi_c_escape(ch: str) -> str:
    """``\\xHH`` for ASCII, ``\\uHHHH`` or ``\\UHHHHHHHH`` for other characters (bash and zsh turn
    those into the character in a UTF-8 locale; they read at most that many hex digits, so a
    following letter never joins the escape). A surrogate from an undecodable byte of a file name
    (``surrogateescape``, U+DC80–U+DCFF) becomes that raw byte again."""
    o = ord(ch)
    if 0xDC80 <= o <= 0xDCFF:
        return f"\\x{o - 0xDC00:02x}"
    if o < 0x80:
        return f"\\x{o:02x}"
    return f"\\u{o:04x}" if o <= 0xFFFF else f"\\U{o:08x}"


def shell_arg(a: str) -> str:
    """One argument, safe to copy into a shell and visible: ``shlex.quote``, except that an argument
    holding any :data:`_SHELL_UNSAFE` character uses bash ANSI-C quoting (``$'...'``) with those
    characters escaped, so the command stays exact while no invisible character, raw newline, fence
    or ``<!--`` can reach the comment."""
    if not _SHELL_UNSAFE.search(a):
        return shlex.quote(a)
    out = []
    for ch in a:
        if ch in "\\'":
            out.append("\\" + ch)
        elif _SHELL_UNSAFE.match(ch):
            out.append(_ansi_c_escape(ch))
        else:
            out.append(ch)
    return "$'" + "".join(out) + "'"


def command_line(argv: Sequence[str]) -> str:
    """The reproduce command: ``shlex.join`` semantics (see :func:`shell_arg` for the exception)."""
    return " ".join(shell_arg(a) for a in argv)


def query_counts_text(q: QueryComparison) -> str:
    """``146 improved, 143 regressed, 10 tied (of 299 queries both runs score)`` (task: ranking)."""
    total = q.improved + q.regressed + q.tied
    return f"{q.improved:,} improved, {q.regressed:,} regressed, {q.tied:,} tied (of {total:,} queries both runs score)"


def data_labels(task: str) -> tuple[str, str, str]:
    """The data summary's row names for the candidate's and baseline's sizes and the coverage: rows and
    label coverage, or (task: ranking) judged queries and the share of them the candidate answered."""
    if task == "ranking":
        return "Judged queries (candidate)", "Judged queries (baseline)", "Queries the candidate answered"
    return "Rows (candidate)", "Rows (baseline)", "Label coverage"
