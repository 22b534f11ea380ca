"""gate.engines.sources.Engine is an abstract interface: an engine that forgets a method cannot be
built (instead of failing with NotImplementedError in the middle of a run)."""

from __future__ import annotations

import pytest

pytest.importorskip("sqlglot", reason="the engine modules need sqlglot (the duckdb extra: pip install '.[duckdb]')")

from gate.engines.sources import DuckDBEngine, Engine, SparkEngine  # noqa: E402


def test_engine_methods_are_abstract() -> None:
    assert Engine.__abstractmethods__ == {"columns", "rows", "is_integer", "is_numeric"}
    with pytest.raises(TypeError, match="abstract"):
        Engine()     # type: ignore[abstract]

    class Partial(Engine):
        def columns(self, view: str) -> list[str]:
            return []

    with pytest.raises(TypeError, match="is_integer|is_numeric"):
        Partial()    # type: ignore[abstract]
    assert not DuckDBEngine.__abstractmethods__ and not SparkEngine.__abstractmethods__
