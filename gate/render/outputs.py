"""``--out-dir``: the four report files, rendered together and written all or none
(:func:`gate.atomic.write_files`)."""

from __future__ import annotations

import os
from pathlib import Path

from gate.atomic import write_files
from gate.render import html, json_report, junit, markdown
from gate.report.model import Report

FILES = {"json": "report.json", "markdown": "report.md", "junit": "junit.xml", "html": "report.html"}


def render_all(report: Report, *, chart: str = "mermaid", policy_file: str | None = None,
               plots: bool | None = None) -> dict[str, str]:
    """The four report texts, keyed by their file name in ``--out-dir``."""
    return {
        FILES["json"]: json_report.render(report),
        FILES["markdown"]: markdown.render(report, chart=chart),
        FILES["junit"]: junit.render(report, policy_file=policy_file),
        FILES["html"]: html.render(report, plots=plots),
    }


def write_all(report: Report, out_dir: str | os.PathLike[str], *, chart: str = "mermaid",
              policy_file: str | None = None, plots: bool | None = None) -> dict[str, Path]:
    """Write report.json, report.md, junit.xml and report.html into ``out_dir`` (created if needed),
    all or none (see :func:`gate.atomic.write_files`). Returns ``{"json": path, "markdown": path, ...}``."""
    out = Path(out_dir)
    texts = render_all(report, chart=chart, policy_file=policy_file, plots=plots)
    write_files({out / name: text for name, text in texts.items()})
    return {key: out / name for key, name in FILES.items()}
