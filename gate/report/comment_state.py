"""The hidden state a sticky comment carries, so the next run can say what changed.

The state is the verdict plus, per gate id, its status and two numbers (candidate value and Δ
value, rounded to 6 decimals). It travels inside the comment's marker line as
``state=1.<base64(zlib(json))>``: standard base64 has no ``-``, so the payload can never close the
HTML comment (``-->``) or hold ``--``; it is never executed, only parsed.

Parsing is strict, because anyone who can edit the comment can forge it: at most
:data:`MAX_TOKEN` characters, strict base64, a decompression bomb stopped at :data:`MAX_JSON` bytes,
JSON without NaN/Infinity, exact keys and types, a version we know. Any failure raises
:class:`StateError` with a fixed sentence (nothing from the payload is echoed); callers show it as a
notice and carry on as on a first run. A report whose state would exceed :data:`MAX_TOKEN` gets no
state (:func:`encode` returns ``""``).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import zlib
from dataclasses import dataclass
from typing import Any

from gate.report.model import STATUSES, GateResult, Report

VERSION = 1
MAX_TOKEN = 16_000       # characters of the encoded state in the marker line
MAX_JSON = 256 * 1024    # bytes after decompression
MAX_ID = 1_000           # characters of one gate id
_TOKEN = re.compile(r"1\.([A-Za-z0-9+/]+={0,2})")


class StateError(ValueError):
    """The previous comment's state cannot be used; ``str()`` is a fixed, safe sentence."""


@dataclass(frozen=True)
class GateState:
    id: str
    status: str
    candidate: float | None
    delta: float | None


@dataclass(frozen=True)
class CommentState:
    verdict: str
    gates: tuple[GateState, ...]

    def by_id(self) -> dict[str, GateState]:
        return {g.id: g for g in self.gates}


def _round(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 6)


def state_of(report: Report) -> CommentState:
    """The state of ``report``: its verdict, and per gate (policy order) status, candidate, Δ."""
    return CommentState(report.verdict, tuple(
        GateState(g.id, g.status, _round(g.candidate.value),
                  None if g.delta is None else _round(g.delta.value)) for g in report.gates))


def encode(state: CommentState) -> str:
    """``1.<base64>`` (deterministic: same state, same text), or ``""`` when over :data:`MAX_TOKEN`."""
    doc = {"v": VERSION, "verdict": state.verdict,
           "gates": [[g.id, g.status, g.candidate, g.delta] for g in state.gates]}
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    token = "1." + base64.b64encode(zlib.compress(raw, 9)).decode("ascii")
    return token if len(token) <= MAX_TOKEN else ""


def _refuse_constant(name: str) -> Any:
    raise StateError("the state holds a non-finite number")


def _number(x: Any) -> float | None:
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise StateError("a gate value in the state is not a number")
    return float(x)


def _gate(item: Any) -> GateState:
    if not (isinstance(item, list) and len(item) == 4):
        raise StateError("a gate entry of the state is not a 4-item list")
    gid, status, cand, delta = item
    if not (isinstance(gid, str) and 0 < len(gid) <= MAX_ID):
        raise StateError("a gate id in the state is not a short string")
    if status not in STATUSES:
        raise StateError("a gate status in the state is unknown")
    return GateState(gid, status, _number(cand), _number(delta))


def decode(token: str) -> CommentState:
    """Parse a state token strictly (see the module docstring); raises :class:`StateError`."""
    if len(token) > MAX_TOKEN:
        raise StateError("the state is larger than allowed")
    m = _TOKEN.fullmatch(token)
    if not m:
        raise StateError("the state is not a version-1 base64 payload")
    try:
        packed = base64.b64decode(m.group(1), validate=True)
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_JSON)
        if inflater.unconsumed_tail or not inflater.eof:
            raise StateError("the state does not decompress to a small, complete document")
        doc = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (binascii.Error, zlib.error, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise StateError("the state is corrupt (base64, zlib or JSON)") from None
    if not (isinstance(doc, dict) and set(doc) == {"v", "verdict", "gates"}):
        raise StateError("the state does not have the expected fields")
    if doc["v"] != VERSION or isinstance(doc["v"], bool):
        raise StateError("the state has an unknown version")
    if doc["verdict"] not in ("pass", "fail"):
        raise StateError("the state's verdict is unknown")
    if not isinstance(doc["gates"], list):
        raise StateError("the state's gates are not a list")
    gates = tuple(_gate(item) for item in doc["gates"])
    if len({g.id for g in gates}) != len(gates):
        raise StateError("the state lists a gate twice")
    return CommentState(doc["verdict"], gates)


# ---------------------------------------------------------------------------------------------------
# what changed
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ValueChange:
    """A gate whose shown number moved: ``quantity`` is ``"delta"`` (when both runs have a Δ) or
    ``"candidate"``."""

    gate: GateResult
    quantity: str
    before: float
    after: float


@dataclass(frozen=True)
class Changes:
    """Differences between the previous run's state and this report. ``status`` holds (gate,
    previous status); ``removed`` the ids of gates the previous run had and this one lacks."""

    verdict: tuple[str, str] | None
    status: tuple[tuple[GateResult, str], ...]
    new: tuple[GateResult, ...]
    removed: tuple[str, ...]
    values: tuple[ValueChange, ...]

    @property
    def decisive(self) -> bool:
        """The verdict or a gate's status changed (a new or removed gate counts): what
        ``--comment-mode changed`` posts on."""
        return bool(self.verdict or self.status or self.new or self.removed)


def _value_change(g: GateResult, before: GateState) -> ValueChange | None:
    now_delta = None if g.delta is None else _round(g.delta.value)
    if now_delta is not None and before.delta is not None:
        return None if now_delta == before.delta else ValueChange(g, "delta", before.delta, now_delta)
    now = _round(g.candidate.value)
    if now is not None and before.candidate is not None and now != before.candidate:
        return ValueChange(g, "candidate", before.candidate, now)
    return None


def changes(previous: CommentState, report: Report) -> Changes:
    """What changed from ``previous`` to ``report``, gates in this report's policy order."""
    old = previous.by_id()
    status: list[tuple[GateResult, str]] = []
    new: list[GateResult] = []
    values: list[ValueChange] = []
    for g in report.gates:
        before = old.get(g.id)
        if before is None:
            new.append(g)
            continue
        if before.status != g.status:
            status.append((g, before.status))
        moved = _value_change(g, before)
        if moved is not None:
            values.append(moved)
    current = {g.id for g in report.gates}
    removed = tuple(s.id for s in previous.gates if s.id not in current)
    verdict = None if previous.verdict == report.verdict else (previous.verdict, report.verdict)
    return Changes(verdict, tuple(status), tuple(new), removed, tuple(values))
