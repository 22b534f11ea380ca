"""Where ``check`` and ``publish`` may write, decided before anything is read, and stale reports.

Output rules (each broken rule is a :class:`UsageError`: one line, exit 2, nothing written):

- an output (the four reports in ``--out-dir``, ``--comment-file``, ``--openmetrics``, ``--codequality``,
  ``--dotenv``) never names an input
  (``--policy``, ``--candidate``, ``--baseline``, publish's ``--report``): not the same path once
  symlinks are resolved, and not the same file through a hard link;
- ``--out-dir``, when it exists, is a directory, and no report name inside it is a directory;
- ``--comment-file``, ``--openmetrics``, ``--codequality`` and ``--dotenv`` are not directories;
- no two outputs are the same file.

Stale reports: a run of ``check`` that ends without a verdict (exit 2, an internal error, an interrupt)
must not leave the previous run's ``report.json`` / ``report.md`` / ``junit.xml`` / ``report.html``,
``--comment-file``, ``--openmetrics`` or ``--codequality`` behind for a later CI step to trust. :func:`forget_reports` deletes them (files and
symlinks only, never an input), at the start of every ``check`` and again when it stops with an error.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

from gate.atomic import OutputError, remove_files
from gate.errors import UsageError

INPUT_OPTIONS = {"policy": "--policy", "candidate": "--candidate", "baseline": "--baseline",
                 "report": "--report"}


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when ``a`` and ``b`` name one file: equal resolved paths (works for files that do not
    exist yet), or :func:`os.path.samefile` (hard links, bind mounts)."""
    if os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b)):
        return True
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def same_entry(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when ``a`` and ``b`` are one directory entry (their directories resolved, the names
    themselves not): two outputs that are symlinks to one file are still two outputs, since a write
    replaces the link rather than following it."""
    def entry(p: str | os.PathLike[str]) -> str:
        path = os.path.abspath(p)
        return os.path.normcase(os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path)))
    return entry(a) == entry(b)


def inputs_of(args: argparse.Namespace) -> dict[str, str]:
    """``{option: path}`` of the input files given on the command line."""
    return {opt: getattr(args, name) for name, opt in INPUT_OPTIONS.items() if getattr(args, name, None)}


def report_paths(out_dir: str | None) -> list[Path]:
    """The report files ``--out-dir`` holds (none without it). The renderers' module is imported
    here, not at the top, so building the parser loads no renderer."""
    from gate.render.outputs import FILES

    return [Path(out_dir) / name for name in FILES.values()] if out_dir else []


def outputs_of(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """``(option, path)`` of every file the command may write."""
    out_dir = getattr(args, "out_dir", None)
    outs = [("--out-dir", p) for p in report_paths(out_dir)]
    for name, opt in (("comment_file", "--comment-file"), ("openmetrics", "--openmetrics"),
                      ("codequality", "--codequality"), ("dotenv", "--dotenv")):
        if getattr(args, name, None):
            outs.append((opt, Path(getattr(args, name))))
    return outs


def _input_named(path: Path, inputs: dict[str, str]) -> str | None:
    return next((opt for opt, p in inputs.items() if same_file(path, p)), None)


def _check_out_dir(out_dir: str, inputs: dict[str, str]) -> None:
    """``--out-dir``: a directory or nothing yet (not a file, not a link to nothing), and no report
    name in it taken by a directory. ``os.path`` tests are used: they never raise, even for a name
    too long for the filesystem (that one fails later, when writing, with the system's reason)."""
    where = f"--out-dir {out_dir}"
    if os.path.islink(out_dir) and not os.path.exists(out_dir):
        raise UsageError(f"is a symlink to {os.readlink(out_dir)}, which does not exist", source="command line",
                         where=where, fix="create the directory it points to, or pass another --out-dir")
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        opt = _input_named(Path(out_dir), inputs)
        what = f"is the {opt} file" if opt else "is a file"
        raise UsageError(f"{what}, not a directory", source="command line", where=where,
                         fix="pass a directory for the reports; it is created when missing")
    for path in report_paths(out_dir):
        if os.path.isdir(path):
            raise UsageError(f"{path} is a directory, so {path.name} cannot be written there",
                             source="command line", where=where,
                             fix="remove that directory or choose another --out-dir")


def check_outputs(args: argparse.Namespace) -> None:
    """Raise :class:`UsageError` when an output breaks one of the module's rules."""
    inputs = inputs_of(args)
    if getattr(args, "out_dir", None):
        _check_out_dir(args.out_dir, inputs)
    seen: list[tuple[str, Path]] = []
    for opt, path in outputs_of(args):
        shown = f"{opt} {args.out_dir}" if opt == "--out-dir" else f"{opt} {path}"
        clash = _input_named(path, inputs)
        if clash:
            name = f"{path} " if opt == "--out-dir" else ""
            raise UsageError(f"{name}is the {clash} file; an output never overwrites an input",
                             source="command line", where=shown, fix=f"choose another path for {opt}")
        if opt != "--out-dir" and os.path.isdir(path):
            raise UsageError("is a directory", source="command line", where=shown,
                             fix=f"give {opt} a file path")
        twin = next((o for o, p in seen if same_entry(p, path)), None)
        if twin:
            raise UsageError(f"{path} is also written by {twin}", source="command line", where=shown,
                             fix="give each output its own path")
        seen.append((opt, path))


def writable_output(args: argparse.Namespace, path: str | os.PathLike[str]) -> bool:
    """False when ``path`` is also one of the command's inputs (so nothing may be written there)."""
    return _input_named(Path(path), inputs_of(args)) is None


def forget_reports(args: argparse.Namespace, *, strict: bool = False) -> list[Path]:
    """Delete the reports a previous run left in ``--out-dir`` and the ``--comment-file``, ``--openmetrics`` and
    ``--codequality`` files (regular
    files and symlinks only; never a path that is also an input). Returns what was deleted. With
    ``strict`` (the start of a run), a report that cannot be deleted is a :class:`UsageError`: the run
    stops before it could leave a stale report looking like its own."""
    stale = report_paths(getattr(args, "out_dir", None))
    for name in ("comment_file", "openmetrics", "codequality"):
        if getattr(args, name, None):
            stale.append(Path(getattr(args, name)))
    try:
        return remove_files((p for p in stale if writable_output(args, p)), strict=strict)
    except OutputError as exc:
        raise UsageError(f"cannot remove the previous run's file ({exc.strerror})", source=str(exc.filename),
                         fix="make it removable: a stale report must not outlive a new run") from None


def lenient_check_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """The path options of a ``check`` command line, read leniently: also one that argparse refused
    (an unknown option, a missing value elsewhere), so its stale reports can still be forgotten.
    None when it names no output. Accepts the real parser's abbreviations, ignores everything else."""
    parser = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    for opt in ("--policy", "--candidate", "--baseline", "--out-dir", "--comment-file", "--openmetrics",
                "--codequality", "--dotenv"):
        parser.add_argument(opt)
    try:
        args, _ = parser.parse_known_args(list(argv[1:]))
    except (argparse.ArgumentError, SystemExit):
        return None
    return args if args.out_dir or args.comment_file or args.openmetrics or args.codequality or args.dotenv else None
