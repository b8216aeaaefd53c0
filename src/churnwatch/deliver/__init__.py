"""Delivery: getting results where they are wanted (atomic files; email and history next)."""
