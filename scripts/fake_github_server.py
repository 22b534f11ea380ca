#!/usr/bin/env python3
"""Run the fake GitHub REST API (tests/fakes/github.py) as a standalone process.

Used by scripts/container-smoke: the action in the container reaches it over the host
network (buildah run --network host) at GITHUB_API_URL.

    python3 scripts/fake_github_server.py --ready-file R --state-file S \
        [--seed-comment owner/repo#7=octocat:text ...]

* Listens on 127.0.0.1 with an ephemeral port. When ready, atomically writes R as JSON:
  ``{"pid", "url", "api_url", "tokens": {"actions", "pat", "readonly"}}``.
* ``--seed-comment`` adds pre-existing comments (e.g. a human one) before serving.
* ``--dump-on-signal``: on SIGUSR1 the current state is written to S (the server keeps
  running); on SIGTERM/SIGINT the state is written to S and the server stops.
  State: ``{"comments": {"owner/repo#N": [comment, ...]}, "requests": [{"method", "path",
  "query", "status"}], "violations": [...]}``. Violations are OpenAPI contract breaches and
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


def _write_json(path: Path, data: object) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def _state(server: "fake_github_mod.FakeGitHub") -> dict:
    with server.lock:
        comments: dict[str, list] = {}
        for cid, comment in sorted(server.comments.items()):
            owner, repo, number = server.comment_issue[cid]
            comments.setdefault(f"{owner}/{repo}#{number}", []).append(comment)
        requests = [
            {"method": r.method, "path": r.path, "query": r.query, "status": r.status}
            for r in server.log
        ]
        return {"comments": comments, "requests": requests, "violations": list(server.violations)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ready-file", required=True, type=Path)
    p.add_argument("--state-file", required=True, type=Path)
    p.add_argument("--seed-comment", action="append", default=[],
                   metavar="OWNER/REPO#N=AUTHOR:BODY")
    args = p.parse_args(argv)

    server = fake_github_mod.FakeGitHub()
    for spec in args.seed_comment:
        target, _, rest = spec.partition("=")
        author, _, body = rest.partition(":")
        full, _, number = target.partition("#")
        owner, _, repo = full.partition("/")
        server.add_comment(owner, repo, int(number), body, author=author or "octocat")
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
        "tokens": {
            "actions": fake_github_mod.ACTIONS_TOKEN,
            "pat": fake_github_mod.PAT,
            "readonly": fake_github_mod.READONLY_TOKEN,
        },
    })
    while not stop.wait(0.2):
        pass
    dump()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
