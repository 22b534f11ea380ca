"""A policy error names its field once: ``policy.yml: bootstrap.method: bca is not available ...``,
never ``bootstrap.method: bootstrap.method: bca ...`` or ``gates[0].average: average: samples ...``
(the message is ``<source>: <where>: <problem>``, so a problem that starts with the field, or
whose first word is the field's last name, says it twice in a row).

Checked three ways: every ``PolicyError(...)`` written in gate/ (its problem text against its
``where``, read from the source), every policy message of the bad-input catalogue (docs/errors.md,
generated from tests/test_bad_inputs.py), and the messages of policies broken on purpose here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from gate.errors import PolicyError
from gate.policy.load import build_policy

ROOT = Path(__file__).resolve().parents[1]


def _repeats(where: str, problem: str) -> bool:
    """``problem`` starts with ``where``, or its first word (quotes and a colon aside) is the
    field's last name: ``average: samples ...``, ``'class' does not apply``, ``class 'cat' ...``."""
    leaf = re.split(r"[.\]]", where)[-1] or where
    first = re.split(r"[ :]", problem, maxsplit=1)[0].strip("'\"")
    return problem.startswith(where) or first == leaf


def _template(node: ast.expr) -> str | None:
    """A string argument as written, each f-string field as ``{its source}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}"  # type: ignore[attr-defined]
                       for v in node.values)
    if isinstance(node, ast.Name):
        return "{" + node.id + "}"
    return None


def _policy_errors_in_source() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted((ROOT / "gate").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "PolicyError" and node.args):
                continue
            where = next((_template(k.value) for k in node.keywords if k.arg == "where"), None)
            problem = _template(node.args[0])
            if where and problem:
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", where, problem))
    return found


def test_the_rule_sees_both_kinds_of_repetition():
    assert _repeats("bootstrap.method", "bootstrap.method: bca is not available")
    assert _repeats("gates[0].average", "average: samples applies only to task: multilabel")
    assert _repeats("{key}", "{key} does not apply")
    assert _repeats("gates[0].class", "class 'cat' is not one of the policy's classes")
    assert _repeats("gates[1].{key}", "'{key}' does not apply to task: ranking")
    assert not _repeats("gates[0].class", "'cat' is not one of the policy's classes")
    assert not _repeats("bootstrap.method", "bca is not available for task: multilabel")


def test_no_policy_error_in_the_source_repeats_its_field():
    found = _policy_errors_in_source()
    assert len(found) > 40                                  # the scan reads the raises it should
    assert [f"{at}: {where}: {problem}" for at, where, problem in found if _repeats(where, problem)] == []


def test_no_policy_message_of_the_catalogue_repeats_its_field():
    messages = re.findall(r"model-gate: error: policy\.yml: ([^`]*)`", (ROOT / "docs/errors.md").read_text())
    assert len(messages) > 30
    bad = []
    for text in messages:
        where, _, problem = text.partition(": ")
        if problem and _repeats(where, problem):
            bad.append(text)
    assert bad == []


HEAD = {"version": 1, "name": "t"}
RANKING = {**HEAD, "task": "ranking", "gates": [{"metric": "ap", "min": 0.1}]}
MULTILABEL = {**HEAD, "task": "multilabel", "gates": [{"metric": "f1", "average": "micro", "min": 0.1}]}
BINARY = {**HEAD, "task": "binary", "positive_class": "1", "gates": [{"metric": "recall", "min": 0.1}]}


@pytest.mark.parametrize("doc,where,problem", [
    ({**MULTILABEL, "bootstrap": {"method": "bca"}}, "bootstrap.method", "bca is not available for task: multilabel"),
    ({**MULTILABEL, "bootstrap": {"sampling": "stratified"}}, "bootstrap.sampling",
     "stratified is not available for task: multilabel (an example has several labels, no one class)"),
    ({**RANKING, "bootstrap": {"adaptive": True}}, "bootstrap.adaptive", "is not available for task: ranking"),
    ({**RANKING, "data": {"label": "y"}}, "data.label", "does not apply to task: ranking"),
    ({**RANKING, "positive_class": "a"}, "positive_class", "does not apply to task: ranking"),
    ({**BINARY, "gates": [{"metric": "f1", "average": "samples", "min": 0.1}]}, "gates[0].average",
     "samples applies only to task: multilabel"),
    ({**BINARY, "data": {"layout": "long"}}, "data.layout", "applies only to task: multilabel"),
    ({**BINARY, "task": "multiclass", "classes": ["a", "b", "c"], "positive_class": "a"}, "positive_class",
     "applies only to task: binary"),
    ({**BINARY, "data": {"cluster": "user"}, "bootstrap": {"sampling": "stratified"}}, "bootstrap.sampling",
     "stratified keeps each class's count of rows"),
    ({**BINARY, "bootstrap": {"stratify": True, "sampling": "iid"}}, "bootstrap.stratify",
     "true contradicts sampling: iid"),
])
def test_policy_errors_name_the_field_once(doc, where, problem):
    with pytest.raises(PolicyError) as err:
        build_policy(doc, source="policy.yml")
    assert err.value.where == where and err.value.problem.startswith(problem)
    assert err.value.message.startswith(f"policy.yml: {where}: {problem}")
