"""Workflow commands, ``$GITHUB_OUTPUT``, ``$GITHUB_STEP_SUMMARY`` (checklist 6, 7, 19, 20), parsed
the way the runner parses them (reference parsers in tests/fakes/ci.py)."""

from __future__ import annotations

import io

import pytest

from gate.publish import files
from gate.publish.publication import Annotation
from gate.publish.workflow_commands import Commands, escape_data, escape_property, format_command
from tests.fakes.ci import github_env, parse_commands, parse_github_output, publication, report_publication, run
from tests.report_factory import build_report, large_report, make_gate


def test_escaping_matches_the_toolkit():
    assert escape_data("50% a\r\nb") == "50%25 a%0D%0Ab"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    line = format_command("error", "x\n::warning::y", {"title": "t,itle:1", "file": None})
    assert line == "::error title=t%2Citle%3A1::x%0A::warning::y"
    assert parse_commands(line) == [("error", {"title": "t,itle:1"}, "x\n::warning::y")]


def test_fifty_failing_gates_give_ten_errors_and_a_notice(tmp_path):
    anns = tuple(Annotation("error", f"gate {i}", f"recall[{i}] < 0.8") for i in range(50)) + \
        tuple(Annotation("warning", f"inconclusive {i}", "CI too wide") for i in range(12))
    r = run(publication(verdict="fail", failed=50, annotations=anns), github_env(tmp_path, None),
            comment="off")
    cmds = parse_commands(r.commands)
    errors = [c for c in cmds if c[0] == "error"]
    warnings = [c for c in cmds if c[0] == "warning" and c[1].get("title", "").startswith("incon")]
    assert len(errors) == 10 and len(warnings) == 10
    assert [e[1]["title"] for e in errors] == [f"gate {i}" for i in range(10)]  # worst first kept
    notices = [c[2] for c in cmds if c[0] == "notice"]
    assert any(n.startswith("40 more failed") for n in notices)
    assert any(n.startswith("2 more warning") for n in notices)


def test_untrusted_class_names_cannot_inject_commands(tmp_path):
    evil = "::error::pwn\n::add-mask::x\n##[error]legacy %0A"
    anns = (Annotation("error", f"recall[{evil}]", f"class {evil} failed, title=x::y"),)
    r = run(publication(verdict="fail", failed=1, annotations=anns), github_env(tmp_path, None),
            comment="off")
    cmds = parse_commands(r.commands)
    errors = [c for c in cmds if c[0] == "error"]
    assert len(errors) == 1  # the one real annotation, nothing injected
    assert errors[0][1]["title"] == f"recall[{evil}]"  # round-trips exactly
    assert errors[0][2] == f"class {evil} failed, title=x::y"
    assert not any(c[0] == "add-mask" and c[2] == "x" for c in cmds)


def test_stop_commands_wraps_untrusted_log_text():
    out = io.StringIO()
    commands = Commands(out)
    commands.print_untrusted("class ::error::pwn\n##[warning]also\n::set-output name=x::y")
    commands.warning("after")
    cmds = parse_commands(out.getvalue())
    assert cmds == [("warning", {}, "after")]
    first = out.getvalue().splitlines()[0]
    token = first.split("::stop-commands::", 1)[1]
    assert len(token) >= 32 and f"::{token}::" in out.getvalue()
    other = io.StringIO()
    with Commands(other).stop_commands() as second:
        pass
    assert second != token  # random per use


def test_outputs_parse_with_the_runner_rules(tmp_path):
    r = run(publication(verdict="fail", failed=2, report="/github/workspace/out/report.json"),
            github_env(tmp_path, None), comment="off")
    out = parse_github_output((tmp_path / "output.txt").read_text(encoding="utf-8"))
    assert out == {"verdict": "fail", "passed": "false", "failed_count": "2", "inconclusive_count": "0",
                   "report_json": "/github/workspace/out/report.json", "comment_url": ""}
    assert r.outcome.ok


def test_multiline_output_uses_a_random_delimiter_and_refuses_it_in_values(tmp_path):
    path = tmp_path / "out.txt"
    files.write_github_outputs(str(path), {"a": "one", "b": "## Purpose\nline 2\nEOF"})
    text = path.read_text()
    assert "b<<ghadelimiter_" in text
    assert parse_github_output(text) == {"a": "one", "b": "## Purpose\nline 2\nEOF"}
    with pytest.raises(files.FileCommandError):
        files.format_output("c", "x\nghadelimiter_1\ny", delimiter="ghadelimiter_1")
    with pytest.raises(files.FileCommandError):
        files.format_output("bad name", "x")


def test_summary_shows_every_gate_the_comment_had_to_leave_out(tmp_path):
    report = large_report(60, 10)                       # 660 gates: over the comment's 65,000 characters
    pub = report_publication(report)
    assert "gate rows not shown" in pub.comment_body
    r = run(pub, github_env(tmp_path, None), comment="off")
    text = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert len(text) > 65_536 and "Shortened to fit" not in text and "gate rows not shown" not in text
    rows = [ln for ln in text.splitlines() if ln.startswith("| ") and ln.endswith("** |")]
    assert len(rows) == len(report.gates)               # one table row per gate, none dropped
    assert not any("shortened" in m for m in r.outcome.messages)


def test_summary_is_rendered_into_what_is_left_of_one_mebibyte(tmp_path):
    summary = tmp_path / "summary.md"
    earlier = "# earlier step output\n" + "x" * 700_000 + "\n"
    summary.write_text(earlier, encoding="utf-8")
    r = run(report_publication(large_report(120, 12)), github_env(tmp_path, None), comment="off")
    data = summary.read_bytes()
    assert len(data) < 1_048_576
    text = data.decode("utf-8")
    room = 1_048_576 - 1 - len(earlier.encode("utf-8"))
    assert text.startswith(earlier) and f"Shortened to fit {room:,} bytes" in text
    assert text.count("<details") == text.count("</details>")   # the renderer cut it, whole sections
    assert any("shortened" in m for m in r.outcome.messages)


def test_annotation_notice_points_where_every_gate_really_is(tmp_path):
    gates = [make_gate("recall", class_name=f"c{i}", status="fail", gate_id=f"g{i}") for i in range(15)]
    complete = run(report_publication(build_report(gates)), github_env(tmp_path, None), comment="off")
    notices = [c for c in parse_commands(complete.commands) if c[0] == "notice"]
    assert len(notices) == 1 and "see the job summary for all gates" in notices[0][2]
    (tmp_path / "small").mkdir()
    (tmp_path / "small" / "summary.md").write_text("x" * 1_047_000, encoding="utf-8")  # 1.5 KB left
    cut = run(report_publication(build_report(gates)), github_env(tmp_path / "small", None), comment="off")
    notices = [c for c in parse_commands(cut.commands) if c[0] == "notice"]
    assert len(notices) == 1 and "see the job summary" not in notices[0][2]
    assert "report.json has all gates (the job summary had to be shortened)" in notices[0][2]


def test_small_summary_is_appended_verbatim(tmp_path):
    run(publication(summary="## ✅ ok\n"), github_env(tmp_path, None), comment="off")
    assert (tmp_path / "summary.md").read_text(encoding="utf-8") == "## ✅ ok\n"


def test_missing_summary_variable_is_a_warning_not_an_error(tmp_path):
    env = github_env(tmp_path, None, GITHUB_STEP_SUMMARY="")
    r = run(publication(), env, comment="off")
    assert r.outcome.ok
    assert any(c[0] == "warning" and "GITHUB_STEP_SUMMARY" in c[2]
               for c in parse_commands(r.commands))
