"""GitLab's equivalent of the annotations: a Code Quality report (``model-gate check --codequality FILE``,
for ``artifacts:reports:codequality``), so the merge request shows each failed or inconclusive gate
as a finding on its line of the policy file.

One finding per annotation (:func:`gate.render.annotations.render`: the same gates, worst first, the
same words), in GitLab's format: ``{description, check_name, fingerprint, severity, location: {path,
lines: {begin}}}``. A blocking failure is ``major``, anything else that did not pass ``minor``.
``fingerprint`` is the SHA-256 of the policy name and the gate id, so GitLab recognises the same
finding across pipelines. The path is the policy path as recorded (relative to the project directory
when the job passed a relative ``--policy``, as the component does); line 1 when the gate's line is
unknown. Plain JSON: no BOM, UTF-8, untrusted names kept exact (GitLab escapes them when it shows
them), invisible characters written as JSON escapes as in report.json.
"""

from __future__ import annotations

import hashlib
import json

from gate.render import annotations as annotation_lines
from gate.render.json_report import escape_invisible
from gate.report.model import Report

SEVERITY = {"error": "major", "warning": "minor"}


def findings(report: Report) -> list[dict[str, object]]:
    """The report's findings, in annotation order."""
    path = annotation_lines.policy_file(report.reproducibility.policy_path) or report.reproducibility.policy_path
    out: list[dict[str, object]] = []
    for g, ann in annotation_lines.annotated(report):
        digest = hashlib.sha256(f"{report.policy_name}\x00{g.id}".encode("utf-8", "surrogatepass")).hexdigest()
        out.append({"description": f"{ann.title}: {ann.message}", "check_name": f"model-gate/{g.metric}",
                    "fingerprint": digest, "severity": SEVERITY[ann.level],
                    "location": {"path": path, "lines": {"begin": ann.line or 1}}})
    return out


def render(report: Report) -> str:
    """The gl-code-quality.json text (a JSON array; ``[]`` when every gate passed)."""
    return escape_invisible(json.dumps(findings(report), indent=2, ensure_ascii=False) + "\n")
