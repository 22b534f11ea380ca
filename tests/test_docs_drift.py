"""The output shown in README.md and examples/README.md is what the bundled examples print today.

The marked blocks are written by ``python -m scripts.render_docs``; these tests run the same
examples through the real CLI and fail, with a diff and the command to fix it, when a block differs.
Facts about the bundled files that the prose quotes are checked against the same fresh reports.
"""

from __future__ import annotations

import pytest

from scripts import render_docs

ROOT = render_docs.ROOT


@pytest.fixture(scope="module")
def runs():
    return {name: render_docs.run_example(ex) for name, ex in render_docs.EXAMPLES.items()}


def test_every_generated_block_matches_a_fresh_run(runs):
    diffs = render_docs.stale(render_docs.blocks(runs))
    assert not diffs, "stale generated blocks (run `python -m scripts.render_docs`):\n" + "\n".join(diffs)


def test_the_examples_exit_as_the_docs_say(runs):
    assert {name: run.code for name, run in runs.items()} == {"affairs": 0, "multiclass": 0, "canary": 0, "ranking": 0,
                                                                 "multilabel": 0}
    for run in runs.values():
        assert run.stdout.splitlines()[-1].startswith("model-gate: PASS (with warnings)")


def test_file_facts_quoted_in_the_prose_hold(runs):
    text = (ROOT / "examples/README.md").read_text(encoding="utf-8")
    affairs = {a["role"]: a for a in runs["affairs"].report["data"]["artifacts"]}
    rows, labeled = affairs["candidate"]["rows"], affairs["candidate"]["labeled_rows"]
    assert affairs["baseline"]["rows"] == rows
    assert f"**{rows:,} held-out rows**" in text
    assert f"**empty for the newest {rows - labeled:,} requests ({(rows - labeled) / rows:.1%})**" in text
    assert f"{labeled:,} labeled rows, label coverage {labeled / rows:.3f}" in text
    canary = {a["role"]: a for a in runs["canary"].report["data"]["artifacts"]}
    assert f"**{canary['candidate']['rows']:,} canary rows**" in text
    assert f"**{canary['baseline']['rows']:,} control rows**" in text
    assert canary["candidate"]["rows"] + canary["baseline"]["rows"] == rows
    multi = runs["multiclass"].report["data"]
    assert f"**{multi['n_candidate']:,} held-out images**" in text
    support = multi["class_support"].values()
    assert f"({min(support)}-{max(support)} per class)" in text


def test_the_quick_start_command_is_the_generated_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"pip install . && {render_docs.QUICK_START}\n" in readme


def test_replace_rewrites_only_the_marked_block():
    text = "a\n<!-- generated: x -->\nold\n<!-- /generated: x -->\nb\n"
    assert render_docs.replace(text, "x", "new") == "a\n<!-- generated: x -->\nnew\n<!-- /generated: x -->\nb\n"
    assert render_docs.current(text, "x") == "old"
    with pytest.raises(ValueError):
        render_docs.replace(text + text, "x", "new")
