"""Input handling of the container-action entrypoint (gate/cli/action.py), without the engine.

Checklist item 4: INPUT_FOO_BAR, INPUT_FOO-BAR and bare FOO_BAR are all accepted; required
inputs are validated by the action itself (exit 2); relative paths resolve against
GITHUB_WORKSPACE.
"""

from __future__ import annotations

import sys
import types

import pytest

from gate.cli import action
from gate.cli.action import ActionInputError, action_argv, action_env_updates, get_input

WS = "/github/workspace"


def _env(**kw: str) -> dict[str, str]:
    env = {"GITHUB_WORKSPACE": WS}
    env.update(kw)
    return env


def _opt(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


@pytest.mark.parametrize(
    "key",
    ["INPUT_FAIL_ON_INCONCLUSIVE", "INPUT_FAIL-ON-INCONCLUSIVE", "FAIL_ON_INCONCLUSIVE"],
)
def test_each_input_spelling_is_read(key: str) -> None:
    env = {"INPUT_POLICY": "p.yml", "INPUT_CANDIDATE": "c.csv", key: "true"}
    assert "--fail-on-inconclusive" in action_argv(env)


@pytest.mark.parametrize("key", ["INPUT_OUT_DIR", "INPUT_OUT-DIR", "OUT_DIR"])
def test_each_spelling_for_a_path_input(key: str) -> None:
    env = _env(INPUT_POLICY="p.yml", INPUT_CANDIDATE="c.csv", **{key: "reports"})
    assert _opt(action_argv(env), "--out-dir") == f"{WS}/reports"


def test_bare_names_for_required_inputs() -> None:
    argv = action_argv({"POLICY": "/abs/p.yml", "CANDIDATE": "/abs/c.csv"})
    assert argv[:5] == ["check", "--policy", "/abs/p.yml", "--candidate", "/abs/c.csv"]


def test_precedence_snake_then_hyphen_then_bare() -> None:
    env = {"INPUT_EXTRA_ARGS": "--a", "INPUT_EXTRA-ARGS": "--b", "EXTRA_ARGS": "--c"}
    assert get_input(env, "extra_args") == "--a"
    del env["INPUT_EXTRA_ARGS"]
    assert get_input(env, "extra_args") == "--b"
    del env["INPUT_EXTRA-ARGS"]
    assert get_input(env, "extra_args") == "--c"


def test_empty_string_counts_as_unset() -> None:
    # runs.env maps an input that was not given to "" — fall through to the next spelling.
    env = {"INPUT_BASELINE": "", "INPUT_BASELINE-X": "", "BASELINE": "b.csv"}
    assert get_input(env, "baseline") == "b.csv"
    assert get_input({"INPUT_BASELINE": "  "}, "baseline") is None


def test_full_argv_with_defaults() -> None:
    env = _env(
        INPUT_POLICY="policies/affairs.yml",
        INPUT_CANDIDATE="examples/affairs/candidate.csv",
        INPUT_BASELINE="",
        INPUT_OUT_DIR="",
        INPUT_COMMENT="",
        INPUT_FAIL_ON_INCONCLUSIVE="",
        INPUT_EXTRA_ARGS="",
    )
    assert action_argv(env) == [
        "check",
        "--policy", f"{WS}/policies/affairs.yml",
        "--candidate", f"{WS}/examples/affairs/candidate.csv",
        "--out-dir", f"{WS}/model-gate-report",
        "--comment", "auto", "--comment-mode", "always",
    ]


def test_baseline_from_run_input_is_passed_as_is() -> None:
    """Not a path: WORKFLOW[:ARTIFACT] goes to the CLI untouched (no workspace prefix)."""
    env = _env(INPUT_POLICY="p.yml", INPUT_CANDIDATE="c.csv", INPUT_BASELINE_FROM_RUN="model-gate.yml:preds")
    argv = action_argv(env)
    assert argv[argv.index("--baseline-from-run") + 1] == "model-gate.yml:preds" and "--baseline" not in argv


def test_all_inputs() -> None:
    env = _env(
        INPUT_POLICY="p.yml",
        INPUT_CANDIDATE="c.csv",
        INPUT_BASELINE="b.parquet",
        INPUT_OUT_DIR="/tmp/out",
        INPUT_COMMENT="off",
        INPUT_COMMENT_MODE="Failures",
        INPUT_FAIL_ON_INCONCLUSIVE="TRUE",
        INPUT_EXTRA_ARGS="--seed 7 --title 'two words'",
    )
    assert action_argv(env) == [
        "check",
        "--policy", f"{WS}/p.yml",
        "--candidate", f"{WS}/c.csv",
        "--baseline", f"{WS}/b.parquet",
        "--out-dir", "/tmp/out",
        "--comment", "off", "--comment-mode", "failures",
        "--fail-on-inconclusive",
        "--seed", "7", "--title", "two words",
    ]


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"INPUT_POLICY": "p.yml"},
        {"INPUT_CANDIDATE": "c.csv"},
        {"INPUT_POLICY": "", "INPUT_CANDIDATE": "c.csv"},
        {"INPUT_POLICY": "p.yml", "INPUT_CANDIDATE": "   "},
    ],
)
def test_missing_required_input_raises(env: dict[str, str]) -> None:
    with pytest.raises(ActionInputError, match="missing required input"):
        action_argv(env)


def test_missing_required_input_exits_2_without_running_the_cli(monkeypatch, capsys) -> None:
    called = []
    fake = types.ModuleType("gate.cli.main")
    fake.main = lambda argv: called.append(argv) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "gate.cli.main", fake)
    env = {"GITHUB_ACTIONS": "true", "INPUT_CANDIDATE": "c.csv"}
    assert action.main([], env) == 2
    assert called == []
    out, err = capsys.readouterr()
    assert "missing required input(s): policy" in err
    assert out.startswith("::error title=model-gate::missing required input(s): policy")


def test_relative_paths_resolve_against_workspace_absolute_kept() -> None:
    env = _env(INPUT_POLICY="./a/../p.yml", INPUT_CANDIDATE="/data/c.csv", INPUT_BASELINE="b.csv")
    argv = action_argv(env)
    assert _opt(argv, "--policy") == f"{WS}/p.yml"
    assert _opt(argv, "--candidate") == "/data/c.csv"
    assert _opt(argv, "--baseline") == f"{WS}/b.csv"


def test_without_workspace_paths_stay_relative() -> None:
    argv = action_argv({"INPUT_POLICY": "p.yml", "INPUT_CANDIDATE": "c.csv"})
    assert _opt(argv, "--policy") == "p.yml"
    assert _opt(argv, "--out-dir") == "model-gate-report"


def test_args_override_env_and_unknown_args_pass_through() -> None:
    env = _env(INPUT_POLICY="env.yml", INPUT_CANDIDATE="c.csv", INPUT_COMMENT="auto")
    argv = action_argv(env, ["--policy", "arg.yml", "--comment=off", "--seed", "3"])
    assert _opt(argv, "--policy") == f"{WS}/arg.yml"
    assert _opt(argv, "--comment") == "off"
    assert argv[-2:] == ["--seed", "3"]


def test_required_inputs_from_args_only() -> None:
    argv = action_argv({}, ["--policy", "p.yml", "--candidate", "c.csv", "--fail-on-inconclusive"])
    assert "--fail-on-inconclusive" in argv


@pytest.mark.parametrize("value,expected", [("true", "auto"), ("false", "off"), ("OFF", "off"), ("auto", "auto")])
def test_comment_aliases(value: str, expected: str) -> None:
    env = {"INPUT_POLICY": "p", "INPUT_CANDIDATE": "c", "INPUT_COMMENT": value}
    assert _opt(action_argv(env), "--comment") == expected


@pytest.mark.parametrize("value", ["yes", "1", "maybe"])
def test_bad_boolean_is_a_usage_error(value: str) -> None:
    env = {"INPUT_POLICY": "p", "INPUT_CANDIDATE": "c", "INPUT_FAIL_ON_INCONCLUSIVE": value}
    with pytest.raises(ActionInputError, match="fail_on_inconclusive"):
        action_argv(env)


def test_unknown_comment_mode_is_a_usage_error() -> None:
    with pytest.raises(ActionInputError, match="comment_mode.*always, changed, failures, off"):
        action_argv(_env(INPUT_POLICY="p.yml", INPUT_CANDIDATE="c.csv", INPUT_COMMENT_MODE="sometimes"))


def test_unbalanced_quote_in_extra_args_is_a_usage_error() -> None:
    env = {"INPUT_POLICY": "p", "INPUT_CANDIDATE": "c", "INPUT_EXTRA_ARGS": "--title 'oops"}
    with pytest.raises(ActionInputError, match="extra_args"):
        action_argv(env)
    assert action.main([], {**env}) == 2


def test_token_goes_to_environment_not_argv() -> None:
    env = {"INPUT_POLICY": "p", "INPUT_CANDIDATE": "c", "INPUT_GITHUB_TOKEN": "ghs_secret"}
    assert "ghs_secret" not in " ".join(action_argv(env))
    assert action_env_updates(env) == {"GITHUB_TOKEN": "ghs_secret"}
    assert action_env_updates({"INPUT_GITHUB-TOKEN": "t2"}) == {"GITHUB_TOKEN": "t2"}
    assert action_env_updates({}) == {}


@pytest.mark.invalid_report
def test_main_calls_cli_with_argv_and_returns_its_code(monkeypatch, tmp_path) -> None:
    seen = {}

    def fake_main(argv):
        seen["argv"] = argv
        seen["token"] = action.os.environ.get("GITHUB_TOKEN")
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "report.json").write_text("{}")
        return 1

    fake = types.ModuleType("gate.cli.main")
    fake.main = fake_main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "gate.cli.main", fake)
    monkeypatch.setenv("GITHUB_TOKEN", "placeholder")  # restored after the test
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(tmp_path),
        "INPUT_POLICY": "p.yml",
        "INPUT_CANDIDATE": "c.csv",
        "INPUT_OUT_DIR": "out",
        "INPUT_GITHUB_TOKEN": "tok",
    }
    assert action.main([], env) == 1
    assert seen["argv"][:3] == ["check", "--policy", str(tmp_path / "p.yml")]
    assert seen["token"] == "tok"
    # report files are made writable for later non-root steps
    assert (tmp_path / "out" / "report.json").stat().st_mode & 0o666 == 0o666


def test_help_needs_no_inputs(capsys) -> None:
    assert action.main(["--help"], {}) == 0
    assert "INPUT_" in capsys.readouterr().out
