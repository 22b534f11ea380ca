"""Paths of the vendored validators under tests/vendor (see its README for origins and licences)."""

from __future__ import annotations

from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "vendor"
JUNIT_XSD = VENDOR / "junit-10.xsd"
