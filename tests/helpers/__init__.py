"""Shared test helpers (imported by tests and conftest; never a test module)."""
