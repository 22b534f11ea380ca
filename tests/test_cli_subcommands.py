"""Each CLI module's own rules, called directly (tests/test_cli.py runs the whole command line):

- gate/cli/main.py: argparse errors are one line and exit 2; the exit codes of GateError, an
  interrupt and a bug; a failed ``check`` forgets the previous run's reports;
- gate/cli/check.py: the reproduce command, the source options' exclusions, ``--format json`` in
  GitHub Actions, and writing every output or none;
- gate/cli/plan.py: the plain-text table;
- gate/cli/publish.py: load_report's refusals (a directory, more than 50 MB, not a report);
- gate/cli/validate.py: the one line it prints;
- gate/cli/common.py: untrusted text in Actions, announce_error, publication_for.
"""

from __future__ import annotations

import argparse
import io
import json

import pytest

from gate.cli import check, common, main, plan, publish, validate
from gate.errors import InputError, UsageError
from gate.inference.planning import GatePlan, Plan
from gate.publish import bodies
from gate.render import json_report
from gate.render.outputs import FILES
from tests.fakes.ci import parse_github_output
from tests.helpers.inputs import policy as policy_text
from tests.report_factory import binary_report, build_report, est, make_gate


def _check_args(**kw) -> argparse.Namespace:
    return main.build_parser().parse_args(["check", "--policy", "p.yml", "--candidate", "c.csv", *kw.pop("argv", [])])


# -- main ------------------------------------------------------------------------------------

def test_an_argparse_error_is_one_line_with_exit_2(capsys):
    assert main.main(["check", "--policy", "p.yml", "--bogus\x1b[31m"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("model-gate: error: ")
    assert "see model-gate check --help" in err and "\x1b" not in err        # escaped, not a usage dump


@pytest.mark.parametrize("raised,code,said", [
    (InputError("bad row", source="c.csv"), 2, "model-gate: error: c.csv: bad row"),
    (KeyboardInterrupt(), 130, "model-gate: interrupted"),
    (RuntimeError("boom"), 3, "internal error (a bug"),
])
def test_exit_codes_and_stale_reports_after_a_failed_check(monkeypatch, tmp_path, capsys, raised, code, said):
    out = tmp_path / "out"
    out.mkdir()
    (out / FILES["markdown"]).write_text("last run's report")

    def fail(args):
        raise raised

    monkeypatch.setattr(check, "run", fail)
    assert main.main(["check", "--policy", "p.yml", "--candidate", "c.csv", "--out-dir", str(out)]) == code
    assert said in capsys.readouterr().err
    assert not (out / FILES["markdown"]).exists()


# -- check -----------------------------------------------------------------------------------

def test_the_reproduce_command_keeps_the_inputs_and_drops_publishing():
    args = _check_args(argv=["--baseline", "b.csv", "--seed", "7", "--fail-on-inconclusive", "--comment", "off",
                             "--out-dir", "o", "--status", "--engine", "duckdb"])
    assert check.reproduce_command(args) == ["model-gate", "check", "--policy", "p.yml", "--candidate", "c.csv",
                                             "--baseline", "b.csv", "--engine", "duckdb", "--seed", "7",
                                             "--fail-on-inconclusive"]
    assert "--seed" not in check.reproduce_command(_check_args())       # the policy's seed: nothing to override


def test_source_options_that_exclude_each_other():
    with pytest.raises(UsageError, match="give --baseline or --baseline-from-run, not both"):
        check._sources(_check_args(argv=["--baseline", "b.csv", "--baseline-from-run", "wf.yml"]))
    with pytest.raises(UsageError, match="--database is only read by --candidate-query"):
        check._sources(_check_args(argv=["--database", "db.duckdb"]))
    assert check._sources(_check_args(argv=["--baseline", "b.csv"])) == ("c.csv", "b.csv")


def test_json_stdout_is_inert_for_the_actions_runner(monkeypatch):
    report = build_report([make_gate("recall", bar=0.5, candidate=est(0.9, 0.8, 0.95), status="pass", n=10)],
                          policy_name="x ##[error]y", warnings=())
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    plain = check._json_stdout(report)
    assert plain == json_report.render(report) and "##[" in plain
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    inert = check._json_stdout(report)
    assert "##[" not in inert and json.loads(inert) == json.loads(plain)


def test_outputs_are_written_all_or_none(tmp_path):
    report = binary_report()
    args = _check_args(argv=["--out-dir", str(tmp_path / "o"), "--comment-file", str(tmp_path / "c.md")])
    assert check.write_outputs(report, args) == str(tmp_path / "o" / FILES["json"])
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == sorted(FILES.values())
    comment = (tmp_path / "c.md").read_text(encoding="utf-8")
    assert "**model-gate failed**" in comment and bodies.has_marker(comment, bodies.marker_for(report.policy_name))
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a directory is needed")
    args = _check_args(argv=["--out-dir", str(tmp_path / "o2"), "--comment-file", str(blocked / "c.md")])
    with pytest.raises(UsageError, match="no report was written"):
        check.write_outputs(report, args)
    assert not (tmp_path / "o2").exists() or list((tmp_path / "o2").iterdir()) == []


# -- plan ------------------------------------------------------------------------------------

def _gate_plan(**kw) -> GatePlan:
    base = dict(id="min:recall", label="recall", status="pass", quantity="candidate", op=">=", threshold=0.8,
                bar_kind="min", bar_value=0.8, estimate=0.85, n=1200, needed_n=5400, pass_from=0.83, fail_from=0.77)
    return GatePlan(**{**base, **kw})


def test_the_plan_table_aligns_columns_and_marks_what_is_unknown():
    rows = (_gate_plan(), _gate_plan(id="max_drop:f1", label="f1 change", quantity="delta", threshold=-0.02,
                                     estimate=-0.004, needed_n=None, pass_from=None, fail_from=-0.031,
                                     remark="no_spread"))
    text = plan.render(Plan(0.8, rows, binary_report()))
    lines = text.splitlines()
    assert lines[0].startswith("model-gate plan: policy fraud-detector, 80% power")
    header, first, second = lines[1], lines[2], lines[3]
    assert header.split() == ["GATE", "STATUS", "N", "ESTIMATE", "BAR", "N", "FOR", "POWER", "PASSES", "FROM",
                              "FAILS", "FROM"]
    assert len(first) == len(header) == len(second)              # right-aligned figures: one width
    assert "5,400" in first and ">= 0.830" in first and "< 0.770" in first
    assert "-0.004" in second and "< -0.031" in second and second.split().count("—") == 2
    assert "f1 change: the interval has no spread on one side: no power figures" in lines


# -- publish ---------------------------------------------------------------------------------

def test_load_report_refuses_what_is_not_a_report(tmp_path):
    with pytest.raises(InputError, match="is a directory"):
        publish.load_report(str(tmp_path))
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(publish.MAX_REPORT_BYTES + 1)
    with pytest.raises(InputError, match="larger than 50 MB"):
        publish.load_report(str(big))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"verdict": "pass"}))
    with pytest.raises(InputError) as err:
        publish.load_report(str(bad))
    assert str(bad) in err.value.message and "not a valid model-gate report" in err.value.message
    good = tmp_path / "good.json"
    good.write_text(json_report.render(binary_report()), encoding="utf-8")
    assert publish.load_report(str(good)).verdict == binary_report().verdict


# -- validate --------------------------------------------------------------------------------

def test_validate_prints_one_line_with_the_gate_count(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    p = tmp_path / "p.yml"
    p.write_text(policy_text("  - {metric: recall, min: 0.5}\n  - {metric: accuracy, max_drop: 0.1}\n"))
    assert validate.run(argparse.Namespace(policy=str(p))) == 0
    assert capsys.readouterr().out == f"{p}: valid model-gate policy 't' (binary, 2 gates, needs --baseline)\n"
    p.write_text(policy_text())
    validate.run(argparse.Namespace(policy=str(p)))
    assert capsys.readouterr().out == f"{p}: valid model-gate policy 't' (binary, 1 gate)\n"


# -- common ----------------------------------------------------------------------------------

def test_untrusted_text_is_printed_with_commands_suspended_in_actions(monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    out = io.StringIO()
    common.print_untrusted("::error::class name\n", out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("::stop-commands::") and lines[1] == "::error::class name"
    assert lines[2] == f"::{lines[0].split('::')[2]}::"                 # resumed with the same token
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    out = io.StringIO()
    common.print_untrusted("::error::class name\n", out)
    assert out.getvalue() == "::error::class name\n"


def test_announce_error_tells_actions_and_gitlab(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "out.txt"))
    dotenv = tmp_path / "gate.env"
    common.announce_error("p.yml: gates[0]: bad", argparse.Namespace(dotenv=str(dotenv), policy="p.yml"))
    assert "::error title=model-gate%3A input error::p.yml: gates[0]: bad" in capsys.readouterr().out
    assert parse_github_output((tmp_path / "out.txt").read_text())["verdict"] == "error"
    assert dotenv.read_text().splitlines() == ["MODEL_GATE_VERDICT=error", "MODEL_GATE_FAILED=0"]


def test_announce_error_never_writes_over_an_input(monkeypatch, tmp_path):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    policy = tmp_path / "p.yml"
    policy.write_text("the policy")
    common.announce_error("x", argparse.Namespace(dotenv=str(policy), policy=str(policy)))
    assert policy.read_text() == "the policy"


def test_the_publication_carries_the_reports_counts_and_one_body():
    report = binary_report()
    pub = common.publication_for(report, "k", "o/report.json")
    assert (pub.verdict, pub.exit_code, pub.failed_count, pub.inconclusive_count) == (
        report.verdict, report.exit_code, len(report.failed), len(report.inconclusive))
    assert pub.marker_key == "k" and pub.comment_body == pub.summary_body == pub.source.body()
    assert pub.status_description.startswith(f"{report.verdict}: ")
    assert common.publication_for(report, None, None).marker_key == report.policy_name
