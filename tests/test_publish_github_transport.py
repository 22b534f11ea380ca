"""gate/publish/github.py on its own: GitHubPublisher's PR lookup, identity, paging and upsert rules,
driven directly (not through dispatch) over real HTTP against the fake GitHub (tests/fakes/github.py),
whose fixture validates every exchange against GitHub's OpenAPI description."""

from __future__ import annotations

import pytest

from gate.publish import bodies, github
from gate.publish.environment import GitHubContext
from gate.publish.http import HttpError, Redactor
from tests.fakes.ci import HEAD_SHA, FakeClock
from tests.fakes.github import ACTIONS_TOKEN, PAT, FakeGitHub

MARKER = bodies.marker_for("policy")


def _publisher(server: FakeGitHub, token: str = PAT, **ctx) -> github.GitHubPublisher:
    context = GitHubContext(repository="octo/gate", api_url=server.base_url, server_url="https://github.com",
                            event_name="pull_request", event={}, token=token, **ctx)
    clock = FakeClock()
    client = github.github_client(context, sleep=clock.sleep, clock=clock.now, redact=Redactor())
    return github.GitHubPublisher(context, client)


def _body(text: str, stamp: str = "100.1") -> str:
    return bodies.with_stamp(f"## model-gate\n\n{text}\n{MARKER}\n", stamp)


def _fixed(text: str, stamp: str = "100.1"):
    return lambda previous, limit: _body(text, stamp)


def test_identity_owns_by_login_or_as_the_actions_bot():
    bot = {"user": {"login": "github-actions[bot]", "type": "Bot"}}
    human = {"user": {"login": "octocat", "type": "User"}}
    assert github.Identity("octocat").owns(human) and not github.Identity("octocat").owns(bot)
    fallback = github.Identity(None, bot_fallback=True)
    assert fallback.owns(bot) and not fallback.owns(human)
    assert not github.Identity(None).owns(bot) and not github.Identity(None).owns({})


def test_status_descriptions_fold_whitespace_and_fit_140_characters():
    assert github.truncate_description("pass:\n  3   gates") == "pass: 3 gates"
    long = github.truncate_description("x" * 200)
    assert len(long) == 140 and long.endswith("…")
    assert github.truncate_description("y" * 140) == "y" * 140            # at the limit: kept whole


def test_identity_is_the_tokens_login_or_the_bot_when_user_is_forbidden(fake_github):
    assert _publisher(fake_github, PAT).identity() == github.Identity("gate-bot")
    assert _publisher(fake_github, ACTIONS_TOKEN).identity() == github.Identity(None, bot_fallback=True)


def test_the_pr_of_a_commit_is_the_lowest_open_one_of_this_repository(fake_github):
    fake_github.add_pull("octo", "gate", 9, HEAD_SHA)
    fake_github.add_pull("octo", "gate", 3, HEAD_SHA, state="closed")
    fake_github.add_pull("octo", "gate", 2, HEAD_SHA, base_full_name="fork/gate")   # a fork's PR
    fake_github.add_pull("octo", "gate", 5, HEAD_SHA)
    assert _publisher(fake_github, lookup_sha=HEAD_SHA).resolve_pr() == (5, HEAD_SHA, "")
    number, sha, why = _publisher(fake_github, lookup_sha="2" * 40).resolve_pr()
    assert number is None and sha == "2" * 40 and "no open pull request of octo/gate" in why
    assert _publisher(fake_github, pr_number=4, head_sha="abc").resolve_pr() == (4, "abc", "")
    assert _publisher(fake_github).resolve_pr()[2] == "no pull request in the pull_request event"


def test_every_page_of_comments_is_listed(fake_github):
    for k in range(230):
        fake_github.add_comment("octo", "gate", 7, f"comment {k}")
    listed = _publisher(fake_github).list_comments(7)
    assert [c["body"] for c in listed] == [f"comment {k}" for k in range(230)]
    assert len(fake_github.requests("GET", "issues/7/comments$")) == 3


def test_create_then_unchanged_then_updated(fake_github):
    pub = _publisher(fake_github)
    first = pub.upsert_comment(7, _fixed("one"), MARKER, "100.1")
    assert first.action == "created" and first.item_id is not None
    again = pub.upsert_comment(7, _fixed("one", "101.1"), MARKER, "101.1")     # new stamp, same content
    assert again.action == "unchanged" and again.item_id == first.item_id
    changed = pub.upsert_comment(7, _fixed("two", "102.1"), MARKER, "102.1")
    assert changed.action == "updated" and changed.item_id == first.item_id
    assert [c["body"] for c in fake_github.issue_comments("octo", "gate", 7)] == [_body("two", "102.1")]


def test_someone_elses_comment_with_our_marker_is_left_alone(fake_github):
    fake_github.add_comment("octo", "gate", 7, _body("forged by a human"), author="octocat")
    result = _publisher(fake_github).upsert_comment(7, _fixed("ours"), MARKER, "100.1")
    assert result.action == "created"
    assert [c["user"]["login"] for c in fake_github.issue_comments("octo", "gate", 7)] == ["octocat", "gate-bot"]
    assert fake_github.issue_comments("octo", "gate", 7)[0]["body"] == _body("forged by a human")


def test_a_newer_runs_comment_is_not_overwritten(fake_github):
    kept = fake_github.add_comment("octo", "gate", 7, _body("newer", "200.1"), author="gate-bot")
    result = _publisher(fake_github).upsert_comment(7, _fixed("older", "150.1"), MARKER, "150.1")
    assert result.action == "stale" and result.item_id == kept["id"]
    assert "written by a newer run (200.1)" in result.notes[0]
    assert fake_github.issue_comments("octo", "gate", 7)[0]["body"] == _body("newer", "200.1")


def test_duplicates_are_deleted_and_the_oldest_is_kept(fake_github):
    oldest = fake_github.add_comment("octo", "gate", 7, _body("a"), author="gate-bot")
    fake_github.add_comment("octo", "gate", 7, _body("b"), author="gate-bot")
    result = _publisher(fake_github).upsert_comment(7, _fixed("c"), MARKER, "100.1")
    assert result.action == "updated" and result.item_id == oldest["id"] and len(result.deleted) == 1
    assert [c["id"] for c in fake_github.issue_comments("octo", "gate", 7)] == [oldest["id"]]


def test_nothing_to_say_sends_nothing(fake_github):
    result = _publisher(fake_github).upsert_comment(7, lambda previous, limit: None, MARKER, "100.1")
    assert result.action == "skipped" and fake_github.requests("POST") == []


def test_a_body_too_long_is_retried_once_shorter(fake_github):
    """The 422 "Body is too long" answer: the body for the retry's room (at most half) is sent once."""
    limits: list[bodies.Limit] = []

    def body_for(previous, limit):       # ignores the first room (as a miscounting renderer would)
        limits.append(limit)
        return _body("x" * (70_000 if len(limits) == 1 else limit.max_chars - 100))

    result = _publisher(fake_github).upsert_comment(7, body_for, MARKER, "100.1")
    assert result.action == "created" and limits[0] == bodies.GITHUB_LIMIT
    assert limits[1].max_chars <= len(_body("x" * 70_000)) // 2 and limits[1].max_bytes is not None
    posts = fake_github.requests("POST")
    assert len(posts) == 2 and len(posts[1].json["body"]) < 65_536 < len(posts[0].json["body"])
    assert "rejected the comment as too long" in result.notes[0]


def test_a_body_that_cannot_shrink_is_not_retried(fake_github):
    big = _body("x" * 70_000)
    with pytest.raises(HttpError) as err:
        _publisher(fake_github).upsert_comment(7, lambda previous, limit: big, MARKER, "100.1")
    assert err.value.status == 422 and len(fake_github.requests("POST")) == 1


def test_commit_status_is_posted_with_a_fitted_description(fake_github):
    _publisher(fake_github).create_status(HEAD_SHA, "failure", "fail: " + "word " * 60, "model-gate", None)
    (req,) = fake_github.requests("POST")
    assert req.json["state"] == "failure" and len(req.json["description"]) == 140
    assert "target_url" not in req.json
