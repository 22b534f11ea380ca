"""Test helpers: Publications, CI environments, a fake clock, and reference parsers that mirror
what the GitHub runner and GitLab do with our output (workflow commands, ``$GITHUB_OUTPUT``,
dotenv reports)."""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate.publish.dispatch import PublishOutcome, publish
from gate.publish.publication import Annotation, Publication

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "events"
HEAD_SHA = "1111111111111111111111111111111111111111"


def publication(body: str = "## ✅ model-gate: pass\n\n| gate | value |\n|---|---|\n| acc | 0.91 |",
                *, key: str = "policy", verdict: str = "pass", failed: int = 0,
                annotations: tuple[Annotation, ...] = (), summary: str | None = None,
                report: str | None = "out/report.json", status: str = "all 3 gates passed",
                run_stamp: str = "") -> Publication:
    marker = f"<!-- model-gate:v1 key={key} -->"
    return Publication(
        comment_body=f"{body}\n\n{marker}\n",  # the renderer puts the marker last
        summary_body=summary if summary is not None else body,
        marker_key=key, verdict=verdict, exit_code=0 if verdict == "pass" else 1,
        failed_count=failed, report_json_path=report, annotations=annotations,
        status_description=status, run_stamp=run_stamp)


def report_publication(report: Any, *, key: str | None = "policy", context: Any = None,
                       report_json: str | None = "out/report.json") -> Publication:
    """The Publication the CLI builds for ``report`` (a real rendered comment that can re-render
    itself for a platform's room and against the comment it replaces)."""
    from gate.cli.common import publication_for

    return publication_for(report, key, report_json, context)


def github_env(tmp_path: Path, server: Any | None, *, event: str = "pull_request.json",
               event_name: str = "pull_request", token: str | None = None,
               run_id: str = "9000", attempt: str = "1", **extra: str) -> dict[str, str]:
    from tests.fakes.github import ACTIONS_TOKEN

    env = {
        "GITHUB_ACTIONS": "true", "CI": "true",
        "GITHUB_REPOSITORY": "octo/gate", "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(EVENTS / event),
        "GITHUB_SHA": "3333333333333333333333333333333333333333",
        "GITHUB_SERVER_URL": "https://github.example", "GITHUB_RUN_ID": run_id,
        "GITHUB_RUN_ATTEMPT": attempt, "GITHUB_WORKFLOW": "model gate", "GITHUB_JOB": "gate",
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "INPUT_GITHUB_TOKEN": ACTIONS_TOKEN if token is None else token,
    }
    if server is not None:
        env["GITHUB_API_URL"] = server.base_url
    env.update(extra)
    return {k: v for k, v in env.items() if v != ""}


def gitlab_env(server: Any | None, *, token: str | None = None, **extra: str) -> dict[str, str]:
    from tests.fakes.gitlab import GL_TOKEN, JOB_TOKEN

    env = {
        "GITLAB_CI": "true", "CI": "true", "CI_PROJECT_ID": "43",
        "CI_MERGE_REQUEST_PROJECT_ID": "42", "CI_MERGE_REQUEST_IID": "3",
        "CI_MERGE_REQUEST_PROJECT_URL": "https://gitlab.example/group/app",
        "CI_PIPELINE_ID": "700", "CI_JOB_ID": "8000", "CI_COMMIT_SHA": HEAD_SHA,
        "CI_JOB_URL": "https://gitlab.example/forker/app/-/jobs/8000",
        "CI_JOB_TOKEN": JOB_TOKEN, "MODEL_GATE_GITLAB_TOKEN": GL_TOKEN if token is None else token,
    }
    if server is not None:
        env["CI_API_V4_URL"] = server.base_url
    env.update(extra)
    return {k: v for k, v in env.items() if v != ""}


class FakeClock:
    """``now()`` starts at real time and advances only when ``sleep()`` is called."""

    def __init__(self, start: float | None = None) -> None:
        import time

        self.t = time.time() if start is None else start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self.t

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.t += seconds


@dataclass
class Run:
    outcome: PublishOutcome
    commands: str
    log: str
    clock: FakeClock


def run(pub: Publication, env: dict[str, str], *, comment: str = "auto", status: bool = False,
        strict: bool = False, dotenv: str | None = None, key: str | None = None,
        clock: FakeClock | None = None, **kw: Any) -> Run:
    clock = clock or FakeClock()
    out, err = io.StringIO(), io.StringIO()
    outcome = publish(pub, environ=env, comment=comment, status=status, strict=strict,
                      dotenv_path=dotenv, commands_stream=out, log_stream=err, comment_key=key,
                      sleep=clock.sleep, clock=clock.now, **kw)
    return Run(outcome, out.getvalue(), err.getvalue(), clock)


# -- reference parsers ---------------------------------------------------------------------------
def _unescape_data(s: str) -> str:
    return s.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_prop(s: str) -> str:
    return (s.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",")
            .replace("%25", "%"))


def parse_commands(text: str) -> list[tuple[str, dict[str, str], str]]:
    """Workflow commands as actions/runner sees them (``ActionCommand.TryParseV2`` for ``::cmd``
    lines, ``TryParse`` for legacy ``##[cmd]`` anywhere in a line), honouring
    ``::stop-commands::TOKEN`` … ``::TOKEN::``."""
    found: list[tuple[str, dict[str, str], str]] = []
    stop: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if stop is not None:
            if line == f"::{stop}::":
                stop = None
            continue
        if line.startswith("::"):
            end = line.find("::", 2)
            if end < 0:
                continue
            info, data = line[2:end], line[end + 2:]
            name, _, props_text = info.partition(" ")
            props = {}
            for pair in filter(None, props_text.split(",")):
                k, _, v = pair.partition("=")
                props[k] = _unescape_prop(v)
            if name.lower() == "stop-commands":
                stop = data
                continue
            found.append((name.lower(), props, _unescape_data(data)))
            continue
        legacy = line.find("##[")
        if legacy >= 0:
            close = line.find("]", legacy)
            if close > 0:
                name = line[legacy + 3:close].split(" ")[0]
                found.append((name.lower(), {}, line[close + 1:]))
    return found


def parse_github_output(text: str) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` as the runner parses it (``EnvFileKeyValuePairs``): ``k=v`` or
    ``k<<DELIM`` … ``DELIM``; raises like the runner on a malformed file."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line == "":
            continue
        eq, heredoc = line.find("="), line.find("<<")
        if eq >= 0 and (heredoc < 0 or eq < heredoc):
            key, value = line[:eq], line[eq + 1:]
        elif heredoc >= 0:
            key, delim = line[:heredoc], line[heredoc + 2:]
            if not key or not delim:
                raise ValueError(f"Invalid format {line!r}")
            body: list[str] = []
            while True:
                if i >= len(lines):
                    raise ValueError(f"Matching delimiter not found {delim!r}")
                nxt = lines[i]
                i += 1
                if nxt == delim:
                    break
                body.append(nxt)
            value = "\n".join(body)
        else:
            raise ValueError(f"Invalid format {line!r}")
        if not key:
            raise ValueError(f"Invalid format {line!r}")
        out[key] = value
    return out


def validate_dotenv(path: Path) -> dict[str, str]:
    """GitLab's ``artifacts:reports:dotenv`` rules: UTF-8, < 5 KB, ``KEY=value`` lines only, keys of
    letters/digits/underscores, no blank lines, comments, multiline values, spaces or newlines."""
    data = path.read_bytes()
    assert len(data) < 5 * 1024, "dotenv file must be < 5 KB"
    text = data.decode("utf-8")  # raises on non-UTF-8
    assert not text.startswith("\ufeff")
    out = {}
    for line in text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"):
        assert line != "", "no empty lines"
        assert not line.startswith("#"), "no comments"
        key, sep, value = line.partition("=")
        assert sep == "=", f"not KEY=value: {line!r}"
        assert re.fullmatch(r"[A-Za-z0-9_]+", key), f"bad key {key!r}"
        assert value and not re.search(r"\s", value), f"bad value for {key}: {value!r}"
        out[key] = value
    return out


def assert_no_secret(result: Run, directory: Path, secrets: tuple[str, ...]) -> None:
    """No secret in the log, the messages, any file in ``directory``, or any command line other
    than GitHub's ``::add-mask::``."""
    texts = [result.log, "\n".join(result.outcome.messages), str(result.outcome.comment_url),
             "\n".join(line for line in result.commands.splitlines()
                       if not line.startswith("::add-mask::"))]
    for f in directory.rglob("*"):
        if f.is_file():
            texts.append(f.read_text(encoding="utf-8", errors="replace"))
    for secret in secrets:
        for text in texts:
            assert secret not in text
