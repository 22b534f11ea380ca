"""The stages do not word anything: only the renderers (gate/render/) and their callers import
gate.render.

Every module of the package is parsed (no import runs) and each ``import gate.render...`` /
``from gate.render... import`` / ``from gate import render`` in it, at module level or inside a
function, is located. The pipeline's stages — policy, data, metrics, resampling, inference, the
engine and engines, ranking, multilabel, the report model's facts — must have none: a sentence the
inference writes into the model would be a second home of the wording (gate/render/messages.py is
the one). The callers of renderers may: the public API and its CLI, gate.testing's readable
failures, the publishers (they post a rendered comment), and the model's ``to_json`` /
``to_markdown`` / ``to_openmetrics`` conveniences (the API of issue 12), which import the renderer
inside the method.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

GATE = Path(__file__).resolve().parents[1] / "gate"
#: modules (or folders) that call renderers
CALLERS = ("api.py", "testing.py", "cli/", "publish/", "render/")
#: the one place in the model allowed to import a renderer: these methods of Report
MODEL_CONVENIENCES = {"to_json", "to_markdown", "to_openmetrics"}


def _render_imports(tree: ast.AST) -> list[tuple[int, str | None]]:
    """``(line, enclosing function or None)`` of every import of gate.render in ``tree``."""
    found: list[tuple[int, str | None]] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.Import) and any(a.name.startswith("gate.render") for a in child.names):
                found.append((child.lineno, function))
            elif isinstance(child, ast.ImportFrom) and child.module is not None and (
                    child.module.startswith("gate.render")
                    or (child.module == "gate" and any(a.name == "render" for a in child.names))):
                found.append((child.lineno, function))
            visit(child, inner)

    visit(tree, None)
    return found


def _modules() -> dict[str, list[tuple[int, str | None]]]:
    return {p.relative_to(GATE).as_posix(): _render_imports(ast.parse(p.read_text("utf-8"), str(p)))
            for p in sorted(GATE.rglob("*.py"))}


def test_no_stage_imports_a_renderer():
    offenders = [f"gate/{name}:{line}" for name, hits in _modules().items()
                 if not name.startswith(CALLERS) and name != "report/model.py" for line, _ in hits]
    assert offenders == []


def test_the_model_imports_renderers_only_in_its_to_methods():
    hits = _modules()["report/model.py"]
    assert {function for _, function in hits} <= MODEL_CONVENIENCES
    assert all(function is not None for _, function in hits)     # never at module level


def test_the_check_finds_an_import_wherever_it_is():
    """The scanner sees module-level, aliased and lazy imports (so the tests above can fail)."""
    source = ("import gate.render.text as T\nfrom gate import render\n"
              "def f():\n    from gate.render.messages import message\n    return message\n"
              "import gate.report\n")
    assert _render_imports(ast.parse(source)) == [(1, None), (2, None), (4, "f")]


# -- the notes' and warnings' words live in gate/render/notes.py only ----------------------------------

_NUMBER_OR_VALUE = re.compile(r"\x00|[-+]?\d[\d.,e+-]*")


def _fragments() -> set[str]:
    """The literal runs of every note's words (10+ characters), worded with each text value a marker
    and each number a digit, so only our own words are left."""
    from gate.render import notes
    from gate.report.model import NOTE_KINDS, Note

    out: set[str] = set()
    for code, kinds in NOTE_KINDS.items():
        if code == "text":
            continue
        values = {k: kind[0] if isinstance(kind, tuple) else {int: 7, float: 0.5, str: "\x00"}[kind]
                  for k, kind in kinds.items()}
        out |= {f.strip() for f in _NUMBER_OR_VALUE.split(notes.text(Note(code, values))) if len(f.strip()) >= 10}
    return out


def _string_pieces(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string constant of ``tree`` outside docstrings (an f-string's literal parts included)."""
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


def _holds_words(piece: str, fragments: set[str]) -> bool:
    """``piece`` holds a run of a note's words, or is a long (20+ characters) part of one."""
    return any(f in piece or (len(piece) >= 20 and piece in f) for f in fragments)


def test_no_module_outside_render_words_a_note():
    """No string of a module outside gate/render/ (docstrings aside) holds a run of a note's words of
    10+ characters, or is a long part of one: stages build Note(code, values), gate/render/notes.py words
    them. Fails on main, where gate/report/notes.py, gate/data/align.py, gate/ranking/check.py,
    gate/multilabel/check.py and gate/inference/calibration.py built the sentences."""
    fragments = _fragments()
    offenders = []
    for path in sorted(GATE.rglob("*.py")):
        name = path.relative_to(GATE).as_posix()
        if name.startswith("render/"):
            continue
        for line, piece in _string_pieces(ast.parse(path.read_text("utf-8"), str(path))):
            piece = piece.strip()
            if _holds_words(piece, fragments):
                offenders.append(f"gate/{name}:{line}: {piece[:60]!r}")
    assert offenders == []


def test_the_note_scan_finds_a_sentence():
    """The scan above can fail: two of the lines gate/report/notes.py had (an f-string's literal parts,
    a plain string) are found; a docstring and an unrelated string are not."""
    for line in ('n = f"the smallest class has only {smallest} examples here: with fewer than {limit}, "',
                 'n = "BCa undefined (every resample on one side of the estimate); percentile endpoints used"'):
        assert any(_holds_words(p.strip(), _fragments()) for _, p in _string_pieces(ast.parse(line)))
    source = 'def f():\n    """the smallest class has only"""\n    return "prediction column"\n'
    assert not any(_holds_words(p.strip(), _fragments()) for _, p in _string_pieces(ast.parse(source)))
