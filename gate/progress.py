"""Progress of long stages on stderr, naming the stage (reading, aggregating in the engine, resampling).

Off unless the CLI turns it on (:func:`configure`), so the Python API stays silent. On a terminal a
live line is redrawn every half second once a stage has run for a second (``model-gate: resampling
[  <=>   ] 12 s``) and erased when the stage ends; elsewhere (CI logs) one line is printed every
``MODEL_GATE_PROGRESS_SECONDS`` (default 10) while a stage runs, so a short run prints nothing. The
CLI turns it off for ``--quiet`` and ``--format json``. The total work of a stage is not known in
advance (an engine query), so the bar shows that it is alive, not a fraction.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

TTY_DELAY = 1.0          # a terminal shows a stage once it has run this long
TTY_TICK = 0.5
DEFAULT_INTERVAL = 10.0
BAR = 10

_stream: TextIO | None = None


def configure(stream: TextIO | None) -> None:
    """Report stages on ``stream`` (None: off)."""
    global _stream
    _stream = stream


def _interval() -> float:
    try:
        return max(float(os.environ.get("MODEL_GATE_PROGRESS_SECONDS", DEFAULT_INTERVAL)), 0.01)
    except ValueError:
        return DEFAULT_INTERVAL


def _bar(tick: int) -> str:
    """An indeterminate bar: a marker moving back and forth."""
    span = 2 * (BAR - 3)
    at = tick % span if tick % span < BAR - 2 else span - tick % span
    return "[" + " " * at + "<=>" + " " * (BAR - 3 - at) + "]"


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Run the ``with`` body as the named stage; progress lines appear only while it is long."""
    stream = _stream
    if stream is None:
        yield
        return
    tty = bool(getattr(stream, "isatty", lambda: False)())
    done = threading.Event()
    start = time.monotonic()

    def tick() -> None:
        shown, n = False, 0
        wait = TTY_DELAY if tty else _interval()
        while not done.wait(wait):
            elapsed = time.monotonic() - start
            try:
                if tty:
                    stream.write(f"\r\x1b[2Kmodel-gate: {name} {_bar(n)} {elapsed:.0f} s")
                    shown, n, wait = True, n + 1, TTY_TICK
                else:
                    stream.write(f"model-gate: {name}: {elapsed:.0f} s\n")
                    wait = _interval()
                stream.flush()
            except (OSError, ValueError):       # a closed stream never stops the run
                return
        if shown:
            try:
                stream.write("\r\x1b[2K")
                stream.flush()
            except (OSError, ValueError):
                pass

    thread = threading.Thread(target=tick, name=f"model-gate progress: {name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
