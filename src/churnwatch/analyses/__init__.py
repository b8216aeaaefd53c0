"""Analyses over the scored customers: the scan today; win-back, explain and backtest next."""
