"""``model-gate plan``: per gate, the examples that decide it with 80% power at the observed effect,
and the true values it passes and fails from at the current size (a thin client of
:func:`gate.api.plan`; the figures are explained in :mod:`gate.inference.planning`)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from gate.cli.common import print_untrusted
from gate.data import limits
from gate.errors import UsageError

if TYPE_CHECKING:
    from gate.inference.planning import GatePlan, Plan

# The engine, the policy reader and the renderers load in run(): ``--help`` needs none of them.

HELP = "print, per gate, the examples needed to decide it with 80%% power and the effect the current n detects"
HEADER = ("GATE", "STATUS", "N", "ESTIMATE", "BAR", "N FOR POWER", "PASSES FROM", "FAILS FROM")
GATE_WIDTH = 44


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = limits.help_text()
    parser.add_argument("--policy", required=True, help="policy YAML file")
    parser.add_argument("--candidate", required=True, help="candidate predictions (.csv, .csv.gz, .jsonl, .parquet)")
    parser.add_argument("--baseline", help="baseline predictions, for comparative and flip gates")
    parser.add_argument("--power", type=float, default=0.8, help="the chance of deciding a gate (default 0.8)")
    parser.add_argument("--seed", type=_seed, help="override bootstrap.seed")


def _seed(text: str) -> int:
    """``--seed``: :func:`gate.policy.seed_argument`, imported only when the flag is given."""
    from gate.policy.load import seed_argument

    return seed_argument(text)


def run(args: argparse.Namespace) -> int:
    from gate import api

    if args.seed is not None and args.seed < 0:
        raise UsageError("--seed must be >= 0", source="command line")
    result = api.plan(args.policy, args.candidate, args.baseline, power=args.power, seed=args.seed)
    print_untrusted(render(result), sys.stdout)
    return 0


def _row(g: GatePlan) -> list[str]:
    from gate.render import text as T

    signed = g.quantity != "candidate"
    f = T.fmt_signed if signed else T.fmt
    needed = T.DASH if g.needed_n is None else f"{g.needed_n:,}" + (" clusters" if g.clusters is not None else "")
    return [T.shorten(T.one_line(g.label or g.id), GATE_WIDTH), g.status, T.fmt_int(g.n), f(g.estimate),
            f"{g.op} {f(g.threshold)}", needed, T.DASH if g.pass_from is None else f"{g.op} {f(g.pass_from)}",
            T.DASH if g.fail_from is None else f"{'<' if g.op == '>=' else '>'} {f(g.fail_from)}"]


def render(result: Plan) -> str:
    """The plan as a plain-text table, then one line per gate without figures."""
    from gate.render import messages
    from gate.render import text as T

    rows = [list(HEADER)] + [_row(g) for g in result.gates]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    lines = [f"model-gate plan: policy {T.one_line(result.report.policy_name)}, {result.power:.0%} power, "
             "figures at the current number of labeled examples"]
    lines += ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
              for r in rows]
    lines += [f"{T.one_line(p.label or p.id)}: {messages.plan_remark(p.remark, g)}"
              for p, g in zip(result.gates, result.report.gates) if p.remark]
    note = messages.plan_cluster_note(result)
    if note:
        lines.append(T.one_line(note))
    lines.append("N FOR POWER: labeled examples (clusters with data.cluster) that decide the gate with that power if "
                 "the estimate is the truth. "
                 "PASSES/FAILS FROM: true values of the tested quantity the gate passes/fails with that power "
                 "at the current N (their distance to the bar is the minimal detectable effect).")
    return "\n".join(lines) + "\n"
