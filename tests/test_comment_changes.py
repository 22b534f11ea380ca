"""'What changed since the previous run' and the comment modes, end to end.

The hidden state (gate.report.comment_state) is checked on its own (round trip, strict parsing of forged and
corrupt payloads), then through ``model-gate publish --report`` against the fake GitHub and the
publisher against the fake GitLab, both over real HTTP: a first run, a run with no change, a changed
run, a forged state, a fork pull request, and each of --comment-mode always|changed|failures|off.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from pathlib import Path

import pytest

from gate.cli.main import main
from gate.publish import bodies
from gate.render import markdown as md
from gate.report import comment_state
from tests.fakes.ci import github_env, gitlab_env, report_publication, run
from tests.report_factory import build_report, engine_label, est, make_gate

MARKER = md.marker_line("fraud-detector")


def _gates(second: bool) -> list:
    """Run 1: everything passes. Run 2: recall for fraud fails, the f1 drop grows, a gate is added
    and one removed."""
    recall = make_gate("recall", class_name="fraud", bar=0.9, label=engine_label("recall", "fraud"),
                       gate_id="recall[class=fraud]",
                       candidate=est(0.87, 0.84, 0.895) if second else est(0.93, 0.91, 0.95),
                       status="fail" if second else "pass")
    f1 = make_gate("f1", kind="max_drop", bar=0.02, label="f1", gate_id="f1",
                   candidate=est(0.86, 0.84, 0.88), baseline=est(0.872, 0.85, 0.89),
                   delta=est(-0.012, -0.019, -0.005) if second else est(-0.004, -0.011, 0.003))
    gates = [recall, f1]
    if second:
        gates.append(make_gate("precision", class_name="fraud", bar=0.7, label=engine_label("precision", "fraud"),
                               gate_id="precision[class=fraud]", candidate=est(0.8, 0.77, 0.83)))
    else:
        gates.append(make_gate("accuracy", bar=0.9, label="accuracy", gate_id="accuracy",
                               candidate=est(0.95, 0.94, 0.96)))
    return gates


def first_report():
    return build_report(_gates(False), warnings=())


def second_report():
    return build_report(_gates(True), warnings=())


def _report_file(tmp_path: Path, report, name: str) -> str:
    path = tmp_path / name
    path.write_text(report.to_json(), encoding="utf-8")
    return str(path)


def _token(doc: object) -> str:
    return "1." + base64.b64encode(zlib.compress(json.dumps(doc).encode())).decode()


# -- the state itself --------------------------------------------------------------------------------

def test_state_round_trips_and_is_deterministic():
    state = comment_state.state_of(second_report())
    token = comment_state.encode(state)
    assert token == comment_state.encode(comment_state.state_of(second_report()))
    assert "-" not in token and comment_state.decode(token) == state


@pytest.mark.parametrize("token,why", [
    ("2.AAAA", "not a version-1"),
    ("1.not base64!", "not a version-1"),
    ("1.QUJD", "corrupt"),                                              # base64 of "ABC": not zlib
    (_token({"v": 2, "verdict": "pass", "gates": []}), "unknown version"),
    (_token({"v": 1, "verdict": "maybe", "gates": []}), "verdict"),
    (_token({"v": 1, "verdict": "pass", "gates": [["a", "pass", 0.5]]}), "4-item list"),
    (_token({"v": 1, "verdict": "pass", "gates": [["a", "exploded", 0.5, None]]}), "status"),
    (_token({"v": 1, "verdict": "pass", "gates": [["a", "pass", True, None]]}), "not a number"),
    (_token({"v": 1, "verdict": "pass", "gates": [["a", "pass", 1, None], ["a", "fail", 1, None]]}), "twice"),
    (_token({"v": 1, "verdict": "pass", "gates": [], "eval": "__import__('os')"}), "expected fields"),
    ("1." + base64.b64encode(zlib.compress(b'{"v":1,"verdict":"pass","gates":[[NaN]]}')).decode(), "non-finite"),
    ("1." + base64.b64encode(zlib.compress(b"[" * 300_000)).decode(), "small, complete"),   # a zip bomb
    ("1." + "A" * 20_000, "larger than allowed"),
])
def test_forged_or_corrupt_state_is_refused_with_a_fixed_sentence(token, why):
    with pytest.raises(comment_state.StateError) as exc:
        comment_state.decode(token)
    assert why in str(exc.value)
    line = md.marker_line("fraud-detector", token)
    if "state=" in line:       # a token that cannot even be written into a marker is never read from one
        state, notice = md.previous_state(f"old\n{line}\n", "fraud-detector")
        assert state is None and why in notice and "hidden state was ignored" in notice and token not in notice


def test_a_well_formed_forged_state_cannot_inject_markdown():
    pytest.importorskip("cmarkgfm")
    from scripts.comment_page import to_html
    evil = comment_state.CommentState("pass", (
        comment_state.GateState("@octocat <script>alert(1)</script> #1 [x](http://evil.example)", "pass", 1.0, None),
        comment_state.GateState("recall[class=fraud]", "pass", 0.93, None)))
    text = md.render(first_report(), previous=evil)
    assert "gate removed: `@octocat" in text
    html = to_html(text)
    outside = re.sub(r"<code>.*?</code>", "", html, flags=re.S)
    for bad in ("@octocat", "<script", "#1", "href="):
        assert bad not in outside


def test_changes_lists_flips_new_removed_and_moved_numbers():
    text = md.render(second_report(), previous=comment_state.state_of(first_report()))
    lines = text.split("**Since the previous run:**", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    assert lines == [
        "- verdict: **pass** → **fail**",
        "- recall for class `fraud`: pass → **fail**",
        "- new gate: precision for class `fraud` (**pass**)",
        "- gate removed: `accuracy`",
        "- recall for class `fraud` candidate 0.930 → 0.870",
        "- f1 Δ -0.004 → -0.012",
    ]
    same = md.render(first_report(), previous=comment_state.state_of(first_report()))
    assert "**Since the previous run:** no change." in same


# -- GitHub, through `model-gate publish` ------------------------------------------------------------

def _publish(tmp_path, fake_github, ci_env, report, run_id: str, *extra: str, **env_extra: str) -> int:
    ci_env(github_env(tmp_path, fake_github, run_id=run_id, **env_extra))
    return main(["publish", "--report", _report_file(tmp_path, report, f"report-{run_id}.json"), *extra])


def _ours(fake_github, number: int = 7) -> list[dict]:
    return [c for c in fake_github.issue_comments("octo", "gate", number) if bodies.has_marker(c["body"], MARKER)]


def test_first_run_unchanged_run_and_changed_run(fake_github, tmp_path, ci_env):
    assert _publish(tmp_path, fake_github, ci_env, first_report(), "1") == 0
    (first,) = _ours(fake_github)
    assert "Since the previous run" not in first["body"]
    assert "state=1." in first["body"].splitlines()[-2]          # the marker, then the run stamp

    assert _publish(tmp_path, fake_github, ci_env, first_report(), "2") == 0
    (again,) = _ours(fake_github)
    assert "**Since the previous run:** no change." in again["body"]

    assert _publish(tmp_path, fake_github, ci_env, second_report(), "3") == 0
    (changed,) = _ours(fake_github)
    assert changed["id"] == first["id"]                               # one sticky comment, updated
    body = changed["body"]
    for line in ("verdict: **pass** → **fail**", "recall for class `fraud`: pass → **fail**",
                 "new gate: precision for class `fraud`", "f1 Δ -0.004 → -0.012"):
        assert line in body
    assert len(fake_github.requests("POST", "/comments$")) == 1


def test_a_forged_state_is_ignored_with_a_notice(fake_github, tmp_path, ci_env):
    assert _publish(tmp_path, fake_github, ci_env, first_report(), "1") == 0
    (comment,) = _ours(fake_github)
    bomb = "1." + base64.b64encode(zlib.compress(b"[" * 300_000)).decode()
    comment["body"] = comment["body"].replace(md.parse_marker(comment["body"].splitlines()[-2])[1], bomb)
    assert _publish(tmp_path, fake_github, ci_env, second_report(), "2") == 0
    (after,) = _ours(fake_github)
    assert "hidden state was ignored (the state does not decompress to a small, complete document)" in after["body"]
    assert "Since the previous run" not in after["body"] and bomb not in after["body"]


def test_fork_pull_request_writes_nothing_and_the_fork_safe_publish_compares(fake_github, tmp_path, ci_env):
    # pull_request from a fork: read-only token, nothing is even read
    assert _publish(tmp_path, fake_github, ci_env, first_report(), "1", event="pull_request_fork.json") == 0
    assert fake_github.log == [] and _ours(fake_github, 8) == []
    # the fork-safe recipe: workflow_run publishes, and its second run compares with its first
    from tests.fakes.ci import HEAD_SHA
    fake_github.add_pull("octo", "gate", 8, HEAD_SHA)
    for run_id, report in (("2", first_report()), ("3", second_report())):
        assert _publish(tmp_path, fake_github, ci_env, report, run_id, event="workflow_run_fork.json",
                        GITHUB_EVENT_NAME="workflow_run") == 0
    (comment,) = _ours(fake_github, 8)
    assert "recall for class `fraud`: pass → **fail**" in comment["body"]


# -- comment modes ---------------------------------------------------------------------------------

def test_mode_changed_posts_only_when_a_status_or_the_verdict_changed(fake_github, tmp_path, ci_env, capsys):
    mode = ("--comment-mode", "changed")
    assert _publish(tmp_path, fake_github, ci_env, first_report(), "1", *mode) == 0   # first run: posted
    before = _ours(fake_github)[0]["body"]
    assert _publish(tmp_path, fake_github, ci_env, first_report(), "2", *mode) == 0   # nothing changed
    assert _ours(fake_github)[0]["body"] == before and fake_github.requests("PATCH") == []
    assert "nothing changed since the previous comment" in capsys.readouterr().err
    assert _publish(tmp_path, fake_github, ci_env, second_report(), "3", *mode) == 0  # a gate flipped
    assert len(fake_github.requests("PATCH")) == 1
    assert "pass → **fail**" in _ours(fake_github)[0]["body"]


def test_mode_failures_stays_quiet_until_something_fails_then_says_it_passes(fake_github, tmp_path, ci_env):
    mode = ("--comment-mode", "failures")
    assert _publish(tmp_path, fake_github, ci_env, first_report(), "1", *mode) == 0
    assert _ours(fake_github) == [] and fake_github.requests("POST", "/comments$") == []
    assert _publish(tmp_path, fake_github, ci_env, second_report(), "2", *mode) == 0
    assert "model-gate failed" in _ours(fake_github)[0]["body"]
    assert _publish(tmp_path, fake_github, ci_env, first_report(), "3", *mode) == 0   # fixed: updated
    (comment,) = _ours(fake_github)
    assert comment["body"].startswith("✅ **model-gate passed**") and "fail → **pass**" in comment["body"]


def test_mode_off_and_always(fake_github, tmp_path, ci_env):
    assert _publish(tmp_path, fake_github, ci_env, second_report(), "1", "--comment-mode", "off") == 0
    assert fake_github.requests("POST", "/comments$") == [] and fake_github.requests("GET", "/comments") == []
    for run_id in ("2", "3"):
        assert _publish(tmp_path, fake_github, ci_env, second_report(), run_id) == 0   # default: always
    assert len(_ours(fake_github)) == 1 and len(fake_github.requests("POST", "/comments$")) == 1


# -- GitLab ------------------------------------------------------------------------------------------

def test_gitlab_note_changes_and_modes(fake_gitlab):
    gl_marker = md.marker_line("policy")

    def ours():
        return [n for n in fake_gitlab.mr_notes("42", 3) if bodies.has_marker(n["body"], gl_marker)]

    r = run(report_publication(first_report()), gitlab_env(fake_gitlab, CI_PIPELINE_ID="700"),
            comment_mode="failures")
    assert r.outcome.comment_action == "skipped" and ours() == []
    r = run(report_publication(second_report()), gitlab_env(fake_gitlab, CI_PIPELINE_ID="701"),
            comment_mode="changed")
    assert r.outcome.comment_action == "created"
    r = run(report_publication(second_report()), gitlab_env(fake_gitlab, CI_PIPELINE_ID="702"),
            comment_mode="changed")
    assert r.outcome.comment_action == "skipped" and len(ours()) == 1
    r = run(report_publication(first_report()), gitlab_env(fake_gitlab, CI_PIPELINE_ID="703"))
    assert r.outcome.comment_action == "updated"
    (note,) = ours()
    assert "recall for class `fraud`: fail → **pass**" in note["body"] and "gate removed: `precision" in note["body"]
