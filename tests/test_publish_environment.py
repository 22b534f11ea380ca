"""CI detection and context from event payloads (checklist 8–10, 24, 37)."""

from __future__ import annotations

import socket

import pytest

from gate.publish.environment import GITHUB, GITLAB, LOCAL, detect, github_context, gitlab_context
from tests.fakes.ci import EVENTS, HEAD_SHA, publication, run

MERGE_SHA = "3333333333333333333333333333333333333333"


def _gh(event: str, name: str, **extra: str) -> dict[str, str]:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "octo/gate", "GITHUB_EVENT_NAME": name,
           "GITHUB_EVENT_PATH": str(EVENTS / event), "GITHUB_SHA": MERGE_SHA}
    env.update(extra)
    return env


@pytest.mark.parametrize("env,expected", [
    ({"GITHUB_ACTIONS": "true", "CI": "true"}, GITHUB),
    ({"GITLAB_CI": "true", "CI": "true"}, GITLAB),
    ({"CI": "true"}, LOCAL),
    ({"GITHUB_ACTIONS": "false"}, LOCAL),
    ({}, LOCAL),
])
def test_detect(env, expected):
    assert detect(env) == expected


@pytest.mark.parametrize("event,name,number,sha,fork,lookup", [
    ("pull_request.json", "pull_request", 7, HEAD_SHA, False, None),
    ("pull_request_fork.json", "pull_request", 8, HEAD_SHA, True, None),
    ("pull_request_deleted_fork.json", "pull_request", 9, HEAD_SHA, True, None),
    ("pull_request_target_fork.json", "pull_request_target", 8, HEAD_SHA, True, None),
    ("issue_comment.json", "issue_comment", 7, None, False, None),
    ("issue_comment_on_issue.json", "issue_comment", None, None, False, None),
    ("workflow_run_fork.json", "workflow_run", None, HEAD_SHA, True, HEAD_SHA),
    ("workflow_run_same_repo.json", "workflow_run", 7, HEAD_SHA, False, None),
    ("push.json", "push", None, MERGE_SHA, False, MERGE_SHA),
])
def test_github_context_from_events(event, name, number, sha, fork, lookup):
    ctx = github_context(_gh(event, name))
    assert ctx.pr_number == number
    assert ctx.head_sha == sha  # the PR head, never the test-merge GITHUB_SHA for PR events
    assert ctx.is_fork is fork
    assert ctx.lookup_sha == lookup
    assert ctx.writes_blocked is (fork and name == "pull_request")


def test_deleted_fork_is_treated_as_untrusted():
    ctx = github_context(_gh("pull_request_deleted_fork.json", "pull_request"))
    assert ctx.writes_blocked and "deleted" in ctx.fork_reason


def test_token_and_urls():
    ctx = github_context(_gh("pull_request.json", "pull_request", GITHUB_TOKEN="env-token",
                             **{"INPUT_GITHUB_TOKEN": "input-token"}))
    assert ctx.token == "input-token"
    ctx = github_context(_gh("pull_request.json", "pull_request", GITHUB_TOKEN="env-token",
                             **{"INPUT_GITHUB-TOKEN": "dash-token"}))
    assert ctx.token == "dash-token"
    assert github_context(_gh("pull_request.json", "pull_request",
                              GITHUB_TOKEN="env-token")).token == "env-token"
    ctx = github_context(_gh("pull_request.json", "pull_request",
                             GITHUB_API_URL="https://ghe.example/api/v3/"))
    assert ctx.api_url == "https://ghe.example/api/v3"
    assert github_context(_gh("pull_request.json", "pull_request")).api_url == \
        "https://api.github.com"


def test_unreadable_event_payload_is_not_a_crash(tmp_path):
    bad = tmp_path / "event.json"
    bad.write_text("{not json")
    ctx = github_context(_gh("pull_request.json", "pull_request", GITHUB_EVENT_PATH=str(bad)))
    assert ctx.pr_number is None and ctx.problems


def test_gitlab_fork_mr_notes_go_to_the_target_project():
    ctx = gitlab_context({"GITLAB_CI": "true", "CI_PROJECT_ID": "43",
                          "CI_MERGE_REQUEST_PROJECT_ID": "42", "CI_MERGE_REQUEST_IID": "3",
                          "CI_API_V4_URL": "https://gl.example/api/v4"})
    assert (ctx.project_id, ctx.mr_iid, ctx.source_project_id) == ("42", 3, "43")


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test (this guards; it is not the HTTP layer)."""
    attempts = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise AssertionError(f"network connection attempted in local mode: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse(None, a))
    return attempts


def test_local_mode_makes_no_network_call(no_network, tmp_path):
    # Tokens and API URLs lying around in a developer's shell must not trigger a call either.
    env = {"GITHUB_TOKEN": "ghp_DevelopersOwnToken0123456789abcdef",
           "GITLAB_TOKEN": "glpat-DevelopersOwnToken012345",
           "GITHUB_API_URL": "https://api.github.com", "CI_API_V4_URL": "https://gitlab.com/api/v4",
           "GITHUB_REPOSITORY": "octo/gate", "GITHUB_EVENT_PATH": str(EVENTS / "pull_request.json"),
           "CI": "true"}
    r = run(publication(verdict="fail", failed=1), env, comment="auto", status=True,
            dotenv=str(tmp_path / "gate.env"))
    assert no_network == []
    assert r.outcome.platform == LOCAL and r.outcome.comment_action is None
    assert r.commands == ""  # no workflow commands outside GitHub Actions
    assert (tmp_path / "gate.env").exists()
    assert "ghp_" not in r.log and "glpat-" not in r.log


def test_the_network_guard_itself_works(no_network):
    with pytest.raises(AssertionError):
        socket.create_connection(("127.0.0.1", 9))
