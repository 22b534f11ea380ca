"""User-facing errors.

Every problem caused by the user's input (policy, artifacts, command line, environment) is raised as a
:class:`GateError`. The CLI prints its one-line message to stderr, without a traceback, and exits 2.

Messages quote untrusted text (labels, file names, YAML values), so the rendered line is made safe to
print: one line, every invisible or control character written as a Python-style escape (``\\u200b``,
``\\x1b``), and at most :data:`MAX_MESSAGE_CHARS` characters. :func:`clip` does the same for one
quoted value, shortened to a few dozen characters.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_MESSAGE_CHARS = 2000


class GateError(Exception):
    """A user error: bad policy, bad artifact, bad usage. Exit code 2, message on one line.

    ``source`` names the file (or ``"command line"``), ``where`` the field/row/column, ``fix`` says
    what to do about it. The rendered message is ``"<source>: <where>: <problem> (<fix>)"``.
    """

    exit_code = 2

    def __init__(self, problem: str, *, source: str | None = None, where: str | None = None,
                 fix: str | None = None) -> None:
        self.problem = problem
        self.source = source
        self.where = where
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = [p for p in (self.source, self.where) if p]
        text = ": ".join(parts + [self.problem]) if parts else self.problem
        if self.fix:
            text = f"{text} ({self.fix})"
        text = escape_invisible(" ".join(text.split()))  # one line, whatever the inputs held
        if len(text) <= MAX_MESSAGE_CHARS:
            return text
        half = MAX_MESSAGE_CHARS // 2 - 3
        return f"{text[:half]} ... {text[-half:]}"


class PolicyError(GateError):
    """The policy file is malformed or asks for something impossible."""


class InputError(GateError):
    """A prediction artifact is unreadable, malformed or inconsistent with the policy."""


class UsageError(GateError):
    """The command line or the CI environment is wrong."""


def escape_invisible(text: str) -> str:
    """``text`` with every character that does not print as itself (controls, format characters
    such as U+200B or the bidi overrides, line separators, lone surrogates, unassigned code points)
    written as its escape (``\\u200b``); the plain space stays. Printable text is returned as is."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


def clip(text: object, limit: int = 40) -> str:
    """One value for a message: whitespace runs as one space, invisible characters escaped, cut to
    ``limit`` characters with ``...``."""
    text = escape_invisible(" ".join(str(text).split()))
    return text if len(text) <= limit else text[:limit - 3] + "..."


def missing_column(name: str, columns: Iterable[str], source: str, fix: str) -> InputError:
    """The one "missing column" error of every reader (classification tables, ranking runs and
    judgements): the missing name and the first 12 columns there are, each quoted and clipped
    (``none`` for a table without columns)."""
    shown = ", ".join(f"'{clip(c)}'" for c in list(columns)[:12]) or "none"
    return InputError(f"has no column '{clip(name)}' (columns: {shown})", source=source, fix=fix)


def show(value: object, limit: int = 40) -> str:
    """``repr(value)`` for a message, through :func:`clip`. An integer too long for ``repr`` (Python
    refuses more than 4300 digits) is described instead of converted."""
    if isinstance(value, int) and value.bit_length() > 10_000:
        return f"<an integer of about {int(value.bit_length() * 0.30103):,} digits>"
    return clip(repr(value), limit)
