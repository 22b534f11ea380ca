"""``model-gate validate POLICY``: check a policy without any data."""

from __future__ import annotations

import argparse
import sys

from gate.cli.common import print_untrusted
from gate.data import limits
from gate.render.text import one_line

HELP = "check a policy file (schema, metric names, bars) without data"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = limits.help_text()
    parser.add_argument("policy", help="policy YAML file")


def run(args: argparse.Namespace) -> int:
    """Load (and so check) the policy; print one line. The policy module (jsonschema, yaml) is
    imported here so that ``model-gate --help`` does not load it."""
    from gate.policy.load import load_policy

    policy = load_policy(args.policy)
    expanded = sum(1 for _ in policy.gates)
    line = (f"{args.policy}: valid model-gate policy '{policy.name}' ({policy.task}, {expanded} gate"
            f"{'s' if expanded != 1 else ''}{', needs --baseline' if policy.needs_baseline else ''})")
    print_untrusted(one_line(line) + "\n", sys.stdout)  # the name and path are the user's text
    return 0
