"""Sufficient statistics and the bootstrap that resamples them (:mod:`.stats`), with counter-based Poisson weights (:mod:`.poisson`) and their optional compiled kernel."""
