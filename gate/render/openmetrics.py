"""OpenMetrics 1.0 text (``model-gate check --openmetrics FILE``, ``Report.to_openmetrics()``): every
gate's values as labelled gauges, for a Pushgateway, GitLab's ``artifacts:reports:metrics`` or any
Prometheus-compatible scraper, so the SLOs a policy gates on also show on the team's dashboards.

Families (each with ``# HELP`` and ``# TYPE … gauge``; the file ends with ``# EOF``)::

    model_gate_verdict{policy, verdict}                         1 for the report's verdict, 0 for the other
    model_gate_gate_status{policy, gate, metric, class, slice, status}   1 for the gate's status, 0 otherwise
    model_gate_candidate / _candidate_lower / _candidate_upper{policy, gate, metric, class, slice}
    model_gate_baseline / _baseline_lower / _baseline_upper{…}  (gates with a baseline)
    model_gate_delta / _delta_lower / _delta_upper{…}           (candidate − baseline)
    model_gate_tested_lower / _tested_upper{…}                  the decision interval of the tested quantity
    model_gate_threshold{…, quantity, op}                       the bar on that quantity
    model_gate_bar{…, kind}                                     the bar as written in the policy
    model_gate_examples{…}                                      labeled candidate examples in the gate's subset

Rules: ``class`` is ``""`` for a gate without one; ``slice`` is ``column=value`` pairs joined by
``,`` (``""`` without). The ``gate`` label (the unique gate id) keeps every series distinct. Label
values are the exact names (as in report.json), escaped as the exposition format requires (``\\``,
``"`` and line feed); a lone surrogate, which no UTF-8 file can hold, becomes U+FFFD. A value that is
undefined (a metric with no positives, no interval) has no sample rather than a NaN, so a dashboard
shows a gap. Numbers are rounded to 12 significant digits, as in report.json; there are no timestamps (the scraper or
the Pushgateway adds its own), so the text is byte-identical for the same report. Only gauges and
comments are written, which makes the file valid Prometheus text format 0.0.4 too (``# EOF`` is a
comment there).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import TypeGuard

from gate.report.model import Estimate, GateResult, Report

PREFIX = "model_gate_"
STATUSES = ("pass", "fail", "inconclusive")
VERDICTS = ("pass", "fail")
_SURROGATE = re.compile("[\ud800-\udfff]")

Labels = list[tuple[str, str]]


def label_value(value: str) -> str:
    """A label value inside double quotes: backslash, double quote and line feed escaped (the only
    escapes OpenMetrics has), a lone surrogate replaced by U+FFFD; everything else as it is."""
    value = _SURROGATE.sub("\ufffd", value)
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def number(value: float) -> str:
    """A sample value rounded to 12 significant digits, as report.json rounds it (so both files show
    the same number on every platform): integers without a fraction, others in shortest form."""
    rounded = float(f"{float(value):.12g}")
    if rounded.is_integer() and abs(rounded) < 2**53:
        return str(int(rounded))
    return repr(rounded)


def sample(name: str, labels: Labels, value: float) -> str:
    inner = ",".join(f'{key}="{label_value(v)}"' for key, v in labels)
    return f"{PREFIX}{name}{{{inner}}} {number(value)}"


def gate_labels(report: Report, g: GateResult) -> Labels:
    """The labels every per-gate family carries."""
    sliced = ",".join(f"{k}={v}" for k, v in (g.slice or {}).items())
    return [("policy", report.policy_name), ("gate", g.id), ("metric", g.metric), ("class", g.class_name or ""),
            ("slice", sliced)]


def _getters(part: str) -> tuple[Callable[[GateResult], float | None], ...]:
    """Getters of the value, lower end and upper end of the gate's estimate ``part`` (``candidate``,
    ``baseline``, ``delta``, ``tested``); None when it is undefined or missing."""
    def estimate(g: GateResult) -> Estimate | None:
        e: Estimate | None = getattr(g, part)
        return e

    def value(g: GateResult) -> float | None:
        e = estimate(g)
        return None if e is None else e.value

    def end(i: int) -> Callable[[GateResult], float | None]:
        def get(g: GateResult) -> float | None:
            e = estimate(g)
            return None if e is None or e.ci is None else e.ci[i]
        return get

    return value, end(0), end(1)


def _interval_families() -> list[tuple[str, str, Callable[[GateResult], float | None]]]:
    """(name, help, getter) of the value and interval-end gauges of candidate, baseline and delta,
    then the decision interval's ends."""
    out = []
    for name, what in (("candidate", "the candidate's metric"), ("baseline", "the baseline's metric"),
                       ("delta", "candidate minus baseline")):
        value, lower, upper = _getters(name)
        out += [(name, f"Point estimate of {what}.", value),
                (f"{name}_lower", f"Lower end of the nominal two-sided confidence interval of {what}.", lower),
                (f"{name}_upper", f"Upper end of the nominal two-sided confidence interval of {what}.", upper)]
    _, lower, upper = _getters("tested")
    tested = "the decision interval of the tested quantity (see model_gate_threshold)"
    out += [("tested_lower", f"Lower end of {tested}.", lower), ("tested_upper", f"Upper end of {tested}.", upper)]
    return out


def _family(name: str, help_text: str, samples: list[str]) -> Iterator[str]:
    yield f"# HELP {PREFIX}{name} {help_text}"
    yield f"# TYPE {PREFIX}{name} gauge"
    yield from samples


def _defined(x: float | None) -> TypeGuard[float]:
    return x is not None and math.isfinite(x)


def lines(report: Report) -> Iterator[str]:
    """Every line of the exposition, in a fixed order: families as listed in the module docstring,
    gates in policy order within each."""
    policy = [("policy", report.policy_name)]
    yield from _family("verdict", "1 for the report's verdict (pass: no blocking gate failed).",
                       [sample("verdict", policy + [("verdict", v)], int(report.verdict == v)) for v in VERDICTS])
    yield from _family("gate_status", "1 for the gate's status (pass, fail or inconclusive), 0 for the others.",
                       [sample("gate_status", gate_labels(report, g) + [("status", s)], int(g.status == s))
                        for g in report.gates for s in STATUSES])
    for name, help_text, get in _interval_families():
        values = [(g, get(g)) for g in report.gates]
        yield from _family(name, help_text, [sample(name, gate_labels(report, g), v)
                                             for g, v in values if _defined(v)])
    yield from _family("threshold", "The bar on the tested quantity: passing requires quantity op threshold.",
                       [sample("threshold", gate_labels(report, g) + [("quantity", g.quantity), ("op", g.op)],
                               g.threshold) for g in report.gates if _defined(g.threshold)])
    yield from _family("bar", "The gate's bar as written in the policy (kind: min, max, max_drop, ...).",
                       [sample("bar", gate_labels(report, g) + [("kind", g.bar.kind)], g.bar.value)
                        for g in report.gates if _defined(g.bar.value)])
    yield from _family("examples", "Labeled candidate examples in the gate's subset.",
                       [sample("examples", gate_labels(report, g), g.n) for g in report.gates])
    yield "# EOF"


def render(report: Report) -> str:
    """The OpenMetrics text (UTF-8, LF line endings, ending with ``# EOF`` and a line feed)."""
    return "\n".join(lines(report)) + "\n"
