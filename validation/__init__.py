"""Validation studies of model-gate's verdicts (docs/validity.md, docs/errors.md)."""
