"""The one exception type for user mistakes; the CLI turns it into a one-line message and exit 1."""


class ForecastsError(Exception):
    """A user error: bad input, unknown id, a forbidden state change. Never a bug."""
