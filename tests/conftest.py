"""Suite-wide settings.

Hypothesis runs derandomized and without its example database: a CI run is reproducible (the same
examples every time for a given hypothesis version) and writes nothing into the tree. Open-ended
exploration is the fuzzer's job (`scripts/fuzz`) and `pytest --hypothesis-seed=N` explores locally.

The fake GitHub / GitLab servers' fixtures (``fake_github``, ``fake_gitlab``) come from ``tests.fakes``.

Command-line test tools installed by the ``testing`` extra (actionlint, check-jsonschema, hadolint)
live next to the interpreter; that directory goes first on PATH, as activating the venv would, so
``/path/to/venv/bin/python -m pytest`` finds them instead of skipping.

Every report.json the suite produces must match the schema shipped in the package
(``gate/report/schema.json``, closed to undocumented fields: tests/helpers/report_schema.py): the
autouse fixture ``reports_match_the_schema`` checks each one rendered in the test's process and, after
the test, each ``report.json`` under its ``tmp_path`` (written by a ``model-gate`` subprocess, say). A
test that plants a broken report.json (or renders a report no check can produce, to test a
renderer's defences) says so with ``@pytest.mark.invalid_report``.
"""

import os
import sys

import pytest
from hypothesis import settings

from gate.render import json_report
from tests.helpers.report_schema import check_report_file, check_report_text

_bin = os.path.dirname(sys.executable)
if _bin and _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")

pytest_plugins = ("tests.fakes",)

settings.register_profile("model-gate", derandomize=True, database=None)
settings.load_profile("model-gate")


def pytest_configure(config):
    config.addinivalue_line("markers", "invalid_report: the test writes a report.json that is not valid on purpose")


@pytest.fixture(autouse=True)
def reports_match_the_schema(request, monkeypatch):
    """Check every report.json this test renders, then every one left under its ``tmp_path``."""
    render = json_report.render
    if request.node.get_closest_marker("invalid_report") is not None:
        yield
        return
    check_files = "tmp_path" in request.fixturenames
    tmp_path = request.getfixturevalue("tmp_path") if check_files else None   # set up first, torn down after

    def checked(report):
        text = render(report)
        check_report_text(text, f"report.json rendered by {request.node.nodeid}")
        return text

    monkeypatch.setattr(json_report, "render", checked)
    yield
    if tmp_path is not None:
        for path in sorted(tmp_path.rglob("report.json")):
            if path.is_file():
                check_report_file(path)
