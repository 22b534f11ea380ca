"""``model-gate publish --report report.json``: post a report computed earlier.

For the fork-safe two-workflow recipe: an unprivileged ``pull_request`` job runs ``check`` and uploads
``report.json``; a privileged ``workflow_run`` job downloads it and runs ``publish``. The file is
untrusted data: it is parsed as strict JSON, type-checked into a Report, its verdict, exit code and counts
are checked against its gates (a report claiming ``pass`` over failed gates is refused, exit 2), and it
is re-rendered (every string escaped by the renderers); nothing in it is executed or trusted for paths.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from gate.cli import paths
from gate.cli.common import add_publish_arguments, print_untrusted, publish_report
from gate.errors import InputError

if TYPE_CHECKING:
    from gate.report.model import Report

# report_reader (jsonschema) and the renderers load in run(): ``--help`` needs neither.

HELP = "publish (comment, summary, outputs) a report.json computed earlier by 'check'"
MAX_REPORT_BYTES = 50 * 1024 * 1024


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--report", required=True, help="report.json written by model-gate check --out-dir")
    parser.add_argument("--exit-with-verdict", action="store_true",
                        help="exit 1 when the report's verdict is fail (default: 0, the check job already failed)")
    add_publish_arguments(parser)


def load_report(path: str) -> Report:
    """The report at ``path``, validated by :mod:`gate.report.reader` (types, consistency of verdict,
    exit code and counts with the gates). At most 50 MB are read, so ``/dev/zero`` or a runaway file
    cannot exhaust memory. Every problem is an :class:`InputError` naming the field."""
    from gate.report import reader as report_reader

    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_REPORT_BYTES + 1)
    except IsADirectoryError:
        raise InputError("is a directory", source=path, fix="pass the report.json file") from None
    except OSError as exc:
        raise InputError(f"cannot read the report ({exc.strerror})", source=path) from None
    if len(raw) > MAX_REPORT_BYTES:
        raise InputError("is larger than 50 MB; not a model-gate report", source=path)
    try:
        return report_reader.load_report(raw)
    except report_reader.ReportFormatError as exc:
        raise InputError(exc.problem, source=path, where=exc.field or None,
                         fix="not a valid model-gate report: pass the report.json that model-gate "
                         "check --out-dir wrote, unmodified") from None


def run(args: argparse.Namespace) -> int:
    from gate.render import console

    paths.check_outputs(args)
    report = load_report(args.report)
    print_untrusted(console.render(report, color=console.use_color(sys.stdout), quiet=True), sys.stdout)
    if not publish_report(report, args, args.report, sys.stdout):
        return 2
    return report.exit_code if args.exit_with_verdict else 0
