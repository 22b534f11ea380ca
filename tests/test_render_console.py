"""Console renderer: aligned table, colour only when asked, quiet mode, inert control characters."""

from __future__ import annotations

import io
import re

from report_factory import adversarial_report, binary_report, build_report, est, make_gate, passing_report

from gate.render import console
from tests.helpers.golden import check_golden

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def test_use_color():
    assert console.use_color(FakeStream(True), {}) is True
    assert console.use_color(FakeStream(True), {"NO_COLOR": "1"}) is False
    assert console.use_color(FakeStream(True), {"NO_COLOR": ""}) is True  # no-color.org: non-empty only
    assert console.use_color(FakeStream(False), {}) is False
    assert console.use_color(object(), {}) is False  # no isatty at all


def test_no_color_means_no_escape_codes():
    out = console.render(binary_report(), color=False)
    assert "\x1b" not in out
    colored = console.render(binary_report(), color=True)
    assert "\x1b[31m" in colored and "\x1b[32m" in colored
    assert ANSI.sub("", colored) == out


def test_golden():
    check_golden("binary.console.txt", console.render(binary_report(), color=False))


def test_table_aligned_and_worst_first():
    out = console.render(binary_report(), color=False)
    lines = out.splitlines()
    assert lines[0].startswith("STATUS") and "CANDIDATE [CI]" in lines[0] and "Δ [CI]" in lines[0]
    rows = [ln for ln in lines if re.match(r"(PASS|FAIL|WARN|INCONCL) ", ln)]
    assert [r.split()[0] for r in rows] == ["FAIL", "INCONCL", "WARN", "PASS", "PASS", "PASS"]
    col = lines[0].index("CANDIDATE")
    assert all(r[col:col + 5] in ("0.870", "0.861", "0.700", "0.995", "0.930", "0.950") for r in rows)
    assert "    → recall[class=fraud] 0.870 [0.840, 0.895] is below the 0.900 floor\n" in out
    assert "~19,000 labeled examples would likely decide it" in out
    assert lines[-1].startswith("model-gate: FAIL") and "fraud-detector" in lines[-1]


def test_quiet_shows_only_failing_gates_and_verdict():
    out = console.render(binary_report(), color=False, quiet=True)
    assert "STATUS" not in out and "PASS " not in out and "INCONCL" not in out
    assert "FAIL" in out and "recall[class=fraud]" in out
    assert out.splitlines()[-1].startswith("model-gate: FAIL")
    strict = console.render(binary_report(inconclusive="fail"), color=False, quiet=True)
    assert "INCONCL" in strict and "f1" in strict  # inconclusive gates that fail the verdict are shown
    ok = console.render(passing_report(), color=False, quiet=True)
    assert ok.splitlines() == [ok.splitlines()[-1]] and ok.startswith("model-gate: PASS")


def test_pass_with_warnings_verdict():
    g = make_gate("recall", status="inconclusive", candidate=est(0.9, 0.85, 0.95))
    out = console.render(build_report([g], inconclusive="warn"), color=False)
    assert "model-gate: PASS (with warnings)" in out


def test_control_characters_cannot_inject():
    out = console.render(adversarial_report(), color=False)
    assert "\x1b" not in out and "\x00" not in out
    # a newline in a name never starts a line of its own
    assert not any(ln.startswith("line2") for ln in out.splitlines())
    # every line starts with our own text (no '::' workflow command can lead a line)
    assert not any(ln.lstrip().startswith("::") for ln in out.splitlines())
    colored = console.render(adversarial_report(), color=True)
    assert set(re.findall(r"\x1b\[[0-9;]*m", colored)) <= {"\x1b[0m", "\x1b[1m", "\x1b[2m", "\x1b[31m",
                                                          "\x1b[32m", "\x1b[33m"}
    assert "\x1b[31mred" not in colored.replace("\x1b[31mFAIL", "")


def test_wide_names_clipped():
    g = make_gate("recall", class_name="x" * 200, status="fail")
    out = console.render(build_report([g]), color=False)
    row = [ln for ln in out.splitlines() if ln.startswith("FAIL")][0]
    assert "…" in row and len(row) < 160
