"""The one sentence builder: per gate, what was measured, its interval, the bar and why, worded from
the facts of :class:`gate.report.model.GateResult` (the model holds no sentence).

Every renderer calls it: report.json's ``message`` (:func:`message`, the gate's label as written),
the console, JUnit and annotations (:func:`message_text`, one line) and Markdown and HTML
(:func:`message_segments`, the label's data names marked so each format escapes them its own way;
the rest is our own words and numbers). Numbers use fixed, platform-stable formatting; a relative
drop is shown in percent.

The sentence, by the gate's facts:

- a guard forced it (``guard``): ``<label>: not decided, <why, with its numbers>``;
- else by bar kind and status, e.g. ``<label> 0.870 [0.840, 0.895] is below the 0.900 floor``, with the
  tested interval at the nominal level (``nominal_ci``; ``tested.ci`` when there is none);
- an inconclusive gate adds ``; the data cannot tell yet``, or, when only the multiple-testing
  adjustment kept it from failing (``spared_by``), that it misses the bar at the nominal level and
  its adjusted interval;
- the label coverage gate adds ``(L of N rows labeled)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from gate.render import text as T
from gate.report.model import GateResult, Guard

if TYPE_CHECKING:
    from gate.inference.planning import Plan

NOT_DECIDED = "not decided"


def fmt(x: float | None) -> str:
    """Fixed, platform-stable number formatting for messages: ``0.870``, ``1.20e-04``, ``12,345``;
    ``n/a`` for a missing or non-finite value."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if x != 0 and abs(x) < 0.001:
        return f"{x:.2e}"
    return f"{x:.3f}" if abs(x) < 1000 else f"{x:,.0f}"


def _percent(x: float | None) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x * 100.0:+.1f}%"


def interval_text(value: float | None, ci: tuple[float, float] | None, percent: bool = False) -> str:
    """``0.870 [0.840, 0.895]`` (``-12.5% [-17.0%, -8.0%]`` with ``percent``); the value alone without
    an interval."""
    to: Callable[[float | None], str] = _percent if percent else fmt
    text = to(value)
    if ci is not None:
        text += f" [{to(ci[0])}, {to(ci[1])}]"
    return text


def guard_text(guard: Guard) -> str:
    """Why a guard kept the gate from being decided, with its numbers. A guard without its cause or
    numbers (read from a report older than schema 1.3, which kept only the reason code and the
    sentence) is worded without them."""
    code, cause = guard.code, guard.cause
    if code == "no_examples" and cause:
        return "no judged queries in this subset" if cause == "queries" else "no labeled examples in this subset"
    if code == "min_support" and guard.size is not None:
        what = f"{guard.size} examples of the class" if cause == "class" else f"{guard.size} examples"
        return f"only {what}, below min_support {guard.min_support}; not decided"
    if code == "undefined_resamples" and guard.undefined is not None:
        return (f"undefined in {guard.undefined} of {guard.resamples} resamples ({guard.undefined_share:.1%}); "
                "too few examples to resample reliably")
    if code == "degenerate_resamples" and guard.distinct is not None:
        plural = "s" if guard.distinct != 1 else ""
        return (f"the {guard.resamples} resamples take only {guard.distinct} distinct value{plural}: the bootstrap "
                "cannot measure this uncertainty (too few examples differ)")
    if code == "undefined" and cause in _UNDEFINED:
        return _UNDEFINED[cause]
    return _GUARD_FALLBACK.get(code, code.replace("_", " "))


_UNDEFINED = {
    "no_true_examples": "undefined: the class has no true examples here",
    "one_class": "undefined: ROC-AUC needs both positive and negative examples",
    "zero_denominator": "undefined on this data (a denominator is zero)",
    "no_distribution": "the bootstrap distribution could not be formed",
}
#: a guard's words without its cause and numbers (reports older than schema 1.3 keep only the code)
_GUARD_FALLBACK = {
    "no_baseline": "no baseline to compare with",
    "no_examples": "no labeled examples in this subset",
    "min_support": "too few examples, below min_support; not decided",
    "undefined": "undefined on this data",
    "undefined_resamples": "undefined in too many resamples; too few examples to resample reliably",
    "degenerate_resamples": "the resamples take too few distinct values: the bootstrap cannot measure this uncertainty",
}


def _bar_words(g: GateResult, value: str) -> str:
    """The measured value against the bar, by bar kind and status (pass, fail, else undecided)."""
    kind, bar, status = g.bar.kind, g.bar.value, g.status
    if kind in ("min", "max"):
        noun, above, below = ("floor", "above", "below") if kind == "min" else ("ceiling", "below", "above")
        side = {"pass": above, "fail": below}.get(status, "not clearly " + above)
        return f" {value} is {side} the {fmt(bar)} {noun}"
    if kind in ("max_drop", "max_relative_drop"):
        subject = "change" if kind == "max_drop" else "relative change"
        allowed = (f"the allowed drop of {fmt(bar)}" if kind == "max_drop"
                   else f"the allowed relative drop of {bar * 100:.1f}%")
        verb = {"pass": "stays within", "fail": "drops by more than"}.get(status, "may exceed")
        return f" {subject} vs baseline {value} {verb} {allowed}"
    verb = {"pass": "reaches", "fail": "falls short of"}.get(status, "may fall short of")
    return f" gain vs baseline {value} {verb} the required {fmt(bar)}"


def words(g: GateResult) -> str:
    """The sentence after the gate's label: our own words and numbers only (no data name)."""
    if g.guard is not None:
        text = f": {NOT_DECIDED}, {guard_text(g.guard)}"
    else:
        percent = g.bar.kind == "max_relative_drop"
        ci = g.nominal_ci if g.nominal_ci is not None else g.tested.ci
        text = _bar_words(g, interval_text(g.tested.value, ci, percent))
        if g.status == "inconclusive" and g.spared_by is not None:
            text += (f"; it misses the bar at the nominal level but not after the {g.spared_by} adjustment "
                     f"for the policy's blocking gates (adjusted interval {interval_text(g.tested.value, g.tested.ci)})")
        elif g.status == "inconclusive":
            text += "; the data cannot tell yet"
    if g.labeled is not None:
        text += f" ({g.labeled:,} of {g.n:,} rows labeled)"
    return text


def message(g: GateResult) -> str:
    """The gate's sentence as report.json's ``message`` holds it: the label as written, then
    :func:`words` (JSON escaping is the JSON renderer's)."""
    return g.label + words(g)


def message_text(g: GateResult) -> str:
    """The sentence on one plain line (console, JUnit, annotations): the label made single-line and
    control-free (:func:`gate.render.text.one_line`), then :func:`words`."""
    return T.one_line(g.label) + words(g)


def message_segments(g: GateResult, classes: Sequence[str] = ()) -> list[T.Segment]:
    """The sentence as segments (Markdown, HTML): the label as the gate column shows it
    (:func:`gate.render.text.label_segments`: its data names marked, a confusion gate's predicted
    class looked up in ``classes``; a label of other characters without data names, as a user's gate
    name may be, one name), then :func:`words` as our own text."""
    return [*T.label_segments(g, classes), T.Segment(words(g))]


def plan_remark(remark: str, g: GateResult) -> str:
    """``model-gate plan``'s line for a gate whose figures are missing or qualified
    (:attr:`gate.inference.planning.GatePlan.remark`), on one line; ``""`` for none."""
    if remark == "no_interval":
        return f"no interval ({g.reason}): {message_text(g)}"
    if remark == "guarded":
        return f"{g.reason}: {message_text(g)}"
    if remark == "no_spread":
        return "the interval has no spread on one side: no power figures"
    return ""


def plan_cluster_note(plan: Plan) -> str:
    """``model-gate plan``'s line on what its figures assume with clusters (new data as new clusters
    of the current mean size, :attr:`gate.inference.planning.Plan.rows_per_cluster`); ``""`` without."""
    size = plan.rows_per_cluster
    if size is None:
        return ""
    r = plan.report.reproducibility
    return (f"clusters: the intervals resample {r.clusters:,} clusters of {r.cluster} (about {size:.1f} labeled "
            "rows each), so they carry the design effect of correlated rows; N FOR POWER counts clusters, "
            "and holds if the new clusters are like today's; more rows in the same clusters decide less")
