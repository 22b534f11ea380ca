"""gate/cli/paths.py on its own: which files are one file (symlinks, hard links, not-yet-existing
paths), the output rules of check_outputs (each one's message), forget_reports (files and symlinks
only, never an input), and the lenient reading of a command line argparse refused."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from gate.cli import paths
from gate.errors import UsageError
from gate.render.outputs import FILES


def _args(**kw) -> argparse.Namespace:
    base = dict(policy=None, candidate=None, baseline=None, report=None, out_dir=None, comment_file=None,
                openmetrics=None, codequality=None, dotenv=None)
    return argparse.Namespace(**{**base, **kw})


def test_same_file_sees_symlinks_hard_links_and_paths_not_written_yet(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("x")
    (tmp_path / "link.csv").symlink_to(a)
    os.link(a, tmp_path / "hard.csv")
    assert paths.same_file(a, tmp_path / "link.csv") and paths.same_file(a, tmp_path / "hard.csv")
    assert paths.same_file(tmp_path / "new" / ".." / "later.txt", tmp_path / "later.txt")   # neither exists
    assert not paths.same_file(a, tmp_path / "b.csv")


def test_same_entry_resolves_directories_but_not_the_names(tmp_path):
    """Two outputs that are symlinks to one file are two entries (a write replaces the link)."""
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    assert paths.same_entry(tmp_path / "alias" / "x.md", tmp_path / "real" / "x.md")
    (tmp_path / "t.md").write_text("")
    (tmp_path / "l.md").symlink_to(tmp_path / "t.md")
    assert not paths.same_entry(tmp_path / "l.md", tmp_path / "t.md")


@pytest.mark.invalid_report     # out/report.json is a link to the policy: no report at all
def test_an_output_never_names_an_input(tmp_path):
    policy = tmp_path / "p.yml"
    policy.write_text("x")
    with pytest.raises(UsageError) as err:
        paths.check_outputs(_args(policy=str(policy), comment_file=str(tmp_path / "." / "p.yml")))
    assert "is the --policy file; an output never overwrites an input" in err.value.message
    assert "--comment-file" in err.value.message
    out = tmp_path / "out"
    out.mkdir()
    (out / FILES["json"]).symlink_to(policy)
    with pytest.raises(UsageError, match=r"report.json is the --policy file"):
        paths.check_outputs(_args(policy=str(policy), out_dir=str(out)))


def test_two_outputs_on_one_path_and_directories_are_refused(tmp_path):
    with pytest.raises(UsageError, match="is also written by --comment-file"):
        paths.check_outputs(_args(comment_file=str(tmp_path / "c.md"), openmetrics=str(tmp_path / "c.md")))
    with pytest.raises(UsageError, match="is a directory"):
        paths.check_outputs(_args(dotenv=str(tmp_path)))
    (tmp_path / "f").write_text("")
    with pytest.raises(UsageError, match="is a file, not a directory"):
        paths.check_outputs(_args(out_dir=str(tmp_path / "f")))
    (tmp_path / "o" / FILES["html"]).mkdir(parents=True)
    with pytest.raises(UsageError, match="report.html cannot be written there"):
        paths.check_outputs(_args(out_dir=str(tmp_path / "o")))
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(UsageError, match="which does not exist"):
        paths.check_outputs(_args(out_dir=str(tmp_path / "dangling")))
    paths.check_outputs(_args(out_dir=str(tmp_path / "fresh"), comment_file=str(tmp_path / "c.md")))   # fine


def test_forget_reports_deletes_the_previous_runs_files_but_no_input(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name in FILES.values():
        (out / name).write_text("stale")
    (tmp_path / "c.md").write_text("stale")
    (tmp_path / "metrics.txt").write_text("input!")
    (tmp_path / "keep.txt").write_text("unrelated")
    gone = paths.forget_reports(_args(out_dir=str(out), comment_file=str(tmp_path / "c.md"),
                                      openmetrics=str(tmp_path / "metrics.txt"),
                                      candidate=str(tmp_path / "metrics.txt")))
    assert sorted(p.name for p in gone) == sorted([*FILES.values(), "c.md"])
    assert list(out.iterdir()) == [] and (tmp_path / "metrics.txt").read_text() == "input!"
    assert (tmp_path / "keep.txt").exists()


def test_forget_reports_keeps_a_directory_in_a_reports_place(tmp_path):
    (tmp_path / "out" / FILES["markdown"]).mkdir(parents=True)
    assert paths.forget_reports(_args(out_dir=str(tmp_path / "out"))) == []
    assert (tmp_path / "out" / FILES["markdown"]).is_dir()


def test_the_lenient_reader_finds_outputs_in_a_refused_command_line():
    args = paths.lenient_check_args(["check", "--no-such-flag", "--out-di", "o", "--comment-file=c.md", "x"])
    assert args is not None and (args.out_dir, args.comment_file) == ("o", "c.md")    # abbreviation accepted
    assert paths.lenient_check_args(["check", "--policy", "p.yml"]) is None           # names no output
    assert paths.lenient_check_args(["check", "--out-dir"]) is None                   # no value to trust


def test_report_paths_are_the_four_reports_or_none():
    assert paths.report_paths(None) == []
    assert sorted(p.name for p in paths.report_paths("o")) == sorted(FILES.values())
    assert {p.parent for p in paths.report_paths("o")} == {Path("o")}
