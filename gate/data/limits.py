"""Resource limits on untrusted input, each with a default and an environment variable that raises it.

A prediction file or a policy is untrusted: a 1 MB gzip bomb expands to a gigabyte, a label column
of a million distinct values makes a million classes. Every limit stops the run with an input error
that names the limit and the variable to raise it, instead of a hang or an out-of-memory kill. A
value of the variable is a whole number; the byte limits also take a ``K``, ``M`` or ``G`` suffix
(powers of 1024).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from gate.errors import UsageError, show

_SIZE = re.compile(r"([0-9]{1,15})([KMG]?)(?:I?B)?", re.ASCII | re.IGNORECASE)
_SUFFIX = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


@dataclass(frozen=True)
class Limit:
    """One limit. ``what`` names the limited quantity in messages (``"size"``, ``"classes"``);
    ``unit`` is ``"bytes"`` (suffixes allowed, shown as MiB) or ``"count"``."""

    env: str
    default: int
    unit: str
    what: str
    unset: str = ""     # what an unset variable means when it is not a number (default 0: no limit of ours)

    def value(self) -> int:
        """The limit in force: the environment variable when set (and valid), else the default.
        A malformed or zero value is a usage error rather than silently falling back; its fix names
        the default (``unset`` when the default 0 stands for someone else's limit, not "0 bytes")."""
        raw = os.environ.get(self.env, "").strip()
        if not raw:
            return self.default
        match = _SIZE.fullmatch(raw)
        if match is None or (match.group(2) and self.unit != "bytes") or int(match.group(1)) == 0:
            kind = "a positive whole number of bytes (K, M, G suffixes allowed)" if self.unit == "bytes" \
                else "a positive whole number"
            raise UsageError(f"{self.env} must be {kind} (got {show(raw)})", source="environment",
                             fix=f"unset it to use the default, {self.unset or self.shown(self.default)}")
        return int(match.group(1)) * _SUFFIX[match.group(2).upper()]

    def shown(self, n: int) -> str:
        """``512 MiB`` for byte limits that are whole MiB, ``1,000`` for counts."""
        if self.unit == "bytes":
            for suffix, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
                if n >= size and n % size == 0:
                    return f"{n // size:,} {suffix}"
            return f"{n:,} bytes"
        return f"{n:,}"

    def fix(self) -> str:
        """How to raise it, for the message's fix part, with four times the limit in force as the example."""
        return f"raise the limit with the environment variable {self.env}, e.g. {self.env}={self.spelled(4 * self.value())}"

    def spelled(self, n: int) -> str:
        """``n`` as the variable would be written: ``2G``, ``4M`` or plain digits."""
        if self.unit == "bytes":
            for suffix, size in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
                if n >= size and n % size == 0:
                    return f"{n // size}{suffix}"
        return str(n)


MAX_BYTES = Limit("MODEL_GATE_MAX_BYTES", 512 << 20, "bytes", "size")
"""A prediction file's size: on disk, and again after gzip decompression."""

MAX_POLICY_BYTES = Limit("MODEL_GATE_MAX_POLICY_BYTES", 1 << 20, "bytes", "size")
"""A policy file's size."""

MAX_CLASSES = Limit("MODEL_GATE_MAX_CLASSES", 256, "count", "classes")
"""Distinct classes: found in the labels and predictions, or listed in the policy's ``classes:``.
(The cost grows faster than K²: 250 classes with ``class: "*"`` take ~25 s at 10^5 rows.)"""

MAX_SLICE_VALUES = Limit("MODEL_GATE_MAX_SLICE_VALUES", 1000, "count", "slice values")
"""Distinct values of one slice column (each value becomes its own gate, ~20 ms each at 10^5 rows)."""

ALL = (MAX_BYTES, MAX_POLICY_BYTES, MAX_CLASSES, MAX_SLICE_VALUES)


def help_text() -> str:
    """The limits and their variables, for ``--help`` and the README."""
    parts = [f"{lim.env} ({lim.shown(lim.default)})" for lim in ALL]
    return ("Limits on untrusted input (raise them with environment variables): prediction file size "
            f"after decompression {parts[0]}, policy file size {parts[1]}, distinct classes {parts[2]}, "
            f"distinct values per slice column {parts[3]}. Pipes and devices are refused as inputs.")
