"""The PR comment as GitHub shows it: cmark-gfm (``cmarkgfm``, GitHub's parser) + GitHub's markdown CSS
(``tests/vendor/github-markdown-light.css``, npm package ``github-markdown-css``), laid out by headless
Chromium at a PR-comment width.

Used by ``tests/test_comment_layout.py`` (no horizontal overflow of the gate tables at 760 px) and by
``python -m scripts.comment_screenshots`` (the docs/comment-*.png pictures). Needs ``cmarkgfm`` and a
Chromium binary (Debian package ``chromium``, or ``CHROMIUM=/path``). No network: the page is a local
file, its only script is the measuring one below.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CSS = REPO / "tests" / "vendor" / "github-markdown-light.css"
#: a PR timeline comment: the comment box is ~760 px wide, its body has 16 px padding on each side
WIDTH = 760
PADDING = 16
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]

# Opens every <details> (a closed one lays nothing out), then records, per table, its visible width
# and the width its content needs; GitHub's CSS makes tables `display: block; overflow: auto`, so
# scrollWidth > clientWidth is exactly "the reader has to scroll sideways".
_MEASURE = """
<script>
for (const d of document.querySelectorAll('details')) d.open = true;
const out = {page: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight,
             tables: []};
for (const t of document.querySelectorAll('table')) {
  const head = Array.from(t.querySelectorAll('thead th')).map(th => th.textContent.trim());
  out.tables.push({head, client: t.clientWidth, scroll: t.scrollWidth,
                   rows: t.querySelectorAll('tbody tr').length});
}
const pre = document.createElement('pre'); pre.id = 'measure';
pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
</script>
"""


def chromium() -> str | None:
    for c in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
              shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if c and os.path.exists(c):
            return c
    return None


def to_html(markdown: str) -> str:
    """cmark-gfm with GitHub's extensions (tables, autolinks, strikethrough, tag filter)."""
    import cmarkgfm
    from cmarkgfm.cmark import Options

    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def page(markdown: str, *, measure: bool, width: int = WIDTH) -> str:
    css = CSS.read_text(encoding="utf-8")
    # GitHub sets comment bodies in 14 px (the stylesheet's default is 16 px, for READMEs)
    frame = (f".markdown-body{{box-sizing:border-box;width:{width}px;padding:{PADDING}px;font-size:14px;"
             "margin:0;border:1px solid #d1d9e0;border-radius:6px}body{margin:0;background:#fff}")
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>comment</title>"
            f"<style>{css}\n{frame}</style></head><body><article class='markdown-body'>"
            f"{to_html(markdown)}</article>{_MEASURE if measure else ''}</body></html>")


@dataclass(frozen=True)
class Table:
    head: tuple[str, ...]
    client: int
    scroll: int
    rows: int

    @property
    def overflows(self) -> bool:
        return self.scroll > self.client


@dataclass(frozen=True)
class Layout:
    page_width: int
    height: int
    tables: tuple[Table, ...]

    def gate_tables(self) -> list[Table]:
        """The gate tables: the main one and the collapsed passing one (same header)."""
        return [t for t in self.tables if "Gate" in t.head and "Verdict" in t.head]


def _run(browser: str, html_path: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *extra, html_path.as_uri()],
                          capture_output=True, text=True, timeout=120)


def measure(markdown: str, *, width: int = WIDTH, browser: str | None = None) -> Layout:
    """Lay the comment out at ``width`` px and return every table's widths."""
    browser = browser or chromium()
    if browser is None:
        raise RuntimeError("Chromium not found (apt-get install -y chromium, or set CHROMIUM=...)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "comment.html"
        path.write_text(page(markdown, measure=True, width=width), encoding="utf-8")
        proc = _run(browser, path, Path(tmp) / "profile", f"--window-size={width},1000", "--dump-dom")
    m = re.search(r'<pre id="measure">(.*?)</pre>', proc.stdout, flags=re.S)
    if proc.returncode != 0 or not m:
        raise RuntimeError(f"Chromium did not lay the page out: {proc.stderr[-1500:]}")
    data = json.loads(html.unescape(m.group(1)))
    return Layout(data["page"], data["height"], tuple(
        Table(tuple(t["head"]), t["client"], t["scroll"], t["rows"]) for t in data["tables"]))


def screenshot(markdown: str, out: Path, *, width: int = WIDTH, browser: str | None = None) -> Path:
    """A PNG of the comment at ``width`` px, as tall as the content (details left as GitHub shows
    them: closed)."""
    browser = browser or chromium()
    if browser is None:
        raise RuntimeError("Chromium not found (apt-get install -y chromium, or set CHROMIUM=...)")
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.html"
        # height of the page as shown (details closed): measure without opening them
        probe.write_text(page(markdown, measure=True, width=width).replace(
            "for (const d of document.querySelectorAll('details')) d.open = true;", ""), encoding="utf-8")
        proc = _run(browser, probe, Path(tmp) / "p1", f"--window-size={width},1000", "--dump-dom")
        m = re.search(r'<pre id="measure">(.*?)</pre>', proc.stdout, flags=re.S)
        height = json.loads(html.unescape(m.group(1)))["height"] if m else 1200
        shot = Path(tmp) / "shot.html"
        shot.write_text(page(markdown, measure=False, width=width), encoding="utf-8")
        out = out.resolve()
        out.unlink(missing_ok=True)
        _run(browser, shot, Path(tmp) / "p2", f"--window-size={width},{height}", f"--screenshot={out}")
    if not out.exists():
        raise RuntimeError("Chromium wrote no screenshot")
    return out
