"""Retry policy (checklist 16) over real HTTP against the fake GitHub/GitLab, with an injected
clock: ``sleep`` records instead of waiting, so these tests take milliseconds."""

from __future__ import annotations

import pytest

from gate.publish.http import HttpClient, HttpError, RetryPolicy
from tests.fakes.ci import FakeClock, assert_no_secret, github_env, gitlab_env, parse_github_output, publication, run
from tests.fakes.github import ACTIONS_TOKEN, PAT, SECONDARY
from tests.fakes.gitlab import GL_TOKEN

LIST = "/issues/7/comments$"


def _retry_sleeps(r) -> list[float]:
    """Every recorded sleep (these runs make a single mutating request, so no write pacing)."""
    return list(r.clock.sleeps)


def test_429_with_retry_after_waits_that_long(fake_github, tmp_path):
    fake_github.inject("GET", LIST, status=429, headers={"Retry-After": "7"},
                       body={"message": "API rate limit exceeded"})
    r = run(publication(), github_env(tmp_path, fake_github))
    assert r.outcome.ok and r.outcome.comment_action == "created"
    assert _retry_sleeps(r) == [7.0]


def test_primary_limit_waits_until_reset(fake_github, tmp_path):
    clock = FakeClock(start=1_800_000_000.0)
    fake_github.inject("GET", LIST, status=403, body={"message": "API rate limit exceeded for "
                                                                 "installation ID 1."},
                       headers={"x-ratelimit-remaining": "0",
                                "x-ratelimit-reset": str(1_800_000_000 + 30)})
    r = run(publication(), github_env(tmp_path, fake_github), clock=clock)
    assert r.outcome.ok
    assert _retry_sleeps(r) == [31.0]  # until reset, plus one second


def test_secondary_limit_without_headers_waits_a_minute_then_backs_off(fake_github, tmp_path):
    fake_github.inject("POST", "/comments$", times=2, status=403, body=SECONDARY)
    r = run(publication(), github_env(tmp_path, fake_github))
    assert r.outcome.ok and r.outcome.comment_action == "created"
    assert _retry_sleeps(r) == [60.0, 120.0]
    assert len(fake_github.requests("POST")) == 3


def test_5xx_backs_off_exponentially_with_a_cap(fake_github, tmp_path):
    fake_github.inject("GET", LIST, times=3, status=502, body={"message": "Server Error"})
    r = run(publication(), github_env(tmp_path, fake_github))
    assert r.outcome.ok
    assert _retry_sleeps(r) == [1.0, 2.0, 4.0]
    client = HttpClient(fake_github.base_url, {"Authorization": f"Bearer {PAT}"},
                        policy=RetryPolicy(max_retries=9, backoff_cap=30.0),
                        sleep=lambda s: None)
    assert [client._backoff(a) for a in range(7)] == [1, 2, 4, 8, 16, 30, 30]


def test_gives_up_after_max_retries_without_touching_the_verdict(fake_github, tmp_path):
    fake_github.inject("GET", LIST, times=100, status=503, body={"message": "unavailable"})
    r = run(publication(verdict="fail", failed=1), github_env(tmp_path, fake_github),
            max_retries=2)
    assert not r.outcome.ok and r.outcome.comment_action == "failed"
    assert len(fake_github.requests("GET", LIST)) == 3
    assert any("gave up after 3 attempts" in m for m in r.outcome.messages)
    assert parse_github_output((tmp_path / "output.txt").read_text())["verdict"] == "fail"
    assert_no_secret(r, tmp_path, (ACTIONS_TOKEN,))


@pytest.mark.parametrize("status,body", [
    (404, {"message": "Not Found", "documentation_url": "https://docs.github.com"}),
    (422, {"message": "Validation Failed", "documentation_url": "https://docs.github.com"}),
    (403, {"message": "Resource not accessible by integration",
           "documentation_url": "https://docs.github.com"}),
])
def test_never_retried(fake_github, tmp_path, status, body):
    headers = {"Retry-After": "5"} if status == 403 else {}
    fake_github.inject("POST", "/comments$", status=status, body=body, headers=headers)
    r = run(publication(), github_env(tmp_path, fake_github))
    assert not r.outcome.ok
    assert len(fake_github.requests("POST")) == 1
    assert _retry_sleeps(r) == []


def test_a_wait_longer_than_allowed_gives_up_at_once(fake_github, tmp_path):
    fake_github.inject("GET", LIST, status=429, headers={"Retry-After": "3600"},
                       body={"message": "API rate limit exceeded"})
    r = run(publication(), github_env(tmp_path, fake_github))
    assert not r.outcome.ok and r.clock.sleeps == []
    assert any("would have to wait 3600 s" in m for m in r.outcome.messages)


def test_slow_response_times_out_and_is_retried(fake_github, tmp_path):
    fake_github.inject("GET", LIST, delay=2.5)
    r = run(publication(), github_env(tmp_path, fake_github), http_timeout=1.0)
    assert r.outcome.ok, r.outcome.messages
    assert len(fake_github.requests("GET", LIST)) >= 2
    assert _retry_sleeps(r) == [1.0]  # backoff after the timeout


def test_unreachable_server_is_a_clean_failure(tmp_path):
    env = github_env(tmp_path, None, GITHUB_API_URL="http://127.0.0.1:9/api/v3")
    r = run(publication(verdict="fail", failed=1), env, max_retries=1)
    assert not r.outcome.ok
    assert any("connection failed" in m for m in r.outcome.messages)
    assert parse_github_output((tmp_path / "output.txt").read_text())["verdict"] == "fail"


def test_at_least_one_second_between_mutating_requests(fake_github, tmp_path):
    fake_github.add_comment("octo", "gate", 7, "<!-- model-gate:v1 key=policy -->\nold",
                            author="github-actions[bot]")
    fake_github.add_comment("octo", "gate", 7, "<!-- model-gate:v1 key=policy -->\ndup",
                            author="github-actions[bot]")
    r = run(publication(), github_env(tmp_path, fake_github), status=True)
    assert [q.method for q in fake_github.log if q.method != "GET"] == ["PATCH", "DELETE", "POST"]
    assert r.clock.sleeps == [1.0, 1.0]  # before DELETE and before the status POST


def test_gitlab_429_without_headers_backs_off_exponentially(fake_gitlab, tmp_path):
    fake_gitlab.inject("GET", "/notes$", times=2, status=429, body={"message": "Retry later"})
    r = run(publication(), gitlab_env(fake_gitlab))
    assert r.outcome.ok and r.outcome.comment_action == "created", r.outcome.messages
    assert [s for s in r.clock.sleeps if s != 1.0] == [2.0, 4.0]  # not GitHub's 60 s rule
    assert_no_secret(r, tmp_path, (GL_TOKEN,))


def test_http_error_text_never_contains_the_token(fake_github):
    token = "ghp_EchoedBackByAProxy0123456789abcdef"
    fake_github.inject("GET", "/user", status=400, body={"message": f"bad header Bearer {token}"})
    client = HttpClient(fake_github.base_url, {"Authorization": f"Bearer {token}"},
                        policy=RetryPolicy(), sleep=lambda s: None)
    client.redact.add(token)
    with pytest.raises(HttpError) as info:
        client.request("GET", "/user")
    assert token not in str(info.value) and "***" in str(info.value)
    fake_github.violations.clear()  # this client deliberately omits GitHub's headers


def test_a_pagination_link_to_another_host_is_not_followed(fake_github, tmp_path):
    fake_github.inject("GET", LIST, status=200, body=[],
                       headers={"Link": '<http://127.0.0.2:1/api/v3/steal?page=2>; rel="next"'})
    r = run(publication(), github_env(tmp_path, fake_github))
    assert not r.outcome.ok
    assert any("another host" in m for m in r.outcome.messages)
    assert fake_github.requests("POST") == []


def test_a_redirect_to_another_host_does_not_carry_the_gitlab_token(fake_gitlab, tmp_path):
    from tests.fakes.gitlab import FakeGitLab

    other = FakeGitLab().start()
    try:
        other_url = other.url.replace("127.0.0.1", "localhost")  # another host name
        fake_gitlab.inject("GET", "/notes$", status=302,
                           headers={"Location": f"{other_url}/api/v4/projects/42/merge_requests/3/notes"})
        r = run(publication(), gitlab_env(fake_gitlab), max_retries=0)
    finally:
        other.stop()
    assert other.log, "the redirect was followed"
    assert all("private-token" not in q.headers for q in other.log)
    assert not r.outcome.ok
    assert_no_secret(r, tmp_path, (GL_TOKEN,))
