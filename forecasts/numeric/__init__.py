"""Numeric and date questions: Metaculus's 201-point CDF on a linear or log axis, its scores, and the model.

Pure Python where interactive commands need it (scale, cdf, spec); numpy only in the vectorised scorers."""
