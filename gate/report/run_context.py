"""Where a report was produced: the commit and the links a PR comment points to.

These are facts about the CI run, not about the evaluation, so they are not part of
:class:`gate.report.Report` (report.json stays a pure function of inputs and seed). The Markdown
renderer receives a :class:`RunContext` and only formats it; :func:`from_environ` reads it from the
CI environment without touching the network.

- commit: GitHub ``pull_request`` events → the PR head SHA from the event payload, else
  ``GITHUB_SHA``; GitLab → ``CI_COMMIT_SHA``.
- workflow run: ``GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID``; GitLab's job page
  ``CI_JOB_URL``.
- artifact / HTML report: ``MODEL_GATE_ARTIFACT_URL`` / ``MODEL_GATE_REPORT_URL`` (or the CLI options
  ``--artifact-url`` / ``--report-url``), e.g. the ``artifact-url`` output of actions/upload-artifact,
  or ``$CI_JOB_URL/artifacts/file/<out-dir>/report.html`` on GitLab. Unknown links are left out.

Only ``http``/``https`` URLs are kept, and a commit must look like a hex object id; anything else is
dropped, so a hostile environment value cannot put text into the comment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

_SHA = re.compile(r"[0-9a-fA-F]{7,64}")
_URL = re.compile(r"https?://[^\s<>\"'`\\]+")


@dataclass(frozen=True)
class RunContext:
    """``commit`` a full or short hex SHA (None: unknown); URLs None when unknown."""

    commit: str | None = None
    run_url: str | None = None
    artifact_url: str | None = None
    report_url: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.commit or self.run_url or self.artifact_url or self.report_url)


def clean_sha(value: str | None) -> str | None:
    """A hex object id (7–64 digits), lower-cased; anything else → None."""
    value = (value or "").strip()
    return value.lower() if _SHA.fullmatch(value) else None


def clean_url(value: str | None) -> str | None:
    """An http(s) URL without whitespace, quotes, backticks, backslashes or angle brackets; else None."""
    value = (value or "").strip()
    return value if _URL.fullmatch(value) else None


def _pr_head_sha(environ: Mapping[str, str]) -> str | None:
    """The PR head commit from the GitHub event payload (``GITHUB_SHA`` is the merge commit there)."""
    path = environ.get("GITHUB_EVENT_PATH")
    if not path or environ.get("GITHUB_EVENT_NAME") not in ("pull_request", "pull_request_target"):
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            event = json.load(fh)
        sha = event["pull_request"]["head"]["sha"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return sha if isinstance(sha, str) else None


def from_environ(environ: Mapping[str, str], *, artifact_url: str | None = None,
                 report_url: str | None = None) -> RunContext:
    """The run context of this process (empty outside GitHub Actions and GitLab CI, except for the
    explicit URLs). Explicit arguments win over ``MODEL_GATE_*_URL`` variables."""
    artifact = clean_url(artifact_url or environ.get("MODEL_GATE_ARTIFACT_URL"))
    report = clean_url(report_url or environ.get("MODEL_GATE_REPORT_URL"))
    commit = run = None
    if environ.get("GITHUB_ACTIONS") == "true":
        commit = clean_sha(_pr_head_sha(environ) or environ.get("GITHUB_SHA"))
        server = (environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
        repo, run_id = environ.get("GITHUB_REPOSITORY", ""), environ.get("GITHUB_RUN_ID", "")
        if re.fullmatch(r"[\w.-]+/[\w.-]+", repo) and run_id.isdigit():
            run = clean_url(f"{server}/{repo}/actions/runs/{run_id}")
    elif environ.get("GITLAB_CI") == "true":
        commit = clean_sha(environ.get("CI_COMMIT_SHA"))
        run = clean_url(environ.get("CI_JOB_URL"))
    return RunContext(commit=commit, run_url=run, artifact_url=artifact, report_url=report)
