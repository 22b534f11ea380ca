"""GitHub publishing over real HTTP against the fake GitHub (tests/fakes/github.py).

Every exchange is validated against GitHub's OpenAPI description by the ``fake_github`` fixture
(checklist 11: headers and base URL are checked on every request too).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from gate.publish import bodies
from gate.render import markdown
from gate.report import run_context
from tests.fakes.ci import (
    HEAD_SHA,
    github_env,
    parse_commands,
    parse_github_output,
    publication,
    report_publication,
    run,
)
from tests.fakes.github import ACTIONS_TOKEN, PAT, READONLY_TOKEN, FakeGitHub
from tests.report_factory import large_report, two_failures_report

MARKER = "<!-- model-gate:v1 key=policy -->"
ALL_TOKENS = (ACTIONS_TOKEN, PAT, READONLY_TOKEN)


def _ours(server: FakeGitHub, number: int = 7) -> list[dict]:
    return [c for c in server.issue_comments("octo", "gate", number)
            if bodies.has_marker(c["body"], MARKER)]


def _no_token_anywhere(r, tmp_path: Path) -> None:
    """The token appears only in the ::add-mask:: command, nowhere else."""
    texts = [r.log, "\n".join(r.outcome.messages), str(r.outcome.comment_url)]
    texts.append("\n".join(line for line in r.commands.splitlines()
                           if not line.startswith("::add-mask::")))
    for f in tmp_path.iterdir():
        if f.is_file():
            texts.append(f.read_text(encoding="utf-8", errors="replace"))
    for token in ALL_TOKENS:
        for text in texts:
            assert token not in text


# -- acceptance: sticky comment -----------------------------------------------------------------
def test_two_consecutive_runs_leave_one_updated_comment(fake_github, tmp_path):
    first = run(publication("first result"), github_env(tmp_path, fake_github, run_id="100"))
    assert first.outcome.ok and first.outcome.comment_action == "created"
    second = run(publication("second result"), github_env(tmp_path, fake_github, run_id="101"))
    assert second.outcome.ok and second.outcome.comment_action == "updated"
    ours = _ours(fake_github)
    assert len(ours) == 1
    assert "second result" in ours[0]["body"] and "first result" not in ours[0]["body"]
    assert "<!-- model-gate:run 101.1 -->" in ours[0]["body"]
    assert second.outcome.comment_url == first.outcome.comment_url == ours[0]["html_url"]
    assert len(fake_github.requests("POST", "/comments$")) == 1
    assert len(fake_github.requests("PATCH")) == 1
    out = parse_github_output((tmp_path / "output.txt").read_text(encoding="utf-8"))
    assert out["comment_url"] == ours[0]["html_url"]
    _no_token_anywhere(second, tmp_path)


def test_unchanged_body_is_not_patched(fake_github, tmp_path):
    run(publication("same"), github_env(tmp_path, fake_github, run_id="100"))
    again = run(publication("same"), github_env(tmp_path, fake_github, run_id="101"))
    assert again.outcome.comment_action == "unchanged"
    assert fake_github.requests("PATCH") == []


def test_two_concurrent_runs_converge_to_one_comment(fake_github, tmp_path):
    # Both runs list (no comment yet), then both POST; the fake holds both POSTs until both
    # comments exist, so each run's re-list sees two: a real race, made deterministic.
    fake_github.post_barrier = threading.Barrier(2)
    results = {}

    def one(name: str, run_id: str) -> None:
        results[name] = run(publication(f"result of {name}"),
                            github_env(tmp_path / name, fake_github, run_id=run_id))

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    threads = [threading.Thread(target=one, args=("a", "200")),
               threading.Thread(target=one, args=("b", "201"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(fake_github.requests("POST", "/comments$")) == 2
    ours = _ours(fake_github)
    assert len(ours) == 1
    assert ours[0]["id"] == 1000  # the oldest was kept
    assert "result of b" in ours[0]["body"]  # the newer run's content won (a was not newer)
    assert all(r.outcome.ok for r in results.values())
    assert {r.outcome.comment_url for r in results.values()} == {ours[0]["html_url"]}


def test_retried_post_that_already_succeeded_converges(fake_github, tmp_path):
    # The POST takes effect but its response is too slow: the client times out and retries,
    # creating a duplicate. Re-listing after the create removes it.
    fake_github.inject("POST", "/comments$", delay=2.5, then_process=True)
    r = run(publication(), github_env(tmp_path, fake_github), http_timeout=1.0)
    assert r.outcome.ok, r.outcome.messages
    assert len(fake_github.requests("POST", "/comments$")) == 2
    assert len(_ours(fake_github)) == 1
    assert fake_github.requests("DELETE")


def test_a_users_comment_with_the_marker_is_never_touched(fake_github, tmp_path):
    quoted = f"I copied your bot's comment:\n{MARKER}\nwhy did it fail?"
    user_comment = fake_github.add_comment("octo", "gate", 7, quoted, author="octocat")
    r1 = run(publication("run one"), github_env(tmp_path, fake_github, run_id="1"))
    r2 = run(publication("run two"), github_env(tmp_path, fake_github, run_id="2"))
    assert r1.outcome.comment_action == "created" and r2.outcome.comment_action == "updated"
    assert fake_github.comments[user_comment["id"]]["body"] == quoted
    touched = {q.path.rsplit("/", 1)[-1] for q in fake_github.requests()
               if q.method in ("PATCH", "DELETE")}
    assert str(user_comment["id"]) not in touched
    assert len(_ours(fake_github)) == 2  # the user's copy and ours


def test_identity_from_get_user_with_a_personal_token(fake_github, tmp_path):
    # A PAT can call GET /user: only comments of exactly that login are ours, even if the
    # Actions bot also wrote one with the same marker (e.g. an earlier setup).
    bot = fake_github.add_comment("octo", "gate", 7, f"{MARKER}\nold bot comment",
                                  author="github-actions[bot]")
    r = run(publication("pat run"), github_env(tmp_path, fake_github, token=PAT))
    assert r.outcome.comment_action == "created"
    assert fake_github.comments[bot["id"]]["body"].endswith("old bot comment")
    assert fake_github.requests("GET", "^/user$")[0].status == 200


def test_pagination_three_pages_marker_on_last_page_patches(fake_github, tmp_path):
    for i in range(230):
        fake_github.add_comment("octo", "gate", 7, f"chatter {i}", author="mona")
    first_id = run(publication("v1"), github_env(tmp_path, fake_github, run_id="1"))
    fake_github.log.clear()
    r = run(publication("v2"), github_env(tmp_path, fake_github, run_id="2"))
    assert r.outcome.comment_action == "updated"
    assert r.outcome.comment_url == first_id.outcome.comment_url
    lists = fake_github.requests("GET", "/comments$")
    assert len(lists) == 3
    assert lists[0].query == {"per_page": ["100"]}
    assert [q.query.get("page") for q in lists[1:]] == [["2"], ["3"]]  # taken from link rel=next
    assert fake_github.requests("POST") == [] and len(fake_github.requests("PATCH")) == 1


def test_stale_run_does_not_overwrite_a_newer_comment(fake_github, tmp_path):
    run(publication("newer run"), github_env(tmp_path, fake_github, run_id="500", attempt="2"))
    old = run(publication("older run"), github_env(tmp_path, fake_github, run_id="500",
                                                   attempt="1"))
    assert old.outcome.comment_action == "stale"
    assert old.outcome.ok
    assert "newer run" in _ours(fake_github)[0]["body"]
    assert any("newer run" in m for m in old.outcome.messages)
    older = run(publication("much older"), github_env(tmp_path, fake_github, run_id="499"))
    assert older.outcome.comment_action == "stale"
    assert fake_github.requests("PATCH") == []


def test_publication_run_stamp_wins_over_run_id(fake_github, tmp_path):
    run(publication("a", run_stamp="2026-05-01T10:00:00Z"), github_env(tmp_path, fake_github))
    r = run(publication("b", run_stamp="2026-04-30T10:00:00Z"), github_env(tmp_path, fake_github))
    assert r.outcome.comment_action == "stale"


def test_comment_key_separates_comments(fake_github, tmp_path):
    run(publication("leg a"), github_env(tmp_path, fake_github), key="matrix-a")
    run(publication("leg b"), github_env(tmp_path, fake_github), key="matrix-b")
    bodies_ = [c["body"] for c in fake_github.issue_comments("octo", "gate", 7)]
    assert len(bodies_) == 2
    assert any("key=matrix-a -->" in b and "leg a" in b for b in bodies_)
    assert any("key=matrix-b -->" in b and "leg b" in b for b in bodies_)


# -- size limits (checklist 15) -----------------------------------------------------------------
def test_422_body_too_long_retries_once_with_a_shorter_body_keeping_the_marker(fake_github,
                                                                                tmp_path):
    # GitHub counted differently from us and refused the 65,000-character body: the renderer makes
    # the retry's body, for at most half the length and 65,336 UTF-8 bytes, marker and stamp kept
    fake_github.inject("POST", "/comments$", status=422, body={
        "message": "Validation Failed", "documentation_url": "https://docs.github.com/rest",
        "errors": [{"resource": "IssueComment", "code": "custom", "field": "body",
                    "message": "Body is too long (maximum is 65536 characters)"}]})
    r = run(report_publication(large_report(60, 10)), github_env(tmp_path, fake_github))
    assert r.outcome.ok and r.outcome.comment_action == "created", r.outcome.messages
    posts = fake_github.requests("POST", "/comments$")
    assert len(posts) == 2
    first, sent = posts[0].json["body"], posts[1].json["body"]
    assert len(sent) <= len(first) // 2 + bodies.STAMP_ROOM and len(sent.encode("utf-8")) <= 65_536
    assert bodies.has_marker(sent, MARKER) and "Shortened to fit" in sent
    assert "<!-- model-gate:run 9000.1 -->" in sent
    assert any("too long" in m for m in r.outcome.messages)


def test_a_large_report_is_rendered_to_the_limit_before_sending(fake_github, tmp_path):
    env = github_env(tmp_path, fake_github)
    pub = report_publication(large_report(120, 12), context=run_context.from_environ(env))
    assert len(markdown.render(pub.source.report, max_chars=10**8)) > 400_000
    r = run(pub, env)
    assert r.outcome.ok
    sent = fake_github.requests("POST", "/comments$")[0].json["body"]
    assert len(sent) <= 65_536 and bodies.has_marker(sent, MARKER) and "Shortened to fit" in sent
    assert "https://github.example/octo/gate/actions/runs/9000" in sent
    assert sent.count("<details") == sent.count("</details>")   # cut by the renderer, not mid-block


def test_repeated_422_fails_cleanly(fake_github, tmp_path):
    fake_github.inject("POST", "/comments$", times=5, status=422, body={
        "message": "Validation Failed", "documentation_url": "https://docs.github.com/rest",
        "errors": [{"code": "custom", "message": "Body is too long (maximum is 65536 characters)"}]})
    r = run(report_publication(two_failures_report()), github_env(tmp_path, fake_github))
    assert not r.outcome.ok and r.outcome.comment_action == "failed"
    assert len(fake_github.requests("POST", "/comments$")) == 2  # once, then once shorter: no loop
    assert parse_github_output((tmp_path / "output.txt").read_text())["verdict"] == "fail"


# -- permissions, forks (checklist 10, 17, 36) ----------------------------------------------------
@pytest.mark.parametrize("event", ["pull_request_fork.json", "pull_request_deleted_fork.json"])
def test_fork_pull_request_skips_writes_with_a_recipe_warning(fake_github, tmp_path, event):
    r = run(publication(verdict="fail", failed=2),
            github_env(tmp_path, fake_github, event=event), status=True)
    assert fake_github.log == []  # not even a read: nothing to do on a read-only token
    warnings = [c for c in parse_commands(r.commands) if c[0] == "warning"]
    assert any("workflow_run" in w[2] and "model-gate publish" in w[2] for w in warnings)
    assert r.outcome.comment_action == "skipped" and r.outcome.ok
    assert (tmp_path / "summary.md").read_text().startswith("## ✅")  # summary still written
    assert parse_github_output((tmp_path / "output.txt").read_text())["failed_count"] == "2"
    _no_token_anywhere(r, tmp_path)


def test_pull_request_target_on_a_fork_may_write(fake_github, tmp_path):
    r = run(publication(), github_env(tmp_path, fake_github, event="pull_request_target_fork.json",
                                      event_name="pull_request_target"))
    assert r.outcome.comment_action == "created"
    assert fake_github.issue_comments("octo", "gate", 8)


def test_read_only_token_403_names_the_permissions_and_keeps_going(fake_github, tmp_path):
    r = run(publication(verdict="fail", failed=1),
            github_env(tmp_path, fake_github, token=READONLY_TOKEN), status=True)
    assert not r.outcome.ok
    text = " ".join(r.outcome.messages)
    assert "pull-requests: write" in text and "issues: write" in text
    assert "contents: read" in text and "statuses: write" in text
    assert "workflow_run" in text
    assert len(fake_github.requests("POST", "/comments$")) == 1  # not retried
    warnings = [c for c in parse_commands(r.commands) if c[0] == "warning"]
    assert any("Resource not accessible by integration" in w[2] for w in warnings)
    out = parse_github_output((tmp_path / "output.txt").read_text())
    assert out["verdict"] == "fail" and out["comment_url"] == ""
    _no_token_anywhere(r, tmp_path)


def test_bad_token_401_is_not_retried_and_not_printed(fake_github, tmp_path):
    bad = "ghp_ThisTokenDoesNotExist000000000000000"
    r = run(publication(), github_env(tmp_path, fake_github, token=bad))
    assert not r.outcome.ok
    assert len(fake_github.requests()) == 1
    assert any("401" in m for m in r.outcome.messages)
    assert bad not in r.log + "".join(r.outcome.messages)
    assert f"::add-mask::{bad}" in r.commands.splitlines()
    fake_github.violations.clear()  # the unknown token is the point of this test


def test_no_token_skips_the_comment(fake_github, tmp_path):
    env = github_env(tmp_path, fake_github, token="")
    r = run(publication(), env)
    assert r.outcome.ok and r.outcome.comment_action == "skipped"
    assert "::add-mask::" not in r.commands and fake_github.log == []
    assert any("github_token" in m for m in r.outcome.messages)


# -- PR resolution per event (checklist 8, 9) -----------------------------------------------------
def test_workflow_run_with_empty_pull_requests_resolves_via_commit(fake_github, tmp_path):
    fake_github.add_pull("octo", "gate", 12, HEAD_SHA, state="closed")
    fake_github.add_pull("octo", "gate", 8, HEAD_SHA)
    fake_github.add_pull("other", "gate", 3, HEAD_SHA, base_full_name="other/gate")
    r = run(publication(), github_env(tmp_path, fake_github, event="workflow_run_fork.json",
                                      event_name="workflow_run"), status=True)
    assert r.outcome.ok, r.outcome.messages
    lookup = fake_github.requests("GET", "/commits/.*/pulls$")
    assert lookup and lookup[0].path == f"/repos/octo/gate/commits/{HEAD_SHA}/pulls"
    assert fake_github.issue_comments("octo", "gate", 8)
    assert fake_github.statuses[0]["sha"] == HEAD_SHA


def test_workflow_run_with_pull_requests_uses_them(fake_github, tmp_path):
    r = run(publication(), github_env(tmp_path, fake_github, event="workflow_run_same_repo.json",
                                      event_name="workflow_run"))
    assert r.outcome.comment_action == "created"
    assert fake_github.requests("GET", "/pulls$") == []
    assert fake_github.issue_comments("octo", "gate", 7)


def test_push_finds_the_open_pr_of_the_commit(fake_github, tmp_path):
    sha = "3333333333333333333333333333333333333333"  # GITHUB_SHA of the push
    fake_github.add_pull("octo", "gate", 21, sha)
    r = run(publication(), github_env(tmp_path, fake_github, event="push.json", event_name="push"),
            status=True)
    assert fake_github.issue_comments("octo", "gate", 21)
    assert fake_github.statuses[0]["sha"] == sha and r.outcome.status_posted


def test_push_without_pr_skips_the_comment_quietly(fake_github, tmp_path):
    r = run(publication(), github_env(tmp_path, fake_github, event="push.json", event_name="push"))
    assert r.outcome.ok and r.outcome.comment_action == "skipped"
    assert fake_github.requests("POST") == []


def test_issue_comment_on_a_pr_comments_but_has_no_head_for_status(fake_github, tmp_path):
    r = run(publication(), github_env(tmp_path, fake_github, event="issue_comment.json",
                                      event_name="issue_comment"), status=True)
    assert r.outcome.comment_action == "created"
    assert fake_github.statuses == [] and not r.outcome.ok


# -- commit status (checklist 18) -----------------------------------------------------------------
def test_status_on_head_sha_with_short_description(fake_github, tmp_path):
    r = run(publication(verdict="fail", failed=3, status="x" * 300),
            github_env(tmp_path, fake_github), status=True, comment="off")
    assert r.outcome.ok and r.outcome.status_posted
    st = fake_github.statuses[0]
    assert st["sha"] == HEAD_SHA and st["state"] == "failure" and st["context"] == "model-gate"
    assert len(st["description"]) <= 140
    assert st["target_url"] == "https://github.example/octo/gate/actions/runs/9000"
    assert fake_github.requests("POST", "/comments") == []


def test_status_context_carries_the_comment_key(fake_github, tmp_path):
    run(publication(), github_env(tmp_path, fake_github), status=True, comment="off", key="gpu")
    assert fake_github.statuses[0]["context"] == "model-gate/gpu"
    assert fake_github.statuses[0]["state"] == "success"


def test_comment_off_makes_no_request(fake_github, tmp_path):
    r = run(publication(), github_env(tmp_path, fake_github), comment="off")
    assert fake_github.log == [] and r.outcome.ok and r.outcome.comment_action is None


# -- headers and base URL (checklist 11) ----------------------------------------------------------
def test_every_request_has_the_required_headers_and_uses_the_api_url(fake_github, tmp_path):
    run(publication("v1"), github_env(tmp_path, fake_github, run_id="1"), status=True)
    run(publication("v2"), github_env(tmp_path, fake_github, run_id="2"), status=True)
    assert len(fake_github.log) >= 6
    for req in fake_github.log:
        assert req.headers["authorization"] == f"Bearer {ACTIONS_TOKEN}"
        assert req.headers["accept"] == "application/vnd.github+json"
        assert req.headers["x-github-api-version"] == "2022-11-28"
        assert req.headers["user-agent"].startswith("model-gate/")
    # the fake serves under /api/v3 like GHES; a request outside it is a recorded violation
    assert fake_github.base_url.endswith("/api/v3")


def test_api_url_argument_overrides_the_environment(fake_github, tmp_path):
    env = github_env(tmp_path, None, GITHUB_API_URL="http://127.0.0.1:9/nowhere")
    r = run(publication(), env, api_url=fake_github.base_url)
    assert r.outcome.comment_action == "created"


def test_api_version_is_configurable(tmp_path):
    server = FakeGitHub(api_version="2026-03-10").start()
    try:
        env = github_env(tmp_path, server, MODEL_GATE_GITHUB_API_VERSION="2026-03-10")
        assert run(publication(), env).outcome.comment_action == "created"
        assert {q.headers["x-github-api-version"] for q in server.log} == {"2026-03-10"}
    finally:
        server.stop()
    assert server.violations == []


def test_a_failing_get_user_is_not_guessed_around(fake_github, tmp_path):
    # With a PAT, a 5xx on GET /user must not switch to "any bot" matching (which would miss the
    # PAT user's own comment and create a duplicate): the run fails cleanly instead.
    run(publication("v1"), github_env(tmp_path, fake_github, token=PAT, run_id="1"))
    fake_github.inject("GET", "^/user$", times=99, status=502, body={"message": "bad gateway"})
    r = run(publication("v2"), github_env(tmp_path, fake_github, token=PAT, run_id="2"),
            max_retries=1)
    assert not r.outcome.ok and fake_github.requests("POST", "/comments$")[1:] == []
    assert len(fake_github.issue_comments("octo", "gate", 7)) == 1


def test_a_non_json_answer_fails_cleanly_and_outputs_are_still_written(fake_github, tmp_path):
    fake_github.inject("GET", "/comments$", status=200, body=b"<html>proxy login</html>",
                       headers={"Content-Type": "text/html"})
    r = run(publication(verdict="fail", failed=1), github_env(tmp_path, fake_github))
    assert not r.outcome.ok
    assert any("unexpectedly" in m for m in r.outcome.messages)
    assert parse_github_output((tmp_path / "output.txt").read_text())["verdict"] == "fail"
