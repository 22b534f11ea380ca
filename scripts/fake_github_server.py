#!/usr/bin/env python3
"""Run the fake GitHub REST API (tests/fakes/github.py) as a standalone process
(or, with ``--kind gitlab``, the fake GitLab API of tests/fakes/gitlab.py).

Used by scripts/container-smoke: the action in the container reaches it over the host
network (buildah run --network host) at GITHUB_API_URL (CI_API_V4_URL for GitLab).

    python3 scripts/fake_github_server.py --ready-file R --state-file S \
        [--seed-comment owner/repo#7=octocat:text ...]
    python3 scripts/fake_github_server.py --kind gitlab --ready-file R --state-file S \
        [--seed-comment 42!3=alice:text ...]

* Listens on 127.0.0.1 with an ephemeral port. When ready, atomically writes R as JSON:
  ``{"pid", "url", "api_url", "tokens": {"actions", "pat", "readonly"}}``.
* ``--seed-comment`` adds pre-existing comments (e.g. a human one) before serving.
* ``--dump-on-signal``: on SIGUSR1 the current state is written to S (the server keeps
  running); on SIGTERM/SIGINT the state is written to S and the server stops.
  State: ``{"comments": {"owner/repo#N": [comment, ...]}, "requests": [{"method", "path",
  "query", "status"}], "violations": [...]}`` (GitLab: comments keyed ``"<project id>!<iid>"``,
  values are notes; ready-file tokens ``{"token", "job_token"}``). Violations are OpenAPI contract breaches and
  missing required headers, recorded by the fake.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.fakes import github as fake_github_mod  # noqa: E402
from tests.fakes import gitlab as fake_gitlab_mod  # noqa: E402


def _write_json(path: Path, data: object) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def _state(server) -> dict:
    with server.lock:
        comments: dict[str, list] = {}
        if isinstance(server, fake_gitlab_mod.FakeGitLab):
            for nid, note in sorted(server.notes.items()):
                pid, iid = server.note_mr[nid]
                comments.setdefault(f"{pid}!{iid}", []).append(note)
        for cid, comment in sorted(getattr(server, "comments", {}).items()):
            owner, repo, number = server.comment_issue[cid]
            comments.setdefault(f"{owner}/{repo}#{number}", []).append(comment)
        requests = [
            {"method": r.method, "path": r.path, "query": r.query, "status": r.status}
            for r in server.log
        ]
        return {"comments": comments, "requests": requests, "violations": list(server.violations)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kind", choices=("github", "gitlab"), default="github")
    p.add_argument("--ready-file", required=True, type=Path)
    p.add_argument("--state-file", required=True, type=Path)
    p.add_argument("--seed-comment", action="append", default=[],
                   metavar="OWNER/REPO#N=AUTHOR:BODY or PROJECT_ID!IID=AUTHOR:BODY")
    args = p.parse_args(argv)

    if args.kind == "gitlab":
        return _serve(args, fake_gitlab_mod.FakeGitLab(), {
            "token": fake_gitlab_mod.GL_TOKEN, "job_token": fake_gitlab_mod.JOB_TOKEN})
    server = fake_github_mod.FakeGitHub()
    for spec in args.seed_comment:
        target, _, rest = spec.partition("=")
        author, _, body = rest.partition(":")
        full, _, number = target.partition("#")
        owner, _, repo = full.partition("/")
        server.add_comment(owner, repo, int(number), body, author=author or "octocat")
    return _serve(args, server, {
        "actions": fake_github_mod.ACTIONS_TOKEN,
        "pat": fake_github_mod.PAT,
        "readonly": fake_github_mod.READONLY_TOKEN,
    })


def _serve(args: argparse.Namespace, server, tokens: dict) -> int:
    if args.kind == "gitlab":
        for spec in args.seed_comment:
            target, _, rest = spec.partition("=")
            author, _, body = rest.partition(":")
            pid, _, iid = target.partition("!")
            server.add_note(pid, int(iid), body, author=author or "alice")
    server.start()

    stop = threading.Event()

    def dump(*_: object) -> None:
        _write_json(args.state_file, _state(server))

    def terminate(*_: object) -> None:
        stop.set()

    signal.signal(signal.SIGUSR1, dump)
    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)

    _write_json(args.ready_file, {
        "pid": os.getpid(),
        "url": server.url,
        "api_url": server.base_url,
        "tokens": tokens,
    })
    while not stop.wait(0.2):
        pass
    dump()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
