"""Renderers: the only place that knows about Rich, JSON or CSV layout."""
