"""forecasts: turn open uncertainties into resolvable questions, update them on evidence, score forecasters."""

__version__ = "0.1.0"
