"""The comment through GitHub's own Markdown parser (cmark-gfm via ``cmarkgfm``).

The other Markdown tests check the text; these check what GitHub would build from it: tables keep
their cells, untrusted names survive intact inside ``<code>``, no link/mention/HTML/comment other
than ours appears. (Mentions, ``#123`` and ``:emoji:`` are expanded by GitHub after cmark, and never
inside ``<code>``: checking that they only occur inside ``<code>`` covers them.)
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

import pytest
from report_factory import ADVERSARIAL_NAMES, adversarial_report, binary_report, large_report

from gate.render import markdown as md
from gate.render import text as T

cmarkgfm = pytest.importorskip("cmarkgfm", reason="cmarkgfm (GitHub's cmark-gfm) not installed: pip install cmarkgfm")
from cmarkgfm.cmark import Options  # noqa: E402


def gfm(text: str) -> str:
    # UNSAFE keeps raw HTML, so anything that would be raw HTML shows up here (GitHub sanitises later)
    return cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)


class Walk(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.comments: list[str] = []
        self.outside_code = ""
        self.codes: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.stack.append(tag)
        if tag == "tr":
            self.rows.append([])
        if tag == "code":
            self.codes.append("")

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if "code" in self.stack:
            self.codes[-1] += data
        else:
            self.outside_code += data

    def handle_comment(self, data):
        self.comments.append(data)


def walk(html: str) -> Walk:
    w = Walk()
    w.feed(html)
    return w


ALLOWED = {"p", "strong", "em", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "details",
           "summary", "ul", "li", "blockquote", "br", "sub"}


@pytest.mark.parametrize("factory,budget", [(adversarial_report, md.MAX_CHARS), (adversarial_report, 2500),
                                            (binary_report, md.MAX_CHARS)])
def test_structure_survives_github_parser(factory, budget):
    report = factory()
    html = gfm(md.render(report, max_chars=budget))
    w = walk(html)
    assert set(w.tags) <= ALLOWED, set(w.tags) - ALLOWED
    assert "a" not in w.tags, "no autolink or link may form"
    assert len(w.comments) == 1
    assert md.parse_marker(f"<!--{w.comments[0]}-->")[0] == md.marker_key(report.policy_name)
    for bad in ("@octocat", "@team", "#1", "!12", ":rocket:", "<script", "<!--", "-->", "http://"):
        assert bad not in w.outside_code, f"{bad!r} outside <code>"


def test_names_intact_in_table_cells():
    report = adversarial_report()
    w = walk(gfm(md.render(report)))
    # per-class table: first cell of each body row is the class name, whole, in one <code>
    expected = [escape(T.one_line(n), quote=False) for n in ADVERSARIAL_NAMES]
    html = gfm(md.render(report))
    per_class = html.split("Per-class metrics", 1)[1].split("</table>", 1)[0]
    firsts = re.findall(r"<tr>\s*<td[^>]*><code>(.*?)</code></td>", per_class, flags=re.S)
    # cmark escapes the code text once more for HTML; undo that once to get what the reader sees
    import html as _h
    seen = [_h.unescape(f) for f in firsts]
    assert seen == _reader_view(expected)
    # every table row has as many cells as its header (no pipe split a cell)
    for table in re.findall(r"<table>.*?</table>", html, flags=re.S):
        head = len(re.findall(r"<th[ >]", table.split("</thead>")[0]))
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("</thead>")[1], flags=re.S):
            cells = re.findall(r"<td[ >]", row)
            assert len(cells) == head
            assert not re.search(r"<td[^>]*>\s*</td>", row), "an empty cell means a pipe split a cell"
    assert w.codes  # sanity


def _reader_view(expected: list[str]) -> list[str]:
    """What GitHub shows for a name in a table cell: a backslash run right before a pipe is shown
    doubled (the price of keeping the pipe escaped), everything else verbatim."""
    return [re.sub(r"(\\+)\|", lambda m: m.group(1) * 2 + "|", e) for e in expected]


def test_large_comment_parses_and_keeps_marker():
    report = large_report()
    text = md.render(report)
    w = walk(gfm(text))
    assert len(text) <= md.MAX_CHARS
    assert len(w.comments) == 1 and "model-gate:v1 key=big-multiclass" in w.comments[0]
    assert "Shortened to fit" in w.outside_code
