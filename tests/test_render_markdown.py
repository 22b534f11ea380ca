"""Markdown comment renderer: golden files, inert untrusted strings, size budget, marker, charts."""

from __future__ import annotations

import re

import pytest
from md_check import cells, code_spans, strip_code_spans
from report_factory import (
    ADVERSARIAL_NAMES,
    adversarial_report,
    binary_report,
    build_report,
    engine_label,
    est,
    large_report,
    make_gate,
    multiclass_40_report,
    passing_report,
)

from gate.render import markdown as md
from gate.report.run_context import RunContext
from tests.helpers.golden import check_golden


@pytest.mark.parametrize("name,factory,chart", [
    ("binary.md", binary_report, "mermaid"),
    ("binary-chart-none.md", binary_report, "none"),
    ("passing.md", passing_report, "mermaid"),
    ("adversarial.md", adversarial_report, "mermaid"),
])
def test_golden(name, factory, chart):
    check_golden(name, md.render(factory(), chart=chart))


def test_deterministic():
    assert md.render(adversarial_report()) == md.render(adversarial_report())
    assert md.render(large_report()) == md.render(large_report())


# --- verdict line -----------------------------------------------------------------------------------

def test_verdict_line_emoji_and_counts():
    fail = md.render(binary_report()).splitlines()[0]
    assert fail.startswith("❌ ") and "`fraud-detector`" in fail
    assert "3 passed · 2 failed · 1 inconclusive · 1 warning" in fail  # the engine counts a failed warning in both
    ok = md.render(passing_report()).splitlines()[0]
    assert ok.startswith("✅ ") and "passed" in ok
    # pass verdict but an inconclusive gate (policy: inconclusive → warn) → ⚠️
    gates = [make_gate("recall", status="inconclusive", candidate=est(0.9, 0.85, 0.95), needed_n=4000)]
    warn = md.render(build_report(gates, inconclusive="warn")).splitlines()[0]
    assert warn.startswith("⚠️ ") and "with warnings" in warn
    assert not re.search(r":[a-z_]+:", fail + ok + warn), "verdict uses Unicode emoji, not shortcodes"


def test_gate_table_worst_first_compact_rows_and_reasons_below():
    text = md.render(binary_report())
    rows = [cells(ln) for ln in text.splitlines() if ln.startswith("| ") and "**" in ln]
    assert [r[0].strip() for r in rows] == ["❌", "🔶", "⚠️", "✅", "✅", "✅"]   # worst first, distinct icons
    assert [r[5].strip() for r in rows][:3] == ["**fail**", "**inconclusive**", "**fail (warning)**"]
    first = rows[0]
    assert len(first) == len(md.GATE_HEADER) == 6
    assert first[2].strip() == "0.870<br>[0.840,&nbsp;0.895]"          # candidate [CI]
    assert first[3].strip() == "-0.010<br>[-0.030,&nbsp;+0.010]"       # delta [CI]
    assert first[4].strip() == "≥&nbsp;0.900"                          # bar
    assert "floor" not in "".join(first), "the why sentence is not in the table"
    # reasons: one list item per gate that did not pass, in the same order, none for passing gates
    reasons = [ln for ln in text.splitlines() if ln.startswith("- ") and "**" in ln]
    assert len(reasons) == 3
    assert reasons[0].startswith("- ❌ **fail**: ") and "is below the 0.900 floor" in reasons[0]
    assert reasons[1].startswith("- 🔶 **inconclusive**: ") and "~19,000 labeled examples" in reasons[1]
    assert reasons[2].startswith("- ⚠️ **fail (warning)**: ")


def test_gate_names_plain_words_with_data_names_as_code():
    g = make_gate("average_precision", class_name="fra|ud", slice={"region": "eu"}, status="fail",
                  label=engine_label("average_precision", "fra|ud", slice={"region": "eu"}))
    assert md.gate_cell(g) == "average\\_precision for class `fra\\|ud` in `region`=`eu`"
    odd = make_gate("recall", label="my *gate* @octocat", status="pass")   # a label not built by the engine
    cell = md.gate_cell(odd)
    assert "@octocat" not in strip_code_spans(cell) and "*gate*" not in strip_code_spans(cell)


def test_passing_gates_collapse_beyond_five():
    r = multiclass_40_report()
    text = md.render(r)
    main, rest = text.split("<details><summary>✅ 34 passing gates</summary>", 1)
    assert main.count("| ✅ |") == 0 and main.count("| ❌ |") == 2
    assert rest.split("</details>", 1)[0].count("| ✅ |") == 34
    few = md.render(passing_report())          # 3 passing gates: no <details>, all in the main table
    assert "passing gates</summary>" not in few and few.count("| ✅ |") == 3


def test_context_line_commit_baseline_and_links():
    ctx = RunContext(commit="0123456789abcdef0123456789abcdef01234567",
                     run_url="https://github.com/o/r/actions/runs/9", artifact_url="https://x.example/a(1)",
                     report_url=None)
    line = md.render(binary_report(), context=ctx).splitlines()[2]
    assert line == ("Commit `0123456` · baseline `baseline.csv` (sha256 `cccccccccccc`) · "
                    "[workflow run](https://github.com/o/r/actions/runs/9) · [artifact](https://x.example/a%281%29)")
    assert md.render(binary_report()).splitlines()[2] == "Baseline `baseline.csv` (sha256 `cccccccccccc`)"


def test_reason_worded_from_the_facts():
    g = make_gate("recall", class_name="fraud", bar=0.9, candidate=est(0.87, 0.84, 0.895), status="fail",
                  label=engine_label("recall", "fraud"))
    text = md.render(build_report([g]))
    assert "- ❌ **fail**: recall for class `fraud` 0.870 \\[0.840, 0.895\\] is below the 0.900 floor\n" in text


# --- inert untrusted strings -------------------------------------------------------------------------

def _table_rows(text: str) -> list[list[str]]:
    tables, cur = [], []
    for ln in text.splitlines():
        if ln.startswith("|"):
            cur.append(ln)
        elif cur:
            tables.append(cur)
            cur = []
    return tables


def test_adversarial_tables_keep_their_shape():
    text = md.render(adversarial_report())
    tables = _table_rows(text)
    assert len(tables) >= 6
    for t in tables:
        widths = {len(cells(r)) for r in t}
        assert len(widths) == 1, f"a table row has a different number of cells: {t[0]!r} … {widths}"


def test_adversarial_names_only_inside_code_spans():
    text = md.render(adversarial_report())
    outside = strip_code_spans(text)
    # the structure-changing sequences never appear outside a code span
    for bad in ("@octocat", "@team", "#1", "!12", ":rocket:", "<script", "<b>", "[link]", "*bold*", "~label",
                "\x1b", "\x00"):
        assert bad not in outside, f"{bad!r} is live Markdown"
    # exactly one HTML comment start in the whole body: our marker, on the last line
    assert text.count("<!--") == 1
    last = md.parse_marker(text.rstrip("\n").splitlines()[-1])
    assert last is not None and last[0] == md.marker_key(adversarial_report().policy_name)
    # only our own tags are raw HTML
    tags = set(re.findall(r"</?([a-zA-Z]+)", outside))
    assert tags <= {"details", "summary", "br", "sub"}, tags
    # newlines inside names never start a new line: every line is one of ours
    for ln in text.splitlines():
        assert not ln.startswith("line2")


def test_every_adversarial_name_is_rendered_as_code():
    text = md.render(adversarial_report())
    spans = set(code_spans(text))
    for name in ADVERSARIAL_NAMES:
        expected = name.replace("\n", " ")
        expected = re.sub("[\x00-\x08\x0b-\x1f\x7f]", "\ufffd", expected)
        expected = expected.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        expected = re.sub(r"(\\*)\|", lambda m: m.group(1) * 2 + "\\|", expected)
        assert expected in spans, f"{name!r} not rendered as the code span {expected!r}"


@pytest.mark.parametrize("name,expected", [
    ("a|b|c", "`a\\|b\\|c`"),
    ("@octocat", "`@octocat`"),
    ("#1", "`#1`"),
    ("<!-- model-gate:v1 key=x -->", "`&lt;!-- model-gate:v1 key=x --&gt;`"),
    ("`x`", "`` `x` ``"),
    ("\\|", "`\\\\\\|`"),
    ("a\nb", "`a b`"),
    ("<script>", "`&lt;script&gt;`"),
    ("a ``` b", "````a ``` b````"),
    ("", "*(empty)*"),
])
def test_code_span(name, expected):
    assert md.code(name) == expected


def test_code_span_round_trips_through_table_cell_split():
    for name in ADVERSARIAL_NAMES + ("x\\\\|y", "\\", "|", "||", "`|`"):
        row = f"| {md.code(name)} | next |"
        assert len(cells(row)) == 2, name


def test_prose_keeps_words_and_neutralises_tokens():
    out = md.prose("recall for `fraud` 0.87 [0.84, 0.90] is below the 0.90 floor")
    assert out == "recall for `fraud` 0.87 \\[0.84, 0.90\\] is below the 0.90 floor"
    out = md.prose("ping @octocat about #12 and !3 :tada: see www.evil.example or [x](http://e) <b> "
                   "%v1 &7 ~bug $snip R&D")
    outside = strip_code_spans(out)
    for bad in ("@octocat", "#12", "!3", ":tada:", "www.", "](", "<b>", "%v1", "&7", "&amp;7", "~bug", "$snip",
                "&amp;D"):
        assert bad not in outside
    assert "&lt;b&gt;" in out or "`&lt;b&gt;`" in out
    assert md.prose("drop of 5.0% (p < 0.05)") == "drop of 5.0% (p &lt; 0.05)"


# --- marker -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["fraud-detector", "a b", "x --> y", "line\nbreak", "<!-- model-gate:v1 key=x -->",
                                 "模型", "é" * 400, ""])
def test_marker_key_is_safe_and_stable(key):
    k = md.marker_key(key)
    assert k == md.marker_key(key)
    assert k and len(k) <= md.MAX_KEY
    assert "-->" not in k and "--" not in k and "\n" not in k and " " not in k and "<" not in k
    line = md.marker_line(key)
    assert line.startswith("<!-- model-gate:v1 key=") and line.endswith(" -->") and line.count("-->") == 1


def test_marker_keys_distinct_for_distinct_names():
    names = ["a b", "a_b", "a%20b", "a\nb", "a-b", "a--b", "A b"]
    assert len({md.marker_key(n) for n in names}) == len(names)


def test_marker_custom_key_and_default():
    r = binary_report()
    assert md.parse_marker(md.render(r).rstrip().splitlines()[-1])[0] == "fraud-detector"
    assert md.parse_marker(md.render(r, key="ci/model-gate").rstrip().splitlines()[-1])[0] == "ci/model-gate"


# --- details sections ---------------------------------------------------------------------------------

def test_details_sections_present():
    text = md.render(binary_report())
    for summary in ("Per-class metrics", "Confusion matrices", "Precision-recall curves", "Data summary",
                    "Reproducibility"):
        assert f"<details><summary>{summary}" in text
    assert text.count("<details>") == text.count("</details>") == 5
    # per-class Δ is candidate − baseline of the given numbers
    assert "| `fraud` | 110 | 0.820 | 0.810 | +0.010 |" in text
    # confusion difference
    assert "**Difference (candidate − baseline)**" in text
    # data: sha256 of each artifact
    assert "`" + "b" * 64 + "`" in text and "`" + "c" * 64 + "`" in text
    # reproduce command, shell-quoted in a code block
    assert "```sh\nmodel-gate check --policy policies/model-gate.yml --candidate preds/candidate.csv" in text


def test_reproduce_command_is_shell_exact_and_inert():
    import shlex
    import subprocess
    text = md.render(adversarial_report())
    block = text.split("```sh\n", 1)[1].split("\n```", 1)[0]
    assert "\n" not in block and "<" not in block and "`" not in block
    # bash reads it back to exactly the argv (ANSI-C quoting for the nasty arguments)
    argv = adversarial_report().reproducibility.command
    out = subprocess.run(["bash", "-c", "printf '%s\\0' " + block], capture_output=True)
    assert out.returncode == 0
    assert out.stdout.split(b"\0")[:-1] == [a.encode() for a in argv]
    plain = binary_report().reproducibility.command
    assert md.render(binary_report()).split("```sh\n", 1)[1].split("\n```", 1)[0] == shlex.join(plain)


def test_chart_none_removes_only_the_chart():
    with_chart = md.render(binary_report(), chart="mermaid")
    without = md.render(binary_report(), chart="none")
    assert "```mermaid" in with_chart and "xychart-beta" in with_chart
    assert "mermaid" not in without
    # the plain table of the same points is in both
    table = [ln for ln in with_chart.splitlines() if ln.startswith("| 0.5 |")]
    assert table and table[0] in without
    # every number plotted is in the table
    chart = with_chart.split("```mermaid", 1)[1].split("```", 1)[0]
    lines = re.findall(r"line \[([^\]]*)\]", chart)
    assert len(lines) == 2
    for ln in lines:
        for v in ln.split(", "):
            assert f"| {v} |" in with_chart
    with pytest.raises(ValueError):
        md.render(binary_report(), chart="png")


def test_mermaid_labels_quoted_and_ascii():
    text = md.render(adversarial_report())
    for block in re.findall(r"```mermaid\n(.*?)```", text, flags=re.S):
        for ln in block.splitlines():
            assert ln.isascii(), ln
            if "title" in ln or "x-axis" in ln or "y-axis" in ln:
                quoted = re.sub(r'"[^"\n]*"', "", ln)
                assert not re.search(r"[A-Za-z]{2,}", quoted.replace("title", "").replace("x-axis", "")
                                     .replace("y-axis", "").replace("xychart-beta", "")), ln


# --- size budget --------------------------------------------------------------------------------------

def test_large_report_fits_with_truncation_note_and_marker():
    r = large_report(60, 10)
    assert len(r.gates) >= 600 and len(r.per_class) == 60 and len(r.confusion[0].classes) == 60
    text = md.render(r)
    assert len(text) <= 65_000
    assert "✂️ Shortened to fit 65,000 characters" in text
    assert "gate rows not shown" in text
    assert text.rstrip("\n").splitlines()[-1].startswith("<!-- model-gate:v1 key=big-multiclass ")
    # every failing / inconclusive gate row is still there
    shown = text.count("| ❌ |") + text.count("| 🔶 |") + text.count("| ⚠️ |")
    assert shown == sum(1 for g in r.gates if g.status != "pass")
    # small, useful sections kept while rows are cut
    assert "<details><summary>Reproducibility</summary>" in text
    assert "<details><summary>Confusion matrices" not in text


def test_details_dropped_before_rows():
    r = binary_report()
    full = md.render(r)
    # a budget that forces dropping some but not all details: no gate row is lost
    budget = len(full) - 1500
    text = md.render(r, max_chars=budget)
    assert len(text) <= budget
    assert "dropped confusion matrices" in text
    assert "gate rows" not in text
    for g in r.gates:
        assert md.gate_cell(g) in text


@pytest.mark.parametrize("budget", [50, 200, 1000, 3000, 10_000])
def test_any_budget_respected_and_marker_kept(budget):
    text = md.render(large_report(20, 3), max_chars=budget)
    assert len(text) <= max(budget, len(md.marker_line("big-multiclass")) + 1)
    assert md.parse_marker(text.rstrip("\n").splitlines()[-1])[0] == "big-multiclass"


def test_last_resort_when_not_even_the_verdict_line_fits():
    """Below the size of the verdict and one gate row: the trusted short verdict with the marker,
    then (smaller still) the marker alone, without the state it cannot afford."""
    assert md.render(binary_report(), max_chars=150) == (
        "❌ **model-gate failed** (report too large to show; see report.json)\n\n"
        "<!-- model-gate:v1 key=fraud-detector -->\n")
    assert md.render(binary_report(), max_chars=60) == "<!-- model-gate:v1 key=fraud-detector -->\n"


def test_truncated_adversarial_stays_inert():
    text = md.render(adversarial_report(), max_chars=2500)
    assert len(text) <= 2500
    outside = strip_code_spans(text)
    assert "@octocat" not in outside and "<script" not in outside and text.count("<!--") == 1


def test_truncation_note_links_the_run():
    url = "https://github.com/o/r/actions/runs/123/attempts/1"
    text = md.render(large_report(20, 5), max_chars=6000, run_url=url)
    assert f"[the CI run]({url})" in text
    # not a URL we would link: ignored, no raw text leaks
    for bad in ("javascript:alert(1)", "https://x.example/a b", "https://x.example/)<b>", None, ""):
        t = md.render(large_report(20, 5), max_chars=6000, run_url=bad)
        assert "javascript" not in t and "<b>" not in t
    t = md.render(large_report(20, 5), max_chars=6000, run_url="https://x.example/a)(b")
    assert "[the CI run](https://x.example/a%29%28b)" in t
    # no link when nothing was dropped
    assert "CI run" not in md.render(binary_report(), run_url=url)


def test_a_score_interval_is_named_under_its_cell():
    """The comment says which interval decided a gate when it is not the bootstrap: the candidate
    cell of a recall floor (Clopper–Pearson) and the Δ cell of a paired recall drop (Newcombe)."""
    import numpy as np

    import gate

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 600)
    pred = np.where(rng.random(600) < 0.85, y, 1 - y)
    base = np.where(rng.random(600) < 0.8, y, 1 - y)
    report = gate.check_arrays([{"metric": "recall", "min": 0.5}, {"metric": "recall", "max_drop": 0.1},
                                {"metric": "f1", "max_drop": 0.1}], y, pred, baseline_pred=base, seed=1)
    rows = {g.id: g for g in report.gates}
    assert [g.interval_method for g in report.gates] == ["clopper-pearson", "newcombe", "percentile"]
    md = report.to_markdown()
    lines = [ln for ln in md.splitlines() if ln.startswith("| ")]
    assert sum("<sub>Clopper–Pearson</sub>" in ln for ln in lines) == 1
    assert sum("<sub>Newcombe</sub>" in ln for ln in lines) == 1
    assert len(rows) == 3 and not any("<sub>percentile" in ln for ln in lines)


def test_a_name_before_a_colon_or_a_code_word_keeps_its_span():
    """A guard's message ``… class 'zero': not decided`` rendered ``zero``:`` (the lone colon became
    a code span touching the name's, and the runs merged). A lone colon is prose now, and two code
    spans that would touch get a space between them."""
    from gate.render.text import Segment

    assert md.segments([Segment("for class "), Segment("zero", "name"), Segment(": not decided", "prose")]) \
        == "for class `zero`: not decided"
    joined = md.segments([Segment("a", "name"), Segment("@team done", "prose")])
    assert joined == "`a` `@team` done" and "``" not in joined
