"""``model-gate check``: evaluate a policy on candidate (and baseline) predictions."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from gate import progress
from gate.cli import paths
from gate.cli.common import add_publish_arguments, print_untrusted, publish_report, run_context_of
from gate.data import limits
from gate.engines import MAX_CELLS, SCORE_BINS
from gate.errors import UsageError
from gate.publish.publication import DEFAULT_ARTIFACT

if TYPE_CHECKING:
    from gate.data.readers import Table
    from gate.report.model import Report

# The engine (numpy, scipy), the policy schema (jsonschema, yaml), the renderers and the transports
# are imported by run(), not here: building the parser for ``model-gate --help`` or ``validate``
# needs none of them (tests/test_startup.py).

HELP = "evaluate a policy on prediction files and print the verdict"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (f"{limits.help_text()} Engine path (docs/scale.md): distinct value combinations an engine "
                     f"returns {MAX_CELLS.env} ({MAX_CELLS.shown(MAX_CELLS.default)}); past it, quantile bins per "
                     f"score column for ranking gates {SCORE_BINS.env} ({SCORE_BINS.shown(SCORE_BINS.default)}).")
    parser.add_argument("--policy", required=True, help="policy YAML file")
    candidate = parser.add_mutually_exclusive_group(required=True)
    candidate.add_argument("--candidate", help="candidate predictions (.csv, .csv.gz, .jsonl, .parquet), or through "
                           "an engine: parquet:DIR_OR_GLOB, duckdb:FILE?table=NAME, spark:TABLE (docs/scale.md)")
    candidate.add_argument("--candidate-query", metavar="SQL", help="the candidate's rows as a query the engine runs")
    baseline = parser.add_mutually_exclusive_group()
    baseline.add_argument("--baseline", help="baseline predictions, for comparative gates")
    baseline.add_argument("--baseline-query", metavar="SQL", help="the baseline's rows as a query the engine runs")
    parser.add_argument("--baseline-from-run", metavar="WORKFLOW[:ARTIFACT]",
                        help="GitHub Actions: the baseline is the artifact ARTIFACT (default "
                             f"{DEFAULT_ARTIFACT}) of the latest successful run of WORKFLOW "
                             "(e.g. model-gate.yml) on the default branch")
    parser.add_argument("--qrels", metavar="FILE",
                        help="task: ranking: relevance judgements (a table or a TREC qrels file); overrides data.qrels")
    parser.add_argument("--engine", choices=("local", "duckdb", "spark"),
                        help="who reads the data: local (files, in-process), duckdb (default for parquet:/duckdb: "
                             "sources and queries) or spark (the SparkSession of spark-submit or the environment)")
    parser.add_argument("--database", metavar="FILE", help="the DuckDB database file that the queries run on")
    parser.add_argument("--out-dir", help="write report.json, report.md, junit.xml and report.html here")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="stdout: a verdict table (text) or only the JSON report (json)")
    parser.add_argument("--seed", type=_seed, help="override bootstrap.seed")
    parser.add_argument("--comment-file", metavar="PATH", help="write the exact PR/MR comment body here")
    parser.add_argument("--openmetrics", metavar="PATH",
                        help="write every gate's values, interval ends, bar and status as OpenMetrics gauges here")
    parser.add_argument("--codequality", metavar="PATH",
                        help="write a GitLab Code Quality report here: failed and inconclusive gates on their policy lines")
    parser.add_argument("--chart", choices=("mermaid", "none"), default="mermaid",
                        help="PR-curve chart in the comment (a table with the same points is always there)")
    parser.add_argument("--quiet", action="store_true", help="print only failing gates and the verdict")
    parser.add_argument("--fail-on-inconclusive", action="store_true",
                        help="treat inconclusive blocking gates as failures (decision.inconclusive: fail)")
    parser.add_argument("--exit-zero", action="store_true",
                        help="always exit 0 after a verdict (the reports still say fail)")
    add_publish_arguments(parser)


def _seed(text: str) -> int:
    """``--seed``: :func:`gate.policy.seed_argument`, imported only when the flag is given."""
    from gate.policy.load import seed_argument

    return seed_argument(text)


def run(args: argparse.Namespace) -> int:
    """Check the output paths, forget the previous run's reports, evaluate, then write every output
    at once (:func:`write_outputs`), print and publish."""
    from gate import api
    from gate.policy.load import load_policy
    from gate.render import console

    candidate, baseline = _sources(args)
    paths.check_outputs(args)
    paths.forget_reports(args, strict=True)
    policy = load_policy(args.policy)
    if args.seed is not None and args.seed < 0:
        raise UsageError("--seed must be >= 0", source="command line")
    if args.fail_on_inconclusive:
        policy = dataclasses.replace(policy, decision=dataclasses.replace(policy.decision, inconclusive="fail"))
    progress.configure(None if args.quiet or args.format == "json" else sys.stderr)
    try:
        with tempfile.TemporaryDirectory(prefix="model-gate-baseline-") as tmp:
            if args.baseline_from_run:
                baseline = _baseline_from_run(args.baseline_from_run, Path(tmp))
            report = api.check(policy, candidate, baseline, seed=args.seed, command=reproduce_command(args),
                               engine=args.engine, qrels=args.qrels)
    finally:
        progress.configure(None)
    report_json = write_outputs(report, args)
    if args.format == "json":
        sys.stdout.write(_json_stdout(report))
        sys.stdout.flush()
    else:
        print_untrusted(console.render(report, color=console.use_color(sys.stdout), quiet=args.quiet), sys.stdout)
    commands = sys.stderr if args.format == "json" else sys.stdout
    if not publish_report(report, args, report_json, commands):
        return 2
    return 0 if args.exit_zero else report.exit_code


def _baseline_from_run(spec: str, tmp: Path) -> Table:
    """The ``--baseline-from-run`` artifact downloaded into ``tmp`` and read, its source named after
    the run (so the reports say where it came from and stay the same for the same run)."""
    from gate.data.readers import read_table
    from gate.publish import artifact

    fetched = artifact.fetch_baseline(artifact.RunSpec.parse(spec), os.environ, tmp)
    return dataclasses.replace(read_table(fetched.path), source=fetched.label)


def _sources(args: argparse.Namespace) -> tuple[object, object]:
    """``--candidate``/``--baseline``, or the engine queries in their place (argparse allows one per
    side); ``--baseline-from-run`` excludes both baseline options."""
    if args.baseline_from_run and (args.baseline or args.baseline_query):
        raise UsageError("give --baseline or --baseline-from-run, not both", source="command line")
    sides = []
    for role, given, query in (("candidate", args.candidate, args.candidate_query),
                               ("baseline", args.baseline, args.baseline_query)):
        if query is not None:
            from gate.engines.sources import query_source
            sides.append(query_source(query, role, args.database))
        else:
            sides.append(given)
    if args.database and not (args.candidate_query or args.baseline_query):
        raise UsageError("--database is only read by --candidate-query / --baseline-query", source="command line",
                         fix="name a table as duckdb:FILE?table=NAME instead")
    return sides[0], sides[1]


def write_outputs(report: Report, args: argparse.Namespace) -> str | None:
    """The four reports in ``--out-dir``, the ``--comment-file``, ``--openmetrics`` and ``--codequality``, written all or none
    (:func:`gate.atomic.write_files`); returns the report.json path, if any. A failure (full
    disk, unwritable directory) is a :class:`UsageError` and leaves no output behind."""
    from gate import atomic
    from gate.render import codequality, markdown, openmetrics, outputs

    files: dict[Path, str] = {}
    if args.out_dir:
        # report.md stays a function of the inputs and seed (a re-run has another run URL); the
        # comment file and the posted comment carry the run context
        texts = outputs.render_all(report, chart=args.chart, policy_file=args.policy)
        files.update({Path(args.out_dir) / name: text for name, text in texts.items()})
    if args.comment_file:
        files[Path(args.comment_file)] = markdown.render(report, chart=args.chart, key=args.comment_key,
                                                         context=run_context_of(args))
    if args.openmetrics:
        files[Path(args.openmetrics)] = openmetrics.render(report)
    if args.codequality:
        files[Path(args.codequality)] = codequality.render(report)
    try:
        atomic.write_files(files)
    except atomic.OutputError as exc:
        raise UsageError(f"cannot be written ({exc.strerror}); no report was written",
                         source=str(exc.filename),
                         fix="free some space or choose a writable --out-dir / --comment-file / --openmetrics") from None
    return str(Path(args.out_dir) / outputs.FILES["json"]) if args.out_dir else None


def _json_stdout(report: Report) -> str:
    """``--format json``: the report.json text. In GitHub Actions the runner scans stdout for legacy
    ``##[command]`` anywhere in a line, so that sequence (only possible inside a JSON string) is
    written with a JSON escape: the same JSON value, inert for the runner."""
    from gate.render import json_report

    text = json_report.render(report)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        text = text.replace("##[", "#\\u0023[")
    return text


def reproduce_command(args: argparse.Namespace) -> list[str]:
    """The local command that reproduces this verdict (no publishing flags, explicit seed)."""
    cmd = ["model-gate", "check", "--policy", args.policy]
    for flag in ("candidate", "candidate_query", "baseline", "baseline_query", "baseline_from_run", "qrels",
                 "engine", "database"):
        if getattr(args, flag, None):
            cmd += [f"--{flag.replace('_', '-')}", getattr(args, flag)]
    if args.seed is not None:
        cmd += ["--seed", str(args.seed)]
    if args.fail_on_inconclusive:
        cmd.append("--fail-on-inconclusive")
    return cmd
