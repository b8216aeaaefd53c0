"""Declarative warning rules: loading, checking and evaluating them on feature columns."""
