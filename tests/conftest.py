"""Suite-wide settings.

Hypothesis runs derandomized and without its example database: a CI run is reproducible (the same
examples every time for a given hypothesis version) and writes nothing into the tree. Open-ended
exploration is the fuzzer's job (`scripts/fuzz`) and `pytest --hypothesis-seed=N` explores locally.

The fake GitHub / GitLab servers' fixtures (``fake_github``, ``fake_gitlab``) come from ``tests.fakes``.

Command-line test tools installed by the ``testing`` extra (actionlint, check-jsonschema, hadolint)
live next to the interpreter; that directory goes first on PATH, as activating the venv would, so
``/path/to/venv/bin/python -m pytest`` finds them instead of skipping.
"""

import os
import sys

from hypothesis import settings

_bin = os.path.dirname(sys.executable)
if _bin and _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")

pytest_plugins = ("tests.fakes",)

settings.register_profile("model-gate", derandomize=True, database=None)
settings.load_profile("model-gate")
