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
