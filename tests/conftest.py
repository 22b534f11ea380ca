"""Suite-wide settings.

Hypothesis runs derandomized and without its example database: a CI run is reproducible (the same
examples every time for a given hypothesis version) and writes nothing into the tree. Open-ended
exploration is the fuzzer's job (`scripts/fuzz`) and `pytest --hypothesis-seed=N` explores locally.

The fake GitHub / GitLab servers' fixtures (``fake_github``, ``fake_gitlab``) come from ``tests.fakes``.
"""

from hypothesis import settings

pytest_plugins = ("tests.fakes",)

settings.register_profile("model-gate", derandomize=True, database=None)
settings.load_profile("model-gate")
