"""A fake GitLab REST API v4 (merge request notes, /user, merge requests of a commit).

Behaviour copied from GitLab where the tool depends on it: ``PRIVATE-TOKEN`` auth (401 otherwise);
the CI job token can only *read* notes (``JOB-TOKEN`` header; POST/PUT/DELETE → 403); pagination with
``x-page``/``x-per-page``/``x-next-page`` and ``link`` (default 20 per page, max 100), with
``x-total``/``x-total-pages`` and ``rel=last`` optionally omitted as above 10,000 records; system
notes; notes of one MR addressable by numeric project id or URL-encoded path; 400 "Note is too
long (maximum is 1000000 characters)".
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote, urlencode

from tests.fakes.server import FakeServer, Logged, Response

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
GL_TOKEN = "glpat-ProjectAccessToken0123456789"
JOB_TOKEN = "glcbt-JobToken0123456789abcdef"


class FakeGitLab(FakeServer):
    prefix = "/api/v4"

    def __init__(self) -> None:
        super().__init__()
        self.users = {GL_TOKEN: {"id": 901, "username": "project_42_bot_abc", "name": "gate bot"}}
        self.humans = {"alice": {"id": 7, "username": "alice", "name": "Alice"}}
        self.job_tokens = {JOB_TOKEN}
        self.projects = {"42": "group/app", "43": "forker/app"}  # id → path
        self.notes: dict[int, dict[str, Any]] = {}
        self.note_mr: dict[int, tuple[str, int]] = {}
        self.mrs_by_sha: dict[str, list[dict[str, Any]]] = {}
        self.omit_totals = False
        self.omit_link = False  # only x-next-page tells there is more
        self._ids = itertools.count(5000)
        self._clock = itertools.count(1)

    def _pid(self, raw: str) -> str | None:
        raw = unquote(raw)
        if raw in self.projects:
            return raw
        for pid, path in self.projects.items():
            if path == raw:
                return pid
        return None

    def add_note(self, project: str, iid: int, body: str, *, author: str = "alice",
                 system: bool = False) -> dict[str, Any]:
        user = self.humans.get(author) or next(u for u in self.users.values()
                                               if u["username"] == author)
        return self._create(project, iid, body, user, system)

    def _create(self, pid: str, iid: int, body: str, user: dict[str, Any],
                system: bool = False) -> dict[str, Any]:
        with self.lock:
            nid = next(self._ids)
            when = (EPOCH + timedelta(seconds=next(self._clock))).isoformat()
            note = {"id": nid, "body": body, "author": dict(user), "system": system,
                    "created_at": when, "updated_at": when, "noteable_iid": iid,
                    "noteable_type": "MergeRequest", "resolvable": False}
            self.notes[nid] = note
            self.note_mr[nid] = (pid, iid)
            return note

    def mr_notes(self, pid: str, iid: int) -> list[dict[str, Any]]:
        with self.lock:
            return [n for nid, n in sorted(self.notes.items()) if self.note_mr[nid] == (pid, iid)]

    def route(self, req: Logged) -> Response:
        token = req.headers.get("private-token")
        job = req.headers.get("job-token")
        user = self.users.get(token or "")
        read_only = False
        if user is None and job in self.job_tokens:
            read_only = True
        elif user is None:
            return Response(401, {"message": "401 Unauthorized"})
        parts = req.path.strip("/").split("/")
        if parts == ["user"] and req.method == "GET":
            if read_only:
                return Response(401, {"message": "401 Unauthorized"})
            return Response(200, user)
        if len(parts) < 2 or parts[0] != "projects":
            return Response(404, {"message": "404 Not Found"})
        pid = self._pid(parts[1])
        if pid is None:
            return Response(404, {"message": "404 Project Not Found"})
        rest = parts[2:]
        if len(rest) == 4 and rest[:2] == ["repository", "commits"] and rest[3] == "merge_requests":
            return self._list(req, self.mrs_by_sha.get(rest[2], []))
        if len(rest) >= 3 and rest[0] == "merge_requests" and rest[2] == "notes":
            iid = int(rest[1])
            if req.method != "GET" and read_only:
                return Response(403, {"message": "403 Forbidden"})
            if len(rest) == 3:
                if req.method == "GET":
                    return self._list(req, self.mr_notes(pid, iid))
                if req.method == "POST":
                    body = (req.json or {}).get("body")
                    if not body:
                        return Response(400, {"message": "400 Bad request - body is missing"})
                    if len(body) > 1_000_000:
                        return Response(400, {"message": {"note": [
                            "is too long (maximum is 1000000 characters)"]}})
                    return Response(201, self._create(pid, iid, body, user))  # type: ignore[arg-type]
            if len(rest) == 4:
                return self._one(req, pid, iid, int(rest[3]), user)  # type: ignore[arg-type]
        return Response(404, {"message": "404 Not Found"})

    def _one(self, req: Logged, pid: str, iid: int, nid: int, user: dict[str, Any]) -> Response:
        with self.lock:
            note = self.notes.get(nid)
            if note is None or self.note_mr[nid] != (pid, iid):
                return Response(404, {"message": "404 Note Not Found"})
            if req.method == "GET":
                return Response(200, note)
            if note["system"] or note["author"]["id"] != user["id"]:
                return Response(403, {"message": "403 Forbidden"})
            if req.method == "PUT":
                body = (req.json or {}).get("body") or ""
                if len(body) > 1_000_000:
                    return Response(400, {"message": {"note": [
                        "is too long (maximum is 1000000 characters)"]}})
                note["body"] = body
                note["updated_at"] = (EPOCH + timedelta(seconds=next(self._clock))).isoformat()
                return Response(200, note)
            if req.method == "DELETE":
                del self.notes[nid]
                del self.note_mr[nid]
                return Response(204, None)
        return Response(405, {"message": "405 Method Not Allowed"})

    def _list(self, req: Logged, items: list[dict[str, Any]]) -> Response:
        per_page = min(100, int(req.query.get("per_page", ["20"])[0]))
        page = int(req.query.get("page", ["1"])[0])
        chunk = items[(page - 1) * per_page: page * per_page]
        last = max(1, -(-len(items) // per_page))
        keep = {k: v[0] for k, v in req.query.items() if k != "page"}
        base = f"{self.base_url}{req.path}"
        headers = {"x-page": str(page), "x-per-page": str(per_page),
                   "x-next-page": str(page + 1) if page < last else "",
                   "x-prev-page": str(page - 1) if page > 1 else ""}
        links = [f'<{base}?{urlencode({**keep, "page": 1})}>; rel="first"']
        if page < last:
            links.insert(0, f'<{base}?{urlencode({**keep, "page": page + 1})}>; rel="next"')
        if not self.omit_totals:
            headers.update({"x-total": str(len(items)), "x-total-pages": str(last)})
            links.append(f'<{base}?{urlencode({**keep, "page": last})}>; rel="last"')
        if not self.omit_link:
            headers["Link"] = ", ".join(links)
        return Response(200, chunk, headers)
