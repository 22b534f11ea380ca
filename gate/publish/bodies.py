"""Sticky-comment bodies: the hidden marker, the run stamp, and the size limits (the renderer fits the
body into them: nothing here cuts text).

The marker ``<!-- model-gate:v1 key=<key> -->`` identifies *our* comment for one key; the run stamp
``<!-- model-gate:run <stamp> -->`` records which CI run wrote it, so an older run never overwrites
a newer run's comment. Neither is rendered by GitHub or GitLab (HTML comments).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from gate.publish.environment import STAMP_LINE, clean_stamp, stamp_key

GITHUB_COMMENT_LIMIT = 65_536  # characters; "Body is too long (maximum is 65536 characters)"
GITHUB_SAFE_BYTES = 65_536  # after a 422, fit in 65,536 UTF-8 *bytes*: safe under any counting
GITLAB_NOTE_LIMIT = 1_000_000  # characters; "Limited to 1,000,000 characters"

_MARKER_ANY = re.compile(r"^<!-- model-gate:v1 key=[^\n]*? -->[ \t]*$", re.M)


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


@dataclass(frozen=True)
class Limit:
    """Room for a body: characters and, optionally, UTF-8 bytes. The renderer fits the body into
    it (:class:`gate.render.markdown.Budget`); nothing here cuts text."""

    max_chars: int
    max_bytes: int | None = None


#: what a body may take, leaving room for the run-stamp line added after rendering
STAMP_ROOM = 200
GITHUB_LIMIT = Limit(65_000)
GITHUB_SAFE_LIMIT = Limit(GITHUB_COMMENT_LIMIT - STAMP_ROOM, GITHUB_SAFE_BYTES - STAMP_ROOM)
GITLAB_LIMIT = Limit(GITLAB_NOTE_LIMIT - STAMP_ROOM)


def retry_limit(limit: Limit, rejected: str) -> Limit:
    """The room for the one retry after a platform rejected ``rejected`` as too long: ``limit``,
    but at most half the rejected body's length (the platform counted differently from us)."""
    half = max(1, len(rejected) // 2)
    return Limit(min(limit.max_chars, half),
                 None if limit.max_bytes is None else min(limit.max_bytes, half))

#: (body of the comment being replaced or None, room) → the body to send, or None to send nothing
BodyFor = Callable[[str | None, Limit], str | None]


@dataclass
class UpsertResult:
    """Outcome of a sticky comment (GitHub) or note (GitLab) upsert: ``action`` is created, updated,
    unchanged or stale; ``item_id`` the id of the comment/note kept; ``deleted`` our duplicates removed."""

    action: str
    url: str | None
    item_id: int | None
    deleted: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
