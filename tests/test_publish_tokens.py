"""Tokens never leak, whatever the server echoes back (real HTTP against the fake GitHub/GitLab).

The token is given as a secrets file would give it (with a trailing newline, or surrounding spaces):
it is sent stripped, and a hostile or buggy server echoes it in its error body (whole, stripped, with
the newline, cut in half, or placed where the 500-character message limit cuts it) or in the URL of a
created comment. Afterwards no 10-character piece of the token may appear on stdout (except GitHub's
own ``::add-mask::`` line), on stderr, or in any file the run wrote (step outputs, job summary,
dotenv). Runs go through ``model-gate publish`` (the CLI), so every path a message takes is covered.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.cli.main import main
from gate.publish.http import Redactor
from tests.fakes.ci import github_env, gitlab_env
from tests.fakes.github import ACTIONS_TOKEN, PAT
from tests.fakes.gitlab import GL_TOKEN
from tests.report_factory import binary_report

CI_NAMES = ("GITHUB_ACTIONS", "GITLAB_CI", "GITHUB_TOKEN", "INPUT_GITHUB_TOKEN", "GITLAB_TOKEN",
            "MODEL_GATE_GITLAB_TOKEN", "CI_JOB_TOKEN", "CI", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")


def _echoes(token: str) -> dict[str, str]:
    """Error-body messages that quote the credential in the ways a server (or proxy) might."""
    return {
        "whole": f"Bad credentials: {token}",
        "with-newline": f"token {token}\n rejected",
        "half": f"token starting {token[: len(token) // 2]} is not valid",
        "tail": f"token ending {token[len(token) // 2:]} is not valid",
        "cut-by-limit": "x" * (495 - len("Bad credentials ")) + " " + token,
    }


@pytest.fixture
def env(monkeypatch):
    def apply(values: dict[str, str]) -> None:
        for name in CI_NAMES:
            monkeypatch.delenv(name, raising=False)
        for key, value in values.items():
            monkeypatch.setenv(key, value)
    return apply


def _report_file(tmp_path: Path) -> str:
    path = tmp_path / "in" / "report.json"
    path.parent.mkdir()
    path.write_text(binary_report().to_json(), encoding="utf-8")
    return str(path)


def _leaks(token: str, texts: dict[str, str]) -> list[str]:
    """Where a piece of ``token`` (10 characters or more) shows up."""
    pieces = {token[i:i + 10] for i in range(len(token) - 9)}
    return [where for where, text in texts.items() if any(p in text for p in pieces)]


def _outputs(tmp_path: Path, out: str, err: str) -> dict[str, str]:
    texts = {"stdout": "\n".join(line for line in out.splitlines() if not line.startswith("::add-mask::")),
             "stderr": err}
    for f in (tmp_path / "ci").rglob("*"):
        if f.is_file():
            texts[str(f)] = f.read_text(encoding="utf-8", errors="replace")
    return texts


@pytest.mark.parametrize("padding", ["\n", "  ", "\r\n"], ids=["newline", "spaces", "crlf"])
@pytest.mark.parametrize("echo", list(_echoes(ACTIONS_TOKEN)))
def test_github_error_body_echoing_the_token_is_redacted(fake_github, tmp_path, env, capsys, padding, echo):
    (tmp_path / "ci").mkdir()
    fake_github.inject(status=401, times=99, body={"message": _echoes(ACTIONS_TOKEN)[echo]})
    env(github_env(tmp_path / "ci", fake_github, token=ACTIONS_TOKEN + padding))
    code = main(["publish", "--report", _report_file(tmp_path), "--status",
                 "--dotenv", str(tmp_path / "ci" / "gate.env")])
    out, err = capsys.readouterr()
    assert code == 0  # publishing failures never change the exit code
    sent = {r.headers.get("authorization") for r in fake_github.requests()}
    assert sent == {f"Bearer {ACTIONS_TOKEN}"}  # the stripped value went out
    assert "401" in out  # the failure is reported as a warning...
    assert _leaks(ACTIONS_TOKEN, _outputs(tmp_path, out, err)) == []  # ...without any piece of it
    assert f"::add-mask::{ACTIONS_TOKEN}" in out.splitlines()


@pytest.mark.parametrize("padding", ["\n", " \t"], ids=["newline", "spaces"])
@pytest.mark.parametrize("echo", list(_echoes(GL_TOKEN)))
def test_gitlab_error_body_echoing_the_token_is_redacted(fake_gitlab, tmp_path, env, capsys, padding, echo):
    (tmp_path / "ci").mkdir()
    fake_gitlab.inject(status=401, times=99, body={"message": _echoes(GL_TOKEN)[echo]})
    env(gitlab_env(fake_gitlab, token=GL_TOKEN + padding))
    code = main(["publish", "--report", _report_file(tmp_path), "--dotenv", str(tmp_path / "ci" / "gate.env")])
    out, err = capsys.readouterr()
    assert code == 0
    assert {r.headers.get("private-token") for r in fake_gitlab.requests()} == {GL_TOKEN}
    assert "401" in err
    assert _leaks(GL_TOKEN, _outputs(tmp_path, out, err)) == []


def test_github_comment_url_echoing_the_token_is_redacted_in_outputs(fake_github, tmp_path, env, capsys):
    """A server that puts the credential into the created comment's URL: it reaches neither the log
    nor ``$GITHUB_OUTPUT`` (``comment_url``)."""
    (tmp_path / "ci").mkdir()
    fake_github.inject("POST", r"/comments$", status=201,
                       body={"id": 1, "html_url": f"https://github.example/c?t={PAT}"})
    env(github_env(tmp_path / "ci", fake_github, token=PAT + "\n"))
    assert main(["publish", "--report", _report_file(tmp_path)]) == 0
    out, err = capsys.readouterr()
    texts = _outputs(tmp_path, out, err)
    assert "comment_url=https://github.example/c?t=***" in texts[str(tmp_path / "ci" / "output.txt")]
    assert _leaks(PAT, texts) == []


@pytest.mark.parametrize("token", [f"{ACTIONS_TOKEN[:20]}\n{ACTIONS_TOKEN[20:]}", f"{ACTIONS_TOKEN[:20]} x"])
def test_github_token_with_whitespace_inside_is_not_sent(fake_github, tmp_path, env, capsys, token):
    """A token with a line break or space *inside* (a secrets file of two lines) is refused with a
    warning before any request; requests' own error would quote the header value."""
    (tmp_path / "ci").mkdir()
    env(github_env(tmp_path / "ci", fake_github, token=token))
    assert main(["publish", "--report", _report_file(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert fake_github.requests() == []
    assert "whitespace or control characters inside" in out
    assert _leaks(ACTIONS_TOKEN, _outputs(tmp_path, out, err)) == []


def test_gitlab_token_with_whitespace_inside_is_not_sent(fake_gitlab, tmp_path, env, capsys):
    (tmp_path / "ci").mkdir()
    env(gitlab_env(fake_gitlab, token=f"{GL_TOKEN[:12]}\n{GL_TOKEN[12:]}"))
    assert main(["publish", "--report", _report_file(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert fake_gitlab.requests() == []
    assert "whitespace or control characters inside" in err
    assert _leaks(GL_TOKEN, _outputs(tmp_path, out, err)) == []


def test_redactor_variants_and_pieces():
    """The rule itself: the value as given, stripped, per line, and any run of 8 or more of its
    characters; short secrets only whole (a 4-character piece would eat ordinary words)."""
    r = Redactor(["  abcdefghijklmnop\n", "wxyz"])
    assert r("x abcdefghijklmnop y") == "x *** y"
    assert r("ends cdefghijkl here") == "ends *** here"
    assert r("abcdefg is short") == "abcdefg is short"
    assert r("wxyz and wxy") == "*** and wxy"
    assert r("nothing secret") == "nothing secret"


def test_credentials_in_the_api_url_are_not_shown(fake_github, tmp_path, env, capsys):
    """An API URL configured as ``https://user:secret@host/...``: the user information is dropped
    (requests would have sent it as Basic credentials instead of the token: the fake checks every
    request carries the Bearer token) and error messages quote the URL without it."""
    (tmp_path / "ci").mkdir()
    password = "UrlPassword0123456789"
    api = fake_github.base_url.replace("http://", f"http://bot:{password}@")
    env(github_env(tmp_path / "ci", None, GITHUB_API_URL=api))
    fake_github.inject(status=404, times=99, body={"message": "Not Found"})   # not retried: no waiting
    assert main(["publish", "--report", _report_file(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "404" in out and f"{fake_github.url.split('//')[1]}/api/v3/repos/octo/gate" in out
    assert _leaks(password, _outputs(tmp_path, out, err)) == []
