"""Bayesian updating: the closed-form fast path (no PyMC) and the PyMC models (imported lazily)."""
