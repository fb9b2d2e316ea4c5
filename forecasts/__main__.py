"""`python -m forecasts`: the same command as the installed `forecasts` script."""

from forecasts.cli import app

if __name__ == "__main__":
    app(prog_name="forecasts")
