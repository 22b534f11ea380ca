"""``model-gate check``: evaluate a policy on candidate (and baseline) predictions."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from gate import api, atomic, limits
from gate.cli import paths
from gate.cli.common import add_publish_arguments, print_untrusted, publish_report
from gate.errors import UsageError
from gate.policy import load_policy, seed_argument
from gate.render import console, json_report, markdown, outputs
from gate.report import Report

HELP = "evaluate a policy on prediction files and print the verdict"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = limits.help_text()
    parser.add_argument("--policy", required=True, help="policy YAML file")
    parser.add_argument("--candidate", required=True, help="candidate predictions (.csv, .csv.gz, .jsonl, .parquet)")
    parser.add_argument("--baseline", help="baseline predictions, for comparative gates")
    parser.add_argument("--qrels", metavar="FILE",
                        help="task: ranking: relevance judgements (a table or a TREC qrels file); overrides data.qrels")
    parser.add_argument("--out-dir", help="write report.json, report.md, junit.xml and report.html here")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="stdout: a verdict table (text) or only the JSON report (json)")
    parser.add_argument("--seed", type=seed_argument, help="override bootstrap.seed")
    parser.add_argument("--comment-file", metavar="PATH", help="write the exact PR/MR comment body here")
    parser.add_argument("--chart", choices=("mermaid", "none"), default="mermaid",
                        help="PR-curve chart in the comment (a table with the same points is always there)")
    parser.add_argument("--quiet", action="store_true", help="print only failing gates and the verdict")
    parser.add_argument("--fail-on-inconclusive", action="store_true",
                        help="treat inconclusive blocking gates as failures (decision.inconclusive: fail)")
    parser.add_argument("--exit-zero", action="store_true",
                        help="always exit 0 after a verdict (the reports still say fail)")
    add_publish_arguments(parser)


def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Check the output paths, forget the previous run's reports, evaluate, then write every output
    at once (:func:`write_outputs`), print and publish."""
    paths.check_outputs(args)
    paths.forget_reports(args, strict=True)
    policy = load_policy(args.policy)
    if args.seed is not None and args.seed < 0:
        raise UsageError("--seed must be >= 0", source="command line")
    if args.fail_on_inconclusive:
        policy = dataclasses.replace(policy, decision=dataclasses.replace(policy.decision, inconclusive="fail"))
    report = api.check(policy, args.candidate, args.baseline, seed=args.seed, command=reproduce_command(args),
                       qrels=args.qrels)
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


def write_outputs(report: Report, args: argparse.Namespace) -> str | None:
    """The four reports in ``--out-dir`` and the ``--comment-file``, written all or none
    (:func:`gate.atomic.write_files`); returns the report.json path, if any. A failure (full
    disk, unwritable directory) is a :class:`UsageError` and leaves no output behind."""
    files: dict[Path, str] = {}
    if args.out_dir:
        texts = outputs.render_all(report, chart=args.chart, policy_file=args.policy)
        files.update({Path(args.out_dir) / name: text for name, text in texts.items()})
    if args.comment_file:
        files[Path(args.comment_file)] = markdown.render(report, chart=args.chart, key=args.comment_key)
    try:
        atomic.write_files(files)
    except atomic.OutputError as exc:
        raise UsageError(f"cannot be written ({exc.strerror}); no report was written",
                         source=str(exc.filename),
                         fix="free some space or choose a writable --out-dir / --comment-file") from None
    return str(Path(args.out_dir) / outputs.FILES["json"]) if args.out_dir else None


def _json_stdout(report: Report) -> str:
    """``--format json``: the report.json text. In GitHub Actions the runner scans stdout for legacy
    ``##[command]`` anywhere in a line, so that sequence (only possible inside a JSON string) is
    written with a JSON escape: the same JSON value, inert for the runner."""
    text = json_report.render(report)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        text = text.replace("##[", "#\\u0023[")
    return text


def reproduce_command(args: argparse.Namespace) -> list[str]:
    """The local command that reproduces this verdict (no publishing flags, explicit seed)."""
    cmd = ["model-gate", "check", "--policy", args.policy, "--candidate", args.candidate]
    if args.baseline:
        cmd += ["--baseline", args.baseline]
    if args.qrels:
        cmd += ["--qrels", args.qrels]
    if args.seed is not None:
        cmd += ["--seed", str(args.seed)]
    if args.fail_on_inconclusive:
        cmd.append("--fail-on-inconclusive")
    return cmd
