"""``report.json``: the documented, versioned serialisation of :class:`gate.report.Report`
(see ``docs/report-schema.md``). Deterministic: key order is the data model's, floats are already
rounded by ``Report.to_dict``."""

from __future__ import annotations

import json
import re

from gate.report import Report


_SURROGATE = re.compile("[\ud800-\udfff]")


def render(report: Report) -> str:
    """The JSON text (UTF-8 characters kept as they are). A lone surrogate, which only an undecodable
    byte in a file name on the command line can bring in, is written as its ``\\uDCxx`` escape: the
    same JSON value, and a file that is valid UTF-8."""
    text = json.dumps(report.to_dict(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
