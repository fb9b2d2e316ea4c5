"""Scoring: proper scores and their kernels, the leaderboard, calibration and difficulty-adjusted Brier."""
