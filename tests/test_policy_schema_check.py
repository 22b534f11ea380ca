"""The fast schema check agrees with jsonschema wherever it answers (gate/policy/schema_check.py).

The rule: ``conforms(doc)`` is True only when jsonschema (Draft 2020-12, the validator
``gate.policy.load`` words its messages from) finds no error. Checked on every policy the repository
ships or shows (policies/, the YAML blocks of README.md and docs/) and on seeded mutations of them
(wrong types, bounds, unknown and missing fields, YAML-only values), and the fast path must actually
serve: every shipped policy conforms without jsonschema.
"""

from __future__ import annotations

import copy
import math
import random
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gate.policy.load import schema
from gate.policy.schema_check import conforms

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

# values a mutation puts in place of another: each JSON type, bounds' edges, YAML-only values
ODD = [None, True, False, 0, 1, -1, 1.0, 0.5, 2.5, -0.0, 10**30, math.nan, math.inf, "", "x", "recall", "binary",
       "é" * 300, [], [1, 1.0], ["a", "a"], ["a", "b"], [True, 1], {}, {"x": 1}, {1: "a"}, {"metric": "recall"},
       b"bytes", (1, 2)]


def shown_policies() -> list[Any]:
    """The policies of policies/ and every ```yaml block with ``gates:`` in README.md and docs/."""
    docs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "policies").glob("*.yml"))]
    for md in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for block in re.findall(r"```ya?ml\n(.*?)```", md.read_text(encoding="utf-8"), flags=re.S):
            try:
                doc = yaml.safe_load(block)
            except yaml.YAMLError:
                continue
            if isinstance(doc, dict) and "gates" in doc:
                docs.append(doc)
    return docs


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (keys and indices) inside ``node``, the node itself first."""
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


def mutate(doc: Any, rng: random.Random) -> Any:
    """One to three edits: replace a value, delete a field, add an unknown (or a misspelt) field."""
    out = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        where = rng.choice(paths(out))
        parent = out
        for part in where[:-1]:
            parent = parent[part]
        kind = rng.random()
        if not where:
            continue
        if kind < 0.7:
            parent[where[-1]] = copy.deepcopy(rng.choice(ODD))
        elif kind < 0.85 and isinstance(parent, dict):
            del parent[where[-1]]
        elif isinstance(parent, dict):
            parent[rng.choice(["extra", f"{where[-1]}s", "Metric"])] = rng.choice(ODD[:12])
    return out


def jsonschema_ok(doc: Any) -> bool:
    return not any(True for _ in VALIDATOR.iter_errors(doc))


def test_every_shown_policy_conforms_on_the_fast_path() -> None:
    docs = shown_policies()
    assert len(docs) >= 5
    for doc in docs:
        assert jsonschema_ok(doc), doc
        assert conforms(doc, SCHEMA), doc


@pytest.mark.parametrize("seed", range(4))
def test_the_fast_check_never_passes_what_jsonschema_refuses(seed: int) -> None:
    rng = random.Random(seed)
    verdicts = {True: 0, False: 0}
    for doc in shown_policies():
        for _ in range(60):
            bad = mutate(doc, rng)
            fast = conforms(bad, SCHEMA)
            try:
                slow = jsonschema_ok(bad)
            except TypeError:  # jsonschema itself cannot compare some YAML-only values
                slow = False
            assert not fast or slow, bad
            verdicts[slow] += 1
    assert min(verdicts.values()) > 20, verdicts  # the mutations hit both sides


@pytest.mark.parametrize(("doc", "why"), [
    ({"version": 1.0}, "1.0 against const 1 is left to jsonschema"),
    ({"name": b"x"}, "a value with no JSON type"),
    ({1: "x"}, "a non-string key"),
])
def test_unsure_cases_defer_to_jsonschema(doc: dict, why: str) -> None:
    base = shown_policies()[0]
    assert not conforms({**base, **doc}, SCHEMA), why


def test_an_unknown_keyword_defers_to_jsonschema() -> None:
    assert conforms("x", {"type": "string"})
    assert not conforms("x", {"type": "string", "pattern": "^y"})
    assert not conforms("x", {"type": "string", "format": "email"})
