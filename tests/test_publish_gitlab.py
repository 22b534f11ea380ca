"""GitLab publishing over real HTTP against the fake GitLab (checklist 24–27, 29)."""

from __future__ import annotations

import threading

from gate.publish import bodies
from gate.publish.environment import gitlab_context
from tests.fakes.ci import assert_no_secret, gitlab_env, publication, report_publication, run, validate_dotenv
from tests.fakes.gitlab import GL_TOKEN, JOB_TOKEN, FakeGitLab
from tests.report_factory import large_report

MARKER = "<!-- model-gate:v1 key=policy -->"


def _ours(server: FakeGitLab, project: str = "42", iid: int = 3) -> list[dict]:
    return [n for n in server.mr_notes(project, iid) if bodies.has_marker(n["body"], MARKER)]


def test_two_runs_one_note_updated_on_the_target_project(fake_gitlab, tmp_path):
    r1 = run(publication("first"), gitlab_env(fake_gitlab, CI_PIPELINE_ID="700"))
    r2 = run(publication("second"), gitlab_env(fake_gitlab, CI_PIPELINE_ID="701"))
    assert (r1.outcome.comment_action, r2.outcome.comment_action) == ("created", "updated")
    ours = _ours(fake_gitlab)
    assert len(ours) == 1 and "second" in ours[0]["body"]
    assert fake_gitlab.mr_notes("43", 3) == []  # not the fork's CI_PROJECT_ID
    assert r2.outcome.comment_url == \
        f"https://gitlab.example/group/app/-/merge_requests/3#note_{ours[0]['id']}"
    for req in fake_gitlab.log:
        assert req.headers["private-token"] == GL_TOKEN
        assert req.path.startswith("/projects/42/") or req.path == "/user"
    assert r2.commands == ""  # no GitHub workflow commands on GitLab
    assert_no_secret(r2, tmp_path, (GL_TOKEN, JOB_TOKEN))


def test_unchanged_note_is_not_rewritten_and_stale_pipeline_does_not_overwrite(fake_gitlab):
    run(publication("same"), gitlab_env(fake_gitlab, CI_PIPELINE_ID="700"))
    again = run(publication("same"), gitlab_env(fake_gitlab, CI_PIPELINE_ID="701"))
    assert again.outcome.comment_action == "unchanged"
    run(publication("newest"), gitlab_env(fake_gitlab, CI_PIPELINE_ID="900"))
    old = run(publication("older"), gitlab_env(fake_gitlab, CI_PIPELINE_ID="800"))
    assert old.outcome.comment_action == "stale"
    assert "newest" in _ours(fake_gitlab)[0]["body"]
    assert len(fake_gitlab.requests("PUT")) == 1


def test_pagination_follows_next_page_not_total_pages_and_skips_system_notes(fake_gitlab):
    fake_gitlab.omit_totals = True  # as above 10,000 records: no x-total / x-total-pages / last
    fake_gitlab.omit_link = True  # only x-next-page is left
    for i in range(250):
        fake_gitlab.add_note("42", 3, f"{MARKER}\nsystem note {i}" if i == 5 else f"chatter {i}",
                             system=(i % 10 == 5))
    run(publication("v1"), gitlab_env(fake_gitlab, CI_PIPELINE_ID="1"))
    fake_gitlab.log.clear()
    r = run(publication("v2"), gitlab_env(fake_gitlab, CI_PIPELINE_ID="2"))
    assert r.outcome.comment_action == "updated"
    lists = [q for q in fake_gitlab.requests("GET", "/notes$")]
    assert len(lists) == 3
    for q in lists:
        assert q.query["sort"] == ["asc"] and q.query["order_by"] == ["created_at"]
        assert q.query["per_page"] == ["100"]
    assert [q.query.get("page") for q in lists] == [None, ["2"], ["3"]]
    assert fake_gitlab.requests("POST") == []
    system = [n for n in fake_gitlab.mr_notes("42", 3) if n["system"]]
    assert all("v2" not in n["body"] for n in system)


def test_a_human_note_with_the_marker_is_never_touched(fake_gitlab):
    human = fake_gitlab.add_note("42", 3, f"copying the bot:\n{MARKER}", author="alice")
    run(publication("one"), gitlab_env(fake_gitlab, CI_PIPELINE_ID="1"))
    run(publication("two"), gitlab_env(fake_gitlab, CI_PIPELINE_ID="2"))
    assert fake_gitlab.notes[human["id"]]["body"] == f"copying the bot:\n{MARKER}"
    assert all(not q.path.endswith(f"/{human['id']}") for q in fake_gitlab.log)


def test_concurrent_pipelines_converge_to_one_note(fake_gitlab):
    results = []
    barrier = threading.Barrier(2)
    fake_gitlab.inject("POST", "/notes$", times=2, delay=0.2, then_process=True)

    def one(pipeline: str) -> None:
        barrier.wait(5)
        results.append(run(publication(f"p{pipeline}"), gitlab_env(fake_gitlab,
                                                                   CI_PIPELINE_ID=pipeline)))

    threads = [threading.Thread(target=one, args=(p,)) for p in ("10", "11")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 2 and all(r.outcome.ok for r in results)
    assert len(fake_gitlab.requests("POST")) == 2  # both created: a real race
    assert len(_ours(fake_gitlab)) == 1


def test_only_job_token_makes_no_write_and_explains_the_setup(fake_gitlab, tmp_path):
    env = gitlab_env(fake_gitlab, token="")
    r = run(publication(verdict="fail", failed=1), env)
    assert fake_gitlab.log == []
    assert r.outcome.ok and r.outcome.comment_action == "skipped"
    text = " ".join(r.outcome.messages)
    for needle in ("project or group access token", "scope `api`", "Reporter",
                   "masked, not protected", "MODEL_GATE_GITLAB_TOKEN"):
        assert needle in text
    assert "model-gate: warning:" in r.log
    assert_no_secret(r, tmp_path, (JOB_TOKEN,))


def test_job_token_passed_as_gitlab_token_is_recognised(fake_gitlab):
    env = gitlab_env(fake_gitlab, token="", GITLAB_TOKEN=JOB_TOKEN)
    r = run(publication(), env)
    assert fake_gitlab.log == [] and r.outcome.comment_action == "skipped"


def test_token_precedence_model_gate_then_gitlab_token():
    ctx = gitlab_context({"MODEL_GATE_GITLAB_TOKEN": "a-token", "GITLAB_TOKEN": "b-token",
                          "CI_API_V4_URL": "https://gl/api/v4"})
    assert ctx.token == "a-token"
    assert gitlab_context({"GITLAB_TOKEN": "b-token"}).token == "b-token"
    ctx = gitlab_context({"CI_SERVER_URL": "https://gl.example:8443", "CI_PROJECT_ID": "5"})
    assert ctx.api_url == "https://gl.example:8443/api/v4" and ctx.project_id == "5"
    assert gitlab_context({"CI_API_V4_URL": "https://a/api/v4"}, "https://b/api/v4").api_url == \
        "https://b/api/v4"


def test_branch_pipeline_falls_back_to_ci_open_merge_requests(fake_gitlab):
    env = gitlab_env(fake_gitlab, CI_MERGE_REQUEST_IID="", CI_MERGE_REQUEST_PROJECT_ID="",
                     CI_OPEN_MERGE_REQUESTS="group/app!4,group/app!9")
    r = run(publication(), env)
    assert r.outcome.comment_action == "created"
    assert fake_gitlab.mr_notes("42", 4)
    assert fake_gitlab.requests("POST")[0].path == "/projects/group%2Fapp/merge_requests/4/notes"


def test_branch_pipeline_falls_back_to_merge_requests_of_the_commit(fake_gitlab):
    fake_gitlab.mrs_by_sha["1111111111111111111111111111111111111111"] = [
        {"iid": 2, "state": "merged"}, {"iid": 6, "state": "opened"}]
    env = gitlab_env(fake_gitlab, CI_MERGE_REQUEST_IID="", CI_MERGE_REQUEST_PROJECT_ID="",
                     CI_PROJECT_ID="42")
    r = run(publication(), env)
    assert r.outcome.comment_action == "created" and fake_gitlab.mr_notes("42", 6)


def test_no_merge_request_skips_quietly(fake_gitlab):
    env = gitlab_env(fake_gitlab, CI_MERGE_REQUEST_IID="", CI_MERGE_REQUEST_PROJECT_ID="",
                     CI_PROJECT_ID="42")
    r = run(publication(), env)
    assert r.outcome.ok and r.outcome.comment_action == "skipped"
    assert fake_gitlab.requests("POST") == []


def test_note_keeps_what_the_github_comment_must_cut(fake_gitlab):
    # 460,000 characters: over GitHub's 65,536, well under GitLab's 1,000,000, so the note is whole
    pub = report_publication(large_report(120, 12))
    r = run(pub, gitlab_env(fake_gitlab))
    assert r.outcome.ok
    sent = fake_gitlab.requests("POST")[0].json["body"]
    assert 400_000 < len(sent) <= 1_000_000 and bodies.has_marker(sent, MARKER)
    assert "Shortened to fit" not in sent and "gate rows not shown" not in sent
    assert "Shortened to fit" in pub.comment_body   # the 65,000-character default would have cut it


def test_note_too_long_400_retries_once_shorter(fake_gitlab):
    fake_gitlab.inject("POST", "/notes$", status=400, body={"message": {"note": [
        "is too long (maximum is 1000000 characters)"]}})
    r = run(report_publication(large_report(20, 5)), gitlab_env(fake_gitlab))
    assert r.outcome.ok and r.outcome.comment_action == "created"
    posts = fake_gitlab.requests("POST")
    assert len(posts) == 2 and len(posts[1].json["body"]) <= len(posts[0].json["body"]) // 2 + 200
    assert bodies.has_marker(posts[1].json["body"], MARKER) and "Shortened to fit" in posts[1].json["body"]


def test_forbidden_token_is_a_clear_failure(fake_gitlab, tmp_path):
    fake_gitlab.inject("POST", "/notes$", status=403, body={"message": "403 Forbidden"})
    r = run(publication(verdict="fail", failed=1), gitlab_env(fake_gitlab),
            dotenv=str(tmp_path / "gate.env"))
    assert not r.outcome.ok and r.outcome.comment_action == "failed"
    assert any("scope api" in m for m in r.outcome.messages)
    assert validate_dotenv(tmp_path / "gate.env")["MODEL_GATE_VERDICT"] == "fail"
    assert_no_secret(r, tmp_path, (GL_TOKEN, JOB_TOKEN))


def test_dotenv_follows_gitlab_rules(tmp_path):
    path = tmp_path / "model-gate" / "gate.env"
    r = run(publication(verdict="fail", failed=3, report="model-gate/report.json"),
            gitlab_env(None), dotenv=str(path), comment="off")
    assert r.outcome.ok
    assert validate_dotenv(path) == {"MODEL_GATE_VERDICT": "fail", "MODEL_GATE_FAILED": "3",
                                     "MODEL_GATE_REPORT": "model-gate/report.json"}


def test_dotenv_refuses_a_path_with_spaces_but_writes_the_rest(tmp_path):
    path = tmp_path / "gate.env"
    r = run(publication(report="my reports/report.json"), {}, dotenv=str(path), comment="off")
    assert not r.outcome.ok
    assert validate_dotenv(path) == {"MODEL_GATE_VERDICT": "pass", "MODEL_GATE_FAILED": "0"}
    assert any("MODEL_GATE_REPORT" in m for m in r.outcome.messages)
