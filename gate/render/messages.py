"""Gate messages: one plain-text sentence per gate saying what was measured, its interval, the bar and
why. Numbers use fixed, platform-stable formatting. Renderers escape the sentence (it holds class names).
"""

from __future__ import annotations

import math

from gate.inference.decide import Check, Decision
from gate.policy.expand import Expanded
from gate.report.model import Estimate


def fmt(x: float | None) -> str:
    """Fixed, platform-stable number formatting for messages."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if x != 0 and abs(x) < 0.001:
        return f"{x:.2e}"
    return f"{x:.3f}" if abs(x) < 1000 else f"{x:,.0f}"


def _interval_text(value: float | None, ci: tuple[float, float] | None, percent: bool = False) -> str:
    if percent:
        scale = 100.0
        to = lambda v: "n/a" if v is None or not math.isfinite(v) else f"{v * scale:+.1f}%"  # noqa: E731
    else:
        to = fmt
    text = to(value)
    if ci is not None:
        text += f" [{to(ci[0])}, {to(ci[1])}]"
    return text


def gate_message(g: Expanded, d: Decision, tested: Estimate, check: Check, nominal: tuple[float, float] | None = None,
                 multiple_testing: str = "none") -> str:
    """One plain-text sentence: what was measured, its interval (nominal level, as in the tables), the
    bar, and the verdict's reason. When only the multiple-testing adjustment kept a gate from failing,
    the sentence says so."""
    if check.forced is not None:
        return f"{g.label}: not decided, {check.forced[1]}"
    kind, bar = g.spec.bar_kind, g.spec.bar_value
    ci = nominal if nominal is not None else d.ci
    value = _interval_text(tested.value, ci, percent=kind == "max_relative_drop")
    if kind in ("min", "max"):
        noun = "floor" if kind == "min" else "ceiling"
        side = {"pass": "above" if kind == "min" else "below",
                "fail": "below" if kind == "min" else "above"}.get(d.status, "not clearly " + ("above" if kind == "min" else "below"))
        text = f"{g.label} {value} is {side} the {fmt(bar)} {noun}"
    elif kind == "max_drop":
        allowed = f"the allowed drop of {fmt(bar)}"
        text = {"pass": f"{g.label} change vs baseline {value} stays within {allowed}",
                "fail": f"{g.label} change vs baseline {value} drops by more than {allowed}"}.get(
            d.status, f"{g.label} change vs baseline {value} may exceed {allowed}")
    elif kind == "max_relative_drop":
        allowed = f"the allowed relative drop of {bar * 100:.1f}%"
        text = {"pass": f"{g.label} relative change vs baseline {value} stays within {allowed}",
                "fail": f"{g.label} relative change vs baseline {value} drops by more than {allowed}"}.get(
            d.status, f"{g.label} relative change vs baseline {value} may exceed {allowed}")
    else:
        text = {"pass": f"{g.label} gain vs baseline {value} reaches the required {fmt(bar)}",
                "fail": f"{g.label} gain vs baseline {value} falls short of the required {fmt(bar)}"}.get(
            d.status, f"{g.label} gain vs baseline {value} may fall short of the required {fmt(bar)}")
    if d.status == "inconclusive":
        missed_nominally = ci is not None and (ci[1] < check.threshold if check.op == ">=" else ci[0] > check.threshold)
        if missed_nominally and multiple_testing != "none":
            text += (f"; it misses the bar at the nominal level but not after the {multiple_testing} adjustment "
                     f"for the policy's blocking gates (adjusted interval {_interval_text(tested.value, d.ci)})")
        else:
            text += "; the data cannot tell yet"
    return text
