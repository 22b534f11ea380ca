"""``MODEL_GATE_TIMING=1``: each task's phase times, printed to stderr (bench/run.py parses the
classification line; nothing else reads them)."""

from __future__ import annotations

import os
import sys
import time


def enabled() -> bool:
    """True when ``MODEL_GATE_TIMING`` is set to anything but empty or ``0``."""
    return os.environ.get("MODEL_GATE_TIMING", "") not in ("", "0")


class Clock:
    """Wall-clock laps since construction; :meth:`report` prints them on one line when enabled."""

    def __init__(self) -> None:
        self.on = enabled()
        self.last, self.laps = time.perf_counter(), list[str]()

    def lap(self, name: str) -> float:
        """Close the lap ``name``; returns its seconds."""
        now = time.perf_counter()
        seconds, self.last = now - self.last, now
        self.laps.append(f"{name} {seconds:.3f} s")
        return seconds

    def report(self, title: str) -> None:
        if self.on:
            print(f"model-gate timing{title}: " + ", ".join(self.laps), file=sys.stderr)


def bootstrap_line(prepare: float, bootstrap: float, tables: float, cpu: float, described: list[str],
                   jackknife: float, drawn: tuple[int, int] | None) -> str:
    """The classification engine's line: prepare, bootstrap (its code tables, CPU time and the
    independent components it drew), jackknife, and with ``bootstrap.adaptive`` the resamples
    ``drawn`` of the full draw's."""
    return (f"model-gate timing: prepare {prepare:.3f} s, bootstrap {bootstrap:.3f} s (tables {tables:.3f} s; "
            f"cpu {cpu:.3f} s; {len(described)} independent components: {' | '.join(described)}), "
            f"jackknife {jackknife:.3f} s"
            + (f"; adaptive: drew {drawn[0]} of {drawn[1]} resamples" if drawn is not None else ""))


def print_line(line: str) -> None:
    """Print ``line`` to stderr when timing is enabled."""
    if enabled():
        print(line, file=sys.stderr)
