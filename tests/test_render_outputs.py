"""report.json, annotations and write_all."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from report_factory import adversarial_report, binary_report, build_report, est, make_gate, passing_report

from gate.publish.publication import Annotation
from gate.render import annotations, json_report, markdown, outputs
from gate.report.model import SCHEMA_VERSION, Report


def test_json_deterministic_and_round_trips():
    r = binary_report()
    text = json_report.render(r)
    assert text == json_report.render(binary_report()) and text.endswith("}\n")
    d = json.loads(text)
    assert d["schema_version"] == SCHEMA_VERSION and d["verdict"] == "fail"
    assert json_report.render(Report.from_dict(d)) == text
    adv = json_report.render(adversarial_report())
    assert "<!-- model-gate:v1 key=x -->" in adv  # JSON keeps data verbatim (ensure_ascii=False)
    assert json.loads(adv)["policy"]["name"] == adversarial_report().policy_name


def test_annotations_worst_first():
    anns = annotations.render(binary_report())
    assert all(isinstance(a, Annotation) for a in anns)
    assert [a.level for a in anns] == ["error", "warning", "warning"]
    assert "recall[class=fraud]" in anns[0].title and "is below the 0.900 floor" in anns[0].message
    assert "inconclusive" in anns[1].title and "~19,000" in anns[1].message
    assert "fail (warning)" in anns[2].title
    assert annotations.render(passing_report()) == ()


def test_annotations_many_failures_errors_first_and_single_line():
    gates = [make_gate("recall", class_name=f"c{i}\nx", status="inconclusive" if i % 2 else "fail",
                       candidate=est(0.5, 0.4, 0.6)) for i in range(50)]
    anns = annotations.render(build_report(gates))
    levels = [a.level for a in anns]
    assert levels == sorted(levels, key=lambda lv: lv != "error") and len(anns) == 50
    assert all("\n" not in a.title and "\n" not in a.message for a in anns)


def test_write_all(tmp_path):
    paths = outputs.write_all(binary_report(), tmp_path / "out", chart="none", plots=False)
    assert set(paths) == {"json", "markdown", "junit", "html"}
    assert {p.name for p in paths.values()} == {"report.json", "report.md", "junit.xml", "report.html"}
    assert json.loads(paths["json"].read_text(encoding="utf-8"))["verdict"] == "fail"
    assert paths["markdown"].read_text(encoding="utf-8") == markdown.render(binary_report(), chart="none")
    ET.parse(paths["junit"])
    assert paths["html"].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temp files left
    again = outputs.write_all(binary_report(), tmp_path / "out", chart="none", plots=False)
    assert again == paths


def test_byte_identical_across_processes(tmp_path):
    """Same Report → same bytes in a fresh interpreter with another hash seed (all four files)."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    here = Path(__file__).resolve().parent
    code = ("import sys; sys.path[:0] = [sys.argv[2], sys.argv[3]]\n"
            "from report_factory import binary_report\n"
            "from gate.render import outputs\n"
            "outputs.write_all(binary_report(), sys.argv[1])\n")
    seed = "1" if os.environ.get("PYTHONHASHSEED") != "1" else "2"
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "other"), str(here), str(here.parent)],
                   check=True, env={**os.environ, "PYTHONHASHSEED": seed}, timeout=120)
    outputs.write_all(binary_report(), tmp_path / "here")
    for name in ("report.json", "report.md", "junit.xml", "report.html"):
        assert (tmp_path / "here" / name).read_bytes() == (tmp_path / "other" / name).read_bytes(), name
