"""Progress on stderr (gate/progress.py): named stages, a live line on a terminal, a line per
interval elsewhere, nothing for short stages, with --quiet or with --format json."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gate import progress

ROOT = Path(__file__).resolve().parents[1]
AFFAIRS = ["--policy", "policies/affairs.yml", "--candidate", "examples/affairs/candidate.csv",
           "--baseline", "examples/affairs/baseline.csv"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def stream(monkeypatch):
    monkeypatch.setenv("MODEL_GATE_PROGRESS_SECONDS", "0.05")
    out = io.StringIO()
    progress.configure(out)
    yield out
    progress.configure(None)


def test_a_long_stage_prints_a_line_per_interval_naming_it(stream):
    with progress.stage("aggregating in the engine (duckdb)"):
        time.sleep(0.3)
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 3 and all(ln.startswith("model-gate: aggregating in the engine (duckdb): ") for ln in lines)
    assert lines[-1].endswith(" s")


def test_a_short_stage_prints_nothing(stream):
    with progress.stage("reading"):
        pass
    assert stream.getvalue() == ""


def test_a_terminal_gets_a_live_line_that_is_erased(monkeypatch):
    monkeypatch.setattr(progress, "TTY_DELAY", 0.02)
    monkeypatch.setattr(progress, "TTY_TICK", 0.02)
    term = _Terminal()
    progress.configure(term)
    try:
        with progress.stage("resampling"):
            time.sleep(0.3)
    finally:
        progress.configure(None)
    text = term.getvalue()
    assert "\n" not in text and text.startswith("\r\x1b[2Kmodel-gate: resampling [") and text.endswith("\r\x1b[2K")
    assert len({frame.split(" s")[0].split("]")[0] for frame in text.split("\r\x1b[2K") if frame}) >= 3  # it moves


def test_off_by_default_in_python():
    progress.configure(None)
    with progress.stage("resampling"):         # no stream: nothing to write, nothing started
        pass


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB", "CI_", "INPUT_"))}
    return subprocess.run([sys.executable, "-m", "gate.cli.main", "check", *AFFAIRS, *args], capture_output=True,
                          text=True, env={**env, "MODEL_GATE_PROGRESS_SECONDS": "0.05"}, cwd=ROOT, timeout=300)


def test_cli_names_its_stages_on_stderr_unless_quiet_or_json():
    run = _cli()
    assert run.returncode == 0
    assert "model-gate: resampling: " in run.stderr and "model-gate: resampling" not in run.stdout
    for flags in (["--quiet"], ["--format", "json"]):
        quiet = _cli(*flags)
        assert quiet.returncode == 0 and "model-gate: resampling" not in quiet.stderr, flags
