"""Pooling the people's forecasts into a crowd forecast: pure methods, learned pools and their backtest."""
