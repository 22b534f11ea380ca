"""Acceptance: every injected fault ends with the right outcome and a clear message, the verdict's
outputs are still written, and no token appears in any output (checklist 16, 17, 36)."""

from __future__ import annotations

import pytest

from tests.fakes.ci import (
    assert_no_secret,
    github_env,
    gitlab_env,
    parse_commands,
    parse_github_output,
    publication,
    report_publication,
    run,
    validate_dotenv,
)
from tests.fakes.github import ACTIONS_TOKEN, NOT_ACCESSIBLE, SECONDARY
from tests.fakes.gitlab import GL_TOKEN, JOB_TOKEN
from tests.report_factory import two_failures_report

TOO_LONG = {"message": "Validation Failed", "documentation_url": "https://docs.github.com/rest",
            "errors": [{"code": "custom", "message": "Body is too long (maximum is 65536 characters)"}]}

# name: (fault kwargs, publish kwargs, expected ok, expected message fragment)
GITHUB_FAULTS = {
    "5xx once": (dict(method="POST", status=500, body={"message": "boom"}), {}, True, "created"),
    "5xx always": (dict(method="GET", status=503, times=99, body={"message": "down"}), {}, False,
                   "gave up after 5 attempts"),
    "429 retry-after": (dict(method="POST", status=429, headers={"Retry-After": "3"},
                             body={"message": "slow down"}), {}, True, "created"),
    "429 no headers": (dict(method="POST", status=429, body={"message": "slow down"}), {}, True,
                       "created"),
    "429 too long to wait": (dict(method="GET", status=429, headers={"Retry-After": "7200"},
                                  body={"message": "slow down"}), {}, False, "would have to wait"),
    "secondary 403 always": (dict(method="POST", status=403, times=99, body=SECONDARY),
                             {"max_retries": 2}, False, "secondary rate limit"),
    "fork 403": (dict(method="POST", status=403, body=NOT_ACCESSIBLE), {}, False,
                 "pull-requests: write"),
    "422 once": (dict(method="POST", status=422, body=TOO_LONG), {}, True, "too long"),
    "422 always": (dict(method="POST", status=422, times=99, body=TOO_LONG), {}, False,
                   "Body is too long"),
    "slow once": (dict(method="GET", delay=2.5), {"http_timeout": 1.0}, True, "created"),
    "slow always": (dict(method="GET", delay=2.5, times=99), {"http_timeout": 1.0,
                                                              "max_retries": 1}, False,
                    "timed out"),
}


@pytest.mark.parametrize("name", list(GITHUB_FAULTS))
def test_github_fault(fake_github, tmp_path, name):
    fault, kwargs, ok, fragment = GITHUB_FAULTS[name]
    fake_github.inject(path=r"/comments$", **fault)
    r = run(report_publication(two_failures_report()), github_env(tmp_path, fake_github), **kwargs)
    text = " ".join(r.outcome.messages)
    assert r.outcome.ok is ok, text
    assert fragment in text
    if name.startswith("secondary"):  # a rate limit is not a permission problem
        assert "permissions" not in text
    if not ok:  # a failure is shown as a warning annotation in the job log
        assert any(c[0] == "warning" for c in parse_commands(r.commands))
    out = parse_github_output((tmp_path / "output.txt").read_text(encoding="utf-8"))
    assert (out["verdict"], out["passed"], out["failed_count"]) == ("fail", "false", "2")
    assert (tmp_path / "summary.md").exists()
    assert_no_secret(r, tmp_path, (ACTIONS_TOKEN,))
    assert f"::add-mask::{ACTIONS_TOKEN}" == r.commands.splitlines()[0]


GITLAB_FAULTS = {
    "5xx once": (dict(method="POST", status=502, body={"message": "bad gateway"}), True, "created"),
    "429 no headers": (dict(method="POST", status=429, body={"message": "Retry later"}), True,
                       "created"),
    "403": (dict(method="POST", status=403, body={"message": "403 Forbidden"}), False,
            "scope api"),
    "401": (dict(method="GET", status=401, body={"message": "401 Unauthorized"}), False,
            "Reporter"),
    "too long always": (dict(method="POST", status=400, times=9, body={"message": {
        "note": ["is too long (maximum is 1000000 characters)"]}}), False, "too long"),
}


@pytest.mark.parametrize("name", list(GITLAB_FAULTS))
def test_gitlab_fault(fake_gitlab, tmp_path, name):
    fault, ok, fragment = GITLAB_FAULTS[name]
    fake_gitlab.inject(path=r"/notes$|/user$", **fault)
    r = run(publication(verdict="fail", failed=2), gitlab_env(fake_gitlab),
            dotenv=str(tmp_path / "gate.env"))
    text = " ".join(r.outcome.messages)
    assert r.outcome.ok is ok, text
    assert fragment in text
    assert validate_dotenv(tmp_path / "gate.env")["MODEL_GATE_FAILED"] == "2"
    assert_no_secret(r, tmp_path, (GL_TOKEN, JOB_TOKEN))
