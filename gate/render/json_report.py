"""``report.json``: the documented, versioned serialisation of :class:`gate.report.Report`
(see ``docs/report-schema.md``). Deterministic: key order is the data model's, floats are already
rounded by ``Report.to_dict``."""

from __future__ import annotations

import json

from gate.report import Report


def render(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
