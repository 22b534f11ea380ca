"""A fake GitHub REST API (issue comments, commit statuses, pulls for a commit, /user, the repository,
workflow runs and their artifacts).

State: users per token, comments (ids ascending, creation order, authors), statuses, pulls per
commit. Behaviour copied from the real API where the tool depends on it: ``per_page`` (default 30,
max 100) with ``link`` ``rel=next``/``rel=last``; ``GET /user`` answers 403 "Resource not
accessible by integration" for an Actions installation token; a read-only token gets the same 403
on writes; 401 "Bad credentials" for unknown tokens; 422 "Body is too long (maximum is 65536
characters)"; 422 when a status description exceeds 140 characters. Workflow runs are listed newest
first, filtered by ``branch`` and ``status`` (a conclusion such as ``success``); an artifact's zip
download answers 302 to a signed URL on a second server (:class:`FakeBlobStore`, another port, so
``requests`` must drop the token on the way: the blob store records a violation if one arrives), and
410 for an expired artifact.

Every request and documented response is validated against GitHub's OpenAPI description; the
``violations`` list must stay empty (the pytest fixture fails the test otherwise).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from tests.fakes import openapi
from tests.fakes.server import FakeServer, Logged, Response

COMMENTS = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
COMMENT = "/repos/{owner}/{repo}/issues/comments/{comment_id}"
NOT_ACCESSIBLE = {"message": "Resource not accessible by integration",
                  "documentation_url": "https://docs.github.com/rest"}
BAD_CREDENTIALS = {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
SECONDARY = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before "
                        "you try again.", "documentation_url": "https://docs.github.com/rest"}
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


@dataclass
class Account:
    login: str
    id: int
    type: str = "User"
    can_write: bool = True
    user_endpoint: bool = True  # False: GET /user → 403 (GITHUB_TOKEN, an installation token)


ACTIONS_TOKEN = "ghs_ActionsInstallationToken0123456789abcdef"
READONLY_TOKEN = "ghs_ReadOnlyForkToken0123456789abcdefghij"
PAT = "ghp_BotPersonalAccessToken0123456789abcdef"


RUNS = "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs"
ARTIFACTS = "/repos/{owner}/{repo}/actions/runs/{run_id}/artifacts"


class FakeBlobStore(FakeServer):
    """Where artifact downloads redirect to: ``GET /blob/<id>?sig=…`` serves the zip's bytes. A
    request carrying an ``Authorization`` header is a violation (the token must not leave GitHub)."""

    def __init__(self) -> None:
        super().__init__()
        self.blobs: dict[str, bytes] = {}

    def route(self, req: Logged) -> Response:
        if req.headers.get("authorization"):
            self.violations.append(f"{req.method} {req.path}: the API token was sent to the blob store")
        blob = self.blobs.get(req.path.rsplit("/", 1)[-1])
        if req.method != "GET" or blob is None or req.query.get("sig") != ["signed"]:
            return Response(404, b"", {"Content-Type": "text/plain"})
        return Response(200, blob, {"Content-Type": "application/zip"})


class FakeGitHub(FakeServer):
    prefix = "/api/v3"  # like GHES: proves GITHUB_API_URL (with a path) is honoured

    def __init__(self, *, api_version: str = "2022-11-28") -> None:
        super().__init__()
        self.default_branch = "main"
        self.workflow_runs: dict[str, list[dict[str, Any]]] = {}   # workflow file name -> runs, oldest first
        self.run_artifacts: dict[int, list[dict[str, Any]]] = {}
        self.blob_store = FakeBlobStore()
        self.api_version = api_version
        self.accounts: dict[str, Account] = {
            ACTIONS_TOKEN: Account("github-actions[bot]", 41898282, "Bot", True, False),
            READONLY_TOKEN: Account("github-actions[bot]", 41898282, "Bot", False, False),
            PAT: Account("gate-bot", 5001, "User", True, True),
        }
        self.humans = {"octocat": Account("octocat", 1, "User"), "mona": Account("mona", 2)}
        self.comments: dict[int, dict[str, Any]] = {}
        self.comment_issue: dict[int, tuple[str, str, int]] = {}
        self.statuses: list[dict[str, Any]] = []
        self.pulls_by_sha: dict[str, list[dict[str, Any]]] = {}
        self._ids = itertools.count(1000)
        self._clock = itertools.count(1)
        self.post_barrier: threading.Barrier | None = None

    def start(self) -> FakeGitHub:
        self.blob_store.start()
        super().start()
        return self

    def stop(self) -> None:
        super().stop()
        self.blob_store.stop()
        self.violations.extend(self.blob_store.violations)

    # -- seeding and views ------------------------------------------------------------------
    def add_workflow_run(self, workflow: str, *, branch: str = "main", conclusion: str = "success",
                         artifacts: dict[str, bytes] | None = None, expired: bool = False,
                         declared_size: int | None = None) -> dict[str, Any]:
        """A completed run of ``workflow`` (newest so far) with artifacts ``{name: zip bytes}``; each
        artifact's ``size_in_bytes`` is its length unless ``declared_size`` says otherwise (a lie)."""
        run = openapi.instance(openapi.schema(RUNS, "get", "200")["properties"]["workflow_runs"]["items"])
        with self.lock:
            rid = next(self._ids)
            run.update(id=rid, run_number=rid, head_branch=branch, status="completed", conclusion=conclusion,
                       path=f".github/workflows/{workflow}",
                       html_url=f"https://github.com/octo/gate/actions/runs/{rid}")
            self.workflow_runs.setdefault(workflow, []).append(run)
            self.run_artifacts[rid] = []
            for name, data in (artifacts or {}).items():
                aid = next(self._ids)
                art = openapi.instance(openapi.schema(ARTIFACTS, "get", "200")["properties"]["artifacts"]["items"])
                size = len(data) if declared_size is None else declared_size
                art.update(id=aid, name=name, size_in_bytes=size, expired=expired,
                           archive_download_url=f"https://api.github.com/repos/octo/gate/actions/artifacts/{aid}/zip")
                self.run_artifacts[rid].append(art)
                self.blob_store.blobs[str(aid)] = data
        return run

    def _user(self, acct: Account) -> dict[str, Any]:
        user = openapi.template(COMMENTS, "get", "200", item=True)["user"]
        user.update(login=acct.login, id=acct.id, type=acct.type,
                    html_url=f"https://github.com/{acct.login}")
        return user

    def add_comment(self, owner: str, repo: str, number: int, body: str, *,
                    author: str = "octocat") -> dict[str, Any]:
        acct = self.humans.get(author) or next(
            (a for a in self.accounts.values() if a.login == author), None) or Account(author, 77)
        return self._create(owner, repo, number, body, acct)

    def _create(self, owner: str, repo: str, number: int, body: str,
                acct: Account) -> dict[str, Any]:
        with self.lock:
            cid = next(self._ids)
            when = (EPOCH + timedelta(seconds=next(self._clock))).strftime("%Y-%m-%dT%H:%M:%SZ")
            comment = openapi.template(COMMENTS, "get", "200", item=True)
            comment.update(
                id=cid, node_id=f"IC_{cid}", body=body, user=self._user(acct),
                url=f"https://api.github.com/repos/{owner}/{repo}/issues/comments/{cid}",
                html_url=f"https://github.com/{owner}/{repo}/pull/{number}#issuecomment-{cid}",
                issue_url=f"https://api.github.com/repos/{owner}/{repo}/issues/{number}",
                created_at=when, updated_at=when, author_association="NONE")
            self.comments[cid] = comment
            self.comment_issue[cid] = (owner, repo, number)
            return comment

    def issue_comments(self, owner: str, repo: str, number: int) -> list[dict[str, Any]]:
        with self.lock:
            return [c for cid, c in sorted(self.comments.items())
                    if self.comment_issue[cid] == (owner, repo, number)]

    def add_pull(self, owner: str, repo: str, number: int, head_sha: str, *, state: str = "open",
                 base_full_name: str | None = None) -> dict[str, Any]:
        pull = openapi.template("/repos/{owner}/{repo}/commits/{commit_sha}/pulls", "get", "200",
                                item=True)
        pull.update(number=number, state=state, merge_commit_sha="f" * 40)
        pull["head"]["sha"] = head_sha
        pull["base"]["repo"]["full_name"] = base_full_name or f"{owner}/{repo}"
        self.pulls_by_sha.setdefault(head_sha, []).append(pull)
        return pull

    # -- validation -------------------------------------------------------------------------
    def check(self, req: Logged, resp: Response, raw_body: bytes) -> None:
        problems = openapi.validate(req.method, req.path, req.query, req.headers, req.body,
                                    resp.status, req.response_headers, raw_body,
                                    check_response=not req.faulted)
        for name, want in (("accept", "application/vnd.github+json"),
                           ("x-github-api-version", self.api_version)):
            if req.headers.get(name) != want:
                problems.append(f"{req.method} {req.path}: header {name}={req.headers.get(name)!r}")
        if not (req.headers.get("user-agent") or "").startswith("model-gate/"):
            problems.append(f"{req.method} {req.path}: User-Agent {req.headers.get('user-agent')!r}")
        if not (req.headers.get("authorization") or "").startswith("Bearer "):
            problems.append(f"{req.method} {req.path}: Authorization is not a Bearer token")
        with self.lock:
            self.violations.extend(problems)

    # -- routing ----------------------------------------------------------------------------
    def _account(self, req: Logged) -> Account | None:
        auth = req.headers.get("authorization") or ""
        token = auth.split(" ", 1)[1] if " " in auth else ""
        return self.accounts.get(token)

    def route(self, req: Logged) -> Response:
        acct = self._account(req)
        if acct is None:
            return Response(401, BAD_CREDENTIALS)
        parts = req.path.strip("/").split("/")
        m = req.method
        if parts == ["user"] and m == "GET":
            if not acct.user_endpoint:
                return Response(403, NOT_ACCESSIBLE)
            user = openapi.template("/user", "get", "200", which=1)
            user.update(login=acct.login, id=acct.id, type=acct.type)
            return Response(200, user)
        if len(parts) >= 3 and parts[0] == "repos":
            owner, repo, rest = parts[1], parts[2], parts[3:]
            if len(rest) == 3 and rest[0] == "issues" and rest[2] == "comments":
                number = int(rest[1])
                if m == "GET":
                    return self._list(req, self.issue_comments(owner, repo, number))
                if m == "POST":
                    return self._post_comment(req, acct, owner, repo, number)
            if len(rest) == 3 and rest[:2] == ["issues", "comments"]:
                return self._one_comment(req, acct, int(rest[2]))
            if len(rest) == 2 and rest[0] == "statuses" and m == "POST":
                return self._status(req, acct, owner, repo, rest[1])
            if len(rest) == 3 and rest[0] == "commits" and rest[2] == "pulls" and m == "GET":
                return self._list(req, self.pulls_by_sha.get(rest[1], []))
            if m == "GET" and (not rest or rest[0] == "actions"):
                return self._actions(req, owner, repo, rest)
        return Response(404, {"message": "Not Found", "documentation_url": "https://docs.github.com"})

    def _actions(self, req: Logged, owner: str, repo: str, rest: list[str]) -> Response:
        """The repository, workflow runs, a run's artifacts and an artifact's download."""
        not_found = Response(404, {"message": "Not Found", "documentation_url": "https://docs.github.com"})
        if not rest:
            repository = openapi.template("/repos/{owner}/{repo}", "get", "200")
            repository.update(name=repo, full_name=f"{owner}/{repo}", default_branch=self.default_branch)
            return Response(200, repository)
        query = {k: v[0] for k, v in req.query.items()}
        per_page = min(100, int(query.get("per_page", "30")))
        if len(rest) == 4 and rest[1] == "workflows" and rest[3] == "runs":
            if rest[2] not in self.workflow_runs:
                return not_found
            runs = [r for r in reversed(self.workflow_runs[rest[2]])
                    if r["head_branch"] == query.get("branch", r["head_branch"])
                    and query.get("status") in (None, r["status"], r["conclusion"])]
            return Response(200, {"total_count": len(runs), "workflow_runs": runs[:per_page]})
        if len(rest) == 4 and rest[1] == "runs" and rest[3] == "artifacts":
            arts = [a for a in self.run_artifacts.get(int(rest[2]), []) if a["name"] == query.get("name", a["name"])]
            return Response(200, {"total_count": len(arts), "artifacts": arts[:per_page]})
        if len(rest) == 4 and rest[1] == "artifacts" and rest[3] == "zip":
            art = next((a for arts in self.run_artifacts.values() for a in arts if a["id"] == int(rest[2])), None)
            if art is None:
                return not_found
            if art["expired"]:
                return Response(410, {"message": "Artifact has expired", "documentation_url": "https://docs.github.com"})
            return Response(302, None, {"Location": f"{self.blob_store.url}/blob/{art['id']}?sig=signed",
                                        "Content-Type": "text/plain"})
        return not_found

    def _list(self, req: Logged, items: list[dict[str, Any]]) -> Response:
        per_page = min(100, int(req.query.get("per_page", ["30"])[0]))
        page = int(req.query.get("page", ["1"])[0])
        chunk = items[(page - 1) * per_page: page * per_page]
        last = max(1, -(-len(items) // per_page))
        links = []
        base = f"{self.base_url}{req.path}"
        if page < last:
            links.append(f'<{base}?{urlencode({"per_page": per_page, "page": page + 1})}>; rel="next"')
            links.append(f'<{base}?{urlencode({"per_page": per_page, "page": last})}>; rel="last"')
        if page > 1:
            links.append(f'<{base}?{urlencode({"per_page": per_page, "page": 1})}>; rel="first"')
        return Response(200, chunk, {"Link": ", ".join(links)} if links else {})

    def _too_long(self, body: str) -> Response | None:
        if len(body) > 65536:
            return Response(422, {"message": "Validation Failed",
                                  "errors": [{"resource": "IssueComment", "code": "custom",
                                              "field": "body", "message":
                                              "body is too long (maximum is 65536 characters)"}],
                                  "documentation_url": "https://docs.github.com/rest"})
        return None

    def _post_comment(self, req: Logged, acct: Account, owner: str, repo: str,
                      number: int) -> Response:
        if not acct.can_write:
            return Response(403, NOT_ACCESSIBLE)
        body = (req.json or {}).get("body", "")
        if (err := self._too_long(body)) is not None:
            return err
        barrier = self.post_barrier
        if barrier is not None:
            barrier.wait(timeout=10)  # both racing runs have listed and are now creating
        comment = self._create(owner, repo, number, body, acct)
        if barrier is not None:
            barrier.wait(timeout=10)  # both comments exist before either run re-lists
        return Response(201, comment, {"Location": comment["url"]})

    def _one_comment(self, req: Logged, acct: Account, cid: int) -> Response:
        with self.lock:
            comment = self.comments.get(cid)
            if comment is None:
                return Response(404, {"message": "Not Found",
                                      "documentation_url": "https://docs.github.com"})
            if req.method == "GET":
                return Response(200, comment)
            if not acct.can_write:
                return Response(403, NOT_ACCESSIBLE)
            if comment["user"]["login"] != acct.login:
                return Response(403, {"message": "Must have admin rights to Repository.",
                                      "documentation_url": "https://docs.github.com"})
            if req.method == "PATCH":
                body = (req.json or {}).get("body", "")
                if (err := self._too_long(body)) is not None:
                    return err
                comment["body"] = body
                comment["updated_at"] = (EPOCH + timedelta(seconds=next(self._clock))).strftime(
                    "%Y-%m-%dT%H:%M:%SZ")
                return Response(200, comment)
            if req.method == "DELETE":
                del self.comments[cid]
                del self.comment_issue[cid]
                return Response(204, None, {"Content-Type": "text/plain"})
        return Response(404, {"message": "Not Found"})

    def _status(self, req: Logged, acct: Account, owner: str, repo: str, sha: str) -> Response:
        if not acct.can_write:
            return Response(403, NOT_ACCESSIBLE)
        data = req.json or {}
        if len(data.get("description") or "") > 140:
            return Response(422, {"message": "Validation Failed", "errors": [
                {"resource": "Status", "code": "custom", "field": "description",
                 "message": "description is too long (maximum is 140 characters)"}],
                "documentation_url": "https://docs.github.com/rest"})
        status = openapi.template("/repos/{owner}/{repo}/statuses/{sha}", "post", "201")
        with self.lock:
            sid = next(self._ids)
        status.update(id=sid, state=data.get("state"), context=data.get("context", "default"),
                      description=data.get("description"), target_url=data.get("target_url"),
                      creator=self._user(acct))
        with self.lock:
            self.statuses.append({**status, "sha": sha})
        return Response(201, status)
