"""Entrypoint of the GitHub Docker container action (``model-gate-action``).

The runner passes action inputs as environment variables. ``action.yml`` maps every input
explicitly in ``runs.env`` as ``INPUT_<UPPER_SNAKE>``; the runner itself *also* exports
``INPUT_<NAME>`` with the input id upper-cased and hyphens kept. Hyphenated names are not
valid shell identifiers and runner versions differ, so an input ``foo_bar`` is looked up as:

1. ``INPUT_FOO_BAR``
2. ``INPUT_FOO-BAR``
3. ``FOO_BAR`` (bare; convenient for local runs and for ``env: GITHUB_TOKEN: ...``)

Command-line arguments (``runs.args`` or a local invocation) override the environment:
``--policy``, ``--candidate``, ``--baseline``, ``--baseline-from-run``, ``--out-dir``, ``--comment``,
``--comment-mode``,
``--fail-on-inconclusive``, ``--extra-args``; any other arguments are passed through to
``model-gate check`` unchanged.

The runner does **not** enforce ``required: true``, so required inputs (``policy``,
``candidate``) are validated here: a missing one exits with code 2 and a clear message.
Relative paths are resolved against ``GITHUB_WORKSPACE`` (``/github/workspace`` in the
container). The action then runs exactly the CLI's code path,
``gate.cli.main.main(["check", ...])``, and exits with its return code.
"""

from __future__ import annotations

import argparse
import os
import shlex
import stat
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from gate.publish.publication import COMMENT_MODES

PROG = "model-gate-action"

#: Exit code for usage/configuration errors (same convention as the CLI).
EXIT_USAGE = 2

#: Input ids declared in action.yml (snake_case), with their defaults there.
INPUT_DEFAULTS: dict[str, str | None] = {
    "policy": None,
    "candidate": None,
    "baseline": None,
    "baseline_from_run": None,
    "out_dir": "model-gate-report",
    "comment": "auto",
    "comment_mode": "always",
    "github_token": None,
    "fail_on_inconclusive": "false",
    "extra_args": "",
}
REQUIRED_INPUTS = ("policy", "candidate")
PATH_INPUTS = ("policy", "candidate", "baseline", "out_dir")

#: ``comment`` values: passed to ``--comment``. Booleans are accepted as aliases.
COMMENT_ALIASES = {
    "true": "auto", "yes": "auto", "on": "auto", "1": "auto",
    "false": "off", "no": "off", "0": "off", "none": "off", "never": "off",
}

#: Booleans as ``@actions/core`` ``getBooleanInput`` accepts them (YAML 1.2 core schema).
TRUE_VALUES = ("true", "True", "TRUE")
FALSE_VALUES = ("false", "False", "FALSE")


class ActionInputError(Exception):
    """A missing or malformed action input (exit code 2)."""


def get_input(environ: Mapping[str, str], name: str) -> str | None:
    """Value of input ``name`` (snake_case id) from the environment, or None if unset/empty.

    Empty strings count as unset: ``runs.env`` maps an input that was not given to ``""``.
    Surrounding whitespace is stripped (as ``@actions/core`` ``getInput`` does).
    """
    upper = name.upper()
    for key in (f"INPUT_{upper}", f"INPUT_{upper.replace('_', '-')}", upper):
        value = environ.get(key)
        if value is not None and value.strip() != "":
            return value.strip()
    return None


def parse_bool(name: str, value: str) -> bool:
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise ActionInputError(
        f"input {name!r} must be a boolean (true/True/TRUE/false/False/FALSE), got {value!r}"
    )


def _arg_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Run `model-gate check` as a GitHub container action. Inputs come from INPUT_<NAME> "
            "environment variables (INPUT_FOO_BAR, INPUT_FOO-BAR or bare FOO_BAR); these options "
            "override them. Unknown options are passed through to `model-gate check`."
        ),
        allow_abbrev=False,
    )
    p.add_argument("--policy")
    p.add_argument("--candidate")
    p.add_argument("--baseline")
    p.add_argument("--baseline-from-run", dest="baseline_from_run")
    p.add_argument("--out-dir", dest="out_dir")
    p.add_argument("--comment")
    p.add_argument("--comment-mode", dest="comment_mode")
    p.add_argument(
        "--fail-on-inconclusive", dest="fail_on_inconclusive", nargs="?", const="true",
        help="true/false (bare flag means true)",
    )
    p.add_argument("--extra-args", dest="extra_args")
    return p


def resolve_inputs(environ: Mapping[str, str], args: Sequence[str] = ()) -> tuple[dict[str, str | None], list[str]]:
    """Merge environment inputs, command-line overrides and defaults.

    Returns ``(inputs, passthrough_args)``. Raises :class:`ActionInputError` on bad input.
    """
    parser = _arg_parser()
    ns, passthrough = parser.parse_known_args(list(args))
    inputs: dict[str, str | None] = {}
    for name, default in INPUT_DEFAULTS.items():
        value = getattr(ns, name, None)
        if value is None or value.strip() == "":
            value = get_input(environ, name)
        inputs[name] = value if value is not None else default
    missing = [n for n in REQUIRED_INPUTS if not inputs[n]]
    if missing:
        names = ", ".join(missing)
        raise ActionInputError(
            f"missing required input(s): {names}. Set them under `with:` in the workflow step "
            f"(e.g. `policy: policies/model.yml`), or as INPUT_<NAME> environment variables."
        )
    return inputs, passthrough


def resolve_path(path: str, workspace: str | None) -> str:
    """Absolute paths are kept; relative ones are joined to ``workspace`` when it is set."""
    path = os.path.expanduser(path)
    if os.path.isabs(path) or not workspace:
        return path
    return os.path.normpath(os.path.join(workspace, path))


def action_argv(environ: Mapping[str, str], args: Sequence[str] = ()) -> list[str]:
    """The ``model-gate`` CLI argv for this action invocation (without running anything)."""
    inputs, passthrough = resolve_inputs(environ, args)
    workspace = environ.get("GITHUB_WORKSPACE") or None

    paths = {n: resolve_path(path, workspace) for n in PATH_INPUTS if (path := inputs[n])}

    comment = (inputs["comment"] or "auto").strip()
    comment = COMMENT_ALIASES.get(comment.lower(), comment.lower())

    mode = (inputs["comment_mode"] or "always").strip().lower()
    if mode not in COMMENT_MODES:
        raise ActionInputError(f"input 'comment_mode' must be one of {', '.join(COMMENT_MODES)}, got {mode!r}")

    fail_on_inconclusive = parse_bool("fail_on_inconclusive", inputs["fail_on_inconclusive"] or "false")

    try:
        extra = shlex.split(inputs["extra_args"] or "")
    except ValueError as exc:
        raise ActionInputError(f"input 'extra_args' is not valid shell-style text: {exc}") from None

    argv = ["check", "--policy", paths["policy"], "--candidate", paths["candidate"]]
    if "baseline" in paths:
        argv += ["--baseline", paths["baseline"]]
    if inputs["baseline_from_run"]:
        argv += ["--baseline-from-run", inputs["baseline_from_run"]]
    argv += ["--out-dir", paths["out_dir"], "--comment", comment, "--comment-mode", mode]
    if fail_on_inconclusive:
        argv.append("--fail-on-inconclusive")
    return argv + extra + list(passthrough)


def action_env_updates(environ: Mapping[str, str]) -> dict[str, str]:
    """Environment the CLI needs beyond what the runner sets: the token input as GITHUB_TOKEN.

    The token travels through the environment, never through argv (argv is visible in
    process listings and logs).
    """
    token = get_input(environ, "github_token")
    return {"GITHUB_TOKEN": token} if token else {}


def _error(message: str, environ: Mapping[str, str]) -> None:
    """An input error: an ``::error`` annotation in GitHub Actions, and one line on stderr (with
    invisible characters shown as U+FFFD, as every console line)."""
    from gate.publish.workflow_commands import Commands
    from gate.render.text import one_line

    if environ.get("GITHUB_ACTIONS") == "true":
        Commands(sys.stdout).error(message, title="model-gate")
    print(f"{PROG}: error: {one_line(message)}", file=sys.stderr, flush=True)


def _make_world_writable(cli_argv: Sequence[str]) -> None:
    """Files written by a container action are owned by root; let later (non-root) steps of the job
    clean or overwrite them (actions/runner#434). Only what model-gate writes is touched: the four
    reports, ``--comment-file`` and ``--dotenv`` when they are regular files (never through a
    symlink), and the report directory itself when it is a real directory. Walking the directory
    instead would strip the execute bits of a whole checkout given as ``out_dir: .``, or follow an
    ``out_dir`` symlink planted in it anywhere on the machine."""
    from gate.cli import paths

    args = paths.lenient_check_args(["check", *cli_argv[1:]])
    if args is None:
        return
    files = paths.report_paths(args.out_dir) + [Path(p) for p in (args.comment_file, args.dotenv) if p]
    for path in files:
        _chmod_if(path, stat.S_ISREG, 0o666)
    if args.out_dir:
        _chmod_if(Path(args.out_dir), stat.S_ISDIR, 0o777)


def _chmod_if(path: Path, kind: Callable[[int], bool], mode: int) -> None:
    """``chmod`` when ``path`` itself (not a symlink's target) is of ``kind``; errors are ignored."""
    try:
        if kind(path.lstat().st_mode):
            os.chmod(path, mode)
    except OSError:
        pass


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    env = os.environ if environ is None else environ
    if "-h" in args or "--help" in args:
        _arg_parser().print_help()
        return 0
    try:
        cli_argv = action_argv(env, args)
    except ActionInputError as exc:
        _error(str(exc), env)
        return EXIT_USAGE

    os.environ.update(action_env_updates(env))

    from gate.cli.main import main as cli_main  # imported late: --help/validation stay light

    code = cli_main(cli_argv)
    if env.get("GITHUB_ACTIONS") == "true":
        _make_world_writable(cli_argv)
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
