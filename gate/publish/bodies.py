"""Sticky-comment bodies: the hidden marker, the run stamp, and size limits.

The marker ``<!-- model-gate:v1 key=<key> -->`` identifies *our* comment for one key; the run stamp
``<!-- model-gate:run <stamp> -->`` records which CI run wrote it, so an older run never overwrites
a newer run's comment. Neither is rendered by GitHub or GitLab (HTML comments).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gate.publish.environment import STAMP_LINE, clean_stamp, stamp_key

GITHUB_COMMENT_LIMIT = 65_536  # characters; "Body is too long (maximum is 65536 characters)"
GITHUB_SAFE_BYTES = 65_536  # after a 422, fit in 65,536 UTF-8 *bytes*: safe under any counting
GITLAB_NOTE_LIMIT = 1_000_000  # characters; "Limited to 1,000,000 characters"

_MARKER_ANY = re.compile(r"^<!-- model-gate:v1 key=[^\n]*? -->[ \t]*$", re.M)
_HIDDEN_LINE = re.compile(r"^<!-- model-gate:[^\n]*-->[ \t]*$", re.M)


def marker_for(key: str) -> str:
    """The marker line for ``key`` (without state), encoded exactly as the Markdown renderer does."""
    from gate.render.markdown import marker_line
    return marker_line(key)


def _key_of(line: str) -> str | None:
    from gate.render.markdown import parse_marker
    parsed = parse_marker(line)
    return None if parsed is None else parsed[0]


def body_marker(body: str) -> str | None:
    """The marker (without state) of the (last) marker line already in a rendered body, if any."""
    found = _MARKER_ANY.findall(body)
    key = _key_of(found[-1]) if found else None
    return None if key is None else f"<!-- model-gate:v1 key={key} -->"


def has_marker(body: str, marker: str) -> bool:
    """The marker must stand on its own line (a quoted or inline mention does not count); the state
    a marker line carries (``state=…``) does not change whose comment it is."""
    key = _key_of(marker)
    return key is not None and any(_key_of(line) == key for line in body.splitlines())


def with_marker(body: str, marker: str) -> str:
    """``body`` carrying exactly ``marker``'s key: other keys' marker lines get this key (their
    state kept), a missing one is appended (the renderer puts it last)."""
    if has_marker(body, marker):
        return body
    key = _key_of(marker)
    if key is not None and _MARKER_ANY.search(body):
        return _MARKER_ANY.sub(lambda m: re.sub(r"key=\S+", lambda _k: f"key={key}", m.group(0), count=1),
                               body)
    return f"{body.rstrip()}\n{marker}\n"


def strip_stamp(body: str) -> str:
    return STAMP_LINE.sub("", body).rstrip()


def with_stamp(body: str, stamp: str) -> str:
    body = strip_stamp(body)
    stamp = clean_stamp(stamp)
    return f"{body}\n<!-- model-gate:run {stamp} -->\n" if stamp else body + "\n"


def stamp_of(body: str) -> str | None:
    match = STAMP_LINE.search(body or "")
    return match.group("stamp") if match else None


def is_newer(existing_body: str, our_stamp: str) -> bool:
    """True when the existing body was written by a *later* run than ours."""
    theirs = stamp_of(existing_body)
    if not theirs or not our_stamp:
        return False
    return stamp_key(theirs) > stamp_key(clean_stamp(our_stamp))


def same_content(a: str, b: str) -> bool:
    return strip_stamp(a).strip() == strip_stamp(b).strip()


def shorten(body: str, max_chars: int, *, max_bytes: int | None = None,
            link: str | None = None) -> str:
    """A body of at most ``max_chars`` characters (and ``max_bytes`` UTF-8 bytes) keeping every
    hidden ``model-gate`` line (marker, run stamp) and ending with a truncation notice."""
    if len(body) <= max_chars and (max_bytes is None or len(body.encode("utf-8")) <= max_bytes):
        return body
    hidden = [m.group(0).rstrip() for m in _HIDDEN_LINE.finditer(body)]
    content = _HIDDEN_LINE.sub("", body)
    where = f" See the [full report]({link})." if link else " See the job log or report artifacts."
    notice = f"\n\n---\n**model-gate:** comment truncated to fit the size limit.{where}\n"
    head = "\n".join(h for h in hidden if not STAMP_LINE.match(h))
    tail = "\n".join(h for h in hidden if STAMP_LINE.match(h))
    fixed = notice + (head + "\n" if head else "") + (tail + "\n" if tail else "")
    room = max_chars - len(fixed) - 20
    cut = content[: max(0, room)]
    if max_bytes is not None:
        budget = max_bytes - len(fixed.encode("utf-8")) - 40
        cut = cut.encode("utf-8")[: max(0, budget)].decode("utf-8", errors="ignore")
    if "\n" in cut:
        cut = cut[: cut.rfind("\n")]
    if cut.count("```") % 2:
        cut += "\n```"
    opened = cut.count("<details") - cut.count("</details>")
    cut += "\n</details>" * max(0, opened)
    result = cut.lstrip("\n") + notice + (head + "\n" if head else "") + (tail + "\n" if tail else "")
    return result


@dataclass
class UpsertResult:
    """Outcome of a sticky comment (GitHub) or note (GitLab) upsert: ``action`` is created, updated,
    unchanged or stale; ``item_id`` the id of the comment/note kept; ``deleted`` our duplicates removed."""

    action: str
    url: str | None
    item_id: int | None
    deleted: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
