"""GitHub Actions workflow commands: escaping, annotations, masks and ``::stop-commands::``.

Escaping mirrors actions/toolkit ``packages/core/src/command.ts``: data escapes ``%``, ``\\r``,
``\\n``; property values additionally escape ``:`` and ``,``. A command is one line, so escaped
untrusted text can never start a second command. Other invisible characters are replaced too, so an
annotation cannot carry bidi controls or terminal escapes. :func:`escape_data` is the one escaping
helper for workflow commands (the container action's entry point uses it as well).
"""

from __future__ import annotations

import posixpath
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TextIO

from gate.publish.publication import Annotation
from gate.render.text import visible

ANNOTATION_LIMIT = 10  # "10 warning annotations and 10 error annotations per step"


def escape_data(value: str) -> str:
    """The message part of a command: ``%``, CR and LF percent-encoded as the toolkit does (so the
    command stays one line and a multi-line message survives), then every other invisible character
    (bidi controls, zero-width characters, ESC, ...) shown as U+FFFD (:func:`gate.render.text.visible`)."""
    return visible(str(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def repository_path(file: str | None, workspace: str | None) -> str | None:
    """An annotation's ``file`` as GitHub wants it, relative to the repository root: a relative path
    as it is; an absolute one relative to ``workspace`` (``GITHUB_WORKSPACE``) when inside it, else
    None (GitHub could not place it, and an absolute path says nothing to a reader)."""
    if file is None or not posixpath.isabs(file):
        return file
    if not workspace:
        return None
    root = posixpath.normpath(workspace.replace("\\", "/"))
    inside = posixpath.relpath(file, root) if file.startswith(root.rstrip("/") + "/") else None
    return inside


def format_command(command: str, message: str = "",
                   properties: Mapping[str, str | None] | None = None) -> str:
    """``::command k=v,k2=v2::message`` with every part escaped (no trailing newline)."""
    props = [f"{k}={escape_property(str(v))}" for k, v in (properties or {}).items()
             if v is not None and str(v) != ""]
    head = command + (" " + ",".join(props) if props else "")
    return f"::{head}::{escape_data(message)}"


class Commands:
    """Writes workflow commands to a stream (stdout normally, stderr under ``--format json``)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def _emit(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def add_mask(self, value: str) -> None:
        # One line per value; a value with a newline would be masked per line by the runner.
        for part in value.splitlines() or [value]:
            if part:
                self._emit(format_command("add-mask", part))

    def error(self, message: str, title: str | None = None) -> None:
        self._emit(format_command("error", message, {"title": title}))

    def warning(self, message: str, title: str | None = None) -> None:
        self._emit(format_command("warning", message, {"title": title}))

    def notice(self, message: str, title: str | None = None) -> None:
        self._emit(format_command("notice", message, {"title": title}))

    def debug(self, message: str) -> None:
        self._emit(format_command("debug", message))

    @contextmanager
    def stop_commands(self) -> Iterator[str]:
        """Suspend command processing while untrusted text is printed to the same stream."""
        token = "model-gate-" + secrets.token_hex(16)
        self._emit(f"::stop-commands::{token}")
        try:
            yield token
        finally:
            self.stream.flush()
            self._emit(f"::{token}::")

    def print_untrusted(self, text: str) -> None:
        """Print text derived from predictions/policies/servers with command processing off."""
        with self.stop_commands():
            self.stream.write(text if text.endswith("\n") else text + "\n")

    def annotations(self, annotations: Sequence[Annotation], limit: int = ANNOTATION_LIMIT, *,
                    workspace: str | None = None, all_gates_in_summary: bool = True) -> dict[str, int]:
        """Emit at most ``limit`` error and ``limit`` warning annotations (input is worst first),
        each placed with :func:`repository_path`; return how many of each level were omitted, and
        say so in a notice that points to where every gate is: the job summary when it holds them
        all (``all_gates_in_summary``), else report.json."""
        shown = {"error": 0, "warning": 0}
        omitted = {"error": 0, "warning": 0}
        for ann in annotations:
            level = ann.level if ann.level in shown else "warning"
            if shown[level] >= limit:
                omitted[level] += 1
                continue
            shown[level] += 1
            file = repository_path(ann.file, workspace)
            place = {"file": file, "line": None if file is None or ann.line is None else str(ann.line)}
            self._emit(format_command(level, ann.message, {**place, "title": ann.title}))
        for level, count in omitted.items():
            if count:
                noun = "failed" if level == "error" else "warning"
                where = ("see the job summary for all gates" if all_gates_in_summary else
                         "report.json has all gates (the job summary had to be shortened)")
                self.notice(f"{count} more {noun} gate annotation(s) omitted: GitHub shows at most "
                            f"{limit} {level} annotations per step; {where}.", title="model-gate")
        return omitted
