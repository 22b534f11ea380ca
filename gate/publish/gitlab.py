"""GitLab REST transport: upsert one merge-request note (platform-contracts §6, checklist 24–27).

- token ``MODEL_GATE_GITLAB_TOKEN`` then ``GITLAB_TOKEN``, sent as ``PRIVATE-TOKEN``; the job token
  cannot write notes, so with only ``CI_JOB_TOKEN`` nothing is attempted (see :func:`setup_hint`);
- notes of ``CI_MERGE_REQUEST_PROJECT_ID`` (the *target* project, not the fork's ``CI_PROJECT_ID``);
- list with ``sort=asc&order_by=created_at&per_page=100``, follow ``x-next-page`` (or ``link``
  ``rel=next``), never ``x-total-pages`` (absent above 10,000 records); skip ``system`` notes;
- ours = marker on its own line and ``author.id`` = ``GET /user`` id; PUT the oldest;
- bodies capped at 1,000,000 characters; "too long" → retry once shorter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from gate import __version__
from gate.publish import bodies
from gate.publish.environment import GitLabContext
from gate.publish.http import HttpClient, HttpError, Redactor, RetryPolicy


def setup_hint() -> str:
    return ("GitLab's CI_JOB_TOKEN cannot create or edit merge request notes. Create a project or "
            "group access token (or a bot account's personal access token) with scope `api` and a "
            "role that can comment (Reporter or higher), and store it as a masked, not protected, "
            "CI/CD variable named MODEL_GATE_GITLAB_TOKEN (protected variables are not passed to "
            "merge request pipelines).")


def gitlab_client(ctx: GitLabContext, *, sleep: Callable[[float], None],
                  clock: Callable[[], float], redact: Redactor, max_retries: int = 4,
                  timeout: float = 30.0) -> HttpClient:
    assert ctx.token and ctx.api_url
    redact.add(ctx.token)  # the value actually sent, whatever the environment held
    headers = {"PRIVATE-TOKEN": ctx.token, "User-Agent": f"model-gate/{__version__}",
               "Accept": "application/json"}
    policy = RetryPolicy(max_retries=max_retries, secondary_limit_rule=False, backoff_base=2.0)
    return HttpClient(ctx.api_url, headers, policy=policy, sleep=sleep, clock=clock,
                      timeout=timeout, redact=redact)


class GitLabPublisher:
    def __init__(self, ctx: GitLabContext, client: HttpClient, web_url: str | None = None) -> None:
        self.ctx = ctx
        self.client = client
        project = ctx.project_id or ""
        # a path must be URL-encoded (namespace%2Fproject); a numeric id stays as it is
        self.project = project if "%" in project else quote(project, safe="")
        self.web_url = web_url
        self._user_id: int | None = None

    def user_id(self) -> int:
        if self._user_id is None:
            self._user_id = int(self.client.request("GET", "/user").json()["id"])
        return self._user_id

    def resolve_mr(self) -> int | None:
        if self.ctx.mr_iid is not None:
            return self.ctx.mr_iid
        if not self.ctx.commit_sha:
            return None
        resp = self.client.request(
            "GET", f"/projects/{self.project}/repository/commits/{self.ctx.commit_sha}/merge_requests")
        opened = [mr for mr in resp.json() if isinstance(mr, dict) and mr.get("state") == "opened"]
        return int(opened[0]["iid"]) if opened else None

    def notes_path(self, iid: int) -> str:
        return f"/projects/{self.project}/merge_requests/{iid}/notes"

    def list_notes(self, iid: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        base_params: dict[str, Any] = {"sort": "asc", "order_by": "created_at", "per_page": 100}
        params: dict[str, Any] | None = dict(base_params)
        url = self.notes_path(iid)
        for _ in range(10_000):
            resp = self.client.request("GET", url, params=params)
            data = resp.json()
            if isinstance(data, list):
                out.extend(n for n in data if isinstance(n, dict))
            next_link = resp.links.get("next", {}).get("url")
            next_page = (resp.headers.get("x-next-page") or "").strip()
            if next_link:
                url, params = next_link, None
            elif next_page.isdigit():
                url, params = self.notes_path(iid), {**base_params, "page": int(next_page)}
            else:
                break
        return out

    def _own(self, notes: list[dict[str, Any]], marker: str) -> list[dict[str, Any]]:
        uid = self.user_id()
        own = [n for n in notes if not n.get("system")
               and (n.get("author") or {}).get("id") == uid
               and bodies.has_marker(n.get("body") or "", marker)]
        return sorted(own, key=lambda n: (n.get("created_at") or "", n.get("id") or 0))

    def _send(self, method: str, path: str, body: str, notes: list[str],
              shorter: Callable[[], str] | None = None) -> dict[str, Any]:
        """Send ``body``; when GitLab says it is too long, retry once with ``shorter()``."""
        try:
            return self.client.request(method, path, json={"body": body}).json()
        except HttpError as exc:
            if not exc.body_too_long:
                raise
            short = shorter() if shorter is not None else body
            if len(short) >= len(body):
                raise
            notes.append(f"GitLab rejected the note as too long; retried once with "
                         f"{len(short)} characters")
            return self.client.request(method, path, json={"body": short}).json()

    def note_url(self, iid: int, note_id: int | None) -> str | None:
        if self.web_url and note_id is not None:
            return f"{self.web_url.rstrip('/')}/-/merge_requests/{iid}#note_{note_id}"
        return None

    def upsert_note(self, iid: int, body_for: bodies.BodyFor, marker: str,
                    stamp: str) -> bodies.UpsertResult:
        """Create or update our note; ``body_for(previous body, limit)`` as in
        :meth:`gate.publish.github.GitHubPublisher.upsert_comment` (None: no note)."""
        messages: list[str] = []
        own = self._own(self.list_notes(iid), marker)
        previous = (own[0].get("body") or "") if own else None
        body = body_for(previous, bodies.GITLAB_LIMIT)
        if body is None:
            return bodies.UpsertResult("skipped", self.note_url(iid, own[0].get("id")) if own else None,
                                       own[0].get("id") if own else None, [], messages)

        def shorter() -> str:  # at most half: the retry must be shorter
            return body_for(previous, bodies.retry_limit(bodies.GITLAB_LIMIT, body)) or body

        created = None
        if not own:
            created = self._send("POST", self.notes_path(iid), body, messages, shorter)
            own = self._own(self.list_notes(iid), marker)
            if not own:
                return bodies.UpsertResult("created", self.note_url(iid, created.get("id")),
                                  created.get("id"), [], messages)
        keep = own[0]
        current = keep.get("body") or ""
        if created is not None and keep.get("id") == created.get("id"):
            action = "created"
        elif bodies.is_newer(current, stamp):
            action = "stale"
            messages.append(f"note {keep.get('id')} was written by a newer pipeline; not "
                            "overwriting it")
        elif bodies.same_content(current, body):
            action = "unchanged"
        else:
            self._send("PUT", f"{self.notes_path(iid)}/{keep['id']}", body, messages, shorter)
            action = "updated"
        deleted = []
        for dup in own[1:]:
            try:
                self.client.request("DELETE", f"{self.notes_path(iid)}/{dup['id']}")
                deleted.append(int(dup["id"]))
            except HttpError as exc:
                if exc.status != 404:
                    raise
        return bodies.UpsertResult(action, self.note_url(iid, keep.get("id")), keep.get("id"), deleted,
                          messages)
