"""User-facing errors.

Every problem caused by the user's input (policy, artifacts, command line, environment) is raised as a
:class:`GateError`. The CLI prints its one-line message to stderr, without a traceback, and exits 2.
"""

from __future__ import annotations


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
        return " ".join(text.split())  # one line, whatever the inputs held


class PolicyError(GateError):
    """The policy file is malformed or asks for something impossible."""


class InputError(GateError):
    """A prediction artifact is unreadable, malformed or inconsistent with the policy."""


class UsageError(GateError):
    """The command line or the CI environment is wrong."""
