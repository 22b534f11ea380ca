"""JUnit XML renderer (``junit.xml``) for GitLab's test report, dorny/test-reporter,
mikepenz/action-junit-report, EnricoMi and Jenkins.

Shape (the intersection those tools accept, valid against the Jenkins/Surefire ``junit-10.xsd``)::

    <testsuites name="model-gate" tests= failures= errors= time=<run seconds>>
      <testsuite name="model-gate.<policy>" tests= failures= errors= skipped= time=<run seconds> timestamp=<run start>>
        <properties>…policy, verdict, seed…</properties>
        <testcase classname="model-gate.<policy>" name="<gate label> <bar>" time="0">
          <failure message="…" type="ThresholdNotMet">same text + details</failure>

Mapping of a gate:

* pass → a plain ``<testcase>``;
* fail, severity error → ``<failure type="ThresholdNotMet">``; when the tested value could not be
  computed → ``<error type="MetricUndefined">``;
* inconclusive, severity error → ``<failure type="Inconclusive">`` when the policy's
  ``decision.inconclusive`` is ``fail``, else ``<skipped>`` with the reason (override with
  ``inconclusive_as``);
* any non-passing gate of severity warning → ``<skipped message="warning: …">``: it is reported but,
  like in the verdict, never turns the test report red.

Every ``<failure>``/``<error>``/``<skipped>`` carries its message both as attribute and as element
text (old GitLab ignores the attribute; empty elements trip older parsers). Test-case names are
unique within the file (duplicates get `` (2)``, `` (3)`` …).

Time: ``timestamp`` and the suites' ``time`` are the run's start and duration as measured by
:func:`gate.api.check` (``Report.timing``; never the renderer's clock), so under
``SOURCE_DATE_EPOCH`` they are that instant and ``0`` and the file is byte-identical across runs. A
Report without timing (read back from report.json, built by hand) shows ``1970-01-01T00:00:00`` and
``0``; ``timestamp_value=`` overrides the timestamp. Gates are not timed one by one: every
``<testcase time>`` is ``0``. XSD notes: ``junit-10.xsd`` allows neither ``skipped`` on ``<testsuites>`` nor
``file`` on ``<testcase>``, so the root carries tests/failures/errors/time totals, and the policy file
(``policy_file``) goes on ``<testsuite file=…>``.

XML-1.0-illegal characters (C0 controls other than tab/LF/CR, ESC, lone surrogates, U+FFFE/U+FFFF;
also the discouraged C1 controls) are removed from every string before serialisation.
"""

from __future__ import annotations

import re

from gate.render import messages, notes
from gate.render import text as T
from gate.report.model import GateResult, Report

_ILLEGAL = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
INCONCLUSIVE_AS = ("failure", "skipped")


def clean(s: str) -> str:
    """Remove characters XML 1.0 forbids (and C1 controls)."""
    return _ILLEGAL.sub("", str(s))


def _attr(s: str) -> str:
    """An attribute value: one line (:func:`gate.render.text.one_line`: invisible characters shown as
    U+FFFD), XML-illegal characters removed, markup characters escaped."""
    s = clean(T.one_line(s))
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _text(s: str) -> str:
    """Element text: line breaks kept (details are multi-line), invisible characters shown as U+FFFD
    (:func:`gate.render.text.visible`), XML-illegal characters removed, markup escaped."""
    s = clean(T.visible(s))
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def run_time(report: Report) -> tuple[str, str]:
    """``(timestamp, time)`` attributes of the suite: the report's measured timing, else the epoch and 0."""
    if report.timing is None:
        return "1970-01-01T00:00:00", "0"
    return report.timing.started, f"{report.timing.seconds:.3f}"


def case_name(g: GateResult) -> str:
    label = T.one_line(g.label or g.id).strip() or g.id.strip() or g.metric
    return f"{label} {T.bar_text_ascii(g)}"


def details(g: GateResult) -> str:
    """Multi-line details for a non-passing gate: every number a reader needs."""
    lines = []
    signed = g.quantity != "candidate"
    lines.append(f"gate: {T.one_line(g.id)}")
    lines.append(f"bar: {T.bar_text_ascii(g)} (on {g.quantity}: {g.op} "
                 f"{T.fmt_signed(g.threshold) if signed else T.fmt(g.threshold)})")
    lines.append(f"candidate: {T.fmt_est(g.candidate)}")
    lines.append(f"baseline: {T.fmt_est(g.baseline)}")
    lines.append(f"delta: {T.fmt_est(g.delta, signed=True)}")
    if g.quantity == "relative_delta":
        lines.append(f"relative delta (tested): {T.fmt_est(g.tested, signed=True)}")
    lines.append(f"interval: {T.interval_name(g)}")
    lines.append(f"confidence: {T.fmt(g.confidence)}")
    lines.append(f"n: {g.n}" + (f", support: {g.support}" if g.support is not None else ""))
    if g.p_value is not None:
        lines.append(f"p-value: {T.fmt(g.p_value, 4)}")
    if g.needed_n is not None:
        lines.append(f"needed n: ~{g.needed_n}" + (" clusters" if g.needed_unit == "cluster" else ""))
    if g.tested.undefined_resamples:
        lines.append(f"undefined resamples: {g.tested.undefined_resamples}")
    for note in g.notes:
        lines.append(f"note: {T.one_line(notes.text(note))}")
    lines.append(f"status: {g.status}, severity: {g.severity}")
    return "\n".join(lines)


def outcome(g: GateResult, inconclusive_as: str) -> tuple[str, str] | None:
    """``(element, type)`` for a gate, or ``None`` for a plain passing test case."""
    if g.outcome == "pass":
        return None
    if g.outcome == "warning":
        return "skipped", "Warning"
    if g.outcome == "fail":
        if g.tested.value is None:
            return "error", "MetricUndefined"
        return "failure", "ThresholdNotMet"
    return ("failure", "Inconclusive") if inconclusive_as == "failure" else ("skipped", "Inconclusive")


def render(report: Report, *, inconclusive_as: str | None = None, policy_file: str | None = None,
           timestamp_value: str | None = None) -> str:
    """``junit.xml`` text (UTF-8 declared; write it encoded as UTF-8). ``inconclusive_as`` defaults
    to the policy: ``decision.inconclusive: fail`` → ``"failure"``, ``warn``/``pass`` → ``"skipped"``."""
    if inconclusive_as is None:
        inconclusive_as = "failure" if report.reproducibility.inconclusive == "fail" else "skipped"
    if inconclusive_as not in INCONCLUSIVE_AS:
        raise ValueError(f"inconclusive_as must be one of {INCONCLUSIVE_AS}, got {inconclusive_as!r}")
    suite = "model-gate." + (clean(T.one_line(report.policy_name)).strip() or "policy")
    ts, duration = run_time(report)
    ts = timestamp_value or ts

    cases: list[str] = []
    used: set[str] = set()
    counts = {"failure": 0, "error": 0, "skipped": 0}
    for g in report.gates:  # policy order: stable test identity across runs
        base = clean(case_name(g)).strip() or clean(g.id).strip() or "gate"
        name, k = base, 1
        while name in used:
            k += 1
            name = f"{base} ({k})"
        used.add(name)
        head = f'    <testcase classname="{_attr(suite)}" name="{_attr(name)}" time="0"'
        out = outcome(g, inconclusive_as)
        if out is None:
            cases.append(head + "/>")
            continue
        element, typ = out
        counts[element] += 1
        msg = messages.message_text(g)
        if g.outcome == "warning":
            msg = f"warning (does not fail the build): {msg}"
        elif element == "skipped":
            msg = f"inconclusive: {msg}"
        msg = msg or f"{g.status}: {name}"
        cases.append(f'{head}>\n      <{element} message="{_attr(msg)}" type="{typ}">'
                     f"{_text(msg + chr(10) + chr(10) + details(g))}</{element}>\n    </testcase>")

    n = len(report.gates)
    props = [("policy", report.policy_name), ("policy_sha256", report.reproducibility.policy_sha256),
             ("verdict", report.verdict), ("tool_version", report.tool_version),
             ("seed", str(report.reproducibility.seed)), ("resamples", str(report.reproducibility.resamples)),
             ("method", report.reproducibility.method), ("inconclusive", report.reproducibility.inconclusive)]
    file_attr = f' file="{_attr(policy_file)}"' if policy_file else ""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name="model-gate" tests="{n}" failures="{counts["failure"]}" '
        f'errors="{counts["error"]}" time="{duration}">',
        f'  <testsuite name="{_attr(suite)}" tests="{n}" failures="{counts["failure"]}" '
        f'errors="{counts["error"]}" skipped="{counts["skipped"]}" time="{duration}" timestamp="{_attr(ts)}"{file_attr}>',
        "    <properties>",
        *(f'      <property name="{k}" value="{_attr(v)}"/>' for k, v in props),
        "    </properties>",
        *cases,
        "  </testsuite>",
        "</testsuites>",
    ]
    return "\n".join(lines) + "\n"
