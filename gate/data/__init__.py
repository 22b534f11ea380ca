"""Inputs: prediction files and in-memory tables read (:mod:`.readers`, :mod:`.sources`), then aligned into typed, paired arrays (:mod:`.align`), under resource limits (:mod:`.limits`)."""
