"""The run context at the top of the comment: commit and links from the CI environment, only ever
a hex SHA and plain http(s) URLs (a hostile variable cannot put text into the comment)."""

from __future__ import annotations

import json

import pytest
from report_factory import binary_report

from gate.cli.main import main
from gate.render import markdown
from gate.report.run_context import RunContext, clean_sha, clean_url, from_environ
from tests.fakes.ci import EVENTS, HEAD_SHA, github_env, gitlab_env


def test_github_pr_head_commit_and_run_url(tmp_path):
    env = github_env(tmp_path, None, MODEL_GATE_ARTIFACT_URL="https://github.example/a/1")
    ctx = from_environ(env)
    head = json.loads((EVENTS / "pull_request.json").read_text())["pull_request"]["head"]["sha"]
    assert ctx == RunContext(commit=head, run_url="https://github.example/octo/gate/actions/runs/9000",
                             artifact_url="https://github.example/a/1", report_url=None)
    push = from_environ(github_env(tmp_path, None, event="push.json", event_name="push"))
    assert push.commit == "3" * 40                      # GITHUB_SHA outside pull requests


def test_gitlab_commit_and_job_url():
    ctx = from_environ(gitlab_env(None), report_url="https://gitlab.example/r.html")
    assert ctx == RunContext(commit=HEAD_SHA, run_url="https://gitlab.example/forker/app/-/jobs/8000",
                             report_url="https://gitlab.example/r.html")
    assert from_environ({}).empty


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://x.example/a b", "https://x/`code`",
                                 "https://x/<b>", 'https://x/"q"', "ftp://x/y", "", None])
def test_hostile_urls_are_dropped(url):
    assert clean_url(url) is None


@pytest.mark.parametrize("sha", ["HEAD", "abc", "12345678 ; rm", "g" * 40, None])
def test_non_hex_commits_are_dropped(sha):
    assert clean_sha(sha) is None


def test_publish_in_github_actions_shows_commit_and_links_in_the_summary(tmp_path, ci_env):
    env = github_env(tmp_path, None, MODEL_GATE_REPORT_URL="https://pages.example/pr-7/report.html")
    ci_env(env)
    report = tmp_path / "report.json"
    report.write_text(binary_report().to_json(), encoding="utf-8")
    assert main(["publish", "--report", str(report), "--comment", "off", "--artifact-url",
                 "https://github.example/octo/gate/actions/runs/9000/artifacts/5"]) == 0
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    line = summary.splitlines()[2]
    assert line.startswith(f"Commit `{from_environ(env).commit[:7]}` · baseline `baseline.csv`")
    assert line.endswith("[workflow run](https://github.example/octo/gate/actions/runs/9000) · "
                         "[artifact](https://github.example/octo/gate/actions/runs/9000/artifacts/5) · "
                         "[HTML report](https://pages.example/pr-7/report.html)")
    assert markdown.render(binary_report()).splitlines()[2].startswith("Baseline ")   # no CI: no links
