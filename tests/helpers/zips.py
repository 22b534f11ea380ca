"""Zip archives for the artifact tests (tests/test_baseline_from_run.py, tests/test_publish_artifact.py)."""

from __future__ import annotations

import io
import stat
import zipfile


def zip_bytes(files: dict[str, bytes], *, symlink: str | None = None) -> bytes:
    """A deflated zip holding ``files`` (name → bytes); the entry named ``symlink`` is marked a symlink."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            if name == symlink:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()
