"""``model-gate check``: evaluate a policy on candidate (and baseline) predictions."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Sequence

from gate.cli.common import add_publish_arguments, print_untrusted, publish_report
from gate.engine import run_check
from gate.errors import UsageError
from gate.policy import load_policy
from gate.render import console, json_report, markdown, outputs

HELP = "evaluate a policy on prediction files and print the verdict"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", required=True, help="policy YAML file")
    parser.add_argument("--candidate", required=True, help="candidate predictions (.csv, .csv.gz, .jsonl, .parquet)")
    parser.add_argument("--baseline", help="baseline predictions, for comparative gates")
    parser.add_argument("--out-dir", help="write report.json, report.md, junit.xml and report.html here")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="stdout: a verdict table (text) or only the JSON report (json)")
    parser.add_argument("--seed", type=int, help="override bootstrap.seed")
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
    policy = load_policy(args.policy)
    if args.seed is not None and args.seed < 0:
        raise UsageError("--seed must be >= 0", source="command line")
    if args.fail_on_inconclusive:
        policy = dataclasses.replace(policy, decision=dataclasses.replace(policy.decision, inconclusive="fail"))
    report = run_check(policy, args.candidate, args.baseline, seed=args.seed,
                       command=reproduce_command(args))
    report_json = None
    if args.out_dir:
        written = outputs.write_all(report, args.out_dir, chart=args.chart, policy_file=args.policy)
        report_json = str(written["json"])
    if args.comment_file:
        _write(Path(args.comment_file), markdown.render(report, chart=args.chart, key=args.comment_key))
    if args.format == "json":
        sys.stdout.write(json_report.render(report))
        sys.stdout.flush()
    else:
        print_untrusted(console.render(report, color=console.use_color(sys.stdout), quiet=args.quiet), sys.stdout)
    commands = sys.stderr if args.format == "json" else sys.stdout
    if not publish_report(report, args, report_json, commands):
        return 2
    return 0 if args.exit_zero else report.exit_code


def reproduce_command(args: argparse.Namespace) -> list[str]:
    """The local command that reproduces this verdict (no publishing flags, explicit seed)."""
    cmd = ["model-gate", "check", "--policy", args.policy, "--candidate", args.candidate]
    if args.baseline:
        cmd += ["--baseline", args.baseline]
    if args.seed is not None:
        cmd += ["--seed", str(args.seed)]
    if args.fail_on_inconclusive:
        cmd.append("--fail-on-inconclusive")
    return cmd


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write the comment file ({exc.strerror})", source=str(path)) from None
