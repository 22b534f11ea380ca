"""``--out-dir``: write every report format at once."""

from __future__ import annotations

import os
from pathlib import Path

from gate.render import html, json_report, junit, markdown
from gate.report import Report

FILES = {"json": "report.json", "markdown": "report.md", "junit": "junit.xml", "html": "report.html"}


def _write(path: Path, text: str) -> None:
    """UTF-8, LF line endings, replaced atomically (a reader never sees half a file)."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, path)


def write_all(report: Report, out_dir: str | os.PathLike[str], *, chart: str = "mermaid",
              policy_file: str | None = None, plots: bool | None = None) -> dict[str, Path]:
    """Write report.json, report.md, junit.xml and report.html into ``out_dir`` (created if needed).
    Returns ``{"json": path, "markdown": path, "junit": path, "html": path}``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    texts = {
        "json": json_report.render(report),
        "markdown": markdown.render(report, chart=chart),
        "junit": junit.render(report, policy_file=policy_file),
        "html": html.render(report, plots=plots),
    }
    paths: dict[str, Path] = {}
    for key, text in texts.items():
        p = out / FILES[key]
        _write(p, text)
        paths[key] = p
    return paths
