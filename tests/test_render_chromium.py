"""Acceptance: report.html renders in headless Chromium with no console errors and shows the forest plot.

Skips (with the reason) only when no Chromium binary is installed (Debian package ``chromium``).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from report_factory import adversarial_report, binary_report

from gate.render import html as H
from tests.helpers.chromium import CHROMIUM, console_errors, run_chromium

REPO = Path(__file__).resolve().parents[1]


pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="Chromium not installed (apt-get install -y chromium)")


def test_console_error_detection_works(tmp_path):
    """The check below is only meaningful if a page error is actually caught: prove it."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html><body><p id=x>hi</p>"
                    "<script>console.error('boom-from-page'); undefinedFunction();</script></body></html>")
    proc = run_chromium(page, tmp_path, "--dump-dom")
    assert 'id="x"' in proc.stdout
    errors = console_errors(proc.stderr)
    assert any("boom-from-page" in e or "undefinedFunction" in e for e in errors), proc.stderr[-2000:]


@pytest.mark.parametrize("factory", [binary_report, adversarial_report], ids=["binary", "adversarial"])
def test_report_renders_without_console_errors_and_shows_forest_plot(tmp_path, factory):
    page = tmp_path / "report.html"
    page.write_text(H.render(factory()), encoding="utf-8")
    proc = run_chromium(page, tmp_path, "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert console_errors(proc.stderr) == [], console_errors(proc.stderr)
    m = re.search(r'<figure[^>]*id="forest-plot"[^>]*>(.*?)</figure>', dom, flags=re.S)
    assert m, "forest plot container missing from the rendered DOM"
    assert "<svg" in m.group(1)
    assert "model-gate failed" in dom and 'class="gates"' in dom
    assert "<script" not in dom.lower()  # no name turned into a live element


def test_screenshot_script(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(H.render(binary_report()), encoding="utf-8")
    out = tmp_path / "shot.png"
    proc = subprocess.run([str(REPO / "scripts/screenshot-report"), str(page), str(out), "1000x1400"],
                          capture_output=True, text=True, timeout=90, env={**os.environ, "CHROMIUM": CHROMIUM})
    assert proc.returncode == 0, proc.stderr
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


MERMAID_JS = os.environ.get("MODEL_GATE_MERMAID_JS", "")


@pytest.mark.skipif(not (MERMAID_JS and os.path.exists(MERMAID_JS)),
                    reason="set MODEL_GATE_MERMAID_JS to a mermaid.min.js (npm package mermaid) to check the charts")
def test_mermaid_charts_parse_and_render(tmp_path):
    """Optional: every ```mermaid block of the comment parses and renders with a real Mermaid."""
    import html as _html

    from report_factory import adversarial_report

    from gate.render import markdown
    blocks = []
    for r in (binary_report(), adversarial_report()):
        blocks += re.findall(r"```mermaid\n(.*?)```", markdown.render(r), flags=re.S)
    assert blocks
    pres = "".join(f'<pre class="mermaid">{_html.escape(b)}</pre>' for b in blocks)
    page = tmp_path / "mermaid.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>' + pres +
        f'<script charset="utf-8" src="{Path(MERMAID_JS).resolve().as_uri()}"></script><script>'
        "mermaid.initialize({startOnLoad:false});(async()=>{const out=[];"
        "for(const el of document.querySelectorAll('pre.mermaid')){try{await mermaid.parse(el.textContent);"
        "out.push('OK')}catch(e){out.push('ERR '+e.message)}}"
        "await mermaid.run({querySelector:'pre.mermaid'});"
        "console.log('RESULT '+out.join('|')+' svgs='+document.querySelectorAll('svg').length)})();"
        "</script></body></html>", encoding="utf-8")
    proc = run_chromium(page, tmp_path, "--virtual-time-budget=20000", "--dump-dom")
    result = [ln for ln in proc.stderr.splitlines() if "RESULT" in ln]
    assert result, proc.stderr[-2000:]
    assert "ERR" not in result[0] and f"svgs={len(blocks)}" in result[0], result[0]


def test_bundled_example_report_renders_with_forest_plot(tmp_path):
    """The acceptance case verbatim: report.html of the bundled example, as `model-gate check` writes it."""
    from gate.cli.main import main
    out = tmp_path / "out"
    assert main(["check", "--policy", str(REPO / "policies/affairs.yml"),
                 "--candidate", str(REPO / "examples/affairs/candidate.csv"),
                 "--baseline", str(REPO / "examples/affairs/baseline.csv"), "--out-dir", str(out)]) == 0
    proc = run_chromium(out / "report.html", tmp_path, "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert console_errors(proc.stderr) == [], console_errors(proc.stderr)
    m = re.search(r'<figure[^>]*id="forest-plot"[^>]*>(.*?)</figure>', proc.stdout, flags=re.S)
    assert m and "<svg" in m.group(1)
    assert proc.stdout.count("<svg") >= 4      # forest, curves, confusion, calibration at least
