"""Renderers on the bundled examples (engine output, not hand-built Reports).

Golden Markdown per example, JUnit valid against the XSD for every example, report.html of an example
in headless Chromium. If the engine's numbers or wording change, regenerate the golden files with
MODEL_GATE_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from gate.render import html as H
from gate.render import junit, markdown
from tests.helpers.chromium import CHROMIUM, console_errors, run_chromium
from tests.helpers.golden import check_golden
from tests.helpers.vendor import JUNIT_XSD

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = {
    "affairs": ("policies/affairs.yml", "examples/affairs/candidate.csv", "examples/affairs/baseline.csv"),
    "multiclass": ("policies/multiclass.yml", "examples/multiclass/candidate.csv", "examples/multiclass/baseline.csv"),
    "canary": ("policies/canary.yml", "examples/canary/candidate.csv.gz", "examples/canary/baseline.csv"),
    "multilabel": ("policies/multilabel.yml", "examples/multilabel/candidate.csv", "examples/multilabel/baseline.csv"),
}


@pytest.fixture(scope="module")
def reports():
    from gate.api import check
    from gate.policy.load import load_policy
    missing = [p for spec in EXAMPLES.values() for p in spec if not (REPO / p).exists()]
    assert not missing, f"bundled examples missing: {missing}"   # shipped in the repo: never a skip
    old = os.getcwd()
    os.chdir(REPO)  # relative paths, as a user would type them: the report records them verbatim
    try:
        out = {}
        for name, (policy, cand, base) in EXAMPLES.items():
            cmd = ["model-gate", "check", "--policy", policy, "--candidate", cand, "--baseline", base]
            out[name] = check(load_policy(policy), cand, base, command=cmd)
        return out
    finally:
        os.chdir(old)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_markdown_golden(reports, name):
    text = markdown.render(reports[name])
    assert len(text) <= markdown.MAX_CHARS
    check_golden(f"example-{name}.md", text)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_junit_valid_for_every_example(reports, name):
    xmlschema = pytest.importorskip("xmlschema", reason="xmlschema not installed")
    junitparser = pytest.importorskip("junitparser", reason="junitparser not installed")
    assert JUNIT_XSD.exists(), f"vendored JUnit XSD missing: {JUNIT_XSD}"
    xml = junit.render(reports[name], policy_file=EXAMPLES[name][0])
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(io.StringIO(xml))
    suite = list(junitparser.JUnitXml.fromstring(xml))[0]
    assert suite.tests == len(reports[name].gates) and all(c.name.strip() for c in suite)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (apt-get install -y chromium)")
def test_example_html_in_chromium(reports, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(H.render(reports["affairs"]), encoding="utf-8")
    proc = run_chromium(page, tmp_path, "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert console_errors(proc.stderr) == []
    m = re.search(r'<figure[^>]*id="forest-plot"[^>]*>(.*?)</figure>', proc.stdout, flags=re.S)
    assert m and "<svg" in m.group(1)
