"""Regenerate the output shown in README.md and examples/README.md by running the bundled examples.

    python -m scripts.render_docs           # rewrite every generated block in place
    python -m scripts.render_docs --check   # exit 1 and show a diff when a block is stale

A generated block sits between two HTML comments (invisible on GitHub):

    <!-- generated: NAME -->
    ...replaced on every run...
    <!-- /generated: NAME -->

Blocks:
  affairs-console     README.md: the console output of the Quick start command (stdout, verbatim)
  affairs-plan        README.md: ``model-gate plan`` on the same example (stdout, verbatim)
  affairs-gates       examples/README.md: verdict line, data summary and gate table per example
  multiclass-gates
  canary-gates
  ranking-gates
  ranking-console     README.md: the console output of the ranking example (task: ranking)
  multilabel-gates
  multilabel-console  README.md: the console output of the multilabel example (task: multilabel)
  affairs-openmetrics README.md: an excerpt of the affairs example's --openmetrics file
  report-top          docs/report-schema.md: the field tables, from gate/report/schema.json
  report-gate         (scripts/report_schema_doc.py)
  report-estimate
  report-guard

Each example is run through the real CLI (``model-gate check`` via gate.cli.main, from the repository
root with the relative paths a user types, output directory in a temporary directory), and the tables
are built from the report.json it writes (the documented schema). tests/test_docs_drift.py fails when
any block differs from a fresh run, so a change to the statistics or the renderers cannot leave the
documentation behind.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from scripts import report_schema_doc

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = "model-gate-report"  # what the README's command says; the run writes to a temp dir


@dataclass(frozen=True)
class Example:
    name: str
    policy: str
    candidate: str
    baseline: str

    def argv(self, out_dir: str) -> list[str]:
        return ["check", "--policy", self.policy, "--candidate", self.candidate, "--baseline", self.baseline,
                "--out-dir", out_dir]


EXAMPLES = {
    "affairs": Example("affairs", "policies/affairs.yml", "examples/affairs/candidate.csv",
                       "examples/affairs/baseline.csv"),
    "multiclass": Example("multiclass", "policies/multiclass.yml", "examples/multiclass/candidate.csv",
                          "examples/multiclass/baseline.csv"),
    "canary": Example("canary", "policies/canary.yml", "examples/canary/candidate.csv.gz",
                      "examples/canary/baseline.csv"),
    "ranking": Example("ranking", "policies/ranking.yml", "examples/ranking/bm25.run", "examples/ranking/tfidf.run"),
    "multilabel": Example("multilabel", "policies/multilabel.yml", "examples/multilabel/candidate.csv",
                          "examples/multilabel/baseline.csv"),
}

# The README's first Quick start command, without the install step (tests/test_readme.py checks the
# README shows exactly this command).
QUICK_START = "model-gate " + " ".join(EXAMPLES["affairs"].argv(OUT_DIR))


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    report: dict


def run_example(example: Example) -> Run:
    """``model-gate check`` on one example, in-process, as a user runs it from the repository root."""
    from gate.cli.main import main

    old_cwd, old_color = os.getcwd(), os.environ.get("NO_COLOR")
    out, err = io.StringIO(), io.StringIO()
    with tempfile.TemporaryDirectory(prefix=f"render-docs-{example.name}-") as tmp:
        try:
            os.chdir(ROOT)
            os.environ["NO_COLOR"] = "1"
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(example.argv(tmp))
        finally:
            os.chdir(old_cwd)
            if old_color is None:
                os.environ.pop("NO_COLOR", None)
            else:
                os.environ["NO_COLOR"] = old_color
        if code not in (0, 1):
            raise RuntimeError(f"{example.name}: model-gate check exited {code}: {err.getvalue().strip()}")
        report = json.loads((Path(tmp) / "report.json").read_text(encoding="utf-8"))
        stdout = out.getvalue().replace(tmp, OUT_DIR)
    return Run(code, stdout, report)


# -- formatting ----------------------------------------------------------------------------------------

def _num(x: float | None, signed: bool = False) -> str:
    if x is None:
        return "—"
    text = f"{x:+.3f}" if signed else f"{x:.3f}"
    return text.replace("-0.000", "+0.000" if signed else "0.000")   # no negative zero, as the console


def _interval(est: dict | None, signed: bool = False) -> str:
    if not est or est.get("value") is None:
        return "—"
    ci = est.get("ci") or [None, None]
    if ci[0] is None:
        return _num(est["value"], signed)
    return f"{_num(est['value'], signed)} [{_num(ci[0], signed)}, {_num(ci[1], signed)}]"


def _bar(bar: dict) -> str:
    kind, v = bar["kind"], bar["value"]
    return {"min": f"≥ {v:.3f}", "max": f"≤ {v:.3f}", "max_drop": f"drop ≤ {v:.3f}",
            "min_gain": f"gain ≥ {v:.3f}", "max_relative_drop": f"relative drop ≤ {v:.1%}"}[kind]


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def gate_table(report: dict) -> str:
    conf = report["reproducibility"]["confidence"]
    head = (f"| gate | candidate [{conf:.0%} CI] | baseline | Δ [{conf:.0%} CI] | bar | N | verdict |\n"
            "|---|---|---|---|---|---:|---|")
    rows = [head]
    for g in report["gates"]:
        delta = _interval(g.get("delta"), signed=True)
        if g["bar"]["kind"] == "max_relative_drop" and g.get("tested", {}).get("value") is not None:
            # the point only: the tested interval is at the multiple-testing-adjusted level, not 95%
            delta += f"; relative {g['tested']['value']:+.1%}"
        verdict = g["status"] if g["status"] == "pass" else f"**{g['status']}**"
        if g.get("needed_n"):
            unit = "judged queries" if report["data"]["task"] == "ranking" else "labeled examples"
            verdict += f" (~{g['needed_n']:,} {unit} would likely decide it)"
        if g.get("severity") == "warning":
            verdict += ", warning only"
        baseline = _num(g["baseline"]["value"]) if g.get("baseline") else "—"
        cells = [f"`{g['label']}`", _interval(g.get("candidate")), baseline, delta, _bar(g["bar"]),
                 f"{g['n']:,}", verdict]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(rows)


def summary(run: Run, example: Example) -> str:
    r = run.report
    verdict_line = run.stdout.rstrip("\n").splitlines()[-1]
    arts = {a["role"]: a for a in r["data"]["artifacts"]}
    rows = "; ".join(f"{role} {a['rows']:,} rows ({a['labeled_rows']:,} labeled)" for role, a in arts.items())
    rep = r["reproducibility"]
    design = (f"{r['data']['pairing']} bootstrap, {rep['method']}, {rep['resamples']:,} resamples, seed "
              f"{rep['seed']}, multiple testing: {rep['multiple_testing']}, inconclusive: {rep['inconclusive']}")
    support = ", ".join(f"`{c}` {n:,}" for c, n in r["data"]["class_support"].items())
    per = "positive examples per label" if r["data"]["task"] == "multilabel" else "labeled examples per class"
    data = (f"{rows}; label coverage {r['data']['label_coverage']:.3f}; {per}: {support}"
            if r["data"]["task"] != "ranking" else
            "; ".join(f"{role} {a['rows']:,} rows" for role, a in arts.items())
            + f"; {r['data']['n_candidate']:,} judged queries, {r['data']['label_coverage']:.1%} answered by the candidate")
    return "\n".join([
        f"`model-gate check --policy {example.policy} ...` exits {run.code} and ends with",
        "",
        "```",
        verdict_line,
        "```",
        "",
        f"Data: {data}. {design[0].upper()}{design[1:]}.",
        "",
        gate_table(r),
    ])


def openmetrics_excerpt(example: Example) -> str:
    """README Outputs: the line count and two families (one gate's lines) of ``--openmetrics`` for
    ``example``, from the same run the CLI makes (``Report.to_openmetrics()``)."""
    from gate import api

    text = api.check(ROOT / example.policy, ROOT / example.candidate, ROOT / example.baseline).to_openmetrics()
    lines = text.splitlines()
    families = sum(1 for line in lines if line.startswith("# TYPE "))
    shown = []
    for family in ("model_gate_candidate", "model_gate_gate_status"):
        shown += [line for line in lines if line.startswith((f"# HELP {family} ", f"# TYPE {family} "))]
        shown += [line for line in lines if line.startswith(family + "{") and 'gate="recall[class=affair]"' in line
                  and ('status="' not in line or 'status="pass"' in line)]
    return (f"which gives, among its {len(lines)} lines ({families} gauge families; an undefined value has no "
            "sample):\n\n```\n" + "\n".join(shown) + "\n```")
PLAN_ARGV = ["plan", "--policy", EXAMPLES["affairs"].policy, "--candidate", EXAMPLES["affairs"].candidate,
             "--baseline", EXAMPLES["affairs"].baseline]


def run_plan() -> str:
    """``model-gate plan`` on the affairs example, in-process from the repository root (its stdout)."""
    from gate.cli.main import main

    old_cwd, out = os.getcwd(), io.StringIO()
    try:
        os.chdir(ROOT)
        with contextlib.redirect_stdout(out):
            code = main(PLAN_ARGV)
    finally:
        os.chdir(old_cwd)
    if code != 0:
        raise RuntimeError(f"model-gate plan exited {code}")
    return out.getvalue()


def blocks(runs: dict[str, Run] | None = None) -> dict[tuple[str, str], str]:
    """Every generated block's fresh content, keyed by (file, block name)."""
    runs = runs if runs is not None else {name: run_example(ex) for name, ex in EXAMPLES.items()}
    out = {("README.md", "affairs-console"): "```\n" + runs["affairs"].stdout.rstrip("\n") + "\n```",
           ("README.md", "affairs-plan"): "```\n$ model-gate " + " ".join(PLAN_ARGV) + "\n"
           + run_plan().rstrip("\n") + "\n```",
           ("README.md", "ranking-console"): "```\n" + runs["ranking"].stdout.rstrip("\n") + "\n```",
           ("README.md", "multilabel-console"): "```\n" + runs["multilabel"].stdout.rstrip("\n") + "\n```"}
    for name, ex in EXAMPLES.items():
        out[("examples/README.md", f"{name}-gates")] = summary(runs[name], ex)
    out[("README.md", "affairs-openmetrics")] = openmetrics_excerpt(EXAMPLES["affairs"])
    out.update(report_schema_doc.blocks())
    return out


# -- the marked blocks ---------------------------------------------------------------------------------

def _pattern(name: str) -> re.Pattern:
    n = re.escape(name)
    return re.compile(rf"(<!-- generated: {n} -->\n)(.*?)(<!-- /generated: {n} -->)", re.S)


def current(text: str, name: str) -> str | None:
    m = _pattern(name).search(text)
    return None if m is None else m.group(2).rstrip("\n")


def replace(text: str, name: str, content: str) -> str:
    pattern = _pattern(name)
    if len(pattern.findall(text)) != 1:
        raise ValueError(f"expected exactly one <!-- generated: {name} --> ... <!-- /generated: {name} --> block")
    return pattern.sub(lambda m: m.group(1) + content + "\n" + m.group(3), text)


def stale(fresh: dict[tuple[str, str], str]) -> list[str]:
    """Unified diffs of every block whose text differs from ``fresh`` (empty: all up to date)."""
    diffs = []
    for (file, name), content in fresh.items():
        old = current((ROOT / file).read_text(encoding="utf-8"), name)
        if old is None:
            diffs.append(f"{file}: no <!-- generated: {name} --> block")
        elif old != content:
            diffs.append("".join(difflib.unified_diff(
                old.splitlines(True), (content + "\n").splitlines(True) if content else [],
                f"{file} [{name}] (in the file)", f"{file} [{name}] (fresh run)")))
    return diffs


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv not in ([], ["--check"]):
        print(__doc__, file=sys.stderr)
        return 2
    fresh = blocks()
    if argv == ["--check"]:
        diffs = stale(fresh)
        for d in diffs:
            print(d)
        if diffs:
            print("generated blocks are stale: run `python -m scripts.render_docs`", file=sys.stderr)
        return 1 if diffs else 0
    for file in sorted({f for f, _ in fresh}):
        path = ROOT / file
        text = path.read_text(encoding="utf-8")
        new = text
        for (f, name), content in fresh.items():
            if f == file:
                new = replace(new, name, content)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"updated {file}")
        else:
            print(f"{file}: up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
