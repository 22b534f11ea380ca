"""``model-gate check --baseline-from-run WORKFLOW[:ARTIFACT]`` against the fake GitHub.

Every request is validated against GitHub's OpenAPI description (tests/vendor), the artifact's zip
is served by a second server after a 302 (which must not receive the token), and every refusal is
one line with exit code 2: no successful run, no artifact, an expired one, a zip that holds a path
(zip-slip), several files, a symlink, a file too large, not a zip at all.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from gate.cli.main import main
from tests.fakes.ci import github_env
from tests.fakes.github import ACTIONS_TOKEN
from tests.helpers.zips import zip_bytes as _zip

ROOT = Path(__file__).resolve().parents[1]
BASELINE = (ROOT / "examples/affairs/baseline.csv").read_bytes()
SOURCE = "--baseline-from-run model-gate.yml:model-gate-baseline"


@pytest.fixture
def work(tmp_path, monkeypatch, fake_github):
    for rel in ("policies/affairs.yml", "examples/affairs/candidate.csv", "examples/affairs/baseline.csv"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / rel, tmp_path / rel)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    for key, value in github_env(tmp_path, fake_github).items():
        monkeypatch.setenv(key, value)
    return tmp_path


def _check(capsys, *extra: str, out: str = "out") -> tuple[int, str, str]:
    code = main(["check", "--policy", "policies/affairs.yml", "--candidate", "examples/affairs/candidate.csv",
                 "--comment", "off", "--out-dir", out, *extra])
    o, e = capsys.readouterr()
    shown = [line for line in (o + e).splitlines() if not line.startswith("::add-mask::")]   # the runner's mask
    assert not any(ACTIONS_TOKEN in line for line in shown)
    plain = "".join(line + "\n" for line in e.splitlines() if not line.startswith("::"))   # no stop-commands
    return code, o, plain


def test_the_latest_successful_default_branch_run_gives_the_baseline(work, fake_github, capsys):
    fake_github.add_workflow_run("model-gate.yml", artifacts={"model-gate-baseline": _zip({"baseline.csv": b"x"})})
    good = fake_github.add_workflow_run("model-gate.yml", artifacts={"model-gate-baseline": _zip({"baseline.csv": BASELINE})})
    fake_github.add_workflow_run("model-gate.yml", conclusion="failure",
                                 artifacts={"model-gate-baseline": _zip({"baseline.csv": b"broken"})})
    fake_github.add_workflow_run("model-gate.yml", branch="feature",
                                 artifacts={"model-gate-baseline": _zip({"baseline.csv": b"wrong"})})
    code, _, err = _check(capsys, "--baseline-from-run", "model-gate.yml")
    assert code == 0, err
    fetched = json.loads((work / "out/report.json").read_text(encoding="utf-8"))
    local_code, _, _ = _check(capsys, "--baseline", "examples/affairs/baseline.csv", out="local")
    local = json.loads((work / "local/report.json").read_text(encoding="utf-8"))
    assert local_code == 0 and fetched["gates"] == local["gates"]     # the same baseline, so the same verdicts
    base = [a for a in fetched["data"]["artifacts"] if a["role"] == "baseline"][0]
    assert base["path"] == f"model-gate.yml run {good['id']}: model-gate-baseline/baseline.csv"
    assert fetched["reproducibility"]["command"][-2:] == ["--baseline-from-run", "model-gate.yml"]
    runs = fake_github.requests("GET", r"/actions/workflows/model-gate\.yml/runs$")
    assert [(r.query["branch"], r.query["status"]) for r in runs] == [(["main"], ["success"])]
    assert fake_github.requests("GET", r"^/repos/octo/gate$")          # the default branch, asked for
    assert [r.path for r in fake_github.blob_store.log] == [f"/blob/{fake_github.run_artifacts[good['id']][0]['id']}"]


def test_the_default_branch_comes_from_the_event_when_it_has_it(work, fake_github, capsys, monkeypatch):
    event = work / "event.json"
    event.write_text(json.dumps({"repository": {"full_name": "octo/gate", "default_branch": "trunk"}}), encoding="utf-8")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    fake_github.add_workflow_run("eval.yml", branch="trunk", artifacts={"preds": _zip({"base.csv": BASELINE})})
    code, _, err = _check(capsys, "--baseline-from-run", "eval.yml:preds")
    assert code == 0, err
    assert not fake_github.requests("GET", r"^/repos/octo/gate$")


def _refused(capsys, expected: str, *extra: str) -> None:
    code, out, err = _check(capsys, *extra)
    assert (code, err) == (2, f"model-gate: error: {SOURCE}: {expected}\n"), out
    assert not Path("out/report.json").exists()


def test_no_successful_run_is_one_line(work, fake_github, capsys):
    fake_github.add_workflow_run("model-gate.yml", conclusion="failure")
    _refused(capsys, "no successful run of workflow model-gate.yml on the default branch main (run that workflow "
                     "on main first (it must upload the artifact), or pass --baseline FILE)",
             "--baseline-from-run", "model-gate.yml")


@pytest.mark.parametrize("artifacts,expired,problem", [
    ({"other": b"PK"}, False, "has no artifact named model-gate-baseline"),
    ({"model-gate-baseline": b"PK"}, True, "has only an expired artifact named model-gate-baseline"),
])
def test_a_missing_or_expired_artifact_is_one_line(work, fake_github, capsys, artifacts, expired, problem):
    run = fake_github.add_workflow_run("model-gate.yml", artifacts=artifacts, expired=expired)
    _refused(capsys, f"run {run['id']} of model-gate.yml {problem} (upload the baseline predictions as artifact "
                     "model-gate-baseline in that workflow (actions/upload-artifact), and keep it within its "
                     "retention)", "--baseline-from-run", "model-gate.yml")


ZIPS = {
    "zip-slip": (_zip({"../../etc/cron.d/x.csv": BASELINE}),
                 "artifact model-gate-baseline holds '../../etc/cron.d/x.csv', not a plain file name (upload the "
                 "predictions file itself, not a directory)"),
    "absolute": (_zip({"/tmp/x.csv": BASELINE}),
                 "artifact model-gate-baseline holds '/tmp/x.csv', not a plain file name (upload the predictions "
                 "file itself, not a directory)"),
    "two-files": (_zip({"a.csv": BASELINE, "b.csv": BASELINE}),
                  "artifact model-gate-baseline holds 2 files ('a.csv', 'b.csv'); exactly one is expected (upload "
                  "only the baseline predictions file in that artifact)"),
    "empty": (_zip({}), "artifact model-gate-baseline holds 0 files (nothing); exactly one is expected (upload only "
                        "the baseline predictions file in that artifact)"),
    "symlink": (_zip({"b.csv": b"/etc/passwd"}, symlink="b.csv"),
                "artifact model-gate-baseline holds 'b.csv' as a symlink or encrypted (upload the predictions file "
                "itself)"),
    "not-predictions": (_zip({"run.sh": b"rm -rf /"}),
                        "artifact model-gate-baseline holds 'run.sh', not a predictions file (upload a .csv, "
                        ".csv.gz, .jsonl or .parquet file)"),
    "not-a-zip": (b"<html>not a zip</html>",
                  "artifact model-gate-baseline is not a readable zip archive (File is not a zip file) (upload the "
                  "predictions with actions/upload-artifact)"),
}


@pytest.mark.parametrize("case", sorted(ZIPS))
def test_a_hostile_or_broken_archive_is_refused(work, fake_github, capsys, case):
    data, expected = ZIPS[case]
    fake_github.add_workflow_run("model-gate.yml", artifacts={"model-gate-baseline": data})
    _refused(capsys, expected, "--baseline-from-run", "model-gate.yml")
    assert not (work / "etc").exists() and not Path("/tmp/x.csv").exists()


def test_size_limits_hold_for_the_declared_size_and_the_inflated_file(work, fake_github, capsys, monkeypatch):
    """A 1 MB file of zeros compresses to about 1 KB: the inflated size is what counts."""
    bomb = _zip({"b.csv": b"0" * 1_000_000})
    assert len(bomb) < 5000
    fake_github.add_workflow_run("model-gate.yml", artifacts={"model-gate-baseline": bomb})
    monkeypatch.setenv("MODEL_GATE_MAX_BYTES", "100K")
    _refused(capsys, "b.csv in artifact model-gate-baseline is 1,000,000 bytes uncompressed, more than the limit "
                     "of 100 KiB (raise the limit with the environment variable MODEL_GATE_MAX_BYTES, e.g. "
                     "MODEL_GATE_MAX_BYTES=400K)", "--baseline-from-run", "model-gate.yml")
    monkeypatch.setenv("MODEL_GATE_MAX_BYTES", "1K")
    run = fake_github.workflow_runs["model-gate.yml"][-1]
    _refused(capsys, f"artifact model-gate-baseline of run {run['id']} of model-gate.yml is {len(bomb):,} bytes, more "
                     "than the limit of 1 KiB (raise the limit with the environment variable MODEL_GATE_MAX_BYTES, "
                     "e.g. MODEL_GATE_MAX_BYTES=4K)", "--baseline-from-run", "model-gate.yml")


def test_a_download_longer_than_declared_is_cut_at_the_limit(work, fake_github, capsys, monkeypatch):
    """The artifact claims 10 bytes; the blob is 40 KB of incompressible bytes: reading stops at the limit."""
    noise = random.Random(1).randbytes(40_000)
    fake_github.add_workflow_run("model-gate.yml", declared_size=10, artifacts={"model-gate-baseline": _zip({"b.csv": noise})})
    monkeypatch.setenv("MODEL_GATE_MAX_BYTES", "16K")
    _refused(capsys, "the download of artifact model-gate-baseline exceeds the limit of 16 KiB (raise the limit with "
                     "the environment variable MODEL_GATE_MAX_BYTES, e.g. MODEL_GATE_MAX_BYTES=64K)",
             "--baseline-from-run", "model-gate.yml")


def test_an_unknown_workflow_names_the_request(work, fake_github, capsys):
    code, _, err = _check(capsys, "--baseline-from-run", "nope.yml")
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("model-gate: error: --baseline-from-run nope.yml:model-gate-baseline: the GitHub API "
                          "refused: GET ") and "/actions/workflows/nope.yml/runs: HTTP 404: Not Found" in err


def test_outside_github_and_with_both_options_are_usage_errors(tmp_path, monkeypatch, capsys, work):
    code, _, err = _check(capsys, "--baseline", "examples/affairs/baseline.csv", "--baseline-from-run", "x.yml")
    assert (code, err) == (2, "model-gate: error: command line: give --baseline or --baseline-from-run, not both\n")
    for key in ("GITHUB_REPOSITORY", "INPUT_GITHUB_TOKEN", "GITHUB_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    code, _, err = _check(capsys, "--baseline-from-run", "model-gate.yml")
    assert (code, err) == (2, f"model-gate: error: {SOURCE}: needs GitHub Actions: GITHUB_REPOSITORY and a token "
                              "(GITHUB_TOKEN) are not set (run it in a workflow with `actions: read` permission, or "
                              "pass --baseline FILE)\n")
    code, _, err = _check(capsys, "--baseline-from-run", "a/b.yml")
    assert code == 2 and "is not WORKFLOW[:ARTIFACT]" in err
