"""Invisible characters in untrusted text never reach an output raw.

Bidi controls (U+202A–U+202E, U+2066–U+2069), zero-width characters (U+200B–U+200F, U+2060, U+FEFF),
tag characters, variation selectors, ESC and the other characters of
:data:`gate.render.text.INVISIBLE_CHARS` are put into every untrusted field of a report (class names,
slice keys and values, the policy name, gate labels (which every gate's sentence quotes), notes,
warnings, file paths, the reproduce command) and rendered in every output language: Markdown (the comment, the GitLab note, the
job summary, the shell block), HTML, JUnit XML, the console, workflow commands. No output may contain
one raw; the shell block must reproduce the exact arguments when pasted into bash.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata

import pytest

from gate.cli.main import main
from gate.publish.workflow_commands import Commands, escape_data
from gate.render import annotations, console, html, json_report, junit, markdown
from gate.render import text as T
from gate.report.model import Guard, Note
from tests.fakes.ci import github_env, gitlab_env, parse_commands
from tests.report_factory import build_report, est, make_gate

INVISIBLE = re.compile(f"[{T.INVISIBLE_CHARS}\ud800-\udfff]")
SAMPLES = ("\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
           "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff", "\u061c", "\u00ad",
           "\x1b", "\x07", "\x7f", "\x85", "\u2028", "\u2029", "\ufe0f", "\U000e0041", "\U000e0100",
           "\u3164", "\u2800")
#: our own (trusted) text uses the emoji ⚠️, which ends in VARIATION SELECTOR-16
TRUSTED = ("⚠️",)


def _evil(tag: str) -> str:
    return f"{tag}:" + "".join(f"a{ch}b" for ch in SAMPLES) + "\u202egpj.exe"


def hostile_report():
    cls = _evil("class")
    gates = [
        make_gate("recall", class_name=cls, bar=0.6, candidate=est(0.5, 0.45, 0.58), status="fail",
                  notes=(Note("label_without_positives", {"label": _evil("note")}), _evil("verbatim-note")),
                  label=_evil("label")),
        make_gate("accuracy", kind="max_drop", bar=0.02, slice={_evil("key"): _evil("value")},
                  candidate=est(0.9, 0.88, 0.92), baseline=est(0.895, 0.875, 0.915), status="inconclusive",
                  label=f"accuracy in {_evil('key')}={_evil('value')}", needed_n=900),
        make_gate("precision", class_name=cls, bar=0.6, candidate=est(0.5, 0.45, 0.58), status="inconclusive",
                  label=f"{_evil('name')} for class '{cls}'", guard=Guard("min_support", "class", size=3, min_support=30)),
    ]
    return build_report(gates, policy_name=_evil("policy"), classes=(cls, "b"), task="multiclass", positive=None,
                        curve_classes=[cls],
                        warnings=(Note("same_data", {"candidate": _evil("cand"), "baseline": _evil("base")}),
                                  Note("default_threshold", {"role": _evil("role")}), _evil("warning")),
                        paths=(_evil("cand") + ".csv", _evil("base") + ".csv"),
                        command=("model-gate", "check", "--policy", _evil("pol") + ".yml", "--candidate",
                                 _evil("cand") + ".csv", "--baseline", "new\nline$(id)`id`'q'\"<!--"))


def _raw(text: str) -> list[str]:
    for trusted in TRUSTED:
        text = text.replace(trusted, "")
    return sorted({f"U+{ord(ch):04X}" for ch in INVISIBLE.findall(text)} - {"U+000A", "U+0009"})


def test_invisible_list_covers_the_unicode_database():
    """Every control (but tab and LF), format, line/paragraph-separator and default-ignorable
    character the interpreter's Unicode database knows is in INVISIBLE_CHARS."""
    class_re = re.compile(f"[{T.INVISIBLE_CHARS}]")
    ignorable = {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0, *range(0x180B, 0x1810),
                 *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0), 0x2800}
    missing = [f"U+{cp:04X}" for cp in range(sys.maxunicode + 1)
               if cp not in (0x09, 0x0A) and not (0xD800 <= cp <= 0xDFFF)
               and (unicodedata.category(chr(cp)) in ("Cc", "Cf", "Zl", "Zp") or cp in ignorable)
               and not class_re.match(chr(cp))]
    assert missing == []
    assert not class_re.search("plain ASCII, é, 中文, 😀, \t tab")


RENDERERS = {
    "markdown": lambda r: markdown.render(r),
    "markdown-no-chart": lambda r: markdown.render(r, chart="none"),
    "html": lambda r: html.render(r, plots=False),
    "junit": lambda r: junit.render(r, policy_file=_evil("policy-file")),
    "console": lambda r: console.render(r),
    "console-colour": lambda r: console.render(r, color=True).replace("\x1b[", "CSI["),
    "annotations": lambda r: "\n".join(escape_data(a.title) + escape_data(a.message) for a in annotations.render(r)),
}


@pytest.mark.parametrize("name", list(RENDERERS))
def test_no_renderer_lets_an_invisible_character_through(name):
    assert _raw(RENDERERS[name](hostile_report())) == []


def test_report_json_escapes_them_and_keeps_the_value():
    """report.json (and ``--format json``) writes them as JSON escapes: the same value, nothing a
    terminal would act on when the file is printed."""
    report = hostile_report()
    text = json_report.render(report)
    assert _raw(text) == [] and "\\u202e" in text and "\\udb40\\udc41" in text
    assert json.loads(text) == json.loads(json.dumps(json_report.report_dict(report)))


def test_html_with_plots_has_no_invisible_character():
    assert _raw(html.render(hostile_report(), plots=True)) == []


def _shell_block(md: str) -> str:
    block = md.split("```sh\n", 1)[1].split("\n```", 1)[0]
    assert "\n" not in block
    return block


def test_shell_block_is_visible_ascii_and_reproduces_the_exact_arguments():
    report = hostile_report()
    line = _shell_block(markdown.render(report))
    assert re.fullmatch(r"[\x20-\x7e]+", line), line  # every hostile character is an escape now
    assert "\\u202e" in line and "\\U000e0041" in line and "<" not in line and "`" not in line
    if shutil.which("bash") is None:
        pytest.skip("bash not installed")
    out = subprocess.run(["bash", "-c", "eval \"set -- $1\"; printf '%s\\0' \"$@\"", "_",
                          line.split(" ", 1)[1]], capture_output=True, check=True,
                         env={"LC_ALL": "C.UTF-8", "PATH": os.environ.get("PATH", "")}).stdout
    args = out.split(b"\0")[:-1]
    assert args == [a.encode("utf-8") for a in report.reproducibility.command[1:]]


@pytest.mark.parametrize("arg,expected", [
    ("plain-file.csv", "plain-file.csv"),
    ("two words", "'two words'"),
    ("it's", "'it'\"'\"'s'"),
    ("a\u202eb", "$'a\\u202eb'"),
    ("no\u00a0break", "$'no\\u00a0break'"),
    ("\U000e0041x", "$'\\U000e0041x'"),
    ("\udcff.csv", "$'\\xff.csv'"),          # an undecodable byte of a file name, as Python holds it
    ("back\\slash'\n", "$'back\\\\slash\\'\\x0a'"),
])
def test_shell_arg(arg, expected):
    assert T.shell_arg(arg) == expected


def test_workflow_commands_one_helper_neutralises_invisible_characters():
    import io
    stream = io.StringIO()
    Commands(stream).error(f"bad {_evil('x')}\nsecond line", title=_evil("title"))
    line = stream.getvalue()
    assert line.count("\n") == 1 and _raw(line) == []
    [(kind, props, message)] = parse_commands(line)
    assert kind == "error" and message.endswith("\nsecond line")


def test_action_errors_use_the_same_escaping(capsys):
    from gate.cli import action
    code = action.main([], {"GITHUB_ACTIONS": "true", "INPUT_POLICY": "p.yml", "INPUT_CANDIDATE": "c.csv",
                            "INPUT_FAIL_ON_INCONCLUSIVE": "yes\u202e\u200b"})
    out, err = capsys.readouterr()
    assert code == 2 and _raw(out) == [] and _raw(err) == []
    assert [c[0] for c in parse_commands(out)] == ["error"]


def _report_file(tmp_path) -> str:
    path = tmp_path / "report.json"
    path.write_text(hostile_report().to_json(), encoding="utf-8")
    return str(path)


def test_github_comment_and_summary_have_no_invisible_character(fake_github, tmp_path, monkeypatch, capsys):
    for key, value in github_env(tmp_path, fake_github).items():
        monkeypatch.setenv(key, value)
    assert main(["publish", "--report", _report_file(tmp_path)]) == 0
    out, err = capsys.readouterr()
    [comment] = fake_github.issue_comments("octo", "gate", 7)
    assert _raw(comment["body"]) == [] and _raw((tmp_path / "summary.md").read_text(encoding="utf-8")) == []
    assert _raw(out) == [] and _raw(err) == []


def test_gitlab_note_has_no_invisible_character(fake_gitlab, tmp_path, monkeypatch, capsys):
    for name in ("GITHUB_ACTIONS", "GITHUB_TOKEN", "INPUT_GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for key, value in gitlab_env(fake_gitlab).items():
        monkeypatch.setenv(key, value)
    assert main(["publish", "--report", _report_file(tmp_path)]) == 0
    out, err = capsys.readouterr()
    [note] = fake_gitlab.mr_notes("42", 3)
    assert _raw(note["body"]) == [] and _raw(out) == [] and _raw(err) == []


def test_errors_in_github_actions_cannot_run_workflow_commands(tmp_path, monkeypatch, capsys):
    """An input error quoting a hostile label prints on stderr with workflow commands suspended: the
    runner scans stderr too, and a legacy ``##[error]`` anywhere in a line would act."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    (tmp_path / "p.yml").write_text('version: 1\nname: t\ntask: binary\npositive_class: "1"\n'
                                    'classes: ["0", "1"]\ngates:\n  - metric: recall\n    min: 0.5\n')
    (tmp_path / "c.csv").write_text("id,label,score\nr0,##[set-output name=x]y,0.5\n")
    assert main(["check", "--policy", "p.yml", "--candidate", "c.csv"]) == 2
    out, err = capsys.readouterr()
    assert "##[set-output" in err
    assert [c[0] for c in parse_commands(err)] == [] and [c[0] for c in parse_commands(out)] == ["error"]


def test_json_on_stdout_in_github_actions_cannot_run_workflow_commands(tmp_path, monkeypatch, capsys):
    """``--format json`` in GitHub Actions: the same JSON value, with ``##[`` written as an escape."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_TOKEN", "INPUT_GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "p.yml").write_text('version: 1\nname: "##[warning]x"\ntask: binary\npositive_class: "1"\n'
                                    'gates:\n  - metric: recall\n    min: 0.1\n')
    (tmp_path / "c.csv").write_text("id,label,score\n" + "".join(f"r{i},{i % 2},0.{i % 10}\n" for i in range(40)))
    main(["check", "--policy", "p.yml", "--candidate", "c.csv", "--format", "json", "--comment", "off"])
    out = capsys.readouterr().out
    assert json.loads(out)["policy"]["name"] == "##[warning]x"
    assert parse_commands(out) == []
