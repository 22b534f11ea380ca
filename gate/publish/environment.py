"""Which CI are we in, and what does it tell us (platform-contracts §2, §6, §10).

Nothing here touches the network: PR numbers that need an API call (``push``, ``workflow_run``
without ``pull_requests``) are resolved by :mod:`gate.publish.github`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

GITHUB = "github"
GITLAB = "gitlab"
LOCAL = "local"

PR_EVENTS = ("pull_request", "pull_request_target")
STAMP_LINE = re.compile(r"^<!-- model-gate:run (?P<stamp>[A-Za-z0-9._:+-]*) -->[ \t]*$", re.M)


def detect(environ: Mapping[str, str]) -> str:
    if environ.get("GITHUB_ACTIONS") == "true":
        return GITHUB
    if environ.get("GITLAB_CI") == "true":
        return GITLAB
    return LOCAL


def _get(environ: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = environ.get(name)
        if value is not None and value.strip() != "":
            return value.strip()
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _object(value: Any) -> dict[str, Any]:
    """A JSON object of the event payload, or {} for anything else (absent, null, another type)."""
    return value if isinstance(value, dict) else {}


def stamp_key(stamp: str) -> tuple[int, ...]:
    """Order of run stamps: the integers in the stamp, compared as a tuple ("123.2" < "124.1")."""
    return tuple(int(n) for n in re.findall(r"\d+", stamp))


def clean_stamp(stamp: str) -> str:
    return re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9._:+-]", "", stamp))[:100]


@dataclass
class GitHubContext:
    repository: str | None
    api_url: str
    server_url: str
    event_name: str
    event: dict[str, Any]
    token: str | None
    run_id: str | None = None
    run_attempt: str | None = None
    workflow: str | None = None
    job: str | None = None
    pr_number: int | None = None
    head_sha: str | None = None
    lookup_sha: str | None = None  # resolve the PR from this commit when pr_number is None
    is_fork: bool = False
    fork_reason: str = ""
    api_version: str = "2022-11-28"  # X-GitHub-Api-Version; MODEL_GATE_GITHUB_API_VERSION overrides
    problems: list[str] = field(default_factory=list)

    @property
    def owner_repo(self) -> tuple[str, str] | None:
        if not self.repository or "/" not in self.repository:
            return None
        owner, repo = self.repository.split("/", 1)
        return owner, repo

    @property
    def writes_blocked(self) -> bool:
        """A fork PR under ``pull_request`` has a read-only token: do not even try to write."""
        return self.event_name == "pull_request" and self.is_fork

    @property
    def run_url(self) -> str | None:
        if self.repository and self.run_id:
            return f"{self.server_url.rstrip('/')}/{self.repository}/actions/runs/{self.run_id}"
        return None

    @property
    def run_stamp(self) -> str:
        if self.run_id:
            return f"{self.run_id}.{self.run_attempt or 1}"
        return ""


def _load_event(path: str | None, problems: list[str]) -> dict[str, Any]:
    if not path:
        problems.append("GITHUB_EVENT_PATH is not set; no pull request context")
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        problems.append(f"cannot read the event payload GITHUB_EVENT_PATH ({type(exc).__name__})")
        return {}
    return data if isinstance(data, dict) else {}


def github_context(environ: Mapping[str, str], api_url: str | None = None) -> GitHubContext:
    """The GitHub Actions job's context: repository, API, token and run from the environment, the
    PR and head SHA from the event payload (per event kind; a missing or unreadable payload is a
    problem noted, not an error)."""
    problems: list[str] = []
    event = _load_event(_get(environ, "GITHUB_EVENT_PATH"), problems)
    event_name = _get(environ, "GITHUB_EVENT_NAME") or ""
    repository = _get(environ, "GITHUB_REPOSITORY")
    ctx = GitHubContext(
        repository=repository,
        api_url=(api_url or _get(environ, "GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
        server_url=_get(environ, "GITHUB_SERVER_URL") or "https://github.com",
        event_name=event_name,
        event=event,
        token=_get(environ, "INPUT_GITHUB_TOKEN", "INPUT_GITHUB-TOKEN", "GITHUB_TOKEN"),
        run_id=_get(environ, "GITHUB_RUN_ID"),
        run_attempt=_get(environ, "GITHUB_RUN_ATTEMPT"),
        workflow=_get(environ, "GITHUB_WORKFLOW"),
        job=_get(environ, "GITHUB_JOB"),
        api_version=_get(environ, "MODEL_GATE_GITHUB_API_VERSION") or "2022-11-28",
        problems=problems,
    )
    github_sha = _get(environ, "GITHUB_SHA")
    pr = event.get("pull_request") if isinstance(event.get("pull_request"), dict) else None
    if event_name in PR_EVENTS or (pr is not None and event_name == ""):
        _from_pull_request(ctx, pr, github_sha)
    elif event_name == "issue_comment":
        issue = _object(event.get("issue"))
        if issue.get("pull_request"):
            ctx.pr_number = _int(issue.get("number"))
        ctx.head_sha = None  # the payload has no head SHA; GITHUB_SHA is the default branch
    elif event_name == "workflow_run":
        _from_workflow_run(ctx, _object(event.get("workflow_run")))
    else:
        ctx.head_sha = github_sha
        ctx.lookup_sha = github_sha
    return ctx


def _from_pull_request(ctx: GitHubContext, pr: dict[str, Any] | None, github_sha: str | None) -> None:
    """A ``pull_request``-like event: the PR number and head SHA from the payload (without a
    ``pull_request`` object: the event's ``number`` and GITHUB_SHA). A head repository other than
    this one, or a deleted one, is a fork: its token is read-only."""
    event = ctx.event
    if pr is None:
        ctx.pr_number = _int(event.get("number"))
        ctx.head_sha = github_sha
        return
    ctx.pr_number = _int(pr.get("number")) or _int(event.get("number"))
    head = _object(pr.get("head"))
    ctx.head_sha = head.get("sha") if isinstance(head.get("sha"), str) else github_sha
    head_repo = head.get("repo")
    if head_repo is None:
        ctx.is_fork, ctx.fork_reason = True, "the head repository was deleted"
    elif isinstance(head_repo, dict) and head_repo.get("full_name") != ctx.repository:
        ctx.is_fork = True
        ctx.fork_reason = "the pull request comes from a fork"


def _from_workflow_run(ctx: GitHubContext, run: dict[str, Any]) -> None:
    """A ``workflow_run`` event: the triggering run's head SHA and first PR number; without a PR
    number (a fork's PR is not listed), the PR is looked up from the head SHA. A head repository
    other than this one, or none, is a fork."""
    ctx.head_sha = run.get("head_sha") if isinstance(run.get("head_sha"), str) else None
    head_repo = run.get("head_repository")
    if head_repo is None or (isinstance(head_repo, dict) and head_repo.get("full_name") != ctx.repository):
        ctx.is_fork, ctx.fork_reason = True, "the triggering run came from a fork"
    prs = run.get("pull_requests") or []
    numbers = [_int(p.get("number")) for p in prs if isinstance(p, dict)]
    numbers = [n for n in numbers if n]
    if numbers:
        ctx.pr_number = numbers[0]
    else:
        ctx.lookup_sha = ctx.head_sha


@dataclass
class GitLabContext:
    api_url: str | None
    project_id: str | None  # numeric id or URL-encoded path of the MR's *target* project
    mr_iid: int | None
    token: str | None
    job_token_only: bool
    commit_sha: str | None = None
    source_project_id: str | None = None
    pipeline_id: str | None = None
    job_id: str | None = None
    job_url: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def run_stamp(self) -> str:
        if self.pipeline_id:
            return f"{self.pipeline_id}.{self.job_id or 0}"
        return ""


def gitlab_context(environ: Mapping[str, str], api_url: str | None = None) -> GitLabContext:
    problems: list[str] = []
    base = api_url or _get(environ, "CI_API_V4_URL")
    server = _get(environ, "CI_SERVER_URL")
    if not base and server:
        base = server.rstrip("/") + "/api/v4"
    project = _get(environ, "CI_MERGE_REQUEST_PROJECT_ID")
    iid = _int(_get(environ, "CI_MERGE_REQUEST_IID"))
    if iid is None:
        open_mrs = _get(environ, "CI_OPEN_MERGE_REQUESTS")
        if open_mrs:
            first = open_mrs.split(",")[0].strip()
            path, _, number = first.rpartition("!")
            if path and _int(number):
                iid = _int(number)
                project = quote(path, safe="")
    if project is None:
        project = _get(environ, "CI_PROJECT_ID")
    token = _get(environ, "MODEL_GATE_GITLAB_TOKEN", "GITLAB_TOKEN")
    job_token = _get(environ, "CI_JOB_TOKEN")
    job_token_only = False
    if token is not None and job_token is not None and token == job_token:
        token, job_token_only = None, True
    elif token is None and job_token is not None:
        job_token_only = True
    return GitLabContext(
        api_url=base.rstrip("/") if base else None,
        project_id=project,
        mr_iid=iid,
        token=token,
        job_token_only=job_token_only,
        commit_sha=_get(environ, "CI_COMMIT_SHA"),
        source_project_id=_get(environ, "CI_MERGE_REQUEST_SOURCE_PROJECT_ID", "CI_PROJECT_ID"),
        pipeline_id=_get(environ, "CI_PIPELINE_ID"),
        job_id=_get(environ, "CI_JOB_ID"),
        job_url=_get(environ, "CI_JOB_URL"),
        problems=problems,
    )
