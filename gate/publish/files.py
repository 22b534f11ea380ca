"""CI files: ``$GITHUB_OUTPUT``, ``$GITHUB_STEP_SUMMARY`` and a GitLab ``artifacts:reports:dotenv``.

- ``$GITHUB_OUTPUT``: ``name=value`` lines, or ``name<<ghadelimiter_<uuid4>`` / value / delimiter for
  multiline values; a key or value containing the delimiter is refused (as actions/toolkit
  ``prepareKeyValueMessage`` does). UTF-8, appended.
- ``$GITHUB_STEP_SUMMARY``: appended UTF-8 Markdown; :func:`summary_room` says how much still fits
  under the 1 MiB per step, and the renderer fits the summary into it.
- dotenv (GitLab): keys ``^[A-Za-z0-9_]+$``, values without spaces or newlines, no comments or blank
  lines, file < 5 KB, UTF-8.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping
from pathlib import Path

from gate.atomic import write_files

SUMMARY_LIMIT_BYTES = 1_048_576  # 1 MiB per step ("the upload for the step will fail" above it)
DOTENV_LIMIT_BYTES = 5 * 1024
DOTENV_KEY = re.compile(r"^[A-Za-z0-9_]+$")
OUTPUT_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class FileCommandError(ValueError):
    """A value cannot be written safely to a CI file."""


def format_output(name: str, value: str, delimiter: str | None = None) -> str:
    """One ``$GITHUB_OUTPUT`` entry (ending in a newline)."""
    if not OUTPUT_KEY.match(name):
        raise FileCommandError(f"invalid output name {name!r}")
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    delimiter = delimiter or f"ghadelimiter_{uuid.uuid4()}"
    if delimiter in name:
        raise FileCommandError(f"output name {name!r} contains the delimiter")
    if delimiter in value:
        raise FileCommandError(f"output {name!r}: value contains the delimiter {delimiter!r}")
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


#: The action's step outputs (action.yml ``outputs:``), in the order they are written.
STEP_OUTPUTS = ("verdict", "passed", "failed_count", "inconclusive_count", "report_json", "comment_url")
#: What ``verdict`` can be: the report's verdict, or ``error`` when no report was made.
STEP_VERDICTS = ("pass", "fail", "error")


def step_outputs(verdict: str, *, failed_count: int = 0, inconclusive_count: int = 0, report_json: str = "",
                 comment_url: str = "") -> dict[str, str]:
    """The values of every step output, the one place that defines them: ``verdict`` is ``pass`` or
    ``fail`` (report.json's verdict; inconclusive gates fail it only under ``decision.inconclusive:
    fail`` or ``--fail-on-inconclusive``, and ``inconclusive_count`` says how many blocking gates the
    data could not decide either way), or ``error`` when the check stopped without a report."""
    if verdict not in STEP_VERDICTS:
        raise ValueError(f"verdict must be one of {STEP_VERDICTS}, got {verdict!r}")
    values = {"verdict": verdict, "passed": "true" if verdict == "pass" else "false",
              "failed_count": str(failed_count), "inconclusive_count": str(inconclusive_count),
              "report_json": report_json, "comment_url": comment_url}
    return {k: values[k] for k in STEP_OUTPUTS}


def write_github_outputs(path: str, values: Mapping[str, str]) -> None:
    text = "".join(format_output(k, v) for k, v in values.items())  # validate all before writing
    with open(path, "a", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def summary_room(path: str, limit: int = SUMMARY_LIMIT_BYTES) -> int:
    """UTF-8 bytes still free in the step summary at ``path`` (earlier steps' text counts), leaving
    one byte so the file stays strictly below ``limit``."""
    existing = os.path.getsize(path) if os.path.exists(path) else 0
    return max(0, limit - 1 - existing)


def append_step_summary(path: str, markdown: str) -> None:
    """Append ``markdown`` (already rendered to fit :func:`summary_room`) with a final newline."""
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    with open(path, "a", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def dotenv_problems(values: Mapping[str, str]) -> list[str]:
    problems = []
    for key, value in values.items():
        if not DOTENV_KEY.match(key):
            problems.append(f"dotenv key {key!r} is not [A-Za-z0-9_]+")
        if value == "" or any(ch.isspace() for ch in value):
            problems.append(f"dotenv value of {key} is empty or contains whitespace")
        if "#" in value[:1]:
            problems.append(f"dotenv value of {key} starts with '#'")
    return problems


def write_dotenv(path: str, values: Mapping[str, str]) -> list[str]:
    """Write the entries that satisfy GitLab's dotenv rules; return a message per refused entry."""
    good: dict[str, str] = {}
    problems: list[str] = []
    for key, value in values.items():
        issue = dotenv_problems({key: value})
        if issue:
            problems.extend(issue)
        else:
            good[key] = value
    text = "".join(f"{k}={v}\n" for k, v in good.items())
    if len(text.encode("utf-8")) >= DOTENV_LIMIT_BYTES:
        problems.append(f"dotenv file would be {len(text.encode('utf-8'))} bytes, over 5 KB")
        text = ""
    write_files({Path(path): text})  # replaced whole or not at all (raises OSError)
    return problems
