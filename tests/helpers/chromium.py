"""Headless Chromium for the rendering tests: the binary (None when not installed), a run of one
page, and the console errors it logged."""

from __future__ import annotations

import subprocess
from pathlib import Path

from scripts.comment_page import chromium

CHROMIUM = chromium()
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]


def run_chromium(page: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=90)


def console_errors(stderr: str) -> list[str]:
    """Console messages and page errors Chromium logs with --enable-logging=stderr."""
    return [ln for ln in stderr.splitlines()
            if "CONSOLE" in ln or "Uncaught" in ln or "Refused to" in ln or "Content Security Policy" in ln]
