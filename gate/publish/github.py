"""GitHub REST transport: find the PR, upsert the sticky comment, post a commit status.

Upsert (platform-contracts §3–§4, checklist 12–18):
- list every page of ``/issues/{n}/comments?per_page=100`` following ``link rel=next``;
- ours = marker on its own line **and** authored by the token's identity (``GET /user`` login; with
  the Actions ``GITHUB_TOKEN`` that call is forbidden, so ``github-actions[bot]`` / any ``Bot``);
- PATCH the oldest of ours unless its content is unchanged or a newer run wrote it;
- otherwise POST, then re-list: if two runs raced, keep the oldest, PATCH it, delete our other ones;
- 422 "Body is too long": retry once with a body that fits 65,536 UTF-8 bytes, marker kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from gate import __version__
from gate.publish import bodies
from gate.publish.environment import GitHubContext
from gate.publish.http import HttpClient, HttpError, Redactor, RetryPolicy

API_VERSION = "2022-11-28"
ACTIONS_BOT = "github-actions[bot]"
FORK_RECIPE = ("use the fork-safe two-workflow recipe (pull_request uploads report.json as an "
               "artifact; a workflow_run workflow runs `model-gate publish --report report.json`), "
               "see docs/ci.md")
STATUS_DESCRIPTION_LIMIT = 140


def github_headers(token: str, api_version: str = API_VERSION) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": api_version,
        "User-Agent": f"model-gate/{__version__}",
    }


def github_client(ctx: GitHubContext, *, sleep: Callable[[float], None],
                  clock: Callable[[], float], redact: Redactor, max_retries: int = 4,
                  timeout: float = 30.0) -> HttpClient:
    assert ctx.token
    redact.add(ctx.token)  # the value actually sent, whatever the environment held
    return HttpClient(ctx.api_url, github_headers(ctx.token, ctx.api_version or API_VERSION),
                      policy=RetryPolicy(max_retries=max_retries, secondary_limit_rule=True),
                      sleep=sleep, clock=clock, timeout=timeout, redact=redact)


def permission_hint(what: str = "comment") -> str:
    if what == "status":
        need = "`permissions: statuses: write`"
    else:
        need = "`permissions:` with `pull-requests: write` (or `issues: write`)"
    return (f"the token cannot write the {what}: grant the job {need}, plus `contents: read` if it "
            f"checks out code. Pull requests from forks always get a read-only token: {FORK_RECIPE}.")


def truncate_description(text: str, limit: int = STATUS_DESCRIPTION_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class Identity:
    login: str | None  # exact login when known
    bot_fallback: bool = False  # GET /user was refused: accept github-actions[bot] / type Bot

    def owns(self, comment: dict[str, Any]) -> bool:
        user = comment.get("user") or {}
        login = user.get("login")
        if self.login is not None:
            return login == self.login
        if self.bot_fallback:
            return login == ACTIONS_BOT or user.get("type") == "Bot"
        return False


class GitHubPublisher:
    def __init__(self, ctx: GitHubContext, client: HttpClient) -> None:
        self.ctx = ctx
        self.client = client
        owner_repo = ctx.owner_repo
        if owner_repo is None:
            raise ValueError("GITHUB_REPOSITORY is not set to owner/repo")
        self.owner, self.repo = (quote(p, safe="") for p in owner_repo)
        self._identity: Identity | None = None

    @property
    def repo_path(self) -> str:
        return f"/repos/{self.owner}/{self.repo}"

    # -- context ---------------------------------------------------------------------------
    def resolve_pr(self) -> tuple[int | None, str | None, str]:
        """(PR number, head SHA, explanation when not found)."""
        ctx = self.ctx
        if ctx.pr_number is not None:
            return ctx.pr_number, ctx.head_sha, ""
        if not ctx.lookup_sha:
            return None, ctx.head_sha, f"no pull request in the {ctx.event_name or 'unknown'} event"
        resp = self.client.request("GET", f"{self.repo_path}/commits/{ctx.lookup_sha}/pulls",
                                   params={"per_page": 100})
        pulls = resp.json() if isinstance(resp.json(), list) else []
        candidates = []
        for pr in pulls:
            base_repo = ((pr.get("base") or {}).get("repo") or {}).get("full_name")
            head_sha = (pr.get("head") or {}).get("sha")
            if (pr.get("state") == "open" and base_repo == ctx.repository
                    and ctx.lookup_sha in (head_sha, pr.get("merge_commit_sha"))):
                candidates.append(pr)
        if not candidates:
            return None, ctx.lookup_sha, f"no open pull request of {ctx.repository} has head " \
                                         f"commit {ctx.lookup_sha[:12]}"
        pr = min(candidates, key=lambda p: p.get("number", 0))
        return int(pr["number"]), (pr.get("head") or {}).get("sha") or ctx.lookup_sha, ""

    def identity(self) -> Identity:
        if self._identity is None:
            try:
                login = self.client.request("GET", "/user").json().get("login")
                self._identity = Identity(login=login) if login else Identity(None, True)
            except HttpError as exc:
                if exc.status not in (403, 404):  # 401, 5xx, no answer: do not guess
                    raise
                # the Actions GITHUB_TOKEN (an installation token) gets 403 here
                self._identity = Identity(login=None, bot_fallback=True)
        return self._identity

    # -- comments --------------------------------------------------------------------------
    def list_comments(self, number: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        url: str | None = f"{self.repo_path}/issues/{number}/comments"
        params: dict[str, Any] | None = {"per_page": 100}
        pages = 0
        while url and pages < 1000:
            resp = self.client.request("GET", url, params=params)
            data = resp.json()
            if isinstance(data, list):
                out.extend(c for c in data if isinstance(c, dict))
            url = resp.links.get("next", {}).get("url")
            params = None  # the next link carries its own query
            pages += 1
        return out

    def _own(self, comments: list[dict[str, Any]], marker: str) -> list[dict[str, Any]]:
        marked = [c for c in comments if bodies.has_marker(c.get("body") or "", marker)]
        if not marked:
            return []
        ident = self.identity()
        own = [c for c in marked if ident.owns(c)]
        return sorted(own, key=lambda c: (c.get("created_at") or "", c.get("id") or 0))

    def _send(self, method: str, path: str, body: str, result_notes: list[str],
              shorter: Callable[[], str] | None = None) -> dict[str, Any]:
        """Send ``body``; on 422 "Body is too long" retry once with ``shorter()`` (the renderer's
        body for a byte-safe budget), when there is one and it is shorter."""
        try:
            return self.client.request(method, path, json={"body": body}).json()
        except HttpError as exc:
            if not exc.body_too_long:
                raise
            short = shorter() if shorter is not None else body
            if len(short) >= len(body):
                raise
            result_notes.append(f"GitHub rejected the comment as too long ({len(body)} "
                                f"characters); retried once with {len(short)} characters")
            return self.client.request(method, path, json={"body": short}).json()

    def _delete(self, comment_id: int) -> bool:
        try:
            self.client.request("DELETE", f"{self.repo_path}/issues/comments/{comment_id}")
            return True
        except HttpError as exc:
            if exc.status == 404:  # a concurrent run already deleted it
                return False
            raise

    def upsert_comment(self, number: int, body_for: bodies.BodyFor, marker: str,
                       stamp: str) -> bodies.UpsertResult:
        """Create or update our comment. ``body_for(previous body, limit)`` gives the body to send
        (None: do not comment, e.g. ``--comment-mode changed`` with nothing changed)."""
        notes: list[str] = []
        own = self._own(self.list_comments(number), marker)
        previous = (own[0].get("body") or "") if own else None
        body = body_for(previous, bodies.GITHUB_LIMIT)
        if body is None:
            return bodies.UpsertResult("skipped", own[0].get("html_url") if own else None,
                                       own[0].get("id") if own else None, [], notes)

        def shorter() -> str:  # byte-safe, and at most half: the retry must be shorter
            return body_for(previous, bodies.retry_limit(bodies.GITHUB_SAFE_LIMIT, body)) or body

        if own:
            return self._converge(own, body, stamp, notes, created=None, shorter=shorter)
        created = self._send("POST", f"{self.repo_path}/issues/{number}/comments", body, notes, shorter)
        if self._identity is None or self._identity.login is None:
            login = (created.get("user") or {}).get("login")
            if login:  # the comment we just created tells us who we are
                self._identity = Identity(login=login)
        own = self._own(self.list_comments(number), marker)
        if not own:  # not listed yet (or removed meanwhile): trust the POST
            return bodies.UpsertResult("created", created.get("html_url"), created.get("id"), [], notes)
        return self._converge(own, body, stamp, notes, created=created, shorter=shorter)

    def _converge(self, own: list[dict[str, Any]], body: str, stamp: str, notes: list[str],
                  created: dict[str, Any] | None,
                  shorter: Callable[[], str] | None = None) -> bodies.UpsertResult:
        keep = own[0]
        action = "created" if created is not None and keep.get("id") == created.get("id") \
            else "unchanged"
        current = keep.get("body") or ""
        if created is not None and keep.get("id") == created.get("id"):
            final = created
        elif bodies.is_newer(current, stamp):
            action = "stale"
            notes.append(f"comment {keep.get('id')} was written by a newer run "
                         f"({bodies.stamp_of(current)}); not overwriting it with run {stamp}")
            final = keep
        elif bodies.same_content(current, body):
            final = keep
        else:
            final = self._send("PATCH", f"{self.repo_path}/issues/comments/{keep['id']}", body,
                               notes, shorter)
            action = "updated"
        deleted = []
        for dup in own[1:]:
            if self._delete(int(dup["id"])):
                deleted.append(int(dup["id"]))
        if deleted:
            notes.append(f"deleted {len(deleted)} duplicate model-gate comment(s) from a "
                         "concurrent run")
        return bodies.UpsertResult(action, final.get("html_url") or keep.get("html_url"), keep.get("id"),
                             deleted, notes)

    # -- statuses --------------------------------------------------------------------------
    def create_status(self, sha: str, state: str, description: str, context: str,
                      target_url: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"state": state, "context": context,
                                   "description": truncate_description(description)}
        if target_url:
            payload["target_url"] = target_url
        return self.client.request("POST", f"{self.repo_path}/statuses/{sha}", json=payload).json()
