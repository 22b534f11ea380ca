"""The action's step outputs: action.yml, the values written and the docs agree.

``verdict`` is pass, fail or error (never "inconclusive": an inconclusive blocking gate fails the
verdict only under ``fail_on_inconclusive`` / ``decision.inconclusive: fail``; ``inconclusive_count``
says how many there were). Both places that write outputs (a finished check, and an input error that
stopped it) build them with ``gate.publish.files.step_outputs``, so they carry the same names.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gate.cli.main import main
from gate.publish import files
from tests.fakes.ci import parse_github_output
from tests.helpers.workdir import github_workdir, seventy_percent_csv

ROOT = Path(__file__).resolve().parents[1]
POLICY = """version: 1
name: outputs
task: binary
positive_class: "1"
bootstrap: {resamples: 400, seed: 3}
decision: {inconclusive: warn}
gates:
  - metric: precision
    min: 0.05
  - metric: accuracy
    min: 0.7
"""


@pytest.fixture
def work(tmp_path, monkeypatch):
    return github_workdir(tmp_path, monkeypatch, {"policy.yml": POLICY, "cand.csv": seventy_percent_csv()})


def _outputs(work: Path) -> dict[str, str]:
    return parse_github_output((work / "output.txt").read_text(encoding="utf-8"))


def test_action_yml_declares_exactly_the_written_outputs():
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert list(action["outputs"]) == list(files.STEP_OUTPUTS)
    assert action["outputs"]["verdict"]["description"].startswith("pass, fail or error:")
    assert files.STEP_VERDICTS == ("pass", "fail", "error")


@pytest.mark.parametrize("extra,verdict,code", [([], "pass", 0), (["--fail-on-inconclusive"], "fail", 1)])
def test_an_inconclusive_gate_is_counted_and_fails_only_when_asked(work, capsys, extra, verdict, code):
    assert main(["check", "--policy", "policy.yml", "--candidate", "cand.csv", "--comment", "off", *extra]) == code
    capsys.readouterr()
    out = _outputs(work)
    assert list(out) == list(files.STEP_OUTPUTS)
    assert (out["verdict"], out["passed"], out["failed_count"], out["inconclusive_count"]) == \
        (verdict, str(verdict == "pass").lower(), "0", "1")


def test_an_input_error_writes_the_same_outputs(work, capsys):
    assert main(["check", "--policy", "missing.yml", "--candidate", "cand.csv"]) == 2
    capsys.readouterr()
    assert _outputs(work) == {"verdict": "error", "passed": "false", "failed_count": "0",
                              "inconclusive_count": "0", "report_json": "", "comment_url": ""}


def test_step_outputs_refuses_an_unknown_verdict():
    with pytest.raises(ValueError):
        files.step_outputs("inconclusive")
