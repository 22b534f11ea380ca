"""What ``check`` and ``publish`` share: the publishing flags and turning a Report into a Publication."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, TextIO

from gate.cli import paths
from gate.publish import files
from gate.publish.publication import COMMENT_MODES
from gate.publish.workflow_commands import Commands

if TYPE_CHECKING:   # the transports (requests) and renderers load when a report is published
    from gate.publish.publication import Publication
    from gate.report.model import Report
    from gate.report.run_context import RunContext


def add_publish_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("publishing (GitHub Actions / GitLab CI)")
    group.add_argument("--comment", choices=("auto", "off"), default="auto",
                       help="post or update the sticky PR/MR comment when running in CI with a usable token "
                            "(auto, default); never in a local run")
    group.add_argument("--comment-mode", choices=COMMENT_MODES, default="always",
                       help="when to post or update the comment: always (default); changed (only when the "
                            "verdict or a gate's status changed since the previous comment); failures (only "
                            "when a gate fails or is inconclusive; an existing comment is still updated once "
                            "it passes); off")
    group.add_argument("--comment-key", help="key of the sticky comment marker (default: the policy name)")
    group.add_argument("--artifact-url", metavar="URL",
                       help="link the comment to the uploaded artifact (default: $MODEL_GATE_ARTIFACT_URL)")
    group.add_argument("--report-url", metavar="URL",
                       help="link the comment to the HTML report (default: $MODEL_GATE_REPORT_URL)")
    group.add_argument("--status", action="store_true", help="also post a GitHub commit status")
    group.add_argument("--strict-publish", action="store_true",
                       help="exit 2 when publishing fails (default: publishing never changes the exit code)")
    group.add_argument("--dotenv", metavar="PATH", help="write a GitLab dotenv report (MODEL_GATE_VERDICT, ...)")
    group.add_argument("--api-url", help="GitHub/GitLab API base URL (default: from the CI environment)")


def print_untrusted(text: str, stream: TextIO) -> None:
    """Print text holding class names/slice values. In GitHub Actions it goes out with workflow-command
    processing suspended (``::stop-commands::``), so a class named ``::error::x`` prints as text."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        Commands(stream).print_untrusted(text)
    else:
        stream.write(text)
    stream.flush()


def run_context_of(args: argparse.Namespace) -> RunContext:
    """The commit and links of this CI run (see :mod:`gate.report.run_context`)."""
    from gate.report import run_context

    return run_context.from_environ(os.environ, artifact_url=getattr(args, "artifact_url", None),
                                    report_url=getattr(args, "report_url", None))


def publication_for(report: Report, comment_key: str | None, report_json: str | None,
                    context: RunContext | None = None) -> Publication:
    """The Publication of ``report``: the comment rendered once for the default budget, plus the
    source that re-renders it for a platform's room and against the comment it replaces."""
    from gate.publish.publication import Publication
    from gate.render import annotations as annotation_lines  # not "annotations": the __future__ name
    from gate.render import text as T
    from gate.render.comment import ReportComment

    source = ReportComment(report, key=comment_key, context=context)
    body = source.body()
    failed = len(report.failed)
    return Publication(
        comment_body=body, summary_body=body, marker_key=comment_key or report.policy_name,
        verdict=report.verdict, exit_code=report.exit_code, failed_count=failed,
        inconclusive_count=len(report.inconclusive),
        report_json_path=report_json, annotations=annotation_lines.render(report),
        status_description=f"{report.verdict}: {T.counts_text(report)}", source=source,
    )


def publish_report(report: Report, args: argparse.Namespace, report_json: str | None,
                   commands_stream: TextIO) -> bool:
    """Publish; returns False only when --strict-publish is set and something asked for failed."""
    from gate.publish.dispatch import publish

    pub = publication_for(report, args.comment_key, report_json, run_context_of(args))
    outcome = publish(pub, environ=os.environ, comment=args.comment, status=args.status,
                      strict=args.strict_publish, dotenv_path=args.dotenv, commands_stream=commands_stream,
                      log_stream=sys.stderr, comment_key=args.comment_key, api_url=args.api_url,
                      comment_mode=args.comment_mode)
    return outcome.ok or not args.strict_publish


def announce_error(message: str, args: argparse.Namespace) -> None:
    """An input or usage error stops before a report exists; CI still learns about it. GitHub: an
    ``::error`` annotation and ``verdict=error`` outputs; GitLab: ``MODEL_GATE_VERDICT=error`` in the
    ``--dotenv`` report, unless that path is also an input (the error may be that very clash). Best
    effort: a failure here never hides the original error."""
    env = os.environ
    if env.get("GITHUB_ACTIONS") == "true":
        Commands(sys.stdout).error(message, title="model-gate: input error")
        if env.get("GITHUB_OUTPUT"):
            try:
                files.write_github_outputs(env["GITHUB_OUTPUT"], files.step_outputs("error"))
            except (OSError, ValueError):
                pass
    if getattr(args, "dotenv", None) and paths.writable_output(args, args.dotenv):
        try:
            files.write_dotenv(args.dotenv, {"MODEL_GATE_VERDICT": "error", "MODEL_GATE_FAILED": "0"})
        except OSError:
            pass
