"""Outputs are all or nothing, never stale, and never land on an input.

- a run that stops without a verdict (input error, usage error, a full disk) leaves no report.json,
  report.md, junit.xml, report.html, comment file or OpenMetrics file behind, not even the previous run's;
- a failed write (full disk via RLIMIT_FSIZE, /dev/full, an unwritable directory) is exit 2 with one
  line, and leaves neither half-written files nor staging directories;
- symlinks and hard links at an output path never redirect a write onto another file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gate import atomic
from gate.cli.main import main
from tests.helpers.inputs import binary_csv, policy

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ("report.json", "report.md", "junit.xml", "report.html")
CHECK = ["check", "--policy", "policy.yml", "--candidate", "cand.csv", "--out-dir", "out"]


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A directory with a valid policy and candidate, as the cwd; CI variables removed."""
    for key in [k for k in os.environ if k.startswith(("GITHUB_", "GITLAB_", "CI_"))] + ["CI"]:
        monkeypatch.delenv(key, raising=False)
    (tmp_path / "policy.yml").write_text(policy("  - metric: recall\n    min: 0.1\n"), encoding="utf-8")
    (tmp_path / "cand.csv").write_text(binary_csv(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err


def _left(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir()) if out.exists() else []


def _previous_pass(work: Path, capsys) -> None:
    """A passing run whose reports a later CI step would trust, plus a file of the user's own."""
    assert _run(capsys, *CHECK, "--comment-file", "comment.md", "--openmetrics", "metrics.txt",
                "--codequality", "cq.json")[0] == 0
    assert (work / "metrics.txt").read_text(encoding="utf-8").endswith("# EOF\n")
    assert (work / "cq.json").read_text(encoding="utf-8") == "[]\n"
    assert json.loads((work / "out" / "report.json").read_text())["verdict"] == "pass"
    (work / "out" / "notes.txt").write_text("mine", encoding="utf-8")


@pytest.mark.parametrize("breakage", ["bad-candidate", "bad-policy", "unknown-option", "missing-value",
                                      "report-json-dir"])
def test_an_error_leaves_no_previous_report(work, capsys, breakage):
    _previous_pass(work, capsys)
    args = [*CHECK, "--comment-file", "comment.md", "--openmetrics", "metrics.txt", "--codequality", "cq.json"]
    if breakage == "bad-candidate":
        (work / "cand.csv").write_text("id,label,score\nr0,1,high\n", encoding="utf-8")
    elif breakage == "bad-policy":
        (work / "policy.yml").write_text("version: 1\nname: [\n", encoding="utf-8")
    elif breakage == "unknown-option":
        args.append("--colour")
    elif breakage == "missing-value":
        args.append("--seed")
    else:
        (work / "out" / "report.json").unlink()
        (work / "out" / "report.json").mkdir()
    code, err = _run(capsys, *args)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    expected = ["notes.txt"] + (["report.json"] if breakage == "report-json-dir" else [])
    assert _left(work / "out") == expected  # the user's own file stays; no report, no staging dir
    assert not (work / "comment.md").exists() and not (work / "metrics.txt").exists()
    assert not (work / "cq.json").exists()
    assert (work / "cand.csv").exists() and (work / "policy.yml").exists()


def test_success_replaces_every_report_and_leaves_no_temporary_files(work, capsys):
    _previous_pass(work, capsys)
    (work / "cand.csv").write_text(binary_csv(label=lambda i: "1"), encoding="utf-8")
    assert _run(capsys, *CHECK)[0] in (0, 1)
    assert _left(work / "out") == sorted(["notes.txt", *REPORTS])
    report = json.loads((work / "out" / "report.json").read_text())
    assert report["data"]["class_support"]["1"] == 40  # the new run's (all positive), not the old one


def _limited_run(work: Path, max_bytes: int, *args: str) -> subprocess.CompletedProcess:
    """model-gate in a child process whose files may not grow past ``max_bytes`` (a full disk as
    the writer sees it: EFBIG, with SIGXFSZ ignored)."""
    code = ("import resource, signal, sys\n"
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            f"resource.setrlimit(resource.RLIMIT_FSIZE, ({max_bytes}, {max_bytes}))\n"
            "from gate.cli.main import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB_", "CI"))}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-c", code, *args], cwd=work, env=env, capture_output=True,
                          text=True, timeout=300)


def test_full_disk_writes_nothing_and_removes_the_previous_reports(work, capsys):
    _previous_pass(work, capsys)
    html_size = (work / "out" / "report.html").stat().st_size
    proc = _limited_run(work, html_size // 2, *CHECK, "--comment-file", "comment.md", "--openmetrics", "metrics.txt")
    assert proc.returncode == 2, proc.stderr
    # report.html (with its inline SVG plots) is the largest file and usually the one that overflows;
    # report.json, written first, overflows instead when the limit falls below it
    assert proc.stderr.startswith(tuple(f"model-gate: error: out/{name}: cannot be written (File too large); "
                                        "no report was written" for name in ("report.html", "report.json"))) \
        and proc.stderr.count("\n") == 1
    assert _left(work / "out") == ["notes.txt"]
    assert not (work / "comment.md").exists() and not (work / "metrics.txt").exists()


def test_a_failing_stream_commits_nothing(work, capsys):
    """``--comment-file /dev/full``: the stream fails after staging, before any report is moved in."""
    code, err = _run(capsys, *CHECK, "--comment-file", "/dev/full")
    assert code == 2
    assert err == ("model-gate: error: /dev/full: cannot be written (No space left on device); no report was "
                   "written (free some space or choose a writable --out-dir / --comment-file / --openmetrics)\n")
    assert _left(work / "out") == []
    assert os.path.exists("/dev/full")


def test_a_stream_is_written_in_place(work, capfd):
    """``--comment-file /dev/stdout`` writes the body to stdout and leaves the /dev symlink alone."""
    before = os.readlink("/dev/stdout")
    assert main([*CHECK, "--comment-file", "/dev/stdout", "--format", "json"]) == 0
    out = capfd.readouterr().out
    assert "<!-- model-gate:v1 key=t " in out and os.readlink("/dev/stdout") == before


def test_unwritable_out_dir(work, capsys):
    code, err = _run(capsys, "check", "--policy", "policy.yml", "--candidate", "cand.csv", "--out-dir", "/proc/self")
    assert code == 2 and err.startswith("model-gate: error: /proc/self/report.json: cannot be written (")
    if os.geteuid() != 0:  # root ignores directory permissions
        (work / "ro").mkdir(mode=0o555)
        code, err = _run(capsys, *CHECK[:-1], "ro")
        assert code == 2 and "cannot be written (Permission denied)" in err
        assert _left(work / "ro") == []


@pytest.mark.parametrize("option", ["--out-dir", "--comment-file"])
def test_a_name_too_long_for_the_filesystem_is_an_error_not_a_crash(work, capsys, option):
    long = "a" * 300
    code, err = _run(capsys, *CHECK[:-2], option, long)
    assert code == 2 and "Traceback" not in err
    assert err.startswith(f"model-gate: error: {long}") and "cannot be written (File name too long)" in err


def test_out_dir_that_is_a_dangling_symlink(work, capsys):
    (work / "out").symlink_to(work / "nowhere")
    code, err = _run(capsys, *CHECK)
    assert (code, err) == (2, f"model-gate: error: command line: --out-dir out: is a symlink to {work / 'nowhere'}, "
                              "which does not exist (create the directory it points to, or pass another --out-dir)\n")


def test_symlinked_report_is_replaced_not_followed(work, capsys):
    """A stale report.json symlink (e.g. planted in a checkout) pointing at some other file: the
    link is replaced by the report, the file it pointed to is untouched."""
    (work / "out").mkdir()
    victims = [work / "victim.txt", work / "other.txt"]
    for victim in victims:
        victim.write_text("precious", encoding="utf-8")
    (work / "out" / "report.json").symlink_to(victims[0])
    (work / "comment.md").symlink_to(victims[1])
    assert _run(capsys, *CHECK, "--comment-file", "comment.md", "--openmetrics", "metrics.txt")[0] == 0
    assert (work / "metrics.txt").read_text(encoding="utf-8").endswith("# EOF\n")
    assert [v.read_text(encoding="utf-8") for v in victims] == ["precious", "precious"]
    assert not (work / "out" / "report.json").is_symlink() and not (work / "comment.md").is_symlink()
    assert json.loads((work / "out" / "report.json").read_text())["verdict"] == "pass"


def test_symlink_to_a_device_is_replaced_not_written_through(work, capsys):
    """``out/report.json -> /dev/full``: followed, the write would fail (or, with a disk device,
    destroy it); it is an ordinary target, so the link itself is replaced."""
    (work / "out").mkdir()
    (work / "out" / "report.json").symlink_to("/dev/full")
    (work / "comment.md").symlink_to("/dev/null")
    assert _run(capsys, *CHECK, "--comment-file", "comment.md", "--openmetrics", "metrics.txt")[0] == 0
    assert (work / "metrics.txt").read_text(encoding="utf-8").endswith("# EOF\n")
    assert not (work / "out" / "report.json").is_symlink() and not (work / "comment.md").is_symlink()
    assert os.path.exists("/dev/full") and os.path.exists("/dev/null")


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_linked_input_is_refused_and_kept(work, capsys, link):
    (work / "out").mkdir()
    make = os.symlink if link == "symlink" else os.link
    make(work / "cand.csv", work / "out" / "junit.xml")
    before = (work / "cand.csv").read_bytes()
    code, err = _run(capsys, *CHECK)
    assert code == 2
    assert err == ("model-gate: error: command line: --out-dir out: out/junit.xml is the --candidate file; an "
                   "output never overwrites an input (choose another path for --out-dir)\n")
    assert (work / "cand.csv").read_bytes() == before and (work / "out" / "junit.xml").exists()


def test_a_stale_report_that_cannot_be_removed_stops_the_run(work, capsys, monkeypatch):
    """Root ignores permissions, so the refusal is simulated at the one call that deletes."""
    _previous_pass(work, capsys)
    real_unlink = Path.unlink

    def refuse(self, *a, **kw):
        if self.name == "junit.xml":
            raise PermissionError(13, "Permission denied", str(self))
        return real_unlink(self, *a, **kw)
    monkeypatch.setattr(Path, "unlink", refuse)
    code, err = _run(capsys, *CHECK)
    assert code == 2
    assert err == ("model-gate: error: out/junit.xml: cannot remove the previous run's file (Permission denied) "
                   "(make it removable: a stale report must not outlive a new run)\n")


def test_write_files_rolls_back_when_a_rename_fails(tmp_path):
    """The last line of defence: a target that turns into a directory between staging and the
    rename. Files already moved are removed again and no staging directory stays."""
    class Racing(dict):
        def items(self):
            yield from super().items()
            (tmp_path / "b.txt").mkdir()
    files = Racing({tmp_path / "a.txt": "a", tmp_path / "b.txt": "b"})
    with pytest.raises(atomic.OutputError) as exc:
        atomic.write_files(files)
    assert exc.value.filename == str(tmp_path / "b.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.txt"]


def test_remove_files_never_touches_streams_or_directories(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "f").write_text("x")
    removed = atomic.remove_files([Path("/dev/stdout"), Path("/dev/null"), tmp_path / "d", tmp_path / "f",
                                   tmp_path / "missing"])
    assert removed == [tmp_path / "f"]
    assert os.path.islink("/dev/stdout") and os.path.exists("/dev/null") and (tmp_path / "d").is_dir()


@pytest.mark.parametrize("out_dir", [".", "linked"])
def test_container_action_opens_up_only_the_files_it_wrote(work, capsys, out_dir):
    """The action makes its outputs writable for later non-root steps, and nothing else: not a
    checkout given as ``out_dir: .`` (its scripts keep their execute bits), not a directory an
    ``out_dir`` symlink points to."""
    from gate.cli import action

    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    if out_dir == "linked":
        (work / "linked").symlink_to(elsewhere)
    scripts = [work / "build.sh", elsewhere / "tool.sh"]
    for script in scripts:
        script.write_text("#!/bin/sh\n")
        script.chmod(0o750)
    env = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(work), "INPUT_POLICY": "policy.yml",
           "INPUT_CANDIDATE": "cand.csv", "INPUT_OUT_DIR": out_dir, "INPUT_COMMENT": "off"}
    assert action.main(["--extra-args", "--comment-file comment.md"], env) == 0
    capsys.readouterr()
    assert [s.stat().st_mode & 0o777 for s in scripts] == [0o750, 0o750]
    written = (work / out_dir).resolve()
    assert [(written / name).stat().st_mode & 0o666 for name in REPORTS] == [0o666] * 4
    assert (work / "comment.md").stat().st_mode & 0o666 == 0o666
