"""End to end: ``model-gate publish --report report.json`` (the CLI, the real renderers, this
package's dispatch) against the fake GitHub over real HTTP. Checks the exit-code contract of
checklist 36 and that untrusted report content cannot inject workflow commands or forge markers."""

from __future__ import annotations

from pathlib import Path

from gate.cli.main import main
from tests.fakes.ci import github_env, parse_commands, parse_github_output
from tests.fakes.github import ACTIONS_TOKEN, READONLY_TOKEN
from tests.report_factory import adversarial_report, binary_report, large_report


def _report(tmp_path: Path, report) -> str:
    path = tmp_path / "report.json"
    path.write_text(report.to_json(), encoding="utf-8")
    return str(path)


def test_publish_twice_one_comment_and_untrusted_names_stay_inert(fake_github, tmp_path, ci_env,
                                                                   capsys):
    report = _report(tmp_path, adversarial_report())
    ci_env(github_env(tmp_path, fake_github, run_id="1"))
    assert main(["publish", "--report", report]) == 0
    ci_env(github_env(tmp_path, fake_github, run_id="2"))
    assert main(["publish", "--report", report, "--exit-with-verdict"]) == 1
    comments = fake_github.issue_comments("octo", "gate", 7)
    assert len(comments) == 1  # the adversarial policy name cannot forge a second marker
    body = comments[0]["body"]
    markers = [line for line in body.splitlines() if line.startswith("<!-- model-gate:v1 key=")]
    assert len(markers) == 1
    out = capsys.readouterr().out
    cmds = parse_commands(out)
    kinds = {c[0] for c in cmds}
    assert kinds <= {"add-mask", "error", "warning", "notice"}
    assert [c[2] for c in cmds if c[0] == "add-mask"] == [ACTIONS_TOKEN, ACTIONS_TOKEN]
    assert sum(1 for c in cmds if c[0] == "error") <= 20  # ≤ 10 per run, two runs
    outputs = parse_github_output((tmp_path / "output.txt").read_text(encoding="utf-8"))
    assert outputs["comment_url"] == comments[0]["html_url"]


def test_forbidden_comment_keeps_the_verdict_exit_code_unless_strict(fake_github, tmp_path,
                                                                     ci_env, capsys):
    report = _report(tmp_path, binary_report())
    ci_env(github_env(tmp_path, fake_github, token=READONLY_TOKEN))
    assert main(["publish", "--report", report, "--exit-with-verdict"]) == 1
    assert main(["publish", "--report", report]) == 0
    assert main(["publish", "--report", report, "--strict-publish"]) == 2
    captured = capsys.readouterr()
    assert READONLY_TOKEN not in captured.err
    assert READONLY_TOKEN not in "\n".join(line for line in captured.out.splitlines()
                                          if not line.startswith("::add-mask::"))
    warnings = [c[2] for c in parse_commands(captured.out) if c[0] == "warning"]
    assert any("pull-requests: write" in w for w in warnings)


def test_large_report_fits_one_comment(fake_github, tmp_path, ci_env, capsys):
    report = _report(tmp_path, large_report())
    ci_env(github_env(tmp_path, fake_github))
    main(["publish", "--report", report])
    capsys.readouterr()
    body = fake_github.issue_comments("octo", "gate", 7)[0]["body"]
    assert len(body) <= 65_536
