"""The README's commands and snippets are the ones CI runs and lints."""

from __future__ import annotations

import re
from pathlib import Path

from scripts import render_docs

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def fenced(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_quick_start_has_exactly_two_commands_and_ci_runs_both_verbatim():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)```", quick, flags=re.S)
    assert len(commands) == 2 and all(c.count("\n") == 1 for c in commands)
    ci_run = (ROOT / ".ci/run").read_text()
    # the core install: report.html's plots need no extra; the shown output comes from this command
    example_command = commands[0].strip()
    assert example_command == f"pip install . && {render_docs.QUICK_START}"
    assert example_command in ci_run
    test_command = commands[1].strip()
    assert test_command == "pip install -e '.[test]' && python -m pytest"
    assert test_command in ci_run


def test_example_command_paths_exist():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    for path in re.findall(r"(?:policies|examples)/[\w./-]+\.(?:yml|csv)", quick):
        assert (ROOT / path).is_file(), path


def test_ci_snippets_are_the_linted_example_files():
    examples = {p: p.read_text() for p in (ROOT / "examples/ci").glob("*.yml")}
    snippets = [s for s in fenced("yaml") if "uses: your-org/model-gate" in s or "component:" in s]
    assert len(snippets) >= 2
    for snippet in snippets:
        assert any(snippet in text for text in examples.values()), snippet[:80]
