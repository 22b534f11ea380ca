"""A working directory for a CLI run inside a (simulated) GitHub Actions job."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.ci import github_env

#: A binary policy for :func:`seventy_percent_csv` whose gates sit on known lines (after a comment,
#: a blank line, in block and flow style): recall fails, precision passes, accuracy (severity
#: warning) is inconclusive.
LINES_POLICY = """# a comment, then a blank line

version: 1
name: lines
task: binary
positive_class: "1"
bootstrap: {resamples: 400, seed: 3}
gates:
  # recall cannot reach 0.99 with 70% correct predictions: fails
  - metric: recall
    min: 0.99

  - {metric: precision, min: 0.05}
  - metric: accuracy
    min: 0.7
    severity: warning
"""


def seventy_percent_csv(n: int = 300) -> str:
    """Binary predictions ``id,label,prediction``: labels alternate and the prediction is right 70%
    of the time, so recall >= 0.99 fails clearly and accuracy >= 0.7 cannot be decided."""
    rows = ["id,label,prediction"] + [f"r{i},{i % 2},{i % 2 if i % 10 < 7 else 1 - i % 2}" for i in range(n)]
    return "\n".join(rows) + "\n"


def github_workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> Path:
    """``tmp_path`` holding ``files`` (relative path → text) as the cwd, with GitHub's job
    variables set (no API server: step outputs and the summary go to files in ``tmp_path``)."""
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for key, value in github_env(tmp_path, None).items():
        monkeypatch.setenv(key, value)
    return tmp_path
