"""The CLI as a user runs it: exit codes, outputs, JSON on stdout, determinism, input errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gate.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
FRAUD = ["--policy", str(ROOT / "policies/affairs.yml"), "--candidate", str(ROOT / "examples/affairs/candidate.csv"),
         "--baseline", str(ROOT / "examples/affairs/baseline.csv")]
LOCAL_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB", "CI_", "INPUT_"))}


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gate.cli.main", *args], capture_output=True, text=True,
                          env={**LOCAL_ENV, **(env or {})}, cwd=ROOT, timeout=300)


def write_policy(tmp_path: Path, text: str) -> str:
    p = tmp_path / "policy.yml"
    p.write_text(text)
    return str(p)


BINARY_HEAD = """version: 1
name: t
task: binary
positive_class: "1"
classes: ["0", "1"]
bootstrap: {resamples: 200, seed: 1}
"""


def test_example_writes_every_report_and_matches_the_schema(tmp_path, capsys):
    assert main(["check", *FRAUD, "--out-dir", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "model-gate: PASS" in out
    files = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"report.json", "report.md", "junit.xml", "report.html"} <= files
    report = json.loads((tmp_path / "out/report.json").read_text())
    assert report["schema_version"].startswith("1.") and report["verdict"] == "pass" and report["exit_code"] == 0
    for g in report["gates"]:
        assert set(g) >= {"id", "metric", "class", "slice", "bar", "candidate", "baseline", "delta", "n", "status",
                          "severity", "message"}
        assert set(g["bar"]) == {"kind", "value"} and g["status"] in ("pass", "fail", "inconclusive")
        assert g["candidate"]["ci"] is None or len(g["candidate"]["ci"]) == 2
    ids = [g["id"] for g in report["gates"]]
    assert len(ids) == len(set(ids))
    assert any(g["slice"] == {"age_band": "35_plus"} for g in report["gates"])


def test_format_json_prints_only_the_json_report():
    proc = run_cli("check", *FRAUD, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["verdict"] == "pass" and len(report["gates"]) == 10


def test_same_inputs_and_seed_give_byte_identical_report(tmp_path):
    for name in ("a", "b"):
        assert main(["check", *FRAUD, "--out-dir", str(tmp_path / name)]) == 0
    assert (tmp_path / "a/report.json").read_bytes() == (tmp_path / "b/report.json").read_bytes()
    assert main(["check", *FRAUD, "--seed", "8", "--out-dir", str(tmp_path / "c")]) == 0
    assert (tmp_path / "a/report.json").read_bytes() != (tmp_path / "c/report.json").read_bytes()


def test_failing_gate_exits_1_and_exit_zero_keeps_the_verdict(tmp_path, capsys):
    policy = write_policy(tmp_path, """version: 1
name: strict
task: binary
positive_class: affair
data: {id: request_id, label: y_true, score: p_affair, threshold: 0.35}
bootstrap: {resamples: 300}
gates:
  - metric: recall
    min: 0.95
""")
    args = ["check", "--policy", policy, "--candidate", str(ROOT / "examples/affairs/candidate.csv")]
    assert main(args) == 1
    assert "FAIL" in capsys.readouterr().out
    assert main(args + ["--exit-zero", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "fail"


def test_fail_on_inconclusive(capsys):
    assert main(["check", *FRAUD]) == 0          # the policy says inconclusive: warn
    assert main(["check", *FRAUD, "--fail-on-inconclusive"]) == 1
    capsys.readouterr()


def test_comment_file_holds_the_marker(tmp_path, capsys):
    assert main(["check", *FRAUD, "--comment-file", str(tmp_path / "c.md")]) == 0
    body = (tmp_path / "c.md").read_text()
    assert "<!-- model-gate:v1 key=" in body and len(body) <= 65000


def test_validate_reports_a_valid_policy(capsys):
    assert main(["validate", str(ROOT / "policies/multiclass.yml")]) == 0
    assert "valid model-gate policy" in capsys.readouterr().out


def test_publish_rerenders_a_saved_report_locally(tmp_path, capsys):
    assert main(["check", *FRAUD, "--out-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["publish", "--report", str(tmp_path / "report.json")]) == 0
    assert "model-gate: PASS" in capsys.readouterr().out


@pytest.mark.invalid_report
def test_publish_rejects_a_file_that_is_not_a_report(tmp_path, capsys):
    bad = tmp_path / "report.json"
    bad.write_text(json.dumps({"schema_version": "1.0", "verdict": "pass; rm -rf /"}))
    assert main(["publish", "--report", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a valid model-gate report" in err


def _csv(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


GOOD = "id,label,score\n1,1,0.9\n2,0,0.2\n3,1,0.7\n4,0,0.4\n"
F1_GATE = "gates:\n  - metric: f1\n    max_drop: 0.1\n"


@pytest.mark.parametrize("cand,base,expected", [
    ("id,label,score\n1,1,0.9\n1,0,0.2\n", None, "id '1' appears twice (row 1 (line 2) and row 2 (line 3))"),
    ("id,label,score\n1,1,0.9\n2,7,0.2\n", None, "label '7' is not one of the classes"),
    ("id,label,score\n1,1,nan\n2,0,0.2\n", None, "row 1 (line 2), column 'score': score is 'nan'"),
    ("id,label,score\n1,1,high\n2,0,0.2\n", None, "'high' is not a number"),
    ("id,label\n1,1\n2,0\n", None, "has neither a 'prediction' nor a 'score' column"),
    ("", None, "is empty"),
    ("id,label,score\n", None, "has a header but no data rows"),
    (GOOD, "id,label,score\n3,1,0.9\n4,0,0.2\n5,1,0.1\n", "candidate has 4 ids, baseline 3, and they share 2"),
    (GOOD, "id,lbl,score\n1,1,0.9\n", "has no column 'label'"),
])
def test_artifact_errors_exit_2_with_one_line(tmp_path, capsys, cand, base, expected):
    policy = write_policy(tmp_path, BINARY_HEAD + F1_GATE)
    args = ["check", "--policy", policy, "--candidate", _csv(tmp_path, "c.csv", cand),
            "--baseline", _csv(tmp_path, "b.csv", base or GOOD)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert err.count("\n") == 1 and err.startswith("model-gate: error: ") and "Traceback" not in err


def test_comparative_gate_without_baseline_is_an_input_error(tmp_path, capsys):
    policy = write_policy(tmp_path, BINARY_HEAD + F1_GATE)
    assert main(["check", "--policy", policy, "--candidate", _csv(tmp_path, "c.csv", GOOD)]) == 2
    assert "compares with a baseline, but no baseline was given" in capsys.readouterr().err


def test_usage_error_exits_2_without_traceback():
    proc = run_cli("check", "--policy", "x.yml")
    assert proc.returncode == 2 and "required" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_policy_file_exits_2():
    proc = run_cli("check", "--policy", "nope.yml", "--candidate", "x.csv")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "model-gate: error: nope.yml: file not found (check the --policy path)"


def test_console_output_is_inert_in_github_actions(tmp_path):
    """A class named like a workflow command prints with command processing suspended."""
    policy = write_policy(tmp_path, """version: 1
name: inj
task: multiclass
classes: ["::error::pwn", "b"]
bootstrap: {resamples: 200}
gates:
  - metric: recall
    class: "*"
    min: 0.99
""")
    cand = _csv(tmp_path, "c.csv", "id,label,prediction\n1,::error::pwn,b\n2,b,b\n3,::error::pwn,::error::pwn\n")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
           "GITHUB_OUTPUT": str(tmp_path / "out.txt")}
    proc = run_cli("check", "--policy", policy, "--candidate", cand, "--comment", "off", env=env)
    lines = proc.stdout.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("::stop-commands::")]
    assert starts, proc.stdout
    token = lines[starts[0]].split("::")[2]
    end = lines.index(f"::{token}::")
    assert any("::error::pwn" in line for line in lines[starts[0]:end])
    outside = lines[:starts[0]] + lines[end + 1:]
    assert not any(line.startswith("::error::pwn") for line in outside)


def test_input_error_in_ci_still_sets_outputs_and_dotenv(tmp_path):
    outputs = tmp_path / "out.txt"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs)}
    proc = run_cli("check", "--policy", "missing.yml", "--candidate", "x.csv", "--dotenv", str(tmp_path / "gate.env"),
                   env=env)
    assert proc.returncode == 2
    assert "::error title=model-gate%3A input error::missing.yml: file not found" in proc.stdout
    assert "verdict=error" in outputs.read_text().splitlines()
    assert (tmp_path / "gate.env").read_text().splitlines() == ["MODEL_GATE_VERDICT=error", "MODEL_GATE_FAILED=0"]


def test_usage_errors_quote_arguments_safely(capsys):
    """argparse echoes the offending arguments: the line is clipped and invisible characters escaped."""
    assert main(["check", "--policy", "p", "--candidate", "c", "--bogus", "x" * 5000]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err) < 2100 and "unrecognized arguments: --bogus" in err
    assert main(["check", "--policy", "p", "--candidate", "c", "--b\u202eogus"]) == 2
    err = capsys.readouterr().err
    assert "\u202e" not in err and "--b\\u202eogus" in err
