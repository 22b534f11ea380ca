"""Small GFM/CommonMark checkers used by the renderer tests (no Markdown library needed).

``cells`` splits a table row the way cmark-gfm's table extension does (a backslash escapes the next
character; every other ``|`` separates cells). ``strip_code_spans`` removes code spans following the
CommonMark rule (a backtick run opens a span closed by the next run of the *same* length; an unmatched
run is literal text), so what remains is the text GitHub would interpret as Markdown/HTML.
"""

from __future__ import annotations

import re


def cells(row: str) -> list[str]:
    out, cur, i = [], "", 0
    s = row.strip()
    if s.startswith("|"):
        s = s[1:]
    while i < len(s):
        ch = s[i]
        if ch == "\\" and i + 1 < len(s):
            cur += s[i:i + 2]
            i += 2
            continue
        if ch == "|":
            out.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    if cur.strip():
        out.append(cur)
    return out


def strip_code_spans(text: str) -> str:
    out, i = [], 0
    runs = [(m.start(), m.end()) for m in re.finditer(r"`+", text)]
    k = 0
    while k < len(runs):
        start, end = runs[k]
        n = end - start
        close = next((j for j in range(k + 1, len(runs)) if runs[j][1] - runs[j][0] == n), None)
        if close is None:
            k += 1
            continue  # literal backticks: leave them in the text
        out.append(text[i:start])
        out.append("\ue000")  # placeholder for the span
        i = runs[close][1]
        k = close + 1
    out.append(text[i:])
    return "".join(out)


def code_spans(text: str) -> list[str]:
    """Contents of the code spans in ``text`` (CommonMark rule, one-space padding stripped)."""
    spans, k = [], 0
    runs = [(m.start(), m.end()) for m in re.finditer(r"`+", text)]
    while k < len(runs):
        start, end = runs[k]
        n = end - start
        close = next((j for j in range(k + 1, len(runs)) if runs[j][1] - runs[j][0] == n), None)
        if close is None:
            k += 1
            continue
        c = text[end:runs[close][0]]
        if len(c) >= 2 and c.startswith(" ") and c.endswith(" ") and c.strip():
            c = c[1:-1]
        spans.append(c)
        k = close + 1
    return spans
