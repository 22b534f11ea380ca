"""model-gate: decide with honest statistics whether a candidate classification model may ship."""

__version__ = "0.1.0"
