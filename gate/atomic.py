"""All-or-nothing file writes: ``--out-dir``'s reports, ``--comment-file``, ``--dotenv``.

:func:`write_files` stages every file under a temporary directory created *inside* the file's own
directory (so the final rename never crosses a filesystem, even when the directory is a mount point),
and only when every file has been written completely moves each one into place with
:func:`os.replace`. Any failure (a full disk, a quota, an unwritable directory, a name taken by a
directory) removes the staging directories and every file already moved, and raises
:class:`OutputError`: no half-written or mixed set of files is left behind.

``os.replace`` swaps the directory entry: a symlink or hard link at the target is replaced, never
written through, so an output can never overwrite the file a link points to (a symlink planted in a
checkout cannot redirect a report onto another file). Streams (:func:`is_stream`: ``/dev/stdout``, a
FIFO, ``/dev/null``) are written in place, after staging and before the renames.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

STAGING_PREFIX = ".model-gate-"


class OutputError(OSError):
    """An output could not be written; ``filename`` is the output it was about, ``strerror`` why."""


PSEUDO_FILESYSTEMS = ("/dev/", "/proc/")


def is_stream(path: Path) -> bool:
    """True for a target written in place, never replaced: a path given under ``/dev/`` or ``/proc/``
    (``/dev/stdout`` may point at a regular file when stdout is redirected, and replacing that
    symlink would break ``/dev``), or a FIFO, socket or character device *itself*. Symlinks are not
    followed here: a link planted at an output path (``out/report.json -> /dev/sda``) is an ordinary
    target, replaced by the new file."""
    if os.path.abspath(path).startswith(PSEUDO_FILESYSTEMS):
        return True
    try:
        mode = path.lstat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)


_OWN_FD = re.compile(r"/dev/(?:fd/(\d+)|(stdout)|(stderr))|/proc/self/fd/(\d+)")


def _write_stream(path: Path, text: str) -> None:
    """Write to a stream target. This process's own descriptors (``/dev/stdout``, ``/dev/fd/2``, ...)
    are written through the open streams, in order with everything else printed, rather than
    reopened (a second open of a redirected stdout would start at offset 0 and overwrite it)."""
    m = _OWN_FD.fullmatch(os.path.abspath(path))
    fd = None if m is None else 1 if m.group(2) else 2 if m.group(3) else int(m.group(1) or m.group(4))
    if fd in (1, 2):
        stream = sys.stdout if fd == 1 else sys.stderr
        stream.write(text)
        stream.flush()
    elif fd is not None:
        os.write(fd, text.encode("utf-8", errors="replace"))
    else:
        _write_text(path, text, mode="a")


def _fail(path: Path, exc: OSError) -> OutputError:
    return OutputError(exc.errno, exc.strerror or str(exc), str(path))


def _write_text(path: Path, text: str, mode: str = "x") -> None:
    """UTF-8 with LF line endings. A lone surrogate (an undecodable byte of a file name that no
    renderer replaced) becomes ``?`` rather than an exception halfway through the set."""
    with open(path, mode, encoding="utf-8", errors="replace", newline="\n") as fh:
        fh.write(text)


class _Staging:
    """Files written under temporary names, then moved into place together (or all removed)."""

    def __init__(self) -> None:
        self.dirs: dict[Path, Path] = {}          # target directory -> its staging directory
        self.staged: list[tuple[Path, Path]] = []  # (temporary file, target)
        self.moved: list[Path] = []

    def _staging_dir(self, parent: Path, target: Path) -> Path:
        if parent not in self.dirs:
            try:
                parent.mkdir(parents=True, exist_ok=True)
                self.dirs[parent] = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=parent))
            except OSError as exc:
                raise _fail(target, exc) from None
        return self.dirs[parent]

    def stage(self, target: Path, text: str) -> None:
        if os.path.isdir(target) and not os.path.islink(target):  # os.path: never raises
            raise OutputError(errno.EISDIR, "is a directory", str(target))
        tmp = self._staging_dir(target.parent, target) / target.name
        try:
            _write_text(tmp, text)
        except OSError as exc:
            raise _fail(target, exc) from None
        self.staged.append((tmp, target))

    def commit(self) -> None:
        for tmp, target in self.staged:
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise _fail(target, exc) from None
            self.moved.append(target)

    def cleanup(self, *, failed: bool) -> None:
        """Remove the staging directories; after a failure also every target already moved."""
        for target in self.moved if failed else ():
            try:
                target.unlink()
            except OSError:
                pass
        for tmp_dir in self.dirs.values():
            shutil.rmtree(tmp_dir, ignore_errors=True)


def write_files(files: Mapping[Path, str]) -> None:
    """Write every ``path → text`` or none of them (see the module docstring). Stream targets are
    written after every regular file is staged and before any is moved into place, so a failing
    stream (``/dev/full``) also leaves nothing. Raises :class:`OutputError`."""
    staging = _Staging()
    failed = True
    try:
        streams = {p: t for p, t in files.items() if is_stream(p)}
        for path, text in files.items():
            if path not in streams:
                staging.stage(path, text)
        for path, text in streams.items():
            try:
                _write_stream(path, text)
            except OSError as exc:
                raise _fail(path, exc) from None
        staging.commit()
        failed = False
    finally:
        staging.cleanup(failed=failed)


def remove_files(paths: Iterable[Path], *, strict: bool = False) -> list[Path]:
    """Delete the regular files and symlinks among ``paths`` (never a directory, never a stream, so
    never ``/dev/stdout``); return the ones removed. Missing files are skipped; a file that cannot be
    deleted raises :class:`OutputError` when ``strict`` (it would outlive the run) and is ignored
    otherwise (cleanup after an error must not hide that error)."""
    removed = []
    for path in paths:
        try:
            mode = path.lstat().st_mode
        except OSError:  # nothing there (or a name no file can have): nothing stale
            continue
        if is_stream(path) or not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
            continue
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            if strict:
                raise _fail(path, exc) from None
    return removed
